/**
 * The completion-group view: one reward call's completions side by side (rewards, advantages,
 * think/answer, the format check, an inline diff of any two), stepping through the groups a filter
 * keeps (zero reward variance, all wrong, all format-broken, longest first). One panel, reused.
 */
import * as vscode from 'vscode';
import { answerTag } from '../core/derive';
import {
  trainingHostMessageSchema,
  trainingWebviewMessageSchema,
  type TrainingCompletion,
  type TrainingHostMessage,
  type TrainingWebviewMessage,
} from '../core/protocol';
import {
  filterGroups,
  GROUP_FILTERS,
  groupsOfStep,
  readRange,
  type CompletionGroup,
  type GroupFilter,
  type StepMapping,
  type TrainingRun,
} from '../core/training';
import { panelOptions, WebviewPanel } from './webviewPanel';

const THINK = /<think>([\s\S]*?)<\/think>/;
const nullable = (v: number) => (Number.isNaN(v) ? null : v);

export class TrainingGroupPanel extends WebviewPanel<TrainingWebviewMessage, TrainingHostMessage> {
  static readonly viewType = 'stThink.trainingGroup';
  static current: TrainingGroupPanel | undefined;
  /** The last message sent or kept (for tests). */
  last: TrainingHostMessage | undefined;
  private list: CompletionGroup[] = [];
  private position = 0;
  private filter: GroupFilter = 'all';
  /** The logging step the view was opened on (from the curves): only its groups are stepped through. */
  private scope: { first: number; end: number; fromStep: number; toStep: number; mapping: string } | undefined;

  static async show(
    context: vscode.ExtensionContext,
    run: TrainingRun,
    group: number,
    filter: GroupFilter = 'all',
  ): Promise<TrainingGroupPanel> {
    let p = TrainingGroupPanel.current;
    if (!p) {
      const panel = vscode.window.createWebviewPanel(
        TrainingGroupPanel.viewType,
        'Completion group',
        vscode.ViewColumn.Active,
        panelOptions(context.extensionUri),
      );
      p = TrainingGroupPanel.current = new TrainingGroupPanel(context, panel, run);
    } else p.panel.reveal();
    p.run = run;
    p.scope = undefined;
    await p.select(filter, group);
    return p;
  }

  /**
   * The groups behind the point logged at `step`, under the run's step mapping (see core/training/curves.ts).
   * Returns undefined, opening nothing, when there is no mapping or no group for that step.
   */
  static async showStep(
    context: vscode.ExtensionContext,
    run: TrainingRun,
    step: number,
    mapping: StepMapping,
  ): Promise<TrainingGroupPanel | undefined> {
    const range = groupsOfStep(mapping, step);
    if (!range) return undefined;
    const p = await TrainingGroupPanel.show(context, run, range.first);
    p.scope = { ...range, mapping: mapping.text };
    await p.select('all', range.first);
    return p;
  }

  /** The groups the view steps through before a filter: the step's, or all. */
  private scoped(): CompletionGroup[] {
    return this.scope ? this.run.groups.slice(this.scope.first, this.scope.end) : this.run.groups;
  }

  private constructor(
    context: vscode.ExtensionContext,
    panel: vscode.WebviewPanel,
    private run: TrainingRun,
  ) {
    super(panel, context.extensionUri, 'Completion group', {
      name: 'the completion-group view',
      incoming: trainingWebviewMessageSchema,
      outgoing: trainingHostMessageSchema,
    });
    this._register({ dispose: () => TrainingGroupPanel.current === this && (TrainingGroupPanel.current = undefined) });
  }

  protected async receive(m: Exclude<TrainingWebviewMessage, { type: 'ready' }>): Promise<void> {
    if (m.type === 'trainingNavigate') await this.navigate(m.to);
    else if (m.type === 'trainingFilter') await this.select(m.filter, this.list[this.position]?.index ?? 0);
    else if (m.type === 'trainingAllSteps') {
      this.scope = undefined;
      await this.select(this.filter, this.list[this.position]?.index ?? 0);
    }
  }

  /** The next or previous group the filter keeps (the webview's buttons). */
  async navigate(to: 'next' | 'previous'): Promise<void> {
    await this.go(this.position + (to === 'next' ? 1 : -1));
  }

  /** Show group `groupIndex` among those `filter` keeps (the filter's first when it keeps not that one). */
  async select(filter: GroupFilter, groupIndex: number): Promise<void> {
    this.filter = filter;
    this.list = filterGroups(this.scoped(), filter);
    await this.go(
      Math.max(
        0,
        this.list.findIndex((g) => g.index === groupIndex),
      ),
    );
  }

  private async go(position: number): Promise<void> {
    if (!this.list.length) return;
    this.position = Math.min(this.list.length - 1, Math.max(0, position));
    const g = this.list[this.position];
    this.panel.title = `Completion group #${g.call}`;
    this.last = await this.message(g);
    this.keep('group', this.last);
  }

  private async message(g: CompletionGroup): Promise<TrainingHostMessage> {
    const run = this.run;
    const completions: TrainingCompletion[] = [];
    for (const [k, i] of g.completions.entries()) {
      const c = run.completions.get(i);
      const content = await readRange(c.file, c.contentOffset, c.contentLength);
      completions.push({
        index: i,
        line: c.line,
        accuracy: nullable(c.accuracy),
        format: c.format,
        reward: nullable(g.rewards[k]),
        advantage: nullable(g.advantages[k]),
        chars: c.chars,
        content,
        think: THINK.exec(content)?.[1],
        answer: answerTag(content),
        solution: await readRange(c.file, c.solutionOffset, c.solutionLength),
      });
    }
    const groups = this.scoped();
    const counts = Object.fromEntries(
      GROUP_FILTERS.map((f) => [f, f === 'all' || f === 'longest' ? groups.length : filterGroups(groups, f).length]),
    );
    const sc = this.scope;
    return {
      type: 'trainingGroup',
      run: run.path,
      rewardFuncs: [...run.rewardFuncs],
      filter: this.filter,
      counts: counts as Record<GroupFilter, number>,
      position: { index: this.position, total: this.list.length },
      group: {
        call: g.call,
        timestamp: g.timestamp,
        file: g.file,
        line: g.line,
        mean: nullable(g.mean),
        std: nullable(g.std),
        zeroVariance: g.zeroVariance,
        allWrong: g.allWrong,
        allFormatBroken: g.allFormatBroken,
        longest: g.longest,
      },
      completions,
      ...(sc ? { step: { fromStep: sc.fromStep, toStep: sc.toStep, firstCall: sc.first + 1, lastCall: sc.end, mapping: sc.mapping } } : {}),
    };
  }
}
