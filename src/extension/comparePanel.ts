/**
 * The comparison view: two runs side by side per category and direction, flips, the exact McNemar
 * test, forward/reverse consistency of each, and the flipped records, each opening its pair.
 */
import * as vscode from 'vscode';
import { consistency } from '../core/compare/compare';
import { comparisonViewSchema, hostMessageSchema, webviewMessageSchema, type ComparisonView } from '../core/protocol';
import { predictedOf } from '../core/summary';
import type { ComparisonSession } from './comparisons';
import type { ResultsFile } from './store';
import { webviewHtml } from './webviewHtml';

export type PairView = 'inline' | 'diffEditor' | 'traceA' | 'traceB';

export class ComparePanel implements vscode.Disposable {
  static readonly viewType = 'stThink.compare';
  static readonly all = new Set<ComparePanel>();
  private ready = false;
  /** What the webview shows (for tests). */
  readonly view: ComparisonView;
  private readonly disposables: vscode.Disposable[] = [];

  /** One panel per comparison: shown again when it is open. */
  static show(context: vscode.ExtensionContext, session: ComparisonSession, openPair: (s: ComparisonSession, i: number, view: PairView) => Promise<void>): ComparePanel {
    const open = [...ComparePanel.all].find((p) => p.session === session);
    if (open) {
      open.panel.reveal();
      return open;
    }
    const panel = vscode.window.createWebviewPanel(ComparePanel.viewType, `Compare: ${session.title}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'media')],
    });
    return new ComparePanel(context, panel, session, openPair);
  }

  private constructor(
    context: vscode.ExtensionContext,
    readonly panel: vscode.WebviewPanel,
    readonly session: ComparisonSession,
    private readonly openPairOf: (s: ComparisonSession, i: number, view: PairView) => Promise<void>,
  ) {
    ComparePanel.all.add(this);
    const { comparison, a, b } = session;
    const { flipped, ...rest } = comparison;
    const cons = (f: ResultsFile) => {
      const c = consistency(f.visible, comparison.rule);
      return { pairs: c.pairs, bothCorrect: c.bothCorrect, oneOnly: c.oneOnly, neither: c.neither, unpaired: c.unpaired };
    };
    this.view = comparisonViewSchema.parse({
      ...rest,
      a: a.path,
      b: b.path,
      consistencyA: cons(a),
      consistencyB: cons(b),
      flipped: flipped.map((f, pair) => ({
        kind: f.kind,
        pair,
        label: f.a.label,
        category: f.a.category,
        direction: f.a.direction,
        a: { id: f.a.id, line: f.a.line, predicted: predictedOf(f.a, comparison.rule) },
        b: { id: f.b.id, line: f.b.line, predicted: predictedOf(f.b, comparison.rule) },
        gold: f.a.gold,
      })),
    });
    panel.webview.html = webviewHtml(panel.webview, context.extensionUri, panel.title);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      panel.onDidChangeViewState(() => panel.visible && this.post()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Open flipped pair number `pair` (an index into the comparison's flipped list). */
  openPair(pair: number, view: PairView): Promise<void> {
    return this.openPairOf(this.session, pair, view);
  }

  private async receive(raw: unknown): Promise<void> {
    const m = webviewMessageSchema.safeParse(raw);
    if (!m.success) {
      console.warn('ST-Think: dropped an invalid message from the comparison view', m.error.issues[0]);
      return;
    }
    if (m.data.type === 'ready') {
      this.ready = true;
      this.post();
    } else if (m.data.type === 'openPair') await this.openPair(m.data.pair, m.data.view);
  }

  private post(): void {
    if (!this.ready || !this.panel.visible) return;
    void this.panel.webview.postMessage(hostMessageSchema.parse({ type: 'comparison', comparison: this.view }));
  }

  dispose(): void {
    ComparePanel.all.delete(this);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
