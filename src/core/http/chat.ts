/**
 * One client for OpenAI-compatible chat-completions endpoints (OpenAI, vLLM, SGLang, llama.cpp's
 * server, Ollama): the route judge uses it, and so do served re-runs (messages with text and
 * image parts). node:http(s) with keep-alive connections (./transport.ts), no dependency.
 * - JSON replies, or streamed ones (server-sent events, `stream: true`), collected into one reply;
 * - a timeout per attempt (for a stream: the longest wait for the next bytes), and cancel through
 *   an AbortSignal (a cancelled call throws ChatError kind 'cancelled', never retried);
 * - retries with exponential backoff on 429, 5xx, timeouts and dropped connections, waiting what
 *   `Retry-After` says (seconds or an HTTP date) when the server says it;
 * - errors that name the URL and say what to check (401/403: the key; 404: the URL or model;
 *   connection refused: is the server running);
 * - at most `concurrency` requests in flight at once (waits between retries hold no slot).
 */
import { Limiter } from './limit';
import { nodeTransport, type ResponseLike, type Transport } from './transport';

export type ChatContentPart =
  | { type: 'text'; text: string }
  | {
      type: 'image_url';
      image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
      /** This part as JSON (UTF-8) when the caller keeps it: sent as it is, so a large data: URL is not serialised again per request. */
      encoded?: Buffer;
    };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Other body fields (temperature, max_tokens, seed…), sent as they are. */
  extra?: Record<string, unknown>;
}

export interface ChatReply {
  /** choices[0].message.content (null when the server sent none). */
  content: string | null;
  finishReason: string | null;
  /** The model the server says answered. */
  model?: string;
  /** How many attempts it took (1: no retry). */
  attempts: number;
  /** The reply's `usage` when the server sent one (a stream: with `stream_options.include_usage`). */
  usage?: ChatUsage;
}

export interface ChatUsage {
  promptTokens?: number;
  completionTokens?: number;
}

/** `usage` as the API writes it, or undefined. */
function readUsage(u: unknown): ChatUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const { prompt_tokens: p, completion_tokens: c } = u as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return {
    ...(typeof p === 'number' ? { promptTokens: p } : {}),
    ...(typeof c === 'number' ? { completionTokens: c } : {}),
  };
}

export type ChatErrorKind = 'auth' | 'not-found' | 'http' | 'timeout' | 'connection' | 'bad-reply' | 'cancelled';

export class ChatError extends Error {
  constructor(
    message: string,
    readonly kind: ChatErrorKind,
    readonly url: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChatError';
  }

  get retryable(): boolean {
    if (this.kind === 'timeout' || this.kind === 'connection') return true;
    return this.kind === 'http' && this.status !== undefined && (this.status === 429 || this.status >= 500);
  }
}

export interface ChatClientOptions {
  /** e.g. https://api.openai.com/v1 (…/chat/completions is added unless it is there). */
  baseUrl: string;
  apiKey?: string;
  /** Per attempt; default 60 s. */
  timeoutMs?: number;
  /** Retries after the first attempt; default 4. */
  maxRetries?: number;
  /** First backoff; doubled each retry; default 1 s. */
  backoffMs?: number;
  /** Longest backoff, and longest Retry-After honoured; default 60 s. */
  maxBackoffMs?: number;
  /** Requests in flight at once; default 4. */
  concurrency?: number;
  /** Stream replies (SSE) instead of one JSON reply. */
  stream?: boolean;
  headers?: Record<string, string>;
  /** Test hooks. `fetch`: another transport (Node's fetch will do); default node:http(s), ./transport.ts. */
  fetch?: (
    url: string,
    init: { method: string; headers: Record<string, string>; body: Uint8Array; signal: AbortSignal },
  ) => Promise<ResponseLike>;
  random?: () => number;
  now?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Streamed replies: each piece of text as it arrives. */
  onDelta?: (text: string) => void;
  /** Called before each retry wait: the error and how long it waits. */
  onRetry?: (error: ChatError, waitMs: number, attempt: number) => void;
}

export function chatCompletionsUrl(baseUrl: string): string {
  const b = baseUrl.trim().replace(/\/+$/, '');
  return /\/chat\/completions$/.test(b) ? b : `${b}/chat/completions`;
}

/** `Retry-After` in ms: a number of seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Waits `ms`, or throws ChatError 'cancelled' as soon as `signal` aborts. */
function sleep(ms: number, url: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled(url));
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled(url));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How long a streamed body may take to end after its [DONE] before its connection is dropped. */
const DRAIN_MS = 1000;

/** A fetch-like function as a transport (the body's pieces joined). */
function fetchTransport(f: NonNullable<ChatClientOptions['fetch']>): Transport {
  return (url, init) => f(url, { ...init, body: Buffer.concat(init.body) });
}

/**
 * The request body as JSON, in pieces: `extra`, the model and `stream`, then the messages, each
 * image part that comes `encoded` sent as those bytes (not serialised again, not copied).
 */
export function encodeBody(req: ChatRequest, stream: boolean): Buffer[] {
  const { messages: _m, model: _model, stream: _s, ...extra } = req.extra ?? {};
  const head = JSON.stringify({ ...extra, model: req.model, ...(stream ? { stream: true } : {}) });
  const out: Buffer[] = [];
  let text = `${head.slice(0, -1)},"messages":[`;
  req.messages.forEach((m, i) => {
    if (i) text += ',';
    if (typeof m.content === 'string') {
      text += JSON.stringify({ role: m.role, content: m.content });
      return;
    }
    text += `{"role":${JSON.stringify(m.role)},"content":[`;
    m.content.forEach((p, j) => {
      if (j) text += ',';
      if (p.type === 'image_url' && p.encoded) {
        out.push(Buffer.from(text, 'utf8'), p.encoded);
        text = '';
      } else text += JSON.stringify(p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image_url', image_url: p.image_url });
    });
    text += ']}';
  });
  out.push(Buffer.from(`${text}]}`, 'utf8'));
  return out;
}

/**
 * Hands each chunk of a response body to `onChunk`: a Node stream through its 'data' events (no
 * promise per chunk, as `for await` makes), any other async iterable (fetch's body) with `for await`.
 * Rejects when the body fails, is cut before its end, or `onChunk` throws (the body is then destroyed).
 */
export function eachChunk(body: unknown, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const s = body as NodeJS.ReadableStream & { destroy?: (e?: Error) => void };
  if (typeof s?.on !== 'function' || typeof s.pipe !== 'function') {
    return (async () => {
      for await (const chunk of body as AsyncIterable<Uint8Array>) onChunk(chunk);
    })();
  }
  return new Promise<void>((resolve, reject) => {
    let ended = false;
    s.on('data', (chunk: Uint8Array) => {
      if (ended) return;
      try {
        onChunk(chunk);
      } catch (e) {
        ended = true;
        s.destroy?.();
        reject(e);
      }
    });
    s.once('end', () => {
      ended = true;
      resolve();
    });
    s.once('error', (e) => {
      ended = true;
      reject(e);
    });
    s.once('close', () => {
      if (!ended) reject(Object.assign(new Error('the reply was cut before its end'), { code: 'ECONNRESET' }));
    });
  });
}

const cancelled = (url: string) => new ChatError(`${url}: cancelled`, 'cancelled', url);

export class ChatClient {
  readonly url: string;
  private readonly limiter: Limiter;
  /** The transport this client made (its connections closed by dispose). */
  private own: ReturnType<typeof nodeTransport> | undefined;
  private readonly o: Required<Omit<ChatClientOptions, 'apiKey' | 'headers' | 'baseUrl' | 'fetch'>> &
    Pick<ChatClientOptions, 'apiKey' | 'headers'> & { fetch: Transport };

  constructor(opts: ChatClientOptions) {
    this.url = chatCompletionsUrl(opts.baseUrl);
    try {
      const u = new URL(this.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new ChatError(`${opts.baseUrl}: not an http(s) URL`, 'bad-reply', opts.baseUrl);
    }
    this.o = {
      timeoutMs: opts.timeoutMs ?? 60_000,
      maxRetries: opts.maxRetries ?? 4,
      backoffMs: opts.backoffMs ?? 1000,
      maxBackoffMs: opts.maxBackoffMs ?? 60_000,
      concurrency: opts.concurrency ?? 4,
      stream: opts.stream ?? false,
      fetch: opts.fetch ? fetchTransport(opts.fetch) : (this.own = nodeTransport(Math.max(1, Math.floor(opts.concurrency ?? 4)))),
      random: opts.random ?? Math.random,
      now: opts.now ?? Date.now,
      apiKey: opts.apiKey,
      headers: opts.headers,
    };
    this.limiter = new Limiter(Math.max(1, Math.floor(this.o.concurrency)));
  }

  /** Closes the idle keep-alive connections (requests in flight go on). */
  dispose(): void {
    this.own?.destroy();
  }

  /** One chat completion, retried as the module comment says. */
  async complete(req: ChatRequest, call: CallOptions = {}): Promise<ChatReply> {
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.limiter.run(() => this.attempt(req, call), call.signal);
        return { ...reply, attempts: attempt };
      } catch (e) {
        if (e instanceof Error && e.name === 'LimiterCancelled') throw cancelled(this.url);
        if (!(e instanceof ChatError) || !e.retryable || attempt > this.o.maxRetries) throw e;
        const backoff = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (attempt - 1)) * (0.5 + this.o.random() / 2);
        const wait = e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, this.o.maxBackoffMs) : backoff;
        call.onRetry?.(e, wait, attempt);
        await sleep(wait, this.url, call.signal);
      }
    }
  }

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: this.o.stream ? 'text/event-stream' : 'application/json',
      ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}),
      ...this.o.headers,
    };
  }

  private async attempt(req: ChatRequest, call: CallOptions): Promise<Omit<ChatReply, 'attempts'>> {
    if (call.signal?.aborted) throw cancelled(this.url);
    const ctl = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let armedMs = 0;
    // Armed again per streamed chunk (tens a reply): the same timer restarted (refresh) unless its time changes.
    const arm = (ms = this.o.timeoutMs) => {
      if (timer && ms === armedMs) {
        timer.refresh();
        return;
      }
      clearTimeout(timer);
      armedMs = ms;
      timer = setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, ms);
    };
    const onAbort = () => ctl.abort();
    call.signal?.addEventListener('abort', onAbort, { once: true });
    arm();
    try {
      const body = encodeBody(req, this.o.stream);
      const res = await this.o.fetch(this.url, { method: 'POST', headers: this.headers(), body, signal: ctl.signal });
      if (!res.ok) throw await this.httpError(res);
      if (this.o.stream && /text\/event-stream/i.test(res.headers.get('content-type') ?? '')) {
        return await this.readStream(res, arm, call.onDelta);
      }
      arm();
      return this.readJson(await res.text());
    } catch (e) {
      if (e instanceof ChatError) throw e;
      if (call.signal?.aborted) throw cancelled(this.url);
      if (timedOut) throw new ChatError(`${this.url}: no reply within ${this.o.timeoutMs} ms (timeout)`, 'timeout', this.url);
      throw this.connectionError(e);
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  private connectionError(e: unknown): ChatError {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? (e as { code?: string }).code;
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused (is the server running, and is this its address?)'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `host not found (${code}; offline?)`
          : `${cause?.message ?? (e as Error).message ?? String(e)}${code ? ` (${code})` : ''}`;
    return new ChatError(`${this.url}: cannot connect: ${why}`, 'connection', this.url);
  }

  private async httpError(res: ResponseLike): Promise<ChatError> {
    let detail = '';
    try {
      const text = await res.text();
      const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
      detail = (typeof j.error === 'string' ? j.error : j.error?.message) ?? j.message ?? '';
    } catch {
      // not JSON: the status says enough
    }
    const s = res.status;
    const what = `${this.url}: HTTP ${s}${res.statusText ? ` ${res.statusText}` : ''}${detail ? `: ${detail}` : ''}`;
    if (s === 401 || s === 403) return new ChatError(`${what} (check the API key)`, 'auth', this.url, s);
    if (s === 404) return new ChatError(`${what} (check the base URL and the model name)`, 'not-found', this.url, s);
    const retryAfter = parseRetryAfter(res.headers.get('retry-after'), this.o.now());
    return new ChatError(what, 'http', this.url, s, retryAfter);
  }

  private readJson(text: string): Omit<ChatReply, 'attempts'> {
    let j: { choices?: { message?: { content?: unknown }; finish_reason?: string | null }[]; model?: string; usage?: unknown };
    try {
      j = JSON.parse(text) as typeof j;
    } catch {
      throw new ChatError(`${this.url}: the reply is not JSON: ${text.slice(0, 120)}`, 'bad-reply', this.url);
    }
    const choice = Array.isArray(j?.choices) ? j.choices[0] : undefined;
    if (!choice || typeof choice !== 'object') throw new ChatError(`${this.url}: the reply has no choices`, 'bad-reply', this.url);
    const content = choice.message?.content;
    return {
      content: typeof content === 'string' ? content : null,
      finishReason: choice.finish_reason ?? null,
      model: typeof j.model === 'string' ? j.model : undefined,
      ...(readUsage(j.usage) ? { usage: readUsage(j.usage) } : {}),
    };
  }

  /** Server-sent events: `data: {chunk}` lines, a blank line between events, `data: [DONE]` at the end. */
  private async readStream(
    res: ResponseLike,
    arm: (ms?: number) => void,
    onDelta?: (t: string) => void,
  ): Promise<Omit<ChatReply, 'attempts'>> {
    const decoder = new TextDecoder();
    let buf = ''; // the unfinished line after the last chunk
    let data: string[] = [];
    let content: string | null = null;
    let finishReason: string | null = null;
    let model: string | undefined;
    let usage: ChatUsage | undefined;
    let done = false;
    const dispatch = () => {
      if (!data.length) return;
      const payload = data.length === 1 ? data[0] : data.join('\n');
      data = [];
      if (payload.trim() === '[DONE]') {
        done = true;
        return;
      }
      let j: {
        choices?: { delta?: { content?: unknown }; finish_reason?: string | null }[];
        model?: string;
        error?: { message?: string };
        usage?: unknown;
      };
      try {
        j = JSON.parse(payload) as typeof j;
      } catch {
        throw new ChatError(`${this.url}: a streamed event is not JSON: ${payload.slice(0, 120)}`, 'bad-reply', this.url);
      }
      if (j.error) throw new ChatError(`${this.url}: the stream reported an error: ${j.error.message ?? ''}`, 'http', this.url, 500);
      if (typeof j.model === 'string') model = j.model;
      usage = readUsage(j.usage) ?? usage;
      const choice = j.choices?.[0];
      const piece = choice?.delta?.content;
      if (typeof piece === 'string') {
        content = (content ?? '') + piece;
        onDelta?.(piece);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
    };
    /** The lines of a chunk: each read where it lies in the text (no copy of the rest per line). */
    const onChunk = (chunk: Uint8Array) => {
      // After [DONE] the body is read to its end (a moment at most), so its connection is kept for the next request.
      if (done) return;
      arm();
      const text = decoder.decode(chunk, { stream: true });
      const s = buf ? buf + text : text;
      let start = 0;
      for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', start)) {
        const end = nl > start && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl; // without a \r before the \n
        if (end === start) dispatch();
        else if (s.startsWith('data:', start))
          data.push(s.slice(s.charCodeAt(start + 5) === 32 && start + 5 < end ? start + 6 : start + 5, end));
        start = nl + 1;
        if (done) {
          arm(DRAIN_MS);
          buf = '';
          return;
        }
      }
      buf = start ? s.slice(start) : s;
    };
    try {
      await eachChunk(res.body, onChunk);
    } catch (e) {
      if (!done) throw e; // after [DONE] the reply is whole: a connection cut while draining changes nothing
    }
    if (!done) dispatch();
    // Neither [DONE] nor a finish reason: the stream was cut short (retried, as a dropped connection).
    if (!done && finishReason === null) {
      const what = content === null ? 'without a reply' : 'before the reply was complete';
      throw new ChatError(`${this.url}: the stream ended ${what}`, 'connection', this.url);
    }
    return { content, finishReason, model, ...(usage ? { usage } : {}) };
  }
}
