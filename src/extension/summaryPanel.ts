/**
 * Show Summary: a webview with one table per file, per category and direction, under both rules.
 * The summary is computed when it is sent: after `ready`, when the panel becomes visible again, and
 * when the file, the filter or the rule changes while it is visible.
 */
import * as vscode from 'vscode';
import { describeFilter } from '../core/filter';
import {
  summaryHostMessageSchema,
  summaryWebviewMessageSchema,
  type SummaryHostMessage,
  type SummaryWebviewMessage,
} from '../core/protocol';
import { countTags, tagCountRows } from '../core/notes';
import { summarise } from '../core/summary';
import type { JudgeService } from './judge';
import { letterCharts } from '../core/chartsData';
import type { ResultsFile, ResultsStore } from './store';
import { panelOptions, WebviewPanel } from './webviewPanel';

export class SummaryPanel extends WebviewPanel<SummaryWebviewMessage, SummaryHostMessage> {
  static readonly viewType = 'stThink.summary';
  /** The route judge (set at activation): route records' judge scores join the summary. */
  static judge: JudgeService | undefined;
  private static panels = new Map<string, SummaryPanel>();

  static show(context: vscode.ExtensionContext, store: ResultsStore, file: ResultsFile): void {
    const key = file.uri.toString();
    const existing = SummaryPanel.panels.get(key);
    if (existing) {
      existing.panel.reveal();
      existing.resend('summary');
      return;
    }
    const title = `Summary: ${file.uri.path.split('/').pop()}`;
    const panel = vscode.window.createWebviewPanel(
      SummaryPanel.viewType,
      title,
      vscode.ViewColumn.Active,
      panelOptions(context.extensionUri),
    );
    SummaryPanel.panels.set(key, new SummaryPanel(context, store, file, panel));
  }

  /** What the open summary view of `file` shows now (for tests); undefined when none is open. */
  static messageFor(file: ResultsFile): SummaryHostMessage | undefined {
    return SummaryPanel.panels.get(file.uri.toString())?.summary();
  }

  /** The results file of the summary view in focus, if one is. */
  static activeFile(): ResultsFile | undefined {
    return [...SummaryPanel.panels.values()].find((p) => p.panel.active)?.file;
  }

  private constructor(
    context: vscode.ExtensionContext,
    private readonly store: ResultsStore,
    private readonly file: ResultsFile,
    panel: vscode.WebviewPanel,
  ) {
    super(panel, context.extensionUri, panel.title, {
      name: 'the summary view',
      incoming: summaryWebviewMessageSchema,
      outgoing: summaryHostMessageSchema,
    });
    this._register({ dispose: () => SummaryPanel.panels.delete(file.uri.toString()) });
    this._register(store.onDidChange((f) => (f === undefined || f === file) && this.resend('summary')));
    if (SummaryPanel.judge)
      this._register(SummaryPanel.judge.onDidChange((f) => (f === undefined || f === file) && this.resend('summary')));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('stThink.scoringRule') && this.resend('summary')),
    );
    this.keep('summary', () => this.summary());
  }

  protected receive(m: Exclude<SummaryWebviewMessage, { type: 'ready' }>): void {
    if (m.type === 'setRule')
      void vscode.workspace.getConfiguration('stThink').update('scoringRule', m.rule, vscode.ConfigurationTarget.Global);
  }

  /** The file's summary under both rules, as filtered now (nothing while it is not indexed). */
  private summary(): SummaryHostMessage | undefined {
    const idx = this.file.index;
    if (!idx) return undefined;
    const entries = this.file.visible;
    const tagsOf = this.store.tagsOf?.(this.file);
    const tags = tagsOf ? tagCountRows(countTags(entries, (e) => ({ tags: [...(tagsOf(e) ?? [])] }))) : [];
    const judged = SummaryPanel.judge?.summaryOf(this.file, entries);
    // Per direction with what was skipped and failed there too (the CLI's byDirection has judged and mean).
    const dir = (d: string) => {
      const k = SummaryPanel.judge?.summaryOf(
        this.file,
        entries.filter((e) => e.direction === d),
      );
      return {
        judged: k?.judged ?? 0,
        mean: k?.mean ?? null,
        skipped: k?.skipped ?? 0,
        failed: k?.failed ?? 0,
        unparsed: k?.unparsed ?? 0,
      };
    };
    const judge = judged && { ...judged, source: undefined, byDirection: { forward: dir('forward'), reverse: dir('reverse') } };
    return {
      type: 'summary',
      title: this.file.path,
      filter: describeFilter(this.store.filter),
      activeRule: this.store.rule,
      byRule: {
        mcq_infer: summarise(this.file.path, entries, idx.problemCount, 'mcq_infer'),
        grpo_reward: summarise(this.file.path, entries, idx.problemCount, 'grpo_reward'),
      },
      charts: { mcq_infer: letterCharts(entries, 'mcq_infer'), grpo_reward: letterCharts(entries, 'grpo_reward') },
      ...(tags.length ? { tags } : {}),
      ...(judge ? { judge } : {}),
    };
  }
}
