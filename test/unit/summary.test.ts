/**
 * summary.ts on hand-made entries: accuracy = correct / (correct + incorrect + unanswered), unscored
 * counted apart; buckets ordered by the category and direction lists; the table names both rules.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexEntry } from '../../src/core/index';
import type { Category, Direction, NaReason, Outcome } from '../../src/core/schemas';
import {
  bucketOf,
  categoryAt,
  formatAccuracy,
  formatAt,
  outcomeAt,
  outcomeOf,
  predictedOf,
  summarise,
  summaryTable,
} from '../../src/core/summary';
import { CATEGORIES, FORMAT_VERDICTS, OUTCOMES } from '../../src/core/vocabulary';

function entry(
  id: string,
  category: Category,
  direction: Direction,
  mcq: Outcome,
  grpo: Outcome,
  formatValid: boolean,
  na?: NaReason,
): IndexEntry {
  return {
    line: 1,
    offset: 0,
    length: 1,
    id,
    shape: 'canonical',
    video: `/v/${id}.mp4`,
    label: id,
    category,
    direction,
    gold: 'A',
    format: na ? 'n/a' : formatValid ? 'valid' : 'invalid',
    mcq,
    mcqPred: mcq === 'correct' ? 'A' : mcq === 'incorrect' ? 'B' : '',
    grpo,
    grpoPred: grpo === 'correct' ? 'A' : grpo === 'incorrect' ? 'b' : '',
    na,
  };
}

// Deliberately out of the category/direction order.
const entries: IndexEntry[] = [
  entry('e3', 'action', 'reverse', 'unanswered', 'incorrect', true),
  entry('e4', 'route', 'forward', 'unscored', 'unscored', true),
  entry('e2', 'landmark', 'reverse', 'incorrect', 'unanswered', false),
  entry('e1', 'landmark', 'forward', 'correct', 'correct', true),
  entry('e6', 'other', 'reverse', 'unscored', 'unscored', false),
  entry('e5', 'direction', 'forward', 'correct', 'incorrect', false),
];

describe('summarise', () => {
  test('overall under mcq_infer: unanswered in the denominator, unscored excluded', () => {
    const s = summarise('/tmp/x.jsonl', entries, 7, 'mcq_infer');
    assert.equal(s.file, '/tmp/x.jsonl');
    assert.equal(s.rule, 'mcq_infer');
    assert.equal(s.records, 6);
    assert.equal(s.invalid, 7);
    assert.equal(s.formatValid, 3);
    assert.deepEqual(s.overall, {
      records: 6,
      total: 4,
      correct: 2,
      incorrect: 1,
      unanswered: 1,
      unscored: 2,
      na: 0,
      accuracy: 0.5,
    });
  });

  test('overall under grpo_reward', () => {
    const s = summarise('f', entries, 0, 'grpo_reward');
    assert.equal(s.rule, 'grpo_reward');
    assert.deepEqual(s.overall, {
      records: 6,
      total: 4,
      correct: 1,
      incorrect: 2,
      unanswered: 1,
      unscored: 2,
      na: 0,
      accuracy: 0.25,
    });
  });

  test('byCategory in the order route, direction, landmark, action, other', () => {
    const s = summarise('f', entries, 0, 'mcq_infer');
    assert.deepEqual(Object.keys(s.byCategory), ['route', 'direction', 'landmark', 'action', 'other']);
    assert.deepEqual(Object.fromEntries(Object.entries(s.byCategory).map(([k, b]) => [k, [b.records, b.total, b.correct, b.accuracy]])), {
      route: [1, 0, 0, null],
      direction: [1, 1, 1, 1],
      landmark: [2, 2, 1, 0.5],
      action: [1, 1, 0, 0],
      other: [1, 0, 0, null],
    });
  });

  test('byDirection forward before reverse, and byCategoryDirection', () => {
    const s = summarise('f', entries, 0, 'mcq_infer');
    assert.deepEqual(Object.keys(s.byDirection), ['forward', 'reverse']);
    assert.deepEqual(
      [s.byDirection.forward.records, s.byDirection.forward.total, s.byDirection.forward.correct, s.byDirection.forward.accuracy],
      [3, 2, 2, 1],
    );
    assert.deepEqual(
      [s.byDirection.reverse.records, s.byDirection.reverse.total, s.byDirection.reverse.correct, s.byDirection.reverse.accuracy],
      [3, 2, 0, 0],
    );
    assert.deepEqual(Object.keys(s.byCategoryDirection.landmark), ['forward', 'reverse']);
    assert.equal(s.byCategoryDirection.landmark.forward.accuracy, 1);
    assert.equal(s.byCategoryDirection.landmark.reverse.accuracy, 0);
    assert.equal(s.byCategoryDirection.landmark.reverse.incorrect, 1);
    assert.deepEqual(Object.keys(s.byCategoryDirection.action), ['reverse']);
  });

  test('categories and directions with no record are left out; empty input', () => {
    const s = summarise('f', [entries[3]], 0, 'mcq_infer');
    assert.deepEqual(Object.keys(s.byCategory), ['landmark']);
    assert.deepEqual(Object.keys(s.byDirection), ['forward']);
    const empty = summarise('f', [], 2, 'mcq_infer');
    assert.equal(empty.overall.accuracy, null);
    assert.equal(empty.records, 0);
    assert.deepEqual(empty.byCategory, {});
  });
});

describe('bucket helpers', () => {
  test("the tally's slots are the vocabulary's order (categoryAt, outcomeAt: comparisons instead of indexOf)", () => {
    assert.deepEqual(
      CATEGORIES.map((c) => categoryAt(c)),
      CATEGORIES.map((_, i) => i),
    );
    assert.deepEqual(
      OUTCOMES.map((o) => outcomeAt(o)),
      OUTCOMES.map((_, i) => i),
    );
    assert.deepEqual(
      FORMAT_VERDICTS.map((f) => formatAt(f)),
      FORMAT_VERDICTS.map((_, i) => i),
    );
  });

  test('outcomeOf / predictedOf follow the rule', () => {
    const e = entries[5];
    assert.equal(outcomeOf(e, 'mcq_infer'), 'correct');
    assert.equal(outcomeOf(e, 'grpo_reward'), 'incorrect');
    assert.equal(predictedOf(e, 'mcq_infer'), 'A');
    assert.equal(predictedOf(e, 'grpo_reward'), 'b');
  });

  test('bucketOf and formatAccuracy', () => {
    const b = bucketOf(entries.slice(0, 3), 'mcq_infer');
    // unanswered, unscored, incorrect → 0 of 2
    assert.deepEqual([b.records, b.total, b.correct, b.accuracy], [3, 2, 0, 0]);
    assert.equal(formatAccuracy(b), '0.0%');
    assert.equal(formatAccuracy({ accuracy: 2 / 3, correct: 2, total: 3 }), '66.7%');
    assert.equal(formatAccuracy({ accuracy: null, correct: 0, total: 0 }), '—');
  });
});

describe('summaryTable', () => {
  const table = summaryTable({
    mcq_infer: summarise('f', entries, 0, 'mcq_infer'),
    grpo_reward: summarise('f', entries, 0, 'grpo_reward'),
  });
  const rows = table.split('\n').map((l) => l.trim().split(/\s{2,}/));

  test('header names both rules', () => {
    assert.deepEqual(rows[0], ['category', 'direction', 'records', 'mcq_infer', 'grpo_reward']);
    assert.match(rows[1].join(' '), /^-+( -+)+$/);
  });

  test('rows per category and direction with both rules side by side', () => {
    const find = (cat: string, dir: string) => rows.find((r) => r[0] === cat && r[1] === dir);
    assert.deepEqual(find('landmark', 'forward'), ['landmark', 'forward', '1', '1/1 100.0%', '1/1 100.0%']);
    assert.deepEqual(find('landmark', 'reverse'), ['landmark', 'reverse', '1', '0/1 0.0%', '0/1 0.0%']);
    assert.deepEqual(find('landmark', 'both'), ['landmark', 'both', '2', '1/2 50.0%', '1/2 50.0%']);
    assert.deepEqual(find('route', 'forward'), ['route', 'forward', '1', '—', '—']);
    assert.deepEqual(find('all', 'forward'), ['all', 'forward', '3', '2/2 100.0%', '1/2 50.0%']);
    assert.deepEqual(find('all', 'both'), ['all', 'both', '6', '2/4 50.0%', '1/4 25.0%']);
    assert.deepEqual(rows[rows.length - 1][0], 'all');
    // Categories in the fixed order.
    const cats = rows
      .slice(2)
      .map((r) => r[0])
      .filter((c, i, a) => a.indexOf(c) === i);
    assert.deepEqual(cats, ['route', 'direction', 'landmark', 'action', 'other', 'all']);
  });
});
