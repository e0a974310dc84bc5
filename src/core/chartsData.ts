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
