/**
 * More than two runs: the records common to all of them, each run's accuracy per category and
 * direction on those records under both scoring rules with the best run marked, and McNemar for any
 * two runs on demand, computed by the two-run comparison itself (pairRuns, comparePairing).
 */
import type { IndexEntry, ResultsIndex } from '../index';
import { CATEGORIES, DIRECTIONS, RULES, type ScoringRule } from '../vocabulary';
import { comparePairing, pairRuns, side, type Flips, type Pairing, type SideBucket } from './compare';

/**
 * Records paired across all runs. Every run after the first is paired with the first exactly as
 * Compare With… pairs two runs (pairRuns: re-runs by source, else ids, else content); a record of the
 * first run that found a partner in every other run makes one row of `rows`, in the first run's order.
 * A record missing from any run is left out of every run's accuracies.
 */
export interface RunsPairing {
  /** How run i + 1 was paired with run 0. */
  by: Pairing['by'][];
  /** rows[k][i]: run i's record of common record k. */
  rows: IndexEntry[][];
}

export async function pairMany(indexes: readonly ResultsIndex[], opts: { signal?: AbortSignal } = {}): Promise<RunsPairing> {
  if (indexes.length < 2) throw new Error('comparing runs needs at least two');
  const [first, ...others] = indexes;
  const by: Pairing['by'][] = [];
  const partners: Map<IndexEntry, IndexEntry>[] = [];
  for (const other of others) {
    const p = await pairRuns(first, other, opts);
    by.push(p.by);
    partners.push(new Map(p.pairs));
  }
  const rows: IndexEntry[][] = [];
  for (const e of first.entries) {
    const row = [e];
    for (const m of partners) {
      const x = m.get(e);
      if (!x) break;
      row.push(x);
    }
    if (row.length === indexes.length) rows.push(row);
  }
  return { by, rows };
}

/** The rows all of whose records a filter leaves (`visible[i]`: run i's records that count). */
export function visibleRows(pairing: RunsPairing, visible: readonly (readonly IndexEntry[])[]): IndexEntry[][] {
  const sets = visible.map((v) => new Set(v));
  return pairing.rows.filter((row) => row.every((e, i) => sets[i].has(e)));
}

export interface RunsBucket {
  /** Common records in the bucket (the same questions for every run). */
  records: number;
  /** Each run's correct and scored records among them. */
  runs: SideBucket[];
  /** The runs with the highest accuracy (all of them on a tie); none when no run has a scored record. */
  best: number[];
}

export interface RunsComparison {
  rule: ScoringRule;
  /** Records common to all runs (those counted). */
  common: number;
  overall: RunsBucket;
  byCategory: Record<string, RunsBucket>;
  byDirection: Record<string, RunsBucket>;
  byCategoryDirection: Record<string, Record<string, RunsBucket>>;
}

/** The runs whose accuracy is highest, compared exactly (correct·total cross-multiplied, no rounding). */
export function bestRuns(runs: readonly SideBucket[]): number[] {
  let best: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i];
    if (!r.total) continue;
    if (!best.length) {
      best = [i];
      continue;
    }
    const top = runs[best[0]];
    const cmp = r.correct * top.total - top.correct * r.total;
    if (cmp > 0) best = [i];
    else if (cmp === 0) best.push(i);
  }
  return best;
}

function runsBucket(rows: readonly IndexEntry[][], runs: number, rule: ScoringRule): RunsBucket {
  const sides = Array.from({ length: runs }, (_, i) =>
    side(
      rows.map((r) => r[i]),
      rule,
    ),
  );
  return { records: rows.length, runs: sides, best: bestRuns(sides) };
}

/**
 * Each run's accuracy on the common records (`rows`, from pairMany), per category and direction of the
 * first run's record (so each bucket holds the same questions for every run), with the best marked.
 */
export function compareMany(rows: readonly IndexEntry[][], runs: number, rule: ScoringRule): RunsComparison {
  const group = (key: (e: IndexEntry) => string) => {
    const m = new Map<string, IndexEntry[][]>();
    for (const r of rows) {
      const k = key(r[0]);
      const list = m.get(k);
      if (list) list.push(r);
      else m.set(k, [r]);
    }
    return m;
  };
  const byKey = (key: (e: IndexEntry) => string, keys: readonly string[]) => {
    const g = group(key);
    return Object.fromEntries(keys.filter((k) => g.has(k)).map((k) => [k, runsBucket(g.get(k)!, runs, rule)]));
  };
  const cd = group((e) => `${e.category}/${e.direction}`);
  const byCategoryDirection: RunsComparison['byCategoryDirection'] = {};
  for (const c of CATEGORIES) {
    const dirs = DIRECTIONS.filter((d) => cd.has(`${c}/${d}`));
    if (dirs.length) byCategoryDirection[c] = Object.fromEntries(dirs.map((d) => [d, runsBucket(cd.get(`${c}/${d}`)!, runs, rule)]));
  }
  return {
    rule,
    common: rows.length,
    overall: runsBucket(rows, runs, rule),
    byCategory: byKey((e) => e.category, CATEGORIES),
    byDirection: byKey((e) => e.direction, DIRECTIONS),
    byCategoryDirection,
  };
}

/** Both rules' comparisons of the same rows. */
export function compareManyByRule(rows: readonly IndexEntry[][], runs: number): Record<ScoringRule, RunsComparison> {
  return Object.fromEntries(RULES.map((r) => [r, compareMany(rows, runs, r)])) as Record<ScoringRule, RunsComparison>;
}

/** McNemar of two of the runs, as the two-run comparison of just those two computes it. */
export interface PairwiseResult {
  /** The runs' positions (a < b is not required: a is the comparison's A). */
  a: number;
  b: number;
  rule: ScoringRule;
  pairedBy: Pairing['by'];
  paired: number;
  unpairedA: number;
  unpairedB: number;
  flips: Flips;
  mcnemar: { discordant: number; p: number };
}

/**
 * Pairwise McNemar on demand: runs i and j paired (once, then kept) and compared exactly as Compare
 * With… compares them (their own pairing, all the records the two share, under the filter given),
 * so each p equals the two-run comparison's.
 */
export class PairwiseTests {
  private readonly pairings = new Map<string, Promise<Pairing>>();

  constructor(
    private readonly indexes: readonly ResultsIndex[],
    /** Each run's records that count (a filter's), default all. */
    private readonly visible: readonly (readonly IndexEntry[])[] = indexes.map((x) => x.entries),
  ) {}

  /** Pairings made so far (for tests: a test is computed only when asked for). */
  get made(): number {
    return this.pairings.size;
  }

  async get(a: number, b: number, rule: ScoringRule, opts: { signal?: AbortSignal } = {}): Promise<PairwiseResult> {
    const n = this.indexes.length;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= n || b >= n || a === b)
      throw new RangeError(`pick two different runs of ${n}`);
    const key = `${a},${b}`;
    let pairing = this.pairings.get(key);
    if (!pairing) {
      pairing = pairRuns(this.indexes[a], this.indexes[b], opts);
      this.pairings.set(key, pairing);
      // A cancelled or failed pairing is not kept: asking again tries again.
      pairing.catch(() => this.pairings.delete(key));
    }
    const c = comparePairing(await pairing, this.visible[a], this.visible[b], rule);
    return {
      a,
      b,
      rule,
      pairedBy: c.pairedBy,
      paired: c.paired,
      unpairedA: c.unpairedA,
      unpairedB: c.unpairedB,
      flips: c.flips,
      mcnemar: c.mcnemar,
    };
  }
}
