/**
 * The Results view: the tree, its header (the filter as a message, the scoring rule as the
 * description), what its selection makes active, and the settings that redraw it.
 */
import * as vscode from 'vscode';
import { describeFilter, isEmptyFilter } from '../core/filter';
import type { AccuracyStatus } from './accuracyStatus';
import { fileOfNode, isRecordNode } from './commands/args';
import { Disposable } from './dispose';
import type { RecordDocuments } from './recordDocuments';
import type { ResultsStore } from './store';
import type { ResultsNode, ResultsTreeProvider } from './tree';

export class ResultsView extends Disposable {
  readonly view: vscode.TreeView<ResultsNode>;

  constructor(
    private readonly store: ResultsStore,
    tree: ResultsTreeProvider,
    records: RecordDocuments,
    status: AccuracyStatus,
  ) {
    super();
    this.view = this._register(
      vscode.window.createTreeView('stThink.results', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true }),
    );
    this._register(store.onDidChange(() => this.updateHeader()));
    this._register(
      this.view.onDidChangeSelection((e) => {
        const n = e.selection[0];
        void vscode.commands.executeCommand(
          'setContext',
          'stThink.recordSelected',
          (n && isRecordNode(n)) || records.lastShown !== undefined,
        );
        const file = n && fileOfNode(n);
        if (file) {
          store.active = file;
          this.updateHeader();
          status.update();
        }
      }),
    );
    // The tree's own settings are compared by value: user settings that reach a remote extension
    // host late (code-server) arrive in an event that names no key.
    let shape = treeSettings();
    this._register(
      vscode.workspace.onDidChangeConfiguration(async (e) => {
        const now = treeSettings();
        const changed = now !== shape;
        shape = now;
        if (e.affectsConfiguration('stThink.scoringRule')) await store.refilterAll();
        else if (changed || e.affectsConfiguration('stThink.recordsPerPage')) tree.refresh();
      }),
    );
    this.updateHeader();
  }

  private updateHeader(): void {
    const f = this.store.filter;
    this.view.message = isEmptyFilter(f) ? undefined : `Filter: ${describeFilter(f)}`;
    this.view.description = this.store.rule;
  }
}

/** What the tree's rows and grouping depend on, as one string to compare. */
function treeSettings(): string {
  const c = vscode.workspace.getConfiguration('stThink');
  return JSON.stringify([c.get('tree.recordLabel'), c.get('tree.groupBy'), c.get('recordsPerPage')]);
}
