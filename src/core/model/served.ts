/**
 * Re-runs on a served checkpoint: any OpenAI-compatible chat-completions server (vLLM, SGLang…),
 * through the one chat client the route judge uses (../http/chat.ts: retries, Retry-After,
 * timeouts, streaming, a concurrency limit). It implements the same provider interface as the
 * local ONNX runner (`RerunProvider`), so the extension and the CLI run, save, diff and compare
 * its re-runs exactly as local ones.
 *
 * What is sent (stated in every saved re-run as `frames.inputPath`, SERVED_INPUT_PATH):
 * - system: the prompt's system text;
 * - user: the frames the trace view shows, in order, as `image_url` parts (data: URLs of the
 *   frame files, JPEG or PNG as extracted), then the prompt's user text (it follows the video);
 * - reverse: a final assistant message holding the prefix, continued by the server; for vLLM the
 *   body says `continue_final_message: true, add_generation_prompt: false` (SGLang reads the same
 *   fields); forward sends no assistant message;
 * - the generation settings: max_tokens, temperature (0 when greedy), top_p, seed, and top_k and
 *   repetition_penalty as vLLM's extra sampling parameters when they differ from "none".
 * The server's processor, not ours, patches the images (each frame as one image, not one video
 * grid), so the saved grid is [0, 0, 0]: unknown here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChatClient, ChatError, type ChatClientOptions, type ChatContentPart, type ChatMessage } from '../http/chat';
import type { GenerationSettings } from './sampling';
import type { RerunInput, RerunOutput } from './runner';
import type { RerunPrompt } from './prompt';

export const SERVED_INPUT_PATH = 'openai-chat:images';

/** What the extension and the CLI run re-runs with: the local ONNX runner or a served checkpoint. */
export interface RerunProvider {
  /** Saved as the re-run's `provider`: cpu or cuda (local), openai (served). */
  readonly provider: string;
  readonly fallback?: string;
  /** Saved as the re-run's `model`: the folder (local) or the server's URL (served), a name, a dtype. */
  readonly model: { dir: string; name: string; dtype: string };
  run(input: RerunInput): Promise<RerunOutput>;
  dispose(): Promise<void>;
}

export interface ServedSettings {
  baseUrl: string;
  model: string;
  apiKey?: string;
  concurrency?: number;
  timeoutMs?: number;
  /** Test and benchmark hooks, passed to the client. */
  client?: Partial<ChatClientOptions>;
}

/** The MIME type of a frame file from its first bytes (JPEG or PNG; the extractor writes one of them). */
export function imageType(bytes: Uint8Array, file: string): 'image/jpeg' | 'image/png' {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  throw new Error(`${file}: not a JPEG or PNG image`);
}

/** The chat messages of a prompt with its frames (data: URLs), as the module comment says. */
export function servedMessages(prompt: RerunPrompt, frames: readonly (string | { url: string; encoded?: Buffer })[]): ChatMessage[] {
  const user: ChatContentPart[] = [
    ...frames.map((f) =>
      typeof f === 'string'
        ? { type: 'image_url' as const, image_url: { url: f } }
        : f.encoded
          ? // the URL string made only if the part is serialised (it is sent as its encoded bytes)
            {
              type: 'image_url' as const,
              encoded: f.encoded,
              get image_url() {
                return { url: f.url };
              },
            }
          : { type: 'image_url' as const, image_url: { url: f.url } },
    ),
    { type: 'text', text: prompt.user },
  ];
  const messages: ChatMessage[] = [
    { role: 'system', content: prompt.system },
    { role: 'user', content: user },
  ];
  if (prompt.assistantPrefix) messages.push({ role: 'assistant', content: prompt.assistantPrefix });
  return messages;
}

/** The body fields besides model and messages: the generation settings and, in reverse, the continuation. */
export function servedBody(g: GenerationSettings, continuing: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    max_tokens: g.maxNewTokens,
    temperature: g.doSample ? g.temperature : 0,
    top_p: g.doSample ? g.topP : 1,
    seed: g.seed,
    stream_options: { include_usage: true },
  };
  if (g.doSample && g.topK !== 0) body.top_k = g.topK;
  if (g.repetitionPenalty !== 1) body.repetition_penalty = g.repetitionPenalty;
  if (continuing) Object.assign(body, { continue_final_message: true, add_generation_prompt: false });
  return body;
}

/** What was sent, for the record's `prompt.input`: the body with each frame's data URL shortened. */
function describeSent(
  messages: ChatMessage[],
  body: Record<string, unknown>,
  model: string,
  frames: { head: string; bytes: number }[],
): string {
  let i = 0;
  const shown = messages.map((m) =>
    typeof m.content === 'string'
      ? m
      : {
          ...m,
          content: m.content.map((p) =>
            p.type === 'image_url' ? { type: 'image_url', image_url: { url: `${frames[i].head}…(${frames[i++].bytes} bytes)` } } : p,
          ),
        },
  );
  return JSON.stringify({ model, messages: shown, ...body, stream: true });
}

/**
 * Frame files as data: URLs, the most recently used kept (by path, modification time and size, so a
 * rewritten file is read again): the forward and reverse runs of a record send the same frames,
 * and reading and encoding them again was a good part of the client's time per request.
 */
export class FrameUrlCache {
  /** Pending or read: the forward and reverse runs of a record often ask at the same moment. */
  private readonly map = new Map<string, Promise<FrameUrl>>();
  private readonly chars = new Map<string, number>();
  private held = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxEntries = 256,
    readonly maxChars = 64 * 2 ** 20,
  ) {}

  async get(file: string): Promise<FrameUrl> {
    // A stat on the calling thread: a few microseconds; through the thread pool (fs.promises.stat) the
    // hand-offs cost ~15 times that in CPU, 8 times a request (the key keeps a rewritten file from being served stale).
    const st = fs.statSync(file);
    const key = `${file}\u0000${st.mtimeMs}\u0000${st.size}`;
    const had = this.map.get(key);
    if (had) {
      this.hits++;
      this.map.delete(key); // to the most recent end
      this.map.set(key, had);
      return had;
    }
    this.misses++;
    const got = readFrame(file).then((b) => FrameUrl.of(b, imageType(b, path.basename(file))));
    this.map.set(key, got);
    try {
      const { encoded } = await got;
      if (this.map.get(key) === got) {
        this.chars.set(key, encoded.length);
        this.held += encoded.length;
        this.trim();
      }
    } catch (e) {
      if (this.map.get(key) === got) this.map.delete(key);
      throw e;
    }
    return got;
  }

  /** Drops the least recently used until within both limits (entries still being read count as entries). */
  private trim(): void {
    for (const k of this.map.keys()) {
      if (this.map.size <= this.maxEntries && this.held <= this.maxChars) break;
      this.map.delete(k);
      this.held -= this.chars.get(k) ?? 0;
      this.chars.delete(k);
    }
  }

  get size(): number {
    return this.map.size;
  }
}

const PART_HEAD = '{"type":"image_url","image_url":{"url":"';
const PART_TAIL = '"}}';

/**
 * A frame kept as its request part's JSON bytes only (base64 needs no JSON escaping), sent as they
 * are: its data URL as a string is made only when asked for (`url`), not kept beside the bytes.
 * `head`: the URL's first 22 characters, what a saved record shows of it; `bytes`: the file's size.
 */
export class FrameUrl {
  private constructor(
    readonly encoded: Buffer,
    readonly head: string,
    readonly bytes: number,
  ) {}

  static of(file: Buffer, type: string): FrameUrl {
    const b64 = file.toString('base64');
    const pre = `${PART_HEAD}data:${type};base64,`;
    const encoded = Buffer.allocUnsafe(pre.length + b64.length + PART_TAIL.length);
    let at = encoded.write(pre, 0, 'latin1');
    at += encoded.write(b64, at, 'latin1');
    encoded.write(PART_TAIL, at, 'latin1');
    return new FrameUrl(encoded, `data:${type};base64,${b64.slice(0, 22)}`.slice(0, 22), file.length);
  }

  get url(): string {
    return this.encoded.toString('latin1', PART_HEAD.length, this.encoded.length - PART_TAIL.length);
  }
}

/**
 * A frame file's bytes, read on the calling thread: frames are small (tens of KB, in the extension's
 * own frame cache), and fs.promises.readFile's four thread-pool hops (open, fstat, read, close)
 * cost the client ~2.5 times the CPU of reading them here.
 */
const readFrame = async (file: string): Promise<Buffer> => fs.readFileSync(file);

export class ServedRerunner implements RerunProvider {
  readonly provider = 'openai';
  readonly model: { dir: string; name: string; dtype: string };
  readonly client: ChatClient;
  /** The frames' data URLs, kept between the forward and reverse runs of a record. */
  readonly frames = new FrameUrlCache();

  constructor(readonly settings: ServedSettings) {
    if (!settings.model.trim()) throw new Error('no model name is set for the served provider');
    this.client = new ChatClient({
      baseUrl: settings.baseUrl,
      apiKey: settings.apiKey,
      concurrency: settings.concurrency ?? 8,
      timeoutMs: settings.timeoutMs ?? 120_000,
      stream: true,
      ...settings.client,
    });
    this.model = { dir: this.client.url, name: settings.model, dtype: 'served' };
  }

  async run(input: RerunInput): Promise<RerunOutput> {
    const start = performance.now();
    const images = await Promise.all(input.frames.map((f) => this.frames.get(f.file)));
    const framesDone = performance.now();
    const messages = servedMessages(input.prompt, images);
    const body = servedBody(input.generation, input.prompt.assistantPrefix !== '');
    let generated = '';
    let pieces = 0;
    let firstAt = 0;
    let stopped: RerunOutput['stopped'];
    let completionTokens: number | undefined;
    let promptTokens = 0;
    try {
      const reply = await this.client.complete(
        { model: this.settings.model, messages, extra: body },
        {
          signal: input.signal,
          onDelta: (t) => {
            if (!firstAt) firstAt = performance.now();
            generated += t;
            pieces++;
            input.onText?.(t, pieces);
          },
          // A retried stream starts over: what the failed attempt streamed is dropped, and the
          // consumer is told so (it shows each piece once: the new attempt's from its start).
          onRetry: () => {
            if (pieces) input.onReset?.();
            generated = '';
            pieces = 0;
            firstAt = 0;
          },
        },
      );
      generated = reply.content ?? generated;
      stopped = reply.finishReason === 'length' ? 'length' : 'eos';
      completionTokens = reply.usage?.completionTokens;
      promptTokens = reply.usage?.promptTokens ?? 0;
    } catch (e) {
      if (!(e instanceof ChatError && e.kind === 'cancelled')) throw e;
      stopped = 'cancelled';
    }
    const end = performance.now();
    const newTokens = completionTokens ?? pieces;
    const decodeMs = firstAt ? end - firstAt : 0;
    return {
      response: input.prompt.assistantPrefix + generated,
      generated,
      stopped,
      inputText: describeSent(messages, body, this.settings.model, images),
      inputPath: SERVED_INPUT_PATH,
      videoGrid: [0, 0, 0],
      promptTokens,
      timings: {
        framesMs: framesDone - start,
        preprocessMs: 0,
        visionMs: 0,
        prefillMs: 0,
        firstTokenMs: firstAt ? firstAt - start : end - start,
        totalMs: end - start,
        newTokens,
        tokensPerSecond: newTokens > 1 && decodeMs > 0 ? ((newTokens - 1) * 1000) / decodeMs : 0,
      },
    };
  }

  async dispose(): Promise<void> {
    this.client.dispose(); // its idle keep-alive connections
  }
}
