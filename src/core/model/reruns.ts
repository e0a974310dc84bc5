/**
 * Where re-runs go and what a re-run record holds. Each finished run is one canonical record
 * appended as one line to `<results file>.reruns.jsonl` (or to a chosen folder when the results
 * file's folder is not writable) by the safe writer. The results file itself is never written.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KeptOutput, safeAppendLine, safeAppendLines, type SafeAppendOptions, type SafeAppendResult } from '../safeWrite';
import type { TraceRecord } from '../schemas';
import type { RerunMode, RerunPrompt } from './prompt';
import type { GenerationSettings, GenerationSources } from './sampling';
import type { RerunInput, RerunOutput } from './runner';
import type { Provider } from './session';

export const RERUNS_SUFFIX = '.reruns.jsonl';

/** Is `file` a re-runs file (so it is not offered for re-running into a re-runs file of its own)? */
export function isRerunsFile(file: string): boolean {
  return file.endsWith(RERUNS_SUFFIX);
}

/**
 * The re-runs file of a results file: beside it, or in `fallbackFolder` (named after the results
 * file and a hash of its path, so two results files of one name do not share one) when the
 * results file's folder cannot be written.
 */
export function rerunsPath(resultsFile: string, fallbackFolder?: string, canWrite: (dir: string) => boolean = writable): string {
  const beside = resultsFile.replace(/\.(jsonl|json|ndjson)$/i, '') + RERUNS_SUFFIX;
  if (!fallbackFolder || canWrite(path.dirname(resultsFile))) return beside;
  const tag = createHash('sha1').update(path.resolve(resultsFile)).digest('hex').slice(0, 8);
  return path.join(fallbackFolder, `${path.basename(beside, RERUNS_SUFFIX)}-${tag}${RERUNS_SUFFIX}`);
}

/**
 * The results file(s) a re-runs file's records came from, most likely first: the one a re-run names
 * (`sourceFile`), then those its name points to (`x.reruns.jsonl` of `x.jsonl`, `x.json`, `x.ndjson`).
 * Empty for a file that is not a re-runs file.
 */
export function rerunOrigins(rerunsFile: string, sourceFile?: string): string[] {
  if (!isRerunsFile(rerunsFile)) return [];
  const base = rerunsFile.slice(0, -RERUNS_SUFFIX.length);
  return [...new Set([...(sourceFile ? [sourceFile] : []), `${base}.jsonl`, `${base}.json`, `${base}.ndjson`])];
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RerunContext {
  source: TraceRecord;
  sourceFile: string;
  mode: RerunMode;
  prompt: RerunPrompt;
  frames: { sampler: string; indices: number[]; width: number; height: number; video: string };
  model: { path: string; name: string; dtype: string };
  /** cpu or cuda (the local runner), openai (a served checkpoint: ./served.ts). */
  provider: Provider | 'openai';
  fallback?: string;
  /** The effective settings of the run. */
  generation: GenerationSettings;
  /** Where each setting came from (user, the model folder's generation_config.json, upstream's script, a default). */
  generationSources?: GenerationSources;
}

/**
 * What makes two re-runs the same run: the record, the mode, the exact input text, the frames, the
 * model and the generation settings. Re-running filtered records skips records whose key is
 * already in the re-runs file.
 */
export function rerunKey(c: Pick<RerunContext, 'source' | 'sourceFile' | 'mode' | 'prompt' | 'frames' | 'model' | 'generation'>): string {
  // Only the settings that change what is generated, written as before top-k and the repetition
  // penalty were settings (a run without them keeps its key, so a batch still resumes).
  const g = c.generation;
  const gen: Record<string, unknown> = g.doSample
    ? { maxNewTokens: g.maxNewTokens, doSample: true, temperature: g.temperature, topP: g.topP, seed: g.seed }
    : { maxNewTokens: g.maxNewTokens, doSample: false };
  if (g.doSample && g.topK !== 0) gen.topK = g.topK;
  if (g.repetitionPenalty !== 1) gen.repetitionPenalty = g.repetitionPenalty;
  const parts = [
    c.sourceFile,
    c.source.id,
    c.mode,
    c.prompt.chat,
    c.frames.sampler,
    c.frames.indices,
    c.frames.width,
    c.frames.height,
    c.model.path,
    c.model.dtype,
    gen,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24);
}

/** A re-run's id: "<source id>~<mode>~<the first 8 hex digits of its rerun key>". */
export function rerunId(sourceId: string, mode: RerunMode, key: string): string {
  return `${sourceId}~${mode}~${key.slice(0, 8)}`;
}

const RERUN_ID = /^(.+)~(forward|reverse)~[0-9a-f]{8}$/;

/** The record a re-run's id names, and its mode; undefined for an id that is not a re-run's. */
export function rerunSource(id: string): { source: string; mode: RerunMode } | undefined {
  const m = RERUN_ID.exec(id);
  return m ? { source: m[1], mode: m[2] as RerunMode } : undefined;
}

/** The canonical record of a finished run (the fields of the issue, top level; the rest in meta). */
export function rerunRecord(c: RerunContext, out: RerunOutput, at: Date = new Date()): Record<string, unknown> {
  const key = rerunKey(c);
  return {
    id: rerunId(c.source.id, c.mode, key),
    sourceId: c.source.id,
    sourceFile: c.sourceFile,
    video: c.source.video,
    question: c.source.question,
    // As stored when the source had a list (so the prompt's join is theirs), else "A. text".
    options: c.source.options.map((o) => o.raw ?? `${o.letter}. ${o.text}`),
    gold: c.source.gold,
    category: c.source.category,
    direction: c.source.direction,
    mode: `${c.mode} thinking`,
    prompt: {
      system: c.prompt.system,
      user: c.prompt.user,
      assistantPrefix: c.prompt.assistantPrefix,
      input: out.inputText,
      optionsFrom: c.prompt.optionsFrom,
      ...(c.prompt.prefixStyle ? { prefixStyle: c.prompt.prefixStyle } : {}),
      counterpart: c.prompt.counterpart?.text,
      ...(c.prompt.counterpart ? { counterpartMethod: c.prompt.counterpart.method } : {}),
    },
    frames: {
      sampler: c.frames.sampler,
      indices: c.frames.indices,
      width: c.frames.width,
      height: c.frames.height,
      video: c.frames.video,
      inputPath: out.inputPath,
      grid: out.videoGrid,
    },
    model: c.model,
    provider: c.provider,
    ...(c.fallback ? { providerNote: c.fallback } : {}),
    generation: c.generation,
    ...(c.generationSources ? { generationSources: c.generationSources } : {}),
    timings: out.timings,
    stopped: out.stopped,
    response: out.response,
    meta: { rerunKey: key, createdAt: at.toISOString(), tool: 'st-think-inspector' },
  };
}

/**
 * Appends one JSON record as one whole line, through the safe writer (core/safeWrite.ts): never
 * through a link, never into a file in `protect` (the results files read), one checked write under
 * a lock; a partial last line left by a killed writer is moved aside first (its new name returned).
 */
export async function appendJsonLine(file: string, value: unknown, opts: SafeAppendOptions = {}): Promise<SafeAppendResult> {
  const line = JSON.stringify(value);
  if (line.includes('\n')) throw new Error('a JSON line cannot hold a raw newline'); // JSON.stringify escapes them; kept as a guard
  return safeAppendLine(file, line, opts);
}

/** How long a RerunWriter keeps its file open after its last write (it syncs what is unsynced, then closes it). */
const IDLE_CLOSE_MS = 200;
/**
 * A RerunWriter syncs its file's data at most this often (KeptOutput): at concurrency 1 a record
 * finishes every few ms, and a datasync a record was a good part of the client's CPU. Each line is
 * written whole before its run counts as saved; a crash of the machine (not of the process) may
 * lose the records of the last ~200 ms (whole lines), which a resumed batch runs again.
 */
const SYNC_EVERY_MS = 200;
/**
 * A RerunWriter keeps its file's lock between writes for at most this long (KeptOutput): at
 * concurrency 1 a record finishes every few ms, and a lock file made and removed a record was most
 * of what saving it cost. Then the lock is let go and, for a moment, not taken again, so a writer
 * in another window gets its turn; an idle writer (IDLE_CLOSE_MS) lets it go at once.
 */
const HOLD_LOCK_MS = 1000;

/**
 * One writer for a batch's re-runs file: many runs finishing at once hand it their records, and it
 * appends whatever has queued up in one write under one lock (each line whole, through the safe
 * writer, as appendJsonLine does), instead of each run taking the file's lock for its own line.
 * `append` resolves once the record's line is in the file, and rejects when that write failed.
 */
export class RerunWriter {
  private queue: { line: string; resolve: (r: SafeAppendResult) => void; reject: (e: unknown) => void }[] = [];
  private draining: Promise<void> | undefined;
  /** The file kept open between writes (re-checked under the lock before each), closed after IDLE_CLOSE_MS without one. */
  private readonly output = new KeptOutput(SYNC_EVERY_MS, HOLD_LOCK_MS);
  private idle: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    readonly opts: SafeAppendOptions = {},
  ) {}

  append(value: unknown): Promise<SafeAppendResult> {
    const line = JSON.stringify(value);
    if (line.includes('\n')) return Promise.reject(new Error('a JSON line cannot hold a raw newline'));
    return new Promise((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
    });
  }

  /** Resolves when every record handed in so far is written (or has failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Writes what is queued and closes the file (a later append opens it again). */
  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.idle);
    await this.output.close();
  }

  private async drain(): Promise<void> {
    clearTimeout(this.idle);
    // Let the runs finishing in this turn of the event loop queue their records first.
    await new Promise<void>((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      try {
        const r = await safeAppendLines(
          this.file,
          batch.map((b) => b.line),
          this.opts,
          this.output,
        );
        // A partial line moved aside is reported once, with the first record of the write.
        batch.forEach((b, i) => b.resolve(i === 0 ? r : {}));
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    this.idle = setTimeout(() => void this.output.close().catch(() => undefined), IDLE_CLOSE_MS);
    this.idle.unref();
  }
}

/** The rerun keys already in a re-runs file (an absent file has none; bad lines are skipped). */
export async function rerunKeys(file: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return keys;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const k = (JSON.parse(line) as { meta?: { rerunKey?: unknown } }).meta?.rerunKey;
      if (typeof k === 'string') keys.add(k);
    } catch {
      // a line that is not JSON is reported by the indexer when the file is opened
    }
  }
  return keys;
}

export interface RunAndSaveInput extends RerunContext {
  frameFiles: string[];
  outFile: string;
  /** Files the re-run must never be written into besides its source (the other results files open). */
  protect?: string[];
  signal?: AbortSignal;
  onText?: (text: string, tokens: number) => void;
  onReset?: () => void;
  /** A batch's one writer of `outFile` (its protect list used); else the record is appended on its own. */
  writer?: RerunWriter;
}

/**
 * Runs one re-run and appends its record when it finishes. A cancelled run writes nothing (its
 * text so far is returned, not saved), so the re-runs file only ever holds whole, finished runs.
 */
export async function runAndSave(
  runner: { run(input: RerunInput): Promise<RerunOutput> },
  input: RunAndSaveInput,
): Promise<{ output: RerunOutput; record?: Record<string, unknown>; movedAside?: string }> {
  const output = await runner.run({
    frames: input.frameFiles.map((file) => ({ file })),
    size: { width: input.frames.width, height: input.frames.height },
    prompt: input.prompt,
    generation: input.generation,
    signal: input.signal,
    onText: input.onText,
    onReset: input.onReset,
  });
  if (output.stopped === 'cancelled') return { output };
  const record = rerunRecord(input, output);
  const { movedAside } = input.writer
    ? await input.writer.append(record)
    : await appendJsonLine(input.outFile, record, { protect: [input.sourceFile, ...(input.protect ?? [])] });
  return { output, record, ...(movedAside ? { movedAside } : {}) };
}
