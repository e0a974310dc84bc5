/**
 * The served provider (an OpenAI-compatible server) against the local test server: the exact
 * messages, prefix, frames and settings sent; streaming, Stop, failures on cue; the same canonical
 * records as local re-runs; and `st-think rerun` (concurrency, resume, whole lines).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResultsIndex } from '../../src/core/index';
import { buildPrompt } from '../../src/core/model/prompt';
import { rerunKeys, RerunWriter, runAndSave, type RerunContext } from '../../src/core/model/reruns';
import { resolveGeneration } from '../../src/core/model/sampling';
import { FrameUrl, FrameUrlCache, SERVED_INPUT_PATH, ServedRerunner, servedBody, servedMessages } from '../../src/core/model/served';
import { normalise } from '../../src/core/normalize';
import { encodeBody, type ChatContentPart, type ChatRequest } from '../../src/core/http/chat';
import { progressLine, rerunOptions, runBatch } from '../../src/cli/rerun';
import { continuationProblem, startChatServer, type ChatServer, type ReceivedRequest } from '../support/chatServer';
import { landmarkRecord, makeTempDir, removeDir } from './helpers';

const tmp = makeTempDir('st-served-');
let server: ChatServer;
const frames: string[] = [];
const record = (() => {
  const n = normalise(JSON.parse(landmarkRecord('r1', { video: 'clip.mp4' })), { line: 1 });
  if (!n.ok) throw new Error(n.error);
  return n.record;
})();
const generation = resolveGeneration({ maxNewTokens: 64 }, undefined, undefined);
const ANSWER = '<think>I walked past the door.</think><answer>A</answer>';

/** Answers as vLLM would: 400 to continuation fields it would refuse, else the text. */
function vllmLike(text: string) {
  return (r: ReceivedRequest) => {
    const bad = continuationProblem(r.body);
    return bad
      ? { status: 400, body: JSON.stringify({ error: { message: bad } }) }
      : { content: text, usage: { prompt_tokens: 900, completion_tokens: 12 } };
  };
}

function served(extra: Partial<ConstructorParameters<typeof ServedRerunner>[0]['client']> = {}) {
  return new ServedRerunner({
    baseUrl: server.baseUrl,
    model: 'st-r1',
    apiKey: 'k-test',
    concurrency: 4,
    client: { backoffMs: 5, ...extra },
  });
}

function context(mode: 'forward' | 'reverse', r: ServedRerunner): RerunContext {
  return {
    source: record,
    sourceFile: path.join(tmp, 'results.jsonl'),
    mode,
    prompt: buildPrompt(record, mode),
    frames: { sampler: 'qwen2vl', indices: [0, 1, 2, 3], width: 56, height: 56, video: 'clip.mp4' },
    model: { path: r.model.dir, name: r.model.name, dtype: r.model.dtype },
    provider: 'openai',
    generation: generation.settings,
  };
}

before(async () => {
  server = await startChatServer(vllmLike(ANSWER));
  const made = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=64x48:rate=4',
    '-frames:v',
    '4',
    path.join(tmp, 'f%d.jpg'),
  ]);
  assert.equal(made.status, 0, String(made.stderr));
  for (let i = 1; i <= 4; i++) frames.push(path.join(tmp, `f${i}.jpg`));
  fs.writeFileSync(path.join(tmp, 'f5.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
});
after(async () => {
  await server?.close();
  removeDir(tmp);
});

describe('served provider', () => {
  test('forward: system, the frames as data: URLs in order then the user text, no assistant turn; settings; streamed', async () => {
    server.requests.length = 0;
    server.setHandler(vllmLike(ANSWER));
    const r = served();
    const pieces: string[] = [];
    const prompt = buildPrompt(record, 'forward');
    const out = await r.run({
      frames: [...frames, path.join(tmp, 'f5.png')].map((file) => ({ file })),
      size: { width: 56, height: 56 },
      prompt,
      generation: generation.settings,
      onText: (t) => pieces.push(t),
    });
    assert.equal(server.requests.length, 1);
    const b = server.requests[0].body;
    assert.equal(server.requests[0].headers.authorization, 'Bearer k-test');
    assert.equal(b.model, 'st-r1');
    assert.equal(b.stream, true);
    const msgs = b.messages as { role: string; content: unknown }[];
    assert.deepEqual(
      msgs.map((m) => m.role),
      ['system', 'user'],
    );
    assert.equal(msgs[0].content, prompt.system);
    const parts = msgs[1].content as { type: string; image_url?: { url: string }; text?: string }[];
    assert.equal(parts.length, 6);
    frames.forEach((f, i) => assert.equal(parts[i].image_url!.url, `data:image/jpeg;base64,${fs.readFileSync(f).toString('base64')}`));
    assert.match(parts[4].image_url!.url, /^data:image\/png;base64,/);
    assert.deepEqual(parts[5], { type: 'text', text: prompt.user });
    assert.equal(b.max_tokens, 64);
    assert.equal(b.temperature, 0);
    assert.equal(b.continue_final_message, undefined);
    assert.equal(b.add_generation_prompt, undefined);
    assert.ok(pieces.length > 1, 'streamed in pieces');
    assert.equal(pieces.join(''), ANSWER);
    assert.equal(out.response, ANSWER);
    assert.equal(out.stopped, 'eos');
    assert.equal(out.inputPath, SERVED_INPUT_PATH);
    assert.equal(out.timings.newTokens, 12, 'the usage the server reported');
    assert.equal(out.promptTokens, 900);
  });

  test('reverse: the prefix as a final assistant message continued (continue_final_message, no generation prompt)', async () => {
    server.requests.length = 0;
    const r = served();
    const prompt = buildPrompt(record, 'reverse');
    assert.ok(prompt.assistantPrefix.length > 0);
    const out = await r.run({
      frames: frames.map((file) => ({ file })),
      size: { width: 56, height: 56 },
      prompt,
      generation: generation.settings,
    });
    const b = server.requests[0].body;
    const msgs = b.messages as { role: string; content: unknown }[];
    assert.deepEqual(msgs[msgs.length - 1], { role: 'assistant', content: prompt.assistantPrefix });
    assert.equal(b.continue_final_message, true);
    assert.equal(b.add_generation_prompt, false);
    assert.equal(out.response, prompt.assistantPrefix + ANSWER);
    assert.equal(
      continuationProblem({ ...b, add_generation_prompt: true }),
      'continue_final_message and add_generation_prompt cannot both be true',
    );
  });

  test('sampling settings: top_k and repetition_penalty sent only where set', () => {
    const g = { ...generation.settings, doSample: true, temperature: 0.7, topP: 0.9, topK: 20, repetitionPenalty: 1.05 };
    const b = servedBody(g, false);
    assert.equal(b.temperature, 0.7);
    assert.equal(b.top_p, 0.9);
    assert.equal(b.top_k, 20);
    assert.equal(b.repetition_penalty, 1.05);
    assert.equal(servedBody(generation.settings, false).top_k, undefined);
    assert.equal(servedBody(generation.settings, false).repetition_penalty, undefined);
  });

  test('429 with Retry-After, 500 and a dropped stream are retried; the text is the last attempt’s only', async () => {
    server.requests.length = 0;
    server.setHandler((req, n) =>
      n === 1
        ? { status: 429, headers: { 'retry-after': '0' } }
        : n === 2
          ? { status: 500 }
          : n === 3
            ? { content: ANSWER, dropAfterChunks: 2, chunkDelayMs: 20 } // two pieces arrive, then the connection drops
            : vllmLike(ANSWER)(req),
    );
    // What the consumer shows: the pieces since its last reset (each token once, not the dropped attempt's again).
    let shown: string[] = [];
    let resets = 0;
    const out = await served().run({
      frames: frames.map((file) => ({ file })),
      size: { width: 56, height: 56 },
      prompt: buildPrompt(record, 'forward'),
      generation: generation.settings,
      onText: (t) => shown.push(t),
      onReset: () => {
        resets++;
        shown = [];
      },
    });
    assert.equal(server.requests.length, 4);
    assert.equal(out.response, ANSWER);
    assert.equal(out.generated, ANSWER);
    assert.equal(resets, 1, 'one reset: after the dropped stream (the 429 and the 500 streamed nothing)');
    assert.equal(shown.join(''), ANSWER, 'the text shown is the last attempt\u2019s, each piece once');
    server.setHandler(vllmLike(ANSWER));
  });

  test('Stop: slow tokens, abort mid-stream → cancelled, and runAndSave writes nothing', async () => {
    server.setHandler(() => ({ content: ANSWER, chunkDelayMs: 40, chunkSize: 2 }));
    const r = served();
    const ctl = new AbortController();
    const outFile = path.join(tmp, 'stop.reruns.jsonl');
    const res = await runAndSave(r, {
      ...context('forward', r),
      frameFiles: frames,
      outFile,
      signal: ctl.signal,
      onText: (_t, n) => n === 3 && ctl.abort(),
    });
    assert.equal(res.output.stopped, 'cancelled');
    assert.equal(res.record, undefined);
    assert.equal(fs.existsSync(outFile), false);
    server.setHandler(vllmLike(ANSWER));
  });

  test('finish_reason length → stopped "length"; saved as the canonical re-run record', async () => {
    server.setHandler(() => ({ content: 'abc', finishReason: 'length' }));
    const r = served();
    const outFile = path.join(tmp, 'one.reruns.jsonl');
    const res = await runAndSave(r, { ...context('forward', r), frameFiles: frames, outFile });
    assert.equal(res.output.stopped, 'length');
    type Saved = {
      provider: string;
      frames: { inputPath: string };
      model: { path: string };
      id: string;
      response: string;
      prompt: { input: string };
    };
    const saved = JSON.parse(fs.readFileSync(outFile, 'utf8').trim()) as Saved;
    assert.equal(saved.provider, 'openai');
    assert.equal(saved.frames.inputPath, SERVED_INPUT_PATH);
    assert.equal(saved.model.path, `${server.baseUrl}/chat/completions`);
    assert.match(saved.id, /^r1~forward~[0-9a-f]{8}$/);
    assert.equal(saved.response, 'abc');
    assert.match(saved.prompt.input, /"continue_final_message"|"max_tokens":64/);
    assert.doesNotMatch(saved.prompt.input, /base64,[A-Za-z0-9+/]{40}/, 'the frames are not copied into the record');
    server.setHandler(vllmLike(ANSWER));
  });
});

describe('client overhead: frames cached, one writer', () => {
  test('frame data URLs: read once for forward and reverse; a rewritten file is read again; least recently used dropped', async () => {
    const dir = path.join(tmp, 'cache-test');
    fs.mkdirSync(dir);
    const files = frames.map((f, i) => {
      const to = path.join(dir, `c${i}.jpg`);
      fs.copyFileSync(f, to);
      return to;
    });
    server.requests.length = 0;
    server.setHandler(vllmLike(ANSWER));
    const r = served();
    for (const mode of ['forward', 'reverse'] as const)
      await r.run({
        frames: files.map((file) => ({ file })),
        size: { width: 56, height: 56 },
        prompt: buildPrompt(record, mode),
        generation: generation.settings,
      });
    assert.deepEqual([r.frames.misses, r.frames.hits], [4, 4]);
    const urls = (q: ReceivedRequest) =>
      (q.body.messages![1].content as { image_url?: { url: string } }[]).flatMap((p) => p.image_url?.url ?? []);
    assert.deepEqual(urls(server.requests[1]), urls(server.requests[0]), 'the same frames sent both times');
    // The file changes (other bytes, another size): read again, and sent as it is now.
    fs.copyFileSync(frames[3], files[0]);
    const got = await r.frames.get(files[0]);
    assert.equal(r.frames.misses, 5);
    assert.equal(got.url, `data:image/jpeg;base64,${fs.readFileSync(frames[3]).toString('base64')}`);
    // At most maxEntries kept, the least recently used dropped first.
    const small = new FrameUrlCache(2);
    await small.get(files[1]);
    await small.get(files[2]);
    await small.get(files[1]); // now the most recent
    await small.get(files[3]); // drops files[2]
    assert.equal(small.size, 2);
    await small.get(files[1]);
    assert.equal(small.hits, 2);
    await small.get(files[2]);
    assert.equal(small.misses, 4, 'files[2] was dropped and is read again');
  });

  test('a frame kept as the JSON bytes of its part: the same part and data URL as made from the file, the URL shown by its head', () => {
    const bytes = fs.readFileSync(frames[0]);
    const url = `data:image/jpeg;base64,${bytes.toString('base64')}`;
    const f = FrameUrl.of(bytes, 'image/jpeg');
    assert.deepEqual(JSON.parse(f.encoded.toString('latin1')), { type: 'image_url', image_url: { url } });
    assert.equal(f.url, url);
    assert.equal(f.head, url.slice(0, 22));
    assert.equal(f.bytes, bytes.length);
    const [, user] = servedMessages(buildPrompt(record, 'forward'), [f]);
    const part = (user.content as ChatContentPart[])[0];
    assert.equal(
      JSON.stringify(part.type === 'image_url' && part.image_url),
      JSON.stringify({ url }),
      'serialised, the part holds the URL',
    );
  });

  test('the request body: the same JSON as the request serialised whole; a frame kept encoded is sent as those bytes', () => {
    const url = `data:image/jpeg;base64,${fs.readFileSync(frames[0]).toString('base64')}`;
    const encoded = Buffer.from(JSON.stringify({ type: 'image_url', image_url: { url } }));
    const req: ChatRequest = {
      model: 'st-r1',
      messages: [
        { role: 'system', content: 'You are "helpful".\n' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url }, encoded },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'text', text: 'Which way? é ✓' },
          ],
        },
        { role: 'assistant', content: '<think>Let’s' },
      ],
      extra: { max_tokens: 8, continue_final_message: true, model: 'ignored', messages: 'ignored' },
    };
    const pieces = encodeBody(req, true);
    assert.ok(pieces.includes(encoded), 'the kept bytes themselves, not a copy');
    const parsed = JSON.parse(Buffer.concat(pieces).toString('utf8')) as Record<string, unknown>;
    const plain = { max_tokens: 8, continue_final_message: true, model: 'st-r1', stream: true, messages: req.messages };
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(plain, (k, v) => (k === 'encoded' ? undefined : v))));
    assert.equal(JSON.parse(Buffer.concat(encodeBody({ model: 'm', messages: [] }, false)).toString()).stream, undefined);
  });

  test('one writer: records finishing together go out in one write, every line whole, in the order handed in', async () => {
    const out = path.join(tmp, 'writer.reruns.jsonl');
    const w = new RerunWriter(out, { protect: [path.join(tmp, 'results.jsonl')] });
    let writes = 0;
    const counting = new RerunWriter(out, {
      write: async (h, d) => {
        writes++;
        return (await h.write(d, 0, d.length)).bytesWritten;
      },
    });
    await Promise.all(Array.from({ length: 20 }, (_, i) => counting.append({ n: i, text: 'x'.repeat(i * 100) })));
    assert.equal(writes, 1, 'twenty records, one write');
    await Promise.all(Array.from({ length: 5 }, (_, i) => w.append({ n: 20 + i })));
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { n: number }).n),
      Array.from({ length: 25 }, (_, i) => i),
    );
    // A write that fails rejects every record in it and leaves the file as it was.
    const before = fs.readFileSync(out);
    const failing = new RerunWriter(out, { write: async () => 3 });
    const results = await Promise.allSettled([failing.append({ a: 1 }), failing.append({ a: 2 })]);
    assert.deepEqual(
      results.map((x) => x.status),
      ['rejected', 'rejected'],
    );
    assert.deepEqual(fs.readFileSync(out), before);
    // Never through a link: a planted re-runs file linking to the results file is refused, the results file untouched.
    const linked = path.join(tmp, 'linked.jsonl');
    fs.writeFileSync(linked, '{}\n');
    fs.symlinkSync(linked, path.join(tmp, 'linked.reruns.jsonl'));
    await assert.rejects(new RerunWriter(path.join(tmp, 'linked.reruns.jsonl'), { protect: [linked] }).append({}), /symbolic link/);
    assert.equal(fs.readFileSync(linked, 'utf8'), '{}\n');
  });
});

describe('st-think rerun (batch)', () => {
  let results: string;
  before(() => {
    const dir = path.join(tmp, 'batch');
    fs.mkdirSync(dir);
    const made = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x48:rate=4',
      '-t',
      '4',
      path.join(dir, 'clip.mp4'),
    ]);
    assert.equal(made.status, 0, String(made.stderr));
    results = path.join(dir, 'results.jsonl');
    const rows = Array.from({ length: 12 }, (_, i) => landmarkRecord(`q${i}`, { video: 'clip.mp4' }));
    fs.writeFileSync(results, rows.join('\n') + '\n');
  });

  test('options: provider, modes, defaults and refusals', () => {
    const o = rerunOptions([results, '--model', 'm', '--mode', 'both', '--concurrency', '3'], {});
    assert.equal(o.provider, 'openai');
    assert.deepEqual(o.modes, ['forward', 'reverse']);
    assert.equal(o.concurrency, 3);
    assert.equal(rerunOptions([results, '--model-path', '/x'], {}).provider, 'onnx');
    assert.throws(() => rerunOptions([results], {}), /--model NAME/);
    assert.throws(() => rerunOptions([results, '--provider', 'onnx'], {}), /--model-path/);
    assert.throws(() => rerunOptions([results, '--model', 'm', '--mode', 'sideways'], {}), /--mode/);
  });

  test('many at once up to the limit; every line whole; a second run resumes without repeating', async () => {
    let inFlight = 0;
    let most = 0;
    server.setHandler(async (req) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      return vllmLike(ANSWER)(req);
    });
    const o = rerunOptions([results, '--model', 'st-r1', '--base-url', server.baseUrl, '--mode', 'both', '--concurrency', '4'], {});
    o.cacheDir = path.join(tmp, 'cache');
    const index = await ResultsIndex.build(results);
    const r = new ServedRerunner({ baseUrl: server.baseUrl, model: 'st-r1', concurrency: 4 });
    const ctl = new AbortController();
    // Cancel after 5 runs: the first pass stops part way.
    const first = await runBatch(o, r, index, ctl.signal, (p) => p.done >= 5 && ctl.abort());
    assert.ok(first.progress.done >= 5 && first.progress.done < 24, `done ${first.progress.done}`);
    assert.ok(most <= 4 && most >= 2, `in flight at most ${most}`);
    const afterFirst = (await rerunKeys(first.outFile)).size;
    assert.equal(afterFirst, first.progress.done);
    server.requests.length = 0;
    const second = await runBatch(o, r, index, new AbortController().signal);
    assert.equal(second.progress.skipped, afterFirst);
    assert.equal(second.progress.done, 24 - afterFirst);
    assert.equal(server.requests.length, 24 - afterFirst, 'no finished run sent again');
    const lines = fs.readFileSync(first.outFile, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 24);
    for (const l of lines) assert.equal((JSON.parse(l) as { provider: string }).provider, 'openai');
    assert.equal(new Set(lines.map((l) => (JSON.parse(l) as { meta: { rerunKey: string } }).meta.rerunKey)).size, 24);
    server.setHandler(vllmLike(ANSWER));
  });

  test('the CLI: st-think rerun --json, the key from OPENAI_API_KEY, a failing server → exit 1 with the record named', async () => {
    const cli = path.resolve(__dirname, '../../../dist/cli.js');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, 'rerun', results, ...args], { env: { ...process.env, OPENAI_API_KEY: 'k-env' } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    server.requests.length = 0;
    server.setHandler(vllmLike(ANSWER));
    const common = ['--base-url', server.baseUrl, '--model', 'st-r1', '--line', '3', '--cache-dir', path.join(tmp, 'cache'), '--json'];
    const ok = await run([...common, '--max-new-tokens', '32']);
    assert.equal(ok.code, 0, ok.stderr);
    const sum = JSON.parse(ok.stdout) as { done: number; total: number; provider: string };
    assert.deepEqual([sum.total, sum.done, sum.provider], [1, 1, 'openai']);
    assert.equal(server.requests[0].headers.authorization, 'Bearer k-env');
    assert.equal(server.requests[0].body.max_tokens, 32);
    assert.match(ok.stderr, /records\/min .* tokens\/s · ETA/);
    server.setHandler(() => ({ status: 404 }));
    const bad = await run([...common, '--max-new-tokens', '33']);
    assert.equal(bad.code, 1);
    assert.match((JSON.parse(bad.stdout) as { failures: string[] }).failures[0], /:3 \(q2, forward\): .*HTTP 404.*check the base URL/);
    server.setHandler(vllmLike(ANSWER));
  });

  test('progress line: records/min, tokens/s, ETA', () => {
    const line = progressLine({ total: 10, done: 4, skipped: 1, failed: 0, tokens: 600, startedAt: 0 }, 60_000);
    assert.equal(line, '5/10: 4 done, 1 skipped, 0 failed · 4.0 records/min · 10 tokens/s · ETA 1m15s');
  });
});
