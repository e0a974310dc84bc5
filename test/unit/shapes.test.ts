/**
 * Every file shape through ResultsIndex.build on the fixtures in test/fixtures: entries, derived
 * fields, line numbers, and readRecord / readRaw round-tripping to the original record.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ResultsIndex, type IndexEntry } from '../../src/core/index';
import { fixture, jsonlRows } from './helpers';

/** Pick the fields a test cares about, in a stable order. */
function brief(e: IndexEntry) {
  return {
    line: e.line,
    id: e.id,
    shape: e.shape,
    category: e.category,
    direction: e.direction,
    gold: e.gold,
    format: e.format,
    mcq: `${e.mcq}:${e.mcqPred}`,
    grpo: `${e.grpo}:${e.grpoPred}${e.na ? ` (n/a: ${e.na})` : ''}`,
  };
}

/** For a JSONL fixture: each entry's raw text is exactly its line, and parses to the same object. */
async function checkJsonlRoundTrip(index: ResultsIndex, file: string) {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const rows = jsonlRows(text);
  for (const e of index.entries) {
    const raw = await index.readRaw(e);
    assert.equal(raw, lines[e.line - 1].replace(/\r$/, ''), `line ${e.line}`);
    const { raw: value } = await index.readRecord(e);
    assert.deepEqual(value, rows.find((r) => r.line === e.line)!.value);
  }
}

describe('canonical JSONL', () => {
  const file = fixture('canonical.jsonl');

  test('entries with options as a list, "A. x" list, explicit category/direction, route', async () => {
    const index = await ResultsIndex.build(file);
    assert.equal(index.format, 'jsonl');
    assert.deepEqual(index.problems, []);
    assert.deepEqual(index.entries.map(brief), [
      {
        line: 1,
        id: 'c1',
        shape: 'canonical',
        category: 'landmark',
        direction: 'forward',
        gold: 'B',
        format: 'valid',
        mcq: 'correct:B',
        grpo: 'correct:B',
      },
      {
        line: 2,
        id: 'c2',
        shape: 'canonical',
        category: 'direction',
        direction: 'reverse',
        gold: 'C',
        format: 'valid',
        mcq: 'incorrect:A',
        grpo: 'incorrect:A',
      },
      {
        // Wording says landmark/reverse; the record says action/forward. No tag: "Based…" gives B.
        line: 3,
        id: '7',
        shape: 'canonical',
        category: 'action',
        direction: 'forward',
        gold: 'A',
        format: 'invalid',
        mcq: 'incorrect:B',
        grpo: 'unanswered:',
      },
      {
        line: 4,
        id: 'c4',
        shape: 'canonical',
        category: 'route',
        direction: 'forward',
        gold: '',
        format: 'valid',
        mcq: 'unscored:',
        grpo: 'unscored:W',
      },
    ]);
    assert.equal(index.entries[0].video, '/videos/a.mp4');
    assert.equal(index.entries[0].label, 'Which landmarks (objects or scenery changes) did you pass by to reach your destination?');
  });

  test('readRecord: options, explicit flags, model and mode', async () => {
    const index = await ResultsIndex.build(file);
    const [r1, r2, r3, r4] = await Promise.all(index.entries.map((e) => index.readRecord(e)));
    // raw: the stored string, which the upstream prompt joins as it is.
    assert.deepEqual(r1.record.options, [
      { letter: 'A', text: 'red door', raw: 'red door' },
      { letter: 'B', text: 'blue chair', raw: 'blue chair' },
      { letter: 'C', text: 'green lamp', raw: 'green lamp' },
    ]);
    assert.equal(r1.record.model, 'st-r1-7b');
    assert.equal(r1.record.mode, 'reverse');
    assert.equal(r1.record.categoryExplicit, false);
    assert.equal(r1.record.idFromPosition, false);
    assert.deepEqual(
      r2.record.options.map((o) => o.text),
      ['Turn left', 'Turn right, then stop.', 'Go straight'],
    );
    assert.deepEqual(
      r2.record.options.map((o) => o.letter),
      ['A', 'B', 'C'],
    );
    assert.equal(r2.analysis.think, 'Going back.');
    // Options embedded in the question when the record has no list.
    assert.deepEqual(r3.record.options, [
      { letter: 'A', text: 'a tall tree' },
      { letter: 'B', text: 'a red car' },
    ]);
    assert.equal(r3.record.categoryExplicit, true);
    assert.equal(r3.record.directionExplicit, true);
    assert.equal(r3.record.id, '7');
    assert.equal(r4.record.options.length, 0);
    assert.equal(r4.record.gold, 'Walk straight, then turn left at the sofa.');
  });

  test('readRaw / readRecord round-trip to the original lines', async () => {
    const index = await ResultsIndex.build(file);
    await checkJsonlRoundTrip(index, file);
  });
});

describe('ST-R1 JSONL', () => {
  test('ids from line numbers, gold from original_answer, solution as response', async () => {
    const file = fixture('ego-st-r1-sample.jsonl');
    const index = await ResultsIndex.build(file);
    assert.equal(index.entries.length, 12);
    assert.deepEqual(
      index.entries.map((e) => e.id),
      Array.from({ length: 12 }, (_, i) => `line-${i + 1}`),
    );
    assert.deepEqual(index.entries.map((e) => e.gold).join(''), 'DBAAACAACDAB');
    const rows = jsonlRows(fs.readFileSync(file, 'utf8'));
    const rec = await index.readRecord(index.entries[5]);
    assert.equal(rec.record.shape, 'st-r1');
    assert.equal(rec.record.idFromPosition, true);
    assert.equal(rec.record.response, rows[5].value.solution);
    assert.equal(rec.record.gold, 'C');
    await checkJsonlRoundTrip(index, file);
  });
});

describe('benchmark JSON object keyed by id (pretty-printed, multi-line)', () => {
  const file = fixture('benchmark-predict.json');

  test('forward_mcq / reverse_mcq with predict; lines point at each element', async () => {
    const index = await ResultsIndex.build(file);
    assert.equal(index.format, 'json');
    assert.deepEqual(index.problems, []);
    assert.deepEqual(index.entries.map(brief), [
      {
        line: 2,
        id: '0_12',
        shape: 'benchmark',
        category: 'direction',
        direction: 'forward',
        gold: 'B',
        format: 'n/a', // predict holds only the letter: the trace was dropped upstream
        mcq: 'correct:B',
        grpo: 'unscored: (n/a: letter-only)',
      },
      {
        line: 11,
        id: '0_13',
        shape: 'benchmark',
        category: 'landmark',
        direction: 'reverse',
        gold: 'C', // from the top-level "answer"
        format: 'invalid', // "Error during model inference." is text, scored as it is
        mcq: 'unanswered:',
        grpo: 'unanswered:',
      },
      {
        line: 20,
        id: '1_4',
        shape: 'benchmark',
        category: 'landmark',
        direction: 'forward',
        gold: 'A',
        format: 'n/a', // "C": only the letter
        mcq: 'incorrect:C',
        grpo: 'unscored: (n/a: letter-only)',
      },
    ]);
    // The line number is the line where the element's key is written.
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    for (const e of index.entries) assert.ok(lines[e.line - 1].trimStart().startsWith(`"${e.id}": {`), lines[e.line - 1]);
  });

  test('readRaw / readRecord round-trip to the original elements', async () => {
    const index = await ResultsIndex.build(file);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const e of index.entries) {
      const raw = await index.readRaw(e);
      assert.deepEqual(JSON.parse(raw), doc[e.id]);
      assert.ok(raw.startsWith('{') && raw.endsWith('}'));
      const { raw: value, record } = await index.readRecord(e);
      assert.deepEqual(value, doc[e.id]);
      assert.equal(record.id, e.id);
      assert.equal(record.idFromPosition, false);
      assert.equal(record.response, (doc[e.id] as { predict: string }).predict);
    }
    const r = await index.readRecord(index.entries[0]);
    assert.deepEqual(
      r.record.options.map((o) => `${o.letter}. ${o.text}`),
      ['A. Turn left', 'B. Go straight', 'C. Turn right', 'D. Turn around'],
    );
  });
});

describe('benchmark route QA', () => {
  test('question + forward_answer / reverse_answer → route, unscored', async () => {
    const file = fixture('benchmark-route-qa.json');
    const index = await ResultsIndex.build(file);
    assert.deepEqual(index.problems, []);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line, e.category, e.direction, e.mcq, e.grpo, e.gold]),
      [
        ['2_0', 2, 'route', 'forward', 'unscored', 'unscored', ''],
        ['2_1', 8, 'route', 'reverse', 'unscored', 'unscored', ''],
      ],
    );
    const r = await index.readRecord(index.entries[0]);
    assert.equal(r.record.gold, 'Walk straight past the door, then turn left at the kitchen.');
    assert.equal(r.record.categoryExplicit, true);
    assert.equal(r.analysis.format, 'valid');
    const r2 = await index.readRecord(index.entries[1]);
    assert.equal(r2.record.response, '');
    assert.equal(r2.record.gold, 'Turn around, walk past the kitchen and go through the door.');
  });
});

describe('JSON array of canonical records', () => {
  test('elements, their start lines and round-trip', async () => {
    const file = fixture('canonical-array.json');
    const index = await ResultsIndex.build(file);
    assert.equal(index.format, 'json');
    assert.deepEqual(index.problems, []);
    assert.deepEqual(index.entries.map(brief), [
      {
        line: 2,
        id: 'arr-1',
        shape: 'canonical',
        category: 'action',
        direction: 'reverse',
        gold: 'A',
        format: 'valid',
        mcq: 'correct:A',
        grpo: 'correct:A',
      },
      {
        line: 10,
        id: 'arr-2',
        shape: 'canonical',
        category: 'direction',
        direction: 'forward',
        gold: 'D',
        format: 'invalid',
        mcq: 'unanswered:',
        grpo: 'incorrect:b',
      },
      {
        line: 11,
        id: 'arr-3',
        shape: 'canonical',
        category: 'landmark',
        direction: 'forward',
        gold: '',
        format: 'valid',
        mcq: 'unscored:A',
        grpo: 'unscored:A',
      },
    ]);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { id: string; response: string }[];
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    for (const [i, e] of index.entries.entries()) {
      assert.ok(lines[e.line - 1].trimStart().startsWith('{'), `element ${i} starts on line ${e.line}`);
      const { raw, record } = await index.readRecord(e);
      assert.deepEqual(raw, doc[i]);
      assert.equal(record.id, doc[i].id);
      assert.equal(record.response, doc[i].response);
    }
    const first = await index.readRecord(index.entries[0]);
    assert.equal(first.analysis.think, 'I picked up\na cup.');
  });
});

describe('evaluation-harness JSONL', () => {
  test('resps as [[s]] and as [s]; doc.category / direction case-insensitive; video_path', async () => {
    const file = fixture('harness.jsonl');
    const index = await ResultsIndex.build(file);
    assert.deepEqual(index.problems, []);
    assert.deepEqual(index.entries.map(brief), [
      {
        line: 1,
        id: '0',
        shape: 'harness',
        category: 'landmark',
        direction: 'reverse',
        gold: 'C',
        format: 'valid',
        mcq: 'correct:C',
        grpo: 'correct:C',
      },
      {
        line: 2,
        id: '7',
        shape: 'harness',
        category: 'direction',
        direction: 'forward',
        gold: 'B',
        format: 'valid',
        mcq: 'incorrect:A',
        grpo: 'incorrect:A',
      },
    ]);
    assert.deepEqual(
      index.entries.map((e) => e.video),
      ['/data/v0.mp4', '/data/v7.mp4'],
    );
    const [a, b] = await Promise.all(index.entries.map((e) => index.readRecord(e)));
    assert.equal(a.record.response, '<think>fridge then oven</think><answer>C</answer>');
    assert.equal(b.record.response, '<think>right</think> <answer>A</answer>');
    assert.equal(a.record.categoryExplicit, true);
    assert.equal(b.record.categoryExplicit, false);
    assert.deepEqual(
      b.record.options.map((o) => o.text),
      ['Go left', 'Go right'],
    );
    await checkJsonlRoundTrip(index, file);
  });
});

describe('a JSONL mixing shapes per line', () => {
  test('each line normalised by its own shape', async () => {
    const file = fixture('mixed.jsonl');
    const index = await ResultsIndex.build(file);
    assert.deepEqual(index.problems, []);
    assert.deepEqual(
      index.entries.map((e) => [e.line, e.shape, e.id, e.category, e.direction, e.mcq, e.grpo]),
      [
        [1, 'canonical', 'm1', 'action', 'reverse', 'correct', 'correct'],
        [2, 'st-r1', 'line-2', 'direction', 'forward', 'correct', 'correct'],
        [3, 'harness', '3', 'landmark', 'forward', 'incorrect', 'incorrect'],
        // predict "A": only the extracted letter, so grpo_reward does not apply (n/a, unscored).
        [4, 'benchmark', 'line-4', 'direction', 'reverse', 'correct', 'unscored'],
      ],
    );
    await checkJsonlRoundTrip(index, file);
  });
});

describe('a .json file that holds JSONL', () => {
  test('detected as JSONL', async () => {
    const file = fixture('jsonl-in.json');
    const index = await ResultsIndex.build(file);
    assert.equal(index.format, 'jsonl');
    assert.deepEqual(index.problems, []);
    assert.deepEqual(
      index.entries.map((e) => [e.line, e.id, e.mcq]),
      [
        [1, 'j1', 'correct'],
        [2, 'j2', 'incorrect'],
      ],
    );
    await checkJsonlRoundTrip(index, file);
  });
});
