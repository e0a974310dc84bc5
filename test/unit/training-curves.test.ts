/**
 * The training curves (issue 13): the charts built from metric entries (order, eval marks, gaps,
 * log scale offered only for positive values) and the step ↔ completion-group mapping (inferred
 * only when the calls split evenly into steps, given by the user otherwise, never guessed).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { curveCharts, groupsOfStep, stepMapping, stepOfGroup, TrainingRun, type MetricEntry } from '../../src/core/training';
import { decimationIndexes, smoothCurve } from '../../src/core/chartsData';
import { fixture, makeTempDir, removeDir } from './helpers';

const entry = (kind: MetricEntry['kind'], step: number, values: Record<string, number>): MetricEntry => ({
  kind,
  step,
  stepFrom: 'file',
  values,
  file: 'f',
  line: step,
});

describe('step ↔ group mapping', () => {
  test('inferred when the groups split evenly into steps: step s holds calls k·(s − 1) … k·s − 1', () => {
    const m = stepMapping(24, 6, 1);
    assert.equal(m.kind, 'mapped');
    if (m.kind !== 'mapped') return;
    assert.equal(m.callsPerStep, 4);
    assert.ok(m.inferred);
    assert.match(m.text, /4 reward calls per step \(24 calls over 6 steps\)/);
    assert.deepEqual(groupsOfStep(m, 1), { first: 0, end: 4, fromStep: 1, toStep: 1 });
    assert.deepEqual(groupsOfStep(m, 6), { first: 20, end: 24, fromStep: 6, toStep: 6 });
    assert.equal(groupsOfStep(m, 7), undefined, 'past the log');
    assert.equal(groupsOfStep(m, 0), undefined);
    assert.equal(stepOfGroup(m, 0), 1);
    assert.equal(stepOfGroup(m, 3), 1);
    assert.equal(stepOfGroup(m, 4), 2);
    assert.equal(stepOfGroup(m, 23), 6);
    assert.equal(stepOfGroup(m, 24), undefined);
  });

  test('a point logged every logging_steps steps opens the calls of the steps since the previous point', () => {
    const m = stepMapping(20, 10, 5);
    assert.equal(m.kind, 'mapped');
    assert.deepEqual(groupsOfStep(m, 5), { first: 0, end: 10, fromStep: 1, toStep: 5 });
    assert.deepEqual(groupsOfStep(m, 10), { first: 10, end: 20, fromStep: 6, toStep: 10 });
    for (let g = 0; g < 20; g++) {
      const s = stepOfGroup(m, g)!;
      const r = groupsOfStep(m, Math.ceil(s / 5) * 5)!;
      assert.ok(g >= r.first && g < r.end, `group ${g} (step ${s}) is behind its logged point`);
    }
  });

  test('no mapping when the calls do not split evenly, or without groups or steps: said, not guessed', () => {
    const uneven = stepMapping(12500, 10000);
    assert.equal(uneven.kind, 'none');
    assert.match(uneven.text, /12500 reward calls do not split evenly into 10000 steps/);
    assert.equal(groupsOfStep(uneven, 1), undefined);
    assert.equal(stepOfGroup(uneven, 0), undefined);
    assert.equal(stepMapping(3, 6).kind, 'none', 'fewer calls than steps');
    assert.match(stepMapping(0, 6).text, /no reward debug log/);
    assert.match(stepMapping(6, 0).text, /no metrics/);
  });

  test('a number of calls per step given by the user is used as is (the last step holds what the log has)', () => {
    const m = stepMapping(10, 4, 1, 3);
    assert.equal(m.kind, 'mapped');
    if (m.kind !== 'mapped') return;
    assert.equal(m.inferred, false);
    assert.match(m.text, /rewardCallsPerStep/);
    assert.deepEqual(groupsOfStep(m, 4), { first: 9, end: 10, fromStep: 4, toStep: 4 });
    assert.equal(groupsOfStep(m, 5), undefined);
    assert.equal(stepMapping(10, 4, 1, 2.5).kind, 'none', 'not a whole number: inferred instead, and 10/4 is not whole');
  });
});

describe('curve charts', () => {
  test('the metrics in the view order, eval_X marked on X, the summary and bookkeeping left out, NaN a gap', () => {
    const run = [
      entry('train', 1, { loss: 0.1, learning_rate: 1e-5, reward: 0.2, 'rewards/accuracy_reward': 0.2, kl: 0, grad_norm: NaN, epoch: 0.5 }),
      entry('train', 2, { loss: 0.05, learning_rate: 5e-6, reward: 0.4, 'rewards/accuracy_reward': 0.4, kl: 1e-4, grad_norm: 1, epoch: 1 }),
      entry('eval', 2, { eval_loss: 0.2, eval_runtime: 3, epoch: 1 }),
      entry('summary', 2, { train_runtime: 10, train_loss: 0.07, total_flos: 5 }),
    ];
    const charts = curveCharts([run]);
    assert.deepEqual(
      charts.map((c) => c.metric),
      ['reward', 'rewards/accuracy_reward', 'kl', 'loss', 'learning_rate', 'grad_norm', 'epoch', 'runtime'],
    );
    const loss = charts.find((c) => c.metric === 'loss')!;
    assert.deepEqual(loss.series, [{ run: 0, steps: [1, 2], values: [0.1, 0.05] }]);
    assert.deepEqual(loss.evals, [{ run: 0, steps: [2], values: [0.2] }]);
    assert.ok(loss.positive && loss.logFirst);
    const kl = charts.find((c) => c.metric === 'kl')!;
    assert.ok(!kl.positive && !kl.logFirst, 'a 0 rules out the log scale');
    assert.deepEqual(charts.find((c) => c.metric === 'grad_norm')!.series[0].values, [null, 1]);
    assert.deepEqual(charts.find((c) => c.metric === 'epoch')!.series[0].steps, [1, 2], "the eval entry's epoch is no point");
    assert.ok(!charts.find((c) => c.metric === 'reward')!.logFirst, 'reward is not log-first');
    assert.ok(!charts.some((c) => c.metric.startsWith('train_')));
  });

  test('several runs overlaid: a series per run on the same chart', () => {
    const a = [entry('train', 1, { reward: 0.1 }), entry('train', 2, { reward: 0.2 })];
    const b = [entry('train', 5, { reward: 0.5, loss: 1 })];
    const charts = curveCharts([a, b]);
    const reward = charts.find((c) => c.metric === 'reward')!;
    assert.deepEqual(
      reward.series.map((s) => [s.run, s.steps]),
      [
        [0, [1, 2]],
        [1, [5]],
      ],
    );
    assert.deepEqual(
      charts.find((c) => c.metric === 'loss')!.series.map((s) => s.run),
      [1],
    );
  });

  test("the fixture run: 6 training steps, eval_loss at steps 2, 4, 6; its mapping needs the log's calls per step", async () => {
    const run = await TrainingRun.open(path.dirname(path.dirname(fixture('training/run/checkpoint-4/trainer_state.json'))));
    const loss = curveCharts([run.entries]).find((c) => c.metric === 'loss')!;
    assert.deepEqual(loss.series[0].steps, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(loss.evals[0].steps, [2, 4, 6]);
    assert.equal(run.lastTrainStep, 6);
    assert.equal(run.loggingSteps, 1);
    assert.equal(run.groups.length, 2);
    assert.equal(run.stepMapping().kind, 'none', '2 groups over 6 steps');
    assert.equal(run.stepMapping(1).kind, 'mapped');
  });

  test('a run whose debug log holds k calls per step maps each step to its k groups, in the order calls first appear', async () => {
    const dir = makeTempDir('curves');
    try {
      const history = [1, 2, 3].map((step) => ({ loss: 0.1 * step, reward: 0.5, step }));
      fs.mkdirSync(path.join(dir, 'checkpoint-3'));
      fs.writeFileSync(
        path.join(dir, 'checkpoint-3', 'trainer_state.json'),
        JSON.stringify({ global_step: 3, logging_steps: 1, log_history: history }),
      );
      const sol = '<think>x</think> <answer>A</answer>';
      let log = '';
      // Two processes per step, interleaved: 6 calls of 2 completions.
      for (let s = 1; s <= 3; s++)
        for (const g of [0, 1, 0, 1]) {
          log += `------------- 03-10-00-0${s}-00000${g} Accuracy reward: 1.0 -------------\n`;
          log += `Content: <answer>A</answer>\nSolution: ${sol}\n`;
        }
      fs.writeFileSync(path.join(dir, 'debug_log.txt'), log);
      const run = await TrainingRun.open(dir);
      assert.equal(run.groups.length, 6);
      const m = run.stepMapping();
      assert.equal(m.kind, 'mapped');
      assert.deepEqual(groupsOfStep(m, 2), { first: 2, end: 4, fromStep: 2, toStep: 2 });
      assert.deepEqual(
        run.groups.slice(2, 4).map((g) => g.timestamp),
        ['03-10-00-02-000000', '03-10-00-02-000001'],
      );
    } finally {
      removeDir(dir);
    }
  });
});

describe('reward debug log headers read from bytes (the speed-up) as the HEADER pattern reads them', () => {
  test('only lines with exactly 13 dashes, one timestamp, "Accuracy reward: R" and 13 dashes are headers', async () => {
    const dir = makeTempDir('headers');
    try {
      const body = 'Content: <answer>A</answer>\nSolution: <answer>A</answer>\n';
      const headers = [
        ['------------- 03-10-00-01-000001 Accuracy reward: 1.0 -------------', true],
        ['------------- 03-10-00-01-000002 Accuracy reward: 0.0 -------------\r', true],
        ['------------- 03-10-00-01-000003 Accuracy reward: nan -------------', true],
        ['------------- 03-10-00-01-000004 Accuracy reward: 1.0 --------------', false],
        ['------------- 03-10-00-01-000005 Accuracy reward: 1.0 ------------', false],
        ['------------- 03-10-00-01-000006  Accuracy reward: 1.0 -------------', false],
        ['------------- 03-10-00-01-000007 Accuracy reward:  1.0 -------------', false],
        ['------------- 03-10-00-01-000008\tAccuracy reward: 1.0 -------------', false],
        ['------------- 03-10-00-01-00000\u00e9 Accuracy reward: 1.0 -------------', true],
        ['------------- 03-10-00-01\u00a0000010 Accuracy reward: 1.0 -------------', false],
        ['------------- 03-10-00-01-000011 Accuracy reward: 1.0 -------------\r\r', false],
      ] as const;
      const file = path.join(dir, 'debug.log');
      fs.writeFileSync(file, headers.map(([h]) => `${h}\n${body}`).join(''));
      const { TrainingLogReader } = await import('../../src/core/training');
      const r = new TrainingLogReader(file);
      await r.read();
      const expected = headers.filter(([, ok]) => ok).map(([h]) => /^-{13} (\S+) /.exec(h)![1]);
      assert.deepEqual(
        r.completions.toArray().map((c) => c.timestamp),
        expected,
      );
      assert.ok(Number.isNaN(r.completions.get(2).accuracy));
    } finally {
      removeDir(dir);
    }
  });
});

/**
 * Thinning a curve to the points worth drawing (src/core/chartsData.ts decimationIndexes): the curves
 * view draws a few points per pixel column instead of 10k, and the picture must not change: in every
 * column the first, the last, the lowest and the highest point stay (so does every spike), and a range
 * narrow enough keeps every point in it (zooming in shows full detail again).
 */
describe('decimationIndexes: the points of a curve that draw it at a width', () => {
  /** A small deterministic generator (xorshift), so that a failure is repeatable. */
  const random = (seed: number) => () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return ((seed >>> 0) % 1_000_000) / 1_000_000;
  };
  const columnOf = (x: number, lo: number, hi: number, cols: number, offset = 0) => Math.round(offset + cols * ((x - lo) / (hi - lo)));

  /** Every column of [lo, hi]: its first and last point kept, and each y array's lowest and highest value. */
  function assertFaithful(xs: number[], ys: (number | null)[][], cols: number, kept: number[], range?: [number, number], offset = 0) {
    const lo = range ? range[0] : xs[0];
    const hi = range ? range[1] : xs[xs.length - 1];
    const keep = new Set(kept);
    assert.deepEqual(
      kept,
      [...keep].sort((a, b) => a - b),
      'ascending, each once',
    );
    const byColumn = new Map<number, number[]>();
    xs.forEach((x, i) => {
      if (x < lo || x > hi) return;
      const c = columnOf(x, lo, hi, cols, offset);
      byColumn.set(c, [...(byColumn.get(c) ?? []), i]);
    });
    for (const [c, idx] of byColumn) {
      assert.ok(keep.has(idx[0]) && keep.has(idx[idx.length - 1]), `column ${c}: first and last kept`);
      for (const y of ys) {
        const all = idx.map((i) => y[i]).filter((v): v is number => v !== null);
        const shown = idx
          .filter((i) => keep.has(i))
          .map((i) => y[i])
          .filter((v): v is number => v !== null);
        if (!all.length) continue;
        assert.equal(Math.min(...shown), Math.min(...all), `column ${c}: the lowest value kept`);
        assert.equal(Math.max(...shown), Math.max(...all), `column ${c}: the highest value kept`);
      }
      // When thinned, nothing else: at most the first, the last and two per y array.
      if (kept.length < xs.length) assert.ok(idx.filter((i) => keep.has(i)).length <= 2 + 2 * ys.length, `column ${c} thinned`);
    }
    assert.ok(keep.has(0) && keep.has(xs.length - 1), "the curve's first and last points (its extent) kept");
  }

  test('10k noisy points with spikes and gaps, logged and smoothed, at 500 columns', () => {
    const r = random(7);
    const xs = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const logged = xs.map((s) => (s % 997 === 0 ? null : s === 4321 ? 50 : s === 777 ? -50 : Math.sin(s / 300) + r() * 0.2));
    const smoothed = smoothCurve(logged, 0.9);
    const kept = decimationIndexes(xs, [logged, smoothed], 500);
    assertFaithful(xs, [logged, smoothed], 500, kept);
    assert.ok(kept.includes(4320) && kept.includes(776), 'the spikes stay');
    assert.ok(kept.length <= 500 * 6 && kept.length < 3000, `${kept.length} points kept of 10k`);
    for (const i of kept) assert.ok(logged[i] !== null || smoothed[i] === null, 'a gap is never a lowest or highest');
  });

  test('uneven steps (logging every few steps, a run restarted), many seeds and widths', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = random(seed);
      let x = 0;
      const xs = Array.from({ length: 200 + Math.floor(r() * 3000) }, () => (x += r() < 0.1 ? 0 : 1 + Math.floor(r() * 5)));
      const y = xs.map(() => (r() < 0.05 ? null : Math.round(r() * 100) / 10)); // ties too
      const cols = 7 + Math.floor(r() * 300) + (seed % 2) * 0.5; // a plot's width in device pixels may end in .5
      const offset = Math.floor(r() * 100);
      const kept = decimationIndexes(xs, [y], cols, undefined, offset);
      assertFaithful(xs, [y], cols, kept, undefined, offset);
      if (xs.length > 4 * cols) assert.ok(kept.length < xs.length, 'thinned');
    }
  });

  test('a zoomed range: full detail inside, the neighbours and the extent outside', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const y = xs.map((s) => Math.cos(s));
    const kept = decimationIndexes(xs, [y], 500, [3000, 3200]);
    const inside = kept.filter((i) => xs[i] >= 3000 && xs[i] <= 3200);
    assert.equal(inside.length, 201, 'every step of 3000–3200 (201 steps, 500 columns)');
    assert.deepEqual(
      kept.filter((i) => xs[i] < 3000 || xs[i] > 3200),
      [0, 2998, 3200, 9999],
      'outside: the first point, the neighbours of the range, the last point',
    );
    // Wider than the columns: thinned, still faithful.
    const wide = decimationIndexes(xs, [y], 100, [2000, 6000]);
    assertFaithful(xs, [y], 100, wide, [2000, 6000]);
    assert.ok(wide.length < 600);
  });

  test('few points are all kept; nothing in, nothing out; one step', () => {
    assert.deepEqual(decimationIndexes([1, 2, 3], [[1, null, 3]], 500), [0, 1, 2]);
    assert.deepEqual(decimationIndexes([], [[]], 500), []);
    assert.deepEqual(decimationIndexes([5, 5, 5, 5, 5, 5], [[1, 9, 2, 8, 3, 7]], 1, [5, 5]), [0, 1, 5], 'first = lowest, highest, last');
    // The columns are a plot's pixels: x at round(offset + columns · (x − lo) / (hi − lo)).
    const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const y = [0, 5, 1, 4, 2, 3, 9, 0, 0, 0, 0];
    // 2 columns from 0.4: x 0 in column 0 (0.4), x 1–5 in column 1 (0.6 to 1.4), x 6–10 in column 2 (1.6 to 2.4).
    assert.deepEqual(decimationIndexes(xs, [y], 2, [0, 10], 0.4), [0, 1, 2, 5, 6, 7, 10]);
  });
});
