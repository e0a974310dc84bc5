/**
 * Integration tests in a real VS Code extension host: the extension is loaded from this repository
 * (extensionDevelopmentPath) and driven through its commands and the real vscode API.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StThinkApi } from '../../src/extension/extension';
import { api, makeTestVideo, repo, sample, waitFor } from './helpers';
import type { RecordNode, ResultsNode } from '../../src/extension/tree';
import { writeTinyQwen2vlModel } from '../support/tinyModel';

function labelOf(api: StThinkApi, n: ResultsNode): string {
  const item = api.tree.getTreeItem(n);
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-it-'));
  tmpDirs.push(d);
  return d;
}

function tmpCopy(src: string, name: string): string {
  const dir = tmpDir();
  const dst = path.join(dir, name);
  fs.copyFileSync(src, dst);
  return dst;
}

describe('Results tree in a real extension host', function () {
  let a: StThinkApi;
  const before0 = fs.readFileSync(sample);
  const mtime0 = fs.statSync(sample).mtimeMs;

  before(async () => {
    a = await api();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('stThink.clearFilter');
    for (const f of a.store.list) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: f });
    for (const s of [...a.comparisons.list]) a.comparisons.remove(s);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => {
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
    assert.deepEqual(fs.readFileSync(sample), before0, 'the results file is never written');
    assert.equal(fs.statSync(sample).mtimeMs, mtime0);
  });

  it('registers every ST-Think command', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const contributed = (
      JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).contributes.commands as { command: string }[]
    ).map((c) => c.command);
    assert.ok(contributed.length >= 20, `${contributed.length} commands contributed`);
    for (const c of contributed) assert.ok(all.has(c), `${c} is registered`);
  });

  it('opens a results file into file → category → direction → outcome → record', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    assert.equal(file.state.kind, 'ready');
    assert.equal(file.index!.entries.length, 126);
    const roots = a.tree.getChildren();
    assert.equal(roots.length, 1);
    assert.equal(labelOf(a, roots[0]), 'st-r1-demo-run.jsonl');
    assert.match(String(a.tree.getTreeItem(roots[0]).description), /^126 records · 75\.4% · 2 invalid$/);
    const cats = a.tree.getChildren(roots[0]);
    assert.deepEqual(
      cats.map((n) => labelOf(a, n)),
      ['Direction', 'Landmark', 'Action', 'Problems'],
    );
    assert.match(String(a.tree.getTreeItem(cats[0]).description), /^53 · 69\.8%$/);
    const dirs = a.tree.getChildren(cats[0]);
    assert.deepEqual(
      dirs.map((n) => labelOf(a, n)),
      ['Forward', 'Reverse'],
    );
    const outcomes = a.tree.getChildren(dirs[0]);
    assert.deepEqual(outcomes.map((n) => labelOf(a, n)).slice(0, 2), ['Correct', 'Incorrect']);
    const recs = a.tree.getChildren(outcomes[1]);
    assert.ok(recs.length > 0);
    const r = recs[0];
    assert.equal(r.kind, 'record');
    const item = a.tree.getTreeItem(r);
    const entry = (r as Extract<ResultsNode, { kind: 'record' }>).entry;
    const stem = 'What directions do you need to go through to get to your destination?';
    // The row leads with what tells it apart (the line, the video's short name); the question follows.
    assert.match(labelOf(a, r), new RegExp(`^line ${entry.line} · ADT_\\S+$`));
    assert.equal(String(item.description), `${entry.gold} → ${entry.mcqPred} · ${stem}`);
    assert.notEqual(entry.gold, entry.mcqPred);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'error');
    // The tooltip (full question) is read lazily from the file.
    const resolved = await a.tree.resolveTreeItem!(item, r, new vscode.CancellationTokenSource().token);
    assert.match(String(resolved.tooltip), /Please take an? egocentric view/);
  });

  it('counts forward action questions worded as landmark questions under Action → Forward, and says so', async () => {
    // The demo file has no reference chains: 7 of its landmark-worded forward questions have their
    // reverse action question on the same video with shared action phrases (issue 8, point 3).
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    const cats = a.tree.getChildren(a.tree.getChildren()[0]);
    const action = cats.find((n) => labelOf(a, n) === 'Action')!;
    assert.match(String(a.tree.getTreeItem(action).description), /^27 · \d+\.\d% · 7 worded as landmark$/);
    assert.match(
      String(a.tree.getTreeItem(action).tooltip),
      /7 worded as landmark: recognised as action questions from the evidence in the file/,
    );
    const dirs = a.tree.getChildren(action);
    assert.deepEqual(
      dirs.map((n) => labelOf(a, n)),
      ['Forward', 'Reverse'],
    );
    assert.match(String(a.tree.getTreeItem(dirs[0]).description), /^7 · /);
    const fwd = a.tree.getChildren(a.tree.getChildren(dirs[0])[0]);
    const r = fwd[0] as Extract<ResultsNode, { kind: 'record' }>;
    assert.equal(r.entry.category, 'action');
    assert.equal(r.entry.wordedAs, 'landmark');
    assert.match(String(a.tree.getTreeItem(r).description), / · worded as landmark/);
    // The trace view shows the category with its evidence: the reverse action question's line.
    await vscode.commands.executeCommand('stThink.showRecord', r);
    const panel = await waitFor('the trace panel', () => [...a.tracePanels].find((p) => p.target?.entry === r.entry));
    const shown = await waitFor('the record posted', () => panel.lastRecord);
    assert.deepEqual([shown.category, shown.wordedAs], ['action', 'landmark']);
    assert.match(shown.categorySource ?? '', /reverse action question on line \d+/);
    // Consistency pairs it with that reverse question.
    const partner = file.index!.entries.find((e) => e.category === 'action' && e.direction === 'reverse' && e.video === r.entry.video);
    assert.ok(partner, 'its reverse action question is in the file');
  });

  it('opens several files at once from the Explorer context menu (multi-select)', async () => {
    const second = tmpCopy(path.join(repo, 'test/fixtures/ego-st-r1-sample.jsonl'), 'second.jsonl');
    const uris = [vscode.Uri.file(sample), vscode.Uri.file(second)];
    await vscode.commands.executeCommand('stThink.openInStThink', uris[0], uris);
    assert.deepEqual(
      a.tree.getChildren().map((n) => labelOf(a, n)),
      ['st-r1-demo-run.jsonl', 'second.jsonl'],
    );
    assert.equal(a.store.list[1].index!.entries.length, 12);
    await vscode.commands.executeCommand('stThink.closeResultsFile', { file: a.store.list[0] });
    assert.deepEqual(
      a.tree.getChildren().map((n) => labelOf(a, n)),
      ['second.jsonl'],
    );
  });

  it('lists invalid lines in the Problems panel and in the tree', async () => {
    const uri = vscode.Uri.file(sample);
    await vscode.commands.executeCommand('stThink.openResultsFile', uri);
    const diags = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.length ? d : undefined;
    });
    assert.deepEqual(
      diags.map((d) => d.range.start.line + 1),
      [41, 91],
    );
    assert.match(diags[0].message, /invalid JSON/);
    assert.match(diags[1].message, /no known shape \(canonical: missing "question"; st-r1: .*; benchmark: .*; harness: /);
    const fileNode = a.tree.getChildren()[0];
    const problems = a.tree.getChildren(fileNode).find((n) => n.kind === 'problems')!;
    assert.deepEqual(
      a.tree.getChildren(problems).map((n) => labelOf(a, n)),
      ['Line 41', 'Line 91'],
    );
  });

  it('filters by direction and outcome, and by free text over the response', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    await vscode.commands.executeCommand('stThink.setFilter', { directions: ['reverse'], outcomes: ['incorrect'] });
    assert.ok(file.visible.length > 0);
    assert.ok(file.visible.every((e) => e.direction === 'reverse' && e.mcq === 'incorrect'));
    await vscode.commands.executeCommand('stThink.setFilter', { text: 'CANNOT TELL' });
    const expected = fs
      .readFileSync(sample, 'utf8')
      .split('\n')
      .filter((l) => l.toLowerCase().includes('cannot tell')).length;
    assert.ok(expected > 0);
    assert.equal(file.visible.length, expected, 'the altered "cannot tell" responses are found, case-insensitively');
    await vscode.commands.executeCommand('stThink.clearFilter');
    assert.equal(file.visible.length, 126);
  });

  it('refuses a stThink.setFilter argument that is not a filter, saying which field is wrong', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    await vscode.commands.executeCommand('stThink.setFilter', { directions: ['reverse'] });
    const shown = file.visible.length;
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('stThink.setFilter', { outcomes: ['wrong'] })),
      /stThink\.setFilter: not a results filter \(outcomes\.0: .*expected \{ outcomes\?/,
    );
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand('stThink.setFilter', { direction: ['reverse'] })), /direction/);
    assert.deepEqual(a.store.filter, { directions: ['reverse'] }, 'a refused filter leaves the filter as it was');
    assert.equal(file.visible.length, shown);
  });

  it('steps through incorrect records into the trace view; a missing video shows the paths tried', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    await vscode.commands.executeCommand('stThink.nextIncorrect');
    const sel1 = await waitFor('a selected record', () => (a.view.selection[0]?.kind === 'record' ? a.view.selection[0] : undefined));
    const panel = await waitFor('the trace panel', () => [...a.tracePanels].find((p) => p.target?.entry === (sel1 as RecordNode).entry));
    assert.equal(panel.target!.entry.mcq, 'incorrect');
    const frames = await waitFor('the frames placeholder', () => (panel.lastFrames?.state === 'error' ? panel.lastFrames : undefined));
    assert.match(frames.message!, /Video not found/);
    assert.equal(frames.tried![0], panel.target!.entry.video, 'the path as written is tried first');
    await vscode.commands.executeCommand('stThink.nextIncorrect');
    const sel2 = await waitFor('selection to move', () => (a.view.selection[0] !== sel1 ? a.view.selection[0] : undefined));
    assert.equal(sel2.kind, 'record');
    assert.equal(a.tracePanels.size, 1, 'the preview panel is reused');
    await waitFor('the panel to follow', () => panel.target?.entry === (sel2 as RecordNode).entry);
    await vscode.commands.executeCommand('stThink.previousIncorrect');
    await waitFor('selection to come back', () => a.view.selection[0] === sel1);
  });

  it('the trace view steps Previous / Next in tree order, and a pinned panel stays', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const order = a.tree.treeOrder();
    assert.equal(order.length, 126);
    const first = a.tree.recordNode(order[0].file, order[0].entry)!;
    await vscode.commands.executeCommand('stThink.showRecord', first);
    const panel = await waitFor('the trace panel', () => [...a.tracePanels].find((p) => p.target?.entry === order[0].entry));
    assert.equal(await panel.navigate('previous'), false, 'nothing before the first record');
    assert.equal(await panel.navigate('next'), true);
    assert.equal(panel.target!.entry, order[1].entry);
    assert.equal(await panel.navigate('nextIncorrect'), true);
    const firstIncorrect = order.find((o) => o.entry.mcq === 'incorrect')!;
    assert.equal(panel.target!.entry, firstIncorrect.entry);
    // Following the filter: only reverse records.
    await vscode.commands.executeCommand('stThink.setFilter', { directions: ['reverse'] });
    await panel.navigate('next');
    assert.equal(panel.target!.entry.direction, 'reverse');
    const kept = panel.target!.entry;
    panel.pin();
    const other = a.tree.treeOrder().find((o) => o.entry !== kept)!;
    await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(other.file, other.entry));
    assert.equal(a.tracePanels.size, 2, 'a pinned panel is not reused');
    assert.equal(panel.target!.entry, kept, 'the pinned panel kept its record');
    assert.ok([...a.tracePanels].some((p) => p !== panel && p.target?.entry === other.entry));
  });

  it('shows a record as read-only text', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    const entry = file.index!.entries.find((e) => e.mcq === 'incorrect')!;
    const node = a.tree.recordNode(file, entry);
    assert.ok(node, `a node for ${entry.id}; visible ${file.visible.length}, filter ${JSON.stringify(a.store.filter)}`);
    await vscode.commands.executeCommand('stThink.showRecordAsText', node);
    const ed = await waitFor('a record editor', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.scheme === 'st-think-record' ? e : undefined;
    });
    assert.match(ed.document.getText(), /mcq_infer +predicted [A-D] +→ +incorrect/);
    assert.match(ed.document.getText(), /── Question ──/);
  });

  it('the trace view shows the 8 frames the model saw, from a video found under videoRoots', async function () {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'videos', 'r1_video'), { recursive: true });
    const video = path.join(dir, 'videos', 'r1_video', 'clip.mp4');
    makeTestVideo(video);
    const results = path.join(dir, 'run.jsonl');
    fs.writeFileSync(
      results,
      JSON.stringify({
        id: 'with-video',
        video: '/vi-lab/Ego-ST-bench/r1_video/clip.mp4',
        question:
          'Based on this video, which landmarks did you pass by to reach your destination? Options: A. <img src=x onerror=alert(1)>, B. b',
        gold: 'A',
        response:
          "<think>Let's start by thinking reverse <script>alert(1)</script> " +
          'And then think about it Hence, the correct answer is A</think><answer>A</answer>',
      }) +
        '\n' +
        JSON.stringify({
          // Its own frames fields (16 frames at 0.6 fps) win over the preset; one of its frames could differ.
          id: 'with-video-16',
          video: '/vi-lab/Ego-ST-bench/r1_video/clip.mp4',
          frames: { sampler: 'qwen2vl', fps: 0.6, count: 16 },
          question: 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. a, B. b',
          gold: 'B',
          response: '<think>t</think><answer>B</answer>',
        }) +
        '\n',
    );
    const cfg = vscode.workspace.getConfiguration('stThink');
    try {
      await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(results));
      const file = a.store.list[0];
      await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(file, file.index!.entries[0]));
      const panel = await waitFor('the trace panel', () => [...a.tracePanels].find((p) => p.target?.entry.id === 'with-video'));
      // Without videoRoots the video is not found; setting it brings the frames with no other step.
      const missing = await waitFor('the missing video', () => (panel.lastFrames?.state === 'error' ? panel.lastFrames : undefined));
      assert.match(missing.message ?? '', /Video not found/);
      await cfg.update('videoRoots', [path.join(dir, 'videos')], vscode.ConfigurationTarget.Global);
      const frames = await waitFor(
        'the frames',
        () => (panel.lastFrames !== missing && panel.lastFrames?.state !== 'loading' ? panel.lastFrames : undefined),
        30_000,
      );
      assert.equal(frames.state, 'ready', frames.message);
      assert.deepEqual(frames.indices, [0, 33, 66, 100, 166, 199, 233, 299]);
      assert.equal(frames.video, video);
      assert.ok(
        frames.frames.every((f) => f.src?.includes('frame-')),
        JSON.stringify(frames.frames),
      );
      // smart_resize of 160×120 with the video min_pixels 128·28·28: scaled up to 392×280.
      assert.deepEqual(frames.model, { width: 392, height: 280 });
      assert.deepEqual(frames.alternatives, []);
      assert.equal(frames.preset?.name, 'inference');
      // The GRPO preset reads at 2 fps: 10 s → 20 first-stage frames (worked out in samplers.test.ts).
      await cfg.update('framePreset', 'grpo-training', vscode.ConfigurationTarget.Global);
      const grpo = await waitFor(
        "the GRPO preset's frames",
        () => (panel.lastFrames?.state === 'ready' && panel.lastFrames.preset?.name === 'grpo-training' ? panel.lastFrames : undefined),
        30_000,
      );
      assert.deepEqual(grpo.indices, [0, 31, 79, 126, 157, 205, 252, 299]);
      assert.deepEqual(grpo.preset, {
        name: 'grpo-training',
        label: 'as trained with GRPO',
        fps: 2,
        maxPixels: 153664,
        fpsFromRecord: false,
      });
      // The second record's own fps 0.6 and count 16 win: n = 6; the second stage linspace(0, 5, 16)
      // gives 2.9999998 at position 9 with AVX2 (frame 120) and 3 from its own base (16-lane and
      // scalar kernels: frame 179); scripts/torch-linspace-reference.py 300 30 0.6 {8,16,1} 16.
      await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(file, file.index!.entries[1]));
      const p16 = await waitFor('the trace panel of the second record', () =>
        [...a.tracePanels].find((p) => p.target?.entry.id === 'with-video-16'),
      );
      const f16 = await waitFor(
        'its frames',
        () => (p16.lastFrames?.state === 'ready' && p16.lastFrames.indices.length === 16 ? p16.lastFrames : undefined),
        30_000,
      );
      assert.deepEqual(f16.indices, [0, 0, 0, 60, 60, 60, 120, 120, 120, 120, 179, 179, 239, 239, 239, 299]);
      assert.deepEqual(
        f16.alternatives?.map((x) => [x.position, x.frame, x.alternative, x.kernel]),
        [
          [9, 120, 179, 'avx512'],
          [9, 120, 179, 'scalar'],
        ],
      );
      assert.equal(f16.preset?.fpsFromRecord, true);
      assert.equal(f16.preset?.fps, 0.6);
    } finally {
      await cfg.update('videoRoots', undefined, vscode.ConfigurationTarget.Global);
      await cfg.update('framePreset', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('copies a record as JSON and goes to its line in the source', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    const entry = file.index!.entries[50];
    const node = a.tree.recordNode(file, entry)!;
    await vscode.commands.executeCommand('stThink.copyRecordAsJson', node);
    const copied = JSON.parse(await vscode.env.clipboard.readText());
    assert.equal(copied.id, entry.id);
    await vscode.commands.executeCommand('stThink.goToSource', node);
    const ed = await waitFor('the source editor', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.fsPath === sample ? e : undefined;
    });
    assert.equal(ed.selection.active.line, entry.line - 1);
    assert.equal(JSON.parse(ed.document.lineAt(entry.line - 1).text).id, entry.id);
  });

  it("a record command given a record document's URI (an editor title) works on that record", async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    const [first, second] = [file.index!.entries[10], file.index!.entries[20]];
    await vscode.commands.executeCommand('stThink.showRecordAsText', a.tree.recordNode(file, first));
    const doc = (
      await waitFor('a record editor', () => {
        const e = vscode.window.activeTextEditor;
        return e?.document.uri.scheme === 'st-think-record' ? e : undefined;
      })
    ).document;
    await vscode.commands.executeCommand('stThink.showRecordAsText', a.tree.recordNode(file, second));
    await vscode.commands.executeCommand('stThink.copyRecordAsJson', doc.uri);
    assert.equal(JSON.parse(await vscode.env.clipboard.readText()).id, first.id, "the URI's record, not the one shown last");
  });

  it('opens the summary webview', async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    await vscode.commands.executeCommand('stThink.showSummary');
    const tab = await waitFor('the summary tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('stThink.summary')),
    );
    assert.match(tab.label, /^Summary: st-r1-demo-run\.jsonl$/);
  });

  it('picks up appended lines and re-indexes a rewritten file', async () => {
    const copy = tmpCopy(sample, 'growing.jsonl');
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(copy));
    const file = a.store.list[0];
    assert.equal(file.index!.entries.length, 126);
    const extra = {
      id: 'appended-1',
      video: '/v.mp4',
      question: 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. x, B. y',
      gold: 'A',
      response: '<think>t</think><answer>A</answer>',
    };
    fs.appendFileSync(copy, JSON.stringify(extra) + '\n');
    await waitFor('the appended record', () => file.index!.entries.length === 127, 10_000);
    assert.equal(file.index!.entries[126].id, 'appended-1');
    assert.equal(file.index!.entries[126].line, 129);
    assert.equal(vscode.languages.getDiagnostics(vscode.Uri.file(copy)).length, 2);
    fs.writeFileSync(copy, JSON.stringify(extra) + '\n');
    // Rewritten (shorter, other bytes): re-indexed, and the old file's problems are gone with it.
    await waitFor('the re-index', () => vscode.languages.getDiagnostics(vscode.Uri.file(copy)).length === 0, 10_000);
    assert.deepEqual(
      file.index!.entries.map((e) => [e.id, e.line]),
      [['appended-1', 1]],
    );
    assert.equal(file.visible.length, 1);
  });

  it('a file being appended to stays usable: ready after each update, its menu and Compare With… work (issue 11)', async function () {
    this.timeout(60_000);
    const copy = tmpCopy(sample, 'appending.jsonl');
    const other = path.join(path.dirname(copy), 'other.jsonl');
    fs.copyFileSync(sample, other);
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(copy));
    const file = a.store.get(vscode.Uri.file(copy))!;
    assert.equal(file.state.kind, 'ready');
    const root = () => a.tree.getChildren().find((n) => n.kind === 'file' && n.file === file)!;
    for (let k = 1; k <= 3; k++) {
      const extra = {
        id: `appended-${k}`,
        video: '/v.mp4',
        question: 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. x, B. y',
        gold: 'A',
        response: '<think>t</think><answer>A</answer>',
      };
      fs.appendFileSync(copy, JSON.stringify(extra) + '\n');
      await waitFor(`appended record ${k}`, () => file.index!.entries.length === 126 + k, 10_000);
      // Wait for the update to end (the store fires after the index took the lines).
      await waitFor(`update ${k} to end`, () => !file.updating && file.visible.length === 126 + k, 10_000);
      assert.equal(file.state.kind, 'ready', `after append ${k} the file is ${JSON.stringify(file.state)}`);
      const item = a.tree.getTreeItem(root());
      assert.equal(item.contextValue, 'stThink.file.ready', 'the full context menu, not Re-index / Close only');
      assert.doesNotMatch(String(item.description), /indexing/);
      assert.match(String(item.description), new RegExp(`^${126 + k} records · `));
    }
    // Compare With… on the grown file finishes (it waited for an indexing that never ended).
    const compared = vscode.commands.executeCommand('stThink.compareWith', vscode.Uri.file(copy), [
      vscode.Uri.file(copy),
      vscode.Uri.file(other),
    ]);
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('Compare With… did not finish')), 15_000));
    await Promise.race([compared, timeout]);
    const s = a.comparisons.list.find((x) => x.a === file);
    assert.ok(s, 'the comparison was made');
    assert.equal(s.comparison.paired, 126);
    assert.equal(s.comparison.unpairedA, 3);
  });

  it("compares two runs: the view, the Comparisons tree, a flip's inline diff, the diff editor, Next / Previous Flip", async function () {
    this.timeout(60_000);
    // Run B: the sample with 3 right answers made wrong and 2 wrong ones made right, and each of
    // those five chains given one more sentence and one word changed.
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const entries = a.store.list[0].index!.entries.filter((e) => e.format === 'valid' && e.mcq !== 'unscored');
    const toWrong = entries
      .filter((e) => e.mcq === 'correct')
      .slice(0, 3)
      .map((e) => e.id);
    const toRight = entries
      .filter((e) => e.mcq === 'incorrect')
      .slice(0, 2)
      .map((e) => e.id);
    await vscode.commands.executeCommand('stThink.closeResultsFile', { file: a.store.list[0] });
    const dir = tmpDir();
    const runB = path.join(dir, 'run-b.jsonl');
    const lines = fs
      .readFileSync(sample, 'utf8')
      .split('\n')
      .map((line) => {
        let r: { id: string; gold: string; response: string };
        try {
          r = JSON.parse(line);
        } catch {
          return line; // the sample's invalid lines stay as they are
        }
        if (!toWrong.includes(r.id) && !toRight.includes(r.id)) return line;
        const gold = r.gold.trim()[0];
        const letter = toRight.includes(r.id) ? gold : gold === 'A' ? 'B' : 'A';
        r.response = r.response
          .replace(/<answer>[\s\S]*<\/answer>/, `<answer>${letter}</answer>`)
          .replace('</think>', ' On a second look the frames say otherwise.</think>')
          .replace(/\bthe\b/, 'THE');
        return JSON.stringify(r);
      });
    fs.writeFileSync(runB, lines.join('\n'));

    await vscode.commands.executeCommand('stThink.compareWith', vscode.Uri.file(sample), [vscode.Uri.file(sample), vscode.Uri.file(runB)]);
    const view = await waitFor('the comparison view', () => [...a.comparePanels][0]);
    const c = view.session.comparison;
    assert.equal(c.pairedBy, 'id');
    assert.equal(c.paired, 126);
    assert.deepEqual([c.flips.rightToWrong, c.flips.wrongToRight], [3, 2]);
    // Exact two-sided McNemar with 3 and 2 discordant pairs: 2·(1 + 5 + 10)/32 = 1 (capped).
    assert.ok(Math.abs(c.mcnemar.p - 1) < 1e-12, String(c.mcnemar.p));
    assert.deepEqual(new Set(c.flipped.map((f) => f.a.id)), new Set([...toWrong, ...toRight]));
    assert.equal(view.view.flipped.length, 5);

    // The Results tree: a Comparisons node, the comparison, its five flips.
    const top = a.tree.getChildren();
    const cmp = top.find((n) => n.kind === 'comparisons');
    assert.ok(cmp, `top level: ${top.map((n) => n.kind).join(', ')}`);
    const [session] = a.tree.getChildren(cmp);
    assert.match(labelOf(a, session), /st-r1-demo-run\.jsonl ↔ run-b\.jsonl/);
    assert.match(String(a.tree.getTreeItem(session).description), /3↓ 2↑ · p 1\.000/);
    const flips = a.tree.getChildren(session);
    assert.equal(flips.filter((n) => n.kind === 'flip').length, 5);

    // A flip opens the trace view on the pair: both answers, and the chains' inline diff.
    await vscode.commands.executeCommand('stThink.showFlip', flips[0]);
    const panel = await waitFor('the pair view', () => [...a.tracePanels].find((p) => p.lastPair));
    const pair = panel.lastPair!;
    assert.equal(pair.a.id, c.flipped[0].a.id);
    assert.equal(pair.b.file, runB);
    assert.deepEqual(pair.position, { index: 0, total: 5, what: 'flip' });
    assert.notEqual(pair.a.mcq_infer.outcome, pair.b.mcq_infer.outcome);
    assert.ok(pair.diff.stats.onlyB + pair.diff.stats.changed >= 1, JSON.stringify(pair.diff.stats));
    const added = pair.diff.pairs
      .flatMap((p) => p.ops)
      .filter((o) => o.op === 'insert')
      .map((o) => o.text)
      .join('');
    assert.match(added, /On a second look the frames say otherwise\./);
    assert.equal(panel.panel.title, `◇ Diff: ${pair.a.id} · ${pair.a.direction}`);

    // Next / Previous Flip step through the comparison's flips in the same panel.
    await vscode.commands.executeCommand('stThink.nextFlip');
    assert.equal(panel.lastPair?.position?.index, 1);
    assert.equal(panel.lastPair?.a.id, c.flipped[1].a.id);
    await vscode.commands.executeCommand('stThink.previousFlip');
    await vscode.commands.executeCommand('stThink.previousFlip');
    assert.equal(panel.lastPair?.position?.index, 4, 'Previous Flip wraps around');

    // "Diff Editor" on a flip: VS Code's diff editor on the two chains, one sentence per line.
    await view.openPair(0, 'diffEditor');
    const tab = await waitFor('the diff editor', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.input instanceof vscode.TabInputTextDiff ? t.input : undefined;
    });
    assert.equal(tab.original.scheme, 'st-think-chain');
    assert.equal(tab.modified.scheme, 'st-think-chain');
    const left = (await vscode.workspace.openTextDocument(tab.original)).getText();
    const right = (await vscode.workspace.openTextDocument(tab.modified)).getText();
    assert.ok(left.split('\n').length > 2, left);
    assert.ok(right.split('\n').length > 2, right);
    assert.match(right, /On a second look the frames say otherwise\./);
    assert.doesNotMatch(left, /On a second look/);
    assert.match(right, /\bTHE\b/);
    assert.match(right, /^<answer> [A-D]$/m);

    // Closing run B drops the comparison (its records are gone).
    await vscode.commands.executeCommand('stThink.closeResultsFile', { file: view.session.b });
    assert.equal(a.comparisons.list.length, 0);
    assert.ok(!a.tree.getChildren().some((n) => n.kind === 'comparisons'));
  });

  it('a file against its re-runs: accuracies over paired records only; re-runs use the original’s videos (issue 11)', async function () {
    this.timeout(120_000);
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'videos', 'r1_video'), { recursive: true });
    const video = path.join(dir, 'videos', 'r1_video', 'clip.mp4');
    makeTestVideo(video);
    const results = path.join(dir, 'run.jsonl');
    const reruns = path.join(dir, 'run.reruns.jsonl');
    const where = '/vi-lab/Ego-ST-bench/r1_video/clip.mp4';
    const Q = (d: 'forward' | 'reverse') =>
      'Based on this video, which landmarks did you pass by to ' +
      `${d === 'forward' ? 'reach your destination' : 'return to the starting point'}? ` +
      'Options: A. a, B. b';
    const answer = (x: string) => `<think>I look at the frames. The answer is ${x}.</think><answer>${x}</answer>`;
    const rec = (id: string, d: 'forward' | 'reverse', x: string) => ({ id, video: where, question: Q(d), gold: 'A', response: answer(x) });
    // The original: 2 of 4 right (50%); r1 and r2 wrong.
    const original = [rec('r1', 'forward', 'B'), rec('r2', 'reverse', 'B'), rec('r3', 'forward', 'A'), rec('r4', 'reverse', 'A')];
    fs.writeFileSync(results, original.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const rerun = (source: string, tag: string, d: 'forward' | 'reverse', x: string) => ({
      ...rec(`${source}~forward~${tag}`, d, x),
      sourceId: source,
      sourceFile: results,
      options: ['A. a', 'B. b'],
      category: 'landmark',
      direction: d,
      mode: 'forward thinking',
    });
    // r1 re-run twice (the first, wrong, superseded by the second, right); r2 once, right.
    const rr = [rerun('r1', 'aaaaaaaa', 'forward', 'B'), rerun('r2', 'cccccccc', 'reverse', 'A'), rerun('r1', 'bbbbbbbb', 'forward', 'A')];
    fs.writeFileSync(reruns, rr.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const [uA, uB] = [vscode.Uri.file(results), vscode.Uri.file(reruns)];

    // Bug 2: the 2 paired records on each side (0/2 against 2/2), not A's 4 against B's 3 re-runs
    // (2/4 against 2/3, "+16.7 pts"), and the view and the tree say so.
    await vscode.commands.executeCommand('stThink.compareWith', uA, [uA, uB]);
    const view = await waitFor('the comparison view', () => [...a.comparePanels][0]);
    const c = view.session.comparison;
    assert.equal(c.pairedBy, 'source');
    assert.equal(c.accuracyOver, 'paired');
    assert.deepEqual([c.overall.a.correct, c.overall.a.total, c.overall.b.correct, c.overall.b.total], [0, 2, 2, 2]);
    assert.equal(c.overall.difference, 1);
    assert.deepEqual([c.paired, c.unpairedA, c.unpairedB], [2, 2, 1]);
    assert.equal(view.view.accuracyOver, 'paired');
    assert.deepEqual([view.view.overall.a.total, view.view.overall.b.total], [2, 2]);
    const cmp = a.tree.getChildren().find((n) => n.kind === 'comparisons')!;
    const [node] = a.tree.getChildren(cmp);
    assert.match(String(a.tree.getTreeItem(node).description), /^\+100\.0 pts · 0↓ 2↑ · p 0\.500 · paired records only: 2$/);
    assert.match(String(a.tree.getTreeItem(node).tooltip), /over the paired records only \(2\)/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // Bug 3: the video folder located for the original serves its re-runs in every pair view.
    const origFile = a.store.get(uA)!;
    const rerunsFile = a.store.get(uB)!;
    await vscode.commands.executeCommand('stThink.locateVideoFolder', { file: origFile }, vscode.Uri.file(path.join(dir, 'videos')));
    const framesOf = async (what: string, id: string) => {
      const panel = await waitFor(what, () => [...a.tracePanels].find((p) => p.lastPair?.a.id === id));
      return waitFor(
        `the frames of ${what}`,
        () => (panel.lastFrames && panel.lastFrames.state !== 'loading' ? panel.lastFrames : undefined),
        30_000,
      );
    };
    // A flip of the re-runs (as A) against the original: side A's frames come from the re-runs file.
    await vscode.commands.executeCommand('stThink.compareWith', uB, [uB, uA]);
    const back = await waitFor('the comparison of the re-runs with the original', () =>
      a.comparisons.list.find((s) => s.a === rerunsFile && s.b === origFile),
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('stThink.showFlip', a.tree.flipNode(back, 0));
    const flipFrames = await framesOf('the flip', back.comparison.flipped[0].a.id);
    assert.equal(flipFrames.state, 'ready', `${flipFrames.message}; tried ${flipFrames.tried?.join(', ')}`);
    assert.equal(flipFrames.video, video);
    // Show Opposite Direction on a re-run: both sides from the re-runs file.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const fwd = rerunsFile.index!.entries[0];
    await vscode.commands.executeCommand('stThink.diffWithOppositeDirection', a.tree.recordNode(rerunsFile, fwd));
    const oppositeFrames = await framesOf('the opposite-direction pair', fwd.id);
    assert.equal(oppositeFrames.state, 'ready', `${oppositeFrames.message}; tried ${oppositeFrames.tried?.join(', ')}`);
    assert.equal(oppositeFrames.video, video);
    // The original's own records, and a file that is not its re-runs, are unchanged: another
    // results file in the same folder does not borrow the folder.
    const stranger = path.join(dir, 'other.jsonl');
    fs.writeFileSync(stranger, JSON.stringify(rec('s1', 'forward', 'A')) + '\n');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(stranger));
    const other = a.store.get(vscode.Uri.file(stranger))!;
    await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(other, other.index!.entries[0]));
    const single = await waitFor('the trace of the other file', () => [...a.tracePanels].find((p) => p.target?.entry.id === 's1'));
    const none = await waitFor('its frames', () =>
      single.lastFrames && single.lastFrames.state !== 'loading' ? single.lastFrames : undefined,
    );
    assert.match(none.message ?? '', /Video not found/);
  });

  it("diffs a question with the same video's question in the opposite direction", async () => {
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const file = a.store.list[0];
    const es = file.index!.entries;
    const fwd = es.find(
      (e) => e.direction === 'forward' && es.some((r) => r.direction === 'reverse' && r.video === e.video && r.category === e.category),
    )!;
    assert.ok(fwd, 'the sample has a forward question with a reverse counterpart');
    await vscode.commands.executeCommand('stThink.diffWithOppositeDirection', a.tree.recordNode(file, fwd));
    const panel = await waitFor('the pair view', () => [...a.tracePanels].find((p) => p.lastPair));
    const pair = panel.lastPair!;
    assert.equal(pair.a.line, fwd.line);
    assert.equal(pair.a.direction, 'forward');
    assert.equal(pair.b.direction, 'reverse');
    assert.equal(pair.b.video, pair.a.video);
    assert.equal(pair.b.category, pair.a.category);
    assert.ok(pair.sameVideo);
    assert.equal(pair.position, undefined, 'a forward/reverse pair does not step');
    // The pair's sentence alignment covers every sentence of both chains.
    const aSentences = new Set(pair.diff.pairs.filter((p) => p.a !== undefined).map((p) => p.a));
    const bSentences = new Set(pair.diff.pairs.filter((p) => p.b !== undefined).map((p) => p.b));
    assert.equal(aSentences.size, Math.max(...(aSentences as Set<number>)) + 1);
    assert.equal(bSentences.size, Math.max(...(bSentences as Set<number>)) + 1);
    // "Show A" from the pair: back to one record.
    await vscode.commands.executeCommand('stThink.showTrace', a.tree.recordNode(file, fwd));
    await waitFor('the single trace', () => (panel.target?.entry === fwd && !panel.pair ? true : undefined));
  });

  it('a re-run is refused up front without its video; a chosen model folder offers Run again; no made-up verdicts (issue 11)', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'videos'));
    fs.writeFileSync(path.join(dir, 'videos', 'here.mp4'), 'not decoded by this test');
    const row = JSON.parse(fs.readFileSync(path.join(repo, '../shared/data/ego-st/r1-test-mcq-126.jsonl'), 'utf8').split('\n')[0]);
    const results = path.join(dir, 'run.jsonl');
    fs.writeFileSync(
      results,
      [
        { ...row, video: '/elsewhere/here.mp4' },
        { ...row, video: '/elsewhere/missing.mp4' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const cfg = vscode.workspace.getConfiguration('stThink');
    const set = (k: string, v: unknown) => cfg.update(k, v, vscode.ConfigurationTarget.Global);
    type Panel = import('../../src/extension/tracePanel').TracePanel;
    try {
      await set('videoRoots', [path.join(dir, 'videos')]);
      await set('modelPath', undefined);
      await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(results));
      const file = a.store.list.find((f) => f.path === results)!;
      // Line 1's video is found under videoRoots, line 2's is not.
      const node = (line: number) =>
        a.tree.recordNode(
          file,
          file.index!.entries.find((e) => e.line === line)!,
        )!;

      // The video is missing: the plan says so, and Run is refused before anything starts.
      const missing = (await vscode.commands.executeCommand('stThink.rerunQuestion', node(2), 'forward')) as Panel;
      assert.equal(missing.lastRerun!.state, 'plan');
      assert.match(missing.lastRerun!.message ?? '', /^Run is not possible: the video was not found \(paths tried: .*missing\.mp4/);
      await a.reruns.start(missing);
      assert.equal(missing.lastRerun!.state, 'plan', 'nothing started');
      assert.match(missing.lastRerun!.message ?? '', /^Run is not possible: the video was not found/);
      assert.equal(missing.lastRerun!.runs[0].state, 'waiting');
      a.reruns.dismiss(missing);

      // No model folder: Run is refused with the way out, the plan stays (Run offered), no verdicts made up.
      const panel = (await vscode.commands.executeCommand('stThink.rerunQuestion', node(1), 'forward')) as Panel;
      assert.match(panel.lastRerun!.message ?? '', /^No model folder is set: choose one .*then Run\.$/);
      await a.reruns.start(panel);
      const refused = panel.lastRerun!;
      assert.equal(refused.state, 'plan');
      assert.match(refused.message ?? '', /^No model folder is set/);
      assert.deepEqual(
        [refused.runs[0].state, refused.runs[0].mcq_infer, refused.runs[0].grpo_reward, refused.runs[0].formatValid],
        ['waiting', undefined, undefined, undefined],
      );

      // The folder chosen (as the notification's "Choose Model Folder…" does): the panel plans with it.
      const model = writeTinyQwen2vlModel(path.join(dir, 'tiny-qwen2vl'));
      assert.equal(await vscode.commands.executeCommand('stThink.chooseModelFolder', vscode.Uri.file(model)), true);
      const again = await waitFor('the plan with the chosen folder', () =>
        panel.lastRerun?.state === 'plan' && panel.lastRerun.model === 'tiny-qwen2vl' ? panel.lastRerun : undefined,
      );
      assert.doesNotMatch(again.message ?? '', /No model folder/);
      assert.match(again.message ?? '', /Run sends it/);

      // A folder that is no model stops the run with an error; choosing a good one brings the plan back.
      const empty = path.join(dir, 'not-a-model');
      fs.mkdirSync(empty);
      await set('modelPath', empty);
      await a.reruns.start(panel);
      assert.equal(panel.lastRerun!.state, 'error');
      assert.equal(panel.lastRerun!.runs[0].mcq_infer, undefined, 'no verdicts for a run that never happened');
      await vscode.commands.executeCommand('stThink.chooseModelFolder', vscode.Uri.file(model));
      await waitFor('the plan back to Run', () => panel.lastRerun?.state === 'plan' && /Run sends it/.test(panel.lastRerun.message ?? ''));
    } finally {
      for (const k of ['videoRoots', 'modelPath']) await set(k, undefined);
    }
  });

  const onnxRerun = 're-runs a question through a local ONNX model: prompt first, streamed text, saved beside the file, under its record';
  it(onnxRerun, async function () {
    this.timeout(120_000);
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'videos', 'r1_video'), { recursive: true });
    makeTestVideo(path.join(dir, 'videos', 'r1_video', 'walk.mp4'), '112x84');
    // A real ST-R1 row (a reverse direction question), pointed at the generated video.
    const row = JSON.parse(fs.readFileSync(path.join(repo, '../shared/data/ego-st/r1-test-mcq-126.jsonl'), 'utf8').split('\n')[0]);
    const results = path.join(dir, 'run.jsonl');
    fs.writeFileSync(results, JSON.stringify({ ...row, video: '/vi-lab/Ego-ST-bench/r1_video/walk.mp4' }) + '\n');
    const before = fs.readFileSync(results);
    const model = writeTinyQwen2vlModel(path.join(dir, 'tiny-qwen2vl'));
    const empty = path.join(dir, 'not-a-model');
    fs.mkdirSync(empty);
    const cfg = vscode.workspace.getConfiguration('stThink');
    const set = (k: string, v: unknown) => cfg.update(k, v, vscode.ConfigurationTarget.Global);
    try {
      await set('videoRoots', [path.join(dir, 'videos')]);
      await set('rerun.maxNewTokens', 24);
      await set('executionProvider', 'cuda');
      await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(results));
      const file = a.store.list[0];
      const node = a.tree.recordNode(file, file.index!.entries[0])!;

      // A folder that is not a model: the plan runs into a clear error naming what is missing.
      await set('modelPath', empty);
      const panel = (await vscode.commands.executeCommand(
        'stThink.rerunQuestion',
        node,
        'forward',
      )) as import('../../src/extension/tracePanel').TracePanel;
      assert.ok(panel, 'the trace view opens with the plan');
      const plan = panel.lastRerun!;
      assert.equal(plan.state, 'plan');
      assert.equal(plan.runs.length, 1);
      // Options inside the question (an ST-R1 row): the whole problem in ST-R1's GRPO training prompt.
      assert.equal(
        plan.runs[0].prompt.user,
        row.problem +
          ' Please answer in English. ' +
          'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, ' +
          'i.e., <think> reasoning process here </think><answer> answer here </answer>. ',
      );
      assert.equal(plan.generation, "greedy, up to 24 tokens [setting] (the model folder's generation_config.json cannot be read)");
      await a.reruns.start(panel);
      assert.equal(panel.lastRerun!.state, 'error');
      assert.match(panel.lastRerun!.message ?? '', /not-a-model cannot be used: config\.json is missing;/);

      assert.equal(panel.lastRerun!.runs[0].mcq_infer, undefined, 'no verdicts for a run that never happened');

      // The tiny model: asked for CUDA, runs on the CPU and says why; the text streams in. Setting
      // the folder puts the plan back to Run.
      await set('modelPath', model);
      await waitFor('the plan back to Run', () => panel.lastRerun?.state === 'plan');
      const posts = panel.rerunPosts;
      await a.reruns.start(panel);
      const done = panel.lastRerun!;
      assert.equal(done.state, 'done', done.message);
      assert.equal(done.provider, 'CPU');
      // Once per session, one compact line; why (the runtime's message) and how to add CUDA on hover.
      assert.equal(done.providerNote, 'CUDA is unavailable: running on the CPU (hover for why, and how to add CUDA).');
      assert.match(done.providerDetail ?? '', /^CUDA provider unavailable: .*Running on the CPU\. The CUDA provider needs CUDA 12/);
      assert.ok(panel.rerunPosts - posts >= 5, `${panel.rerunPosts - posts} states posted while streaming`);
      const run = done.runs[0];
      assert.equal(run.state, 'done');
      assert.ok(run.tokens >= 1 && run.tokens <= 24, String(run.tokens));
      assert.ok(run.text.length > 0);
      const out = path.join(dir, 'run.reruns.jsonl');
      assert.equal(run.savedTo, out);
      const saved = fs
        .readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(saved.length, 1);
      assert.equal(saved[0].sourceId, row && file.index!.entries[0].id);
      assert.equal(saved[0].provider, 'cpu');
      assert.deepEqual(saved[0].frames.indices, [0, 33, 66, 100, 166, 199, 233, 299]);
      assert.deepEqual([saved[0].frames.width, saved[0].frames.height], [392, 280]);
      assert.equal(saved[0].response, run.text);

      // The re-run shows under its record in the tree, and Diff with Original pairs them.
      const reruns = await waitFor('the re-runs file in the tree', () =>
        a.store.list.find((f) => f.path === out && f.index?.entries.length === 1),
      );
      const src = a.tree.recordNode(file, file.index!.entries[0])!;
      const kids = a.tree.getChildren(src);
      assert.equal(kids.length, 1);
      assert.match(labelOf(a, kids[0]), /forward thinking \(re-run\)$/);
      assert.equal(a.tree.getTreeItem(kids[0]).contextValue, 'stThink.rerun');
      assert.equal((kids[0] as RecordNode).file, reruns);
      await vscode.commands.executeCommand('stThink.diffRerunWithOriginal', kids[0]);
      const pairPanel = await waitFor('the original vs re-run pair', () =>
        [...a.tracePanels].find((p) => p.lastPair?.title.endsWith('original vs re-run')),
      );
      assert.equal(pairPanel.lastPair!.b.response, run.text);

      // Both: forward then reverse (which opens with the counterpart question), then the pair.
      await set('rerun.maxNewTokens', 6);
      const both = (await vscode.commands.executeCommand('stThink.rerunQuestion', src, 'both')) as typeof panel;
      assert.deepEqual(
        both.lastRerun!.runs.map((r) => r.mode),
        ['forward', 'reverse'],
      );
      await a.reruns.start(both);
      assert.equal(both.lastRerun?.state, 'done', both.lastRerun?.message);
      assert.equal(both.lastRerun?.providerNote, undefined, 'the CPU fallback line is shown once per session');
      assert.match(both.lastRerun?.providerDetail ?? '', /^CUDA provider unavailable: /, 'its details stay on hover');
      const pair = await waitFor(
        'the forward vs reverse pair',
        () => [...a.tracePanels].find((p) => p.lastPair?.title.includes('forward vs reverse thinking'))?.lastPair,
      );
      assert.ok(
        pair.b.response.startsWith(
          "<think>Let's start by thinking forward what directions do you need to go through to get to your destination?",
        ),
        pair.b.response,
      );
      assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 3);
      assert.match(both.lastRerun!.runs[1].prompt.prefix ?? '', /^as trained: /);
      // The saved reverse run says which prefix style it used and where each generation setting came from.
      const reverse = JSON.parse(fs.readFileSync(out, 'utf8').trim().split('\n')[2]);
      assert.equal(reverse.mode, 'reverse thinking');
      assert.equal(reverse.prompt.prefixStyle, 'as-trained');
      assert.equal(reverse.prompt.counterpartMethod, 'trained');
      assert.equal(reverse.generation.maxNewTokens, 6);
      assert.equal(reverse.generationSources.maxNewTokens, 'user');
      assert.equal(reverse.generationSources.doSample, 'generation_config.json');
      assert.equal(reverse.generationSources.repetitionPenalty, 'transformers default');
      // The other style, chosen in the flow (the command's option): planned, labelled, not run.
      const worded = (await vscode.commands.executeCommand('stThink.rerunQuestion', src, 'reverse', {
        prefixStyle: 'as-worded',
      })) as typeof panel;
      assert.match(worded.lastRerun!.runs[0].prompt.prefix ?? '', /^as worded: /);
      a.reruns.dismiss(worded);

      // Stop: the run ends, says so, and writes nothing (a model that never ends its turn).
      await set('modelPath', writeTinyQwen2vlModel(path.join(dir, 'tiny-endless'), { neverEnd: true }));
      await set('rerun.maxNewTokens', 2000);
      const long = (await vscode.commands.executeCommand('stThink.rerunQuestion', src, 'forward')) as typeof panel;
      const running = a.reruns.start(long);
      await waitFor('tokens streaming', () => long.lastRerun?.state === 'running' && long.lastRerun.runs[0].tokens > 2, 30_000);
      await vscode.commands.executeCommand('stThink.stopRerun');
      await running;
      assert.equal(long.lastRerun!.state, 'cancelled');
      assert.equal(long.lastRerun!.runs[0].savedTo, undefined);
      assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 3);
      for (const l of fs.readFileSync(out, 'utf8').trim().split('\n')) JSON.parse(l);
      assert.deepEqual(fs.readFileSync(results), before, 'the results file is never written');

      // Re-run Filtered Records: with the settings of "Both" above both runs are done already.
      await set('modelPath', model);
      await set('rerun.maxNewTokens', 6);
      const tally = await vscode.commands.executeCommand('stThink.rerunFiltered', { file }, 'both', { confirm: false });
      assert.deepEqual(tally, { done: 0, skipped: 2, failed: 0, cancelled: false });
      await set('rerun.maxNewTokens', 5);
      const again = await vscode.commands.executeCommand('stThink.rerunFiltered', { file }, 'forward', { confirm: false });
      assert.deepEqual(again, { done: 1, skipped: 0, failed: 0, cancelled: false });
      assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 4);
    } finally {
      for (const k of ['videoRoots', 'rerun.maxNewTokens', 'executionProvider', 'modelPath']) await set(k, undefined);
    }
  });

  it('shows n/a with the reason where a prediction is only the extracted letter, and warns of records with no video', async () => {
    // Upstream inference outputs: two predicts hold only the letter extract_choice returned; one
    // record has "video": "" (upstream then writes "No video file specified.").
    const mcq = (question: string, answer: string) => ({
      question: `Based on this video, ${question}`,
      options: ['A. a door', 'B. a lamp', 'C. a sofa'],
      answer,
    });
    const landmark = 'which landmarks (objects or scenery changes) did you pass by to reach your destination?';
    const file = path.join(tmpDir(), 'forward_mcq_output.json');
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          '1_1': { video: 'walk_1.mp4', forward_mcq: mcq(landmark, 'A'), predict: 'A' },
          '1_2': { video: 'walk_2.mp4', forward_mcq: mcq(landmark, 'B'), predict: 'C' },
          '1_3': {
            video: '',
            forward_mcq: mcq('what directions do you need to go through to get to your destination?', 'B'),
            predict: 'No video file specified.',
          },
        },
        null,
        4,
      ),
    );
    const cfg = vscode.workspace.getConfiguration('stThink');
    try {
      await cfg.update('scoringRule', 'grpo_reward', vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(file));
      const f = a.store.list[0];
      assert.equal(f.state.kind, 'ready');
      assert.equal(f.index!.problemCount, 0, 'the record with no video is not an invalid line');
      const root = a.tree.getChildren()[0];
      // grpo_reward scores only 1_3 ("No video file specified.": no answer tag, 0 of 1).
      assert.equal(String(a.tree.getTreeItem(root).description), '3 records · 0.0% · 1 warning');
      assert.match(
        String(a.tree.getTreeItem(root).tooltip),
        /n\/a under grpo_reward for 2 records: the prediction holds only the extracted letter \(upstream dropped the trace\)/,
      );
      assert.match(String(a.tree.getTreeItem(root).tooltip), /1 record has no video/);
      const cats = a.tree.getChildren(root);
      assert.deepEqual(
        cats.map((n) => labelOf(a, n)),
        ['Direction', 'Landmark'],
      );
      assert.equal(String(a.tree.getTreeItem(cats[1]).description), '2 · n/a: only the extracted letter');
      const fwd = a.tree.getChildren(cats[1])[0];
      assert.equal(String(a.tree.getTreeItem(fwd).description), '2 · n/a: only the extracted letter');
      const outcomes = a.tree.getChildren(fwd);
      assert.deepEqual(
        outcomes.map((n) => labelOf(a, n)),
        ['n/a'],
      );
      assert.equal(String(a.tree.getTreeItem(outcomes[0]).description), '2 · only the extracted letter');
      const recs = a.tree.getChildren(outcomes[0]) as RecordNode[];
      assert.deepEqual(
        recs.map((n) => String(a.tree.getTreeItem(n).description)),
        [
          'A → n/a · Which landmarks (objects or scenery changes) did you pass by to reach your destination?',
          'B → n/a · Which landmarks (objects or scenery changes) did you pass by to reach your destination?',
        ],
      );
      assert.doesNotMatch(String(a.tree.getTreeItem(recs[0]).description), /format/, 'no "format ✗" where the check does not apply');
      const tip = await a.tree.resolveTreeItem!(a.tree.getTreeItem(recs[0]), recs[0], new vscode.CancellationTokenSource().token);
      assert.match(
        String(tip.tooltip),
        /mcq_infer A \(correct\) · grpo_reward n\/a: the prediction holds only the extracted letter \(upstream dropped the trace\)/,
      );
      assert.match(String(tip.tooltip), /format n\/a: the prediction holds only the extracted letter/);
      // The record with no video: in the denominator, its row says so.
      const dirRecs = a.tree.getChildren(a.tree.getChildren(a.tree.getChildren(cats[0])[0])[0]);
      assert.match(labelOf(a, dirRecs[0]), /^line \d+ · no video$/);
      assert.match(String(a.tree.getTreeItem(dirRecs[0]).description), /^[A-D?] → [A-D–] · format ✗ · /);
      // Under mcq_infer the letters are scored: 1_1 right, 1_2 wrong.
      await cfg.update('scoringRule', 'mcq_infer', vscode.ConfigurationTarget.Global);
      await waitFor(
        'the tree under mcq_infer',
        () => String(a.tree.getTreeItem(a.tree.getChildren(a.tree.getChildren()[0])[1]).description) === '2 · 50.0%',
      );
      // The trace view: grpo_reward and the format n/a with the reason; no frames for the empty video.
      await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(f, f.index!.entries[0]));
      const panel = await waitFor('the trace panel', () => [...a.tracePanels].find((p) => p.target?.entry.id === '1_1'));
      const shown = await waitFor('the record posted', () => panel.lastRecord);
      assert.deepEqual(
        [shown.grpo_reward.na, shown.format, shown.na, shown.mcq_infer.outcome],
        ['letter-only', 'n/a', 'letter-only', 'correct'],
      );
      await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(f, f.index!.entries[2]));
      await waitFor('the panel to follow', () => panel.target?.entry.id === '1_3');
      const frames = await waitFor('the no-video message', () => (panel.lastFrames?.noVideo ? panel.lastFrames : undefined));
      assert.match(frames.message ?? '', /No video: this record.s "video" is empty/);
    } finally {
      await cfg.update('scoringRule', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('says why a verdict is unscored: a lowercase gold "b" in the tree tooltip and the trace view (issue 11)', async () => {
    const file = path.join(tmpDir(), 'lower-gold.jsonl');
    const question =
      'Based on this video, what directions do you need to go through to get to your destination? Options: A. Turn left, B. Turn right';
    fs.writeFileSync(
      file,
      [
        { id: 'lower-b', video: 'walk_1.mp4', question, gold: 'b', response: '<think>right</think><answer>B</answer>' },
        { id: 'no-gold', video: 'walk_2.mp4', question, response: '<think>right</think><answer>B</answer>' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(file));
    const f = a.store.list[0];
    assert.equal(f.state.kind, 'ready');
    const lower = a.tree.recordNode(
      f,
      f.index!.entries.find((e) => e.id === 'lower-b')!,
    )!;
    const tip = await a.tree.resolveTreeItem!(a.tree.getTreeItem(lower), lower, new vscode.CancellationTokenSource().token);
    // mcq_infer compares option letters (unscored, and why); grpo_reward compares first characters (B ≠ b).
    assert.match(
      String(tip.tooltip),
      /mcq_infer B, unscored: the gold answer does not start with an option letter A–Z \(case-sensitive\).* · grpo_reward B \(incorrect\)/,
    );
    const none = a.tree.recordNode(
      f,
      f.index!.entries.find((e) => e.id === 'no-gold')!,
    )!;
    const tip2 = await a.tree.resolveTreeItem!(a.tree.getTreeItem(none), none, new vscode.CancellationTokenSource().token);
    assert.match(
      String(tip2.tooltip),
      /mcq_infer B, unscored: the record has no gold answer · grpo_reward B, unscored: the record has no gold answer/,
    );
    await vscode.commands.executeCommand('stThink.showRecord', lower);
    const panel = await waitFor('the trace panel', () => [...a.tracePanels].find((p) => p.target?.entry.id === 'lower-b'));
    const shown = await waitFor('the record posted', () => panel.lastRecord);
    assert.deepEqual(shown.mcq_infer, { outcome: 'unscored', predicted: 'B', unscored: 'gold-not-letter' });
    assert.deepEqual(shown.grpo_reward, { outcome: 'incorrect', predicted: 'B' });
  });

  it('Next Flip follows the comparison view in focus; the counter counts within the file; readable tab titles (issue 11)', async () => {
    // Two comparisons of the sample: with run B (first record's answer changed) and with run C (the second's).
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(sample));
    const scored = a.store.list[0].index!.entries.filter((e) => e.mcq === 'correct');
    const [idB, idC] = [scored[0].id, scored[1].id];
    await vscode.commands.executeCommand('stThink.closeResultsFile', { file: a.store.list[0] });
    const dir = tmpDir();
    const variant = (name: string, id: string) => {
      const out = path.join(dir, name);
      const lines = fs
        .readFileSync(sample, 'utf8')
        .split('\n')
        .map((line) => {
          let r: { id: string; gold: string; response: string };
          try {
            r = JSON.parse(line);
          } catch {
            return line;
          }
          if (r.id !== id) return line;
          const wrong = r.gold.trim()[0] === 'A' ? 'B' : 'A';
          r.response = r.response.replace(/<answer>[\s\S]*<\/answer>/, `<answer>${wrong}</answer>`);
          return JSON.stringify(r);
        });
      fs.writeFileSync(out, lines.join('\n'));
      return out;
    };
    const runB = variant('run-b.jsonl', idB);
    const runC = variant('run-c.jsonl', idC);
    await vscode.commands.executeCommand('stThink.compareWith', vscode.Uri.file(sample), [vscode.Uri.file(sample), vscode.Uri.file(runB)]);
    const viewB = await waitFor('the first comparison view', () => [...a.comparePanels].find((p) => p.session.b.path === runB));
    await vscode.commands.executeCommand('stThink.compareWith', vscode.Uri.file(sample), [vscode.Uri.file(sample), vscode.Uri.file(runC)]);
    const viewC = await waitFor('the second comparison view', () => [...a.comparePanels].find((p) => p.session.b.path === runC));
    assert.deepEqual([viewB.session.comparison.flipped.length, viewC.session.comparison.flipped.length], [1, 1]);
    // The tree's comparison C is opened (selected), then the user brings comparison B's view to the front.
    const cmp = a.tree.getChildren().find((n) => n.kind === 'comparisons')!;
    const nodeC = a.tree.getChildren(cmp).find((n) => n.kind === 'comparison' && n.session === viewC.session);
    assert.ok(nodeC, 'comparison C is in the tree');
    await vscode.commands.executeCommand('stThink.openComparison', nodeC);
    assert.equal(a.comparisons.active, viewC.session);
    viewB.panel.reveal(undefined, false);
    await waitFor('comparison B in focus', () => viewB.panel.active);
    await vscode.commands.executeCommand('stThink.nextFlip');
    const panel = await waitFor('the pair view', () => [...a.tracePanels].find((p) => p.lastPair));
    assert.equal(panel.lastPair!.b.file, runB, 'Next Flip steps through the comparison in focus');
    assert.equal(panel.lastPair!.a.id, idB);
    // The tab title is readable: the record id and its direction.
    assert.equal(panel.panel.title, `◇ Diff: ${idB} · ${panel.lastPair!.a.direction}`);

    // The trace view's counter counts within the record's file, not across the three open files.
    const file = a.store.list.find((f) => f.path === runC)!;
    const order = a.tree.treeOrder().filter((o) => o.file === file);
    assert.equal(order.length, 126);
    assert.ok(a.tree.treeOrder().length >= 3 * 126, 'three files are open');
    await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(file, order[4].entry));
    const single = await waitFor('the single trace', () => [...a.tracePanels].find((p) => p.target?.entry === order[4].entry));
    const pos = await waitFor('the counter', () => single.lastPosition);
    assert.deepEqual(pos, { index: 4, total: 126 });
    assert.equal(single.panel.title, `◇ Trace: ${order[4].entry.id} · ${order[4].entry.direction}`);
  });

  it('says clearly when a file is not a results file', async () => {
    const dir = tmpDir();
    const bin = path.join(dir, 'image.json');
    fs.writeFileSync(bin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(bin));
    const file = a.store.list[0];
    assert.equal(file.state.kind, 'failed');
    assert.match((file.state as { message: string }).message, /image\.json: not a results file: binary content/);
    const msg = a.tree.getChildren(a.tree.getChildren()[0]);
    assert.match(labelOf(a, msg[0]), /not a results file/);
  });
});
