/**
 * Frame presets of the qwen2vl sampler: the first-stage frame rate and the pixel budget a frame is
 * resized to, as upstream ST-R1 ran the model. Checked against upstream (WPR001/Ego-ST):
 * - inference (infer_code/ST-R1_mcq/mcq_infer.py): the video element says fps 1.0 and
 *   max_pixels 360·420 = 151200; min_pixels is the reader's default for videos, 128·28·28 = 100352.
 * - GRPO training (ST-R1/src/open_r1_video/trainer/grpo_trainer.py): the trainer passes only the
 *   video path, so the vendored reader (ST-R1/qwen-vl-utils, vision_process.py, fetch_video) uses its
 *   defaults: FPS 2.0, VIDEO_MIN_PIXELS 128·28·28 and max_pixels = max(min(VIDEO_MAX_PIXELS
 *   196·28·28 = 153664, VIDEO_TOTAL_PIXELS / n · 2), int(min_pixels · 1.05)); with the default
 *   VIDEO_TOTAL_PIXELS (128000·28·28·0.9) and n ≤ 768 first-stage frames that is 153664.
 * Both keep 8 frames (linspace(0, n-1, 8), truncated).
 */
import type { SamplerName } from './samplers';
export const FRAME_PRESETS = {
  inference: { label: 'as at inference', fps: 1, minPixels: 128 * 28 * 28, maxPixels: 360 * 420 },
  'grpo-training': { label: 'as trained with GRPO', fps: 2, minPixels: 128 * 28 * 28, maxPixels: 196 * 28 * 28 },
} as const;
export type FramePresetName = keyof typeof FRAME_PRESETS;
export type FramePreset = (typeof FRAME_PRESETS)[FramePresetName];
export const FRAME_PRESET_NAMES = Object.keys(FRAME_PRESETS) as FramePresetName[];
export const DEFAULT_FRAME_PRESET: FramePresetName = 'inference';

export function isFramePreset(name: unknown): name is FramePresetName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(FRAME_PRESETS, name);
}

/** A preset by name; anything else is the default (as at inference). */
export function framePreset(name: unknown): FramePreset & { name: FramePresetName } {
  const n = isFramePreset(name) ? name : DEFAULT_FRAME_PRESET;
  return { name: n, ...FRAME_PRESETS[n] };
}

/** What the trace view says of the preset that produced the frames shown. */
export function describePreset(p: { label: string; fps?: number; maxPixels: number; fpsFromRecord: boolean }): string {
  const budget = `max ${p.maxPixels} px`;
  if (p.fps === undefined) return `preset: ${p.label} (${budget})`;
  return p.fpsFromRecord ? `preset: ${p.label} (${budget}; ${p.fps} fps from the record)` : `preset: ${p.label} (${p.fps} fps, ${budget})`;
}

/** The record's own fps and count, when its `frames` field names this sampler. */
export function ownFrameParams(record: { frames?: unknown }, sampler: SamplerName): { fps?: number; count?: number } {
  const f = record.frames as { sampler?: string; fps?: unknown; count?: unknown } | undefined;
  if (f?.sampler !== sampler) return {};
  return {
    fps: typeof f.fps === 'number' && f.fps > 0 ? f.fps : undefined,
    count: Number.isInteger(f.count) && (f.count as number) > 0 ? (f.count as number) : undefined,
  };
}

/**
 * The sampler parameters for a record: the record's own fps and count apply to the sampler it names
 * (and win); else qwen2vl's frame rate is the frame preset's.
 */
export function frameParams(
  record: { frames?: unknown },
  sampler: SamplerName,
  preset: FramePresetName = DEFAULT_FRAME_PRESET,
): { sampler: SamplerName; fps?: number; count?: number } {
  const own = ownFrameParams(record, sampler);
  return { sampler, fps: own.fps ?? (sampler === 'qwen2vl' ? FRAME_PRESETS[preset].fps : undefined), count: own.count };
}
