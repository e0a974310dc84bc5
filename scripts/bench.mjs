// npm run bench: index time and peak memory of `st-think summary` on a generated 100 MB results
// file, against the floor (read + JSON.parse of every line) on the same file in the same run; and
// the time until the tree's first level can be shown, at two file sizes.
// Usage: node scripts/bench.mjs [--mb 100] [--runs 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeSync, closeSync, renameSync, statSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const targetMb = arg('mb', 100);
const runs = arg('runs', 3);
const dataDir = path.join(root, 'bench-data');
mkdirSync(dataDir, { recursive: true });

// --- deterministic data -------------------------------------------------------------------------
function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}
const WORDS = (
  'turn left right walk straight pass the table chair door kitchen hallway stairs sofa window corridor then reach return ' +
  'starting point destination notice shelf lamp bed desk carpet approach continue forward backward around corner ' +
  'living room bedroom bathroom fridge counter'
).split(' ');
const STEMS = [
  ['direction', 'forward', 'what directions do you need to go through to get to your destination?'],
  ['direction', 'reverse', 'what directions do you need to go through to get to starting point ?'],
  ['landmark', 'forward', 'which landmarks (objects or scenery changes) did you pass by to reach your destination?'],
  ['landmark', 'reverse', 'which landmarks (objects or scenery changes) did you pass by to return to the starting point?'],
  ['action', 'reverse', 'which actions did you perform to return to the starting point?'],
];
function generate(file, bytes) {
  const r = rng(42);
  const words = (n) => Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  let i = 0;
  const batch = [];
  while (written < bytes) {
    const [, , stem] = STEMS[i % STEMS.length];
    const letters = ['A', 'B', 'C', 'D'];
    const gold = letters[Math.floor(r() * 4)];
    const pred = r() < 0.7 ? gold : letters[Math.floor(r() * 4)];
    const opts = letters.map((l) => `${l}. ${words(3 + Math.floor(r() * 6))}`).join(', ');
    // 500–2,000 characters, most of them short, as real chains are.
    const thinkLen = 500 + Math.floor(r() ** 3 * 1500);
    let think = '';
    while (think.length < thinkLen) think += (think ? ' ' : '') + words(12) + '.';
    const response =
      r() < 0.05
        ? `The answer is ${pred}.`
        : `<think>Let's start by thinking reverse ${think.slice(0, thinkLen)} ` +
          `Hence, the correct answer is ${pred}</think> <answer>${pred}</answer>`;
    batch.push(
      JSON.stringify({
        id: `bench-${i}`,
        video: `/vi-lab/Ego-ST-bench/r1_video/clip_${Math.floor(i / 8)}.mp4`,
        question:
          'Please take a egocentric view to understand the following questions. ' +
          `Based on this video, ${stem} Options: ${opts}\n\nInstructions: ` +
          'Please select the most appropriate answer from the options above and return only the option number (e.g. A, B, C or D).',
        gold,
        response,
        model: 'bench-synthetic',
      }),
    );
    i++;
    if (batch.length === 1000) {
      const s = batch.join('\n') + '\n';
      writeSync(fd, s);
      written += Buffer.byteLength(s);
      batch.length = 0;
    }
  }
  if (batch.length) writeSync(fd, batch.join('\n') + '\n');
  closeSync(fd);
  renameSync(tmp, file);
  return i;
}

function dataFile(mb) {
  const f = path.join(dataDir, `results-${mb}mb.jsonl`);
  if (!existsSync(f)) {
    const t = Date.now();
    generate(f, mb * 1e6);
    console.error(`generated ${f} in ${Date.now() - t} ms`);
  }
  return f;
}

// --- measuring ----------------------------------------------------------------------------------
const rssOut = path.join(os.tmpdir(), `st-think-bench-rss-${process.pid}`);
function measure(args, extraEnv = {}) {
  const t0 = process.hrtime.bigint();
  const p = spawnSync(process.execPath, ['-r', path.join(root, 'scripts/bench-rss.cjs'), ...args], {
    env: { ...process.env, ...extraEnv, BENCH_RSS_OUT: rssOut },
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (p.status !== 0) throw new Error(`${args.join(' ')} failed: ${p.stderr}`);
  const rssKiB = Number(readFileSync(rssOut, 'utf8'));
  rmSync(rssOut, { force: true });
  return { ms, rssMiB: rssKiB / 1024, stdout: p.stdout };
}
/** The peer (scripts/peer-summary.py, upstream's way in a Python loop), measured the same way. */
function measurePeer(f) {
  const t0 = process.hrtime.bigint();
  const p = spawnSync('python3', [path.join(root, 'scripts/peer-summary.py'), f], {
    env: { ...process.env, BENCH_RSS_OUT: rssOut },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (p.status !== 0) throw new Error(`peer-summary.py failed: ${p.stderr}`);
  const rssKiB = Number(readFileSync(rssOut, 'utf8'));
  rmSync(rssOut, { force: true });
  return { ms, rssMiB: rssKiB / 1024 };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const READLINE_LOOP =
  "const rl = require('node:readline')" +
  ".createInterface({ input: require('node:fs').createReadStream(process.argv[1]), crlfDelay: Infinity });\n" +
  "let n = 0; rl.on('line', (l) => { if (l) { JSON.parse(l); n++; } }).on('close', () => console.log(n));";

const file = dataFile(targetMb);
const size = statSync(file).size;
const cli = path.join(root, 'dist/cli.js');
// The Node options of the CLI's first line (#!/usr/bin/env -S node …): `st-think` runs with them, so
// the measured runs do too.
const shebang = readFileSync(cli, 'utf8').split('\n')[0];
const cliFlags = shebang
  .replace(/^#!.*?\bnode\b/, '')
  .trim()
  .split(/\s+/)
  .filter(Boolean);
// …and the variables `env -S` sets before node (NAME=VALUE), which the measured runs get too.
const cliEnv = Object.fromEntries([...(shebang.match(/-S\s+(.*?)\bnode\b/)?.[1] ?? '').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
const floor = [];
const index = [];
const peer = [];
let records = 0;
// One warm-up of each so the page cache holds the file for every measured run.
measure([path.join(root, 'scripts/bench-floor.mjs'), file]);
measure([...cliFlags, cli, 'summary', file, '--json'], cliEnv);
measurePeer(file);
for (let k = 0; k < runs; k++) {
  floor.push(measure([path.join(root, 'scripts/bench-floor.mjs'), file]));
  peer.push(measurePeer(file));
  const r = measure([...cliFlags, cli, 'summary', file, '--json'], cliEnv);
  records = JSON.parse(r.stdout).records;
  index.push(r);
}
const nodeBaseline = measure(['-e', '0']).rssMiB;
// The CLI with its bundle loaded, on an empty file: its memory before any record.
const empty = path.join(dataDir, 'empty.jsonl');
if (!existsSync(empty)) closeSync(openSync(empty, 'w'));
const cliBaseline = median([0, 1, 2].map(() => measure([...cliFlags, cli, 'summary', empty, '--json'], cliEnv).rssMiB));
// A second, slower reference: the loop most people write (readline over a stream).
const readlineFloor = median([0, 1, 2].map(() => measure(['-e', READLINE_LOOP, file]).ms));

// --- first level of the tree --------------------------------------------------------------------
// The tree shows a file node at once and its categories as soon as the first chunk is indexed:
// measured here as the time from starting the index to the first progress callback with entries.
const require = createRequire(import.meta.url);
const { ResultsIndex } = require(path.join(root, 'out/src/core/index/index.js'));
async function firstLevelMs(f) {
  const ctrl = new AbortController();
  const t0 = performance.now();
  let first = -1;
  const idx = ResultsIndex.create(f, {
    signal: ctrl.signal,
    onProgress: () => {
      if (first < 0 && idx.entries.length) {
        first = performance.now() - t0;
        ctrl.abort(); // only the first level's latency is measured here
      }
    },
  });
  await idx.load().catch((e) => {
    if (e.name !== 'IndexCancelledError') throw e;
  });
  return first;
}
const small = dataFile(10);
const firstSmall = median([await firstLevelMs(small), await firstLevelMs(small), await firstLevelMs(small)]);
const firstLarge = median([await firstLevelMs(file), await firstLevelMs(file), await firstLevelMs(file)]);

// --- 400 MB: the CLI's peak memory must not grow with the file; the extension's index per record ---
// (skipped with --no-400: generating the file takes ~15 s and 400 MB of disk, once)
let large;
if (!process.argv.includes('--no-400')) {
  const f400 = dataFile(400);
  measure([...cliFlags, cli, 'summary', f400, '--json'], cliEnv); // warm-up: the page cache
  // The median of `runs` runs: one run's peak moves by ±1 MiB with when the collector runs.
  const s400runs = Array.from({ length: runs }, () => measure([...cliFlags, cli, 'summary', f400, '--json'], cliEnv));
  const s400 = { ms: median(s400runs.map((x) => x.ms)), rssMiB: median(s400runs.map((x) => x.rssMiB)) };
  const mem = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'scripts/bench-index-memory.mjs'), f400], { encoding: 'utf8' });
  if (mem.status !== 0) throw new Error(`bench-index-memory.mjs failed: ${mem.stderr}`);
  large = {
    sizeMB: +(statSync(f400).size / 1e6).toFixed(1),
    summaryMs: +s400.ms.toFixed(0),
    summaryPeakRssMiB: +s400.rssMiB.toFixed(1),
    summaryPeakRssEachMiB: s400runs.map((x) => +x.rssMiB.toFixed(1)),
    extensionIndex: JSON.parse(mem.stdout),
  };
}

const fm = median(floor.map((x) => x.ms));
const im = median(index.map((x) => x.ms));
const fr = median(floor.map((x) => x.rssMiB));
const ir = median(index.map((x) => x.rssMiB));
const pm = median(peer.map((x) => x.ms));
const pr = median(peer.map((x) => x.rssMiB));
const result = {
  machine: `${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  file: { path: path.relative(root, file), sizeMB: +(size / 1e6).toFixed(1), records },
  runs,
  floorMs: +fm.toFixed(0),
  indexMs: +im.toFixed(0),
  timeRatio: +(im / fm).toFixed(2),
  floorPeakRssMiB: +fr.toFixed(1),
  indexPeakRssMiB: +ir.toFixed(1),
  readlineFloorMs: +readlineFloor.toFixed(0),
  peerMs: +pm.toFixed(0),
  peerPeakRssMiB: +pr.toFixed(1),
  indexOverPeer: +(im / pm).toFixed(2),
  nodeBaselineRssMiB: +nodeBaseline.toFixed(1),
  cliBaselineRssMiB: +cliBaseline.toFixed(1),
  indexPeakRssAboveCliBaselineMiB: +(ir - cliBaseline).toFixed(1),
  large: large && { ...large, summaryPeakRssAboveCliBaselineMiB: +(large.summaryPeakRssMiB - cliBaseline).toFixed(1) },
  firstLevelMs: {
    [`${(statSync(small).size / 1e6).toFixed(0)}MB`]: +firstSmall.toFixed(1),
    [`${(size / 1e6).toFixed(0)}MB`]: +firstLarge.toFixed(1),
  },
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `index/floor time ${result.timeRatio}× (target ≤ 1.5×; ${(im / readlineFloor).toFixed(2)}× a readline loop); ` +
    `index/peer (upstream's way, a Python loop) ${result.indexOverPeer}× (target ≤ 0.8×; ` +
    `peer ${result.peerMs} ms, ${result.peerPeakRssMiB} MiB); ` +
    `peak RSS ${result.indexPeakRssMiB} MiB, ${result.indexPeakRssAboveCliBaselineMiB} MiB above the CLI's own start-up ` +
    `(target ≤ 16 MiB)` +
    (result.large
      ? `; on ${result.large.sizeMB} MB ${result.large.summaryPeakRssAboveCliBaselineMiB} MiB above it (target ≤ 16 MiB), ` +
        `the extension's index ${result.large.extensionIndex.heapBytesPerRecord} B/record (target ≤ 200)`
      : '') +
    `; first level ${JSON.stringify(result.firstLevelMs)} ms (target < 1000)`,
);
