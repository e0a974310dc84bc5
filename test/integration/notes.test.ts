/**
 * Tags and notes in a real extension host (issue 11, item 10): two records tagged at once from the
 * tree's multi-selection, the lines in `<results>.notes.jsonl` (never the results file), the tree's
 * marks and its filter by tag, the counts per category × direction in the summary, a tag removed
 * (an untag line), a note, a teammate's edit of the notes file picked up, and the trace view.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { IndexEntry } from '../../src/core/index';
import type { StThinkApi } from '../../src/extension/extension';
import type { ResultsNode } from '../../src/extension/tree';
import { api, sample, waitFor } from './helpers';

type RecordNode = Extract<ResultsNode, { kind: 'record' }>;

describe('Tags and notes in a real extension host', function () {
  let a: StThinkApi;
  let dir = '';
  let copy = '';
  let notesFile = '';

  before(async () => {
    a = await api();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-notes-it-'));
    copy = path.join(dir, 'run-a.jsonl');
    notesFile = path.join(dir, 'run-a.notes.jsonl');
    fs.copyFileSync(sample, copy);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('stThink.clearFilter');
    for (const f of a.store.list) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: f });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const events = () =>
    fs
      .readFileSync(notesFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const description = (n: ResultsNode) => String(a.tree.getTreeItem(n).description);

  it('tags two records from a multi-selection: notes file lines, tree marks, filter by tag, counts, untag, note', async () => {
    const before = fs.readFileSync(copy);
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(copy));
    const file = a.store.list[0];
    assert.equal(file.state.kind, 'ready');
    await a.notes.ready(file);
    // Two records of different category or direction: a forward direction question and a reverse landmark one.
    const e1 = file.index!.entries.find((e) => e.category === 'direction' && e.direction === 'forward')!;
    const e2 = file.index!.entries.find((e) => e.category === 'landmark' && e.direction === 'reverse')!;
    const n1 = a.tree.recordNode(file, e1)!;
    const n2 = a.tree.recordNode(file, e2)!;
    assert.ok(n1 && n2);
    assert.doesNotMatch(description(n1), /#/);

    // As a context menu on a multi-selection calls it: the clicked node and every selected node.
    const tagged = await vscode.commands.executeCommand('stThink.tagRecords', n1, [n1, n2], 'Wrong direction');
    assert.equal(tagged, 2);
    assert.deepEqual(
      events().map((e) => [e.v, e.record, e.op, e.tag, typeof e.at]),
      [
        [1, e1.id, 'tag', 'wrong-direction', 'string'],
        [1, e2.id, 'tag', 'wrong-direction', 'string'],
      ],
    );
    assert.deepEqual(fs.readFileSync(copy), before, 'the results file is never written');

    // The tree marks the rows; the tooltip names the tags.
    const m1 = a.tree.recordNode(file, e1)!;
    assert.match(description(m1), /#wrong-direction/);
    const item = await a.tree.resolveTreeItem!(a.tree.getTreeItem(m1), m1, new vscode.CancellationTokenSource().token);
    assert.match(String(item.tooltip), /\ntags: wrong-direction$/);

    // The filter by tag: only the two, in file order; the file's row says so.
    await vscode.commands.executeCommand('stThink.setFilter', { tags: ['wrong-direction'] });
    assert.deepEqual(
      file.visible.map((e) => e.id),
      [e1, e2].sort((x, y) => x.line - y.line).map((e) => e.id),
    );
    assert.match(description(a.tree.getChildren()[0]), /^2 of 126 records/);

    // Counts per category × direction in the summary (of the records the filter shows).
    await vscode.commands.executeCommand('stThink.showSummary', { file });
    const summary = await waitFor('the summary with tags', () => a.summaryOf(file)?.tags);
    assert.deepEqual(summary, [
      { tag: 'wrong-direction', category: 'direction', forward: 1, reverse: 0 },
      { tag: 'wrong-direction', category: 'landmark', forward: 0, reverse: 1 },
    ]);

    // Remove the tag from one: an untag line is appended; the filter follows.
    assert.equal(
      await vscode.commands.executeCommand('stThink.untagRecords', a.tree.recordNode(file, e1), undefined, 'wrong-direction'),
      1,
    );
    assert.deepEqual(
      events()
        .slice(2)
        .map((e) => [e.record, e.op, e.tag]),
      [[e1.id, 'untag', 'wrong-direction']],
    );
    assert.deepEqual(
      file.visible.map((e) => e.id),
      [e2.id],
    );

    // A note on the other (a `{ file, entry }` argument, as the trace view passes).
    const text = 'the chain turns left at the door, the answer says right';
    assert.equal(await vscode.commands.executeCommand('stThink.editNote', { file, entry: e2 }, undefined, text), 1);
    assert.equal(a.notes.notesOf(file, e2)?.note?.text, text);
    assert.match(description(a.tree.recordNode(file, e2)!), /#wrong-direction · ✎/);
    assert.equal(events().length, 4);
    assert.deepEqual(fs.readFileSync(copy), before, 'the results file is never written');
  });

  it("picks up a teammate's edit of the notes file; reports its bad lines; the trace view shows and updates the tags", async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(copy));
    const file = a.store.list[0];
    await a.notes.ready(file);
    const e3 = file.index!.entries.find((e) => e.category === 'action')!;
    assert.equal(a.notes.notesOf(file, e3), undefined);
    // A teammate's lines (a git pull, say): one event, one line that is not one.
    const at = new Date().toISOString();
    fs.appendFileSync(
      notesFile,
      `${JSON.stringify({ v: 1, record: e3.id, op: 'tag', tag: 'hallucinated-landmark', at, by: 'ana' })}\nnot json\n`,
    );
    await waitFor('the edit picked up', () => a.notes.notesOf(file, e3)?.tags.includes('hallucinated-landmark'));
    const problems = await waitFor('the bad line reported', () => {
      const d = vscode.languages.getDiagnostics(vscode.Uri.file(notesFile));
      return d.length ? d : undefined;
    });
    const lines = fs.readFileSync(notesFile, 'utf8').split('\n');
    assert.equal(problems[0].range.start.line, lines.indexOf('not json'));
    assert.match(problems[0].message, /not a notes event, skipped: not JSON/);

    // The trace view shows the record's tags, and again after a change made elsewhere.
    await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(file, e3));
    const panel = await waitFor('the trace panel', () => [...a.tracePanels].find((p) => p.target?.entry === e3));
    await waitFor('tags in the trace view', () => panel.lastNotes?.tags.join() === 'hallucinated-landmark').catch((e: Error) => {
      const notes = JSON.stringify(a.notes.notesOf(file, e3));
      throw new Error(`${e.message}: ${JSON.stringify(panel.lastNotes)}, record ${panel.lastRecord?.id}, notes ${notes}`);
    });
    await vscode.commands.executeCommand('stThink.tagRecords', { file, entry: e3 }, undefined, ['skipped-step']);
    await waitFor('the new tag in the trace view', () => panel.lastNotes?.tags.join() === 'hallucinated-landmark,skipped-step');
    // With no argument, the command works on the record the trace view shows (the palette, a key).
    const entry: IndexEntry = panel.target!.entry;
    assert.equal(await vscode.commands.executeCommand('stThink.untagRecords', undefined, undefined, 'skipped-step'), 1);
    await waitFor('the tag gone from the trace view', () => panel.lastNotes?.tags.join() === 'hallucinated-landmark');
    assert.equal(entry, e3);
  });

  it('keeps the results file out of reach: a notes file that is a link to it is refused, the file unchanged', async () => {
    const other = path.join(dir, 'run-b.jsonl');
    fs.copyFileSync(sample, other);
    fs.symlinkSync(other, path.join(dir, 'run-b.notes.jsonl'));
    const before = fs.readFileSync(other);
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(other));
    const file = a.store.list.find((f) => f.path === other)!;
    const n = a.tree.recordNode(file, file.index!.entries[0]) as RecordNode;
    assert.equal(await vscode.commands.executeCommand('stThink.tagRecords', n, [n], 'x'), 0);
    assert.deepEqual(fs.readFileSync(other), before);
  });
});
