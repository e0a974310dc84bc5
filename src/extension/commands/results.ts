/** Results files: open (from a dialog, the Explorer, the editor, the `stThink.autoOpen` setting), close, re-index, the scoring rule. */
import * as vscode from 'vscode';
import { RULES, type ScoringRule } from '../../core/schemas';
import { autoOpenPath, trustedSettingValue } from '../../core/settingsLimits';
import { locateVideoFolder } from '../frames';
import type { JudgeService } from '../judge';
import type { ResultsFile } from '../store';
import { TracePanel } from '../tracePanel';
import { urisOf } from './args';
import type { CommandContext } from './context';
import { openJudgeOutput } from './judge';

export const RESULTS_FILTERS = { 'Results files': ['jsonl', 'json', 'ndjson'], 'All files': ['*'] };

type OpenContext = Pick<CommandContext, 'store' | 'tree' | 'view' | 'reruns'> & { judge?: JudgeService };

/**
 * Opens results files (each with its re-runs file beside it) and reveals the last in the Results view.
 * An upstream judge output among them is attached to the results file beside it instead (with a judge).
 */
export async function openResultsFiles({ store, tree, view, reruns, judge }: OpenContext, uris: vscode.Uri[]): Promise<ResultsFile[]> {
  // The view is focused when opening starts, not when indexing ends: by then the user may be in
  // a quick pick or an editor, and taking focus would close or interrupt it.
  if (uris.length) await vscode.commands.executeCommand('stThink.results.focus');
  const opened: ResultsFile[] = [];
  for (const uri of uris) {
    if (judge && uri.scheme === 'file' && !store.get(uri) && (await openJudgeOutput(judge, store, uri.fsPath))) continue;
    opened.push(await store.open(uri));
  }
  // Each results file's re-runs file opens beside it (its records show under theirs in the tree).
  for (const f of [...opened]) {
    const companion = reruns.companionOf(f);
    if (companion && !store.get(companion)) await store.open(companion, { background: true });
  }
  const last = opened[opened.length - 1];
  if (last) {
    await view.reveal(tree.fileNode(last), { expand: true, select: false, focus: false }).then(undefined, () => undefined);
  }
  return opened;
}

/** No editor is open in any group (the editor area shows only its empty background). */
function editorAreaEmpty(): boolean {
  return vscode.window.tabGroups.all.every((g) => g.tabs.length === 0);
}

/**
 * The files named by `stThink.autoOpen` (the demo workspace uses it to load its sample): paths
 * inside the first workspace folder only, and in an untrusted workspace only the user's own. When
 * the editor area is empty (a first start: the demo sets no startup editor) and still is once they
 * are indexed, the last one's summary opens in it, so the first view is not a blank editor area.
 */
export async function openAutoOpen(ctx: OpenContext): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const scopes = vscode.workspace.getConfiguration('stThink', folder).inspect<unknown>('autoOpen');
  const paths = trustedSettingValue(scopes, vscode.workspace.isTrusted);
  if (!folder || folder.uri.scheme !== 'file' || !Array.isArray(paths)) return;
  const uris: vscode.Uri[] = [];
  for (const p of paths) {
    const r = autoOpenPath(p, folder.uri.fsPath);
    if (r.ok) uris.push(vscode.Uri.file(r.path));
    else void vscode.window.showWarningMessage(`ST-Think: stThink.autoOpen: ${String(p)} is not opened: ${r.why}.`);
  }
  if (!uris.length) return;
  const wasEmpty = editorAreaEmpty();
  const last = (await openResultsFiles(ctx, uris)).at(-1);
  if (last && wasEmpty && editorAreaEmpty() && last.state.kind === 'ready')
    await vscode.commands.executeCommand('stThink.showSummary', { file: last });
}

async function switchScoringRule(ctx: Pick<CommandContext, 'store'>): Promise<void> {
  const pick = await vscode.window.showQuickPick(
    RULES.map((r) => ({
      label: r,
      picked: r === ctx.store.rule,
      description: r === 'mcq_infer' ? 'inference scripts: letter extraction' : 'training reward: first character of <answer>',
    })),
    { placeHolder: 'Scoring rule for the tree and the status bar' },
  );
  if (pick)
    await vscode.workspace.getConfiguration('stThink').update('scoringRule', pick.label as ScoringRule, vscode.ConfigurationTarget.Global);
}

export function registerResultsCommands(ctx: OpenContext & Pick<CommandContext, 'args' | 'context'>): vscode.Disposable[] {
  const { store, args } = ctx;
  return [
    vscode.commands.registerCommand('stThink.openResultsFile', async (uri?: unknown, all?: unknown) => {
      const uris =
        urisOf(uri, all) ??
        (await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: 'Open in ST-Think', filters: RESULTS_FILTERS }));
      if (uris?.length) await openResultsFiles(ctx, uris);
    }),
    vscode.commands.registerCommand('stThink.openInStThink', async (uri?: unknown, all?: unknown) => {
      const editor = vscode.window.activeTextEditor;
      const uris = urisOf(uri, all) ?? (editor ? [editor.document.uri] : []);
      if (uris.length) await openResultsFiles(ctx, uris);
    }),
    vscode.commands.registerCommand('stThink.closeResultsFile', async (arg: unknown) => {
      const file = await args.file(arg);
      if (file) store.close(file);
    }),
    vscode.commands.registerCommand('stThink.reindexFile', async (arg: unknown) => {
      const file = await args.file(arg);
      if (file) await store.reindex(file);
    }),
    vscode.commands.registerCommand('stThink.switchScoringRule', () => switchScoringRule(ctx)),
    // The folder may be given (a test, a keybinding's args); else it is asked for.
    vscode.commands.registerCommand('stThink.locateVideoFolder', async (arg: unknown, folder?: unknown) => {
      const file = await args.file(arg);
      if (!file) return void vscode.window.showInformationMessage('ST-Think: open a results file first.');
      if (await locateVideoFolder(ctx.context, file, folder instanceof vscode.Uri ? folder : undefined)) TracePanel.reloadAll();
    }),
  ];
}
