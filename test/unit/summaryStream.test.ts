/**
 * The CLI's streaming summary (src/core/index/summaryBuilder.ts) against the summary of an index of
 * the same file: equal under both rules, with the category evidence worked out either way ('memory',
 * 'reread'), on the real rows, the demo run, and a file whose videos' questions are scattered (the
 * evidence must link records far apart). The fuzzer (fuzz.test.ts) checks the same on mutated files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResultsIndex } from '../../src/core/index';
import { summariseFile } from '../../src/core/index/summaryBuilder';
import { RULES } from '../../src/core/schemas';
import { summarise } from '../../src/core/summary';
import { makeTempDir, realDataFile, removeDir, repoRoot } from './helpers';

const STEMS = [
  'what directions do you need to go through to get to your destination?',
  'which landmarks (objects or scenery changes) did you pass by to reach your destination?',
  'which landmarks (objects or scenery changes) did you pass by to return to the starting point?',
  'which actions did you perform to return to the starting point?',
];
const LANDMARKS = ['a red chair', 'the blue window', 'a tall plant', 'the white door', 'a round table', 'the green sofa'];
const PHRASES = [
  'turn left at the door',
  'walk straight past the sofa',
  'pass the kitchen counter',
  'go up the stairs',
  'reach the bedroom lamp',
];

/** Records on 40 videos, in a scattered order: a video's forward and reverse questions lie far apart. */
function scattered(): string {
  const lines: string[] = [];
  for (let v = 0; v < 40; v++) {
    for (let s = 0; s < STEMS.length; s++) {
      // Forward landmark-worded questions share action phrases with the reverse action question on
      // odd videos only: those are action questions worded as landmark ones. Landmark questions
      // (reverse, and forward on even videos) list landmarks.
      const landmarks = s === 2 || (s === 1 && v % 2 === 0);
      const phrases = landmarks ? LANDMARKS.slice(v % 3) : PHRASES.slice(v % 2);
      const options = phrases.map((p, k) => `${'ABCD'[k]}. ${p}`).join(', ');
      const gold = 'ABCD'[(v + s) % 4];
      lines.push(
        JSON.stringify({
          id: `v${v}-s${s}`,
          video: `/videos/clip_${v}.mp4`,
          question: `Based on this video, ${STEMS[s]} Options: ${options}`,
          gold,
          response: `<think>reasoning</think><answer>${(v * s) % 3 ? gold : 'A'}</answer>`,
        }),
      );
    }
  }
  // Scatter: every 7th line in turn, so one video's questions are ~40 lines apart.
  return lines.map((_, k) => lines[(k * 7) % lines.length]).join('\n') + '\n';
}

async function expectSame(file: string): Promise<Record<string, unknown>> {
  const index = await ResultsIndex.build(file);
  const before = fs.readFileSync(file);
  for (const evidence of ['memory', 'reread'] as const) {
    const both = await summariseFile(file, { evidence });
    for (const rule of RULES)
      assert.deepEqual(both[rule], summarise(index.file, index.entries, index.problemCount, rule), `${evidence} ${rule}`);
  }
  assert.ok(fs.readFileSync(file).equals(before), 'the file is unchanged');
  return summarise(index.file, index.entries, index.problemCount, 'mcq_infer').wordedAs;
}

describe('streaming summary', () => {
  test('equals the index summary on the 126 real rows and the demo run, both ways of working out the evidence', async () => {
    await expectSame(realDataFile);
    await expectSame(path.join(repoRoot, 'samples/st-r1-demo-run.jsonl'));
  });

  test("`collect`: a summary read back ('reread') collects before its evidence; one kept in memory does not", async () => {
    const dir = makeTempDir('stream-summary');
    try {
      const file = path.join(dir, 'scattered.jsonl');
      fs.writeFileSync(file, scattered());
      const calls = { memory: 0, reread: 0 };
      const results: Record<string, unknown> = {};
      for (const evidence of ['memory', 'reread'] as const) {
        results[evidence] = await summariseFile(file, { evidence, sync: true, collect: () => calls[evidence]++ });
      }
      assert.deepEqual(calls, { memory: 0, reread: 1 });
      assert.deepEqual(results.reread, results.memory);
    } finally {
      removeDir(dir);
    }
  });

  test('a scattered file: the evidence links a video questions far apart, the same both ways', async () => {
    const dir = makeTempDir('stream-summary');
    try {
      const file = path.join(dir, 'scattered.jsonl');
      // 7 and the line count (160) share no factor: the scatter is a permutation.
      fs.writeFileSync(file, scattered());
      const wordedAs = await expectSame(file);
      // The odd videos' forward landmark-worded questions were recognised as action questions.
      assert.deepEqual(wordedAs, { action: { landmark: 20 } });
    } finally {
      removeDir(dir);
    }
  });
});
