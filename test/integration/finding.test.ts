/**
 * Finding records (issue 11, items 7-9) in a real extension host: record rows that lead with what
 * tells them apart, search over ids and video names, Go to Record…, the tree grouped by video, and
 * the trace view previewing the record selected in the tree.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StThinkApi } from '../../src/extension/extension';
import { api, repo, sample, waitFor } from './helpers';
import type { RecordNode, ResultsNode } from '../../src/extension/tree';

/** The 126 real ST-R1 test rows (read-only; never written). */
const real = path.resolve(repo, '../shared/data/ego-st/r1-test-mcq-126.jsonl');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function labelOf(api: StThinkApi, n: ResultsNode): string {
  const item = api.tree.getTreeItem(n);
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

/** Every record node under `n`, depth first (records' re-runs left out). */
function recordsUnder(a: StThinkApi, n: ResultsNode): RecordNode[] {
  if (n.kind === 'record') return [n];
  return a.tree.getChildren(n).flatMap((c) => recordsUnder(a, c));
}

const cfg = () => vscode.workspace.getConfiguration('stThink');

describe('Finding records (issue 11)', function () {
  let a: StThinkApi;

  before(async () => {
    a = await api();
  });

  afterEach(async () => {
    for (const key of ['tree.recordLabel', 'tree.groupBy', 'tree.previewOnSelect'])
      await cfg().update(key, undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('stThink.clearFilter');
    for (const f of a.store.list) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: f });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it("record rows lead with the line and the video's short name; stThink.tree.recordLabel picks another lead", async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(real));
    const file = a.store.list[0];
    assert.equal(file.index!.entries.length, 126);
    const rows = recordsUnder(a, a.tree.getChildren()[0]);
    assert.equal(rows.length, 126);
    const sun = rows.find((r) => r.entry.video.endsWith('/sun3d_3.mp4') && r.entry.line === 16)!;
    assert.equal(labelOf(a, sun), 'line 16 · sun3d_3');
    const item = a.tree.getTreeItem(sun);
    assert.match(String(item.description), /^[A-D?] → [A-D–] · Which landmarks/);
    const tip = await a.tree.resolveTreeItem!(item, sun, new vscode.CancellationTokenSource().token);
    assert.match(String(tip.tooltip), /which landmarks/i, 'the question stays in the tooltip');
    // Rows of one group no longer read alike: on the real rows most labels are unique.
    const labels = rows.map((r) => labelOf(a, r));
    assert.equal(new Set(labels).size, 126, 'every row of the 126 reads differently');

    await cfg().update('tree.recordLabel', 'videoAndLine', vscode.ConfigurationTarget.Global);
    await waitFor('labels by video first', () => labelOf(a, a.tree.recordNode(file, sun.entry)!) === 'sun3d_3 · line 16');
    await cfg().update('tree.recordLabel', 'id', vscode.ConfigurationTarget.Global);
    await waitFor('labels by id', () => labelOf(a, a.tree.recordNode(file, sun.entry)!) === 'line-16');
    await cfg().update('tree.recordLabel', 'question', vscode.ConfigurationTarget.Global);
    await waitFor('labels by question', () => /^[A-D?] → [A-D–] {2}Which landmarks/.test(labelOf(a, a.tree.recordNode(file, sun.entry)!)));
  });

  it('the filter text finds records by video name and by id (issue 11: "sun3d_3" found 0 of 126)', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(real));
    const file = a.store.list[0];
    await vscode.commands.executeCommand('stThink.setFilter', { text: 'sun3d_3' });
    const expected = file.index!.entries.filter((e) => (e.video.split('/').pop() ?? '').includes('sun3d_3'));
    assert.ok(expected.length >= 3);
    assert.deepEqual(file.visible, expected);
    assert.equal(recordsUnder(a, a.tree.getChildren()[0]).length, expected.length, 'the tree shows them');
    await vscode.commands.executeCommand('stThink.setFilter', { text: 'line-103' });
    assert.deepEqual(
      file.visible.map((e) => e.line),
      [103],
    );
  });

  it('Go to Record… picks a record by video name, reveals it in the tree and opens it in the trace view', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(real));
    const file = a.store.list[0];
    const pending = vscode.commands.executeCommand('stThink.goToRecord', 'sun3d_3 ·');
    await sleep(1000);
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await pending;
    const panel = await waitFor('a trace view', () => [...a.tracePanels].find((p) => p.target));
    assert.match(panel.target!.entry.video, /\/sun3d_3\.mp4$/);
    assert.equal(panel.target!.file, file);
    const sel = await waitFor('the record selected in the tree', () => a.view.selection[0]);
    assert.equal(sel.kind, 'record');
    assert.equal((sel as RecordNode).entry, panel.target!.entry);
  });

  it("groups by video: a video's forward and reverse questions side by side, in the order Next follows", async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(real));
    const file = a.store.list[0];
    await vscode.commands.executeCommand('stThink.groupBy', 'video');
    assert.equal(cfg().get('tree.groupBy'), 'video');
    const videos = await waitFor('video nodes', () => {
      const kids = a.tree.getChildren(a.tree.getChildren()[0]);
      return kids.length > 0 && kids.every((k) => k.kind === 'video') && kids;
    });
    const sun = videos.find((v) => labelOf(a, v) === 'sun3d_3')!;
    assert.ok(sun, `a node for sun3d_3 among ${videos.length} videos`);
    assert.match(String(a.tree.getTreeItem(sun).description), /^3 · /);
    assert.deepEqual(
      a.tree.getChildren(sun).map((n) => labelOf(a, n)),
      ['line 52 · Direction forward', 'line 103 · Direction reverse', 'line 16 · Landmark forward'],
    );
    const inTree = videos.flatMap((v) => recordsUnder(a, v)).map((r) => r.entry);
    assert.equal(inTree.length, 126);
    assert.deepEqual(
      a.tree.treeOrder().map((o) => o.entry),
      inTree,
      'Next / Previous follow the grouped order',
    );
    const node = a.tree.recordNode(file, inTree[5])!;
    assert.equal(node.parent.kind, 'video');
    await a.view.reveal(node, { select: true, focus: false, expand: true });
    await vscode.commands.executeCommand('stThink.groupBy', 'category');
    await waitFor('category nodes again', () => a.tree.getChildren(a.tree.getChildren()[0])[0]?.kind === 'category');
  });

  it('selecting a record in the tree (as the arrow keys do) previews it in the trace view, keeping one preview panel', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    const [first, second] = [a.tree.recordNode(file, file.index!.entries[0])!, a.tree.recordNode(file, file.index!.entries[3])!];
    await a.view.reveal(first, { select: true, focus: true, expand: true });
    const panel = await waitFor('the trace view previewing the selection', () =>
      [...a.tracePanels].find((p) => p.target?.entry === first.entry),
    );
    await a.view.reveal(second, { select: true, focus: true, expand: true });
    await waitFor('the preview following the selection', () => panel.target?.entry === second.entry);
    assert.equal(a.tracePanels.size, 1, 'the preview panel is reused');
    // ↓ in the tree (stThink.treeSelectNext) moves the selection, not only the focus: the next row is previewed.
    const rows = recordsUnder(a, second.parent);
    const after = rows[rows.indexOf(second) + 1];
    assert.ok(after, 'a record row follows');
    await vscode.commands.executeCommand('stThink.treeSelectNext');
    await waitFor('↓ to select the next row', () => a.view.selection[0]?.id === after.id);
    await waitFor('the preview to follow ↓', () => panel.target?.entry === after.entry);
    await vscode.commands.executeCommand('stThink.treeSelectPrevious');
    await waitFor('↑ to come back', () => panel.target?.entry === second.entry);
    // Turned off, selecting leaves the trace view as it is.
    await cfg().update('tree.previewOnSelect', false, vscode.ConfigurationTarget.Global);
    await a.view.reveal(first, { select: true, focus: true, expand: true });
    await sleep(600);
    assert.equal(panel.target?.entry, second.entry);
  });
});
