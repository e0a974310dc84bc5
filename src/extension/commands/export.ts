/**
 * Export: a results file's summary (as filtered), a comparison and its flipped records, and several
 * runs compared as CSV, Markdown or LaTeX, and the filtered records as JSONL or a list of ids. Each command takes what
 * to export (a tree node, `{ file }`, or the summary / comparison view in focus) and, optionally,
 * the file to write (a path or a URI: no save dialog, as tests call it). Files are written whole
 * and atomically by the safe writer, never over a results file open in ST-Think.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Comparison } from '../../core/compare/compare';
import {
  comparisonExport,
  flipsExportTable,
  runsExport,
  idList,
  jsonlLine,
  renderTable,
  renderTables,
  summaryExportTable,
  TABLE_EXTENSIONS,
  tableFormatOfPath,
  type TableFormat,
} from '../../core/export';
import type { IndexEntry } from '../../core/index';
import { judgeComparisonTables } from '../../core/judge/compareRuns';
import { safeWriteFile } from '../../core/safeWrite';
import { summarise } from '../../core/summary';
import { ComparePanel, judgeView } from '../comparePanel';
import { RunsPanel, RunsSession } from '../runsPanel';
import type { ComparisonSession } from '../comparisons';
import type { ResultsFile } from '../store';
import { SummaryPanel } from '../summaryPanel';
import { parseCommandArg, sessionOf } from './args';
import type { CommandContext } from './context';

type ExportContext = Pick<CommandContext, 'store' | 'args' | 'comparisons'>;

export const TABLE_FILTERS: Record<string, string[]> = { CSV: ['csv'], Markdown: ['md', 'markdown'], LaTeX: ['tex'] };
const RECORD_FILTERS: Record<string, string[]> = { 'JSON Lines (the records)': ['jsonl'], 'Id list (one a line)': ['txt'] };

/** The file to write: the argument's (a path or a URI), else the one chosen in a save dialog. */
export async function targetOf(given: unknown, suggested: string, filters: Record<string, string[]>): Promise<string | undefined> {
  if (given instanceof vscode.Uri) return given.fsPath;
  if (typeof given === 'string' && given) return path.resolve(given);
  const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggested), filters, saveLabel: 'Export' });
  return uri?.fsPath;
}

/** False (having said why) when the target is a results file open in ST-Think; the safe writer checks links and the rest. */
export function notAResultsFile(ctx: ExportContext, target: string): boolean {
  const open = ctx.store.list.find((f) => path.resolve(f.path) === target);
  if (open) void vscode.window.showErrorMessage(`ST-Think: ${target} is an open results file; ST-Think never writes over one.`);
  return !open;
}

/** The format a target's extension names; else the one picked (undefined: cancelled). */
export async function tableFormatFor(target: string): Promise<TableFormat | undefined> {
  const named = tableFormatOfPath(target);
  if (named) return named;
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'CSV', format: 'csv' as const },
      { label: 'Markdown', format: 'markdown' as const },
      { label: 'LaTeX', format: 'latex' as const },
    ],
    { title: `ST-Think: export ${path.basename(target)} as` },
  );
  return pick?.format;
}

/** Writes `data` to `target` through the safe writer; says where, or why not. Returns the path written. */
export async function write(ctx: ExportContext, target: string, data: Parameters<typeof safeWriteFile>[1]): Promise<string | undefined> {
  try {
    await safeWriteFile(target, data, { protect: ctx.store.list.map((f) => f.path) });
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: could not export to ${target}: ${(e as Error).message}`);
    return undefined;
  }
  void vscode.window.showInformationMessage(`ST-Think: exported to ${target}.`, 'Open').then((open) => {
    if (open) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(target));
  });
  return target;
}

/** "run.jsonl" → "<folder>/run.summary.csv": a suggestion beside the results file. */
export function beside(file: ResultsFile, what: string, ext: string): string {
  const base = path.basename(file.path).replace(/\.(jsonl|json|ndjson)$/i, '');
  return path.join(path.dirname(file.path), `${base}.${what}.${ext}`);
}

/** The results file to export: the argument's, else the summary view in focus, else the selection or a pick. */
async function fileToExport(ctx: ExportContext, arg: unknown): Promise<ResultsFile | undefined> {
  const file = (parseCommandArg(arg).type === 'none' && SummaryPanel.activeFile()) || (await ctx.args.file(arg));
  if (!file) return void vscode.window.showInformationMessage('ST-Think: open a results file first.');
  if (!file.index || file.state.kind !== 'ready') return void vscode.window.showWarningMessage(`ST-Think: ${file.path} is not indexed.`);
  return file;
}

/** The comparison to export: the argument's node, else the comparison view in focus, else the active comparison. */
function sessionToExport(ctx: ExportContext, arg: unknown): ComparisonSession | undefined {
  const session = sessionOf(arg) ?? [...ComparePanel.all].find((p) => p.panel.active)?.session ?? ctx.comparisons.active;
  if (!session) void vscode.window.showInformationMessage('ST-Think: compare two results files first (ST-Think: Compare With…).');
  return session;
}

async function exportSummary(ctx: ExportContext, arg: unknown, given: unknown): Promise<string | undefined> {
  const file = await fileToExport(ctx, arg);
  if (!file?.index) return undefined;
  const target = await targetOf(given, beside(file, 'summary', TABLE_EXTENSIONS.csv), TABLE_FILTERS);
  const format = target && notAResultsFile(ctx, target) && (await tableFormatFor(target));
  if (!target || !format) return undefined;
  // What the summary view shows: the records the filter leaves, under both rules.
  const byRule = {
    mcq_infer: summarise(file.path, file.visible, file.index.problemCount, 'mcq_infer'),
    grpo_reward: summarise(file.path, file.visible, file.index.problemCount, 'grpo_reward'),
  };
  return write(ctx, target, renderTable(summaryExportTable(byRule), format));
}

/**
 * Several runs compared: per bucket under the rule their view shows, the runs, and the McNemar tests
 * made so far under that rule (CSV: the first table only).
 */
async function exportRuns(ctx: ExportContext, session: RunsSession, given: unknown): Promise<string | undefined> {
  const target = await targetOf(given, beside(session.files[0], 'runs', TABLE_EXTENSIONS.csv), TABLE_FILTERS);
  const format = target && notAResultsFile(ctx, target) && (await tableFormatFor(target));
  if (!target || !format) return undefined;
  const rule = [...RunsPanel.all].find((p) => p.session === session)?.rule ?? ctx.store.rule;
  return write(ctx, target, runsExport(session.byRule[rule], session.runs, format, session.pairwiseDone(rule)));
}

async function exportComparison(
  ctx: ExportContext,
  arg: unknown,
  given: unknown,
  what: 'comparison' | 'flips',
): Promise<string | undefined> {
  // Several runs: the argument's, else the several-runs view in focus (their table; they have no flips).
  const runs = arg instanceof RunsSession ? arg : !sessionOf(arg) && what === 'comparison' ? RunsPanel.focused()?.session : undefined;
  if (runs) return exportRuns(ctx, runs, given);
  const session = sessionToExport(ctx, arg);
  if (!session) return undefined;
  const target = await targetOf(given, beside(session.a, what, TABLE_EXTENSIONS.csv), TABLE_FILTERS);
  const format = target && notAResultsFile(ctx, target) && (await tableFormatFor(target));
  if (!target || !format) return undefined;
  const c: Comparison = session.comparison;
  if (what === 'flips') return write(ctx, target, renderTable(flipsExportTable(c), format));
  // The route answers' judge scores follow, as the view shows them (CSV holds the first table only).
  const judge = format === 'csv' ? undefined : judgeView(session);
  return write(ctx, target, comparisonExport(c, format) + (judge ? '\n' + renderTables(judgeComparisonTables(judge), format) : ''));
}

/** Each record's raw text as one JSONL line, read from the file in file order. */
async function* jsonlOf(file: string, entries: readonly IndexEntry[]): AsyncGenerator<string> {
  const fh = await fs.promises.open(file, 'r');
  try {
    for (const e of entries) {
      const buf = Buffer.alloc(e.length);
      const { bytesRead } = await fh.read(buf, 0, e.length, e.offset);
      yield jsonlLine(buf.toString('utf8', 0, bytesRead)) + '\n';
    }
  } finally {
    await fh.close();
  }
}

async function exportRecords(ctx: ExportContext, arg: unknown, given: unknown): Promise<string | undefined> {
  const file = await fileToExport(ctx, arg);
  if (!file?.index) return undefined;
  const target = await targetOf(given, beside(file, 'filtered', 'jsonl'), RECORD_FILTERS);
  if (!target) return undefined;
  const entries = [...file.visible].sort((x, y) => x.offset - y.offset);
  const ids = /\.txt$/i.test(target);
  return write(ctx, target, ids ? idList(entries) : jsonlOf(file.path, entries));
}

export function registerExportCommands(ctx: ExportContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('stThink.exportSummary', (arg?: unknown, target?: unknown) => exportSummary(ctx, arg, target)),
    vscode.commands.registerCommand('stThink.exportComparison', (arg?: unknown, target?: unknown) =>
      exportComparison(ctx, arg, target, 'comparison'),
    ),
    vscode.commands.registerCommand('stThink.exportFlips', (arg?: unknown, target?: unknown) =>
      exportComparison(ctx, arg, target, 'flips'),
    ),
    vscode.commands.registerCommand('stThink.exportFilteredRecords', (arg?: unknown, target?: unknown) => exportRecords(ctx, arg, target)),
  ];
}
