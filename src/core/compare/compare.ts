/**
 * Comparing runs: pairing the records of two results files, per-bucket accuracies of each side,
 * flips between them and an exact McNemar test; and forward/reverse consistency within one file.
 */
import type { IndexEntry, ResultsIndex } from '../index';
import { questionStem } from '../derive';
import { rerunSource } from '../model/reruns';
import type { TraceRecord } from '../schemas';
import { CATEGORIES, DIRECTIONS, type Outcome, type ScoringRule } from '../vocabulary';
import { outcomeOf } from '../summary';
import { FLIP_KINDS, PAIRINGS } from './kinds';

export { FLIP_KINDS, PAIRINGS };

export interface Pairing {
  /** source: one side is the other's re-runs, each paired with the record it re-ran. */
  by: (typeof PAIRINGS)[number];
  pairs: [IndexEntry, IndexEntry][];
  unpairedA: IndexEntry[];
  unpairedB: IndexEntry[];
}

/** Ids made from a record's position in its file ("line-12") say nothing across files. */
function positional(e: IndexEntry): boolean {
  return (e.shape === 'st-r1' || e.shape === 'benchmark') && /^line-\d+$/.test(e.id);
}

/**
 * The same question asked of the same video: the stem folded (case, white space), the options as a
 * set (order folded, letters dropped).
 */
export function contentKey(r: Pick<TraceRecord, 'video' | 'question' | 'options'>): string {
  const fold = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();
  const options = r.options.map((o) => fold(o.text)).sort();
  return `${fold(r.video)}\u0000${fold(questionStem(r.question))}\u0000${options.join('\u0001')}`;
}

/** Pair two files' records in order of occurrence under a key; what finds no partner is listed. */
function pairByKey(
  a: readonly IndexEntry[],
  b: readonly IndexEntry[],
  keyA: (e: IndexEntry) => string,
  keyB: (e: IndexEntry) => string,
  by: Pairing['by'],
): Pairing {
  const waiting = new Map<string, IndexEntry[]>();
  for (const e of b) {
    const k = keyB(e);
    const list = waiting.get(k);
    if (list) list.push(e);
    else waiting.set(k, [e]);
  }
  const pairs: [IndexEntry, IndexEntry][] = [];
  const unpairedA: IndexEntry[] = [];
  const used = new Set<IndexEntry>();
  for (const e of a) {
    const list = waiting.get(keyA(e));
    const partner = list?.shift();
    if (partner) {
      pairs.push([e, partner]);
      used.add(partner);
    } else unpairedA.push(e);
  }
  return { by, pairs, unpairedA, unpairedB: b.filter((e) => !used.has(e)) };
}

/** The re-run modes present among entries that are all re-runs (empty when they are not). */
export function rerunModes(entries: readonly IndexEntry[]): ('forward' | 'reverse')[] {
  const modes = new Set<'forward' | 'reverse'>();
  for (const e of entries) {
    const r = rerunSource(e.id);
    if (!r) return [];
    modes.add(r.mode);
  }
  return [...modes].sort();
}

/**
 * The entries of a side that a comparison counts: when re-runs are paired with their records and
 * one mode is compared, the re-runs of the other mode are left out (records are all kept).
 */
export function countedEntries(
  entries: readonly IndexEntry[],
  pairing: Pick<Pairing, 'by'>,
  mode?: 'forward' | 'reverse',
): readonly IndexEntry[] {
  if (!mode || pairing.by !== 'source') return entries;
  return entries.filter((e) => {
    const r = rerunSource(e.id);
    return !r || r.mode === mode;
  });
}

/**
 * One side is the other's re-runs: each record pairs with its latest re-run (of `mode`, when given);
 * earlier re-runs and those of the other mode are listed as unpaired.
 */
function pairBySource(ea: readonly IndexEntry[], eb: readonly IndexEntry[], rerunsAreB: boolean, mode?: 'forward' | 'reverse'): Pairing {
  const reruns = rerunsAreB ? eb : ea;
  const chosen = [...reruns].reverse().filter((e) => !mode || rerunSource(e.id)!.mode === mode);
  const src = (e: IndexEntry) => rerunSource(e.id)!.source;
  const p = rerunsAreB ? pairByKey(ea, chosen, (e) => e.id, src, 'source') : pairByKey(chosen, eb, src, (e) => e.id, 'source');
  // Pairs in the original's file order; every re-run not paired is listed.
  const paired = new Set(p.pairs.flat());
  if (!rerunsAreB) p.pairs.sort((x, y) => x[1].offset - y[1].offset);
  if (rerunsAreB) p.unpairedB = eb.filter((e) => !paired.has(e));
  else p.unpairedA = ea.filter((e) => !paired.has(e));
  return p;
}

/**
 * Pair a file with its re-runs by source id; else by id when both files carry the same ids (real
 * ids, at least half of the smaller file's in common); else by video and normalised question,
 * which reads every record of both files once.
 */
export async function pairRuns(
  a: ResultsIndex,
  b: ResultsIndex,
  opts: { signal?: AbortSignal; rerunMode?: 'forward' | 'reverse' } = {},
): Promise<Pairing> {
  const ea = a.entries;
  const eb = b.entries;
  const rerunsA = rerunModes(ea).length > 0;
  const rerunsB = rerunModes(eb).length > 0;
  if (rerunsA !== rerunsB) return pairBySource(ea, eb, rerunsB, opts.rerunMode);
  if (!ea.some(positional) && !eb.some(positional)) {
    const idsB = new Set(eb.map((e) => e.id));
    let common = 0;
    for (const e of ea) if (idsB.has(e.id)) common++;
    if (common > 0 && common >= Math.min(ea.length, eb.length) / 2)
      return pairByKey(
        ea,
        eb,
        (e) => e.id,
        (e) => e.id,
        'id',
      );
  }
  const keys = new Map<IndexEntry, string>();
  for (const idx of [a, b]) for await (const { entry, record } of idx.records(idx.entries, opts)) keys.set(entry, contentKey(record));
  // A record unreadable now (changed on disk) gets a key of its own and stays unpaired.
  const key = (e: IndexEntry) => keys.get(e) ?? `\u0002${e.offset}:${e.line}`;
  return pairByKey(ea, eb, key, key, 'content');
}

/**
 * Exact McNemar test: two-sided p of the discordant counts under Binomial(b + c, 1/2),
 * 2·P(X ≤ min(b, c)) capped at 1. Summed in log space, so large counts do not underflow.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  let logTerm = -n * Math.LN2; // log C(n,0)/2^n
  let logSum = logTerm;
  for (let i = 0; i < k; i++) {
    logTerm += Math.log((n - i) / (i + 1));
    const hi = Math.max(logSum, logTerm);
    logSum = hi + Math.log(Math.exp(logSum - hi) + Math.exp(logTerm - hi));
  }
  return Math.min(1, 2 * Math.exp(logSum));
}

export interface SideBucket {
  total: number;
  correct: number;
  accuracy: number | null;
}

export interface CompareBucket {
  a: SideBucket;
  b: SideBucket;
  /** accuracy(B) − accuracy(A), or null when either is unscored. */
  difference: number | null;
}

export interface Flips {
  /** A correct, B not (incorrect or unanswered). */
  rightToWrong: number;
  /** A not correct, B correct. */
  wrongToRight: number;
  bothRight: number;
  bothWrong: number;
  /** Pairs where either side is unscored. */
  unscored: number;
}

export interface Comparison {
  rule: ScoringRule;
  pairedBy: Pairing['by'];
  /**
   * What the accuracies and differences count: each side's own records ('all'), or only the paired
   * records ('paired') when one side is re-runs: a re-runs file holds only the records re-run (and
   * earlier re-runs superseded by later ones), so its own records are no like set for the other side's.
   */
  accuracyOver: 'all' | 'paired';
  paired: number;
  unpairedA: number;
  unpairedB: number;
  overall: CompareBucket;
  byCategory: Record<string, CompareBucket>;
  byDirection: Record<string, CompareBucket>;
  byCategoryDirection: Record<string, Record<string, CompareBucket>>;
  flips: Flips;
  mcnemar: { discordant: number; p: number };
  /** The pairs whose outcome flipped, for the table of flipped records. */
  flipped: { a: IndexEntry; b: IndexEntry; kind: (typeof FLIP_KINDS)[number] }[];
}

/** One run's correct and scored records among `entries` under `rule` (unscored ones left out). */
export function side(entries: readonly IndexEntry[], rule: ScoringRule): SideBucket {
  let total = 0;
  let correct = 0;
  for (const e of entries) {
    const o = outcomeOf(e, rule);
    if (o === 'unscored') continue;
    total++;
    if (o === 'correct') correct++;
  }
  return { total, correct, accuracy: total ? correct / total : null };
}

function bucket(a: readonly IndexEntry[], b: readonly IndexEntry[], rule: ScoringRule): CompareBucket {
  const sa = side(a, rule);
  const sb = side(b, rule);
  return { a: sa, b: sb, difference: sa.accuracy !== null && sb.accuracy !== null ? sb.accuracy - sa.accuracy : null };
}

/**
 * Accuracies of each whole file per category and direction (each side's own records), and flips
 * and McNemar over the paired records. When one side is the other's re-runs (paired by source), the
 * accuracies too are over the paired records only: the latest re-run of each record against it.
 */
export function compareRuns(allA: readonly IndexEntry[], allB: readonly IndexEntry[], pairing: Pairing, rule: ScoringRule): Comparison {
  const accuracyOver = pairing.by === 'source' ? 'paired' : 'all';
  const a = accuracyOver === 'paired' ? pairing.pairs.map(([x]) => x) : allA;
  const b = accuracyOver === 'paired' ? pairing.pairs.map(([, y]) => y) : allB;
  const group = (es: readonly IndexEntry[], key: (e: IndexEntry) => string) => {
    const m = new Map<string, IndexEntry[]>();
    for (const e of es) {
      const k = key(e);
      const list = m.get(k);
      if (list) list.push(e);
      else m.set(k, [e]);
    }
    return m;
  };
  const byKey = (key: (e: IndexEntry) => string, keys: readonly string[]) => {
    const ga = group(a, key);
    const gb = group(b, key);
    return Object.fromEntries(keys.filter((k) => ga.has(k) || gb.has(k)).map((k) => [k, bucket(ga.get(k) ?? [], gb.get(k) ?? [], rule)]));
  };
  const byCategoryDirection: Comparison['byCategoryDirection'] = {};
  for (const c of CATEGORIES) {
    const row = byKey(
      (e) => `${e.category}/${e.direction}`,
      DIRECTIONS.map((d) => `${c}/${d}`),
    );
    const dirs = Object.fromEntries(Object.entries(row).map(([k, v]) => [k.split('/')[1], v]));
    if (Object.keys(dirs).length) byCategoryDirection[c] = dirs;
  }
  const flips: Flips = { rightToWrong: 0, wrongToRight: 0, bothRight: 0, bothWrong: 0, unscored: 0 };
  const flipped: Comparison['flipped'] = [];
  for (const [ea, eb] of pairing.pairs) {
    const oa: Outcome = outcomeOf(ea, rule);
    const ob: Outcome = outcomeOf(eb, rule);
    if (oa === 'unscored' || ob === 'unscored') flips.unscored++;
    else if (oa === 'correct' && ob === 'correct') flips.bothRight++;
    else if (oa === 'correct') {
      flips.rightToWrong++;
      flipped.push({ a: ea, b: eb, kind: 'rightToWrong' });
    } else if (ob === 'correct') {
      flips.wrongToRight++;
      flipped.push({ a: ea, b: eb, kind: 'wrongToRight' });
    } else flips.bothWrong++;
  }
  return {
    rule,
    pairedBy: pairing.by,
    accuracyOver,
    paired: pairing.pairs.length,
    unpairedA: pairing.unpairedA.length,
    unpairedB: pairing.unpairedB.length,
    overall: bucket(a, b, rule),
    byCategory: byKey((e) => e.category, CATEGORIES),
    byDirection: byKey((e) => e.direction, DIRECTIONS),
    byCategoryDirection,
    flips,
    mcnemar: { discordant: flips.rightToWrong + flips.wrongToRight, p: mcnemarExact(flips.rightToWrong, flips.wrongToRight) },
    flipped,
  };
}

/**
 * Two runs compared as Compare With… and `st-think compare` compare them, from their pairing: each
 * side's records that count (`visibleA` / `visibleB`: those a filter leaves, or all; a side of re-runs
 * counts only the re-runs of the mode compared), and the pairs both of whose records count.
 */
export function comparePairing(
  pairing: Pairing,
  visibleA: readonly IndexEntry[],
  visibleB: readonly IndexEntry[],
  rule: ScoringRule,
  rerunMode?: 'forward' | 'reverse',
): Comparison {
  const visA = countedEntries(visibleA, pairing, rerunMode);
  const visB = countedEntries(visibleB, pairing, rerunMode);
  const va = new Set(visA);
  const vb = new Set(visB);
  return compareRuns(
    visA,
    visB,
    {
      ...pairing,
      pairs: pairing.pairs.filter(([x, y]) => va.has(x) && vb.has(y)),
      unpairedA: pairing.unpairedA.filter((e) => va.has(e)),
      unpairedB: pairing.unpairedB.filter((e) => vb.has(e)),
    },
    rule,
  );
}

export interface Consistency {
  rule: ScoringRule;
  /** Forward/reverse pairs on the same video and category, both scored. */
  pairs: number;
  bothCorrect: number;
  oneOnly: number;
  neither: number;
  /** Questions with no counterpart in the other direction (or unscored). */
  unpaired: number;
  byCategory: Record<string, { pairs: number; bothCorrect: number; oneOnly: number; neither: number }>;
}

/**
 * Forward and reverse questions of one file paired: on each video and category, the k-th forward
 * question (in file order) with the k-th reverse one. Category is the index's: an action question
 * worded as a landmark one pairs with the reverse action question. `keep` leaves records out before
 * pairing (consistency leaves out unscored ones).
 */
export function pairOpposites(
  entries: readonly IndexEntry[],
  keep: (e: IndexEntry) => boolean = () => true,
): [forward: IndexEntry, reverse: IndexEntry][] {
  const reverse = new Map<string, IndexEntry[]>();
  for (const e of entries) {
    if (e.direction !== 'reverse' || !keep(e)) continue;
    const k = `${e.video}\u0000${e.category}`;
    const list = reverse.get(k);
    if (list) list.push(e);
    else reverse.set(k, [e]);
  }
  const pairs: [IndexEntry, IndexEntry][] = [];
  for (const e of entries) {
    if (e.direction !== 'forward' || !keep(e)) continue;
    const partner = reverse.get(`${e.video}\u0000${e.category}`)?.shift();
    if (partner) pairs.push([e, partner]);
  }
  return pairs;
}

/**
 * The question paired with `entry` in the other direction, as pairOpposites pairs them: the k-th
 * forward question on a video and category with the k-th reverse one (by the index's category, so an
 * action question worded as a landmark one finds the reverse action question). `keep` as there.
 */
export function oppositeOf(entries: readonly IndexEntry[], entry: IndexEntry, keep?: (e: IndexEntry) => boolean): IndexEntry | undefined {
  const same = entries.filter((e) => e.video === entry.video && e.category === entry.category);
  for (const [fwd, rev] of pairOpposites(same, keep)) {
    if (fwd === entry) return rev;
    if (rev === entry) return fwd;
  }
  return undefined;
}

/** Forward/reverse consistency within one file: each question with its opposite on the same video and category (pairOpposites). */
export function consistency(entries: readonly IndexEntry[], rule: ScoringRule): Consistency {
  const out: Consistency = { rule, pairs: 0, bothCorrect: 0, oneOnly: 0, neither: 0, unpaired: 0, byCategory: {} };
  let scored = 0;
  for (const e of entries) if (outcomeOf(e, rule) !== 'unscored') scored++;
  for (const [e, partner] of pairOpposites(entries, (x) => outcomeOf(x, rule) !== 'unscored')) {
    const right = Number(outcomeOf(e, rule) === 'correct') + Number(outcomeOf(partner, rule) === 'correct');
    const c = (out.byCategory[e.category] ??= { pairs: 0, bothCorrect: 0, oneOnly: 0, neither: 0 });
    out.pairs++;
    c.pairs++;
    const field = right === 2 ? 'bothCorrect' : right === 1 ? 'oneOnly' : 'neither';
    out[field]++;
    c[field]++;
  }
  out.unpaired = scored - 2 * out.pairs;
  return out;
}
