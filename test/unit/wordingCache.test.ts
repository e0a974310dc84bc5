/**
 * The wording cache (derive.ts): whatever it has seen before, a question gets the wording a fresh
 * analysis of it gives. Its shortcut (a question starting with the text before "Options:" of one
 * seen, "Options:" right after) must never give another question's wording: questions are made
 * here to share heads, with case-insensitive markers ("options :", "OPTIONS:") before, inside and
 * after them, blank lines and "Instructions:" in between.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WordingCache } from '../../src/core/derive';

const STEMS = [
  'Based on this video, which landmarks (objects or scenery changes) did you pass by to reach your destination?',
  'Based on this video, which actions did you perform to return to the starting point?',
  'Based on this video, what directions do you need to go through to get to starting point ?',
  'Please describe in detail how to get to the final location.',
];
const INSERTS = ['', ' options : ', ' OPTIONS:', '\n\n', ' Instructions: pick one.', ' Options', 'ptions:', ' Options\t:'];
const TAILS = [' Options: A. left, B. right', 'Options: A. x', ' options: A. y', '', ' Options:A. z\n\nInstructions: answer'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

describe('wording cache', () => {
  test('20,000 questions sharing heads: the cache gives what a fresh analysis gives', () => {
    const r = rng(20261206);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
    const cache = new WordingCache();
    let shortcut = 0;
    for (let i = 0; i < 20_000; i++) {
      const q = pick(['', 'Please take a egocentric view. ']) + pick(STEMS) + pick(INSERTS) + pick(TAILS) + pick(INSERTS) + pick(TAILS);
      const fresh = new WordingCache().get(q);
      const got = cache.get(q);
      assert.deepEqual(got, fresh, JSON.stringify(q));
      if (got !== fresh) shortcut++;
    }
    // The cache did answer from what it had seen (its objects, not the fresh ones).
    assert.ok(shortcut > 10_000, `${shortcut} answered from the cache`);
  });
});
