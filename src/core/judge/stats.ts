/**
 * Paired statistics for judge scores.
 *
 * Wilcoxon signed-rank test, two-sided, as `scipy.stats.wilcoxon(x, y)` computes it with its
 * defaults (zero_method='wilcox': zero differences dropped; correction=False; method='auto'):
 * - more than 50 pairs: the normal approximation, with the tie correction of the variance;
 * - at most 50 pairs, no ties and no zero differences: the exact null distribution of R+;
 * - at most 13 pairs with ties or zeros: a permutation test over all 2^n sign flips (scipy's
 *   PermutationMethod, exact at that size), computed here by counting, not by enumerating;
 * - 14 to 50 pairs with ties or zeros: the normal approximation.
 * The statistic is min(R+, R-), as scipy reports it for two-sided tests.
 *
 * Judge agreement per part: exact match rate, mean absolute difference, and Cohen's kappa with
 * quadratic weights on the fixed scale 0–5 (as sklearn's cohen_kappa_score(a, b, weights='quadratic',
 * labels=[0..5])); pairs where either score is not an integer from 0 to 5 are left out of kappa.
 */

export interface WilcoxonResult {
  n: number;
  /** Pairs with a non-zero difference (the ranks' count). */
  nonZero: number;
  statistic: number;
  pvalue: number;
  method: 'exact' | 'permutation' | 'normal';
  /** The normal approximation's z (only for method 'normal'). */
  z?: number;
}

/** Average ranks (1-based) of `v`, and the sizes of its groups of ties. */
export function averageRanks(v: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const ranks = new Array<number>(v.length);
  const ties: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && v[order[j + 1]] === v[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, ties };
}

/** Counts of each value of Σ s_i·w_i over all sign vectors s ∈ {0,1}^n (w integers ≥ 0). */
function subsetSumCounts(w: readonly number[]): number[] {
  const total = w.reduce((a, b) => a + b, 0);
  let c = new Array<number>(total + 1).fill(0);
  c[0] = 1;
  for (const x of w) {
    const next = c.slice();
    for (let s = 0; s + x <= total; s++) if (c[s]) next[s + x] += c[s];
    c = next;
  }
  return c;
}

/** erfc(x) for x ≥ 0, to about 1e-15 relative: a series below 3, a continued fraction above. */
function erfc(x: number): number {
  if (x < 3) {
    // erf(x) = 2/√π · e^{-x²} · Σ 2^n x^{2n+1} / (1·3·…·(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // Lentz's method on erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    D = x + a * D;
    D = D === 0 ? 1 / tiny : 1 / D;
    C = x + a / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** The standard normal's survival function P(Z > z). */
export function normalSf(z: number): number {
  return z >= 0 ? erfc(z / Math.SQRT2) / 2 : 1 - erfc(-z / Math.SQRT2) / 2;
}

/** Two-sided Wilcoxon signed-rank test of x − y (see the module comment); null when there are no pairs. */
export function wilcoxon(x: readonly number[], y: readonly number[]): WilcoxonResult | null {
  if (x.length !== y.length) throw new Error('wilcoxon: x and y must have the same length');
  const n = x.length;
  if (n === 0) return null;
  const d = x.map((v, i) => v - y[i]);
  const nz = d.filter((v) => v !== 0);
  const zeros = n - nz.length;
  const { ranks, ties } = averageRanks(nz.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  nz.forEach((v, i) => (v > 0 ? (rPlus += ranks[i]) : (rMinus += ranks[i])));
  const statistic = Math.min(rPlus, rMinus);
  const hasTies = ties.some((t) => t > 1);
  const method = n > 50 ? 'normal' : !hasTies && zeros === 0 ? 'exact' : n <= 13 ? 'permutation' : 'normal';
  if (method === 'normal') {
    const c = nz.length;
    const mn = (c * (c + 1)) / 4;
    const tieCorrect = ties.reduce((a, t) => a + t ** 3 - t, 0);
    const se = Math.sqrt((c * (c + 1) * (2 * c + 1) - tieCorrect / 2) / 24);
    const z = (rPlus - mn) / se;
    const p = Number.isFinite(z) ? 2 * normalSf(Math.abs(z)) : NaN;
    return { n, nonZero: c, statistic, pvalue: p, method, z: -Math.abs(z) };
  }
  // Exact: R+ over all sign flips, in half ranks (integers).
  const half = ranks.map((r) => Math.round(r * 2));
  const counts = subsetSumCounts(half);
  const all = 2 ** nz.length;
  const obs = Math.round(rPlus * 2);
  let le = 0;
  let ge = 0;
  counts.forEach((c, s) => {
    if (s <= (method === 'exact' ? Math.ceil(rPlus) * 2 : obs)) le += c;
    if (s >= (method === 'exact' ? Math.floor(rPlus) * 2 : obs)) ge += c;
  });
  const p = Math.min(1, (2 * Math.min(le, ge)) / all);
  return { n, nonZero: nz.length, statistic, pvalue: p, method };
}

export interface PartAgreement {
  /** Pairs compared. */
  n: number;
  exactMatch: number | null;
  meanAbsDiff: number | null;
  /** Quadratic-weighted kappa on 0–5; null when undefined (no pairs, or no spread in the expected table). */
  kappa: number | null;
  /** Pairs in kappa (integer scores 0–5 on both sides). */
  kappaN: number;
}

/** Cohen's kappa with quadratic weights over the categories 0..k-1. */
export function quadraticKappa(a: readonly number[], b: readonly number[], k = 6): number | null {
  const n = a.length;
  if (!n) return null;
  const O = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const ra = new Array<number>(k).fill(0);
  const rb = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    O[a[i]][b[i]]++;
    ra[a[i]]++;
    rb[b[i]]++;
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = (i - j) ** 2;
      num += w * O[i][j];
      den += (w * ra[i] * rb[j]) / n;
    }
  }
  return den === 0 ? null : 1 - num / den;
}

/** Agreement of two judges' scores of one part, paired by position. */
export function agreement(a: readonly number[], b: readonly number[]): PartAgreement {
  const n = a.length;
  let same = 0;
  let abs = 0;
  const ka: number[] = [];
  const kb: number[] = [];
  const onScale = (v: number) => Number.isInteger(v) && v >= 0 && v <= 5;
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) same++;
    abs += Math.abs(a[i] - b[i]);
    if (onScale(a[i]) && onScale(b[i])) {
      ka.push(a[i]);
      kb.push(b[i]);
    }
  }
  return { n, exactMatch: n ? same / n : null, meanAbsDiff: n ? abs / n : null, kappa: quadraticKappa(ka, kb), kappaN: ka.length };
}
