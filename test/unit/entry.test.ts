/**
 * The packed index entry (src/core/index/entry.ts): every field reads back as written, through every
 * value it can take; rare values (a gold or prediction that is not one capital letter, the category
 * evidence) are kept aside and given back; an entry whose rare values are cleared equals one that never
 * had them, as the index's "unchanged?" comparison needs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Entry } from '../../src/core/index/entry';
import { CATEGORIES, DIRECTIONS, FORMAT_VERDICTS, NA_REASONS, OUTCOMES, SHAPES } from '../../src/core/schemas';

const verdicts = { gold: 'B', format: 'valid', mcq: 'correct', mcqPred: 'B', grpo: 'incorrect', grpoPred: 'C', na: undefined } as const;
const make = () => new Entry(7, 120, 33, 'id-7', 'canonical', '/v.mp4', 'Which way?', 'landmark', undefined, 'forward', verdicts);

describe('packed index entries', () => {
  test('every field reads back as written, for every value it can take', () => {
    const e = make();
    assert.deepEqual(e.toJSON(), {
      line: 7,
      offset: 120,
      length: 33,
      id: 'id-7',
      shape: 'canonical',
      video: '/v.mp4',
      label: 'Which way?',
      category: 'landmark',
      wordedAs: undefined,
      evidence: undefined,
      direction: 'forward',
      ...verdicts,
    });
    for (const v of SHAPES) assert.equal(Object.assign(make(), { shape: v }).shape, v);
    for (const v of CATEGORIES) {
      const x = make();
      x.category = v;
      x.wordedAs = v;
      assert.deepEqual([x.category, x.wordedAs, x.direction, x.mcq, x.grpo], [v, v, 'forward', 'correct', 'incorrect']);
    }
    for (const v of DIRECTIONS) assert.equal(Object.assign(make(), { direction: v }).direction, v);
    for (const v of FORMAT_VERDICTS) assert.equal(Object.assign(make(), { format: v }).format, v);
    for (const v of OUTCOMES) {
      const x = Object.assign(make(), { mcq: v, grpo: v });
      assert.deepEqual([x.mcq, x.grpo, x.format], [v, v, 'valid']);
    }
    for (const v of [...NA_REASONS, undefined]) assert.equal(Object.assign(make(), { na: v }).na, v);
    const cleared = make();
    cleared.wordedAs = 'action';
    cleared.wordedAs = undefined;
    assert.deepEqual(cleared, make());
  });

  test('letters: one capital letter packed, anything else kept aside, and given back', () => {
    for (const v of ['', 'A', 'Z', 'a', 'AB', 'É', ' B', '1', '\u0000', 'No video file specified.']) {
      const x = make();
      x.gold = v;
      x.mcqPred = v;
      x.grpoPred = v;
      assert.deepEqual([x.gold, x.mcqPred, x.grpoPred], [v, v, v], JSON.stringify(v));
    }
    const x = make();
    x.gold = 'b';
    x.mcqPred = 'first';
    x.gold = 'B';
    x.mcqPred = 'B';
    assert.deepEqual(x, make(), 'rare letters cleared leave no trace');
  });

  test('evidence: set, read, cleared to an entry equal to a fresh one', () => {
    const x = make();
    const ev = { kind: 'reverse-action', line: 9, id: 'r', sharedPhrases: 12 } as const;
    x.category = 'action';
    x.wordedAs = 'landmark';
    x.evidence = ev;
    assert.deepEqual([x.category, x.wordedAs, x.evidence], ['action', 'landmark', ev]);
    assert.equal(JSON.parse(JSON.stringify(x)).evidence.sharedPhrases, 12);
    x.category = 'landmark';
    x.wordedAs = undefined;
    x.evidence = undefined;
    assert.deepEqual(x, make());
  });
});
