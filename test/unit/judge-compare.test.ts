/**
 * The judge part of comparing two runs (or one run judged twice): each side's numbers per direction
 * as the summary counts them, the pairs by sample key per direction, B − A, the Wilcoxon test and
 * the agreement, and the export tables made from the same object.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRunJudgments, judgeComparisonTables, type JudgedSide } from '../../src/core/judge/compareRuns';
import type { RouteItem } from '../../src/core/judge/run';
import { judgesOfFile, type Scored } from '../../src/core/judge/summary';
import type { Judgment } from '../../src/core/judge/store';
import { wilcoxon } from '../../src/core/judge/stats';
import { renderTable } from '../../src/core/export';
import { agreementWebviewMessageSchema, hostMessageSchema, judgeComparisonViewSchema } from '../../src/core/protocol';

const item = (id: string, direction: 'forward' | 'reverse', prediction = 'go left'): RouteItem => ({
  id,
  line: 0,
  direction,
  question: 'q',
  reference: 'turn left',
  prediction,
});
const scored = (d: number, l: number, s: number, status: Scored['status'] = 'scored'): Scored => ({
  status,
  parts: { direction: d, landmark: l, semantic: s },
  total: (d + l + s) / 3,
});
const side = (items: RouteItem[], scores: Record<string, Scored>): JudgedSide => ({ items, scoreOf: (i) => scores[i.id] });

// A: f1 f2 f3(skipped: empty prediction) r1 r2 r3(failed) r4(not judged); B: the same keys, judged otherwise, and b-only r5.
const itemsA = [item('f1', 'forward'), item('f2', 'forward'), item('f3', 'forward', ' '), item('r1', 'reverse')];
itemsA.push(item('r2', 'reverse'), item('r3', 'reverse'), item('r4', 'reverse'));
const itemsB = [...itemsA.filter((i) => i.id !== 'f3'), item('f3', 'forward'), item('r5', 'reverse')];
const A = side(itemsA, {
  f1: scored(3, 3, 3),
  f2: scored(4, 2, 3),
  r1: scored(1, 2, 3),
  r2: scored(5, 5, 5),
  r3: scored(0, 0, 0, 'failed'),
});
const B = side(itemsB, {
  f1: scored(4, 4, 4),
  f2: scored(4, 2, 3),
  f3: scored(2, 2, 2),
  r1: scored(2, 2, 2),
  r2: scored(5, 4, 5),
  r3: scored(3, 3, 3),
  r4: scored(1, 1, 1, 'unparsed'),
  r5: scored(5, 5, 5),
});

describe('compareRunJudgments', () => {
  const c = compareRunJudgments(A, B);

  test('each side per direction, as the summary counts it (failed and unreadable as 0 in the mean)', () => {
    assert.deepEqual(c.a, { judged: 5, skipped: 1, failed: 1, unparsed: 0, notJudged: 1, mean: (3 + 3 + 2 + 5 + 0) / 5 });
    assert.deepEqual(c.byDirection.forward.a, { judged: 2, skipped: 1, failed: 0, unparsed: 0, notJudged: 0, mean: 3 });
    assert.deepEqual(c.byDirection.reverse.a, { judged: 3, skipped: 0, failed: 1, unparsed: 0, notJudged: 1, mean: (2 + 5 + 0) / 3 });
    assert.deepEqual(c.byDirection.reverse.b, {
      judged: 5,
      skipped: 0,
      failed: 0,
      unparsed: 1,
      notJudged: 0,
      mean: (2 + 14 / 3 + 3 + 1 + 5) / 5,
    });
  });

  test('pairs by key, per direction: failed calls and unreadable replies are no pair', () => {
    // Pairs: f1 f2 (forward), r1 r2 (reverse); A's r3 failed, B's r4 unreadable; f3 and r5 judged in B only.
    assert.deepEqual([c.pairs, c.onlyA, c.onlyB], [4, 0, 3]);
    assert.deepEqual([c.byDirection.forward.pairs, c.byDirection.forward.onlyB], [2, 1]);
    assert.deepEqual([c.byDirection.reverse.pairs, c.byDirection.reverse.onlyB], [2, 2]);
    assert.equal(c.byDirection.forward.meanDiff, (4 - 3 + 0) / 2);
    assert.equal(c.byDirection.reverse.meanDiff, (2 - 2 + (14 / 3 - 5)) / 2);
    assert.deepEqual(c.byDirection.forward.wilcoxon, wilcoxon([4, 3], [3, 3]));
    assert.deepEqual(c.wilcoxon, wilcoxon([4, 3, 2, 14 / 3], [3, 3, 2, 5]));
    // The landmark part over the 4 pairs: A 3, 2, 2, 5 against B 4, 2, 2, 4: 2 exact, |differences| 1, 0, 0, 1.
    assert.deepEqual([c.agreement.landmark.n, c.agreement.landmark.exactMatch, c.agreement.landmark.meanAbsDiff], [4, 0.5, 0.5]);
  });

  test('no judgment on either side: zero pairs, no test', () => {
    const none = compareRunJudgments(side(itemsA, {}), side(itemsB, {}));
    assert.deepEqual([none.pairs, none.meanDiff, none.wilcoxon, none.a.judged, none.a.notJudged], [0, null, null, 0, 6]);
  });

  test('export: per direction then both, and the per-part agreement', () => {
    const [scores, agreement] = judgeComparisonTables(c);
    assert.deepEqual(
      scores.rows.map((r) => r[0]),
      ['forward', 'reverse', 'both'],
    );
    assert.equal(scores.rows.length, 3);
    assert.equal(scores.columns.length, scores.rows[0].length);
    assert.equal(scores.columns.length, scores.right!.length);
    const both = Object.fromEntries(scores.columns.map((k, i) => [k, scores.rows[2][i]]));
    assert.deepEqual([both['A judged'], both['A failed'], both['B unreadable'], both.pairs, both['B - A']], ['5', '1', '1', '4', '0.1667']);
    assert.equal(agreement.rows[1].join(','), 'landmark,4,0.5,0.5,' + agreement.rows[1][4] + ',4');
    assert.match(renderTable(agreement, 'csv'), /^part,pairs,exact match,mean \|difference\|,quadratic kappa,pairs in kappa\r?\n/);
  });

  test('the views\u2019 messages carry it, checked (a test with no spread: p is NaN, as scipy\u2019s nan)', () => {
    const many = Array.from({ length: 51 }, (_, i) => item(`k${i}`, i % 2 ? 'reverse' : 'forward'));
    const same = Object.fromEntries(many.map((i) => [i.id, scored(3, 3, 3)]));
    const tied = compareRunJudgments(side(many, same), side(many, same));
    assert.equal(tied.wilcoxon?.method, 'normal');
    assert.ok(Number.isNaN(tied.wilcoxon?.pvalue));
    assert.ok(judgeComparisonViewSchema.safeParse(tied).success);
    const m = { type: 'judgeAgreement', file: '/r.json', a: 'gpt-4o', b: 'local', judge: c };
    assert.deepEqual(hostMessageSchema.parse(m), m);
    assert.ok(!hostMessageSchema.safeParse({ ...m, judge: { ...c, byDirection: { forward: c.byDirection.forward } } }).success);
    assert.ok(!hostMessageSchema.safeParse({ ...m, judge: { ...c, a: { ...c.a, judged: '5' } } }).success);
    assert.ok(agreementWebviewMessageSchema.safeParse({ type: 'exportAgreement' }).success);
  });
});

describe('the judges of a judgments file (Judge Agreement… offers each)', () => {
  const j = (record: string, model: string, templateHash: string, total: number): Judgment => ({
    v: 1,
    key: `${record}|${model}|${templateHash}`,
    record,
    line: 1,
    direction: 'forward',
    model,
    endpoint: 'http://127.0.0.1:1/v1',
    templateHash,
    status: 'scored',
    parts: { direction: total, landmark: total, semantic: total },
    total,
    at: '2026-12-06T00:00:00Z',
    referenceHash: 'r',
    predictionHash: 'p',
  });
  test('each model with all its judgments; a model re-judged under another template also once per template', () => {
    const all = [j('a', 'gpt-4o', 'aaaaaaaa11', 3), j('a', 'judge-b', 'aaaaaaaa11', 2), j('b', 'gpt-4o', 'aaaaaaaa11', 4)];
    all.push(j('a', 'gpt-4o', 'bbbbbbbb22', 5), j('b', 'judge-b', 'aaaaaaaa11', 1));
    const judges = judgesOfFile(all);
    assert.deepEqual(
      judges.map((x) => [x.id, x.model, x.templateHash, x.judgments.map((y) => y.total)]),
      [
        ['gpt-4o', 'gpt-4o', undefined, [3, 4, 5]],
        ['gpt-4o · template aaaaaaaa', 'gpt-4o', 'aaaaaaaa11', [3, 4]],
        ['gpt-4o · template bbbbbbbb', 'gpt-4o', 'bbbbbbbb22', [5]],
        ['judge-b', 'judge-b', undefined, [2, 1]],
      ],
    );
  });
  test('a file with one template per model keeps the model names as they are', () => {
    assert.deepEqual(
      judgesOfFile([j('a', 'm1', 't', 1), j('a', 'm2', 't', 2)]).map((x) => x.id),
      ['m1', 'm2'],
    );
  });
});
