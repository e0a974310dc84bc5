/**
 * Packed entries (src/core/index/packed.ts): what a worker thread posts back for its half of a file
 * must unpack to the same entries, every field kept.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry } from '../../src/core/index/entry';
import type { IndexEntry } from '../../src/core/index';
import { packEntries, unpackEntries } from '../../src/core/index/packed';

describe('packed entries', () => {
  test('entries travel packed from a worker thread with their format verdict and reason', () => {
    const base: IndexEntry = {
      line: 3,
      offset: 10,
      length: 5,
      id: 'x',
      shape: 'benchmark',
      video: '',
      label: 'l',
      category: 'direction',
      wordedAs: undefined,
      evidence: undefined,
      direction: 'reverse',
      gold: 'B',
      format: 'n/a',
      mcq: 'correct',
      mcqPred: 'B',
      grpo: 'unscored',
      grpoPred: '',
      na: 'letter-only',
    };
    const list: IndexEntry[] = [
      base,
      { ...base, id: 'y', format: 'valid', grpo: 'correct', grpoPred: 'B', na: undefined },
      { ...base, id: 'z', format: 'invalid', na: undefined, grpo: 'unanswered' },
      // An action question worded as a landmark question keeps both through the packing.
      { ...base, id: 'w', category: 'action', wordedAs: 'landmark', direction: 'forward' },
    ];
    const out: IndexEntry[] = [];
    unpackEntries(packEntries(list), 0, (s) => s, out);
    // Entries are kept packed (entry.ts): compared as the IndexEntry they read as.
    assert.deepEqual(
      out.map((e) => (e as Entry).toJSON()),
      list,
    );
  });
});
