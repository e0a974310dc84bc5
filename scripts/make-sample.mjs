// Writes samples/st-r1-demo-run.jsonl: a demo results file in the canonical shape, built from the 126
// real ST-R1 test rows in ../shared/data. The responses are the rows' reference chains, altered on a
// fixed schedule so the demo shows every outcome: wrong letters, a missing answer tag, a broken format,
// and two invalid lines. It is labelled synthetic in every record's `model` field.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.resolve(root, '../shared/data/ego-st/r1-test-mcq-126.jsonl');
const out = path.join(root, 'samples/st-r1-demo-run.jsonl');
const rows = readFileSync(src, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const other = (letter) => ({ A: 'C', B: 'D', C: 'A', D: 'B' })[letter] ?? 'A';
const lines = rows.map((row, i) => {
  const gold = row.original_answer;
  let response = row.solution;
  if (i % 5 === 1) {
    const wrong = other(gold);
    response = response
      .replace(/correct answer is [A-D]/, `correct answer is ${wrong}`)
      .replace(/<answer>[A-D]<\/answer>/, `<answer>${wrong}</answer>`);
  } else if (i % 17 === 3) {
    response = response.replace(/<\/think>[\s\S]*$/, '</think> Based on the video I cannot tell which option is right.');
  } else if (i % 13 === 5) {
    response = `The answer is ${gold}. <answer>${gold}</answer>`;
  }
  return JSON.stringify({
    id: `st-r1-test-${String(i).padStart(3, '0')}`,
    video: row.video,
    question: row.problem,
    gold,
    response,
    model: 'synthetic-demo (reference chains, altered)',
    mode: 'forward',
  });
});
lines.splice(40, 0, '{"id": "broken", "video": "/vi-lab/x.mp4", "question": "truncated line');
lines.splice(90, 0, JSON.stringify({ id: 'no-question', video: '/vi-lab/y.mp4', response: '<think>…</think><answer>A</answer>' }));
const tmp = `${out}.tmp-${process.pid}`;
writeFileSync(tmp, lines.join('\n') + '\n');
renameSync(tmp, out);
console.log(`wrote ${out} (${lines.length} lines)`);
