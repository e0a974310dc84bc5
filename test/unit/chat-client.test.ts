/**
 * The chat-completions client against a real HTTP server on 127.0.0.1 (test/support/chatServer.ts):
 * JSON and streamed replies, retries on 429 (Retry-After in seconds and as a date) and 500, no
 * retry on 401/404, timeouts of a stalled reply, cancel, connection refused, the concurrency limit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { ChatClient, ChatError, chatCompletionsUrl, parseRetryAfter } from '../../src/core/http/chat';
import { Limiter } from '../../src/core/http/limit';
import { startChatServer, type ChatServer } from '../support/chatServer';

let server: ChatServer;
before(async () => {
  server = await startChatServer();
});
after(() => server.close());

const fast = { backoffMs: 5, maxBackoffMs: 2000, random: () => 1 };
const ask = { model: 'judge-x', messages: [{ role: 'user' as const, content: 'hello' }] };

describe('chat client', () => {
  test('JSON reply: content, the request as sent (model, messages, key)', async () => {
    server.requests.length = 0;
    server.setHandler(() => ({ content: "{'direction': 3}" }));
    const c = new ChatClient({ baseUrl: server.baseUrl, apiKey: 'sk-test' });
    const r = await c.complete({
      ...ask,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image_url', image_url: { url: 'data:,' } },
          ],
        },
      ],
    });
    assert.equal(r.content, "{'direction': 3}");
    assert.equal(r.attempts, 1);
    assert.equal(server.requests.length, 1);
    const got = server.requests[0];
    assert.equal(got.url, '/v1/chat/completions');
    assert.equal(got.headers.authorization, 'Bearer sk-test');
    assert.equal(got.body.model, 'judge-x');
    assert.equal(got.body.stream, undefined);
    assert.deepEqual(got.body.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'hi' },
          { type: 'image_url', image_url: { url: 'data:,' } },
        ],
      },
    ]);
  });

  test('streamed reply (SSE): pieces joined, each piece reported', async () => {
    server.setHandler(() => ({ content: "{'direction': 4, 'landmark': 2, 'semantic and logic': 5}" }));
    const c = new ChatClient({ baseUrl: server.baseUrl, stream: true });
    const pieces: string[] = [];
    const r = await c.complete(ask, { onDelta: (t) => pieces.push(t) });
    assert.equal(r.content, "{'direction': 4, 'landmark': 2, 'semantic and logic': 5}");
    assert.ok(pieces.length > 3, 'several pieces');
    assert.equal(pieces.join(''), r.content);
    assert.equal(r.finishReason, 'stop');
    assert.equal(server.requests.at(-1)!.body.stream, true);
  });

  test('a stream that ends without its finish reason or [DONE] is retried, not taken as the reply; connections are reused', async () => {
    const cut = 'data: {"choices":[{"index":0,"delta":{"content":"{\'direction\': 4"}}]}\n\n';
    server.setHandler((_r, n) => (n === 1 ? { raw: cut, contentType: 'text/event-stream' } : { content: 'whole' }));
    server.requests.length = 0;
    const c = new ChatClient({ baseUrl: server.baseUrl, stream: true, ...fast });
    const retried: string[] = [];
    const r = await c.complete(ask, { onRetry: (e) => retried.push(e.message) });
    assert.equal(r.content, 'whole');
    assert.equal(r.attempts, 2);
    assert.match(retried[0], /the stream ended before the reply was complete/);
    // Keep-alive: the next requests go over the connection already open (the body read to its end after [DONE]).
    await c.complete(ask);
    await c.complete(ask);
    const ports = server.requests.map((q) => q.port);
    assert.equal(new Set(ports.slice(1)).size, 1, `one connection for the last three: ports ${ports.join(', ')}`);
    c.dispose();
  });

  test('429 with Retry-After in seconds: waits that long, then succeeds', async () => {
    server.requests.length = 0;
    server.setHandler((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { content: 'ok' }));
    const waits: number[] = [];
    const c = new ChatClient({ baseUrl: server.baseUrl, ...fast });
    const r = await c.complete(ask, { onRetry: (_e, w) => waits.push(w) });
    assert.equal(r.content, 'ok');
    assert.equal(r.attempts, 2);
    assert.deepEqual(waits, [1000]);
    const gap = server.requests[1].at - server.requests[0].at;
    assert.ok(gap >= 950, `the second request came ${gap} ms after the first`);
  });

  test('429 with Retry-After as an HTTP date', async () => {
    server.setHandler((_r, n) =>
      n % 2 === 1 ? { status: 429, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } } : { content: 'ok' },
    );
    server.requests.length = 0;
    const waits: number[] = [];
    const c = new ChatClient({ baseUrl: server.baseUrl, ...fast, maxBackoffMs: 5000 });
    await c.complete(ask, { onRetry: (_e, w) => waits.push(w) });
    assert.equal(waits.length, 1);
    assert.ok(waits[0] > 900 && waits[0] <= 2000, `waited ${waits[0]} ms`);
  });

  test('500: retried with exponential backoff, then the error names the URL', async () => {
    server.setHandler(() => ({ status: 500, body: JSON.stringify({ error: { message: 'boom' } }) }));
    const waits: number[] = [];
    const c = new ChatClient({ baseUrl: server.baseUrl, ...fast, maxRetries: 3 });
    await assert.rejects(c.complete(ask, { onRetry: (_e, w) => waits.push(w) }), (e: ChatError) => {
      assert.equal(e.kind, 'http');
      assert.equal(e.status, 500);
      assert.match(e.message, /127\.0\.0\.1:\d+\/v1\/chat\/completions: HTTP 500.*boom/);
      return true;
    });
    assert.deepEqual(waits, [5, 10, 20]);
  });

  test('401 and 404: no retry, a message that says what to check', async () => {
    for (const [status, kind, hint] of [
      [401, 'auth', /check the API key/],
      [404, 'not-found', /check the base URL and the model name/],
    ] as const) {
      server.requests.length = 0;
      server.setHandler(() => ({ status }));
      const c = new ChatClient({ baseUrl: server.baseUrl, ...fast });
      await assert.rejects(
        c.complete(ask),
        (e: ChatError) => e.kind === kind && hint.test(e.message) && e.message.includes(server.baseUrl),
      );
      assert.equal(server.requests.length, 1, `${status} is not retried`);
    }
  });

  test('a stalled reply times out (headers never sent, and body never sent), and is retried', async () => {
    for (const stall of ['headers', 'body'] as const) {
      server.requests.length = 0;
      server.setHandler(() => ({ stall }));
      const c = new ChatClient({ baseUrl: server.baseUrl, ...fast, timeoutMs: 150, maxRetries: 1 });
      const t0 = Date.now();
      await assert.rejects(c.complete(ask), (e: ChatError) => e.kind === 'timeout' && /no reply within 150 ms/.test(e.message));
      assert.equal(server.requests.length, 2, `${stall}: one retry`);
      assert.ok(Date.now() - t0 < 3000);
    }
  });

  test('a streamed reply slower in all than the timeout, each gap shorter, is not timed out (the timer restarts per chunk)', async () => {
    server.requests.length = 0;
    server.setHandler(() => ({ content: 'abcdefghijklmnopqrstuvwx', chunkSize: 2, chunkDelayMs: 40 }));
    const c = new ChatClient({ baseUrl: server.baseUrl, ...fast, stream: true, timeoutMs: 150, maxRetries: 0 });
    const t0 = Date.now();
    let pieces = 0;
    const reply = await c.complete(ask, { onDelta: () => pieces++ });
    assert.ok(Date.now() - t0 >= 12 * 40 - 20, 'slower than the timeout in all');
    assert.equal(reply.content, 'abcdefghijklmnopqrstuvwx');
    assert.equal(pieces, 12);
    assert.equal(server.requests.length, 1, 'not retried');
    // A gap longer than the timeout mid-stream still times out.
    server.setHandler(() => ({ content: 'abcdef', chunkSize: 2, chunkDelayMs: 300 }));
    await assert.rejects(c.complete(ask), (e: ChatError) => e.kind === 'timeout');
  });

  test('cancel: aborts the request in flight and the wait between retries', async () => {
    server.setHandler(() => ({ stall: 'headers' }));
    const c = new ChatClient({ baseUrl: server.baseUrl, timeoutMs: 10_000 });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    await assert.rejects(c.complete(ask, { signal: ctl.signal }), (e: ChatError) => e.kind === 'cancelled');
    server.setHandler(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    const ctl2 = new AbortController();
    const c2 = new ChatClient({ baseUrl: server.baseUrl, maxBackoffMs: 60_000 });
    const t0 = Date.now();
    setTimeout(() => ctl2.abort(), 200);
    await assert.rejects(c2.complete(ask, { signal: ctl2.signal }), (e: ChatError) => e.kind === 'cancelled');
    assert.ok(Date.now() - t0 < 5000, 'did not wait out the 30 s');
  });

  test('connection refused: a clear message naming the URL', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const c = new ChatClient({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 1, ...fast });
    await assert.rejects(c.complete(ask), (e: ChatError) => {
      assert.equal(e.kind, 'connection');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}/v1/chat/completions: cannot connect: connection refused`));
      return true;
    });
  });

  test('a reply with no choices, and one that is not JSON, are errors (upstream: a failed call)', async () => {
    server.setHandler(() => ({ raw: '{"object": "chat.completion", "choices": []}' }));
    const c = new ChatClient({ baseUrl: server.baseUrl, ...fast });
    await assert.rejects(c.complete(ask), (e: ChatError) => e.kind === 'bad-reply' && /no choices/.test(e.message));
    server.setHandler(() => ({ raw: '<html>gateway</html>', contentType: 'text/html' }));
    await assert.rejects(c.complete(ask), (e: ChatError) => e.kind === 'bad-reply' && /not JSON/.test(e.message));
  });

  test('content null is a reply with no text, not an error', async () => {
    server.setHandler(() => ({ content: null }));
    const c = new ChatClient({ baseUrl: server.baseUrl });
    assert.equal((await c.complete(ask)).content, null);
  });

  test('concurrency: never more requests in flight than the limit', async () => {
    let inFlight = 0;
    let most = 0;
    server.setHandler(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 40));
      inFlight--;
      return { content: 'x' };
    });
    const c = new ChatClient({ baseUrl: server.baseUrl, concurrency: 3 });
    await Promise.all(Array.from({ length: 10 }, () => c.complete(ask)));
    assert.equal(most, 3);
  });

  test('URLs and Retry-After values', () => {
    assert.equal(chatCompletionsUrl('https://api.openai.com/v1/'), 'https://api.openai.com/v1/chat/completions');
    assert.equal(chatCompletionsUrl('http://h:8000/v1/chat/completions'), 'http://h:8000/v1/chat/completions');
    assert.equal(parseRetryAfter('7'), 7000);
    assert.equal(parseRetryAfter('0.5'), 500);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:58 GMT')), 2000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
    assert.throws(() => new ChatClient({ baseUrl: 'file:///etc' }), ChatError);
  });

  test('the limiter lets a waiting task leave when its signal aborts', async () => {
    const l = new Limiter(1);
    let release!: () => void;
    const first = l.run(() => new Promise<void>((r) => (release = r)));
    const ctl = new AbortController();
    const second = l.run(async () => 'ran', ctl.signal);
    ctl.abort();
    await assert.rejects(second, /cancelled/);
    release();
    await first;
    assert.equal(await l.run(async () => 'next'), 'next');
  });
});

/** A raw server writing `pieces` of a streamed reply one at a time, a few ms apart (so they arrive as separate chunks). */
async function rawSse(pieces: (string | Buffer)[], cut = false): Promise<{ url: string; close: () => void }> {
  const srv = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const next = () => {
      if (i < pieces.length) {
        res.write(pieces[i++]);
        setTimeout(next, 8);
      } else if (cut) res.socket?.destroy();
      else res.end();
    };
    next();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/v1`, close: () => srv.close() };
}

describe('the streamed reply as it arrives', () => {
  const ev = (content: string, finish?: string) =>
    `data: ${JSON.stringify({ choices: [{ delta: { content }, ...(finish ? { finish_reason: finish } : {}) }] })}`;

  test('events split anywhere (in "data:", between CR and LF, in a UTF-8 character), no space after "data:", two data lines', async () => {
    const e = Buffer.from(`${ev('é')}\n\n`);
    const at = e.indexOf(Buffer.from('é')) + 1; // between the two bytes of é
    const s = await rawSse([
      `${ev('he')}\r`,
      '\n\r\nda',
      `ta:${ev('ll').slice(5)}\n`,
      '\n',
      e.subarray(0, at),
      e.subarray(at),
      'data: {"choices":[{"delta":\ndata: {"content":"o"}}]}\n\n',
      `${ev(' wo')}\n\n${ev('rld', 'stop').slice(0, 20)}`,
      `${ev('rld', 'stop').slice(20)}\n\ndata: [DONE]\n\n`,
    ]);
    try {
      const c = new ChatClient({ baseUrl: s.url, stream: true, maxRetries: 0 });
      const pieces: string[] = [];
      const r = await c.complete(ask, { onDelta: (t) => pieces.push(t) });
      assert.deepEqual(pieces, ['he', 'll', 'é', 'o', ' wo', 'rld']);
      assert.equal(r.content, 'helléo world');
      assert.equal(r.finishReason, 'stop');
      c.dispose();
    } finally {
      s.close();
    }
  });

  test('an event that is not JSON fails the call (bad-reply); a reply cut mid-stream is a connection error', async () => {
    const bad = await rawSse([`${ev('a')}\n\n`, 'data: {not json\n\n', `${ev('b', 'stop')}\n\ndata: [DONE]\n\n`]);
    const cut = await rawSse([`${ev('a')}\n\n`, `${ev('b')}\n\n`], true);
    try {
      const c = new ChatClient({ baseUrl: bad.url, stream: true, maxRetries: 0 });
      await assert.rejects(c.complete(ask), (e: ChatError) => e.kind === 'bad-reply' && /not JSON: \{not json/.test(e.message));
      c.dispose();
      const d = new ChatClient({ baseUrl: cut.url, stream: true, maxRetries: 0 });
      await assert.rejects(d.complete(ask), (e: ChatError) => e.kind === 'connection');
      d.dispose();
    } finally {
      bad.close();
      cut.close();
    }
  });
});
