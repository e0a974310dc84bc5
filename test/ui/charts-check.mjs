/* global window, document */
// The charts of the summary and comparison views in Chromium, outside VS Code: the built webview
// bundle (media/webview.js, media/uplot.css, media/webview.css) served under the webviews' CSP (nonce
// scripts, stylesheets from the server only, no eval), fed the messages the panels send for the demo
// run and two fixture runs, in VS Code's dark, light and high-contrast colours. Fails on any CSP
// violation or page error, on a chart that draws nothing, or on a table whose numbers differ from the
// messages'. Screenshots under test-results/ui/charts-*.png, to be looked at.
// Run: npm run build && npm run compile-tests && node test/ui/charts-check.mjs
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { launchChromium } from '../harness/vscode-host.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const out = (p) => require(path.join(root, 'out', p));
const { ResultsIndex } = out('src/core/index/index.js');
const { summarise } = out('src/core/summary.js');
const { letterCharts } = out('src/core/chartsData.js');
const { compareRuns, pairRuns, consistency } = out('src/core/compare/compare.js');
const { hostMessageSchema } = out('src/core/protocol/index.js');
const { predictedOf } = out('src/core/summary.js');
const shots = path.join(root, 'test-results/ui');
fs.mkdirSync(shots, { recursive: true });

async function summaryMessage(file) {
  const idx = await ResultsIndex.build(file);
  const m = {
    type: 'summary',
    title: file,
    filter: '',
    activeRule: 'mcq_infer',
    byRule: Object.fromEntries(['mcq_infer', 'grpo_reward'].map((r) => [r, summarise(file, idx.entries, idx.problemCount, r)])),
    charts: Object.fromEntries(['mcq_infer', 'grpo_reward'].map((r) => [r, letterCharts(idx.entries, r)])),
  };
  return hostMessageSchema.parse(m);
}

async function comparisonMessage(a, b) {
  const [ia, ib] = [await ResultsIndex.build(a), await ResultsIndex.build(b)];
  const { flipped, ...rest } = compareRuns(ia.entries, ib.entries, await pairRuns(ia, ib), 'mcq_infer');
  const cons = (idx) => {
    const c = consistency(idx.entries, 'mcq_infer');
    return { pairs: c.pairs, bothCorrect: c.bothCorrect, oneOnly: c.oneOnly, neither: c.neither, unpaired: c.unpaired };
  };
  const comparison = {
    ...rest,
    a,
    b,
    consistencyA: cons(ia),
    consistencyB: cons(ib),
    flipped: flipped.map((f, pair) => ({
      kind: f.kind,
      pair,
      label: f.a.label,
      category: f.a.category,
      direction: f.a.direction,
      video: f.a.video || f.b.video,
      a: { id: f.a.id, line: f.a.line, predicted: predictedOf(f.a, 'mcq_infer') },
      b: { id: f.b.id, line: f.b.line, predicted: predictedOf(f.b, 'mcq_infer') },
      gold: f.a.gold,
    })),
  };
  return hostMessageSchema.parse({ type: 'comparison', comparison });
}

const NONCE = 'chartscheck';
const CSP = `default-src 'none'; img-src 'self'; style-src 'self'; font-src 'self'; script-src 'nonce-${NONCE}'`;
const page0 = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<link rel="stylesheet" href="/media/uplot.css"><link rel="stylesheet" href="/media/webview.css"></head>
<body><main id="app"></main>
<script nonce="${NONCE}" src="/stub.js"></script><script nonce="${NONCE}" src="/media/webview.js"></script></body></html>`;
// acquireVsCodeApi as the webview host gives it; the messages sent back are kept for the check.
const stub =
  'window.sent = []; window.acquireVsCodeApi = () => ' +
  '({ postMessage: (m) => window.sent.push(m), getState: () => undefined, setState() {} });';
// The line chart (for the training view) in a page of its own: test/ui/charts-lines-entry.mjs bundled.
const lines = await esbuild.build({
  entryPoints: [path.join(root, 'test/ui/charts-lines-entry.mjs')],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
});
const linesPage = page0.replace('/media/webview.js', '/lines.js');
const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  const send = (type, body) => {
    res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': CSP });
    res.end(body);
  };
  if (url === '/') return send('text/html', page0);
  if (url === '/stub.js') return send('text/javascript', stub);
  if (url === '/lines.html') return send('text/html', linesPage);
  if (url === '/lines.js') return send('text/javascript', lines.outputFiles[0].text);
  const m = /^\/media\/(webview\.js|webview\.css|uplot\.css)$/.exec(url);
  if (m) return send(m[1].endsWith('.js') ? 'text/javascript' : 'text/css', fs.readFileSync(path.join(root, 'media', m[1])));
  res.writeHead(404);
  res.end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

// VS Code's Default Dark Modern, Default Light Modern and Default High Contrast colours.
const THEMES = {
  dark: {
    cls: 'vscode-dark',
    vars: { foreground: '#cccccc', 'editor-background': '#1f1f1f', 'editorWidget-border': '#313131', 'charts-blue': '#3794ff' },
    charts: { red: '#f14c4c', green: '#89d185', orange: '#d18616', purple: '#b180d7', yellow: '#cca700' },
  },
  light: {
    cls: 'vscode-light',
    vars: { foreground: '#3b3b3b', 'editor-background': '#ffffff', 'editorWidget-border': '#e5e5e5', 'charts-blue': '#1a85ff' },
    charts: { red: '#e51400', green: '#388a34', orange: '#d18616', purple: '#652d90', yellow: '#bf8803' },
  },
  hc: {
    cls: 'vscode-high-contrast',
    vars: {
      foreground: '#ffffff',
      'editor-background': '#000000',
      'editorWidget-border': '#6fc3df',
      'charts-blue': '#3794ff',
      contrastBorder: '#6fc3df',
    },
    charts: { red: '#f14c4c', green: '#89d185', orange: '#d18616', purple: '#b180d7', yellow: '#cca700' },
  },
};

const failures = [];
let checked = 'load';
const browser = await launchChromium();
const ctx = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
const page = await ctx.newPage();
// The webview UI toolkit (FAST) probes at load whether inline <style> is allowed, with an empty one:
// that refusal (the empty string's hash) is expected, and main's bundle without charts shows it too.
const TOOLKIT_PROBE = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
page.on('console', (msg) => {
  if (msg.text().includes(TOOLKIT_PROBE)) return;
  if (/Content Security Policy|Refused to/i.test(msg.text()))
    failures.push(`CSP: ${msg.text()} at ${JSON.stringify(msg.location())} after ${checked}`);
});
page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));

async function theme(name) {
  const t = THEMES[name];
  await page.evaluate(({ cls, vars, charts }) => {
    const s = document.body.style;
    for (const [k, v] of Object.entries(vars)) s.setProperty(`--vscode-${k}`, v);
    for (const [k, v] of Object.entries(charts)) s.setProperty(`--vscode-charts-${k}`, v);
    s.setProperty('--vscode-font-family', 'sans-serif');
    s.backgroundColor = vars['editor-background'];
    s.color = vars.foreground;
    document.body.className = cls;
  }, t);
  await page.waitForTimeout(300);
}

/** Posts a host message to the page as the webview host would. */
async function show(message) {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
  await page.waitForSelector('.charts figure.chart canvas', { timeout: 10_000 });
  await page.waitForTimeout(400);
}

/** How many of a chart canvas's pixels are not the background (a chart that draws nothing has none). */
async function inkOf(selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(`${sel} canvas`);
    if (!c) return -1;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  }, selector);
}

async function check(what, fn) {
  try {
    await fn();
    console.log(`ok - ${what}`);
    checked = what;
  } catch (e) {
    failures.push(`${what}: ${e.message}`);
    console.log(`not ok - ${what}: ${e.message}`);
  }
}

await page.goto(base);
const summary = await summaryMessage(path.join(root, 'samples/st-r1-demo-run.jsonl'));
const comparison = await comparisonMessage(
  path.join(root, 'test/fixtures/runs/run-1.jsonl'),
  path.join(root, 'test/fixtures/runs/run-2.jsonl'),
);

for (const name of ['dark', 'light', 'hc']) {
  await theme(name);
  await check(`summary charts draw (${name})`, async () => {
    await show(summary);
    for (const sel of ['.chart-accuracy', '.chart-letters']) {
      const ink = await inkOf(sel);
      if (ink < 500) throw new Error(`${sel} has ${ink} drawn pixels`);
    }
    const cells = await page.$$eval('.chart-matrix tbody td', (tds) => tds.map((td) => Number(td.textContent.replace(/,/g, ''))));
    const want = summary.charts.mcq_infer.confusion.counts.flat();
    if (JSON.stringify(cells) !== JSON.stringify(want)) throw new Error(`matrix reads ${cells}, sent ${want}`);
    const rows = await page.$$eval('.chart-letters table.chart-table tbody tr', (trs) => trs.map((tr) => tr.innerText));
    if (rows.length !== 6 || !/^A\t/.test(rows[0])) throw new Error(`letters table rows ${JSON.stringify(rows)}`);
    await page.locator('.summary-charts').screenshot({ path: path.join(shots, `charts-summary-${name}.png`) });
  });
  await check(`hovering a bar reads its value in the legend (${name})`, async () => {
    const box = await page.locator('.chart-accuracy .u-over').boundingBox();
    await page.mouse.move(box.x + box.width * 0.06, box.y + box.height / 2);
    await page.waitForTimeout(150);
    const legend = await page.locator('.chart-accuracy .u-legend').innerText();
    if (!/\d+\.\d%/.test(legend)) throw new Error(`legend reads "${legend}"`);
  });
  await check(`comparison bars draw (${name})`, async () => {
    await show(comparison);
    for (const sel of ['.chart-difference', '.chart-flips']) {
      const ink = await inkOf(sel);
      if (ink < 200) throw new Error(`${sel} has ${ink} drawn pixels`);
    }
    await page.locator('.compare-charts').screenshot({ path: path.join(shots, `charts-compare-${name}.png`) });
  });
}
await check('"Show numbers" shows the table and says so', async () => {
  const b = page.locator('.chart-difference .chart-toggle');
  await b.click();
  if ((await b.getAttribute('aria-expanded')) !== 'true') throw new Error('aria-expanded stays false');
  if (!(await page.locator('.chart-difference table.chart-table').isVisible())) throw new Error('table hidden');
});

for (const name of ['dark', 'light', 'hc']) {
  await check(`three runs of 10k steps with eval points: drawn within a second, hover, zoom, pick, log (${name})`, async () => {
    await page.goto(`${base}lines.html`);
    await theme(name);
    await page.waitForFunction(() => window.firstPaintMs !== undefined, null, { timeout: 10_000 });
    const ms = await page.evaluate(() => window.firstPaintMs);
    console.log(`  # line chart, 3 × 10k points + eval marks, smoothed: first paint ${ms.toFixed(0)} ms`);
    // A figure, not a pass/fail: timings belong to benchmarks (a loaded machine would fail a limit here).
    await page.waitForTimeout(300);
    const ink = await inkOf('.chart-lines');
    if (ink < 2000) throw new Error(`${ink} drawn pixels`);
    const over = await page.locator('.chart-lines .u-over').boundingBox();
    await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
    await page.waitForTimeout(150);
    const legend = await page.locator('.chart-lines .u-legend').innerText();
    if (!/run 1:?\s*0\.\d{3}/.test(legend)) throw new Error(`legend reads "${legend}"`);
    await page.locator('.chart-lines').screenshot({ path: path.join(shots, `charts-lines-${name}.png`) });
    // A click picks the step under the cursor.
    await page.mouse.click(over.x + over.width / 2, over.y + over.height / 2);
    const picked = await page.evaluate(() => window.picked);
    if (picked.length !== 1 || picked[0] < 4000 || picked[0] > 6000) throw new Error(`picked ${JSON.stringify(picked)}`);
    // A drag zooms to a step range (about steps 3000–5000 of 10000); a double-click zooms out.
    const before = await page.evaluate(() => window.chart.xRange());
    await page.mouse.move(over.x + over.width * 0.3, over.y + 20);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.5, over.y + 20, { steps: 5 });
    await page.mouse.up();
    await page.waitForTimeout(200);
    const zoomed = await page.evaluate(() => window.chart.xRange());
    if (!(zoomed[0] > 2500 && zoomed[1] < 5500)) throw new Error(`after zooming from ${before}, the range is ${zoomed}`);
    if ((await page.evaluate(() => window.picked.length)) !== 1) throw new Error('a drag picked a step');
    // Drawn from a few points per pixel column of the range shown: every step again once zoomed in far enough.
    const all = await page.evaluate(() => {
      window.chart.setXRange(undefined);
      return new Promise((r) => setTimeout(() => r(window.chart.shownSteps().length), 100));
    });
    if (!(all > 1000 && all < 8000)) throw new Error(`${all} of 10,000 steps given to the plot at full range (thinned: a few per column)`);
    const near = await page.evaluate(() => {
      window.chart.setXRange([4000, 4150]);
      return new Promise((r) => setTimeout(() => r(window.chart.shownSteps().filter((s) => s >= 4000 && s <= 4150)), 100));
    });
    if (near.length !== 151 || near.some((s, i) => s !== 4000 + i))
      throw new Error(`zoomed to 4000–4150, the plot has ${near.length} steps`);
    if (name === 'hc') await page.locator('.chart-lines').screenshot({ path: path.join(shots, `charts-lines-zoomed-${name}.png`) });
    await page.evaluate(() => window.chart.update({ log: true, smoothing: 0 }));
    await page.waitForTimeout(200);
    if ((await inkOf('.chart-lines')) < 2000) throw new Error('nothing drawn on a log scale');
  });
}

await browser.close();
server.close();
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(`charts check passed; screenshots in ${shots}`);
