/**
 * The judge part of a comparison of two sets of judge scores of route answers: two runs judged by
 * one judge (the comparison view, `st-think compare`), or one run judged twice (the agreement view,
 * `st-think agreement`). One computation for all of them:
 * - each side's own numbers per direction, as the summary counts them (judged, skipped, failed,
 *   unreadable, not judged; the mean with failed calls and unreadable replies as 0, as upstream);
 * - the pairs by sample key, overall and per direction (the direction of A's record): the paired
 *   means, the mean difference B − A, the Wilcoxon signed-rank test and the per-part agreement
 *   (compareJudgments: failed calls and unreadable replies are left out of the pairs).
 */
import { DIRECTIONS, type Direction } from '../vocabulary';
import type { Table } from '../export';
import { compareJudgments, type JudgeComparison } from './agreement';
import type { RouteItem } from './run';
import { summariseScores, type Scored, type SideScores } from './summary';

/** One side's own judge numbers (of its route records; a summary without the parts and the source). */
export type { SideScores };

/** One side: its route records and the score of each (undefined: not judged). */
export interface JudgedSide {
  items: readonly RouteItem[];
  scoreOf: (item: RouteItem) => Scored | undefined;
}

export interface DirectionJudgeComparison extends JudgeComparison {
  a: SideScores;
  b: SideScores;
}

/** The whole: the overall pairs (JudgeComparison's fields), each side's numbers, and the same per direction. */
export interface RunsJudgeComparison extends DirectionJudgeComparison {
  byDirection: Record<Direction, DirectionJudgeComparison>;
}

function sideScores(side: JudgedSide, items: readonly RouteItem[]): SideScores {
  const s = summariseScores(items, side.scoreOf, { kind: 'judgments', file: '', model: null, endpoint: null });
  return { judged: s.judged, skipped: s.skipped, failed: s.failed, unparsed: s.unparsed, notJudged: s.notJudged, mean: s.mean };
}

function scoresByKey(side: JudgedSide, items: readonly RouteItem[]): Map<string, Scored> {
  const m = new Map<string, Scored>();
  for (const i of items) {
    const s = side.scoreOf(i);
    if (s) m.set(i.id, s);
  }
  return m;
}

function part(a: JudgedSide, b: JudgedSide, itemsA: readonly RouteItem[], itemsB: readonly RouteItem[]): DirectionJudgeComparison {
  return {
    ...compareJudgments(scoresByKey(a, itemsA), scoresByKey(b, itemsB)),
    a: sideScores(a, itemsA),
    b: sideScores(b, itemsB),
  };
}

/** Compares two sides' judge scores (see the module comment); the per-direction pairs go by the direction of each side's record. */
export function compareRunJudgments(a: JudgedSide, b: JudgedSide): RunsJudgeComparison {
  const byDirection = {} as Record<Direction, DirectionJudgeComparison>;
  for (const d of DIRECTIONS)
    byDirection[d] = part(
      a,
      b,
      a.items.filter((i) => i.direction === d),
      b.items.filter((i) => i.direction === d),
    );
  return { ...part(a, b, a.items, b.items), byDirection };
}

const n3 = (x: number | null) => (x === null ? null : String(Number(x.toFixed(4))));

/** The judge comparison as two export tables: per direction (each side, the pairs, the test), and the per-part agreement. */
export function judgeComparisonTables(c: RunsJudgeComparison): Table[] {
  const rows: (string | null)[][] = [];
  for (const [dir, k] of [...DIRECTIONS.map((d) => [d, c.byDirection[d]] as const), ['both', c] as const]) {
    const w = k.wilcoxon;
    rows.push([
      dir,
      ...[k.a, k.b].flatMap((s) => [String(s.judged), String(s.skipped), String(s.failed), String(s.unparsed), n3(s.mean)]),
      String(k.pairs),
      n3(k.meanA),
      n3(k.meanB),
      n3(k.meanDiff),
      w ? String(w.statistic) : null,
      w ? String(Number(w.pvalue.toPrecision(4))) : null,
      w ? w.method : null,
    ]);
  }
  const side = (s: string) => [`${s} judged`, `${s} skipped`, `${s} failed`, `${s} unreadable`, `${s} mean`];
  const scores: Table = {
    columns: ['direction', ...side('A'), ...side('B'), 'pairs', 'paired mean A', 'paired mean B', 'B - A', 'Wilcoxon W', 'p', 'method'],
    rows,
    right: [false, ...new Array<boolean>(16).fill(true), false],
  };
  const agreement: Table = {
    columns: ['part', 'pairs', 'exact match', 'mean |difference|', 'quadratic kappa', 'pairs in kappa'],
    rows: (
      [
        ['direction', c.agreement.direction],
        ['landmark', c.agreement.landmark],
        ['semantic and logic', c.agreement.semantic],
      ] as const
    ).map(([name, g]) => [name, String(g.n), n3(g.exactMatch), n3(g.meanAbsDiff), n3(g.kappa), String(g.kappaN)]),
    right: [false, true, true, true, true, true],
  };
  return [scores, agreement];
}
