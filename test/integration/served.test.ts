/**
 * Served re-runs in a real extension host: Re-run Question… and Re-run Filtered Records… through the
 * OpenAI-compatible provider (stThink.rerun.provider = openai) against a chat-completions server of
 * the test's own on 127.0.0.1 (nothing real can be served offline). What the server received is
 * checked (the prompt, the frames the trace view shows, the reverse prefix as a continued final
 * assistant message, the key), and so are the saved records, streaming, Stop, a retried stream,
 * errors, and a batch's concurrency, cancel and resume.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extractFrames, findFfmpeg } from '../../src/core/frames/extract';
import { frameParams } from '../../src/core/frames/presets';
import type { StThinkApi } from '../../src/extension/extension';
import type { Tally } from '../../src/extension/rerun';
import type { TracePanel } from '../../src/extension/tracePanel';
import { continuationProblem, startChatServer, type ChatServer, type ReceivedRequest, type Reply } from '../support/chatServer';
import { api, makeTestVideo, repo, waitFor } from './helpers';

const ANSWER = '<think>I walked down the road and turned right at the end.</think><answer>A</answer>';

/** Answers as vLLM would: 400 to continuation fields it would refuse, else `reply`. */
function vllmLike(reply: Partial<Extract<Reply, { content: string | null }>> = {}) {
  return (r: ReceivedRequest): Reply => {
    const bad = continuationProblem(r.body);
    if (bad) return { status: 400, body: JSON.stringify({ error: { message: bad } }) };
    return { content: ANSWER, chunkSize: 3, usage: { prompt_tokens: 800, completion_tokens: 20 }, ...reply };
  };
}

type Part = { type: string; text?: string; image_url?: { url: string } };
const partsOf = (q: ReceivedRequest) => q.body.messages![1].content as Part[];

describe('Served re-runs in a real extension host', function () {
  this.timeout(120_000);
  let a: StThinkApi;
  let server: ChatServer;
  let dir = '';
  let results = '';
  let video = '';
  const out = () => path.join(dir, 'run.reruns.jsonl');
  const cfg = () => vscode.workspace.getConfiguration('stThink');
  const set = (k: string, v: unknown) => cfg().update(k, v, vscode.ConfigurationTarget.Global);
  const lines = () =>
    fs.existsSync(out())
      ? fs
          .readFileSync(out(), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, any>) // eslint-disable-line @typescript-eslint/no-explicit-any
      : [];
  const SETTINGS = [
    'videoRoots',
    'rerun.provider',
    'served.baseUrl',
    'served.model',
    'served.concurrency',
    'served.timeoutMs',
    'rerun.maxNewTokens',
  ];

  before(async () => {
    a = await api();
    server = await startChatServer(vllmLike());
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-served-it-'));
    fs.mkdirSync(path.join(dir, 'videos', 'r1_video'), { recursive: true });
    video = path.join(dir, 'videos', 'r1_video', 'walk.mp4');
    makeTestVideo(video, '112x84');
    // Three real ST-R1 rows (reverse-direction questions), pointed at the generated video.
    const rows = fs.readFileSync(path.join(repo, '../shared/data/ego-st/r1-test-mcq-126.jsonl'), 'utf8').split('\n').slice(0, 3);
    results = path.join(dir, 'run.jsonl');
    fs.writeFileSync(
      results,
      rows.map((l) => JSON.stringify({ ...JSON.parse(l), video: '/vi-lab/Ego-ST-bench/r1_video/walk.mp4' })).join('\n') + '\n',
    );
    await set('videoRoots', [path.join(dir, 'videos')]);
    await set('rerun.provider', 'openai');
    await set('served.baseUrl', server.baseUrl);
    await set('served.model', 'st-r1-it');
    await set('served.concurrency', 2);
    await set('rerun.maxNewTokens', 32);
    await vscode.commands.executeCommand('stThink.setServedApiKey', 'sk-served');
    await vscode.commands.executeCommand('stThink.openResultsFile', vscode.Uri.file(results));
  });

  afterEach(() => server.setHandler(vllmLike()));

  after(async () => {
    for (const f of a.store.list) await vscode.commands.executeCommand('stThink.closeResultsFile', { file: f });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const k of SETTINGS) await set(k, undefined);
    await vscode.commands.executeCommand('stThink.setServedApiKey', '');
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const file = () => a.store.list.find((f) => f.path === results)!;
  const node = (i: number) => a.tree.recordNode(file(), file().index!.entries[i])!;

  it('Re-run Question (both): the prompt, the frames the trace view shows, the prefix continued; streamed; saved as records', async () => {
    const before = fs.readFileSync(results);
    const panel = (await vscode.commands.executeCommand('stThink.rerunQuestion', node(0), 'both')) as TracePanel;
    const plan = panel.lastRerun!;
    assert.equal(plan.state, 'plan');
    assert.equal(plan.model, 'st-r1-it');
    assert.match(plan.generation ?? '', /^greedy, up to 32 tokens \[setting\] \(sent with each request to the served model\)$/);
    server.requests.length = 0;
    server.setHandler(vllmLike({ chunkDelayMs: 5 }));
    const posts = panel.rerunPosts;
    await a.reruns.start(panel);
    const done = panel.lastRerun!;
    assert.equal(done.state, 'done', done.message);
    assert.equal(done.provider, 'OPENAI');
    assert.equal(done.inputPath, 'openai-chat:images');
    assert.ok(panel.rerunPosts - posts >= 5, `${panel.rerunPosts - posts} states posted while streaming`);

    // What the server received: the key, the model, system + user (8 frames, then the prompt's text).
    assert.equal(server.requests.length, 2);
    const [fwd, rev] = server.requests;
    for (const q of server.requests) {
      assert.equal(q.headers.authorization, 'Bearer sk-served');
      assert.equal(q.body.model, 'st-r1-it');
      assert.equal(q.body.stream, true);
      assert.equal(q.body.max_tokens, 32);
      assert.equal(q.body.temperature, 0);
      assert.equal(q.body.messages![0].role, 'system');
      assert.equal(q.body.messages![0].content, done.runs[0].prompt.system);
    }
    // The frames the trace view shows: the qwen2vl sampler's 8 frames of the video at the inference
    // preset, extracted here on their own and compared byte for byte.
    const { record } = await file().index!.readRecord(file().index!.entries[0]);
    const cache = path.join(dir, 'frames-check');
    const set8 = await extractFrames(video, frameParams(record, 'qwen2vl', 'inference'), { paths: findFfmpeg(), cacheDir: cache });
    const byIndex = new Map(set8.frames.map((f) => [f.index, f.file!]));
    const expected = set8.indices.map((i) => `data:image/jpeg;base64,${fs.readFileSync(byIndex.get(i)!).toString('base64')}`);
    assert.equal(expected.length, 8);
    for (const q of [fwd, rev]) {
      const parts = partsOf(q);
      assert.deepEqual(
        parts.slice(0, 8).map((p) => p.image_url?.url),
        expected,
        'the same 8 frames, in order',
      );
      assert.equal(parts.length, 9);
    }
    assert.deepEqual(partsOf(fwd)[8], { type: 'text', text: done.runs[0].prompt.user });
    // Forward: no assistant turn. Reverse: the prefix as a final assistant message that the server continues.
    assert.deepEqual(
      fwd.body.messages!.map((m) => m.role),
      ['system', 'user'],
    );
    assert.equal(fwd.body.continue_final_message, undefined);
    const prefix = done.runs[1].prompt.assistantPrefix;
    assert.match(prefix, /^<think>Let's start by thinking forward/);
    assert.deepEqual(rev.body.messages![2], { role: 'assistant', content: prefix });
    assert.equal(rev.body.continue_final_message, true);
    assert.equal(rev.body.add_generation_prompt, false);

    // Saved: the canonical re-run records, as the local provider's, in the same re-runs file.
    const saved = lines();
    assert.equal(saved.length, 2);
    assert.deepEqual(
      saved.map((r) => [r.sourceId, r.mode, r.provider, r.frames.inputPath, r.model.name]),
      [
        [record.id, 'forward thinking', 'openai', 'openai-chat:images', 'st-r1-it'],
        [record.id, 'reverse thinking', 'openai', 'openai-chat:images', 'st-r1-it'],
      ],
    );
    assert.equal(saved[0].model.path, `${server.baseUrl}/chat/completions`);
    assert.deepEqual(saved[0].frames.indices, set8.indices);
    assert.equal(saved[0].response, ANSWER);
    assert.equal(saved[1].response, prefix + ANSWER);
    assert.equal(done.runs[1].text, prefix + ANSWER);
    assert.equal(saved[0].timings.newTokens, 20, 'the usage the server reported');
    assert.doesNotMatch(JSON.stringify(saved), /base64,[A-Za-z0-9+/]{40}/, 'no frame data in the records');
    // The forward vs reverse pair opens, as after local re-runs; the results file is untouched.
    await waitFor('the forward vs reverse pair', () => [...a.tracePanels].find((p) => p.lastPair?.title.includes('forward vs reverse')));
    assert.deepEqual(fs.readFileSync(results), before);
  });

  it('a stream that breaks is retried and shown once; Stop ends a run and saves nothing', async () => {
    // The first attempt streams a few pieces, then the connection drops: the view starts over.
    server.requests.length = 0;
    const panel = (await vscode.commands.executeCommand('stThink.rerunQuestion', node(1), 'forward')) as TracePanel;
    server.setHandler((req, n) =>
      n === 1
        ? { content: 'SHOULD-NOT-STAY '.repeat(4), chunkSize: 4, chunkDelayMs: 30, dropAfterChunks: 4 }
        : vllmLike({ chunkDelayMs: 30 })(req),
    );
    const running = a.reruns.start(panel);
    await waitFor('the first attempt streaming', () => panel.lastRerun?.runs[0].text.includes('SHOULD'));
    // While the second attempt streams, the view shows its text only (not the dropped attempt's before it).
    const second = await waitFor('the second attempt streaming', () => {
      const r = panel.lastRerun!.runs[0];
      return r.state === 'running' && r.text.includes('<think>') ? r.text : undefined;
    });
    assert.ok(ANSWER.startsWith(second), second);
    await running;
    assert.equal(server.requests.length, 2, 'retried once');
    assert.equal(panel.lastRerun!.state, 'done', panel.lastRerun!.message);
    assert.equal(panel.lastRerun!.runs[0].text, ANSWER, 'only the second attempt’s text');
    assert.equal(lines().at(-1)!.response, ANSWER);
    const count = lines().length;

    // Stop: slow tokens; the run stops, says so, writes nothing.
    server.setHandler(vllmLike({ content: 'slow '.repeat(200), chunkSize: 1, chunkDelayMs: 20 }));
    const long = (await vscode.commands.executeCommand('stThink.rerunQuestion', node(2), 'forward')) as TracePanel;
    const stopping = a.reruns.start(long);
    await waitFor('tokens streaming', () => long.lastRerun?.state === 'running' && long.lastRerun.runs[0].text.length > 3);
    await vscode.commands.executeCommand('stThink.stopRerun');
    await stopping;
    assert.equal(long.lastRerun!.state, 'cancelled');
    assert.equal(long.lastRerun!.runs[0].savedTo, undefined);
    assert.equal(lines().length, count);
  });

  it('says what to check: 401 (the key and its command), 404 (the URL and model); a batch stops at the first', async () => {
    server.setHandler(() => ({ status: 401, body: JSON.stringify({ error: { message: 'bad key' } }) }));
    const panel = (await vscode.commands.executeCommand('stThink.rerunQuestion', node(2), 'forward')) as TracePanel;
    await a.reruns.start(panel);
    assert.equal(panel.lastRerun!.state, 'error');
    assert.match(panel.lastRerun!.message ?? '', /HTTP 401.*bad key \(check the API key\).*Set Served Model API Key/);
    server.setHandler(() => ({ status: 404 }));
    await a.reruns.start(panel);
    assert.match(panel.lastRerun!.message ?? '', /HTTP 404.*check the base URL and the model name.*stThink\.served\.model/);
    // A batch meeting a 401 stops instead of sending every record.
    server.setHandler(() => ({ status: 401 }));
    server.requests.length = 0;
    const count = lines().length;
    const tally = (await vscode.commands.executeCommand('stThink.rerunFiltered', { file: file() }, 'both', { confirm: false })) as Tally;
    assert.equal(tally.done, 0);
    assert.ok(tally.failed >= 1 && server.requests.length <= 3, `${tally.failed} failed, ${server.requests.length} sent`);
    assert.equal(tally.cancelled, false);
    assert.equal(lines().length, count);
  });

  it('Re-run Filtered Records: two at once, records/min, tokens/s and ETA; cancel, then resume without repeating', async () => {
    let inFlight = 0;
    let most = 0;
    server.setHandler(async (req) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 400));
      inFlight--;
      return vllmLike()(req);
    });
    server.requests.length = 0;
    const keys = () => new Set(lines().map((r) => r.meta.rerunKey as string));
    const before = keys().size; // q0 forward and reverse, q1 forward: re-run above with these settings
    assert.equal(before, 3);
    const batch = vscode.commands.executeCommand('stThink.rerunFiltered', { file: file() }, 'both', { confirm: false }) as Thenable<Tally>;
    await waitFor('the first batch run saved', () => keys().size > before, 30_000);
    await vscode.commands.executeCommand('stThink.stopRerun');
    const first = await batch;
    assert.equal(first.cancelled, true);
    assert.equal(first.skipped, 3, 'the runs saved by Re-run Question are not sent again');
    assert.ok(first.done >= 1 && first.done < 3, `done ${first.done}`);
    assert.equal(most, 2, 'two requests at once (stThink.served.concurrency)');
    assert.equal(keys().size, before + first.done);

    server.setHandler(vllmLike());
    server.requests.length = 0;
    const second = (await vscode.commands.executeCommand('stThink.rerunFiltered', { file: file() }, 'both', { confirm: false })) as Tally;
    assert.deepEqual(second, { done: 3 - first.done, skipped: 3 + first.done, failed: 0, cancelled: false });
    assert.equal(server.requests.length, 3 - first.done, 'no finished run sent again');
    assert.equal(keys().size, 6, 'every record in both modes, once');
    assert.match(a.reruns.lastBatchProgress ?? '', /^6\/6: \d done, \d skipped, 0 failed · [\d.]+ records\/min · \d+ tokens\/s · ETA/);
    for (const r of lines()) assert.equal(r.provider, 'openai');
  });

  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const bytes = () => (fs.existsSync(out()) ? fs.readFileSync(out()) : Buffer.alloc(0));

  /**
   * Re-run Question (both) of record `i`, its failure already set up: it ends with one error, saying `expected`
   * (the view says it once; the run cut short and the one never started carry none), and writes nothing.
   */
  async function failedRun(i: number, expected: RegExp): Promise<TracePanel> {
    const before = bytes();
    const panel = (await vscode.commands.executeCommand('stThink.rerunQuestion', node(i), 'both')) as TracePanel;
    await a.reruns.start(panel);
    const v = panel.lastRerun!;
    assert.equal(v.state, 'error', v.message);
    assert.match(v.message ?? '', expected);
    assert.deepEqual(
      v.runs.map((r) => [r.state, r.error ?? null, r.savedTo ?? null, r.text]),
      [
        ['error', null, null, ''],
        ['waiting', null, null, ''],
      ],
    );
    assert.deepEqual(bytes(), before, 'the re-runs file is unchanged (no record, no partial line)');
    return panel;
  }

  /** The view stays usable: with the test server's URL and the default timeout back, Run in it re-runs and saves. */
  async function runsAgain(panel: TracePanel) {
    const count = lines().length;
    await set('served.baseUrl', server.baseUrl);
    await set('served.timeoutMs', undefined);
    server.setHandler(vllmLike());
    server.requests.length = 0;
    await a.reruns.start(panel);
    assert.equal(panel.lastRerun!.state, 'done', panel.lastRerun!.message);
    assert.equal(server.requests.length, 2);
    assert.equal(lines().length, count + 2);
  }

  it('a closed port: one error naming the URL and the refused connection; nothing saved; Run again works', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${closed}/v1`;
    await set('served.baseUrl', url);
    const panel = await failedRun(
      0,
      new RegExp(
        `^The served model could not re-run: ${esc(url)}/chat/completions: cannot connect: ` +
          `${esc('connection refused (is the server running, and is this its address?). Check "stThink.served.baseUrl".')}$`,
      ),
    );
    await runsAgain(panel);
  });

  it('no reply within stThink.served.timeoutMs: one error naming the URL and the timeout; nothing saved; Run again works', async () => {
    server.setHandler(() => ({ stall: 'headers' }));
    await set('served.timeoutMs', 1000);
    server.requests.length = 0;
    const t0 = Date.now();
    const panel = await failedRun(
      1,
      new RegExp(
        `^The served model could not re-run: ${esc(server.baseUrl)}/chat/completions: ` +
          esc('no reply within 1000 ms (timeout). The server may be busy: raise "stThink.served.timeoutMs"'),
      ),
    );
    // Retried (timeouts are), each attempt cut at 1 s: the error comes after the retries, not a hang.
    const sent = server.requests.length;
    assert.ok(sent >= 2, `${sent} requests: a timed-out request is retried before the error`);
    assert.ok(Date.now() - t0 >= sent * 1000, `${Date.now() - t0} ms for ${sent} attempts of 1 s`);
    await runsAgain(panel);
  });
});
