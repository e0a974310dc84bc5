/**
 * The route judge in a real extension host, against a chat-completions server of the test's own on
 * 127.0.0.1 (nothing real can be reached offline): judging the filtered records, cancel and resume
 * (nothing judged twice), attaching an upstream judge output, the tree's totals and the trace view.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunsJudgeComparison } from '../../src/core/judge/compareRuns';
import type { JudgeRunResult } from '../../src/core/judge/run';
import { readJudgments } from '../../src/core/judge/store';
import type { StThinkApi } from '../../src/extension/extension';
import { startChatServer, type ChatServer } from '../support/chatServer';
import { api, repo, waitFor } from './helpers';

const REPLY = "{'direction': 4, 'landmark': 3, 'semantic and logic': 5}";
const REPLY_FIVES = "{'direction': 5, 'landmark': 5, 'semantic and logic': 5}";

describe('Route judge in a real extension host', function () {
  let a: StThinkApi;
  let server: ChatServer;
  let dir = '';
  let results = '';
  const config = () => vscode.workspace.getConfiguration('stThink');

  before(async () => {
    a = await api();
    server = await startChatServer(() => ({ content: REPLY }));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-judge-it-'));
    results = path.join(dir, 'route-qa.json');
    fs.copyFileSync(path.join(repo, 'samples/route-qa-demo.json'), results);
    await config().update('judge.baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await config().update('judge.model', 'it-judge', vscode.ConfigurationTarget.Global);
    await config().update('judge.concurrency', 2, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('stThink.setJudgeApiKey', 'sk-it');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('stThink.clearFilter');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    for (const f of a.store.list) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: f });
    for (const k of ['judge.baseUrl', 'judge.model', 'judge.concurrency'])
      await config().update(k, undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('stThink.setJudgeApiKey', '');
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const judgments = () => readJudgments(path.join(dir, 'route-qa.judgments.jsonl'));

  it('judges the filtered records (forward only): prompts sent with the key, totals in the tree; the results file untouched', async () => {
    const before = fs.readFileSync(results);
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(results));
    const file = a.store.list.find((f) => f.path === results)!;
    assert.equal(file.state.kind, 'ready');
    await vscode.commands.executeCommand('stThink.setFilter', { directions: ['forward'] });
    assert.equal(file.visible.length, 3);
    server.requests.length = 0;
    const r = (await vscode.commands.executeCommand('stThink.judgeRoutes', { file }, { confirm: false })) as JudgeRunResult;
    assert.deepEqual([r.judged, r.skipped, r.failed, r.cancelled], [2, 1, 0, false]);
    assert.equal(server.requests.length, 2);
    for (const q of server.requests) {
      assert.equal(q.headers.authorization, 'Bearer sk-it');
      assert.equal(q.body.model, 'it-judge');
      assert.match(
        String(q.body.messages?.[1]?.content),
        /^Please evaluate the following video navigation task \(Forward: from point A to point B\)/,
      );
    }
    assert.deepEqual(fs.readFileSync(results), before, 'the results file is unchanged');
    const j = a.judge.judgmentOf(file, '0_route_001');
    assert.equal(j?.total, 4);
    assert.equal(j?.model, 'it-judge');
    // The tree: the record row shows its total, the route bucket the mean.
    const fileNode = a.tree.getChildren(undefined).find((n) => n.kind === 'file' && n.file === file)!;
    const bucket = a.tree.getChildren(fileNode).find((n) => n.kind === 'category' && n.category === 'route')!;
    assert.match(String(a.tree.getTreeItem(bucket).description), /judge 4\.00 \(2 judged\)/);
    const node = a.tree.recordNode(
      file,
      file.index!.entries.find((e) => e.id === '0_route_001')!,
    );
    assert.ok(node, 'the record is in the tree');
    const item = a.tree.getTreeItem(node);
    assert.match(String(item.description), /judge 4\.00\/5/);
  });

  it('cancel, then resume: every record judged once in all', async () => {
    const file = a.store.list.find((f) => f.path === results)!;
    server.setHandler(async () => {
      await new Promise((r) => setTimeout(r, 1500));
      return { content: REPLY };
    });
    server.requests.length = 0;
    const run = vscode.commands.executeCommand('stThink.judgeRoutes', { file }, { confirm: false }) as Thenable<JudgeRunResult>;
    await waitFor('a request to the judge', () => server.requests.length > 0 && a.judge.running);
    a.judge.running!.abort();
    const first = await run;
    assert.equal(first.cancelled, true);
    assert.equal(first.judged, 0, 'a cancelled call records nothing');
    assert.equal((await judgments()).length, 2);
    server.setHandler(() => ({ content: REPLY }));
    const second = (await vscode.commands.executeCommand('stThink.judgeRoutes', { file }, { confirm: false })) as JudgeRunResult;
    // The three reverse answers now; the two forward ones judged before; the empty prediction skipped.
    assert.deepEqual([second.judged, second.reused, second.skipped], [3, 2, 1]);
    const all = await judgments();
    assert.equal(all.length, 5);
    assert.equal(new Set(all.map((x) => x.record)).size, 5, 'no record judged twice');
  });

  it('shows a judged route record in the trace view: both routes, the parts and the raw reply', async () => {
    const file = a.store.list.find((f) => f.path === results)!;
    const entry = file.index!.entries.find((e) => e.id === '1_route_001')!;
    await vscode.commands.executeCommand('stThink.showRecord', a.tree.recordNode(file, entry));
    const panel = await waitFor('the trace view', () => [...a.tracePanels].find((p) => p.target?.entry === entry));
    const route = await waitFor('the route section', () => panel.lastRecord?.route?.judge && panel.lastRecord.route);
    assert.match(route.reference, /^Turn around at the bookshelf/);
    assert.ok(route.ops.some((o) => o.op === 'insert'));
    assert.deepEqual(route.judge!.parts, { direction: 4, landmark: 3, semantic: 5 });
    assert.equal(route.judge!.reply, REPLY);
  });

  it('attaches an upstream judge output by sample key and says how many did not match', async () => {
    const file = a.store.list.find((f) => f.path === results)!;
    const evalFile = path.join(dir, 'eval.json');
    const evaluations = {
      '0_route_001': { direction: 1, landmark: 2, 'semantic and logic': 3, total: 2.0 },
      '1_route_002': { direction: 0, landmark: 0, semantic: 0, total: 0.0 },
      elsewhere: { total: 0.0 },
    };
    fs.writeFileSync(evalFile, JSON.stringify({ evaluations, average_total_score: 0.6666666666666666 }));
    const r = await vscode.commands.executeCommand('stThink.attachJudgeFile', { file }, evalFile);
    assert.deepEqual(r, { matched: 2, unmatched: 1, total: 3 });
    assert.equal(a.judge.judgmentOf(file, '0_route_001')?.total, 2);
    assert.equal(a.judge.judgmentOf(file, '1_route_002')?.status, 'failed');
    assert.equal(a.judge.judgmentOf(file, '1_route_001'), undefined, 'only the attached file counts now');
  });

  it('compares two judged runs: each run per direction (judged, skipped, failed), B − A and Wilcoxon in the comparison view', async () => {
    const fileA = a.store.list.find((f) => f.path === results)!;
    await a.judge.detach(fileA);
    const resultsB = path.join(dir, 'route-qa-b.json');
    fs.copyFileSync(results, resultsB);
    server.setHandler((q) => ({
      content: /Forward:/.test(String(q.body.messages?.[1]?.content))
        ? REPLY_FIVES
        : "{'direction': 2, 'landmark': 2, 'semantic and logic': 2}",
    }));
    await vscode.commands.executeCommand('stThink.compareWith', undefined, [vscode.Uri.file(results), vscode.Uri.file(resultsB)]);
    const panel = await waitFor('the comparison view', () => [...a.comparePanels].find((p) => p.session.b.path === resultsB));
    // B has no judgments yet: A's side only, no pairs.
    let j = await waitFor('the judge part', () => panel.view.judge?.b.notJudged === 5 && panel.view.judge);
    assert.deepEqual([j.a.judged, j.a.skipped, j.b.judged, j.b.notJudged, j.pairs, j.wilcoxon], [5, 1, 0, 5, 0, null]);
    const fileB = a.store.list.find((f) => f.path === resultsB)!;
    await vscode.commands.executeCommand('stThink.judgeRoutes', { file: fileB }, { confirm: false });
    // Judged: the view follows (the judge part is made again).
    j = await waitFor('B judged in the view', () => panel.view.judge?.b.judged === 5 && panel.view.judge);
    const { forward, reverse } = j.byDirection;
    assert.deepEqual([forward.a.judged, forward.a.skipped, forward.a.failed, forward.a.mean], [2, 1, 0, 4]);
    assert.deepEqual([forward.b.mean, forward.pairs, forward.meanDiff], [5, 2, 1]);
    assert.deepEqual([reverse.a.judged, reverse.b.mean, reverse.pairs, reverse.meanDiff], [3, 2, 3, -2]);
    assert.equal(j.pairs, 5);
    assert.equal(j.meanDiff, (1 + 1 - 2 - 2 - 2) / 5);
    // Differences +1 +1 −2 −2 −2 (ties): scipy's permutation test over the 2^5 sign flips.
    assert.equal(j.wilcoxon?.method, 'permutation');
    assert.equal(j.wilcoxon?.statistic, 3);
    assert.equal(j.wilcoxon?.pvalue, 0.25);
    // Exported with the comparison (Markdown: the judge tables after the accuracy tables).
    const md = path.join(dir, 'comparison.md');
    await vscode.commands.executeCommand('stThink.exportComparison', undefined, md);
    assert.match(
      fs.readFileSync(md, 'utf8'),
      /\n\| both \| 5 \| 1 \| 0 \| 0 \| 4 \| 5 \| 1 \| 0 \| 0 \| 3\.2 \| 5 \| 4 \| 3\.2 \| -0\.8 \| 3 \| 0\.25 \| permutation \|\n/,
    );
  });

  it('Judge Agreement: two judge models of the same answers, per part, exported', async () => {
    const file = a.store.list.find((f) => f.path === results)!;
    await config().update('judge.model', 'it-judge-2', vscode.ConfigurationTarget.Global);
    server.setHandler(() => ({ content: "{'direction': 4, 'landmark': 2, 'semantic and logic': 5,}" }));
    const r = (await vscode.commands.executeCommand('stThink.judgeRoutes', { file }, { confirm: false })) as JudgeRunResult;
    assert.equal(r.judged, 5, 'another model: judged again');
    const view = (await vscode.commands.executeCommand('stThink.judgeAgreement', { file }, 'it-judge', 'it-judge-2')) as {
      a: string;
      b: string;
      judge: RunsJudgeComparison;
    };
    assert.deepEqual([view.a, view.b], ['it-judge', 'it-judge-2']);
    const g = view.judge.agreement;
    assert.equal(view.judge.pairs, 5);
    assert.deepEqual([g.direction.exactMatch, g.direction.meanAbsDiff, g.direction.kappa], [1, 0, null]);
    assert.deepEqual([g.landmark.exactMatch, g.landmark.meanAbsDiff, g.landmark.kappa], [0, 1, 0]);
    assert.deepEqual([g.semantic.exactMatch, g.semantic.kappaN], [1, 5]);
    const csv = path.join(dir, 'agreement.csv');
    assert.equal(await vscode.commands.executeCommand('stThink.exportJudgeAgreement', undefined, csv), csv);
    const lines = fs.readFileSync(csv, 'utf8').trim().split(/\r?\n/);
    assert.deepEqual(lines, [
      'part,pairs,exact match,mean |difference|,quadratic kappa,pairs in kappa',
      'direction,5,1,0,,5',
      'landmark,5,0,1,0,5',
      'semantic and logic,5,1,0,,5',
    ]);
    // An upstream judge output against a model: paired by sample key (its failed call left out).
    const evalFile = path.join(dir, 'eval.json');
    const up = (await vscode.commands.executeCommand('stThink.judgeAgreement', { file }, 'it-judge', evalFile)) as typeof view;
    assert.deepEqual([up.b, up.judge.pairs, up.judge.onlyA, up.judge.agreement.landmark.meanAbsDiff], ['eval.json', 1, 4, 1]);
    assert.ok([...a.agreementPanels].length >= 2, 'each shown in the judge agreement view');
  });

  it('a 401 stops the run at once: said with the key to check, nothing recorded, the rest not sent', async () => {
    const file = a.store.list.find((f) => f.path === results)!;
    await config().update('judge.model', 'it-judge-3', vscode.ConfigurationTarget.Global);
    server.setHandler(() => ({ status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided' } }) }));
    server.requests.length = 0;
    const before = (await judgments()).length;
    const r = (await vscode.commands.executeCommand('stThink.judgeRoutes', { file }, { confirm: false })) as JudgeRunResult & {
      refusal?: Error;
    };
    assert.match(String(r.refusal?.message), /HTTP 401.*Incorrect API key provided \(check the API key\)/);
    assert.deepEqual([r.judged, r.failed, r.cancelled], [0, 0, true]);
    assert.ok(server.requests.length <= 2, `${server.requests.length} calls: at most the concurrency's first ones`);
    assert.equal((await judgments()).length, before, 'nothing recorded');
  });

  it('opening an upstream judge output beside its results file attaches it instead of opening it', async () => {
    const fileB = a.store.list.find((f) => f.path.endsWith('route-qa-b.json'));
    if (fileB) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: fileB });
    const file = a.store.list.find((f) => f.path === results)!;
    const evalFile = path.join(dir, 'eval.json');
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(evalFile));
    assert.equal(a.judge.attachedFile(file), evalFile);
    assert.ok(!a.store.list.some((f) => f.path === evalFile), 'not opened as a results file');
    assert.equal(a.judge.judgmentOf(file, '0_route_001')?.total, 2);
    assert.equal(a.judge.judgmentOf(file, '1_route_002')?.status, 'failed');
  });
});
