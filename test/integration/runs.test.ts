/**
 * Compare Runs… in a real extension host (issue 11, item 12): three runs from the Explorer's and the
 * Results tree's multi-selection, the view's model (common records, best per bucket under both rules),
 * McNemar of two runs and of every pair asked for as the webview asks, equal to Compare With…'s, and
 * the export of the table.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StThinkApi } from '../../src/extension/extension';
import type { RunsPanel } from '../../src/extension/runsPanel';
import { api, repo, waitFor } from './helpers';

describe('Compare Runs… in a real extension host', function () {
  let a: StThinkApi;
  let dir = '';
  let files: string[] = [];

  before(async () => {
    a = await api();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-runs-it-'));
    files = ['run-1.jsonl', 'run-2.jsonl', 'run-3.jsonl'].map((f) => {
      const to = path.join(dir, f);
      fs.copyFileSync(path.join(repo, 'test/fixtures/runs', f), to);
      return to;
    });
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('stThink.clearFilter');
    for (const p of [...a.runsPanels]) p.dispose();
    for (const f of a.store.list) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: f });
    for (const s of [...a.comparisons.list]) a.comparisons.remove(s);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('three files selected in the Explorer: the view of the common records, best marked, McNemar on demand', async () => {
    const uris = files.map((f) => vscode.Uri.file(f));
    const returned = await vscode.commands.executeCommand<RunsPanel>('stThink.compareRuns', uris[0], uris);
    const panel = await waitFor('the several-runs view', () => [...a.runsPanels][0]);
    assert.equal(returned, panel);
    const v = panel.view;
    assert.deepEqual(
      v.runs.map((r) => [r.label, r.name, r.records, r.leftOut, r.pairedBy]),
      [
        ['R1', 'run-1.jsonl', 12, 2, ''],
        ['R2', 'run-2.jsonl', 12, 2, 'id'],
        ['R3', 'run-3.jsonl', 11, 1, 'id'],
      ],
    );
    assert.equal(v.common, 10);
    const frac = (b: (typeof v)['byRule']['mcq_infer']['overall']) => b.runs.map((r) => `${r.correct}/${r.total}`).join(' ');
    assert.equal(frac(v.byRule.mcq_infer.overall), '7/10 9/10 10/10');
    assert.equal(frac(v.byRule.grpo_reward.overall), '7/10 8/10 10/10');
    assert.deepEqual(v.byRule.mcq_infer.byCategoryDirection.direction.reverse.best, [1, 2], 'a tie marks both');
    assert.equal(v.rule, a.store.rule);
    // Nothing is tested before the view asks.
    const last = () => panel.lastPairwise;
    assert.equal(last(), undefined);

    // The view asks for R1 vs R3 (as its Test button posts): the same test as Compare With… R1 R3.
    await panel.deliver({ type: 'pairwise', a: 0, b: 2, rule: 'mcq_infer' });
    const m = last();
    assert.ok(m && m.type === 'pairwise' && !m.all);
    assert.deepEqual(
      m.results.map((r) => [r.a, r.b, r.paired, r.flips.rightToWrong, r.flips.wrongToRight]),
      [[0, 2, 11, 0, 3]],
    );
    await vscode.commands.executeCommand('stThink.compareWith', uris[0], [uris[0], uris[2]]);
    const two = a.comparisons.list.find((s) => s.a.path === files[0] && s.b.path === files[2]);
    assert.ok(two, 'Compare With… R1 R3 is made');
    assert.deepEqual(m.results[0].mcnemar, two.comparison.mcnemar);
    // The same run twice: an error for the view, not a crash.
    await panel.deliver({ type: 'pairwise', a: 1, b: 1, rule: 'mcq_infer' });
    assert.equal(last()?.type, 'pairwiseError');

    // Every pair under grpo_reward, then the export under the rule the view shows, with the tests made.
    await panel.deliver({ type: 'pairwiseAll', rule: 'grpo_reward' });
    const all = last();
    assert.ok(all && all.type === 'pairwise' && all.all);
    assert.deepEqual(
      all.results.map((r) => `${r.a}-${r.b}`),
      ['0-1', '0-2', '1-2'],
    );
    assert.equal(panel.rule, 'grpo_reward');
    const md = path.join(dir, 'runs.md');
    assert.equal(await vscode.commands.executeCommand('stThink.exportComparison', panel.session, md), md);
    const text = fs.readFileSync(md, 'utf8');
    assert.match(text, /\| all \| both \| 10 \| 7 \| 10 \| 70\.0 \| 8 \| 10 \| 80\.0 \| 10 \| 10 \| 100\.0 \| R3 \|/);
    assert.match(text, /\| R2 \| .*run-2\.jsonl \| 12 \| 2 \| id \|/);
    assert.match(text, /\| R1 \| R3 \| grpo_reward \| id \| 11 \| 0 \| 3 \| 3 \| 0\.2500 \|/);
  });

  it("from the Results tree's multi-selection, under a filter; closing a run closes the view", async () => {
    for (const f of files) await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(f));
    await waitFor('three files indexed', () => a.store.list.length === 3 && a.store.list.every((f) => f.state.kind === 'ready'));
    await vscode.commands.executeCommand('stThink.setFilter', { directions: ['reverse'] });
    const nodes = a.tree.getChildren().filter((n) => n.kind === 'file');
    assert.equal(nodes.length, 3);
    await vscode.commands.executeCommand('stThink.compareRuns', nodes[0], nodes);
    const panel = await waitFor('the several-runs view', () => [...a.runsPanels][0]);
    const v = panel.view;
    // Reverse questions common to all three: 000, 004, 005, 006, 009.
    assert.equal(v.common, 5);
    assert.match(v.filter, /reverse/);
    assert.deepEqual(Object.keys(v.byRule.mcq_infer.byDirection), ['reverse']);
    const closed = new Promise<void>((done) => panel.panel.onDidDispose(() => done()));
    await vscode.commands.executeCommand('stThink.closeResultsFile', { file: a.store.list[1] });
    await closed;
    assert.equal(a.runsPanels.size, 0);
  });
});
