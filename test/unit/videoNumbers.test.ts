/**
 * VideoNumbers (the summary's video names by number, 'reread' way): the numbers a Map would give,
 * for names that differ in one byte, in non-ASCII and in lone surrogates (which UTF-8 cannot keep
 * apart), across the table's and the buffer's growth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VideoNumbers } from '../../src/core/index/videoNumbers';

function oracle(): (name: string) => number {
  const m = new Map<string, number>();
  return (name) => {
    let v = m.get(name);
    if (v === undefined) m.set(name, (v = m.size));
    return v;
  };
}

test('the numbers a Map gives, in first-seen order, over 60,000 lookups of 20,000 names', () => {
  let seed = 5;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  const pieces = ['clip_', 'é', '视频', '\ud83c\udfa5', '/vi-lab/Ego-ST-bench/r1_video/', '', 'a', 'b', '\ud800', '\udc00', '.mp4'];
  const names: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    // Names that share long prefixes and differ late, or only in a surrogate half.
    let s = '';
    for (let k = 0, n = 1 + (next() % 4); k < n; k++) s += pieces[next() % pieces.length];
    names.push(s + String(next() % 5000));
  }
  const want = oracle();
  const got = new VideoNumbers();
  for (let i = 0; i < 60_000; i++) {
    const name = names[next() % names.length];
    assert.equal(got.numberOf(name), want(name), JSON.stringify(name));
  }
  assert.equal(got.size, want('\u0000never seen'));
});

test('two names of one length whose 32-bit FNV-1a hashes are equal get two numbers (the bytes decide)', () => {
  const v = new VideoNumbers();
  // Found by search: both hash to 0x73848a0f.
  assert.deepEqual([v.numberOf('clip_1039599.mp4'), v.numberOf('clip_1222382.mp4'), v.numberOf('clip_1039599.mp4')], [0, 1, 0]);
  assert.equal(v.numberOf('clip_1222382.mp4'), 1);
});

test('lone surrogates stay apart although UTF-8 writes both as U+FFFD; the empty name is a name', () => {
  const v = new VideoNumbers();
  const a = v.numberOf('x\ud800');
  const b = v.numberOf('x\udc00');
  const c = v.numberOf('x\ufffd');
  const d = v.numberOf('');
  assert.deepEqual([a, b, c, d], [0, 1, 2, 3]);
  assert.deepEqual([v.numberOf('x\udc00'), v.numberOf('x\ufffd'), v.numberOf(''), v.numberOf('x\ud800')], [1, 2, 3, 0]);
  v.clear();
  assert.equal(v.size, 0);
  assert.equal(v.numberOf('x\ufffd'), 0);
});
