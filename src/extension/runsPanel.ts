/**
 * Several runs compared (ST-Think: Compare Runs…): each run's accuracy per category and direction
 * on the records common to all, under both rules, the best marked; McNemar of any two runs (or of
 * every pair) computed when the view asks, by the two-run comparison itself.
 */
import * as vscode from 'vscode';
import { compareManyByRule, pairMany, PairwiseTests, visibleRows, type PairwiseResult, type RunsComparison } from '../core/compare/many';
import type { RunInfo } from '../core/export';
import { describeFilter, isEmptyFilter } from '../core/filter';
import type { ResultsIndex } from '../core/index';
import {
  runsHostMessageSchema,
  runsViewSchema,
  runsWebviewMessageSchema,
  type RunsHostMessage,
  type RunsView,
  type RunsWebviewMessage,
} from '../core/protocol';
import type { ScoringRule } from '../core/vocabulary';
import { fileName } from './comparisons';
import type { ResultsFile, ResultsStore } from './store';
import { panelOptions, WebviewPanel } from './webviewPanel';

/** The runs compared, their table under both rules, and the pairwise tests asked for so far. */
export class RunsSession {
  private readonly done = new Map<string, PairwiseResult>();
  private readonly indexes: (ResultsIndex | undefined)[];

  private constructor(
    readonly files: readonly ResultsFile[],
    readonly runs: readonly RunInfo[],
    readonly byRule: Record<ScoringRule, RunsComparison>,
    readonly filter: string,
    private readonly tests: PairwiseTests,
  ) {
    this.indexes = files.map((f) => f.index);
  }

  /** Pairs the files' records (each with the first's) and compares their visible records under both rules. */
  static async make(files: readonly ResultsFile[], store: ResultsStore, signal?: AbortSignal): Promise<RunsSession> {
    const indexes = files.map((f) => {
      if (!f.index) throw new Error(`${f.path} is not indexed yet`);
      return f.index;
    });
    const visible = files.map((f) => f.visible);
    const pairing = await pairMany(indexes, { signal });
    const rows = visibleRows(pairing, visible);
    const runs: RunInfo[] = files.map((f, i) => ({
      label: `R${i + 1}`,
      file: f.path,
      records: visible[i].length,
      leftOut: visible[i].length - rows.length,
      pairedBy: i ? pairing.by[i - 1] : '',
    }));
    const filter = isEmptyFilter(store.filter) ? '' : describeFilter(store.filter);
    return new RunsSession(files, runs, compareManyByRule(rows, files.length), filter, new PairwiseTests(indexes, visible));
  }

  get title(): string {
    return this.files.map(fileName).join(' · ');
  }

  /** Still about the records the files hold now. */
  valid(store: ResultsStore): boolean {
    return this.files.every((f, i) => store.list.includes(f) && f.index === this.indexes[i]);
  }

  /** McNemar of runs a and b under `rule` (paired once, then kept). */
  async pairwise(a: number, b: number, rule: ScoringRule, signal?: AbortSignal): Promise<PairwiseResult> {
    const r = await this.tests.get(a, b, rule, { signal });
    this.done.set(`${rule}:${a},${b}`, r);
    return r;
  }

  /** The tests made so far under `rule`, in the order of the runs (for the export). */
  pairwiseDone(rule: ScoringRule): PairwiseResult[] {
    return [...this.done.values()].filter((r) => r.rule === rule).sort((x, y) => x.a - y.a || x.b - y.b);
  }
}

export class RunsPanel extends WebviewPanel<RunsWebviewMessage, RunsHostMessage> {
  static readonly viewType = 'stThink.compareRuns';
  static readonly all = new Set<RunsPanel>();
  /** What the webview shows (for tests). */
  readonly view: RunsView;
  /** The rule the view shows (what an export writes). */
  rule: ScoringRule;
  /** The last pairwise message sent (for tests). */
  lastPairwise: RunsHostMessage | undefined;

  /** The several-runs view in focus (the active editor tab), if one is. */
  static focused(): RunsPanel | undefined {
    return [...RunsPanel.all].find((p) => p.panel.active);
  }

  static show(context: vscode.ExtensionContext, session: RunsSession, store: ResultsStore): RunsPanel {
    const panel = vscode.window.createWebviewPanel(
      RunsPanel.viewType,
      `Compare Runs: ${session.title}`,
      vscode.ViewColumn.Active,
      panelOptions(context.extensionUri),
    );
    return new RunsPanel(context, panel, session, store);
  }

  private constructor(
    context: vscode.ExtensionContext,
    panel: vscode.WebviewPanel,
    readonly session: RunsSession,
    store: ResultsStore,
  ) {
    super(panel, context.extensionUri, panel.title, {
      name: 'the several-runs view',
      incoming: runsWebviewMessageSchema,
      outgoing: runsHostMessageSchema,
    });
    RunsPanel.all.add(this);
    this._register({ dispose: () => RunsPanel.all.delete(this) });
    // Like a comparison of two, the view goes when a file is closed or re-indexed from scratch.
    this._register(store.onDidChange(() => !session.valid(store) && this.dispose()));
    this.rule = store.rule;
    this.view = runsViewSchema.parse({
      runs: session.runs.map((r, i) => ({ ...r, name: fileName(session.files[i]) })),
      common: session.byRule.mcq_infer.common,
      rule: this.rule,
      byRule: session.byRule,
      filter: session.filter,
    });
    // Made when sent: a view shown again (its webview rebuilt) opens under the rule it last showed.
    this.keep('runs', () => ({ type: 'runs', runs: { ...this.view, rule: this.rule } }));
  }

  protected async receive(m: Exclude<RunsWebviewMessage, { type: 'ready' }>): Promise<void> {
    if (m.type === 'showRule') this.rule = m.rule;
    else if (m.type === 'exportRuns') await vscode.commands.executeCommand('stThink.exportComparison', this.session);
    else {
      this.rule = m.rule;
      const n = this.session.runs.length;
      const pairs =
        m.type === 'pairwise'
          ? [[m.a, m.b]]
          : [...Array(n).keys()].flatMap((a) => [...Array(n).keys()].filter((b) => b > a).map((b) => [a, b]));
      try {
        const results = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: 'ST-Think: McNemar tests' },
          async () => {
            const out: PairwiseResult[] = [];
            for (const [a, b] of pairs) out.push(await this.session.pairwise(a, b, m.rule));
            return out;
          },
        );
        this.lastPairwise = { type: 'pairwise', all: m.type === 'pairwiseAll', results };
      } catch (e) {
        this.lastPairwise = { type: 'pairwiseError', message: (e as Error).message };
      }
      this.keep('pairwise', this.lastPairwise);
    }
  }
}
