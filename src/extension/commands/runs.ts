/**
 * Compare Runs…: several results files at once, picked in a quick pick (several at a time), or
 * selected together in the Results tree or the Explorer. Opens the several-runs view.
 */
import * as vscode from 'vscode';
import { fileName } from '../comparisons';
import { RunsPanel, RunsSession } from '../runsPanel';
import type { ResultsFile } from '../store';
import { fileOfNode, isResultsNode, parseCommandArg } from './args';
import { indexed } from './compare';
import type { CommandContext } from './context';
import { openResultsFiles, RESULTS_FILTERS } from './results';

type RunsContext = Pick<CommandContext, 'context' | 'store' | 'tree' | 'view' | 'reruns'>;

/** The files of a multi-selection: the Explorer's URIs (opened), or the Results tree's nodes' files. */
async function selectedFiles(ctx: RunsContext, all: unknown): Promise<ResultsFile[] | undefined> {
  if (!Array.isArray(all) || all.length < 2) return undefined;
  if (all.every((u) => u instanceof vscode.Uri)) return openResultsFiles(ctx, all as vscode.Uri[]);
  const files = all.filter(isResultsNode).map(fileOfNode);
  return files.every((f) => f) ? [...new Set(files as ResultsFile[])] : undefined;
}

/** Two or more open results files, checked in a quick pick (`first` checked already); other files may be opened too. */
async function pickRuns(ctx: RunsContext, first?: ResultsFile): Promise<ResultsFile[] | undefined> {
  type Item = vscode.QuickPickItem & { file?: ResultsFile };
  const items: Item[] = ctx.store.list
    .filter((f) => f.index)
    .map((f) => ({
      label: fileName(f),
      description: f.path,
      detail: `${f.index!.entries.length.toLocaleString()} records`,
      picked: f === first,
      file: f,
    }));
  const more: Item = { label: '$(folder-opened) Also Open Other Results Files…', alwaysShow: true };
  const picks = await vscode.window.showQuickPick([...items, more], {
    title: 'ST-Think: Compare Runs: check two or more results files',
    placeHolder: 'Open results files (Space checks one), and others from disk',
    canPickMany: true,
    matchOnDescription: true,
  });
  if (!picks) return undefined;
  const files = picks.flatMap((p) => (p.file ? [p.file] : []));
  if (picks.includes(more)) {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: 'Compare', filters: RESULTS_FILTERS });
    if (uris?.length) files.push(...(await openResultsFiles(ctx, uris)));
  }
  return [...new Set(files)];
}

async function compareRuns(ctx: RunsContext, arg?: unknown, all?: unknown): Promise<RunsPanel | undefined> {
  const given = parseCommandArg(arg);
  const first = given.type === 'node' ? fileOfNode(given.node) : given.type === 'file' ? given.file : undefined;
  const files = (await selectedFiles(ctx, all)) ?? (await pickRuns(ctx, first));
  if (!files) return undefined;
  if (files.length < 2) return void vscode.window.showWarningMessage('ST-Think: pick two or more results files to compare.');
  if (!(await indexed(ctx, files))) return undefined;
  try {
    const session = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ST-Think: comparing ${files.length} runs`, cancellable: true },
      async (_p, token) => {
        const ctrl = new AbortController();
        token.onCancellationRequested(() => ctrl.abort());
        try {
          return await RunsSession.make(files, ctx.store, ctrl.signal);
        } catch (e) {
          if ((e as Error).name === 'AbortError') return undefined;
          throw e;
        }
      },
    );
    return session && RunsPanel.show(ctx.context, session, ctx.store);
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: could not compare the runs: ${(e as Error).message}`);
    return undefined;
  }
}

export function registerRunsCommands(ctx: RunsContext): vscode.Disposable[] {
  return [vscode.commands.registerCommand('stThink.compareRuns', (arg?: unknown, all?: unknown) => compareRuns(ctx, arg, all))];
}
