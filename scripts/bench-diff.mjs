// Chain diff benchmark (issue 4): diffChains (sentences aligned, then words within them) on two
// 20,000-character chains, related (a tenth of the words changed), unrelated and identical, and
// the raw word diff of the whole unrelated pair for contrast. Target: under 50 ms per pair.
// Needs `npm run compile-tests` (reads out/src). Usage: node scripts/bench-diff.mjs [--runs 21]
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { diffChains, diffWords } = createRequire(import.meta.url)(path.join(root, 'out/src/core/compare/diff.js'));
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 21;

// A fixed pseudo-random generator: the same chains every run.
let seed = 11;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const words = Array.from({ length: 500 }, (_, i) => `w${i}`);
const make = () => {
  let s = '';
  while (s.length < 20_000) s += words[Math.floor(rand() * words.length)] + (rand() < 0.1 ? '. ' : ' ');
  return s.slice(0, 20_000);
};
const a = make();
const related = a.replace(/\bw\d*7\b/g, 'changed');
const unrelated = make();

const median = (f) => {
  const t = [];
  for (let i = 0; i < runs + 1; i++) {
    const s = process.hrtime.bigint();
    f();
    if (i) t.push(Number(process.hrtime.bigint() - s) / 1e6); // the first run warms up
  }
  t.sort((x, y) => x - y);
  return t[t.length >> 1];
};
const rows = [
  ['diffChains, related (a tenth of the words changed)', () => diffChains(a, related)],
  ['diffChains, unrelated', () => diffChains(a, unrelated)],
  ['diffChains, identical', () => diffChains(a, a)],
  ['diffWords over the whole unrelated chains (no sentence layer)', () => diffWords(a, unrelated)],
];
console.log(
  `chain diff: two 20,000-character chains, median of ${runs}, ` +
    `${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), node ${process.version}`,
);
for (const [name, f] of rows) console.log(`${median(f).toFixed(1).padStart(8)} ms  ${name}`);
