// Compare benchmark (issue 4): `st-think compare A B` on two generated 100 MB results files with
// the same ids (paired by id), against the floor of indexing both files alone in one process,
// in the same run: wall time and peak RSS. Needs bench-data/results-100mb.jsonl (scripts/bench.mjs
// makes it); B is A with other responses. Usage: node scripts/bench-compare.mjs [--runs 3]
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
const a = path.join(root, 'bench-data/results-100mb.jsonl');
const b = path.join(root, 'bench-data/results-100mb-b.jsonl');
if (!existsSync(a)) throw new Error(`${a} is missing: run node scripts/bench.mjs first`);
if (!existsSync(b)) {
  // Same records, answers changed on a fixed schedule: B is a second run over the same benchmark.
  const tmp = `${b}.tmp`;
  const out = createWriteStream(tmp);
  let i = 0;
  for await (const line of readline.createInterface({ input: createReadStream(a), crlfDelay: Infinity })) {
    if (!line) continue;
    const r = JSON.parse(line);
    if (i++ % 4 === 0)
      r.response = r.response.replace(/<answer>([A-D])<\/answer>/, (_, x) => `<answer>${'ABCD'[('ABCD'.indexOf(x) + 1) % 4]}</answer>`);
    if (!out.write(JSON.stringify(r) + '\n')) await new Promise((res) => out.once('drain', res));
  }
  await new Promise((res) => out.end(res));
  renameSync(tmp, b);
}

const rssOut = path.join(os.tmpdir(), `st-think-bench-cmp-${process.pid}`);
function measure(args) {
  const t0 = process.hrtime.bigint();
  const p = spawnSync(process.execPath, ['-r', path.join(root, 'scripts/bench-rss.cjs'), ...args], {
    env: { ...process.env, BENCH_RSS_OUT: rssOut },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (p.status !== 0) throw new Error(`${args.join(' ')}: ${p.stderr}`);
  const rss = Number(readFileSync(rssOut, 'utf8')) / 1024;
  rmSync(rssOut, { force: true });
  return { ms, rss, stdout: p.stdout };
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
// The floor: both files indexed, one after the other, in one process: the same index as compare uses.
const FLOOR = `const { ResultsIndex } = require(${JSON.stringify(path.join(root, 'out/src/core/index/index.js'))});
(async () => { for (const f of process.argv.slice(1)) await ResultsIndex.build(f); })();`;
const cli = path.join(root, 'dist/cli.js');
measure(['-e', FLOOR, a, b]);
measure([cli, 'compare', a, b, '--json']);
const floor = [];
const cmp = [];
let summary;
for (let k = 0; k < runs; k++) {
  floor.push(measure(['-e', FLOOR, a, b]));
  const r = measure([cli, 'compare', a, b, '--json']);
  summary = JSON.parse(r.stdout);
  cmp.push(r);
}
const result = {
  machine: `${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  runs,
  paired: summary.paired,
  pairedBy: summary.pairedBy,
  flips: summary.flips,
  floorMs: Math.round(median(floor.map((x) => x.ms))),
  compareMs: Math.round(median(cmp.map((x) => x.ms))),
  floorPeakRssMiB: +median(floor.map((x) => x.rss)).toFixed(1),
  comparePeakRssMiB: +median(cmp.map((x) => x.rss)).toFixed(1),
};
result.timeRatio = +(result.compareMs / result.floorMs).toFixed(2);
result.memoryRatio = +(result.comparePeakRssMiB / result.floorPeakRssMiB).toFixed(2);
console.log(JSON.stringify(result, null, 2));
console.log(`compare / indexing both: time ${result.timeRatio}×, peak memory ${result.memoryRatio}× (target ≤ 1.3×)`);
