/** Comparing runs: pairing, flips, the exact McNemar test, and forward/reverse consistency. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { compareRuns, consistency, mcnemarExact, pairRuns, rerunModes } from '../../src/core/compare/compare';
import { rerunSource } from '../../src/core/model/reruns';
import { ResultsIndex } from '../../src/core/index';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-compare-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const cli = path.resolve(__dirname, '../../../dist/cli.js');

function file(name: string, records: object[]): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return f;
}

const Q = (what: string, dir: 'forward' | 'reverse', opts: string) =>
  `Based on this video, which landmarks did you pass by to ` +
  `${dir === 'forward' ? 'reach your destination' : 'return to the starting point'}? ${what} Options: ${opts}`;
const answer = (x: string) => `<think>t</think><answer>${x}</answer>`;

describe('exact McNemar', () => {
  test('hand-computed values', () => {
    // n = 6, P(X ≤ 1) = (1 + 6)/64; two-sided 14/64.
    const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-12 * Math.max(1, y), `${x} ≠ ${y}`);
    close(mcnemarExact(1, 5), 14 / 64);
    close(mcnemarExact(5, 1), 14 / 64);
    // n = 10, k = 0: 2/1024.
    close(mcnemarExact(0, 10), 2 / 1024);
    assert.equal(mcnemarExact(3, 3), 1);
    assert.equal(mcnemarExact(0, 0), 1);
    assert.ok(Math.abs(mcnemarExact(31, 0) - 2 ** -30) < 1e-24);
    // n = 12, k = 2: (1 + 12 + 66)/4096 · 2 = 158/4096.
    assert.ok(Math.abs(mcnemarExact(2, 10) - 158 / 4096) < 1e-15);
  });

  test('large counts do not underflow and agree with the normal approximation', () => {
    const p = mcnemarExact(5000, 5200); // z = 200/√10200 ≈ 1.98 → p ≈ 0.05
    assert.ok(p > 0.04 && p < 0.06, String(p));
    assert.ok(mcnemarExact(40_000, 41_000) > 0 && mcnemarExact(40_000, 41_000) < 1e-3);
  });
});

describe('pairing and flips', () => {
  test('by id when both files carry the same ids; unpaired listed', async () => {
    const base = { video: '/v/1.mp4', question: Q('', 'forward', 'A. a, B. b'), gold: 'A' };
    const a = file('a.jsonl', [
      { id: '1', ...base, response: answer('A') }, // right → wrong
      { id: '2', ...base, response: answer('B') }, // wrong → right
      { id: '3', ...base, response: answer('A') }, // both right
      { id: '4', ...base, response: answer('B') }, // both wrong
      { id: 'only-a', ...base, response: answer('A') },
    ]);
    const b = file('b.jsonl', [
      { id: '4', ...base, response: answer('B') },
      { id: '3', ...base, response: answer('A') },
      { id: '2', ...base, response: answer('A') },
      { id: '1', ...base, response: '<answer></answer>' }, // unanswered: not correct
      { id: 'only-b', ...base, response: answer('A') },
    ]);
    const [ia, ib] = [await ResultsIndex.build(a), await ResultsIndex.build(b)];
    const pairing = await pairRuns(ia, ib);
    assert.equal(pairing.by, 'id');
    assert.deepEqual(
      pairing.pairs.map(([x, y]) => [x.id, y.id]),
      [
        ['1', '1'],
        ['2', '2'],
        ['3', '3'],
        ['4', '4'],
      ],
    );
    assert.deepEqual(
      pairing.unpairedA.map((e) => e.id),
      ['only-a'],
    );
    assert.deepEqual(
      pairing.unpairedB.map((e) => e.id),
      ['only-b'],
    );
    const c = compareRuns(ia.entries, ib.entries, pairing, 'mcq_infer');
    assert.deepEqual(c.flips, { rightToWrong: 1, wrongToRight: 1, bothRight: 1, bothWrong: 1, unscored: 0 });
    assert.equal(c.mcnemar.p, 1);
    assert.deepEqual(
      c.flipped.map((f) => [f.a.id, f.kind]),
      [
        ['1', 'rightToWrong'],
        ['2', 'wrongToRight'],
      ],
    );
    // Each side's accuracy over its own records: A 3/5, B 3/5 (the unanswered one counts as wrong).
    assert.deepEqual([c.overall.a.correct, c.overall.a.total, c.overall.b.correct, c.overall.b.total], [3, 5, 3, 5]);
    assert.equal(c.overall.difference, 0);
    assert.equal(c.accuracyOver, 'all');
  });

  test('a file and its re-runs: each record with its latest re-run (of one mode); the rest listed', async () => {
    const base = { video: '/v/1.mp4', question: Q('', 'forward', 'A. a, B. b'), gold: 'A' };
    const orig = file(
      'orig.jsonl',
      ['r1', 'r2', 'r3', 'r4'].map((id) => ({ id, ...base, response: answer('B') })),
    );
    const reruns = file('orig.reruns.jsonl', [
      { id: 'r1~forward~aaaaaaaa', ...base, response: answer('B') },
      { id: 'r2~reverse~cccccccc', ...base, response: answer('A') },
      { id: 'r1~forward~bbbbbbbb', ...base, response: answer('A') }, // the latest of r1
      { id: 'r3~forward~dddddddd', ...base, response: answer('A') },
    ]);
    const [io, ir] = [await ResultsIndex.build(orig), await ResultsIndex.build(reruns)];
    assert.deepEqual(rerunSource('r1~forward~aaaaaaaa'), { source: 'r1', mode: 'forward' });
    assert.equal(rerunSource('r1~sideways~aaaaaaaa'), undefined);
    assert.deepEqual(rerunModes(ir.entries), ['forward', 'reverse']);
    assert.deepEqual(rerunModes(io.entries), []);
    const any = await pairRuns(io, ir);
    assert.equal(any.by, 'source');
    assert.deepEqual(
      any.pairs.map(([x, y]) => [x.id, y.id]),
      [
        ['r1', 'r1~forward~bbbbbbbb'],
        ['r2', 'r2~reverse~cccccccc'],
        ['r3', 'r3~forward~dddddddd'],
      ],
    );
    assert.deepEqual(
      any.unpairedA.map((e) => e.id),
      ['r4'],
    );
    assert.deepEqual(
      any.unpairedB.map((e) => e.id),
      ['r1~forward~aaaaaaaa'],
    );
    const fwd = await pairRuns(io, ir, { rerunMode: 'forward' });
    assert.deepEqual(
      fwd.pairs.map(([x, y]) => [x.id, y.id]),
      [
        ['r1', 'r1~forward~bbbbbbbb'],
        ['r3', 'r3~forward~dddddddd'],
      ],
    );
    assert.deepEqual(
      fwd.unpairedA.map((e) => e.id),
      ['r2', 'r4'],
    );
    assert.deepEqual(
      fwd.unpairedB.map((e) => e.id),
      ['r1~forward~aaaaaaaa', 'r2~reverse~cccccccc'],
    );
    // The re-runs as A: the same pairs, the other way round, in the original's order.
    const back = await pairRuns(ir, io, { rerunMode: 'forward' });
    assert.deepEqual(
      back.pairs.map(([x, y]) => [x.id, y.id]),
      [
        ['r1~forward~bbbbbbbb', 'r1'],
        ['r3~forward~dddddddd', 'r3'],
      ],
    );
    // Both forward re-runs that were paired turned wrong into right.
    const c = compareRuns(io.entries, ir.entries, fwd, 'mcq_infer');
    assert.deepEqual([c.flips.wrongToRight, c.flips.rightToWrong], [2, 0]);
    // Issue 11: the accuracies compare like sets, the 2 paired records (r1 with its latest re-run,
    // r3), not A's 4 records against B's re-runs with the superseded r1~forward~aaaaaaaa and the
    // reverse one (which gave A 0/4 against B 3/4).
    assert.equal(c.accuracyOver, 'paired');
    assert.deepEqual([c.overall.a.correct, c.overall.a.total, c.overall.b.correct, c.overall.b.total], [0, 2, 2, 2]);
    assert.equal(c.overall.difference, 1);
    assert.deepEqual(c.byDirection.forward.b, { total: 2, correct: 2, accuracy: 1 });
    // The re-runs as A: the same like sets, the other way round.
    const cb = compareRuns(ir.entries, io.entries, back, 'mcq_infer');
    assert.deepEqual([cb.overall.a.correct, cb.overall.a.total, cb.overall.b.correct, cb.overall.b.total], [2, 2, 0, 2]);
    assert.equal(cb.overall.difference, -1);
    // The CLI: the re-runs side counts only the mode compared (3 forward re-runs, 2 of them paired),
    // and the accuracies only the 2 paired records.
    const r = spawnSync(process.execPath, [cli, 'compare', orig, reruns, '--rerun-mode', 'forward', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(
      [j.pairedBy, j.paired, j.unpairedA, j.unpairedB, j.accuracyOver, j.overall.a.total, j.overall.b.total],
      ['source', 2, 2, 1, 'paired', 2, 2],
    );
    const text = spawnSync(process.execPath, [cli, 'compare', orig, reruns, '--rerun-mode', 'forward'], { encoding: 'utf8' });
    assert.match(text.stdout, /accuracies over the paired records only: 2 \(one side is re-runs\)/);
    const bad = spawnSync(process.execPath, [cli, 'compare', orig, reruns, '--rerun-mode', 'sideways'], { encoding: 'utf8' });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /--rerun-mode must be forward or reverse/);
  });

  test('by video and question when there are no shared ids: whitespace, case and option order folded', async () => {
    const a = file('rows.jsonl', [
      { problem: Q('', 'forward', 'A. sofa, B. door'), solution: answer('A'), video: '/v/x.mp4', original_answer: 'A' },
      { problem: Q('', 'reverse', 'A. sofa, B. door'), solution: answer('B'), video: '/v/x.mp4', original_answer: 'A' },
      { problem: Q('', 'forward', 'A. lamp, B. bed'), solution: answer('A'), video: '/v/y.mp4', original_answer: 'A' },
    ]);
    const b = file('other.jsonl', [
      {
        id: 'z',
        video: '/v/x.mp4',
        question: Q('', 'reverse', 'A. door, B. sofa').toUpperCase().replace(/ /g, '  '),
        gold: 'B',
        response: answer('B'),
      },
      { id: 'y', video: '/v/x.mp4', question: Q('', 'forward', 'A.  DOOR, B. Sofa'), gold: 'B', response: answer('A') },
      { id: 'w', video: '/v/w.mp4', question: Q('', 'forward', 'A. lamp, B. bed'), gold: 'A', response: answer('A') },
    ]);
    const [ia, ib] = [await ResultsIndex.build(a), await ResultsIndex.build(b)];
    const pairing = await pairRuns(ia, ib);
    assert.equal(pairing.by, 'content');
    assert.deepEqual(
      pairing.pairs.map(([x, y]) => [x.line, y.id]),
      [
        [1, 'y'],
        [2, 'z'],
      ],
    );
    assert.deepEqual(
      pairing.unpairedA.map((e) => e.line),
      [3],
    );
    assert.deepEqual(
      pairing.unpairedB.map((e) => e.id),
      ['w'],
    );
    const c = compareRuns(ia.entries, ib.entries, pairing, 'mcq_infer');
    // Line 1 right (A = gold A), its partner y wrong (A ≠ gold B); line 2 wrong, z right.
    assert.deepEqual([c.flips.rightToWrong, c.flips.wrongToRight], [1, 1]);
  });
});

describe('forward/reverse consistency', () => {
  test('pairs on the same video and category, opposite direction', async () => {
    const r = (video: string, d: 'forward' | 'reverse', right: boolean) => ({
      id: `${video}-${d}-${right}`,
      video,
      question: Q('', d, 'A. a, B. b'),
      gold: 'A',
      response: answer(right ? 'A' : 'B'),
    });
    const f = file('one.jsonl', [
      r('v1', 'forward', true),
      r('v1', 'reverse', true),
      r('v2', 'forward', true),
      r('v2', 'reverse', false),
      r('v3', 'forward', false),
      r('v3', 'reverse', false),
      r('v4', 'forward', true),
    ]);
    const c = consistency((await ResultsIndex.build(f)).entries, 'mcq_infer');
    assert.deepEqual([c.pairs, c.bothCorrect, c.oneOnly, c.neither, c.unpaired], [3, 1, 1, 1, 1]);
    assert.deepEqual(c.byCategory.landmark, { pairs: 3, bothCorrect: 1, oneOnly: 1, neither: 1 });
  });
});

describe('st-think compare / consistency', () => {
  test('compare --json prints accuracies, flips, McNemar and unpaired counts', () => {
    const base = { video: '/v/1.mp4', question: Q('', 'forward', 'A. a, B. b'), gold: 'A' };
    const a = file(
      'ca.jsonl',
      Array.from({ length: 10 }, (_, i) => ({ id: String(i), ...base, response: answer('A') })),
    );
    const b = file(
      'cb.jsonl',
      Array.from({ length: 10 }, (_, i) => ({ id: String(i), ...base, response: answer(i < 10 ? 'B' : 'A') })),
    );
    assert.ok(fs.existsSync(cli), 'run `npm run build` first');
    const r = spawnSync(process.execPath, [cli, 'compare', a, b, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.pairedBy, 'id');
    assert.deepEqual([out.paired, out.unpairedA, out.unpairedB], [10, 0, 0]);
    assert.equal(out.flips.rightToWrong, 10);
    assert.ok(Math.abs(out.mcnemar.p - 2 / 1024) < 1e-15);
    assert.deepEqual([out.overall.a.accuracy, out.overall.b.accuracy, out.overall.difference], [1, 0, -1]);
    assert.equal(out.flipped.length, 10);
    const text = spawnSync(process.execPath, [cli, 'compare', a, b], { encoding: 'utf8' });
    assert.match(text.stdout, /exact McNemar on 10 discordant pairs: p = 0\.001953/);
    const cons = spawnSync(process.execPath, [cli, 'consistency', a, '--json'], { encoding: 'utf8' });
    assert.equal(JSON.parse(cons.stdout).pairs, 0);
    assert.equal(spawnSync(process.execPath, [cli, 'compare', a], { encoding: 'utf8' }).status, 2);
  });
});
