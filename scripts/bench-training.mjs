// Training benchmark (issue 13): parse throughput of a generated long GRPO run (10k steps, 100k
// completions: scripts/gen-training-run.mjs, written to bench-data/ at bench time) against the results
// indexer's, per byte, in the same process and run. Reading the run = its trainer_state.json, training
// log and reward debug log (TrainingRun.open); the indexer = ResultsIndex.build on the 100 MB results
// file of scripts/bench.mjs, one thread. Target: the run's MB/s at least the indexer's.
// Usage: node scripts/bench-training.mjs [--runs 3] [--steps 10000] [--completions 100000] [--results FILE]
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTrainingRun } from './gen-training-run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const runs = Number(arg('runs', 3));
const steps = Number(arg('steps', 10_000));
const completions = Number(arg('completions', 100_000));
const results = path.resolve(arg('results', path.join(root, 'bench-data/results-100mb.jsonl')));
if (!existsSync(results)) throw new Error(`${results} is missing: run node scripts/bench.mjs first, or give --results FILE`);

const require = createRequire(import.meta.url);
const { ResultsIndex } = require(path.join(root, 'out/src/core/index/index.js'));
const { TrainingRun, TrainingLogReader } = require(path.join(root, 'out/src/core/training/index.js'));

const t = performance.now();
const dir = generateTrainingRun({ dir: path.join(root, 'bench-data', `training-run-${steps}-${completions}`), steps, completions });
const generatedMs = performance.now() - t;
const files = {
  trainerState: path.join(dir, `checkpoint-${steps}`, 'trainer_state.json'),
  trainingLog: path.join(dir, 'output_log.txt'),
  debugLog: path.join(dir, 'debug_log.txt'),
};
const bytes = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, statSync(f).size]));
const runBytes = bytes.trainerState + bytes.trainingLog + bytes.debugLog;
const resultsBytes = statSync(results).size;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(fn) {
  const t0 = performance.now();
  const out = await fn();
  return { ms: performance.now() - t0, out };
}

// One warm-up of each (page cache, JIT), then alternating measured runs.
await ResultsIndex.build(results);
await TrainingRun.open(dir);
const index = [];
const run = [];
const debug = [];
let summary;
for (let k = 0; k < runs; k++) {
  index.push((await timed(() => ResultsIndex.build(results))).ms);
  const r = await timed(() => TrainingRun.open(dir));
  run.push(r.ms);
  summary = r.out.summary();
  debug.push(
    (
      await timed(async () => {
        const reader = new TrainingLogReader(files.debugLog);
        await reader.read();
        return reader;
      })
    ).ms,
  );
}
const mbps = (b, ms) => +(b / 1e6 / (ms / 1000)).toFixed(1);
const result = {
  machine: `${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
  run: {
    dir: path.relative(root, dir),
    steps,
    completions: summary.completions,
    groups: summary.groups,
    sizeMB: Object.fromEntries(Object.entries(bytes).map(([k, b]) => [k, +(b / 1e6).toFixed(1)])),
    generatedMs: +generatedMs.toFixed(0),
  },
  runs,
  runOpenMs: +median(run).toFixed(0),
  runMBps: mbps(runBytes, median(run)),
  debugLogMs: +median(debug).toFixed(0),
  debugLogMBps: mbps(bytes.debugLog, median(debug)),
  resultsFile: { path: path.relative(root, results), sizeMB: +(resultsBytes / 1e6).toFixed(1) },
  indexMs: +median(index).toFixed(0),
  indexMBps: mbps(resultsBytes, median(index)),
};
result.runOverIndexPerByte = +(result.runMBps / result.indexMBps).toFixed(2);
console.log(JSON.stringify(result, null, 2));
console.log(
  `training run ${result.runMBps} MB/s (debug log alone ${result.debugLogMBps} MB/s) vs results indexer ${result.indexMBps} MB/s: ` +
    `${result.runOverIndexPerByte}x per byte (target >= 1)`,
);
