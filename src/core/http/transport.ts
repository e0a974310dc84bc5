/**
 * The chat client's HTTP transport: node:http / node:https with keep-alive connections, instead of
 * fetch. A streamed reply is read straight from the response (a Node stream of Buffers): fetch's
 * web streams cost a good part of the client's CPU per streamed event (undici's body stream copies
 * and wraps every chunk), which the served re-runs' benchmark showed. Retries, timeouts and errors
 * stay in ./chat.ts; this only sends one request and hands back its response.
 */
import * as http from 'node:http';
import * as https from 'node:https';

/** What ./chat.ts reads of a response (a subset of fetch's Response, so fetch can stand in, e.g. in tests). */
export interface ResponseLike {
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** The body as it arrives: an async iterable of byte chunks. */
  body: unknown;
}

export interface RequestInitLike {
  method: string;
  headers: Record<string, string>;
  /** The body in pieces, sent one after the other (large pieces the caller keeps are not copied into one). */
  body: readonly Buffer[];
  signal: AbortSignal;
}

export type Transport = (url: string, init: RequestInitLike) => Promise<ResponseLike>;

class NodeResponse implements ResponseLike {
  constructor(private readonly res: http.IncomingMessage) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  get status(): number {
    return this.res.statusCode ?? 0;
  }
  get statusText(): string {
    return this.res.statusMessage ?? '';
  }
  readonly headers = {
    get: (name: string): string | null => {
      const v = this.res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
  get body(): AsyncIterable<Buffer> {
    return this.res;
  }
  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of this.res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** A transport over node:http(s) with its own keep-alive agents (at most `maxSockets` connections per host). */
export function nodeTransport(maxSockets: number): Transport & { destroy(): void } {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets }),
    'https:': new https.Agent({ keepAlive: true, maxSockets }),
  };
  const send: Transport = (url, init) =>
    new Promise<ResponseLike>((resolve, reject) => {
      const u = new URL(url);
      const mod = u.protocol === 'https:' ? https : http;
      const length = init.body.reduce((n, b) => n + b.length, 0);
      const req = mod.request(u, {
        method: init.method,
        headers: { ...init.headers, 'content-length': String(length) },
        agent: agents[u.protocol as 'http:' | 'https:'],
      });
      let res: http.IncomingMessage | undefined;
      // Abort ends the request, or the response while its body is read (the reader then throws).
      const onAbort = () => {
        const e = Object.assign(new Error('aborted'), { name: 'AbortError' });
        req.destroy(e);
        res?.destroy(e);
      };
      const done = () => init.signal.removeEventListener('abort', onAbort);
      if (init.signal.aborted) return onAbort();
      init.signal.addEventListener('abort', onAbort, { once: true });
      req.once('error', (e) => {
        done();
        reject(e);
      });
      req.once('response', (r) => {
        res = r;
        r.once('close', done);
        resolve(new NodeResponse(r));
      });
      req.cork();
      for (const b of init.body) req.write(b);
      req.end();
    });
  return Object.assign(send, {
    /** Closes the idle connections (requests in flight go on; their connections, idle after, are unref'd and closed by the server). */
    destroy: () => {
      for (const agent of Object.values(agents)) {
        for (const list of Object.values(agent.freeSockets)) for (const socket of list ?? []) socket.destroy();
      }
    },
  });
}
