/**
 * Activation: creates the services (the store of results files, the Results view, comparisons,
 * re-runs, the record documents, the status bar) and registers each feature's commands
 * (src/extension/commands). Activation does no I/O; files are indexed when opened.
 */
import * as vscode from 'vscode';
import { AccuracyStatus } from './accuracyStatus';
import { CHAIN_SCHEME, ChainDocuments } from './chainDiff';
import { CommandArgs } from './commands/args';
import type { CommandContext } from './commands/context';
import { registerCommands } from './commands/index';
import { showTrace } from './commands/records';
import { openAutoOpen } from './commands/results';
import { ComparePanel } from './comparePanel';
import { Comparisons } from './comparisons';
import { FormatDecorations } from './formatDecorations';
import { RECORD_SCHEME, RecordDocuments } from './recordDocuments';
import { RerunService } from './rerun';
import { ResultsView } from './resultsView';
import { previewOnSelection, TreeArrowKeys } from './selectionPreview';
import { ResultsStore } from './store';
import { createTraceHost } from './traceHost';
import { TracePanel, type TraceHost } from './tracePanel';
import { registerTraining, type TrainingRuns } from './training';
import { TrainingGroupPanel } from './trainingPanel';
import { ResultsTreeProvider, type ResultsNode } from './tree';

export interface StThinkApi {
  store: ResultsStore;
  tree: ResultsTreeProvider;
  view: vscode.TreeView<ResultsNode>;
  /** Open trace panels (for tests). */
  tracePanels: ReadonlySet<TracePanel>;
  comparisons: Comparisons;
  /** Open comparison views (for tests). */
  comparePanels: ReadonlySet<ComparePanel>;
  reruns: RerunService;
  /** Opens the files of `stThink.autoOpen` as at start-up (for tests). */
  autoOpen: () => Promise<void>;
  /** The Training view's runs, and the completion-group view when it is open (for tests). */
  training: TrainingRuns;
  trainingPanel: () => TrainingGroupPanel | undefined;
}

export function activate(context: vscode.ExtensionContext): StThinkApi {
  const subs = context.subscriptions;
  const store = new ResultsStore(vscode.Uri.joinPath(context.extensionUri, 'dist', 'index-worker.js').fsPath);
  const comparisons = new Comparisons(store);
  const reruns = new RerunService(context, store, () => traceHost);
  const tree = new ResultsTreeProvider(store, comparisons, (f) => reruns.rerunsFileOf(f));
  const records = new RecordDocuments(store);
  const status = new AccuracyStatus(store);
  const results = new ResultsView(store, tree, records, status);
  const view = results.view;
  subs.push(store, tree, results, status, records, comparisons, reruns);
  const traceHost: TraceHost = createTraceHost({ context, store, tree, view, reruns });
  const args = new CommandArgs(store, view, records);
  const ctx: CommandContext = { context, store, tree, view, records, comparisons, reruns, traceHost, args };
  const training = registerTraining(context);
  subs.push(...training.disposables);

  subs.push(
    vscode.workspace.registerTextDocumentContentProvider(RECORD_SCHEME, records),
    vscode.workspace.registerTextDocumentContentProvider(CHAIN_SCHEME, new ChainDocuments(store)),
    vscode.window.registerFileDecorationProvider(new FormatDecorations()),
    vscode.window.registerWebviewPanelSerializer(TracePanel.viewType, TracePanel.serializer(traceHost)),
    ...registerCommands(ctx),
    previewOnSelection(view, (r) => showTrace(ctx, r)),
    new TreeArrowKeys(view, tree),
  );
  store.updateContext();
  void vscode.commands.executeCommand('setContext', 'stThink.filterActive', false);
  void openAutoOpen(ctx);
  return {
    store,
    tree,
    view,
    tracePanels: TracePanel.all,
    comparisons,
    comparePanels: ComparePanel.all,
    reruns,
    autoOpen: () => openAutoOpen(ctx),
    training: training.runs,
    trainingPanel: () => TrainingGroupPanel.current,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
