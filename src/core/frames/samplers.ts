/**
 * Frame samplers: which frame indices of a video a model saw, exactly as the upstream readers choose
 * them (shared notes/ego-st-formats.md). Pure arithmetic: torch's float32 linspace and NumPy /
 * torch rounding (half to even) are reproduced, because indices on .5 boundaries depend on them.
 */
import { z } from 'zod';

export const SAMPLERS = ['qwen2vl', 'internvl', 'uniform'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export const samplerParamsSchema = z.object({
  sampler: z.enum(SAMPLERS).default('qwen2vl'),
  /** qwen2vl: frames per second of the first stage (ST-R1 infers at 1.0). */
  fps: z.number().positive().default(1.0),
  /** Frames kept: 8 for ST-R1 and InternVL; N for uniform. */
  count: z.number().int().positive().max(4096).default(8),
});
export type SamplerParams = z.infer<typeof samplerParamsSchema>;

/** What a sampler needs to know of the video. */
export interface VideoFacts {
  /** Decoded frame count T. */
  totalFrames: number;
  /** Average frame rate. */
  fps: number;
}

const f32 = Math.fround;

/**
 * torch.linspace(start, end, steps) in float32: `start + step*i` for the first half of the indices
 * and `end - step*(steps-1-i)` for the second, each operation rounded to float32.
 */
export function torchLinspaceF32(start: number, end: number, steps: number): number[] {
  if (steps <= 0) return [];
  if (steps === 1) return [f32(start)];
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const out = new Array<number>(steps);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - 1 - i)));
  }
  return out;
}

/** Round half to even (torch.round, numpy.round, Python's round). */
export function roundHalfEven(x: number): number {
  const r = Math.floor(x);
  const d = x - r;
  if (d > 0.5) return r + 1;
  if (d < 0.5) return r;
  return r % 2 === 0 ? r : r + 1;
}

const floorEven = (x: number) => Math.floor(x / 2) * 2;

/**
 * Qwen2-VL's reader as ST-R1 uses it: a first stage of `n` frames at `fps` (qwen_vl_utils'
 * smart_nframes: between 4 and min(768, T), a multiple of 2, at most T), then `count` of those.
 */
export function qwen2vlIndices(video: VideoFacts, fps = 1.0, count = 8): number[] {
  const T = video.totalFrames;
  if (T < 2) throw new Error(`qwen2vl needs at least 2 frames (the video has ${T})`);
  const raw = (T / video.fps) * fps;
  const maxFrames = floorEven(Math.min(768, T));
  const n = Math.min(floorEven(Math.min(Math.max(raw, 4), maxFrames)), T);
  const first = torchLinspaceF32(0, T - 1, n).map(roundHalfEven);
  return torchLinspaceF32(0, n - 1, count).map((x) => first[Math.trunc(x)]);
}

/** InternVL's get_index: the middle of each of `count` equal segments of [0, T-1] (float64). */
export function internvlIndices(video: VideoFacts, count = 8): number[] {
  const T = video.totalFrames;
  if (T < 1) throw new Error('internvl needs at least 1 frame');
  const seg = (T - 1) / count;
  return Array.from({ length: count }, (_, i) => Math.trunc(seg / 2 + roundHalfEven(seg * i)));
}

/** `count` frames evenly spaced from the first to the last, rounded half to even (float64). */
export function uniformIndices(video: VideoFacts, count = 8): number[] {
  const T = video.totalFrames;
  if (T < 1) throw new Error('uniform needs at least 1 frame');
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, i) => roundHalfEven(((T - 1) * i) / (count - 1)));
}

/** The indices a sampler picks, in the order the model saw them (repeats kept). */
export function planFrames(video: VideoFacts, params: Partial<SamplerParams> = {}): number[] {
  const p = samplerParamsSchema.parse(params);
  if (!(video.totalFrames >= 0) || !Number.isInteger(video.totalFrames)) throw new Error(`bad frame count ${video.totalFrames}`);
  if (!(video.fps > 0)) throw new Error(`bad frame rate ${video.fps}`);
  switch (p.sampler) {
    case 'qwen2vl':
      return qwen2vlIndices(video, p.fps, p.count);
    case 'internvl':
      return internvlIndices(video, p.count);
    case 'uniform':
      return uniformIndices(video, p.count);
  }
}
