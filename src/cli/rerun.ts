/**
 * st-think rerun: re-runs the chosen records with the local ONNX model or a served checkpoint (one
 * provider interface, ../core/model/served.ts), many at once up to --concurrency, saving each
 * finished run as one whole line of FILE's .reruns.jsonl (the same canonical records the extension
 * writes). A run that stops (Ctrl-C, a crash) resumes when started again: runs whose key is in the
 * re-runs file are skipped. Progress (records/min, tokens/s, ETA) goes to stderr.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { ResultsIndex, type IndexEntry } from '../core/index';
import { extractFrames, findFfmpeg } from '../core/frames/extract';
import { modelFrameSize } from '../core/frames/modelSize';
import { FRAME_PRESETS, frameParams } from '../core/frames/presets';
import { resolveVideo } from '../core/frames/resolve';
import { inspectModelFolder, readGenerationConfig } from '../core/model/folder';
import { buildPrompt, DEFAULT_TEMPLATES, PromptError, type RerunMode } from '../core/model/prompt';
import { rerunKey, rerunKeys, rerunsPath, RerunWriter, runAndSave, type RerunContext } from '../core/model/reruns';
import { checkGeneration, GenerationConfigError, resolveGeneration, type EffectiveGeneration } from '../core/model/sampling';
import { progressLine, type Progress } from '../core/model/progress';
import { ServedRerunner, type RerunProvider } from '../core/model/served';
import type { TraceRecord } from '../core/schemas';
import { checkFlags, indexOptions, InputError, numberFlag, parseArgs, positionals, UsageError, type Parsed } from './args';

export { progressLine, type Progress };

const VALUED = ['line', 'category', 'direction', 'mode', 'provider', 'model-path', 'base-url', 'model', 'concurrency'] as const;
const VALUED_ALL = [...VALUED, 'max-new-tokens', 'video-root', 'timeout-ms', 'cache-dir'];

export interface RerunOptions {
  file: string;
  line?: number;
  category?: string;
  direction?: string;
  modes: RerunMode[];
  provider: 'onnx' | 'openai';
  modelPath?: string;
  baseUrl: string;
  model: string;
  concurrency: number;
  maxNewTokens?: number;
  videoRoot?: string;
  timeoutMs?: number;
  cacheDir: string;
  json: boolean;
}

function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function rerunOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): RerunOptions {
  const p = parseArgs(argv, VALUED_ALL);
  checkFlags(p, [...VALUED_ALL, 'json']);
  const [file] = positionals(p, 1, 'rerun needs exactly one FILE');
  const mode = str(p, 'mode') ?? 'forward';
  if (mode !== 'forward' && mode !== 'reverse' && mode !== 'both') throw new UsageError('--mode must be forward, reverse or both');
  const provider = str(p, 'provider') ?? (str(p, 'model-path') ? 'onnx' : 'openai');
  if (provider !== 'onnx' && provider !== 'openai') throw new UsageError('--provider must be onnx or openai');
  const modelPath = str(p, 'model-path');
  if (provider === 'onnx' && !modelPath) throw new UsageError('--provider onnx needs --model-path DIR');
  const model = str(p, 'model') ?? '';
  if (provider === 'openai' && !model) throw new UsageError('--provider openai needs --model NAME (the served model)');
  const int = (name: string, min: number) => {
    const n = numberFlag(p, name);
    if (n !== undefined && (!Number.isInteger(n) || n < min)) throw new UsageError(`--${name} needs a whole number from ${min}`);
    return n;
  };
  return {
    file,
    line: int('line', 1),
    category: str(p, 'category'),
    direction: str(p, 'direction'),
    modes: mode === 'both' ? ['forward', 'reverse'] : [mode],
    provider,
    modelPath,
    baseUrl: str(p, 'base-url') ?? env.OPENAI_BASE_URL ?? 'http://127.0.0.1:8000/v1',
    model,
    concurrency: provider === 'onnx' ? 1 : (int('concurrency', 1) ?? 8),
    maxNewTokens: int('max-new-tokens', 1),
    videoRoot: str(p, 'video-root'),
    timeoutMs: int('timeout-ms', 1),
    cacheDir: str(p, 'cache-dir') ?? path.join(os.tmpdir(), 'st-think-frames'),
    json: p.flags.has('json'),
  };
}

/** The generation settings: the model folder's generation_config.json (local) over the defaults, --max-new-tokens over both. */
function generationOf(o: RerunOptions): EffectiveGeneration {
  let config: Record<string, unknown> | undefined;
  let configFile: string | undefined;
  if (o.provider === 'onnx' && o.modelPath) {
    const read = readGenerationConfig(o.modelPath);
    if (read.ok) [config, configFile] = [read.config, read.file];
  }
  let g: EffectiveGeneration;
  try {
    g = resolveGeneration(o.maxNewTokens !== undefined ? { maxNewTokens: o.maxNewTokens } : {}, config, configFile);
  } catch (e) {
    if (e instanceof GenerationConfigError) throw new InputError(e.message);
    throw e;
  }
  const bad = checkGeneration(g.settings);
  if (bad) throw new InputError(`generation settings: ${bad}`);
  return g;
}

/** The provider the options name, ready to run. */
export async function openProvider(o: RerunOptions, env: NodeJS.ProcessEnv = process.env): Promise<RerunProvider> {
  if (o.provider === 'openai') {
    return new ServedRerunner({
      baseUrl: o.baseUrl,
      model: o.model,
      apiKey: env.OPENAI_API_KEY,
      concurrency: o.concurrency,
      timeoutMs: o.timeoutMs,
    });
  }
  const r = inspectModelFolder(o.modelPath!);
  if (!r.ok) throw new InputError(`${o.modelPath}: ${r.problems.join('; ')}`);
  const { loadRerunner } = await import('../core/model/runner');
  return loadRerunner(r.model, 'cpu');
}

type Frames = { files: string[]; facts: RerunContext['frames'] };

/** The frames the trace view shows for a record (qwen2vl, the inference preset), extracted once per video. */
function framesOf(o: RerunOptions, file: string, cache: Map<string, Promise<Frames>>, record: TraceRecord): Promise<Frames> {
  const key = `${record.video}\u0000${JSON.stringify(record.frames ?? null)}`;
  let got = cache.get(key);
  if (!got) {
    got = (async () => {
      if (!record.video) throw new InputError('the record has no video: a re-run needs its frames');
      const roots = [...(o.videoRoot ? [o.videoRoot] : []), path.dirname(path.resolve(file))];
      const { file: video, tried } = resolveVideo(record.video, roots);
      if (!video) throw new InputError(`video not found (tried ${tried.join(', ')}); give --video-root DIR`);
      const preset = FRAME_PRESETS.inference;
      const set = await extractFrames(video, frameParams(record, 'qwen2vl', 'inference'), { paths: findFfmpeg(), cacheDir: o.cacheDir });
      const byIndex = new Map(set.frames.map((f) => [f.index, f.file]));
      const files = set.indices.map((i) => byIndex.get(i));
      const missing = set.indices.find((i) => !byIndex.get(i));
      if (missing !== undefined) throw new InputError(`frame ${missing} of ${video} could not be decoded`);
      const size = modelFrameSize('qwen2vl', { width: set.probe.width, height: set.probe.height }, preset.maxPixels)!;
      return {
        files: files as string[],
        facts: { sampler: 'qwen2vl', indices: set.indices, width: size.width, height: size.height, video },
      };
    })();
    cache.set(key, got);
  }
  return got;
}

function chosen(o: RerunOptions, e: IndexEntry): boolean {
  return (
    (o.line === undefined || e.line === o.line) &&
    (!o.category || e.category === o.category) &&
    (!o.direction || e.direction === o.direction)
  );
}

interface Job {
  entry: IndexEntry;
  mode: RerunMode;
}

/** Runs every job, `concurrency` at once; returns the progress and the failures. */
export async function runBatch(
  o: RerunOptions,
  provider: RerunProvider,
  index: ResultsIndex,
  signal: AbortSignal,
  onProgress: (p: Progress) => void = () => undefined,
): Promise<{ progress: Progress; failures: string[]; outFile: string }> {
  const outFile = rerunsPath(index.file);
  const have = await rerunKeys(outFile);
  const generation = generationOf(o);
  const jobs: Job[] = index.entries.filter((e) => chosen(o, e)).flatMap((entry) => o.modes.map((mode) => ({ entry, mode })));
  const progress: Progress = { total: jobs.length, done: 0, skipped: 0, failed: 0, tokens: 0, startedAt: performance.now() };
  const failures: string[] = [];
  const frames = new Map<string, Promise<Frames>>();
  // One writer appends the finished records (many runs finish at once at a high concurrency).
  const writer = new RerunWriter(outFile, { protect: [index.file] });
  let next = 0;
  const one = async (job: Job) => {
    const { record } = await index.readRecord(job.entry);
    let prompt;
    try {
      prompt = buildPrompt(record, job.mode, DEFAULT_TEMPLATES, 'as-trained');
    } catch (e) {
      if (e instanceof PromptError) throw new InputError(e.message);
      throw e;
    }
    const f = await framesOf(o, index.file, frames, record);
    const ctx: RerunContext = {
      ...{ source: record, sourceFile: index.file, mode: job.mode, prompt, frames: f.facts },
      model: { path: provider.model.dir, name: provider.model.name, dtype: provider.model.dtype },
      ...{ provider: provider.provider as RerunContext['provider'], fallback: provider.fallback },
      ...{ generation: generation.settings, generationSources: generation.sources },
    };
    if (have.has(rerunKey(ctx))) return void progress.skipped++;
    const { record: saved, output } = await runAndSave(provider, { ...ctx, frameFiles: f.files, outFile, signal, writer });
    if (saved) {
      progress.done++;
      progress.tokens += output.timings.newTokens;
    }
  };
  const worker = async () => {
    while (next < jobs.length && !signal.aborted) {
      const job = jobs[next++];
      try {
        await one(job);
      } catch (e) {
        if (signal.aborted) break;
        progress.failed++;
        failures.push(`${index.file}:${job.entry.line} (${job.entry.id}, ${job.mode}): ${(e as Error).message}`);
      }
      onProgress(progress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, jobs.length) }, worker));
  await writer.close(); // its records written and synced, its file closed
  return { progress, failures, outFile };
}

export async function rerunCommand(argv: string[]): Promise<number> {
  const o = rerunOptions(argv);
  const index = await ResultsIndex.build(o.file, indexOptions());
  const provider = await openProvider(o);
  const ctl = new AbortController();
  const onSigint = () => ctl.abort();
  process.once('SIGINT', onSigint);
  let last = 0;
  try {
    const { progress, failures, outFile } = await runBatch(o, provider, index, ctl.signal, (p) => {
      const now = performance.now();
      if (now - last < 1000 && p.done + p.skipped + p.failed < p.total) return;
      last = now;
      process.stderr.write(`${progressLine(p, now)}\n`);
    });
    const elapsedMin = (performance.now() - progress.startedAt) / 60_000;
    const summary = {
      file: index.file,
      rerunsFile: outFile,
      provider: provider.provider,
      model: provider.model.name,
      ...{ total: progress.total, done: progress.done, skipped: progress.skipped, failed: progress.failed },
      cancelled: ctl.signal.aborted,
      recordsPerMinute: elapsedMin > 0 ? progress.done / elapsedMin : 0,
      tokensPerSecond: elapsedMin > 0 ? progress.tokens / (elapsedMin * 60) : 0,
      failures,
    };
    if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      for (const f of failures) process.stdout.write(`failed: ${f}\n`);
      process.stdout.write(
        `${progressLine(progress)}\nre-runs in ${outFile}${ctl.signal.aborted ? ' (cancelled: run again to resume)' : ''}\n`,
      );
    }
    return failures.length || ctl.signal.aborted ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    await provider.dispose();
  }
}
