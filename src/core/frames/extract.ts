/**
 * Exact frame extraction: the frames a sampler picks are read from the video by index (not by
 * nearest timestamp) with ffmpeg through fluent-ffmpeg, and cached on disk keyed by the video's
 * path, size and modification time and the sampler's parameters. A cached set opens without ffmpeg.
 *
 * Index → time: ffprobe lists the video stream's packets (demuxing only, no decoding); sorted by
 * presentation time, the n-th is frame n, which is how the upstream readers count frames. Each
 * wanted frame is then read, in its own ffmpeg process, with an accurate seek to the midpoint between its time and the previous
 * frame's, so the first frame at or after that point is exactly frame n, on variable frame rates too.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { z } from 'zod';
import { planFrames, samplerParamsSchema, type SamplerParams } from './samplers';

export interface FfmpegPaths {
  ffmpeg: string;
  ffprobe: string;
  /** Where they were found: a setting, PATH, or a binary shipped in an npm package. */
  source: 'setting' | 'PATH' | 'npm';
}

/** ffmpeg and ffprobe, from the settings first, then PATH; throws naming every place tried. */
export function findFfmpeg(configured: { ffmpeg?: string; ffprobe?: string } = {}, env = process.env): FfmpegPaths {
  const tried: string[] = [];
  const usable = (p: string) => {
    tried.push(p);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (configured.ffmpeg) {
    const probe =
      configured.ffprobe ?? path.join(path.dirname(configured.ffmpeg), path.basename(configured.ffmpeg).replace(/ffmpeg/i, 'ffprobe'));
    if (usable(configured.ffmpeg) && usable(probe)) return { ffmpeg: configured.ffmpeg, ffprobe: probe, source: 'setting' };
  }
  const exe = process.platform === 'win32' ? '.exe' : '';
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const a = path.join(dir, `ffmpeg${exe}`);
    const b = path.join(dir, `ffprobe${exe}`);
    if (usable(a) && usable(b)) return { ffmpeg: a, ffprobe: b, source: 'PATH' };
  }
  const shipped = shippedBinaries();
  if (shipped && usable(shipped.ffmpeg) && usable(shipped.ffprobe)) return { ...shipped, source: 'npm' };
  if (!shipped) tried.push('@ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe (not installed)');
  throw new Error(`ffmpeg and ffprobe not found; tried: ${tried.join(', ')}`);
}

/** The binaries shipped in npm packages (optional dependencies), when installed. */
function shippedBinaries(): { ffmpeg: string; ffprobe: string } | undefined {
  try {
    // Resolved at run time from node_modules; the bundles keep these packages external.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const a = require('@ffmpeg-installer/ffmpeg') as { path: string };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const b = require('@ffprobe-installer/ffprobe') as { path: string };
    return { ffmpeg: a.path, ffprobe: b.path };
  } catch {
    return undefined;
  }
}

export interface VideoProbe {
  width: number;
  height: number;
  /** Average frame rate. */
  fps: number;
  /** Frame count T as the readers count it. */
  totalFrames: number;
  /** How T was found: packets listed (exact), the container's count, or duration × fps (estimated). */
  countSource: 'packets' | 'container' | 'duration';
  estimated: boolean;
  /** Presentation time of each frame in seconds, in order (empty when not listed). */
  frameTimes: number[];
  /** Frame indices of the keyframes (where a seek starts decoding), ascending. */
  keyframes: number[];
  startTime: number;
}

function run(file: string, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 256 << 20, signal, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err)
        reject(
          Object.assign(new Error(`${path.basename(file)}: ${(stderr || err.message).trim().split('\n').slice(-3).join(' | ')}`), {
            cause: err,
          }),
        );
      else resolve(stdout);
    });
  });
}

/**
 * A path as ffmpeg and ffprobe must read it: `file:` and the absolute path, so a file named like an
 * option (`-report`) is not taken for one and one named like a protocol (`concat:a.mp4|b.mp4`,
 * `http://…`) is read as the plain file it is.
 */
export function ffmpegInput(file: string): string {
  return `file:${path.resolve(file)}`;
}

function rate(s: string | undefined): number {
  if (!s) return NaN;
  const [a, b] = s.split('/').map(Number);
  return b ? a / b : a;
}

/**
 * Facts of the first video stream, and its packets (demuxing only: fast), in one ffprobe run;
 * throws a readable error for a missing or unreadable video.
 */
export async function probeVideo(video: string, paths: FfmpegPaths, signal?: AbortSignal): Promise<VideoProbe> {
  const info = JSON.parse(
    await run(
      paths.ffprobe,
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,duration,start_time:format=duration,start_time:packet=pts_time,flags',
        '-of',
        'json',
        ffmpegInput(video),
      ],
      signal,
    ),
  ) as { streams?: Record<string, string | number>[]; format?: Record<string, string>; packets?: { pts_time?: string; flags?: string }[] };
  const s = info.streams?.[0];
  if (!s) throw new Error(`${video}: no video stream`);
  const fps = rate(String(s.avg_frame_rate)) || rate(String(s.r_frame_rate));
  const startTime = Number(s.start_time ?? info.format?.start_time ?? 0) || 0;
  const packets = (info.packets ?? [])
    .map((p) => ({ t: parseFloat(p.pts_time ?? ''), key: (p.flags ?? '').includes('K') }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  const frameTimes = packets.map((p) => p.t);
  const keyframes = packets.flatMap((p, i) => (p.key ? [i] : []));
  const base = { width: Number(s.width), height: Number(s.height), fps, startTime, keyframes };
  if (frameTimes.length) return { ...base, totalFrames: frameTimes.length, countSource: 'packets', estimated: false, frameTimes };
  const nb = Number(s.nb_frames);
  if (Number.isInteger(nb) && nb > 0) return { ...base, totalFrames: nb, countSource: 'container', estimated: true, frameTimes };
  const duration = Number(s.duration ?? info.format?.duration);
  if (!(duration > 0 && fps > 0)) throw new Error(`${video}: cannot tell how many frames it has`);
  return { ...base, totalFrames: Math.round(duration * fps), countSource: 'duration', estimated: true, frameTimes };
}

export interface ExtractedFrame {
  index: number;
  /** Seconds from the start of the video. */
  time: number;
  /** Absolute path of the image, or undefined when the frame could not be decoded. */
  file?: string;
  error?: string;
}

export interface FrameSet {
  video: string;
  params: SamplerParams;
  /** Indices in the order the model saw them (repeats kept). */
  indices: number[];
  /** One entry per distinct index, ascending. */
  frames: ExtractedFrame[];
  probe: Omit<VideoProbe, 'frameTimes' | 'keyframes'>;
  /** true when read from the cache without running ffmpeg. */
  cached: boolean;
}

export interface ExtractOptions {
  paths: FfmpegPaths;
  cacheDir: string;
  signal?: AbortSignal;
  /** Image width for the stored frames (height follows); default: source size. */
  maxWidth?: number;
}

const MANIFEST = 'frames.json';

/** The cache folder of a video and sampler: path, size, modification time and parameters. */
export function cacheKey(video: string, st: { size: number; mtimeMs: number }, params: SamplerParams, maxWidth?: number): string {
  return createHash('sha256')
    .update(
      JSON.stringify([path.resolve(video), st.size, Math.floor(st.mtimeMs), params.sampler, params.fps, params.count, maxWidth ?? 0, 1]),
    )
    .digest('hex')
    .slice(0, 32);
}

/** The file name of frame `index` in a cache folder. */
function frameName(index: number): string {
  return `frame-${String(index).padStart(6, '0')}.jpg`;
}

const index = z.number().int().nonnegative();
/** The manifest as written; anything else (a planted or damaged one) is not a cache hit. */
const manifestSchema = z.object({
  video: z.string(),
  params: samplerParamsSchema,
  indices: z.array(index),
  frames: z.array(
    z.union([
      z.object({ index, time: z.number(), file: z.string() }).strict(),
      z.object({ index, time: z.number(), error: z.string() }).strict(),
    ]),
  ),
  probe: z.object({
    width: z.number(),
    height: z.number(),
    fps: z.number(),
    totalFrames: z.number().int().nonnegative(),
    countSource: z.enum(['packets', 'container', 'duration']),
    estimated: z.boolean(),
    startTime: z.number(),
  }),
  cached: z.boolean(),
});

/**
 * Reads a complete cached frame set, or undefined. The manifest is not trusted: each frame must be
 * the plain file its index names (`frame-000123.jpg`) directly inside `dir`, a regular file and
 * not a link, so a planted `"file": "../../x"` or a link to elsewhere is never handed out.
 */
export async function readCachedFrames(dir: string): Promise<FrameSet | undefined> {
  let set: z.infer<typeof manifestSchema>;
  try {
    if (!(await fsp.lstat(dir)).isDirectory()) return undefined;
    set = manifestSchema.parse(JSON.parse(await fsp.readFile(path.join(dir, MANIFEST), 'utf8')));
  } catch {
    return undefined;
  }
  const frames: ExtractedFrame[] = [];
  for (const f of set.frames) {
    if (!('file' in f)) {
      frames.push(f);
      continue;
    }
    if (f.file !== frameName(f.index)) return undefined;
    const file = path.join(dir, f.file);
    const st = await fsp.lstat(file).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    frames.push({ ...f, file });
  }
  return { ...set, frames, cached: true };
}

/** Extract the frames a sampler picks from `video`, or return them from the cache. */
export async function extractFrames(video: string, params: Partial<SamplerParams>, opts: ExtractOptions): Promise<FrameSet> {
  const p = samplerParamsSchema.parse(params);
  let st: fs.Stats;
  try {
    st = await fsp.stat(video);
  } catch (e) {
    throw new Error(`${video}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      cause: e,
    });
  }
  const dir = path.join(path.resolve(opts.cacheDir), cacheKey(video, st, p, opts.maxWidth));
  const hit = await readCachedFrames(dir);
  if (hit) return hit;

  const probe = await probeVideo(video, opts.paths, opts.signal);
  const indices = planFrames(probe, p);
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fsp.mkdir(tmp, { recursive: true });
  try {
    const frames = unique.map((index) => ({ index, time: timeOf(probe, index), name: frameName(index) }));
    await runSeeks(video, probe, frames, tmp, opts);
    const out: ExtractedFrame[] = frames.map((f) => {
      const ok = fs.existsSync(path.join(tmp, f.name)) && fs.statSync(path.join(tmp, f.name)).size > 0;
      return ok
        ? { index: f.index, time: f.time, file: f.name }
        : { index: f.index, time: f.time, error: 'could not be decoded (truncated or corrupt video?)' };
    });
    if (out.every((f) => !f.file)) throw new Error(`${video}: no frame could be decoded`);
    const { frameTimes: _times, keyframes: _keys, ...probeFacts } = probe;
    void _times;
    void _keys;
    const set: FrameSet = { video: path.resolve(video), params: p, indices, frames: out, probe: probeFacts, cached: false };
    await fsp.writeFile(path.join(tmp, MANIFEST), JSON.stringify(set));
    const other = await publish(tmp, dir);
    return other ?? { ...set, frames: out.map((f) => (f.file ? { ...f, file: path.join(dir, f.file) } : f)) };
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Moves a finished set into place. Atomic: the folder appears whole or not at all. When a folder is
 * there already, a valid set in it (a concurrent extraction of the same set) wins and is returned;
 * an invalid one (damaged or planted) is removed and replaced.
 */
async function publish(tmp: string, dir: string): Promise<FrameSet | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.rename(tmp, dir);
      return undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') || attempt > 1) throw e;
    }
    const other = await readCachedFrames(dir);
    if (other) {
      await fsp.rm(tmp, { recursive: true, force: true });
      return other;
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Seconds from the start of the video to frame `index`. */
function timeOf(probe: VideoProbe, index: number): number {
  const t = probe.frameTimes[index];
  return t !== undefined ? t - probe.startTime : index / probe.fps;
}

/** Where to seek for frame n: halfway between frame n-1 and frame n (or 0 for the first). */
function seekPoint(probe: VideoProbe, index: number): number {
  if (index === 0) return 0;
  const t = timeOf(probe, index);
  const prev = probe.frameTimes.length ? timeOf(probe, index - 1) : t - 1 / probe.fps;
  return Math.max(0, (t + prev) / 2);
}

/**
 * Frames are shared among as many ffmpeg processes as there are cores (at most 4), balanced by how
 * many frames each seek must decode (from the keyframe before it). Each process has one
 * accurately-seeked, single-threaded input per frame and one single-frame output per input: one
 * start-up per process (ffmpeg's is ~0.3 s here) and no core asked to run two decoders at once.
 */
async function runSeeks(
  video: string,
  probe: VideoProbe,
  frames: { index: number; name: string }[],
  dir: string,
  opts: ExtractOptions,
): Promise<void> {
  const cost = (index: number) => {
    let k = 0;
    for (const key of probe.keyframes) if (key <= index) k = key;
    return index - k + 1;
  };
  const lanes = Math.max(1, Math.min(4, os.availableParallelism(), frames.length));
  const work = Array.from({ length: lanes }, () => ({ load: 0, frames: [] as typeof frames }));
  for (const f of [...frames].sort((a, b) => cost(b.index) - cost(a.index))) {
    const lane = work.reduce((m, w) => (w.load < m.load ? w : m));
    lane.frames.push(f);
    lane.load += cost(f.index) + 20; // + a process's share of start-up
  }
  const results = await Promise.allSettled(work.filter((w) => w.frames.length).map((w) => seekMany(video, probe, w.frames, dir, opts)));
  if (opts.signal?.aborted) throw cancelled();
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === results.length && !frames.some((f) => fs.existsSync(path.join(dir, f.name)))) {
    throw new Error(`${video}: ffmpeg failed: ${(failed[0].reason as Error).message}`);
  }
}

function cancelled(): Error {
  return Object.assign(new Error('frame extraction cancelled'), { name: 'AbortError' });
}

function seekMany(
  video: string,
  probe: VideoProbe,
  frames: { index: number; name: string }[],
  dir: string,
  opts: ExtractOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const cmd = ffmpeg().setFfmpegPath(opts.paths.ffmpeg);
    frames.forEach((f) => cmd.input(ffmpegInput(video)).inputOptions(['-threads', '1', '-ss', seekPoint(probe, f.index).toFixed(6)]));
    frames.forEach((f, k) => {
      const o = ['-map', `${k}:v:0`, '-frames:v', '1', '-q:v', '2', '-an'];
      if (opts.maxWidth) o.push('-vf', `scale='min(${opts.maxWidth},iw)':-2`);
      cmd.output(ffmpegInput(path.join(dir, f.name))).outputOptions(o);
    });
    const abort = () => cmd.kill('SIGKILL');
    opts.signal?.addEventListener('abort', abort, { once: true });
    cmd
      .on('end', () => {
        opts.signal?.removeEventListener('abort', abort);
        resolve();
      })
      .on('error', (err: Error) => {
        opts.signal?.removeEventListener('abort', abort);
        // A truncated video fails some outputs only: what was written is kept, the rest reported.
        reject(opts.signal?.aborted ? cancelled() : new Error(err.message.split('\n').slice(-2).join(' ')));
      })
      .run();
  });
}
