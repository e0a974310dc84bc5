/** The charts' numbers: letter distributions, confusion matrices and B − A per bucket agree with the tables they picture. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { bucketBars, letterCharts, PREDICTED_BINS, smoothCurve } from '../../src/core/chartsData';
import { compareRuns, pairRuns } from '../../src/core/compare/compare';
import { ResultsIndex, type IndexEntry } from '../../src/core/index';
import { summarise } from '../../src/core/summary';
import { summaryHostMessageSchema } from '../../src/core/protocol';
import { RULES } from '../../src/core/vocabulary';
import { fixturesDir, repoRoot } from './helpers';

const demo = path.join(repoRoot, 'samples/st-r1-demo-run.jsonl');

/** An entry with only what the letter charts read. */
function entry(gold: string, mcq: IndexEntry['mcq'], mcqPred: string): IndexEntry {
  return { gold, mcq, mcqPred, grpo: 'unscored', grpoPred: '', na: undefined } as unknown as IndexEntry;
}

describe('letter charts', () => {
  test('predicted and gold letters are counted per bin; unanswered is "none", an odd letter "other", unscored left out', () => {
    const { letters, confusion } = letterCharts(
      [
        entry('A', 'correct', 'A'),
        entry('B', 'incorrect', 'A'),
        entry('C', 'unanswered', ''),
        entry('D', 'incorrect', 'e'),
        entry('B', 'correct', 'b'),
        entry('', 'unscored', 'A'),
      ],
      'mcq_infer',
    );
    assert.deepEqual(letters.bins, ['A', 'B', 'C', 'D', 'other', 'none']);
    assert.deepEqual(letters.predicted, [2, 1, 0, 0, 1, 1]);
    assert.deepEqual(letters.gold, [1, 2, 1, 1, 0, 0]);
    assert.deepEqual(confusion.counts, [
      [1, 0, 0, 0, 0, 0],
      [1, 1, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 0],
    ]);
  });

  test('on the demo run, under both rules, the matrix adds up to the scored records and its diagonal to the correct ones', async () => {
    const idx = await ResultsIndex.build(demo);
    for (const rule of RULES) {
      const s = summarise(demo, idx.entries, idx.problemCount, rule);
      const { letters, confusion } = letterCharts(idx.entries, rule);
      const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
      assert.equal(sum(confusion.counts.flat()), s.overall.total, rule);
      assert.equal(sum(letters.predicted), s.overall.total, rule);
      assert.equal(sum(letters.gold), s.overall.total, rule);
      assert.equal(letters.predicted[PREDICTED_BINS.indexOf('none')], s.overall.unanswered, rule);
      // Column sums are the predicted distribution, row sums the gold one.
      assert.deepEqual(
        confusion.predicted.map((_, c) => sum(confusion.counts.map((row) => row[c]))),
        letters.predicted,
      );
      assert.deepEqual(confusion.counts.map(sum), letters.gold.slice(0, confusion.gold.length));
      const diagonal = sum([0, 1, 2, 3].map((i) => confusion.counts[i][i]));
      assert.equal(diagonal, s.overall.correct, rule);
    }
  });
});

describe('comparison bars', () => {
  test("B − A per bucket is the comparison's difference, and the flips per bucket add up to its flip counts", async () => {
    const [ia, ib] = [
      await ResultsIndex.build(path.join(fixturesDir, 'runs/run-1.jsonl')),
      await ResultsIndex.build(path.join(fixturesDir, 'runs/run-2.jsonl')),
    ];
    const c = compareRuns(ia.entries, ib.entries, await pairRuns(ia, ib), 'mcq_infer');
    const view = {
      byCategoryDirection: c.byCategoryDirection,
      flipped: c.flipped.map((f) => ({ kind: f.kind, category: f.a.category, direction: f.a.direction })),
    };
    const bars = bucketBars(view);
    const expected = Object.entries(c.byCategoryDirection).flatMap(([cat, dirs]) => Object.keys(dirs).map((d) => [cat, d]));
    assert.deepEqual(
      bars.map((b) => [b.category, b.direction]),
      expected,
    );
    for (const b of bars) assert.equal(b.difference, c.byCategoryDirection[b.category][b.direction].difference);
    assert.equal(
      bars.reduce((n, b) => n + b.rightToWrong, 0),
      c.flips.rightToWrong,
    );
    assert.equal(
      bars.reduce((n, b) => n + b.wrongToRight, 0),
      c.flips.wrongToRight,
    );
    assert.ok(c.flips.rightToWrong + c.flips.wrongToRight > 0, 'the fixture runs differ');
  });
});

describe('curve smoothing', () => {
  test('weight 0 keeps the curve; a constant stays constant (debiased); nulls stay null and do not move the average', () => {
    assert.deepEqual(smoothCurve([1, 2, null, 4], 0), [1, 2, null, 4]);
    for (const v of smoothCurve([5, 5, 5, 5, 5], 0.9)) assert.ok(Math.abs(v! - 5) < 1e-12);
    const s = smoothCurve([0, null, 10], 0.5);
    assert.equal(s[1], null);
    // (0.5·(0.5·0 + 0.5·0) + 0.5·10) / (1 − 0.25) = 5 / 0.75
    assert.ok(Math.abs(s[2]! - 5 / 0.75) < 1e-12);
  });

  test('a step is followed late, more so with more weight', () => {
    const step = [...Array(10).fill(0), ...Array(10).fill(1)];
    const light = smoothCurve(step, 0.3);
    const heavy = smoothCurve(step, 0.9);
    assert.ok(light[10]! > heavy[10]!);
    assert.ok(light[19]! > 0.99 && heavy[19]! < 0.99);
  });
});

describe('the summary message with its charts', () => {
  test('passes the summary view schema as the panel builds it; a matrix of non-numbers does not', async () => {
    const idx = await ResultsIndex.build(demo);
    const byRule = { mcq_infer: summarise(demo, idx.entries, 0, 'mcq_infer'), grpo_reward: summarise(demo, idx.entries, 0, 'grpo_reward') };
    const charts = { mcq_infer: letterCharts(idx.entries, 'mcq_infer'), grpo_reward: letterCharts(idx.entries, 'grpo_reward') };
    const m = { type: 'summary', title: demo, filter: '', activeRule: 'mcq_infer', byRule, charts };
    assert.deepEqual(summaryHostMessageSchema.parse(m).charts, charts);
    const bad = structuredClone(m);
    (bad.charts.grpo_reward.confusion.counts[0] as unknown[])[0] = '<img src=x>';
    assert.equal(summaryHostMessageSchema.safeParse(bad).success, false);
  });
});
