/* global window, document, innerHeight */
// First paint of the training curves view (issue 13) in Chromium: the built webview bundle
// (media/webview.js, under the webviews' CSP) is sent the message the curves panel sends for a
// generated 10k-step run (scripts/gen-training-run.mjs, written to bench-data/ at bench time), and
// reports how long it took from the message's arrival (before its zod check) to the charts on screen
// (the frame after they are drawn). Median of --runs page loads. Target: under one second.
// --profile FILE writes a CPU profile of the last load and prints the functions with the most self time.
// Usage: npm run build && npm run compile-tests && node scripts/bench-training-paint.mjs [--runs 5] [--steps 10000] [--overlay 2]
import fs from 'node:fs';
import http from 'node:http';
import * as os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/harness/vscode-host.mjs';
import { generateTrainingRun } from './gen-training-run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const runs = Number(arg('runs', 5));
const steps = Number(arg('steps', 10_000));
const overlay = Number(arg('overlay', 1));
const profile = arg('profile', '');
// --trace FILE: a Chromium trace of the last load (open it in chrome://tracing or Perfetto).
const trace = arg('trace', '');
// --webview FILE: serve this bundle instead of media/webview.js (e.g. an earlier build, for a before/after).
const webview = arg('webview', path.join(root, 'media', 'webview.js'));
const require = createRequire(import.meta.url);
const { TrainingRun, curvesMessage } = require(path.join(root, 'out/src/core/training/index.js'));
const { hostMessageSchema } = require(path.join(root, 'out/src/core/protocol/index.js'));

const dir = generateTrainingRun({ dir: path.join(root, 'bench-data', `training-run-${steps}-0`), steps, completions: 0 });
const run = await TrainingRun.open(dir);
// --overlay N: the same run N times, as N runs opened in the Training view.
const message = hostMessageSchema.parse(curvesMessage(Array.from({ length: overlay }, () => run)));
const points = message.charts.reduce((n, c) => n + [...c.series, ...c.evals].reduce((k, s) => k + s.steps.length, 0), 0);

/** CPU time (user + system) used so far by this process's descendants (Chromium's processes), in ms; 0 without /proc. */
function chromiumCpuMs() {
  let stats;
  try {
    stats = fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((pid) => {
        try {
          // Fields after the command name: state ppid … utime (14th field) stime (15th).
          const f = fs
            .readFileSync(`/proc/${pid}/stat`, 'utf8')
            .replace(/^.*\) /, '')
            .split(' ');
          return { pid: Number(pid), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
        } catch {
          return undefined;
        }
      });
  } catch {
    return 0;
  }
  const children = new Map();
  for (const st of stats) if (st) children.set(st.ppid, [...(children.get(st.ppid) ?? []), st]);
  let ticks = 0;
  const walk = (pid) => {
    for (const c of children.get(pid) ?? []) {
      ticks += c.ticks;
      walk(c.pid);
    }
  };
  walk(process.pid);
  return ticks * 10;
}

const NONCE = 'paint';
const CSP = `default-src 'none'; img-src 'self'; style-src 'self'; font-src 'self'; script-src 'nonce-${NONCE}'`;
const page0 = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<link rel="stylesheet" href="/media/uplot.css"><link rel="stylesheet" href="/media/webview.css"></head>
<body class="vscode-dark"><main id="app"></main>
<script nonce="${NONCE}" src="/stub.js"></script><script nonce="${NONCE}" src="/media/webview.js"></script></body></html>`;
const stub =
  'window.sent = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.sent.push(m), getState() {}, setState() {} });';
const server = http.createServer((req, res) => {
  const send = (type, body) => {
    res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': CSP });
    res.end(body);
  };
  if (req.url === '/') return send('text/html', page0);
  if (req.url === '/stub.js') return send('text/javascript', stub);
  const m = /^\/media\/(webview\.js|webview\.css|uplot\.css)$/.exec(req.url ?? '');
  if (m)
    return send(
      m[1].endsWith('.js') ? 'text/javascript' : 'text/css',
      fs.readFileSync(m[1] === 'webview.js' ? webview : path.join(root, 'media', m[1])),
    );
  res.writeHead(404);
  res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await launchChromium();
const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const figures = [];
const cpuFigures = [];
const drawnAtPaint = [];
const phases = {};
for (let k = 0; k < runs; k++) {
  await page.goto(base);
  await page.waitForFunction(() => window.sent.some((m) => m.type === 'ready'));
  const cdp = profile && k === runs - 1 ? await page.context().newCDPSession(page) : undefined;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  if (trace && k === runs - 1) await browser.startTracing(page, { path: trace, screenshots: false });
  // The message is handed to the page first (playwright's own copy of it is no part of the figure), then posted.
  await page.evaluate((m) => (window.pending = m), message);
  const cpu0 = chromiumCpuMs();
  await page.evaluate(() => window.postMessage(window.pending, '*'));
  await page.waitForFunction(() => window.sent.some((m) => m.type === 'trainingPainted'), null, { timeout: 60_000 });
  cpuFigures.push(chromiumCpuMs() - cpu0);
  figures.push(await page.evaluate(() => window.sent.find((m) => m.type === 'trainingPainted').ms));
  drawnAtPaint.push(await page.evaluate(() => document.querySelectorAll('.curve figure.chart canvas').length));
  if (trace && k === runs - 1) await browser.stopTracing();
  // Where the time went: the page's performance measures (src/webview/trainingCurves.ts).
  for (const { name, duration } of await page.evaluate(() =>
    performance.getEntriesByType('measure').map((e) => ({ name: e.name, duration: e.duration })),
  ))
    (phases[name] ??= []).push(+duration.toFixed(0));
  if (cdp) {
    const { profile: p } = await cdp.send('Profiler.stop');
    fs.writeFileSync(profile, JSON.stringify(p));
    const self = new Map();
    const dt = p.timeDeltas ?? [];
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const f = byId.get(id).callFrame;
      const key = `${f.functionName || '(anonymous)'} ${path.basename(f.url)}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 15);
    console.log(`CPU profile in ${profile}; most self time:`);
    for (const [name, ms] of top) console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${name}`);
  }
}
const charts = await page.locator('.curve figure.chart').count();
const layout = await page.evaluate(() => ({
  viewport: innerHeight,
  tops: [...document.querySelectorAll('.curve figure.chart')].map((f) => Math.round(f.getBoundingClientRect().top)),
  drawn: document.querySelectorAll('.curve figure.chart canvas').length,
}));
console.log(`charts' tops ${layout.tops.join(' ')} in a ${layout.viewport}px view; drawn at the first paint: ${drawnAtPaint.join(' ')}`);
await browser.close();
server.close();
if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
const sorted = [...figures].sort((a, b) => a - b);
const result = {
  machine: `${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
  steps,
  runsOverlaid: overlay,
  charts,
  points,
  messageMB: +(JSON.stringify(message).length / 1e6).toFixed(1),
  loads: runs,
  firstPaintMs: figures.map((x) => +x.toFixed(0)),
  medianMs: +sorted[Math.floor(sorted.length / 2)].toFixed(0),
  // CPU time of every Chromium process from the post to the figure's message back (10 ms ticks, and
  // including the poll for that message): steadier than wall time on a loaded machine.
  chromiumCpuMs: cpuFigures,
};
console.log(JSON.stringify(result, null, 2));
console.log(`first paint per load (ms): ${result.firstPaintMs.join(' ')}; Chromium CPU per load (ms): ${cpuFigures.join(' ')}`);
console.log("where the time went, ms per load (the page's performance measures):");
for (const [name, ms] of Object.entries(phases)) console.log(`  ${name.padEnd(36)} ${ms.join(' ')}`);
console.log(`training curves first paint: ${result.medianMs} ms median (${charts} charts, ${points} points; target < 1000 ms)`);
