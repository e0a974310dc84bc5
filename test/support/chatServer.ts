/**
 * A small OpenAI-compatible chat-completions server on 127.0.0.1 for the tests: it answers as the
 * real API does (JSON, or server-sent events when the request says `stream: true`), and can be told
 * to answer 429 with Retry-After, 500, 401, 404, a stalled reply, or any text as the judge's reply
 * (malformed, Python-literal dicts…). It records every request it received.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: { model?: string; messages?: { role: string; content: unknown }[]; stream?: boolean; [k: string]: unknown };
  at: number;
  /** The client's port: the same for requests over one kept-alive connection. */
  port?: number;
}

export type Reply =
  /**
   * A normal completion whose message content is this text (null: content null). Streamed:
   * `chunkDelayMs` between pieces (slow tokens), `chunkSize` characters a piece (default 7),
   * `dropAfterChunks`: the connection is destroyed after that many pieces (a dropped connection).
   */
  | {
      content: string | null;
      delayMs?: number;
      finishReason?: string;
      chunkDelayMs?: number;
      chunkSize?: number;
      dropAfterChunks?: number;
      usage?: { prompt_tokens: number; completion_tokens: number };
    }
  /** An HTTP error, with headers (Retry-After…) and a body. */
  | { status: number; headers?: Record<string, string>; body?: string }
  /** Headers sent, then nothing (body: 'stall'), or nothing at all (headers: 'stall'). */
  | { stall: 'headers' | 'body' }
  /** A raw 200 body. */
  | { raw: string; contentType?: string };

export type Handler = (req: ReceivedRequest, n: number) => Reply | Promise<Reply>;

export interface ChatServer {
  url: string;
  /** The base URL a client is given (…/v1). */
  baseUrl: string;
  requests: ReceivedRequest[];
  setHandler(h: Handler): void;
  close(): Promise<void>;
}

function completion(content: string | null, model: string, finishReason = 'stop') {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
}

/**
 * The content in pieces of up to `size` characters (default 7), as SSE events ending with [DONE];
 * with `usage`, a last chunk with no choices carries it (as vLLM sends with stream_options.include_usage).
 */
function streamEvents(
  content: string | null,
  model: string,
  opts: { size?: number; finishReason?: string; usage?: { prompt_tokens: number; completion_tokens: number } } = {},
): string[] {
  const events: string[] = [];
  const text = content ?? '';
  const size = opts.size ?? 7;
  events.push(JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { role: 'assistant' } }] }));
  for (let i = 0; i < text.length; i += size) {
    events.push(
      JSON.stringify({
        id: 'c',
        object: 'chat.completion.chunk',
        model,
        choices: [{ index: 0, delta: { content: text.slice(i, i + size) } }],
      }),
    );
  }
  events.push(
    JSON.stringify({
      id: 'c',
      object: 'chat.completion.chunk',
      model,
      choices: [{ index: 0, delta: {}, finish_reason: opts.finishReason ?? 'stop' }],
    }),
  );
  if (opts.usage) events.push(JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model, choices: [], usage: opts.usage }));
  return events.map((e) => `data: ${e}\n\n`).concat('data: [DONE]\n\n');
}

/**
 * Why vLLM would refuse a request's continuation fields, else undefined: `continue_final_message`
 * needs a final assistant message and no generation prompt (vLLM answers 400 to both at once).
 */
export function continuationProblem(body: ReceivedRequest['body']): string | undefined {
  const last = body.messages?.[body.messages.length - 1];
  if (body.continue_final_message === true) {
    if (body.add_generation_prompt !== false) return 'continue_final_message and add_generation_prompt cannot both be true';
    if (last?.role !== 'assistant') return 'continue_final_message needs a final assistant message';
  } else if (last?.role === 'assistant') {
    return 'a final assistant message without continue_final_message starts a new turn after it';
  }
  return undefined;
}

export async function startChatServer(
  handler: Handler = () => ({ content: "{'direction': 5, 'landmark': 5, 'semantic and logic': 5}" }),
): Promise<ChatServer> {
  let h = handler;
  const requests: ReceivedRequest[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let body: ReceivedRequest['body'] = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedRequest['body'];
        } catch {
          // recorded as {}
        }
        const r: ReceivedRequest = {
          ...{ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() },
          port: req.socket.remotePort,
        };
        requests.push(r);
        open.add(res);
        res.on('close', () => open.delete(res));
        if (!/\/chat\/completions$/.test(r.url)) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `no route ${r.url}` } }));
          return;
        }
        const reply = await h(r, requests.length);
        const model = typeof body.model === 'string' ? body.model : 'test';
        if ('stall' in reply) {
          if (reply.stall === 'body') {
            res.writeHead(200, { 'content-type': body.stream ? 'text/event-stream' : 'application/json' });
            res.flushHeaders();
          }
          return; // never ends; closed by the client's abort or by close()
        }
        if ('status' in reply) {
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.body ?? JSON.stringify({ error: { message: `status ${reply.status}` } }));
          return;
        }
        if ('raw' in reply) {
          res.writeHead(200, { 'content-type': reply.contentType ?? 'application/json' });
          res.end(reply.raw);
          return;
        }
        if (reply.delayMs) await new Promise((r2) => setTimeout(r2, reply.delayMs));
        if (body.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          const usage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage ? reply.usage : undefined;
          const events = streamEvents(reply.content, model, { size: reply.chunkSize, finishReason: reply.finishReason, usage });
          for (let i = 0; i < events.length; i++) {
            if (reply.dropAfterChunks !== undefined && i > reply.dropAfterChunks) {
              res.destroy();
              return;
            }
            if (res.destroyed) return;
            res.write(events[i]);
            if (reply.chunkDelayMs && i > 0) await new Promise((r2) => setTimeout(r2, reply.chunkDelayMs));
          }
          res.end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(completion(reply.content, model, reply.finishReason)));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    setHandler: (next) => (h = next),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
