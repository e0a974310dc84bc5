// Invalid lines against valid ones of the same size (issue 10: an invalid line must cost no more than
// twice a valid one). Each file: one valid line, then N lines of one kind; the best of 3 builds of
// out/src/core/index (run `npm run compile-tests` first). Usage: node scripts/bench-invalid.mjs [N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { ResultsIndex } = require(path.join(root, 'out/src/core/index/index.js'));

const n = Number(process.argv[2] ?? 200_000);
const question = 'Based on this video, what directions do you need to go through to get to your destination? Options: A. left, B. right';
const valid = (i) =>
  JSON.stringify({ id: `r${i}`, video: '/v/a.mp4', question, gold: 'A', response: '<think>left</think><answer>A</answer>' });
const size = valid(0).length;
const pad = (s) => s.slice(0, -1) + ' '.repeat(Math.max(0, size - s.length)) + '}';
const kinds = {
  valid,
  '{} (padded)': () => pad('{}'),
  'no id': (i) => valid(i).replace('"id"', '"xx"'),
  'invalid JSON': (i) => valid(i).slice(0, -2) + '  ',
  'response a number': (i) => pad(valid(i).replace(/"response":"[^"]*"/, '"response":5')),
  'unknown category': (i) => valid(i).replace('"gold":"A",', '"category":"zzz",'),
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-invalid-'));
try {
  let base = 0;
  for (const [name, make] of Object.entries(kinds)) {
    const file = path.join(dir, 'f.jsonl');
    writeFileSync(file, [valid(0), ...Array.from({ length: n }, (_, i) => make(i + 1))].join('\n') + '\n');
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = process.hrtime.bigint();
      await ResultsIndex.build(file);
      best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e3 / n);
    }
    if (name === 'valid') base = best;
    console.log(`${name.padEnd(20)} ${best.toFixed(2)} µs/line  ${(best / base).toFixed(2)}× a valid line (${make(1).length} bytes)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
