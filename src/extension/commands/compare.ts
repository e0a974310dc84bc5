/** Comparing two runs: pick them, pair records (or a file with its re-runs), open the view, show a flip. */
import * as vscode from 'vscode';
import { rerunModes } from '../../core/compare/compare';
import { pairTitle } from '../../core/recordText';
import { openChainDiff } from '../chainDiff';
import { ComparePanel, type PairView } from '../comparePanel';
import { fileName, type ComparisonSession } from '../comparisons';
import type { ResultsFile } from '../store';
import { TracePanel } from '../tracePanel';
import { flipOf, parseCommandArg, sessionOf } from './args';
import type { CommandContext } from './context';
import { openResultsFiles, RESULTS_FILTERS } from './results';

type FlipContext = Pick<CommandContext, 'comparisons' | 'traceHost'>;
type CompareContext = Pick<CommandContext, 'context' | 'store' | 'tree' | 'view' | 'reruns' | 'judge'> & FlipContext;

/** A comparison's flip `i`: the pair view (inline diff), the diff editor, or one side's trace. */
export async function openFlip(
  { comparisons, traceHost }: FlipContext,
  session: ComparisonSession,
  i: number,
  how: PairView,
): Promise<void> {
  const f = session.comparison.flipped[i];
  if (!f) return;
  comparisons.active = session;
  session.cursor = i;
  if (how === 'inline') await TracePanel.showPair(traceHost, session.flip(i)!, false);
  else if (how === 'diffEditor')
    await openChainDiff(
      { file: session.a, entry: f.a },
      { file: session.b, entry: f.b },
      `${pairTitle(f.a, f.b)}: ${session.title} (reasoning)`,
    );
  else await TracePanel.show(traceHost, how === 'traceA' ? { file: session.a, entry: f.a } : { file: session.b, entry: f.b }, false);
}

function showComparison(ctx: CompareContext, session: ComparisonSession): void {
  ComparePanel.show(
    ctx.context,
    session,
    (s, i, how) => openFlip(ctx, s, i, how),
    (s) => ctx.comparisons.list.includes(s) && (ctx.comparisons.active = s),
  );
}

/** A results file to compare: an open one other than `not`, or one opened from disk. */
async function pickRun(ctx: CompareContext, title: string, not?: ResultsFile): Promise<ResultsFile | undefined> {
  type Item = vscode.QuickPickItem & { file?: ResultsFile };
  const items: Item[] = ctx.store.list
    .filter((f) => f !== not && f.index)
    .map((f) => ({ label: fileName(f), description: f.path, detail: `${f.index!.entries.length.toLocaleString()} records`, file: f }));
  items.push({ label: '$(folder-opened) Open Another Results File…', alwaysShow: true });
  const pick = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: 'An open results file, or another from disk',
    matchOnDescription: true,
  });
  if (!pick) return undefined;
  if (pick.file) return pick.file;
  const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Compare', filters: RESULTS_FILTERS });
  return uris?.[0] ? (await openResultsFiles(ctx, uris))[0] : undefined;
}

/** Run A and run B: two files selected in the Explorer, a file (node or URI) then a pick, or two picks. */
async function pickPair(ctx: CompareContext, arg: unknown, all?: unknown): Promise<[ResultsFile, ResultsFile] | undefined> {
  let a: ResultsFile | undefined;
  let b: ResultsFile | undefined;
  const explorer = Array.isArray(all) ? all.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : undefined;
  const given = parseCommandArg(arg);
  if (explorer && explorer.length === 2) [a, b] = await openResultsFiles(ctx, explorer);
  else if (explorer && explorer.length > 2)
    return void vscode.window.showWarningMessage('ST-Think: select exactly two results files to compare.');
  else if (given.type === 'uri') a = (await openResultsFiles(ctx, [given.uri]))[0];
  else if (given.type === 'node' && given.node.kind === 'file') a = given.node.file;
  else a = await pickRun(ctx, 'ST-Think: Compare (1/2): run A');
  if (!a) return undefined;
  b ??= await pickRun(ctx, `ST-Think: Compare ${fileName(a)} (A) with… (2/2): run B`, a);
  if (!b) return undefined;
  if (a === b) return void vscode.window.showWarningMessage('ST-Think: pick two different results files.');
  return [a, b];
}

/** Waits for both to be indexed; false (having said why) when one is not. */
export async function indexed(ctx: Pick<CommandContext, 'store'>, files: ResultsFile[]): Promise<boolean> {
  for (const f of files) {
    if (f.state.kind === 'indexing')
      await new Promise<void>((done) => {
        const sub = ctx.store.onDidChange(() => f.state.kind !== 'indexing' && (sub.dispose(), done()));
      });
    if (!f.index || f.state.kind !== 'ready') {
      void vscode.window.showWarningMessage(
        `ST-Think: ${f.path} is not indexed${f.state.kind === 'failed' ? `: ${f.state.message}` : ''}.`,
      );
      return false;
    }
  }
  return true;
}

/** A results file against its re-runs pairs each record with its re-run of one mode; null when the pick was cancelled. */
async function pickRerunMode(a: ResultsFile, b: ResultsFile): Promise<'forward' | 'reverse' | undefined | null> {
  const modesB = rerunModes(b.index!.entries);
  const modes = modesB.length ? modesB : rerunModes(a.index!.entries);
  if (modes.length <= 1) return undefined;
  const pick = await vscode.window.showQuickPick(
    modes.map((m) => ({ label: m === 'forward' ? 'Forward thinking re-runs' : 'Reverse thinking re-runs', mode: m })),
    { title: 'ST-Think: Compare with which re-runs?', placeHolder: 'Each record pairs with its latest re-run of this mode' },
  );
  return pick ? pick.mode : null;
}

/** Compare With…: from a file node (A), the Explorer (two files selected), or the palette. */
async function compareWith(ctx: CompareContext, arg?: unknown, all?: unknown): Promise<void> {
  const pair = await pickPair(ctx, arg, all);
  if (!pair || !(await indexed(ctx, pair))) return;
  const [a, b] = pair;
  const rerunMode = await pickRerunMode(a, b);
  if (rerunMode === null) return;
  try {
    const session = await ctx.comparisons.compare(a, b, { rerunMode });
    // The route answers' judgments of both, read before the view shows its judge part.
    await Promise.all([ctx.judge.ensureLoaded(a), ctx.judge.ensureLoaded(b)]);
    if (session) showComparison(ctx, session);
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: could not compare ${fileName(a)} with ${fileName(b)}: ${(e as Error).message}`);
  }
}

export function registerCompareCommands(ctx: CompareContext): vscode.Disposable[] {
  const { comparisons } = ctx;
  return [
    vscode.commands.registerCommand('stThink.compareWith', (arg?: unknown, all?: unknown) => compareWith(ctx, arg, all)),
    vscode.commands.registerCommand('stThink.openComparison', (arg?: unknown) => {
      const session = sessionOf(arg) ?? comparisons.active;
      if (!session)
        return void vscode.window.showInformationMessage('ST-Think: compare two results files first (ST-Think: Compare With…).');
      comparisons.active = session;
      showComparison(ctx, session);
    }),
    vscode.commands.registerCommand('stThink.removeComparison', (arg?: unknown) => {
      const session = sessionOf(arg) ?? comparisons.active;
      if (session) comparisons.remove(session);
      for (const p of [...ComparePanel.all]) if (p.session === session) p.dispose();
    }),
    vscode.commands.registerCommand('stThink.showFlip', (arg: unknown) => {
      const n = flipOf(arg);
      return n && openFlip(ctx, n.session, n.index, 'inline');
    }),
  ];
}
