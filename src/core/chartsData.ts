/**
 * The numbers behind the charts (the summary's letter distributions and confusion matrices, the
 * comparison's B − A per bucket with its flips). Computed here, in plain Node, so that tests can
 * check them against the tables they picture; the webview only draws them.
 */
import type { IndexEntry } from './index';
import { outcomeOf, predictedOf } from './summary';
import type { ScoringRule } from './vocabulary';

/** The answer letters charted one by one; anything else is "other", no answer at all is "none". */
export const CHART_LETTERS = ['A', 'B', 'C', 'D'] as const;
/** Columns of the predicted side: the letters, another answer, no answer. */
export const PREDICTED_BINS = [...CHART_LETTERS, 'other', 'none'] as const;
/** Rows of the gold side: the letters, a gold that is not one of them. */
export const GOLD_BINS = [...CHART_LETTERS, 'other'] as const;

export interface LetterDistribution {
  /** PREDICTED_BINS, in order. */
  bins: string[];
  /** Scored records whose prediction falls in each bin. */
  predicted: number[];
  /** Scored records whose gold falls in each bin (never "none": a scored record has a gold). */
  gold: number[];
}

export interface Confusion {
  /** GOLD_BINS: the rows. */
  gold: string[];
  /** PREDICTED_BINS: the columns. */
  predicted: string[];
  /** counts[gold][predicted]: they add up to the scored records (the accuracy's denominator). */
  counts: number[][];
}

function bin(letter: string, empty: 'none' | 'other'): number {
  if (letter === '') return PREDICTED_BINS.indexOf(empty);
  const i = (CHART_LETTERS as readonly string[]).indexOf(letter.trim().toUpperCase());
  return i >= 0 ? i : CHART_LETTERS.length;
}

/**
 * Per scored record (correct, incorrect or unanswered: the records an accuracy counts): its gold
 * letter against the letter `rule` read from its answer, as a distribution and as a matrix.
 */
export function letterCharts(entries: Iterable<IndexEntry>, rule: ScoringRule): { letters: LetterDistribution; confusion: Confusion } {
  const predicted = PREDICTED_BINS.map(() => 0);
  const gold = PREDICTED_BINS.map(() => 0);
  const counts = GOLD_BINS.map(() => PREDICTED_BINS.map(() => 0));
  for (const e of entries) {
    const outcome = outcomeOf(e, rule);
    if (outcome === 'unscored') continue;
    const p = outcome === 'unanswered' ? PREDICTED_BINS.indexOf('none') : bin(predictedOf(e, rule), 'other');
    const g = bin(e.gold, 'other');
    predicted[p]++;
    gold[g]++;
    counts[g][p]++;
  }
  return {
    letters: { bins: [...PREDICTED_BINS], predicted, gold },
    confusion: { gold: [...GOLD_BINS], predicted: [...PREDICTED_BINS], counts },
  };
}

/** What the comparison's bars need of it (a ComparisonView, or the comparison itself). */
export interface ComparedBuckets {
  byCategoryDirection: Record<string, Record<string, { difference: number | null }>>;
  flipped: readonly { kind: 'rightToWrong' | 'wrongToRight'; category: string; direction: string }[];
}

export interface BucketBar {
  category: string;
  direction: string;
  /** B − A in accuracy (a fraction; the chart shows points), null when a side scored nothing. */
  difference: number | null;
  /** Pairs of this bucket right in A and wrong in B. */
  rightToWrong: number;
  /** Pairs of this bucket wrong in A and right in B. */
  wrongToRight: number;
}

/** One bar per category × direction of a comparison: its B − A and its flips, in the table's order. */
export function bucketBars(c: ComparedBuckets): BucketBar[] {
  const bars: BucketBar[] = [];
  const at = new Map<string, BucketBar>();
  for (const [category, dirs] of Object.entries(c.byCategoryDirection)) {
    for (const [direction, k] of Object.entries(dirs)) {
      const bar = { category, direction, difference: k.difference, rightToWrong: 0, wrongToRight: 0 };
      bars.push(bar);
      at.set(`${category}\u0000${direction}`, bar);
    }
  }
  for (const f of c.flipped) {
    const bar = at.get(`${f.category}\u0000${f.direction}`);
    if (bar) bar[f.kind]++;
  }
  return bars;
}

/**
 * A curve smoothed as TensorBoard smooths it: an exponential moving average with weight `weight`
 * (0: as is, 0.99: very smooth), debiased so that the first points are not pulled towards 0. Points
 * that are null or not finite stay null and do not move the average.
 */
export function smoothCurve(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (!(weight > 0)) return [...values];
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
}

/**
 * The points of a curve worth drawing at a given width: each point's column is the pixel column a plot
 * draws it in, round(offset + columns · (x − lo) / (hi − lo)) for the step range `[lo, hi]` shown
 * `columns` pixels wide from `offset` (uPlot's arithmetic, so that the columns are its pixels), and in each
 * column stay the first and the last point and, for every one of `ys` (e.g. the logged and the smoothed
 * values, which must then be read at the same steps), the point of its lowest and of its highest value.
 * A line through these points covers, column by column, the same heights as the line through every
 * point: a spike is some column's highest or lowest, so it stays. Outside the range: the curve's first
 * and last points (its extent, for zooming back out) and the nearest point on each side (so that the
 * line crosses the edges). Null values (gaps) are never a lowest or highest. Returns the indexes into
 * `xs` (ascending), each once.
 *
 * `xs` ascending. Without a range (the curve's extent, then) and fewer than four points per column: every index.
 */
export function decimationIndexes(
  xs: readonly number[],
  ys: readonly (readonly (number | null)[])[],
  columns: number,
  range?: readonly [number, number],
  offset = 0,
): number[] {
  const n = xs.length;
  if (n === 0) return [];
  const lo = range ? range[0] : xs[0];
  const hi = range ? range[1] : xs[n - 1];
  const all = (): number[] => Array.from({ length: n }, (_, i) => i);
  if (!(columns > 0) || !(hi >= lo) || (!range && n <= 4 * columns)) return all();
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  // The first index at or after lo, and the one past the last at or before hi.
  let start = 0;
  while (start < n && xs[start] < lo) start++;
  let end = start;
  while (end < n && xs[end] <= hi) end++;
  if (start > 0) keep[start - 1] = 1;
  if (end < n) keep[end] = 1;
  const delta = hi - lo;
  const k = ys.length;
  // Per y array: the column's lowest and highest so far, and where.
  const minAt = new Int32Array(k);
  const maxAt = new Int32Array(k);
  let col = NaN;
  let last = -1;
  const close = () => {
    if (last < 0) return;
    keep[last] = 1;
    for (let j = 0; j < k; j++) {
      if (minAt[j] >= 0) keep[minAt[j]] = 1;
      if (maxAt[j] >= 0) keep[maxAt[j]] = 1;
    }
  };
  for (let i = start; i < end; i++) {
    const c = delta > 0 ? Math.round(offset + columns * ((xs[i] - lo) / delta)) : 0;
    if (c !== col) {
      close();
      col = c;
      keep[i] = 1;
      minAt.fill(-1);
      maxAt.fill(-1);
    }
    last = i;
    for (let j = 0; j < k; j++) {
      const v = ys[j][i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if (minAt[j] < 0 || v < (ys[j][minAt[j]] as number)) minAt[j] = i;
      if (maxAt[j] < 0 || v > (ys[j][maxAt[j]] as number)) maxAt[j] = i;
    }
  }
  close();
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(i);
  return out;
}
