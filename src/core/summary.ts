/**
 * Accuracy buckets over index entries. A bucket's accuracy is correct / scored, where scored counts
 * correct, incorrect and unanswered (an unanswered question is a wrong one, as upstream scores it);
 * unscored records (route questions, no gold) are counted apart.
 */
import type { IndexEntry } from './indexer';
import { CATEGORIES, DIRECTIONS, type Outcome, type ScoringRule } from './schemas';

export interface Bucket {
  /** Records in the bucket, scored or not. */
  records: number;
  /** Scored records: the accuracy's denominator. */
  total: number;
  correct: number;
  incorrect: number;
  unanswered: number;
  unscored: number;
  /** correct / total, or null when nothing is scored. */
  accuracy: number | null;
}

export function emptyBucket(): Bucket {
  return { records: 0, total: 0, correct: 0, incorrect: 0, unanswered: 0, unscored: 0, accuracy: null };
}

export function outcomeOf(entry: IndexEntry, rule: ScoringRule): Outcome {
  return rule === 'mcq_infer' ? entry.mcq : entry.grpo;
}

export function predictedOf(entry: IndexEntry, rule: ScoringRule): string {
  return rule === 'mcq_infer' ? entry.mcqPred : entry.grpoPred;
}

export function addTo(b: Bucket, outcome: Outcome): void {
  b.records++;
  b[outcome]++;
  if (outcome !== 'unscored') b.total++;
}

export function finishBucket(b: Bucket): Bucket {
  b.accuracy = b.total ? b.correct / b.total : null;
  return b;
}

export function bucketOf(entries: Iterable<IndexEntry>, rule: ScoringRule): Bucket {
  const b = emptyBucket();
  for (const e of entries) addTo(b, outcomeOf(e, rule));
  return finishBucket(b);
}

export interface Summary {
  file: string;
  rule: ScoringRule;
  records: number;
  invalid: number;
  formatValid: number;
  overall: Bucket;
  byCategory: Record<string, Bucket>;
  byDirection: Record<string, Bucket>;
  /** category → direction → bucket */
  byCategoryDirection: Record<string, Record<string, Bucket>>;
  /**
   * category → the category its questions' wording reads as → how many: the questions the file's
   * evidence recognised as another category than their wording says (upstream's forward action
   * questions worded as landmark questions: `{ action: { landmark: 80 } }`). Empty when none.
   */
  wordedAs: Record<string, Record<string, number>>;
}

/** One pass over the entries; categories and directions that have no record are left out. */
export function summarise(file: string, entries: readonly IndexEntry[], invalid: number, rule: ScoringRule): Summary {
  const overall = emptyBucket();
  const byCategory: Record<string, Bucket> = {};
  const byDirection: Record<string, Bucket> = {};
  const byCategoryDirection: Record<string, Record<string, Bucket>> = {};
  let formatValid = 0;
  const wordedAs: Record<string, Record<string, number>> = {};
  for (const e of entries) {
    if (e.wordedAs) {
      const w = (wordedAs[e.category] ??= {});
      w[e.wordedAs] = (w[e.wordedAs] ?? 0) + 1;
    }
    const o = outcomeOf(e, rule);
    addTo(overall, o);
    addTo((byCategory[e.category] ??= emptyBucket()), o);
    addTo((byDirection[e.direction] ??= emptyBucket()), o);
    addTo(((byCategoryDirection[e.category] ??= {})[e.direction] ??= emptyBucket()), o);
    if (e.formatValid) formatValid++;
  }
  finishBucket(overall);
  const order = <T>(rec: Record<string, T>, keys: readonly string[]): Record<string, T> =>
    Object.fromEntries(keys.filter((k) => k in rec).map((k) => [k, rec[k]]));
  for (const b of Object.values(byCategory)) finishBucket(b);
  for (const b of Object.values(byDirection)) finishBucket(b);
  for (const m of Object.values(byCategoryDirection)) for (const b of Object.values(m)) finishBucket(b);
  return {
    file,
    rule,
    records: entries.length,
    invalid,
    formatValid,
    overall,
    byCategory: order(byCategory, CATEGORIES),
    byDirection: order(byDirection, DIRECTIONS),
    byCategoryDirection: Object.fromEntries(
      Object.entries(order(byCategoryDirection, CATEGORIES)).map(([k, v]) => [k, order(v, DIRECTIONS)]),
    ),
    wordedAs: Object.fromEntries(Object.entries(order(wordedAs, CATEGORIES)).map(([k, v]) => [k, order(v, CATEGORIES)])),
  };
}

/** "18 action questions are worded as landmark questions", one sentence per pair; [] when none. */
export function wordedAsLines(s: Pick<Summary, 'wordedAs'>): string[] {
  const out: string[] = [];
  for (const [cat, by] of Object.entries(s.wordedAs)) {
    for (const [worded, n] of Object.entries(by)) {
      out.push(`${n} ${cat} question${n === 1 ? ' is' : 's are'} worded as ${worded} question${n === 1 ? '' : 's'} (recognised from the evidence in the file; counted as ${cat})`);
    }
  }
  return out;
}

export function formatAccuracy(b: Pick<Bucket, 'accuracy' | 'correct' | 'total'>): string {
  return b.accuracy === null ? '—' : `${(b.accuracy * 100).toFixed(1)}%`;
}

/** A plain-text table of a file under both rules, per category and direction. */
export function summaryTable(byRule: Record<ScoringRule, Summary>): string {
  const a = byRule.mcq_infer;
  const b = byRule.grpo_reward;
  const rows: string[][] = [['category', 'direction', 'records', 'mcq_infer', 'grpo_reward']];
  const cell = (x: Bucket | undefined) => (x && x.total ? `${x.correct}/${x.total} ${formatAccuracy(x)}` : '—');
  for (const [cat, dirs] of Object.entries(a.byCategoryDirection)) {
    for (const [dir, bucket] of Object.entries(dirs)) {
      rows.push([cat, dir, String(bucket.records), cell(bucket), cell(b.byCategoryDirection[cat]?.[dir])]);
    }
    rows.push([cat, 'both', String(a.byCategory[cat].records), cell(a.byCategory[cat]), cell(b.byCategory[cat])]);
  }
  for (const [dir, bucket] of Object.entries(a.byDirection)) {
    rows.push(['all', dir, String(bucket.records), cell(bucket), cell(b.byDirection[dir])]);
  }
  rows.push(['all', 'both', String(a.overall.records), cell(a.overall), cell(b.overall)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
