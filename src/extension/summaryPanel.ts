/**
 * Show Summary: a webview with one table per file, per category and direction, under both rules.
 * The host posts only after the webview says `ready`, and re-posts when it becomes visible again
 * (VS Code drops messages to hidden webviews).
 */
import * as vscode from 'vscode';
import { describeFilter } from '../core/filter';
import { hostMessageSchema, webviewMessageSchema, type HostMessage } from '../core/protocol';
import { summarise } from '../core/summary';
import type { ResultsFile, ResultsStore } from './store';
import { webviewHtml } from './webviewHtml';

export class SummaryPanel implements vscode.Disposable {
  static readonly viewType = 'stThink.summary';
  private static panels = new Map<string, SummaryPanel>();
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  static show(context: vscode.ExtensionContext, store: ResultsStore, file: ResultsFile): void {
    const key = file.uri.toString();
    const existing = SummaryPanel.panels.get(key);
    if (existing) {
      existing.panel.reveal();
      existing.post();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      SummaryPanel.viewType,
      `Summary: ${file.uri.path.split('/').pop()}`,
      vscode.ViewColumn.Active,
      { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'media')] },
    );
    SummaryPanel.panels.set(key, new SummaryPanel(context, store, file, panel));
  }

  private constructor(
    context: vscode.ExtensionContext,
    private readonly store: ResultsStore,
    private readonly file: ResultsFile,
    readonly panel: vscode.WebviewPanel,
  ) {
    panel.webview.html = webviewHtml(panel.webview, context.extensionUri, panel.title);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      panel.onDidChangeViewState(() => panel.visible && this.post()),
      panel.onDidDispose(() => this.dispose()),
      store.onDidChange((f) => (f === undefined || f === file) && this.post()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('stThink.scoringRule') && this.post()),
    );
  }

  private receive(raw: unknown): void {
    const msg = webviewMessageSchema.safeParse(raw);
    if (!msg.success) {
      console.warn('ST-Think: dropped an invalid message from the summary webview', msg.error.issues[0]);
      return;
    }
    if (msg.data.type === 'ready') {
      this.ready = true;
      this.post();
    } else if (msg.data.type === 'setRule') {
      void vscode.workspace.getConfiguration('stThink').update('scoringRule', msg.data.rule, vscode.ConfigurationTarget.Global);
    }
  }

  private post(): void {
    const idx = this.file.index;
    if (!this.ready || !this.panel.visible || !idx) return;
    const entries = this.file.visible;
    const message: HostMessage = {
      type: 'summary',
      title: this.file.path,
      filter: describeFilter(this.store.filter),
      activeRule: this.store.rule,
      byRule: {
        mcq_infer: summarise(this.file.path, entries, idx.problemCount, 'mcq_infer'),
        grpo_reward: summarise(this.file.path, entries, idx.problemCount, 'grpo_reward'),
      },
    };
    void this.panel.webview.postMessage(hostMessageSchema.parse(message));
  }

  dispose(): void {
    SummaryPanel.panels.delete(this.file.uri.toString());
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
