/**
 * The 126 real ST-R1 test rows (shared/data/ego-st/r1-test-mcq-126.jsonl) and the 12-row stable
 * sample in test/fixtures. Category, direction and option counts are computed here with simple
 * logic of the test's own over the raw JSON, then compared with what ResultsIndex derived.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ResultsIndex } from '../../src/core/index';
import { fixture, realDataFile } from './helpers';

interface R1Row {
  problem: string;
  solution: string;
  video: string;
  original_question: string;
  original_answer: string;
}

/**
 * The test's own reading of a row: wording before "Options:" and a count of ", X. " separators. A
 * question worded as a landmark question whose reference chain opens with the actions question is an
 * action question (upstream's forward action questions are worded as landmark questions).
 */
function independent(row: R1Row): { category: string; wordedAs?: string; direction: string; options: number; gold: string } {
  const before = row.problem.split('Options:')[0];
  let category = '?';
  let wordedAs: string | undefined;
  if (before.includes('which landmarks')) {
    category = 'landmark';
    if (row.solution.startsWith("<think>Let's start by thinking reverse which actions")) [category, wordedAs] = ['action', 'landmark'];
  } else if (before.includes('which actions')) category = 'action';
  else if (before.includes('what directions')) category = 'direction';
  const direction = before.includes('starting point') || before.includes('return') ? 'reverse' : 'forward';
  // Options: " A. …, B. …, C. …" up to the blank line before the instructions.
  const body = row.problem.split('Options:')[1].split('\n\n')[0];
  let options = 0;
  for (const letter of ['A', 'B', 'C', 'D']) {
    const sep = letter === 'A' ? ` ${letter}. ` : `, ${letter}. `;
    if (body.includes(sep)) options++;
  }
  return { category, wordedAs, direction, options, gold: row.original_answer };
}

function readRows(file: string): R1Row[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as R1Row);
}

function checkFile(file: string, expectedRows: number) {
  const rows = readRows(file);
  assert.equal(rows.length, expectedRows);
  return rows;
}

describe('126 real ST-R1 rows', () => {
  test('the shared data file is present', () => {
    assert.ok(fs.existsSync(realDataFile), `missing ${realDataFile}`);
  });

  test('category and direction counts agree with the index', async () => {
    const rows = checkFile(realDataFile, 126);
    const index = await ResultsIndex.build(realDataFile);
    assert.equal(index.entries.length, 126);
    assert.equal(index.problemCount, 0);
    const count = (keys: string[]) => {
      const m: Record<string, number> = {};
      for (const k of keys) m[k] = (m[k] ?? 0) + 1;
      return m;
    };
    const mine = rows.map(independent);
    assert.ok(!mine.some((m) => m.category === '?'), 'every real row has a recognised wording');
    assert.deepEqual(
      count(index.entries.map((e) => `${e.category}/${e.direction}`)),
      count(mine.map((m) => `${m.category}/${m.direction}`)),
    );
    // The counts themselves, as read from the file by hand.
    assert.deepEqual(count(mine.map((m) => `${m.category}/${m.direction}`)), {
      'direction/reverse': 25,
      'direction/forward': 28,
      'landmark/forward': 16,
      'action/forward': 18,
      'landmark/reverse': 19,
      'action/reverse': 20,
    });
    // Row by row, in file order, with line numbers 1..126.
    index.entries.forEach((e, i) => {
      assert.equal(e.line, i + 1);
      assert.equal(e.category, mine[i].category, `line ${i + 1}`);
      assert.equal(e.direction, mine[i].direction, `line ${i + 1}`);
      assert.equal(e.wordedAs, mine[i].wordedAs, `line ${i + 1}`);
      assert.equal(e.gold, mine[i].gold, `line ${i + 1}`);
      assert.equal(e.shape, 'st-r1');
      assert.equal(e.id, `line-${i + 1}`);
      assert.equal(e.video, rows[i].video);
    });
  });

  test('the reference chain is correct under both rules and format-valid on every row', async () => {
    const index = await ResultsIndex.build(realDataFile);
    const bad = index.entries.filter((e) => e.mcq !== 'correct' || e.grpo !== 'correct' || e.format !== 'valid');
    assert.deepEqual(
      bad.map((e) => `${e.line}: ${e.mcq}/${e.grpo}/${e.format}`),
      [],
    );
    assert.ok(index.entries.every((e) => e.mcqPred === e.gold && e.grpoPred === e.gold));
  });

  test('option counts and the think text of every row', async () => {
    const rows = checkFile(realDataFile, 126);
    const index = await ResultsIndex.build(realDataFile);
    const optionCounts: Record<number, number> = {};
    for (let i = 0; i < rows.length; i++) {
      const { record, analysis } = await index.readRecord(index.entries[i]);
      const n = independent(rows[i]).options;
      optionCounts[n] = (optionCounts[n] ?? 0) + 1;
      assert.equal(record.options.length, n, `line ${i + 1}: ${JSON.stringify(record.options.map((o) => o.letter))}`);
      assert.deepEqual(
        record.options.map((o) => o.letter),
        ['A', 'B', 'C', 'D'].slice(0, n),
      );
      assert.ok(
        record.options.every((o) => o.text.length > 0 && !o.text.endsWith(',')),
        `line ${i + 1}`,
      );
      assert.ok(analysis.think?.startsWith("Let's start by thinking"), `line ${i + 1}: ${analysis.think?.slice(0, 40)}`);
      assert.equal(record.response, rows[i].solution);
      assert.equal(record.question, rows[i].problem);
    }
    assert.deepEqual(optionCounts, { 2: 2, 3: 23, 4: 101 });
  });
});

describe('the 12-row sample fixture', () => {
  test('covers every category and direction and every gold letter', async () => {
    const file = fixture('ego-st-r1-sample.jsonl');
    const rows = checkFile(file, 12);
    const index = await ResultsIndex.build(file);
    assert.equal(index.entries.length, 12);
    const combos = new Set(rows.map((r) => `${independent(r).category}/${independent(r).direction}`));
    assert.deepEqual([...combos].sort(), [
      'action/forward',
      'action/reverse',
      'direction/forward',
      'direction/reverse',
      'landmark/forward',
      'landmark/reverse',
    ]);
    assert.deepEqual(
      index.entries.map((e) => `${e.category}/${e.direction}`),
      rows.map((r) => `${independent(r).category}/${independent(r).direction}`),
    );
    assert.deepEqual(new Set(index.entries.map((e) => e.gold)), new Set(['A', 'B', 'C', 'D']));
    assert.ok(index.entries.every((e) => e.mcq === 'correct' && e.grpo === 'correct' && e.format === 'valid'));
  });

  test('every sample row is byte-identical to a row of the shared data file', () => {
    if (!fs.existsSync(realDataFile)) assert.fail(`missing ${realDataFile}`);
    const real = new Set(fs.readFileSync(realDataFile, 'utf8').split('\n'));
    const mine = fs
      .readFileSync(fixture('ego-st-r1-sample.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l);
    for (const l of mine) assert.ok(real.has(l), l.slice(0, 80));
  });
});
