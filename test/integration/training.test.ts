/** The Training view and the completion-group view (issue 13) in a real extension host. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StThinkApi } from '../../src/extension/extension';
import type { TrainingNode } from '../../src/extension/training';
import { api, repo, waitFor } from './helpers';

const runDir = path.join(repo, 'test/fixtures/training/run');
const debugLog = path.join(repo, 'test/fixtures/training/reward-debug.log');

function label(a: StThinkApi, n: TrainingNode): string {
  const item = a.training.getTreeItem(n);
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

function child(a: StThinkApi, parent: TrainingNode, name: string | RegExp): TrainingNode {
  const found = a.training.getChildren(parent).find((n) => (typeof name === 'string' ? label(a, n) === name : name.test(label(a, n))));
  assert.ok(found, `a child ${name} under ${label(a, parent)}`);
  return found;
}

describe('Training view and completion groups in a real extension host', function () {
  let a: StThinkApi;
  before(async () => {
    a = await api();
  });
  after(async () => {
    for (const r of [...a.training.runs]) a.training.close(r);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens a run folder: a Training node with its metrics and its completion groups by filter', async () => {
    await vscode.commands.executeCommand('stThink.openTrainingRun', runDir);
    const [root] = a.training.getChildren();
    assert.ok(root && root.kind === 'run');
    assert.equal(label(a, root), 'run');
    assert.match(String(a.training.getTreeItem(root).description), /^6 steps · 8 completions · 2 groups$/);
    const metrics = child(a, root, 'Metrics');
    const reward = child(a, metrics, 'reward');
    assert.equal(a.training.getTreeItem(reward).description, 'last 0.875 · 0.25…0.875 · 6 points, steps 1–6');
    assert.ok(a.training.getChildren(metrics).some((n) => label(a, n) === 'eval_loss'));
    const groups = child(a, root, 'Completion groups');
    const all = child(a, groups, 'All groups');
    assert.deepEqual(
      a.training.getChildren(all).map((n) => label(a, n)),
      ['#1 03-10-00-01-123456', '#2 03-10-00-01-654321'],
    );
    assert.equal(a.training.getTreeItem(child(a, groups, /^Zero reward variance/)).description, '0');
  });

  it('a group opens the completion-group view: completions side by side with rewards, advantages, think/answer', async () => {
    await vscode.commands.executeCommand('stThink.openTrainingRun', debugLog);
    const root = a.training.getChildren().find((n) => n.kind === 'run' && n.run.path === debugLog)!;
    const zero = child(a, child(a, root, 'Completion groups'), /^Zero reward variance/);
    const nodes = a.training.getChildren(zero);
    assert.deepEqual(
      nodes.map((n) => label(a, n)),
      ['#3 03-10-00-11-000001', '#4 03-10-00-11-500000'],
    );
    const cmd = a.training.getTreeItem(nodes[0]).command!;
    await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    const panel = await waitFor('the completion-group view', () => a.trainingPanel());
    const m = await waitFor('group #3 shown', () => (panel.last?.group.call === 3 ? panel.last : undefined));
    assert.equal(m.filter, 'zero-variance');
    assert.deepEqual(m.position, { index: 0, total: 2 });
    assert.equal(m.group.zeroVariance, true);
    assert.deepEqual(
      m.completions.map((c) => [c.reward, c.advantage, c.format]),
      [
        [1, 0, 1],
        [1, 0, 1],
        [1, 0, 1],
        [1, 0, 1],
      ],
    );
    assert.equal(m.completions[2].think, 'the sofa\n\n');
    assert.equal(m.completions[1].answer, 'A. sofa');
    assert.match(m.completions[0].solution, /^<think>Let's start by thinking reverse/);
    assert.deepEqual(m.counts, { all: 4, 'zero-variance': 2, 'all-wrong': 1, 'all-format-broken': 1, longest: 4 });
    await panel.navigate('next');
    assert.equal(panel.last?.group.call, 4);
    assert.equal(panel.last?.group.allFormatBroken, true);
    await panel.select('all', 0);
    const first = panel.last!;
    assert.equal(first.group.call, 1);
    assert.deepEqual(
      first.completions.map((c) => c.advantage),
      [0.8658754229545593, -0.8658754229545593, -0.8658754229545593, 0.8658754229545593],
    );
    assert.equal(first.completions[0].content, '<think>I passed the sofa.\nThen the door.\n\nSo A.</think>\n<answer>A</answer>');
  });

  it('the curves view: a chart per metric, runs overlaid, eval marks; a step opens its groups only under a stated mapping', async () => {
    await vscode.commands.executeCommand('stThink.openTrainingRun', runDir);
    const run = a.training.runs.find((r) => r.path === runDir)!;
    const panel = await vscode.commands.executeCommand<unknown>('stThink.showTrainingCurves');
    assert.ok(panel);
    const curves = await waitFor('the curves view', () => a.trainingCurves());
    const m = curves.last!;
    const painted = await waitFor(
      'the webview reports its first paint',
      () => (curves.paintedMs === undefined ? undefined : curves),
      30_000,
    );
    assert.ok(painted.paintedMs! >= 0 && painted.paintedMs! < 30_000);
    assert.deepEqual(
      m.runs.map((r) => r.name),
      a.training.runs.map((r) => r.name),
    );
    const at = a.training.runs.indexOf(run);
    assert.deepEqual(
      m.charts.slice(0, 4).map((c) => c.metric),
      ['reward', 'rewards/accuracy_reward', 'reward_std', 'completion_length'],
    );
    const loss = m.charts.find((c) => c.metric === 'loss')!;
    assert.deepEqual(loss.series.find((s) => s.run === at)!.steps, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(loss.evals.find((s) => s.run === at)!.steps, [2, 4, 6]);
    const grad = m.charts.find((c) => c.metric === 'grad_norm')!.series.find((s) => s.run === at)!;
    assert.equal(grad.values[2], null, 'NaN grad_norm at step 3 is a gap');
    // 2 reward calls over 6 steps: no mapping, and a picked step opens nothing.
    assert.equal(m.runs[at].mapped, false);
    assert.match(m.runs[at].mapping, /2 reward calls do not split evenly into 6 steps/);
    const shown = a.trainingPanel()?.last;
    assert.equal(await curves.pick(at, 2), undefined);
    assert.equal(a.trainingPanel()?.last, shown);
    // Said by the user: one call per step. Step 2 opens call #2, and the view says which step and on what assumption.
    const config = vscode.workspace.getConfiguration('stThink.training');
    await config.update('rewardCallsPerStep', 1, vscode.ConfigurationTarget.Global);
    try {
      const mapped = await waitFor('the curves drawn again with the mapping', () =>
        curves.last?.runs[at].mapped ? curves.last : undefined,
      );
      assert.match(mapped.runs[at].mapping, /1 reward call per step \(as set in stThink.training.rewardCallsPerStep\)/);
      await curves.deliver({ type: 'trainingPickStep', run: at, step: 2 });
      const g = await waitFor('step 2 opened', () => (a.trainingPanel()?.last?.step?.toStep === 2 ? a.trainingPanel()!.last : undefined));
      assert.equal(g.group.call, 2);
      assert.deepEqual(g.position, { index: 0, total: 1 });
      assert.deepEqual(g.step && { ...g.step, mapping: '' }, { fromStep: 2, toStep: 2, firstCall: 2, lastCall: 2, mapping: '' });
      await a.trainingPanel()!.deliver({ type: 'trainingAllSteps' });
      assert.equal(a.trainingPanel()!.last?.step, undefined);
      assert.deepEqual(a.trainingPanel()!.last?.position, { index: 1, total: 2 });
      assert.equal(await curves.pick(at, 3), undefined, 'step 3 is past the 2 calls of the log');
    } finally {
      await config.update('rewardCallsPerStep', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Close Training Run removes its node', async () => {
    const before = a.training.runs.length;
    const [root] = a.training.getChildren();
    await vscode.commands.executeCommand('stThink.closeTrainingRun', root);
    assert.equal(a.training.runs.length, before - 1);
  });
});
