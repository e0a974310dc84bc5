/**
 * Two sets of judge scores of the same samples, paired by sample key: two runs judged by one judge
 * (compare: is B better than A?), or one run judged twice (two judge models, or a re-judge: how much
 * of a difference is the judge?). Failed calls and unreadable replies are left out of the pairs
 * (they are no judge's opinion); samples judged on one side only are counted.
 */
import type { JudgmentStatus } from './evaluation';
import { agreement, wilcoxon, type PartAgreement, type WilcoxonResult } from './stats';
import type { Judgment } from './store';
import type { Scored } from './summary';
import { readUpstreamJudgeFile } from './summary';

export interface JudgeComparison {
  pairs: number;
  onlyA: number;
  onlyB: number;
  meanA: number | null;
  meanB: number | null;
  /** mean(B − A) over the pairs. */
  meanDiff: number | null;
  /** Wilcoxon signed-rank of the paired totals, B against A (scipy's defaults); null with no pairs. */
  wilcoxon: WilcoxonResult | null;
  /** Per part: exact match rate, mean absolute difference, quadratic-weighted kappa. */
  agreement: { direction: PartAgreement; landmark: PartAgreement; semantic: PartAgreement };
}

const counts = (s: Scored) => s.status === 'scored';

/** Pairs `a` and `b` by key, in `order` (A's keys first, as read), and compares them. */
export function compareJudgments(a: ReadonlyMap<string, Scored>, b: ReadonlyMap<string, Scored>): JudgeComparison {
  const pa: Scored[] = [];
  const pb: Scored[] = [];
  let onlyA = 0;
  for (const [k, x] of a) {
    if (!counts(x)) continue;
    const y = b.get(k);
    if (y && counts(y)) {
      pa.push(x);
      pb.push(y);
    } else onlyA++;
  }
  let onlyB = 0;
  for (const [k, y] of b) if (counts(y) && !(a.get(k) && counts(a.get(k)!))) onlyB++;
  const n = pa.length;
  const mean = (xs: Scored[]) => (n ? xs.reduce((s, x) => s + x.total, 0) / n : null);
  const part = (k: keyof Scored['parts']) =>
    agreement(
      pa.map((x) => x.parts[k]),
      pb.map((x) => x.parts[k]),
    );
  return {
    pairs: n,
    onlyA,
    onlyB,
    meanA: mean(pa),
    meanB: mean(pb),
    meanDiff: n ? pb.reduce((s, y, i) => s + (y.total - pa[i].total), 0) / n : null,
    wilcoxon: wilcoxon(
      pb.map((y) => y.total),
      pa.map((x) => x.total),
    ),
    agreement: { direction: part('direction'), landmark: part('landmark'), semantic: part('semantic') },
  };
}

/** The judgments of one model in a judgments file, by record (the latest; a failed call only when nothing else). */
export function judgmentsByRecord(judgments: readonly Judgment[], model?: string): { model: string | null; byKey: Map<string, Scored> } {
  const chosen = model ?? [...judgments].reverse().find((j) => j.status !== 'failed')?.model ?? null;
  const byKey = new Map<string, Scored>();
  for (const j of judgments) {
    if (j.model !== chosen) continue;
    const prev = byKey.get(j.record);
    if (!prev || j.status !== 'failed' || prev.status === 'failed')
      byKey.set(j.record, { status: j.status as JudgmentStatus, parts: j.parts, total: j.total });
  }
  return { model: chosen, byKey };
}

/** An upstream judge output's evaluations by key. */
export function upstreamByKey(file: string): Map<string, Scored> {
  return new Map(readUpstreamJudgeFile(file).evaluations.map((e) => [e.key, e]));
}
