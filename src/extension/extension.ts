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
import { AgreementPanel } from './agreementPanel';
import { ComparePanel } from './comparePanel';
import { RunsPanel } from './runsPanel';
import { Comparisons } from './comparisons';
import { FormatDecorations } from './formatDecorations';
import { NotesDecorations, RecordNotesService } from './notes';
import { JudgeService } from './judge';
import { RECORD_SCHEME, RecordDocuments } from './recordDocuments';
import { RerunService } from './rerun';
import { ResultsView } from './resultsView';
import { SummaryPanel } from './summaryPanel';
import { previewOnSelection, TreeArrowKeys } from './selectionPreview';
import { ResultsStore, type ResultsFile } from './store';
import type { SummaryHostMessage } from '../core/protocol';
import { createTraceHost } from './traceHost';
import { TracePanel, type TraceHost } from './tracePanel';
import { registerTraining, type TrainingRuns } from './training';
import { TrainingCurvesPanel } from './trainingCurves';
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
  /** The judge agreement views open (Judge Agreement…). */
  agreementPanels: ReadonlySet<AgreementPanel>;
  /** Open views of several runs compared (for tests). */
  runsPanels: ReadonlySet<RunsPanel>;
  reruns: RerunService;
  /** The tags and notes of the open files. */
  notes: RecordNotesService;
  /** What the open summary view of a file shows (for tests). */
  summaryOf: (file: ResultsFile) => SummaryHostMessage | undefined;
  /** The route judge (judgments per open file, judging, the API key). */
  judge: JudgeService;
  /** Opens the files of `stThink.autoOpen` as at start-up (for tests). */
  autoOpen: () => Promise<void>;
  /** The Training view's runs, and the completion-group view when it is open (for tests). */
  training: TrainingRuns;
  trainingPanel: () => TrainingGroupPanel | undefined;
  /** The training curves view when it is open (for tests). */
  trainingCurves: () => TrainingCurvesPanel | undefined;
}

export function activate(context: vscode.ExtensionContext): StThinkApi {
  const subs = context.subscriptions;
  const store = new ResultsStore(vscode.Uri.joinPath(context.extensionUri, 'dist', 'index-worker.js').fsPath);
  const comparisons = new Comparisons(store);
  const reruns = new RerunService(context, store, () => traceHost);
  const notes = new RecordNotesService(store);
  const judge = new JudgeService(context, store);
  SummaryPanel.judge = judge;
  ComparePanel.judge = judge;
  const tree = new ResultsTreeProvider(
    store,
    comparisons,
    (f) => reruns.rerunsFileOf(f),
    (f, e) => notes.notesOf(f, e),
    judge,
  );
  const records = new RecordDocuments(store);
  const status = new AccuracyStatus(store);
  const results = new ResultsView(store, tree, records, status);
  const view = results.view;
  subs.push(store, notes, tree, results, status, records, comparisons, reruns, judge);
  const traceHost: TraceHost = createTraceHost({ context, store, tree, view, reruns, notes, judge });
  const args = new CommandArgs(store, view, records);
  const ctx: CommandContext = { context, store, tree, view, records, comparisons, reruns, judge, traceHost, args, notes };
  const training = registerTraining(context);
  subs.push(...training.disposables);

  const decorations = new NotesDecorations(store, notes);
  subs.push(
    vscode.workspace.registerTextDocumentContentProvider(RECORD_SCHEME, records),
    vscode.workspace.registerTextDocumentContentProvider(CHAIN_SCHEME, new ChainDocuments(store)),
    vscode.window.registerFileDecorationProvider(new FormatDecorations()),
    decorations,
    vscode.window.registerFileDecorationProvider(decorations),
    vscode.window.registerWebviewPanelSerializer(TracePanel.viewType, TracePanel.serializer(traceHost)),
    ...registerCommands(ctx),
    previewOnSelection(view, (r) => showTrace(ctx, r)),
    judge.onDidChange((f) => TracePanel.reloadRoutes(f)),
    new TreeArrowKeys(view, tree),
  );
  subs.push(notes.onDidChange((f) => TracePanel.notesChanged(f)));
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
    agreementPanels: AgreementPanel.all,
    runsPanels: RunsPanel.all,
    reruns,
    notes,
    summaryOf: (file) => SummaryPanel.messageFor(file),
    judge,
    autoOpen: () => openAutoOpen(ctx),
    training: training.runs,
    trainingPanel: () => TrainingGroupPanel.current,
    trainingCurves: () => TrainingCurvesPanel.current,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
