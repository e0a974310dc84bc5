/**
 * Scoring edge cases of issue 8: a gold that is a whole chain, inference outputs whose prediction is
 * only the extracted letter (grpo_reward and the format check n/a, never 0%), and upstream's benchmark
 * outputs with "video": "". Expected values are worked out by hand from the upstream rules (ST-R1
 * grpo.py accuracy_reward / format_reward, the inference scripts' extract_choice), and where noted
 * by python3 running them (test/oracle/upstream_rules.py).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyse, goldAnswer, goldLetter, notApplicable, scoreGrpoReward, scoreMcqInfer } from '../../src/core/derive';
import { ResultsIndex } from '../../src/core/index';
import { normalise } from '../../src/core/normalize';
import { renderRecordText } from '../../src/core/recordText';
import { bucketOf, formatAccuracy, formatLine, naLines, noVideoLine, summarise, summaryTable } from '../../src/core/summary';
import { fixture, makeTempDir, removeDir, repoRoot } from './helpers';

let dir = '';
before(() => {
  dir = makeTempDir('scoring-edges');
});
after(() => removeDir(dir));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const cli = path.join(repoRoot, 'dist/cli.js');
function runCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!fs.existsSync(cli)) assert.fail(`${cli} not found: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;

/** The 12 real ST-R1 rows of the sample fixture. */
const rows = fs
  .readFileSync(fixture('ego-st-r1-sample.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { problem: string; solution: string; video: string; original_answer: string });

describe('a gold that is itself a chain (an ST-R1 solution)', () => {
  const chain = "<think>Let's start by thinking reverse … Hence, the correct answer is B</think> <answer>B</answer>";

  test("grpo_reward compares with the first character of the gold's stripped answer tag", () => {
    // accuracy_reward: ground_truth = re.search(<answer>(.*?)</answer>, sol).group(1).strip() = "B".
    assert.deepEqual(scoreGrpoReward('<think>x</think><answer>B</answer>', chain, true), { outcome: 'correct', predicted: 'B' });
    assert.deepEqual(scoreGrpoReward('<think>x</think><answer>C</answer>', chain, true), { outcome: 'incorrect', predicted: 'C' });
    // The tag's content is stripped: " \n D. Walk \n" → "D. Walk" → "D".
    assert.equal(scoreGrpoReward('<answer>D</answer>', '<think>t</think><answer> \n D. Walk \n</answer>', true).outcome, 'correct');
    // The first tag of the gold wins, as re.search finds it.
    assert.equal(scoreGrpoReward('<answer>A</answer>', '<answer>A</answer><answer>C</answer>', true).outcome, 'correct');
  });

  test('a chain with no answer tag is compared as a whole (its first character "<")', () => {
    // ground_truth = sol.strip() = "<think>…": its [0] is "<", never a letter.
    assert.equal(scoreGrpoReward('<answer>B</answer>', '<think>the answer is B</think>', true).outcome, 'incorrect');
  });

  test('an empty answer tag in the gold: reward 0 as upstream (ground_truth[0] raises IndexError, caught); a blank gold is no gold', () => {
    assert.equal(scoreGrpoReward('<answer>B</answer>', '<think>t</think><answer>  </answer>', true).outcome, 'incorrect');
    assert.equal(scoreGrpoReward('no tag', '<think>t</think><answer></answer>', true).outcome, 'unanswered');
    assert.equal(scoreGrpoReward('<answer>B</answer>', '  ', true).outcome, 'unscored');
  });

  test("goldAnswer / goldLetter read the chain's answer tag; mcq_infer compares with that letter", () => {
    assert.equal(goldAnswer(chain), 'B');
    assert.equal(goldAnswer('  C. Turn left '), 'C. Turn left');
    assert.equal(goldLetter(chain), 'B');
    assert.deepEqual(scoreMcqInfer('<answer>B</answer>', chain, true), { outcome: 'correct', predicted: 'B' });
    assert.deepEqual(scoreMcqInfer('<answer>A</answer>', chain, true), { outcome: 'incorrect', predicted: 'A' });
  });

  test('canonical records whose gold is the real ST-R1 solution: right letter correct, wrong letter incorrect (12 rows)', () => {
    assert.equal(rows.length, 12);
    for (const [i, row] of rows.entries()) {
      // The solution ends with its answer tag holding original_answer (read straight from the row).
      assert.ok(row.solution.endsWith(`<answer>${row.original_answer}</answer>`), `row ${i}`);
      const wrong = row.original_answer === 'A' ? 'B' : 'A';
      const base = { id: `r${i}`, video: row.video, question: row.problem, gold: row.solution };
      const right = normalise({ ...base, response: `<think>t</think><answer>${row.original_answer}</answer>` }, { line: 1 });
      const bad = normalise({ ...base, response: `<think>t</think><answer>${wrong}</answer>` }, { line: 1 });
      assert.ok(right.ok && bad.ok);
      const a = analyse(right.record);
      const b = analyse(bad.record);
      assert.deepEqual([a.grpo_reward.outcome, a.mcq_infer.outcome], ['correct', 'correct'], `row ${i}`);
      assert.deepEqual([b.grpo_reward.outcome, b.mcq_infer.outcome], ['incorrect', 'incorrect'], `row ${i}`);
    }
  });

  test("the index keeps the chain gold's letter", async () => {
    const f = write(
      'chain-gold.jsonl',
      JSON.stringify({
        id: 'c',
        video: '/v.mp4',
        question: rows[0].problem,
        gold: rows[0].solution,
        response: '<think>t</think><answer>D</answer>',
      }) + '\n',
    );
    const idx = await ResultsIndex.build(f);
    assert.deepEqual(
      idx.entries.map((e) => [e.gold, e.mcq, e.grpo]),
      [['D', 'correct', 'correct']],
    );
  });

  test('st-r1 rows: the gold is original_answer and the response the solution; with no original_answer, unscored', () => {
    const withGold = normalise(JSON.parse(JSON.stringify(rows[0])), { line: 1 });
    assert.ok(withGold.ok);
    assert.equal(withGold.record.gold, 'D');
    assert.equal(analyse(withGold.record).grpo_reward.outcome, 'correct');
    const { original_answer: _drop, ...noGold } = rows[0];
    void _drop;
    const r = normalise(noGold, { line: 1 });
    assert.ok(r.ok);
    assert.equal(r.record.shape, 'st-r1');
    assert.equal(r.record.gold, undefined);
    // Scoring the solution against itself would always be right: nothing to score.
    assert.equal(analyse(r.record).grpo_reward.outcome, 'unscored');
    assert.equal(analyse(r.record).mcq_infer.outcome, 'unscored');
  });
});

describe('predictions that hold only the extracted letter: grpo_reward and format n/a', () => {
  const bench = (predict: string, category?: 'route') => ({
    response: predict,
    gold: 'B',
    category: category ?? ('direction' as const),
    shape: 'benchmark' as const,
  });

  test('what "only the letter" means: after Python\'s strip, exactly one of A, B, C, D, in a benchmark-shape MCQ record', () => {
    assert.equal(notApplicable(bench('B')), 'letter-only');
    assert.equal(notApplicable(bench(' D\n')), 'letter-only');
    assert.equal(notApplicable(bench('\x85A\x1c')), 'letter-only'); // Python white space
    assert.equal(notApplicable(bench('\ufeffA')), undefined); // not white space to Python
    for (const other of ['E', 'b', 'B.', 'BC', '', 'No video file specified.', 'Error during model inference.', '<answer>B</answer>']) {
      assert.equal(notApplicable(bench(other)), undefined, JSON.stringify(other));
    }
    assert.equal(notApplicable(bench('B', 'route')), undefined);
    // Other shapes hold the model's whole response: a bare "B" there is a response without tags.
    assert.equal(notApplicable({ ...bench('B'), shape: 'canonical' }), undefined);
    assert.equal(notApplicable({ ...bench('B'), shape: 'harness' }), undefined);
  });

  test('analyse: mcq_infer scores the letter; grpo_reward unscored with the reason; format n/a', () => {
    const a = analyse(bench('B'));
    assert.deepEqual(a.mcq_infer, { outcome: 'correct', predicted: 'B' });
    assert.deepEqual(a.grpo_reward, { outcome: 'unscored', predicted: '', na: 'letter-only' });
    assert.equal(a.format, 'n/a');
    assert.equal(a.na, 'letter-only');
    const wrong = analyse({ ...bench('C') });
    assert.deepEqual(wrong.mcq_infer, { outcome: 'incorrect', predicted: 'C' });
    assert.equal(wrong.grpo_reward.na, 'letter-only');
    // The same "B" as a canonical response: the rules apply (no tag: unanswered; format invalid).
    const canon = analyse({ ...bench('B'), shape: 'canonical' });
    assert.deepEqual([canon.grpo_reward.outcome, canon.format, canon.na], ['unanswered', 'invalid', undefined]);
  });

  test('the read-only record text says n/a with the reason', () => {
    const r = normalise(
      { video: '/v.mp4', forward_mcq: { question: 'Which? Options: A. x, B. y', options: ['A. x', 'B. y'], answer: 'B' }, predict: 'B' },
      { line: 1, key: 'k' },
    );
    assert.ok(r.ok);
    const text = renderRecordText(r.record, analyse(r.record), { file: 'f.json', line: 1 });
    assert.match(text, /grpo_reward +n\/a: the prediction holds only the extracted letter \(upstream dropped the trace\)/);
    assert.match(text, /format +n\/a: the prediction holds only the extracted letter/);
    assert.match(text, /mcq_infer +predicted B +→ +correct/);
  });

  test('the index: n/a kept per entry; summary counts it apart and reads "n/a", never 0%', async () => {
    const idx = await ResultsIndex.build(fixture('benchmark-predict.json'));
    assert.deepEqual(
      idx.entries.map((e) => [e.id, e.mcq, e.grpo, e.format, e.na ?? '-']),
      [
        ['0_12', 'correct', 'unscored', 'n/a', 'letter-only'],
        ['0_13', 'unanswered', 'unanswered', 'invalid', '-'], // "Error during model inference." is text
        ['1_4', 'incorrect', 'unscored', 'n/a', 'letter-only'],
      ],
    );
    const g = summarise(idx.file, idx.entries, 0, 'grpo_reward');
    // grpo_reward: only 0_13 is scored (0 of 1); the two letters are n/a.
    assert.deepEqual([g.overall.total, g.overall.correct, g.overall.unscored, g.overall.na], [1, 0, 2, 2]);
    assert.deepEqual(g.na, { 'letter-only': 2 });
    assert.deepEqual([g.formatValid, g.formatChecked], [0, 1]);
    assert.equal(
      formatLine(g),
      '0 of 1 with valid format (n/a for 2: the prediction holds only the extracted letter (upstream dropped the trace))',
    );
    // The two letter-only records alone: nothing scored, n/a rather than 0% or "—".
    const letters = idx.entries.filter((e) => e.na);
    const b = bucketOf(letters, 'grpo_reward');
    assert.deepEqual([b.total, b.na, b.accuracy], [0, 2, null]);
    assert.equal(formatAccuracy(b), 'n/a');
    const only = summarise(idx.file, letters, 0, 'grpo_reward');
    assert.equal(formatLine(only), 'format n/a: the prediction holds only the extracted letter (upstream dropped the trace)');
    assert.deepEqual(naLines(only.na), ['n/a: the prediction holds only the extracted letter (upstream dropped the trace) (2 records)']);
    // mcq_infer applies to them: 0_12 right, 1_4 wrong.
    assert.equal(formatAccuracy(bucketOf(letters, 'mcq_infer')), '50.0%');
    // The table's grpo_reward cells read n/a where only letters are.
    const table = summaryTable({ mcq_infer: summarise('f', letters, 0, 'mcq_infer'), grpo_reward: only });
    const row = table.split('\n').find((l) => l.startsWith('all') && l.includes('both'))!;
    assert.deepEqual(row.trim().split(/\s{2,}/), ['all', 'both', '2', '1/2 50.0%', 'n/a']);
  });

  test('st-think summary prints n/a with the reason, and the JSON counts it', () => {
    const file = fixture('benchmark-predict.json');
    const r = runCli('summary', file, '--rule', 'grpo_reward');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        String.raw`3 records, 0 invalid, 0 of 1 with valid format ` +
          String.raw`\(n\/a for 2: the prediction holds only the extracted letter \(upstream dropped the trace\)\)`,
      ),
    );
    assert.match(r.stdout, /^n\/a: the prediction holds only the extracted letter \(upstream dropped the trace\) \(2 records\)$/m);
    // direction forward holds only the letter-only 0_12: its grpo_reward cell reads n/a.
    const row = r.stdout.split('\n').find((l) => l.startsWith('direction') && l.includes('forward'))!;
    assert.deepEqual(row.trim().split(/\s{2,}/), ['direction', 'forward', '1', '1/1 100.0%', 'n/a']);
    const j = JSON.parse(runCli('summary', file, '--rule', 'grpo_reward', '--json').stdout);
    assert.deepEqual([j.overall.na, j.byCategory.direction.na, j.byCategory.direction.total, j.na['letter-only']], [2, 1, 0, 2]);
  });
});

describe('benchmark outputs with "video": "" (upstream then writes "No video file specified.")', () => {
  test('they load, count in the denominator and score on the text; a warning counts them', async () => {
    const idx = await ResultsIndex.build(fixture('benchmark-no-video.json'));
    assert.deepEqual(idx.problems, []);
    // 1_5: extract_choice("No video file specified.") finds no A-D (only "N" is uppercase) and returns
    // the text, which is not the gold "B": wrong (unanswered), and no answer tag for grpo_reward.
    assert.deepEqual(
      idx.entries.map((e) => [e.id, e.video, e.mcq, e.grpo, e.format, e.na ?? '-']),
      [
        ['1_5', '', 'unanswered', 'unanswered', 'invalid', '-'],
        ['1_6', 'walk_003.mp4', 'correct', 'unscored', 'n/a', 'letter-only'],
        ['1_7', 'walk_004.mp4', 'incorrect', 'unscored', 'n/a', 'letter-only'],
      ],
    );
    const s = summarise(idx.file, idx.entries, idx.problemCount, 'mcq_infer');
    assert.deepEqual([s.records, s.overall.total, s.overall.correct, s.noVideo], [3, 3, 1, 1]);
    assert.equal(
      noVideoLine(s.noVideo),
      'warning: 1 record has no video ("video": ""; upstream writes "No video file specified." as their prediction)',
    );
    const { record } = await idx.readRecord(idx.entries[0]);
    assert.equal(record.video, '');
    assert.match(renderRecordText(record, analyse(record), { file: 'f', line: 2 }), /^Video +\(none: "video" is empty/m);
  });

  test(
    'Python agrees: extract_choice("No video file specified.") is the text itself',
    { skip: hasPython ? undefined : 'python3 is not installed' },
    () => {
      const r = spawnSync(
        'python3',
        [
          '-c',
          'import sys, json; sys.path.insert(0, sys.argv[1]); import upstream_rules as u; ' +
            'print(json.dumps([u.extracted(sys.argv[2]), u.reward(sys.argv[2], "B"), u.format_ok(sys.argv[2])]))',
          path.join(repoRoot, 'test/oracle'),
          'No video file specified.',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), ['No video file specified.', 0, false]);
    },
  );

  test('only the benchmark shape takes an empty video; a blank one and other shapes stay invalid', () => {
    const mcq = { question: 'Which? Options: A. x, B. y', options: ['A. x', 'B. y'], answer: 'A' };
    assert.ok(normalise({ video: '', forward_mcq: mcq, predict: 'No video file specified.' }, { line: 1 }).ok);
    const blank = normalise({ video: '  ', forward_mcq: mcq, predict: 'A' }, { line: 1 });
    assert.ok(!blank.ok);
    assert.match(blank.error, /benchmark: video: must be a non-empty string/);
    const canon = normalise({ id: 'a', video: '', question: 'q', response: 'r' }, { line: 1 });
    assert.ok(!canon.ok);
    assert.match(canon.error, /canonical: video: must be a non-empty string/);
  });

  test('st-think summary and validate show the warning; the record is not an invalid line', () => {
    const file = fixture('benchmark-no-video.json');
    const s = runCli('summary', file);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /3 records, 0 invalid, /);
    assert.match(s.stdout, /^warning: 1 record has no video \("video": ""/m);
    const v = runCli('validate', file);
    assert.equal(v.code, 0);
    assert.equal(v.stdout, '');
    assert.match(v.stderr, /^3 valid, 0 invalid \(warning: 1 record has no video/);
  });
});
