/**
 * The Training view: one node per opened training run (a run folder or a file), with its metric
 * series and its completion groups (reward calls) by filter; a group opens the completion-group view.
 * Commands: Open Training Run…, Close Training Run, Show Completion Group, Show Training Curves (every
 * opened run overlaid; drawn again when the runs change).
 */
import * as vscode from 'vscode';
import { filterGroups, TrainingRun, type CompletionGroup, type GroupFilter, type MetricSeries } from '../core/training';
import { Disposable } from './dispose';
import { TrainingCurvesPanel } from './trainingCurves';
import { TrainingGroupPanel } from './trainingPanel';

/** Group nodes listed under a filter; the view steps through all of them. */
const MAX_GROUP_NODES = 2000;

const FILTER_LABELS: Record<GroupFilter, string> = {
  all: 'All groups',
  'zero-variance': 'Zero reward variance (no learning signal)',
  'all-wrong': 'All wrong',
  'all-format-broken': 'All format-broken',
  longest: 'Longest completions first',
};

export type TrainingNode =
  | { kind: 'run'; run: TrainingRun }
  | { kind: 'metrics'; run: TrainingRun }
  | { kind: 'metric'; run: TrainingRun; name: string; series: MetricSeries }
  | { kind: 'groups'; run: TrainingRun }
  | { kind: 'filter'; run: TrainingRun; filter: GroupFilter }
  | { kind: 'group'; run: TrainingRun; group: CompletionGroup; filter: GroupFilter }
  | { kind: 'message'; text: string };

function num(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  return String(Number(v.toPrecision(4)));
}

export class TrainingRuns extends Disposable implements vscode.TreeDataProvider<TrainingNode> {
  readonly runs: TrainingRun[] = [];
  private readonly changed = this._register(new vscode.EventEmitter<TrainingNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;

  /** Open (or read again) a run folder or file. Throws NotTrainingRunError. */
  async open(p: string): Promise<TrainingRun> {
    const existing = this.runs.find((r) => r.path === p);
    if (existing) await existing.update();
    else this.runs.push(await TrainingRun.open(p));
    void vscode.commands.executeCommand('setContext', 'stThink.hasTrainingRuns', true);
    this.changed.fire(undefined);
    return existing ?? this.runs[this.runs.length - 1];
  }

  close(run: TrainingRun): void {
    const i = this.runs.indexOf(run);
    if (i >= 0) this.runs.splice(i, 1);
    void vscode.commands.executeCommand('setContext', 'stThink.hasTrainingRuns', this.runs.length > 0);
    this.changed.fire(undefined);
  }

  getChildren(node?: TrainingNode): TrainingNode[] {
    if (!node) return this.runs.map((run) => ({ kind: 'run', run }));
    const run = 'run' in node ? node.run : undefined;
    if (!run) return [];
    switch (node.kind) {
      case 'run':
        return [
          { kind: 'metrics', run },
          { kind: 'groups', run },
        ];
      case 'metrics':
        return Object.entries(run.summary().metrics).map(([name, series]) => ({ kind: 'metric', run, name, series }));
      case 'groups':
        return (['all', 'zero-variance', 'all-wrong', 'all-format-broken', 'longest'] as const).map((filter) => ({
          kind: 'filter',
          run,
          filter,
        }));
      case 'filter': {
        const groups = filterGroups(run.groups, node.filter);
        const nodes: TrainingNode[] = groups.slice(0, MAX_GROUP_NODES).map((group) => ({ kind: 'group', run, group, filter: node.filter }));
        if (groups.length > MAX_GROUP_NODES) {
          nodes.push({ kind: 'message', text: `${groups.length - MAX_GROUP_NODES} more: step to them in the completion-group view` });
        }
        return nodes;
      }
      default:
        return [];
    }
  }

  getTreeItem(node: TrainingNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'run':
        return runItem(node.run);
      case 'metrics': {
        const item = new vscode.TreeItem('Metrics', C.Collapsed);
        item.description = `${Object.keys(node.run.summary().metrics).length} series`;
        item.iconPath = new vscode.ThemeIcon('graph-line');
        return item;
      }
      case 'metric': {
        const s = node.series;
        const item = new vscode.TreeItem(node.name, C.None);
        item.description = `last ${num(s.last)} · ${num(s.min)}…${num(s.max)} · ${s.points} points, steps ${s.firstStep}–${s.lastStep}`;
        item.tooltip =
          `${node.name}: first ${num(s.first)} (step ${s.firstStep}), last ${num(s.last)} (step ${s.lastStep}), ` +
          `min ${num(s.min)}, max ${num(s.max)}`;
        return item;
      }
      case 'groups': {
        const item = new vscode.TreeItem('Completion groups', C.Collapsed);
        const zero = node.run.groups.filter((g) => g.zeroVariance).length;
        item.description = `${node.run.groups.length} reward calls · ${zero} zero variance`;
        item.iconPath = new vscode.ThemeIcon('list-tree');
        return item;
      }
      case 'filter': {
        const n = node.filter === 'longest' ? node.run.groups.length : filterGroups(node.run.groups, node.filter).length;
        const item = new vscode.TreeItem(FILTER_LABELS[node.filter], n ? C.Collapsed : C.None);
        item.description = String(n);
        return item;
      }
      case 'group':
        return groupItem(node.run, node.group, node.filter);
      default:
        return new vscode.TreeItem(node.text, C.None);
    }
  }
}

function runItem(run: TrainingRun): vscode.TreeItem {
  const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.Expanded);
  const steps = run.entries.reduce((m, e) => Math.max(m, e.step), 0);
  item.description = `${steps} steps · ${run.completions.length} completions · ${run.groups.length} groups`;
  const notes = [
    run.trainerStateFile && `trainer state: ${run.trainerStateFile}`,
    ...run.logFiles.map((f) => `log: ${f}`),
    run.problems.length &&
      `${run.problems.length} problems, the first: ${run.problems[0].file}:${run.problems[0].line}: ${run.problems[0].message}`,
    ...run.pending.map((p) => `not read yet: ${p.file}:${p.line}: ${p.reason}`),
  ].filter(Boolean);
  item.tooltip = [run.path, ...notes].join('\n');
  item.contextValue = 'trainingRun';
  item.iconPath = new vscode.ThemeIcon(run.problems.length ? 'warning' : 'pulse');
  return item;
}

function groupItem(run: TrainingRun, g: CompletionGroup, filter: GroupFilter): vscode.TreeItem {
  const item = new vscode.TreeItem(`#${g.call} ${g.timestamp}`, vscode.TreeItemCollapsibleState.None);
  const flags = [g.zeroVariance && 'zero variance', g.allWrong && 'all wrong', g.allFormatBroken && 'all format-broken'].filter(Boolean);
  item.description = `rewards ${g.rewards.map(num).join(' ')}${flags.length ? ` · ${flags.join(', ')}` : ''}`;
  item.tooltip = `${g.completions.length} completions, ${g.file}:${g.line}; longest ${g.longest} characters`;
  item.iconPath = new vscode.ThemeIcon(g.zeroVariance ? 'circle-slash' : 'symbol-array');
  item.command = { command: 'stThink.showTrainingGroup', title: 'Show Completion Group', arguments: [run.path, g.index, filter] };
  return item;
}

/** The Training view and its commands. */
export function registerTraining(context: vscode.ExtensionContext): { runs: TrainingRuns; disposables: vscode.Disposable[] } {
  const runs = new TrainingRuns();
  const view = vscode.window.createTreeView('stThink.training', { treeDataProvider: runs, showCollapseAll: true });
  const open = async (arg?: unknown) => {
    let p = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === 'string' ? arg : undefined;
    if (!p) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectFolders: true,
        openLabel: 'Open Training Run',
        title: 'A run folder (checkpoint-N/trainer_state.json and logs), a trainer_state.json, a training log or a reward debug log',
      });
      p = picked?.[0]?.fsPath;
    }
    if (!p) return undefined;
    try {
      return await vscode.window.withProgress({ location: { viewId: 'stThink.training' } }, () => runs.open(p));
    } catch (e) {
      void vscode.window.showErrorMessage(`ST-Think: ${(e as Error).message}`);
      return undefined;
    }
  };
  const disposables: vscode.Disposable[] = [
    runs,
    view,
    runs.onDidChangeTreeData(() => TrainingCurvesPanel.current?.refresh()),
    vscode.workspace.onDidChangeConfiguration(
      (e) => e.affectsConfiguration('stThink.training.rewardCallsPerStep') && TrainingCurvesPanel.current?.refresh(),
    ),
    vscode.commands.registerCommand('stThink.showTrainingCurves', async () => {
      if (!runs.runs.length && !(await open())) return undefined;
      return TrainingCurvesPanel.show(context, () => runs.runs);
    }),
    vscode.commands.registerCommand('stThink.openTrainingRun', open),
    vscode.commands.registerCommand('stThink.closeTrainingRun', (node?: TrainingNode) => {
      const run = node && 'run' in node ? node.run : runs.runs[runs.runs.length - 1];
      if (run) runs.close(run);
    }),
    vscode.commands.registerCommand('stThink.showTrainingGroup', async (runPath: string, group = 0, filter: GroupFilter = 'all') => {
      const run = runs.runs.find((r) => r.path === runPath);
      if (!run) return undefined;
      return TrainingGroupPanel.show(context, run, group, filter);
    }),
  ];
  return { runs, disposables };
}
