/** More than two runs: common records, accuracy per bucket with the best marked, pairwise McNemar on demand, exports. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { comparePairing, pairRuns } from '../../src/core/compare/compare';
import { bestRuns, compareMany, compareManyByRule, pairMany, PairwiseTests, visibleRows } from '../../src/core/compare/many';
import { runsExport, runsExportTable, type RunInfo } from '../../src/core/export';
import { ResultsIndex } from '../../src/core/index';
import { hostMessageSchema, runsWebviewMessageSchema } from '../../src/core/protocol';
import { RULES } from '../../src/core/vocabulary';
import { fixture, makeTempDir, removeDir } from './helpers';

const dir = makeTempDir('many');
after(() => removeDir(dir));
const runs = ['run-1.jsonl', 'run-2.jsonl', 'run-3.jsonl'].map((f) => fixture(path.join('runs', f)));
const ids = (n: number) => Array.from({ length: n }, (_, i) => `st-r1-test-${String(i).padStart(3, '0')}`);
const side = (correct: number, total: number) => ({ correct, total, accuracy: total ? correct / total : null });

describe('best run per bucket', () => {
  test('the highest accuracy, all of the runs on a tie, compared exactly', () => {
    assert.deepEqual(bestRuns([side(5, 10), side(1, 2), side(3, 10)]), [0, 1]);
    assert.deepEqual(bestRuns([side(1, 3), side(2, 6), side(1, 2)]), [2]);
    // 1/3 and 2/6 tie exactly (floating point would too here; 7/21 vs 1/3 is checked by cross-multiplying).
    assert.deepEqual(bestRuns([side(7, 21), side(1, 3), side(0, 1)]), [0, 1]);
    // A run with nothing scored in the bucket is never best; none scored: no best.
    assert.deepEqual(bestRuns([side(0, 0), side(0, 4), side(0, 2)]), [1, 2]);
    assert.deepEqual(bestRuns([side(0, 0), side(0, 0)]), []);
  });
});

describe('three runs (test/fixtures/runs, derived from the demo run)', () => {
  test('records in only some runs are left out; rows in the first run’s order', async () => {
    const indexes = await Promise.all(runs.map((f) => ResultsIndex.build(f)));
    const p = await pairMany(indexes);
    assert.deepEqual(p.by, ['id', 'id']);
    assert.deepEqual(
      p.rows.map((r) => r.map((e) => e.id)),
      ids(10).map((id) => [id, id, id]),
    );
    assert.deepEqual(
      p.rows.map((r) => r.map((e) => e.line)),
      ids(10).map((_, k) => [k + 1, 12 - k, k + 1]),
      "run 2 is written in reverse order: each row holds run 2's own record",
    );
  });

  test('accuracy per bucket on the common records under both rules, best marked (ties: all)', async () => {
    const indexes = await Promise.all(runs.map((f) => ResultsIndex.build(f)));
    const { rows } = await pairMany(indexes);
    const both = compareManyByRule(rows, 3);
    const m = both.mcq_infer;
    const g = both.grpo_reward;
    assert.equal(m.common, 10);
    const acc = (b: (typeof m)['overall']) => b.runs.map((r) => `${r.correct}/${r.total}`);
    // Run 1: 001, 003 and 006 wrong; run 2: 002 wrong, and 003 (a bare "B": right under mcq_infer only); run 3: none.
    assert.deepEqual(acc(m.overall), ['7/10', '9/10', '10/10']);
    assert.deepEqual(m.overall.best, [2]);
    assert.deepEqual(acc(g.overall), ['7/10', '8/10', '10/10']);
    // Direction reverse (000, 005, 006): runs 2 and 3 tie at 3/3; landmark reverse: a three-way tie.
    assert.deepEqual(acc(m.byCategoryDirection.direction.reverse), ['2/3', '3/3', '3/3']);
    assert.deepEqual(m.byCategoryDirection.direction.reverse.best, [1, 2]);
    assert.deepEqual(g.byCategoryDirection.landmark.reverse.best, [0, 1, 2]);
    // Landmark forward (002, 003, 007, 008): the rules differ for run 2.
    assert.equal(m.byCategoryDirection.landmark.forward.records, 4);
    assert.deepEqual(acc(m.byCategoryDirection.landmark.forward), ['3/4', '3/4', '4/4']);
    assert.deepEqual(acc(g.byCategoryDirection.landmark.forward), ['3/4', '2/4', '4/4']);
    assert.deepEqual(g.byCategoryDirection.landmark.forward.best, [2]);
    // Every bucket holds the same questions for every run: its records, and no more scored than that.
    for (const c of [m, g])
      for (const b of [c.overall, ...Object.values(c.byCategory), ...Object.values(c.byDirection)])
        for (const r of b.runs) assert.ok(r.total <= b.records);
    const sum = Object.values(m.byCategory).reduce((n, b) => n + b.records, 0);
    assert.equal(sum, 10);
  });

  test('under a filter: only the rows all of whose records it leaves', async () => {
    const indexes = await Promise.all(runs.map((f) => ResultsIndex.build(f)));
    const p = await pairMany(indexes);
    const forward = indexes.map((x) => x.entries.filter((e) => e.direction === 'forward'));
    const rows = visibleRows(p, forward);
    assert.ok(rows.length > 0 && rows.length < 10);
    assert.ok(rows.every((r) => r.every((e) => e.direction === 'forward')));
    // Run 3 shows only 000–004: rows with a record it hides go.
    const hide = indexes.map((x, i) => (i === 2 ? x.entries.filter((e) => e.id <= 'st-r1-test-004') : x.entries));
    assert.deepEqual(
      visibleRows(p, hide).map((r) => r[0].id),
      ids(5),
    );
  });

  test("pairwise McNemar equals the two-run comparison's for every pair, and is made only when asked for", async () => {
    const indexes = await Promise.all(runs.map((f) => ResultsIndex.build(f)));
    const tests = new PairwiseTests(indexes);
    assert.equal(tests.made, 0, 'nothing is paired before a test is asked for');
    for (const rule of RULES)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          if (i === j) continue;
          const got = await tests.get(i, j, rule);
          const two = comparePairing(await pairRuns(indexes[i], indexes[j]), indexes[i].entries, indexes[j].entries, rule);
          assert.deepEqual(got.mcnemar, two.mcnemar, `${rule} ${i}→${j}`);
          assert.deepEqual(got.flips, two.flips);
          assert.deepEqual([got.paired, got.unpairedA, got.unpairedB], [two.paired, two.unpairedA, two.unpairedB]);
        }
    assert.equal(tests.made, 6, 'each ordered pair paired once, both rules from the same pairing');
    // Runs 1 and 3 share 11 records (000–009, 011); 001, 003 and 006 wrong → right.
    const r13 = await tests.get(0, 2, 'grpo_reward');
    assert.equal(r13.paired, 11);
    assert.deepEqual([r13.flips.rightToWrong, r13.flips.wrongToRight, r13.mcnemar.discordant], [0, 3, 3]);
    assert.ok(Math.abs(r13.mcnemar.p - 0.25) < 1e-12, String(r13.mcnemar.p)); // 2 · (1/2)^3
    // Runs 2 and 3 under mcq_infer: 002 wrong → right only (003 right in both): p = 1.
    const r23 = await tests.get(1, 2, 'mcq_infer');
    assert.deepEqual([r23.paired, r23.flips.wrongToRight, r23.flips.rightToWrong, r23.mcnemar.p], [10, 1, 0, 1]);
    await assert.rejects(() => tests.get(1, 1, 'mcq_infer'), RangeError);
    await assert.rejects(() => tests.get(0, 3, 'mcq_infer'), RangeError);
  });
});

describe('pairing by content when the runs carry no ids', () => {
  const q = (k: number) =>
    `Based on this video, what directions do you need to go through to get to your destination? Q${k} Options: A. left, B. right`;
  const rec = (k: number, letter: string, run = 'a') => ({
    id: `${run}${k}`,
    video: `/v/${k}.mp4`,
    question: q(k),
    gold: 'A',
    response: `<answer>${letter}</answer>`,
  });
  const write = (name: string, records: object[]) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return f;
  };

  test('partially overlapping runs in different orders, ids shared by none: the common questions, each run’s own record', async () => {
    const a = write('c-a.jsonl', [rec(1, 'A'), rec(2, 'A'), rec(3, 'B'), rec(4, 'A')]);
    const b = write('c-b.jsonl', [rec(4, 'B', 'b'), rec(3, 'A', 'b'), rec(1, 'A', 'b'), rec(5, 'A', 'b')]);
    const c = write('c-c.jsonl', [rec(3, 'A', 'c'), rec(1, 'B', 'c'), rec(2, 'A', 'c'), rec(4, 'A', 'c')]);
    const indexes = await Promise.all([a, b, c].map((f) => ResultsIndex.build(f)));
    const p = await pairMany(indexes);
    assert.deepEqual(p.by, ['content', 'content']);
    // Question 2 is not in run B, 5 is only in B: 1, 3, 4 are common.
    assert.deepEqual(
      p.rows.map((r) => r.map((e) => e.video)),
      [1, 3, 4].map((k) => [`/v/${k}.mp4`, `/v/${k}.mp4`, `/v/${k}.mp4`]),
    );
    const m = compareMany(p.rows, 3, 'mcq_infer');
    assert.deepEqual(
      m.overall.runs.map((r) => `${r.correct}/${r.total}`),
      ['2/3', '2/3', '2/3'],
    );
    assert.deepEqual(m.overall.best, [0, 1, 2], 'a three-way tie marks all three');
  });

  test('fewer than two runs is an error', async () => {
    const a = write('c-one.jsonl', [rec(1, 'A')]);
    const one = await ResultsIndex.build(a);
    await assert.rejects(() => pairMany([one]), /at least two/);
  });
});

describe('export of several runs', () => {
  const info = (label: string, file: string, records: number, leftOut: number, pairedBy = ''): RunInfo => ({
    label,
    file,
    records,
    leftOut,
    pairedBy,
  });

  test('the table per bucket: common records, each run’s correct, scored and accuracy, and the best by label', async () => {
    const indexes = await Promise.all(runs.map((f) => ResultsIndex.build(f)));
    const c = compareMany((await pairMany(indexes)).rows, 3, 'mcq_infer');
    const t = runsExportTable(c, ['R1', 'R2', 'R3']);
    assert.deepEqual(t.columns.slice(0, 6), ['category', 'direction', 'common records', 'R1 correct', 'R1 scored', 'R1 accuracy (%)']);
    assert.equal(t.columns.at(-1), 'best (mcq_infer)');
    const row = (cat: string, dir: string) => t.rows.find((r) => r[0] === cat && r[1] === dir)!;
    const cells = (r: (string | null)[]) => r.join(' ');
    assert.equal(cells(row('direction', 'reverse')), 'direction reverse 3 2 3 66.7 3 3 100.0 3 3 100.0 R2 R3');
    assert.equal(cells(row('all', 'both')), 'all both 10 7 10 70.0 9 10 90.0 10 10 100.0 R3');
  });

  test('CSV holds the first table; Markdown and LaTeX add the runs (escaped) and any pairwise tests', async () => {
    const indexes = await Promise.all(runs.map((f) => ResultsIndex.build(f)));
    const c = compareMany((await pairMany(indexes)).rows, 3, 'mcq_infer');
    const list = [info('R1', 'run_1.jsonl', 12, 2), info('R2', 'run-2.jsonl', 12, 2, 'id'), info('R3', 'run-3.jsonl', 11, 1, 'id')];
    const csv = runsExport(c, list, 'csv');
    assert.ok(csv.startsWith('category,direction,common records,R1 correct,'));
    assert.ok(csv.includes('\r\nall,both,10,7,10,70.0,9,10,90.0,10,10,100.0,R3\r\n'));
    assert.ok(!csv.includes('run_1.jsonl'), 'CSV: one table');
    const tests = new PairwiseTests(indexes);
    const md = runsExport(c, list, 'markdown', [await tests.get(0, 2, 'mcq_infer')]);
    assert.match(md, /\| R1 \| run_1\.jsonl \| 12 \| 2 \| — \|/);
    assert.match(md, /\| R1 \| R3 \| mcq_infer \| id \| 11 \| 0 \| 3 \| 3 \| 0\.2500 \|/);
    const tex = runsExport(c, list, 'latex');
    assert.match(tex, /R1 & run\\_1\.jsonl & 12 & 2 & -- \\\\/);
    assert.equal((tex.match(/\\begin\{tabular\}/g) ?? []).length, 2);
  });
});

describe('st-think compare A B C …', () => {
  const cli = path.resolve(__dirname, '../../../dist/cli.js');
  const st = (...args: string[]) => spawnSync(process.execPath, [cli, 'compare', ...args], { encoding: 'utf8' });

  test('the table on the common records, the best marked, every pair’s McNemar as `compare X Y` computes it', () => {
    const text = st(...runs, '--mcnemar');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^R1: .*run-1\.jsonl\nR2: .*run-2\.jsonl \(paired with R1 by id\)\nR3: /);
    assert.match(text.stdout, /rule mcq_infer; 10 records common to all 3 runs; left out \(not in every run\): R1 2, R2 2, R3 1/);
    assert.match(text.stdout, /\ndirection {2}reverse {10}3 {3}66\.7% \(2\/3\) {3}100\.0% \(3\/3\)\* {4}100\.0% \(3\/3\)\*\n/);
    assert.match(text.stdout, /\nall {8}both {12}10 {2}70\.0% \(7\/10\) {3}90\.0% \(9\/10\) {3}100\.0% \(10\/10\)\*\n/);
    assert.match(text.stdout, /R1 vs R2: 11 pairs \(by id\); right→wrong 1, wrong→right 3; p = 0\.6250/);

    const json = st(...runs, '--json', '--mcnemar', '--rule', 'grpo_reward');
    assert.equal(json.status, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    assert.equal(out.common, 10);
    assert.deepEqual(Object.keys(out.byRule), ['mcq_infer', 'grpo_reward']);
    assert.deepEqual(out.byRule.grpo_reward.overall.best, [2]);
    assert.deepEqual(
      out.runs.map((r: RunInfo) => [r.label, r.records, r.leftOut, r.pairedBy]),
      [
        ['R1', 12, 2, ''],
        ['R2', 12, 2, 'id'],
        ['R3', 11, 1, 'id'],
      ],
    );
    assert.equal(out.pairwise.length, 3);
    for (const t of out.pairwise) {
      const two = st(runs[t.a], runs[t.b], '--json', '--rule', 'grpo_reward');
      assert.equal(two.status, 0, two.stderr);
      assert.deepEqual(t.mcnemar, JSON.parse(two.stdout).mcnemar, `R${t.a + 1} vs R${t.b + 1}`);
    }
    // Without --mcnemar no pair is tested.
    assert.equal(JSON.parse(st(...runs, '--json').stdout).pairwise, undefined);
  });

  test('--format, and the two-file options that do not apply', () => {
    const csv = st(...runs, '--format', 'csv');
    assert.equal(csv.status, 0, csv.stderr);
    assert.ok(csv.stdout.startsWith('category,direction,common records,R1 correct,R1 scored,R1 accuracy (%),R2 correct,'));
    const tex = st(...runs, '--format', 'latex', '--mcnemar');
    assert.equal((tex.stdout.match(/\\begin\{tabular\}/g) ?? []).length, 3);
    const bad = st(...runs, '--rerun-mode', 'forward');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option --rerun-mode/);
    // Two files: the two-run comparison as before (flips, its own McNemar line).
    const two = st(runs[0], runs[1]);
    assert.match(two.stdout, /^A: .*\nB: .*\nrule mcq_infer; 11 pairs \(by id\); unpaired: 1 in A, 1 in B\n/);
    assert.match(two.stdout, /exact McNemar on 4 discordant pairs: p = 0\.6250/);
    assert.equal(st(runs[0], runs[1], '--mcnemar').status, 2, '--mcnemar is for three runs or more');
  });
});

describe('the several-runs view’s messages', () => {
  test('the view’s requests are checked: two run positions and a rule; the host’s messages reach the webview bundle', async () => {
    const ok = runsWebviewMessageSchema.safeParse({ type: 'pairwise', a: 0, b: 2, rule: 'grpo_reward' });
    assert.ok(ok.success);
    for (const bad of [
      { type: 'pairwise', a: -1, b: 2, rule: 'mcq_infer' },
      { type: 'pairwise', a: 0.5, b: 2, rule: 'mcq_infer' },
      { type: 'pairwise', a: 0, b: 1, rule: 'exact_match' },
      { type: 'pairwiseAll' },
      { type: 'openPair', pair: 0, view: 'inline' },
    ])
      assert.ok(!runsWebviewMessageSchema.safeParse(bad).success, JSON.stringify(bad));
    const indexes = await Promise.all(runs.map((f) => ResultsIndex.build(f)));
    const result = await new PairwiseTests(indexes).get(0, 1, 'mcq_infer');
    assert.ok(hostMessageSchema.safeParse({ type: 'pairwise', all: false, results: [result] }).success);
    assert.ok(!hostMessageSchema.safeParse({ type: 'pairwise', all: false, results: [{ ...result, a: 'R1' }] }).success);
  });
});
