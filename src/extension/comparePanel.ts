/**
 * The comparison view: two runs side by side per category and direction, flips, the exact McNemar
 * test, forward/reverse consistency of each, and the flipped records, each opening its pair.
 */
import * as vscode from 'vscode';
import { consistency } from '../core/compare/compare';
import { compareRunJudgments, type RunsJudgeComparison } from '../core/judge/compareRuns';
import {
  compareHostMessageSchema,
  compareWebviewMessageSchema,
  comparisonViewSchema,
  type CompareHostMessage,
  type CompareWebviewMessage,
  type ComparisonView,
  type PairView,
} from '../core/protocol';
import { predictedOf } from '../core/summary';
import type { ComparisonSession } from './comparisons';
import type { JudgeService } from './judge';
import type { ResultsFile } from './store';
import { panelOptions, WebviewPanel } from './webviewPanel';

export type { PairView };

type OpenPair = (s: ComparisonSession, i: number, view: PairView) => Promise<void>;
type OnActive = (s: ComparisonSession) => void;

export class ComparePanel extends WebviewPanel<CompareWebviewMessage, CompareHostMessage> {
  static readonly viewType = 'stThink.compare';
  static readonly all = new Set<ComparePanel>();
  /** The route judge (set at activation): the route answers' judge scores join the comparison. */
  static judge: JudgeService | undefined;

  /** What the webview shows (for tests): made anew each time (the judge part follows the judgments). */
  get view(): ComparisonView {
    return comparisonView(this.session, ComparePanel.judge);
  }

  /** The panel of `session`, when one is open. */
  static of(session: ComparisonSession): ComparePanel | undefined {
    return [...ComparePanel.all].find((p) => p.session === session);
  }

  /** The comparison view in focus (the active editor tab), if one is. */
  static focused(): ComparePanel | undefined {
    return [...ComparePanel.all].find((p) => p.panel.active);
  }

  /**
   * One panel per comparison: shown again when it is open. `onActive` is told when the panel becomes
   * the active tab (Next / Previous Flip then step through its comparison).
   */
  static show(context: vscode.ExtensionContext, session: ComparisonSession, openPair: OpenPair, onActive?: OnActive): ComparePanel {
    const open = ComparePanel.of(session);
    if (open) {
      open.panel.reveal();
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      ComparePanel.viewType,
      `Compare: ${session.title}`,
      vscode.ViewColumn.Active,
      panelOptions(context.extensionUri),
    );
    const p = new ComparePanel(context, panel, session, openPair);
    if (onActive) p._register(panel.onDidChangeViewState((e) => e.webviewPanel.active && onActive(session)));
    return p;
  }

  private constructor(
    context: vscode.ExtensionContext,
    panel: vscode.WebviewPanel,
    readonly session: ComparisonSession,
    private readonly openPairOf: OpenPair,
  ) {
    super(panel, context.extensionUri, panel.title, {
      name: 'the comparison view',
      incoming: compareWebviewMessageSchema,
      outgoing: compareHostMessageSchema,
    });
    ComparePanel.all.add(this);
    this._register({ dispose: () => ComparePanel.all.delete(this) });
    this.keep('comparison', () => ({ type: 'comparison', comparison: this.view }));
    // Judged, re-judged or an upstream judge output attached: the judge part is sent again.
    const judge = ComparePanel.judge;
    if (judge)
      this._register(judge.onDidChange((f) => (f === undefined || f === session.a || f === session.b) && this.resend('comparison')));
  }

  /** Open flipped pair number `pair` (an index into the comparison's flipped list). */
  openPair(pair: number, view: PairView): Promise<void> {
    return this.openPairOf(this.session, pair, view);
  }

  protected async receive(m: Exclude<CompareWebviewMessage, { type: 'ready' }>): Promise<void> {
    if (m.type === 'openPair') await this.openPair(m.pair, m.view);
  }
}

/**
 * The route answers' judge scores of the two runs (their records the filter shows), when either has
 * route records: computed by the same core function as `st-think compare`'s.
 */
export function judgeView(session: ComparisonSession, judge = ComparePanel.judge): RunsJudgeComparison | undefined {
  if (!judge) return undefined;
  const [a, b] = [judge.judgedSide(session.a, session.a.visible), judge.judgedSide(session.b, session.b.visible)];
  return a.items.length || b.items.length ? compareRunJudgments(a, b) : undefined;
}

/** The comparison as the webview shows it: each side's consistency, the flips with their predictions, the judge. */
function comparisonView(session: ComparisonSession, judge: JudgeService | undefined): ComparisonView {
  const { comparison, a, b } = session;
  const judged = judgeView(session, judge);
  const { flipped, ...rest } = comparison;
  const cons = (f: ResultsFile) => {
    const c = consistency(f.visible, comparison.rule);
    return { pairs: c.pairs, bothCorrect: c.bothCorrect, oneOnly: c.oneOnly, neither: c.neither, unpaired: c.unpaired };
  };
  return comparisonViewSchema.parse({
    ...rest,
    a: a.path,
    b: b.path,
    consistencyA: cons(a),
    consistencyB: cons(b),
    ...(judged ? { judge: judged } : {}),
    flipped: flipped.map((f, pair) => ({
      kind: f.kind,
      pair,
      label: f.a.label,
      category: f.a.category,
      direction: f.a.direction,
      video: f.a.video || f.b.video,
      a: { id: f.a.id, line: f.a.line, predicted: predictedOf(f.a, comparison.rule) },
      b: { id: f.b.id, line: f.b.line, predicted: predictedOf(f.b, comparison.rule) },
      gold: f.a.gold,
    })),
  });
}
