/** The analysis of a response still being written (a streaming re-run). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyse } from '../../src/core/derive';
import { analysePartial } from '../../src/core/streaming';

const at = (response: string) => analysePartial({ response, gold: 'B. two', category: 'landmark' });

describe('analysePartial', () => {
  test('an open think block: its text so far, no answer yet', () => {
    const a = at('<think>Let us look. The door');
    assert.equal(a.think, 'Let us look. The door');
    assert.equal(a.answer, undefined);
    assert.equal(a.format, 'invalid');
  });

  test('a closed think and an open answer: the answer so far', () => {
    const a = at('<think>seen</think><answer>B');
    assert.equal(a.think, 'seen');
    assert.equal(a.answer, 'B');
  });

  test('nothing tagged yet: neither', () => {
    const a = at('The');
    assert.equal(a.think, undefined);
    assert.equal(a.answer, undefined);
  });

  test('a finished response: exactly analyse', () => {
    const response = '<think>one. two.</think>\n<answer>B. two</answer>';
    assert.deepEqual(at(response), analyse({ response, gold: 'B. two', category: 'landmark' }));
  });
});
