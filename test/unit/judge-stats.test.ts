/**
 * The paired test and the agreement measures for judge scores, against known values and, where
 * python3 with scipy is present, against scipy.stats.wilcoxon with its defaults (each of its
 * methods: exact, the permutation test for small samples with ties or zeros, the normal
 * approximation) and a direct numpy computation of the quadratic-weighted kappa.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { agreement, averageRanks, normalSf, quadraticKappa, wilcoxon } from '../../src/core/judge/stats';

const hasScipy = spawnSync('python3', ['-c', 'import scipy.stats, numpy'], { encoding: 'utf8' }).status === 0;
const noScipy = hasScipy ? undefined : 'python3 with scipy is not installed: the known values above are checked instead';

/** Judge totals are thirds: a seeded pair of score lists with ties and zeros. */
function pairs(n: number, seed: number, spread = 16): [number[], number[]] {
  let x = seed;
  const r = () => {
    x = (x * 48271) % 2147483647;
    return x / 2147483647;
  };
  const a = Array.from({ length: n }, () => Math.floor(r() * spread) / 3);
  const b = Array.from({ length: n }, () => Math.floor(r() * spread) / 3);
  return [a, b];
}

function scipy(cases: [number[], number[]][]): { statistic: number; pvalue: number }[] {
  const script = `
import json, sys, warnings
from scipy.stats import wilcoxon
warnings.simplefilter('ignore')
out = []
for x, y in json.load(sys.stdin):
    r = wilcoxon(x, y)
    out.append({'statistic': float(r.statistic), 'pvalue': float(r.pvalue)})
print(json.dumps(out))`;
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { statistic: number; pvalue: number }[];
}

const close = (a: number, b: number, tol = 1e-10) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

describe('Wilcoxon signed-rank (scipy defaults)', () => {
  test('known values', () => {
    // No ties, no zeros, n = 10: exact. The one negative difference has the largest rank: R- = 10,
    // and 43 of the 1024 sign patterns have a rank sum of 10 or less (scipy: 0.083984375).
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const y = x.map((v, i) => (i === 4 ? v + 5 : v - (i + 1) / 100 - 0.001));
    const r = wilcoxon(x, y)!;
    assert.equal(r.method, 'exact');
    assert.equal(r.statistic, 10);
    assert.equal(r.pvalue, (2 * 43) / 1024);
    // All equal: nothing to rank.
    assert.equal(wilcoxon([1, 2], [3, 4])!.pvalue, 0.5);
    assert.equal(wilcoxon([], []), null);
    assert.deepEqual(averageRanks([3, 1, 3, 2]), { ranks: [3.5, 1, 3.5, 2], ties: [1, 1, 2] });
  });

  test('method chosen as scipy chooses it', () => {
    assert.equal(wilcoxon(...pairs(10, 3, 1000))!.method, 'exact');
    assert.equal(wilcoxon(...pairs(12, 3))!.method, 'permutation');
    assert.equal(wilcoxon(...pairs(30, 3))!.method, 'normal');
    assert.equal(wilcoxon(...pairs(60, 3, 100000))!.method, 'normal');
  });

  test('normal sf', () => {
    assert.ok(close(normalSf(0), 0.5, 1e-15));
    assert.ok(close(normalSf(1.959963984540054), 0.025, 1e-13));
    assert.ok(close(normalSf(5), 2.866515718791939e-7, 1e-12));
    assert.ok(close(normalSf(-1), 0.8413447460685429, 1e-14));
  });

  test('against scipy.stats.wilcoxon on 60 seeded cases', { skip: noScipy }, () => {
    const cases: [number[], number[]][] = [];
    for (let s = 1; s <= 15; s++) cases.push(pairs(3 + (s % 11), s), pairs(14 + s * 2, s), pairs(5 + s, s, 1e6), pairs(51 + s * 3, s));
    const want = scipy(cases);
    const bad: string[] = [];
    cases.forEach(([x, y], i) => {
      const got = wilcoxon(x, y)!;
      const w = want[i];
      const sameP = Number.isNaN(w.pvalue) ? Number.isNaN(got.pvalue) : close(got.pvalue, w.pvalue, 1e-9);
      if (!sameP || got.statistic !== w.statistic)
        bad.push(`n=${x.length} ${got.method}: ours ${got.statistic} p=${got.pvalue}, scipy ${w.statistic} p=${w.pvalue}`);
    });
    assert.deepEqual(bad, []);
  });
});

describe('judge agreement', () => {
  test('quadratic kappa: known values', () => {
    assert.equal(quadraticKappa([0, 1, 2, 3], [0, 1, 2, 3]), 1);
    assert.equal(quadraticKappa([0, 5], [5, 0]), -1);
    assert.equal(quadraticKappa([3, 3], [3, 3]), null);
    const a = agreement([4, 3, 5, 2.5], [4, 2, 5, 3]);
    assert.deepEqual([a.n, a.exactMatch, a.meanAbsDiff, a.kappaN], [4, 0.5, 0.375, 3]);
  });

  test('quadratic kappa against numpy (Cohen 1968 on the scale 0–5)', { skip: noScipy }, () => {
    const cases = Array.from({ length: 20 }, (_, s) => pairs(5 + s * 3, s + 1, 18).map((v) => v.map((t) => Math.floor(t))));
    const script = `
import json, sys, numpy as np
out = []
for a, b in json.load(sys.stdin):
    O = np.zeros((6, 6))
    for i, j in zip(a, b): O[i, j] += 1
    E = np.outer(O.sum(1), O.sum(0)) / O.sum()
    W = np.array([[(i - j) ** 2 for j in range(6)] for i in range(6)])
    out.append(1 - (W * O).sum() / (W * E).sum())
print(json.dumps(out))`;
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as number[];
    cases.forEach(([a, b], i) =>
      assert.ok(close(quadraticKappa(a, b)!, want[i], 1e-12), `case ${i}: ${quadraticKappa(a, b)} vs ${want[i]}`),
    );
  });
});
