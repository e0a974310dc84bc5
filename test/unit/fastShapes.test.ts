/**
 * The fast checks (src/core/fastShapes.ts) against the zod schemas they stand in for: on every value
 * a fast check is sure of, the schema accepts it too and outputs the same fields; real rows and the
 * repository's sample take the fast path.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchmarkFast, canonicalFast, stR1Fast } from '../../src/core/fastShapes';
import { benchmarkSchema, canonicalSchema, stR1Schema } from '../../src/core/schemas';
import { realDataFile, repoRoot } from './helpers';

const CHECKS = [
  { name: 'canonical', fast: canonicalFast, schema: canonicalSchema },
  { name: 'st-r1', fast: stR1Fast, schema: stR1Schema },
  { name: 'benchmark', fast: benchmarkFast, schema: benchmarkSchema },
] as const;

const BASES: Record<string, unknown>[] = [
  { id: 'a', video: '/v.mp4', question: 'Which way? Options: A. left, B. right', gold: 'A', response: '<answer>A</answer>' },
  {
    id: 7,
    video: 'v',
    question: 'q',
    options: ['A. x'],
    response: '',
    category: 'Action',
    direction: 'REVERSE',
    model: 'm',
    mode: 'reverse',
  },
  { problem: 'Which way?', solution: '<answer>A</answer>', video: '/v.mp4', original_answer: 'A', original_question: 'q' },
  { video: '/v.mp4', forward_mcq: { question: 'Which way?', options: ['A. left', 'B. right'], answer: 'A' }, predict: 'A' },
  { video: '', reverse_mcq: { question: 'q', options: [] }, answer: 'B' },
  { video: '/v.mp4', question: 'Describe the route.', forward_answer: 'x', predict: 'y' },
];

const ODD: unknown[] = [
  undefined,
  null,
  0,
  -1.5,
  Infinity,
  '',
  ' \u3000\ufeff',
  '\u180e',
  'x',
  'Landmark',
  'İ',
  'FORWARD',
  [],
  ['x'],
  [1],
  {},
  { name: 'm' },
  { question: 'q', options: ['A. a'] },
  { question: ' ', options: ['A. a'] },
  { question: 'q', options: 'A. a' },
  { question: 'q', options: ['A. a'], answer: 3 },
  true,
];

function values(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const base of BASES) {
    out.push(base);
    const keys = new Set([...Object.keys(base), 'id', 'category', 'direction', 'options', 'gold', 'model', 'frames', 'meta', 'question']);
    for (const k of ['forward_mcq', 'reverse_mcq', 'forward_answer', 'reverse_answer', 'answer', 'predict', 'sourceId']) keys.add(k);
    for (const k of keys) {
      for (const v of ODD) {
        const m: Record<string, unknown> = { ...base, [k]: v };
        if (v === undefined) delete m[k];
        out.push(m);
      }
    }
  }
  return out;
}

/** The fields of two outputs, an absent key read as undefined. */
function sameFields(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  }
  return true;
}

describe('fast shape checks', () => {
  test('whenever a fast check is sure, its schema accepts the value with the same output', () => {
    const all = values();
    for (const { name, fast, schema } of CHECKS) {
      let sure = 0;
      let unsureAccepted = 0;
      for (const v of all) {
        const got = fast(v);
        const ref = schema.safeParse(v);
        if (got === undefined) {
          if (ref.success) unsureAccepted++;
          continue;
        }
        sure++;
        assert.ok(ref.success, `${name}: fast accepted what the schema rejects: ${JSON.stringify(v)}`);
        assert.ok(sameFields(got as Record<string, unknown>, ref.data as Record<string, unknown>), `${name}: ${JSON.stringify(v)}`);
      }
      // The fast path must be the common one, and leave to zod only the rare objects it copies.
      assert.ok(sure > 40, `${name}: ${sure} sure`);
      assert.ok(unsureAccepted < sure, `${name}: ${unsureAccepted} left to the schema though valid, ${sure} sure`);
    }
  });

  test('white space as the schemas read it: /\\S/ over every BMP character', () => {
    for (let c = 0; c <= 0xffff; c++) {
      const s = String.fromCharCode(c);
      const v = { problem: s, solution: '', video: 'v' };
      assert.equal(stR1Fast(v) !== undefined, /\S/.test(s), `U+${c.toString(16)}`);
    }
  });

  test('the 126 real ST-R1 rows and the demo run take the fast path', () => {
    const rows = fs.readFileSync(realDataFile, 'utf8').trim().split('\n');
    assert.equal(rows.length, 126);
    for (const l of rows) assert.ok(stR1Fast(JSON.parse(l)), l.slice(0, 80));
    // The demo run holds a few damaged lines on purpose: every line that a schema accepts is fast.
    const demo = fs.readFileSync(path.join(repoRoot, 'samples/st-r1-demo-run.jsonl'), 'utf8').trim().split('\n');
    let valid = 0;
    let fast = 0;
    for (const l of demo) {
      let v: Record<string, unknown>;
      try {
        v = JSON.parse(l);
      } catch {
        continue;
      }
      if (CHECKS.some((c) => c.schema.safeParse(v).success)) valid++;
      if (CHECKS.some((c) => c.fast(v) !== undefined)) fast++;
    }
    assert.ok(valid > 100, `${valid} valid`);
    assert.equal(fast, valid);
  });
});
