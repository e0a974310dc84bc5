/**
 * Judge Agreement…: two judgments of the same route answers of a results file (as filtered), picked
 * among the judge models of its judgments file, the upstream judge output attached
 * to it, or another judgments file or judge output from disk; shown in the judge agreement view.
 * Export Judge Agreement…: that view's tables as CSV (the agreement), Markdown or LaTeX (both tables).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { upstreamByKey } from '../../core/judge/agreement';
import { compareRunJudgments, judgeComparisonTables } from '../../core/judge/compareRuns';
import type { RouteItem } from '../../core/judge/run';
import { judgmentsPath, readJudgments } from '../../core/judge/store';
import { judgesOfFile, judgmentsFor, type Scored } from '../../core/judge/summary';
import { renderTables, TABLE_EXTENSIONS } from '../../core/export';
import { AgreementPanel } from '../agreementPanel';
import { fileName } from '../comparisons';
import type { ResultsFile } from '../store';
import type { CommandContext } from './context';
import { beside, notAResultsFile, TABLE_FILTERS, tableFormatFor, targetOf, write } from './export';

type AgreementContext = Pick<CommandContext, 'context' | 'store' | 'args' | 'judge' | 'comparisons'>;

/** One side of the agreement: its name, and the score it gives each route record (undefined: none). */
interface Source {
  /** How a command argument names it: the judge model, or the file's path. */
  id: string;
  label: string;
  description: string;
  scoreOf: (item: RouteItem) => Scored | undefined;
}

/**
 * Each judge of the file's judgments file: a model, or a model under one prompt template when it was
 * re-judged with another (a record's latest judgment by it, of the record's text as it is now).
 */
async function modelSources(items: readonly RouteItem[], store: string): Promise<Source[]> {
  const out: Source[] = [];
  for (const judge of judgesOfFile(await readJudgments(store))) {
    const { byId } = judgmentsFor(items, judge.judgments, judge.model);
    if (!byId.size) continue;
    out.push({
      id: judge.id,
      label: judge.id,
      description: `${byId.size} judged · ${path.basename(store)}`,
      scoreOf: (i) => byId.get(i.id),
    });
  }
  return out;
}

/** A judgments file (.jsonl: its latest judge model) or an upstream judge output (.json) from disk, by sample key. */
async function fileSource(items: readonly RouteItem[], file: string): Promise<Source> {
  if (/\.jsonl$/i.test(file)) {
    const { byId, model } = judgmentsFor(items, await readJudgments(file));
    if (!byId.size) throw new Error(`${file}: no judgment of these route answers`);
    return { id: file, label: `${path.basename(file)} (${model})`, description: file, scoreOf: (i) => byId.get(i.id) };
  }
  const byKey = upstreamByKey(file);
  return { id: file, label: path.basename(file), description: 'upstream judge output', scoreOf: (i) => byKey.get(i.id) };
}

/** A source named by a command argument (a model id or a path), else picked; undefined when cancelled. */
async function sourceFor(
  items: readonly RouteItem[],
  sources: Source[],
  given: unknown,
  title: string,
  not?: Source,
): Promise<Source | undefined> {
  if (typeof given === 'string' && given) {
    const named = sources.find((s) => s.id === given);
    if (named) return named;
    if (fs.existsSync(given)) return fileSource(items, path.resolve(given));
    throw new Error(`no judgments named ${given} (judge models here: ${sources.map((s) => s.id).join(', ') || 'none'})`);
  }
  type Item = vscode.QuickPickItem & { source?: Source };
  const picks: Item[] = sources.filter((s) => s !== not).map((s) => ({ label: s.label, description: s.description, source: s }));
  picks.push({ label: '$(folder-opened) A Judgments File or Judge Output…', alwaysShow: true });
  const pick = await vscode.window.showQuickPick(picks, { title, placeHolder: 'The judgments of the same route answers' });
  if (!pick) return undefined;
  if (pick.source) return pick.source;
  const uris = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    filters: { 'Judgments or judge output': ['jsonl', 'json'] },
  });
  return uris?.[0] ? fileSource(items, uris[0].fsPath) : undefined;
}

/** The results file, its route records (as filtered) and the judgments to choose from; undefined (having said why) when none. */
async function routesOf(ctx: AgreementContext, arg: unknown): Promise<{ file: ResultsFile; items: RouteItem[] } | undefined> {
  const file = await ctx.args.file(arg);
  if (!file?.index || file.state.kind !== 'ready')
    return void vscode.window.showInformationMessage('ST-Think: open and index a results file first.');
  await ctx.judge.ensureLoaded(file);
  const items = [...ctx.judge.judgedSide(file, file.visible).items];
  if (!items.length)
    return void vscode.window.showInformationMessage(`ST-Think: no route answers among the records of ${fileName(file)} shown.`);
  return { file, items };
}

async function judgeAgreement(ctx: AgreementContext, arg?: unknown, givenA?: unknown, givenB?: unknown) {
  const target = await routesOf(ctx, arg);
  if (!target) return undefined;
  const { file, items } = target;
  try {
    const sources = await modelSources(items, judgmentsPath(file.index!.file));
    const attached = ctx.judge.attachedFile(file);
    if (attached) sources.push(await fileSource(items, attached));
    const a = await sourceFor(items, sources, givenA, `ST-Think: Judge Agreement (1/2): judgments A of ${fileName(file)}`);
    if (!a) return undefined;
    const b = await sourceFor(items, sources, givenB, `ST-Think: Judge Agreement (2/2): judgments B, against ${a.label}`, a);
    if (!b) return undefined;
    const c = compareRunJudgments({ items, scoreOf: a.scoreOf }, { items, scoreOf: b.scoreOf });
    return AgreementPanel.show(ctx.context, file, [a.label, b.label], c).view;
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: judge agreement: ${(e as Error).message}`);
    return undefined;
  }
}

async function exportJudgeAgreement(ctx: AgreementContext, arg?: unknown, given?: unknown): Promise<string | undefined> {
  const panel = arg instanceof AgreementPanel ? arg : AgreementPanel.current();
  if (!panel) return void vscode.window.showInformationMessage('ST-Think: show a judge agreement first (ST-Think: Judge Agreement…).');
  const target = await targetOf(given, beside(panel.file, 'judge-agreement', TABLE_EXTENSIONS.csv), TABLE_FILTERS);
  const format = target && notAResultsFile(ctx, target) && (await tableFormatFor(target));
  if (!target || !format) return undefined;
  const [scores, agreement] = judgeComparisonTables(panel.view.judge);
  const sides = `A: ${panel.view.a}; B: ${panel.view.b}`.replace(/\s+/g, ' ');
  // CSV holds one table: the agreement. Markdown and LaTeX: the sides, the agreement, then the scores.
  const head = format === 'markdown' ? `Judge agreement of ${panel.view.file}. ${sides}\n\n` : format === 'latex' ? `% ${sides}\n` : '';
  return write(ctx, target, head + renderTables([agreement, scores], format));
}

export function registerJudgeAgreementCommands(ctx: AgreementContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('stThink.judgeAgreement', (arg?: unknown, a?: unknown, b?: unknown) => judgeAgreement(ctx, arg, a, b)),
    vscode.commands.registerCommand('stThink.exportJudgeAgreement', (arg?: unknown, target?: unknown) =>
      exportJudgeAgreement(ctx, arg, target),
    ),
  ];
}
