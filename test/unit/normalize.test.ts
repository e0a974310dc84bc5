/**
 * normalise (src/core/normalize.ts) on values that are no shape: the needed fields checked before
 * any schema (SHAPE_NEEDS in schemas.ts) never change what loads, and spare the schema parses that
 * made an invalid line ~200 times as costly as a valid one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResultsIndex } from '../../src/core/index';
import { guessShape, normalise, normaliseStats } from '../../src/core/normalize';
import { benchmarkSchema, canonicalSchema, harnessSchema, SHAPE_NEEDS, SHAPES, stR1Schema, type ShapeName } from '../../src/core/schemas';
import { makeTempDir, removeDir } from './helpers';

const SCHEMAS = { canonical: canonicalSchema, 'st-r1': stR1Schema, benchmark: benchmarkSchema, harness: harnessSchema } as const;

const SAMPLES: Record<ShapeName, Record<string, unknown>> = {
  canonical: { id: 'a', video: '/v.mp4', question: 'Which way? Options: A. left, B. right', gold: 'A', response: '<answer>A</answer>' },
  'st-r1': { problem: 'Which way? Options: A. left, B. right', solution: '<answer>A</answer>', video: '/v.mp4', original_answer: 'A' },
  benchmark: { video: '/v.mp4', forward_mcq: { question: 'Which way?', options: ['A. left', 'B. right'], answer: 'A' }, predict: 'A' },
  harness: {
    doc_id: 3,
    doc: { question: 'Which way? Options: A. left, B. right', video: '/v.mp4' },
    target: 'A',
    resps: [['<answer>A</answer>']],
  },
};

/** What normalise must answer: the first shape, in its order of trial, whose schema accepts the value. */
function reference(value: Record<string, unknown>): ShapeName | undefined {
  const guess = guessShape(value);
  for (const s of [guess, ...SHAPES.filter((x) => x !== guess)]) if (SCHEMAS[s].safeParse(value).success) return s;
  return undefined;
}

const ODD_VALUES: unknown[] = [undefined, null, 0, 7, '', '  ', 'x', [], ['x'], [['x']], {}, { question: 'q' }, true];

/** Every value made from the samples by one or two changes of a top-level field, and their mixtures. */
function mutations(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const bases = [...Object.values(SAMPLES), { ...SAMPLES.canonical, ...SAMPLES['st-r1'] }, { ...SAMPLES.harness, ...SAMPLES.canonical }];
  bases.push({ ...SAMPLES.benchmark, reverse_mcq: SAMPLES.benchmark.forward_mcq }, { video: '/v.mp4', question: 'q', forward_answer: 'x' });
  for (const base of bases) {
    const keys = [...Object.keys(base), 'id', 'category', 'direction', 'options', 'forward_answer', 'reverse_mcq', 'doc'];
    for (const k of keys) {
      for (const v of ODD_VALUES) {
        const m: Record<string, unknown> = { ...base, [k]: v };
        if (v === undefined) delete m[k];
        out.push(m);
        for (const k2 of ['video', 'response', 'resps']) out.push({ ...m, [k2]: k2 === 'resps' ? 'x' : 5 });
      }
    }
  }
  return out;
}

describe('the needed fields checked before the schemas', () => {
  test('SHAPE_NEEDS agrees with the schemas: each needed field, missing or of another JSON type, fails its schema', () => {
    const wrong = { text: 5, id: [], object: 'x', array: 'x' } as const;
    for (const shape of SHAPES) {
      assert.ok(SCHEMAS[shape].safeParse(SAMPLES[shape]).success, shape);
      for (const [key, kind] of SHAPE_NEEDS[shape]) {
        const missing = { ...SAMPLES[shape] };
        delete missing[key];
        assert.ok(!SCHEMAS[shape].safeParse(missing).success, `${shape} without ${key}`);
        assert.ok(!SCHEMAS[shape].safeParse({ ...SAMPLES[shape], [key]: wrong[kind] }).success, `${shape} with a wrong ${key}`);
      }
    }
  });

  test('over thousands of altered records, normalise loads exactly what the schemas accept, as the same shape', () => {
    const values = mutations();
    assert.ok(values.length > 2000, `${values.length} values`);
    let loaded = 0;
    for (const v of values) {
      const expected = reference(v);
      const got = normalise(v, { line: 1 });
      assert.equal(got.ok ? got.record.shape : undefined, expected, JSON.stringify(v));
      if (got.ok) loaded++;
      else assert.match(got.error, /^no known shape \(/);
    }
    assert.ok(loaded > 100 && loaded < values.length - 100, `${loaded} of ${values.length} load`);
  });

  test('a value that can be no shape costs no schema parse; one that only one shape may be, one', () => {
    const parses = (v: unknown) => {
      const before = normaliseStats.schemaParses;
      normalise(v, { line: 1 });
      return normaliseStats.schemaParses - before;
    };
    const { id: _id, ...noId } = SAMPLES.canonical;
    for (const v of [
      {},
      noId,
      { ...SAMPLES.canonical, response: 5 },
      { ...SAMPLES.benchmark, reverse_mcq: {} },
      { x: 1 },
      { video: 'v' },
    ]) {
      assert.equal(parses(v), 0, JSON.stringify(v));
    }
    assert.equal(parses(SAMPLES.canonical), 1);
    assert.equal(parses({ ...SAMPLES.canonical, category: 'bogus' }), 1);
    assert.equal(parses({ ...SAMPLES.canonical, id: '  ' }), 1);
    assert.equal(parses({ ...SAMPLES.harness, doc: {} }), 1);
    for (const v of mutations()) assert.ok(parses(v) <= 2, JSON.stringify(v));
  });

  test('a file of one valid line and 20,000 {} lines: one schema parse in all, every problem counted', async () => {
    const dir = makeTempDir('normalise');
    try {
      const file = path.join(dir, 'empties.jsonl');
      fs.writeFileSync(file, JSON.stringify(SAMPLES.canonical) + '\n' + '{}\n'.repeat(20_000));
      const before = normaliseStats.schemaParses;
      const index = await ResultsIndex.build(file);
      assert.equal(normaliseStats.schemaParses - before, 1);
      assert.equal(index.entries.length, 1);
      assert.equal(index.problemCount, 20_000);
      assert.equal(
        index.problems[0].message,
        'no known shape (canonical: missing "id"; st-r1: missing "problem"; benchmark: missing "video"; harness: missing "doc_id")',
      );
    } finally {
      removeDir(dir);
    }
  });
});
