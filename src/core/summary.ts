/**
 * Accuracy buckets over index entries. A bucket's accuracy is correct / scored, where scored counts
 * correct, incorrect and unanswered (an unanswered question is a wrong one, as upstream scores it);
 * unscored records (route questions, no gold, and records the rule does not apply to: "n/a") are
 * counted apart. A bucket with nothing scored but n/a records reads "n/a", never 0%.
 */
import type { IndexEntry } from './index';
import {
  CATEGORIES,
  DIRECTIONS,
  NA_TEXT,
  type Category,
  type FormatVerdict,
  type NaReason,
  type Outcome,
  type ScoringRule,
} from './vocabulary';

export interface Bucket {
  /** Records in the bucket, scored or not. */
  records: number;
  /** Scored records: the accuracy's denominator. */
  total: number;
  correct: number;
  incorrect: number;
  unanswered: number;
  unscored: number;
  /** Of the unscored: records the rule does not apply to (IndexEntry.na). */
  na: number;
  /** correct / total, or null when nothing is scored. */
  accuracy: number | null;
}

export function emptyBucket(): Bucket {
  return { records: 0, total: 0, correct: 0, incorrect: 0, unanswered: 0, unscored: 0, na: 0, accuracy: null };
}

export function outcomeOf(entry: IndexEntry, rule: ScoringRule): Outcome {
  return rule === 'mcq_infer' ? entry.mcq : entry.grpo;
}

export function predictedOf(entry: IndexEntry, rule: ScoringRule): string {
  return rule === 'mcq_infer' ? entry.mcqPred : entry.grpoPred;
}

/** Why `rule` does not apply to the entry, if it does not (only grpo_reward can be n/a: IndexEntry.na). */
export function naOf(entry: IndexEntry, rule: ScoringRule): NaReason | undefined {
  return rule === 'grpo_reward' ? entry.na : undefined;
}

export function addTo(b: Bucket, outcome: Outcome, na?: NaReason): void {
  b.records++;
  b[outcome]++;
  if (outcome !== 'unscored') b.total++;
  else if (na) b.na++;
}

export function finishBucket(b: Bucket): Bucket {
  b.accuracy = b.total ? b.correct / b.total : null;
  return b;
}

export function bucketOf(entries: Iterable<IndexEntry>, rule: ScoringRule): Bucket {
  const b = emptyBucket();
  for (const e of entries) addTo(b, outcomeOf(e, rule), naOf(e, rule));
  return finishBucket(b);
}

export interface Summary {
  file: string;
  rule: ScoringRule;
  records: number;
  invalid: number;
  /** Records whose format is valid, of `formatChecked`: the records the format check applies to. */
  formatValid: number;
  formatChecked: number;
  /** Records the format check does not apply to (and the training reward with it), by reason. */
  na: Partial<Record<NaReason, number>>;
  /** Records with no video ("video": ""): loaded and scored, with a warning. */
  noVideo: number;
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

/** What a summary reads of a record: an index entry's fields, or the same worked out while streaming. */
export type Tallied = Pick<IndexEntry, 'category' | 'wordedAs' | 'direction' | 'mcq' | 'grpo' | 'na' | 'format'> & {
  /** The record has no video ("video": ""). */
  noVideo: boolean;
};

/** Per category × direction, per rule: the four outcomes and the n/a records among the unscored. */
const CELL = 10;
const NA_SLOT = 4;
const RULE_SLOT: Record<ScoringRule, number> = { mcq_infer: 0, grpo_reward: 5 };

/** CATEGORIES.indexOf(c), as comparisons V8 compiles inline (the array's indexOf is a builtin call, four a record). */
export function categoryAt(c: Category): number {
  return c === 'route' ? 0 : c === 'direction' ? 1 : c === 'landmark' ? 2 : c === 'action' ? 3 : 4;
}

/** OUTCOMES.indexOf(o), likewise. */
export function outcomeAt(o: Outcome): number {
  return o === 'correct' ? 0 : o === 'incorrect' ? 1 : o === 'unanswered' ? 2 : 3;
}

/** FORMAT_VERDICTS.indexOf(f), likewise. */
export function formatAt(f: FormatVerdict): number {
  return f === 'valid' ? 0 : f === 'invalid' ? 1 : 2;
}

/**
 * The counts of a summary under both rules, added to one record at a time: what `summarise` makes
 * of an index's entries, and what the CLI's streaming summary makes of a file without keeping an
 * index (src/core/index/summaryBuilder.ts). One code path for both, so they agree by construction.
 * The counts are kept per category × direction in one array (this runs once per record); the
 * buckets are made from them when a summary is asked for.
 */
export class Tally {
  records = 0;
  formatValid = 0;
  formatChecked = 0;
  noVideo = 0;
  readonly na: Partial<Record<NaReason, number>> = {};
  readonly wordedAs: Record<string, Record<string, number>> = {};
  private readonly cells = new Float64Array(CATEGORIES.length * DIRECTIONS.length * CELL);

  add(e: Tallied): void {
    this.records++;
    if (e.wordedAs) {
      const w = (this.wordedAs[e.category] ??= {});
      w[e.wordedAs] = (w[e.wordedAs] ?? 0) + 1;
    }
    const at = (categoryAt(e.category) * DIRECTIONS.length + (e.direction === 'forward' ? 0 : 1)) * CELL;
    const c = this.cells;
    c[at + outcomeAt(e.mcq)]++;
    c[at + 5 + outcomeAt(e.grpo)]++;
    if (e.na) {
      // Only grpo_reward is n/a (IndexEntry.na); counted where the record is unscored, as addTo does.
      if (e.grpo === 'unscored') c[at + 5 + NA_SLOT]++;
      this.na[e.na] = (this.na[e.na] ?? 0) + 1;
    }
    if (e.format === 'valid') this.formatValid++;
    if (e.format !== 'n/a') this.formatChecked++;
    if (e.noVideo) this.noVideo++;
  }

  /** The bucket of the cells of categories `cats` × directions `dirs` under a rule; undefined when it holds no record. */
  private bucket(rule: ScoringRule, cats: readonly number[], dirs: readonly number[]): Bucket | undefined {
    const b = emptyBucket();
    const r = RULE_SLOT[rule];
    for (const ci of cats) {
      for (const di of dirs) {
        const at = (ci * DIRECTIONS.length + di) * CELL + r;
        b.correct += this.cells[at];
        b.incorrect += this.cells[at + 1];
        b.unanswered += this.cells[at + 2];
        b.unscored += this.cells[at + 3];
        b.na += this.cells[at + NA_SLOT];
      }
    }
    b.total = b.correct + b.incorrect + b.unanswered;
    b.records = b.total + b.unscored;
    return b.records ? finishBucket(b) : undefined;
  }

  /** The summary under `rule`; categories and directions that have no record are left out. */
  summary(file: string, invalid: number, rule: ScoringRule): Summary {
    const allCats = CATEGORIES.map((_, i) => i);
    const allDirs = DIRECTIONS.map((_, i) => i);
    const byCategory: Record<string, Bucket> = {};
    const byDirection: Record<string, Bucket> = {};
    const byCategoryDirection: Record<string, Record<string, Bucket>> = {};
    CATEGORIES.forEach((cat, ci) => {
      const b = this.bucket(rule, [ci], allDirs);
      if (!b) return;
      byCategory[cat] = b;
      const m: Record<string, Bucket> = (byCategoryDirection[cat] = {});
      DIRECTIONS.forEach((dir, di) => {
        const cell = this.bucket(rule, [ci], [di]);
        if (cell) m[dir] = cell;
      });
    });
    DIRECTIONS.forEach((dir, di) => {
      const b = this.bucket(rule, allCats, [di]);
      if (b) byDirection[dir] = b;
    });
    const order = <U>(rec: Record<string, Record<string, U>>): Record<string, Record<string, U>> =>
      Object.fromEntries(
        CATEGORIES.filter((k) => k in rec).map((k) => [
          k,
          Object.fromEntries(CATEGORIES.filter((j) => j in rec[k]).map((j) => [j, rec[k][j]])),
        ]),
      );
    return {
      file,
      rule,
      records: this.records,
      invalid,
      formatValid: this.formatValid,
      formatChecked: this.formatChecked,
      na: { ...this.na },
      noVideo: this.noVideo,
      overall: this.bucket(rule, allCats, allDirs) ?? finishBucket(emptyBucket()),
      byCategory,
      byDirection,
      byCategoryDirection,
      wordedAs: order(this.wordedAs),
    };
  }
}

/** The summary of an index's entries under `rule`. */
export function summarise(file: string, entries: readonly IndexEntry[], invalid: number, rule: ScoringRule): Summary {
  const t = new Tally();
  for (const e of entries) {
    t.add({
      category: e.category,
      wordedAs: e.wordedAs,
      direction: e.direction,
      mcq: e.mcq,
      grpo: e.grpo,
      na: e.na,
      format: e.format,
      noVideo: e.video === '',
    });
  }
  return t.summary(file, invalid, rule);
}

/** "62.5%"; "n/a" when nothing is scored because the rule does not apply; else "—". */
export function formatAccuracy(b: Pick<Bucket, 'accuracy' | 'correct' | 'total'> & { na?: number }): string {
  return b.accuracy === null ? (b.na ? 'n/a' : '—') : `${(b.accuracy * 100).toFixed(1)}%`;
}

/** "n/a: the prediction holds only … (12 records)", one per reason; [] when everything applies. */
export function naLines(na: Partial<Record<NaReason, number>>): string[] {
  return (Object.keys(na) as NaReason[]).map((r) => `n/a: ${NA_TEXT[r].long} (${na[r]!.toLocaleString()} record${na[r] === 1 ? '' : 's'})`);
}

/**
 * The format line: "12 with valid format"; "12 of 40 with valid format (n/a for 60: …)" when the
 * check does not apply to some records; "format n/a: …" when it applies to none.
 */
export function formatLine(s: Pick<Summary, 'records' | 'formatValid' | 'formatChecked' | 'na'>): string {
  const reasons = (Object.keys(s.na) as NaReason[]).map((r) => NA_TEXT[r].long).join('; ');
  if (s.formatChecked === 0 && reasons) return `format n/a: ${reasons}`;
  const skipped = s.records - s.formatChecked;
  if (!skipped) return `${s.formatValid.toLocaleString()} with valid format`;
  const naFor = `n/a for ${skipped.toLocaleString()}${reasons ? `: ${reasons}` : ''}`;
  return `${s.formatValid.toLocaleString()} of ${s.formatChecked.toLocaleString()} with valid format (${naFor})`;
}

/** "2 records have no video …", or '' when every record has one. */
export function noVideoLine(noVideo: number): string {
  if (!noVideo) return '';
  return (
    `warning: ${noVideo.toLocaleString()} record${noVideo === 1 ? ' has' : 's have'} no video ` +
    '("video": ""; upstream writes "No video file specified." as their prediction)'
  );
}

/** "18 action questions are worded as landmark questions", one sentence per pair; [] when none. */
export function wordedAsLines(s: Pick<Summary, 'wordedAs'>): string[] {
  const out: string[] = [];
  for (const [cat, by] of Object.entries(s.wordedAs)) {
    for (const [worded, n] of Object.entries(by)) {
      out.push(
        `${n} ${cat} question${n === 1 ? ' is' : 's are'} worded as ${worded} question${n === 1 ? '' : 's'} ` +
          `(recognised from the evidence in the file; counted as ${cat})`,
      );
    }
  }
  return out;
}

/** A plain-text table of a file under both rules, per category and direction. */
export function summaryTable(byRule: Record<ScoringRule, Summary>): string {
  const a = byRule.mcq_infer;
  const b = byRule.grpo_reward;
  const rows: string[][] = [['category', 'direction', 'records', 'mcq_infer', 'grpo_reward']];
  const cell = (x: Bucket | undefined) =>
    x && x.total ? `${x.correct}/${x.total} ${formatAccuracy(x)}${x.na ? ` +${x.na} n/a` : ''}` : x?.na ? 'n/a' : '—';
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
