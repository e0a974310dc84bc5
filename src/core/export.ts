/**
 * Export: a summary, a comparison and its flipped records as tables in CSV (RFC 4180), Markdown
 * (GitHub's pipe tables) or LaTeX (a booktabs tabular, to paste into a paper); and records as
 * JSONL or a list of ids. Pure functions: the CLI and the extension write what they return.
 *
 * Cells are plain strings, or null for "no value" (nothing scored): an empty field in CSV, an em
 * dash in Markdown, "--" in LaTeX. Numbers are written without a unit (accuracies in percent, one
 * decimal) so that a spreadsheet reads them as numbers; the header says the unit.
 */
import type { Comparison } from './compare/compare';
import type { PairwiseResult, RunsComparison } from './compare/many';
import type { IndexEntry } from './index/types';
import type { ScoringRule } from './schemas';
import { predictedOf, type Bucket, type Summary } from './summary';

export const TABLE_FORMATS = ['csv', 'markdown', 'latex'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export function isTableFormat(x: unknown): x is TableFormat {
  return (TABLE_FORMATS as readonly unknown[]).includes(x);
}

/** The file name extension of each format (what a save dialog offers, and how a path names its format). */
export const TABLE_EXTENSIONS: Record<TableFormat, string> = { csv: 'csv', markdown: 'md', latex: 'tex' };

/** The format a file name's extension names (.csv, .md / .markdown, .tex), if any. */
export function tableFormatOfPath(file: string): TableFormat | undefined {
  const ext = /\.([A-Za-z]+)$/.exec(file)?.[1]?.toLowerCase();
  if (ext === 'csv') return 'csv';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'tex') return 'latex';
  return undefined;
}

export interface Table {
  columns: string[];
  rows: (string | null)[][];
  /** Columns aligned right (numbers) in Markdown and LaTeX; default: none. */
  right?: boolean[];
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a double quote, CR or LF; quotes doubled. */
export function csvField(s: string | null): string {
  if (s === null) return '';
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180: fields separated by commas, each record (the header first) ended by CRLF. */
export function toCsv(t: Table): string {
  return [t.columns, ...t.rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
}

/**
 * One Markdown table cell: `|` escaped (`\|`, after backslashes are doubled so that a `\` before it
 * cannot undo the escape), line breaks turned into spaces (a table row is one line), empty: an em dash.
 */
export function markdownCell(s: string | null): string {
  if (s === null || s === '') return '—';
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\s*[\r\n]+\s*/g, ' ');
}

export function toMarkdown(t: Table): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const rule = t.columns.map((_, i) => (t.right?.[i] ? '---:' : '---'));
  return [line(t.columns.map(markdownCell)), line(rule), ...t.rows.map((r) => line(r.map(markdownCell)))].join('\n') + '\n';
}

const LATEX_SPECIALS: Record<string, string> = {
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '\\': '\\textbackslash{}',
};

/** Text made safe for LaTeX: & % $ # _ { } ~ ^ \ escaped in one pass; line breaks become spaces. */
export function latexEscape(s: string): string {
  return s.replace(/[&%$#_{}~^\\]/g, (c) => LATEX_SPECIALS[c]).replace(/\s*[\r\n]+\s*/g, ' ');
}

/** A booktabs tabular (`\usepackage{booktabs}`); an empty cell is "--". */
export function toLatex(t: Table): string {
  const cell = (s: string | null) => (s === null || s === '' ? '--' : latexEscape(s));
  const spec = t.columns.map((_, i) => (t.right?.[i] ? 'r' : 'l')).join('');
  const row = (cells: (string | null)[]) => `  ${cells.map(cell).join(' & ')} \\\\`;
  return [
    `\\begin{tabular}{${spec}}`,
    '  \\toprule',
    row(t.columns),
    '  \\midrule',
    ...t.rows.map(row),
    '  \\bottomrule',
    '\\end{tabular}',
    '',
  ].join('\n');
}

export function renderTable(t: Table, format: TableFormat): string {
  return format === 'csv' ? toCsv(t) : format === 'markdown' ? toMarkdown(t) : toLatex(t);
}

/** Tables one after another: CSV files hold one table, so CSV gets the first only. */
export function renderTables(tables: Table[], format: TableFormat): string {
  if (format === 'csv') return tables.length ? toCsv(tables[0]) : '';
  return tables.map((t) => renderTable(t, format)).join('\n');
}

/** An accuracy in percent with one decimal ("62.5"), or null when nothing is scored. */
export function percent(x: number | null): string | null {
  return x === null ? null : (x * 100).toFixed(1);
}

/** A difference in points with its sign ("+3.2", "-1.0", "0.0"), or null. */
export function points(x: number | null): string | null {
  if (x === null) return null;
  const s = (x * 100).toFixed(1);
  return x > 0 && s !== '0.0' ? `+${s}` : s === '-0.0' ? '0.0' : s;
}

/** The rows of a table per category and direction: each category's directions, then both; then all. */
function bucketRows<B>(
  s: { byCategoryDirection: Record<string, Record<string, B>>; byCategory: Record<string, B>; byDirection: Record<string, B>; overall: B },
  cells: (b: B, cat: string, dir: string) => (string | null)[],
): (string | null)[][] {
  const rows: (string | null)[][] = [];
  for (const [cat, dirs] of Object.entries(s.byCategoryDirection)) {
    for (const [dir, b] of Object.entries(dirs)) rows.push([cat, dir, ...cells(b, cat, dir)]);
    if (s.byCategory[cat]) rows.push([cat, 'both', ...cells(s.byCategory[cat], cat, 'both')]);
  }
  for (const [dir, b] of Object.entries(s.byDirection)) rows.push(['all', dir, ...cells(b, 'all', dir)]);
  rows.push(['all', 'both', ...cells(s.overall, 'all', 'both')]);
  return rows;
}

/** A bucket's accuracy cell: the percentage, "n/a" when only n/a records are in it, else null. */
function accuracyCell(b: Bucket | undefined): string | null {
  if (!b) return null;
  return b.accuracy === null ? (b.na ? 'n/a' : null) : percent(b.accuracy);
}

/**
 * A file's summary under both rules (as the summary view and `st-think summary` show it): per
 * category and direction, the records, and for each rule the correct, the scored and the accuracy;
 * grpo_reward's n/a records (the rule does not apply to them) have a column of their own.
 */
export function summaryExportTable(byRule: Record<ScoringRule, Summary>): Table {
  const a = byRule.mcq_infer;
  const g = byRule.grpo_reward;
  const other = (cat: string, dir: string): Bucket | undefined =>
    cat === 'all'
      ? dir === 'both'
        ? g.overall
        : g.byDirection[dir]
      : dir === 'both'
        ? g.byCategory[cat]
        : g.byCategoryDirection[cat]?.[dir];
  const rows = bucketRows(a, (b, cat, dir) => {
    const o = other(cat, dir);
    return [
      String(b.records),
      String(b.correct),
      String(b.total),
      accuracyCell(b),
      String(o?.correct ?? 0),
      String(o?.total ?? 0),
      String(o?.na ?? 0),
      accuracyCell(o),
    ];
  });
  return {
    columns: [
      'category',
      'direction',
      'records',
      'mcq_infer correct',
      'mcq_infer scored',
      'mcq_infer accuracy (%)',
      'grpo_reward correct',
      'grpo_reward scored',
      'grpo_reward n/a',
      'grpo_reward accuracy (%)',
    ],
    rows,
    right: [false, false, true, true, true, true, true, true, true, true],
  };
}

/** A comparison per category and direction: each side's correct, scored and accuracy, and B − A in points. */
export function comparisonExportTable(c: Comparison): Table {
  const rows = bucketRows(c, (k) => [
    String(k.a.correct),
    String(k.a.total),
    percent(k.a.accuracy),
    String(k.b.correct),
    String(k.b.total),
    percent(k.b.accuracy),
    points(k.difference),
  ]);
  return {
    columns: ['category', 'direction', 'A correct', 'A scored', 'A accuracy (%)', 'B correct', 'B scored', 'B accuracy (%)', 'B-A (pts)'],
    rows,
    right: [false, false, true, true, true, true, true, true, true],
  };
}

/** What a comparison counts beside its table: pairing, flips and the exact McNemar test. */
export function comparisonStatsTable(c: Comparison): Table {
  const rows: [string, string][] = [
    ['rule', c.rule],
    ['paired by', c.pairedBy],
    ['accuracies over', c.accuracyOver === 'paired' ? 'the paired records only (one side is re-runs)' : "each side's own records"],
    ['pairs', String(c.paired)],
    ['unpaired in A', String(c.unpairedA)],
    ['unpaired in B', String(c.unpairedB)],
    ['right to wrong', String(c.flips.rightToWrong)],
    ['wrong to right', String(c.flips.wrongToRight)],
    ['both right', String(c.flips.bothRight)],
    ['both wrong', String(c.flips.bothWrong)],
    ['unscored', String(c.flips.unscored)],
    ['McNemar discordant pairs', String(c.mcnemar.discordant)],
    ['McNemar exact p', c.mcnemar.p.toPrecision(4)],
  ];
  return { columns: ['measure', 'value'], rows, right: [false, true] };
}

/** A comparison as tables: per bucket, then (Markdown and LaTeX only) the flips and McNemar. */
export function comparisonExport(c: Comparison, format: TableFormat): string {
  return renderTables([comparisonExportTable(c), comparisonStatsTable(c)], format);
}

/** One of several runs compared: its label in the tables (R1, R2, …), its file and what of it counts. */
export interface RunInfo {
  label: string;
  file: string;
  /** Its records (those a filter leaves). */
  records: number;
  /** Its records missing from some other run, left out of the accuracies. */
  leftOut: number;
  /** How it was paired with the first run ('' for the first). */
  pairedBy: string;
}

/**
 * Several runs per category and direction under one rule, on the records common to all: the
 * records, each run's correct, scored and accuracy, and the best run(s) by label (all on a tie).
 */
export function runsExportTable(c: RunsComparison, labels: readonly string[]): Table {
  const rows = bucketRows(c, (k) => [
    String(k.records),
    ...k.runs.flatMap((r) => [String(r.correct), String(r.total), percent(r.accuracy)]),
    k.best.length ? k.best.map((i) => labels[i]).join(' ') : null,
  ]);
  const runCols = labels.flatMap((l) => [`${l} correct`, `${l} scored`, `${l} accuracy (%)`]);
  return {
    columns: ['category', 'direction', 'common records', ...runCols, `best (${c.rule})`],
    rows,
    right: [false, false, true, ...runCols.map(() => true), false],
  };
}

/** The runs of a comparison of several: label, file, records, left out (not in every run), pairing with the first. */
export function runsListTable(runs: readonly RunInfo[]): Table {
  return {
    columns: ['run', 'file', 'records', 'left out (not in every run)', 'paired with the first by'],
    rows: runs.map((r) => [r.label, r.file, String(r.records), String(r.leftOut), r.pairedBy || null]),
    right: [false, false, true, true, false],
  };
}

/** Pairwise exact McNemar tests, one row a pair of runs (each pair's own pairing, as Compare With… makes it). */
export function pairwiseExportTable(results: readonly PairwiseResult[], labels: readonly string[]): Table {
  return {
    columns: ['A', 'B', 'rule', 'paired by', 'pairs', 'right to wrong', 'wrong to right', 'McNemar discordant pairs', 'McNemar exact p'],
    rows: results.map((r) => [
      labels[r.a],
      labels[r.b],
      r.rule,
      r.pairedBy,
      String(r.paired),
      String(r.flips.rightToWrong),
      String(r.flips.wrongToRight),
      String(r.mcnemar.discordant),
      r.mcnemar.p.toPrecision(4),
    ]),
    right: [false, false, false, false, true, true, true, true, true],
  };
}

/** Several runs as tables: per bucket, then (Markdown and LaTeX only) the runs and any pairwise tests. */
export function runsExport(
  c: RunsComparison,
  runs: readonly RunInfo[],
  format: TableFormat,
  pairwise: readonly PairwiseResult[] = [],
): string {
  const labels = runs.map((r) => r.label);
  const tables = [runsExportTable(c, labels), runsListTable(runs)];
  if (pairwise.length) tables.push(pairwiseExportTable(pairwise, labels));
  return renderTables(tables, format);
}

const FLIP_NAMES: Record<Comparison['flipped'][number]['kind'], string> = {
  rightToWrong: 'right to wrong',
  wrongToRight: 'wrong to right',
};

/** The flipped records of a comparison, one row a pair: what flipped, where, each side's id, line and answer, and the gold. */
export function flipsExportTable(c: Pick<Comparison, 'flipped' | 'rule'>): Table {
  const pred = (e: IndexEntry) => predictedOf(e, c.rule) || null;
  return {
    columns: ['flip', 'category', 'direction', 'video', 'A id', 'A line', 'A answer', 'B id', 'B line', 'B answer', 'gold'],
    rows: c.flipped.map((f) => [
      FLIP_NAMES[f.kind],
      f.a.category,
      f.a.direction,
      f.a.video || null,
      f.a.id,
      String(f.a.line),
      pred(f.a),
      f.b.id,
      String(f.b.line),
      pred(f.b),
      f.a.gold || null,
    ]),
    right: [false, false, false, false, false, true, false, false, true, false, false],
  };
}

/**
 * A record's raw text as one JSONL line: a line of a JSONL file as it is (its line ending cut); an
 * element of a JSON array file (which may span lines) parsed and written compactly.
 */
export function jsonlLine(raw: string): string {
  const t = raw.replace(/^\uFEFF/, '').trim();
  return /[\r\n]/.test(t) ? JSON.stringify(JSON.parse(t)) : t;
}

/** Ids, one a line (each ends with a line break); an id holding a line break is written as JSON. */
export function idList(entries: Iterable<Pick<IndexEntry, 'id'>>): string {
  let out = '';
  for (const e of entries) out += (/[\r\n]/.test(e.id) ? JSON.stringify(e.id) : e.id) + '\n';
  return out;
}
