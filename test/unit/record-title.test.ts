/**
 * recordTitle / pairTitle: the trace view's tab titles name records by id and direction, and a
 * re-run by the record it re-ran, never by its internal id ("<id>~<mode>~<8 hex digits>").
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pairTitle, recordTitle } from '../../src/core/recordText';

const original = { id: 'st-r1-test-001', direction: 'forward' };
const rerun = { id: 'st-r1-test-001~forward~388238c7', direction: 'forward' };
const reverseRerun = { id: 'st-r1-test-001~reverse~0123abcd', direction: 'forward' };

describe('tab titles (issue 11, bug 6)', () => {
  test('a record: its id and direction', () => {
    assert.equal(recordTitle(original), 'st-r1-test-001 · forward');
    assert.equal(recordTitle({ id: '0_12', direction: 'reverse' }), '0_12 · reverse');
  });

  test('a re-run: the record it re-ran and its thinking mode, not the internal id', () => {
    assert.equal(recordTitle(rerun), 'st-r1-test-001 · re-run, forward thinking');
    assert.equal(recordTitle(reverseRerun), 'st-r1-test-001 · re-run, reverse thinking');
    // Only the exact re-run pattern is read as one: an id that merely holds "~" stays as it is.
    assert.equal(recordTitle({ id: 'a~forward~xyz', direction: 'reverse' }), 'a~forward~xyz · reverse');
  });

  test('a pair: one id when both sides are (or re-ran) the same record', () => {
    assert.equal(pairTitle(original, rerun), 'st-r1-test-001 · forward ↔ re-run, forward thinking');
    assert.equal(pairTitle(rerun, reverseRerun), 'st-r1-test-001 · re-run, forward thinking ↔ re-run, reverse thinking');
    assert.equal(pairTitle(original, original), 'st-r1-test-001 · forward');
    assert.equal(
      pairTitle(original, { id: 'st-r1-test-002', direction: 'reverse' }),
      'st-r1-test-001 · forward ↔ st-r1-test-002 · reverse',
    );
    for (const t of [pairTitle(original, rerun), pairTitle(rerun, reverseRerun), recordTitle(rerun)]) assert.doesNotMatch(t, /~/);
  });
});
