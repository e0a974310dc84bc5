/**
 * What the index keeps of a record (derived on the fast path while indexing) must agree with what
 * readRecord derives when the record is shown, for every fixture and for awkward questions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { goldLetter, hasEmbeddedOptions, parseEmbeddedOptions, shortQuestion } from '../../src/core/derive';
import { ResultsIndex } from '../../src/core/index';
import { fixturesDir, makeTempDir, realDataFile, removeDir } from './helpers';

let dir = '';
before(() => {
  dir = makeTempDir('consistency');
});
after(() => removeDir(dir));

async function checkAgreement(file: string): Promise<number> {
  const index = await ResultsIndex.build(file);
  for (const e of index.entries) {
    const { record, analysis } = await index.readRecord(e);
    const where = `${path.basename(file)}:${e.line}`;
    assert.equal(record.id, e.id, where);
    assert.equal(record.shape, e.shape, where);
    assert.equal(record.video, e.video, where);
    assert.equal(record.category, e.category, `${where} category`);
    assert.equal(record.direction, e.direction, `${where} direction`);
    assert.equal(e.label, shortQuestion(record.question), `${where} label`);
    assert.equal(e.gold, goldLetter(record.gold) ?? '', `${where} gold`);
    assert.equal(e.format, analysis.format, `${where} format`);
    assert.equal(e.na, analysis.na, `${where} na`);
    assert.equal(e.mcq, analysis.mcq_infer.outcome, `${where} mcq`);
    assert.equal(e.mcqPred, analysis.mcq_infer.predicted, `${where} mcqPred`);
    assert.equal(e.grpo, analysis.grpo_reward.outcome, `${where} grpo`);
    assert.equal(e.grpoPred, analysis.grpo_reward.predicted, `${where} grpoPred`);
  }
  return index.entries.length;
}

describe('index entries agree with readRecord', () => {
  const files = fs.readdirSync(fixturesDir).filter((f) => /\.jsonl?$/.test(f));

  test('the fixtures are there', () => {
    assert.ok(files.length >= 9, files.join(', '));
  });

  for (const f of files) {
    test(f, async () => {
      assert.ok((await checkAgreement(path.join(fixturesDir, f))) > 0);
    });
  }

  test('the 126 real rows', async () => {
    assert.equal(await checkAgreement(realDataFile), 126);
  });

  test('route wording with an "Options:" marker but no options, and other awkward questions', async () => {
    const q = (question: string, id: string) =>
      JSON.stringify({ id, video: '/v.mp4', question, gold: 'A', response: '<think>x</think><answer>A</answer>' });
    const lines = [
      q('Based on this video, Please describe in detail how to get to the final location. Options: (none)', 'a'),
      q('Based on this video, Please describe in detail how to get to the final location. Options:\n\nA. left', 'b'),
      q('Based on this video, Please describe in detail how to get to the final location. Options: A. left, B. right', 'c'),
      q('Based on this video, how to get back to the starting point? options : B. x, A. y', 'd'),
      q('Based on this video, how to get back to the starting point?\n\nInstructions: Options: A. x', 'e'),
    ];
    const file = path.join(dir, 'awkward.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    assert.equal(await checkAgreement(file), 5);
    const index = await ResultsIndex.build(file);
    // a: no option is parsed, so it is an open route question; b: the blank line ends the options
    // before "A."; c: a route wording with options is no route question; d: "A." is found after
    // "B."; e: options after an "Instructions:" line are still options.
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.category, e.mcq]),
      [
        ['a', 'route', 'unscored'],
        ['b', 'route', 'unscored'],
        ['c', 'other', 'correct'],
        ['d', 'other', 'correct'],
        ['e', 'other', 'correct'],
      ],
    );
  });
});

describe('hasEmbeddedOptions agrees with parseEmbeddedOptions', () => {
  const cases = [
    'x Options: A. a, B. b',
    'x Options:\n\nA. a',
    'x Options: Instructions: A. a',
    'x Options: (none)',
    'x Options:\nA) a',
    'x options : B. b, A. a',
    'x Options: ,A. a',
    'x',
    'x Options: Z. z\n\nA. a',
    'x Options:  \t A. a',
    'x OPTIONS:A.',
    'Options:A',
    'x Options: ; A. a',
  ];
  for (const c of cases) {
    test(JSON.stringify(c), () => {
      assert.equal(hasEmbeddedOptions(c), parseEmbeddedOptions(c).length > 0);
    });
  }
  test('and on every real question', () => {
    const rows = fs
      .readFileSync(realDataFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    for (const l of rows) {
      const q = (JSON.parse(l) as { problem: string }).problem;
      assert.equal(hasEmbeddedOptions(q), true);
      assert.equal(hasEmbeddedOptions(q.split('Options:')[0]), false);
    }
  });
});
