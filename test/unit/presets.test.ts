/**
 * Frame presets (issue 8, point 5): "as at inference" and "as trained with GRPO". The numbers were
 * read in upstream WPR001/Ego-ST: infer_code/ST-R1_mcq/mcq_infer.py passes fps 1.0 and max_pixels
 * 360 * 420; the GRPO trainer passes only the video path, so the vendored
 * ST-R1/qwen-vl-utils/src/qwen_vl_utils/vision_process.py uses FPS = 2.0, VIDEO_MIN_PIXELS = 128 * 28 * 28
 * and max_pixels = max(min(VIDEO_MAX_PIXELS = 196 * 28 * 28, VIDEO_TOTAL_PIXELS / n * 2),
 * int(min_pixels * 1.05)) = 153664 (VIDEO_TOTAL_PIXELS = 128000 * 28 * 28 * 0.9 and n ≤ 768).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { modelFrameSize, smartResize } from '../../src/core/frames/modelSize';
import { describePreset, FRAME_PRESETS, frameParams, framePreset } from '../../src/core/frames/presets';
import { planFrames } from '../../src/core/frames/samplers';

describe('frame presets', () => {
  test('the numbers upstream uses', () => {
    assert.deepEqual(
      { fps: FRAME_PRESETS.inference.fps, min: FRAME_PRESETS.inference.minPixels, max: FRAME_PRESETS.inference.maxPixels },
      { fps: 1, min: 100352, max: 151200 },
    );
    assert.deepEqual(
      {
        fps: FRAME_PRESETS['grpo-training'].fps,
        min: FRAME_PRESETS['grpo-training'].minPixels,
        max: FRAME_PRESETS['grpo-training'].maxPixels,
      },
      { fps: 2, min: 100352, max: 153664 },
    );
    // The GRPO reader's budget for the largest first stage (768 frames): python3 -c
    // "print(max(min(196*28*28, int(float(128000*28*28*0.9))/768*2), int(128*28*28*1.05)))" → 153664.
    assert.equal(Math.max(Math.min(196 * 28 * 28, ((128000 * 28 * 28 * 0.9) / 768) * 2), Math.trunc(128 * 28 * 28 * 1.05)), 153664);
    assert.equal(framePreset(undefined).name, 'inference');
    assert.equal(framePreset('nope').name, 'inference');
    assert.equal(framePreset('grpo-training').label, 'as trained with GRPO');
  });

  test('the pixel budget reaches the model frame size: an Aria 1408×1408 clip', () => {
    // Python, the vendored smart_resize (round = half to even): smart_resize(1408, 1408,
    // max_pixels=151200) = (364, 364); max_pixels=153664 → beta = √(1408²/153664) = 1408/392 →
    // 1408/beta = 392.0 → (392, 392).
    assert.deepEqual(modelFrameSize('qwen2vl', { width: 1408, height: 1408 }), { width: 364, height: 364 });
    assert.deepEqual(modelFrameSize('qwen2vl', { width: 1408, height: 1408 }, FRAME_PRESETS.inference.maxPixels), {
      width: 364,
      height: 364,
    });
    assert.deepEqual(modelFrameSize('qwen2vl', { width: 1408, height: 1408 }, FRAME_PRESETS['grpo-training'].maxPixels), {
      width: 392,
      height: 392,
    });
    assert.deepEqual(smartResize(1080, 1920, 28, 100352, 153664), { width: 504, height: 280 });
    assert.deepEqual(modelFrameSize('internvl', { width: 1408, height: 1408 }, 153664), { width: 448, height: 448 });
  });

  test("frame parameters: the preset's frame rate for qwen2vl; a record's own fps and count win", () => {
    assert.deepEqual(frameParams({}, 'qwen2vl'), { sampler: 'qwen2vl', fps: 1, count: undefined });
    assert.deepEqual(frameParams({}, 'qwen2vl', 'grpo-training'), { sampler: 'qwen2vl', fps: 2, count: undefined });
    assert.deepEqual(frameParams({ frames: { sampler: 'qwen2vl', fps: 0.5, count: 16 } }, 'qwen2vl', 'grpo-training'), {
      sampler: 'qwen2vl',
      fps: 0.5,
      count: 16,
    });
    // The record's fields name another sampler: they do not apply.
    assert.deepEqual(frameParams({ frames: { sampler: 'internvl', fps: 0.5 } }, 'qwen2vl', 'grpo-training'), {
      sampler: 'qwen2vl',
      fps: 2,
      count: undefined,
    });
    assert.deepEqual(frameParams({}, 'internvl', 'grpo-training'), { sampler: 'internvl', fps: undefined, count: undefined });
    // 300 frames at 30 fps: 10 s → 10 first-stage frames at 1 fps, 20 at 2 fps (the 2 fps plan worked
    // out by hand in samplers.test.ts).
    assert.deepEqual(
      planFrames({ totalFrames: 300, fps: 30 }, frameParams({}, 'qwen2vl', 'grpo-training')),
      [0, 31, 79, 126, 157, 205, 252, 299],
    );
    assert.deepEqual(
      planFrames({ totalFrames: 300, fps: 30 }, frameParams({}, 'qwen2vl', 'inference')),
      [0, 33, 66, 100, 166, 199, 233, 299],
    );
  });

  test('what the trace view says of the preset', () => {
    const g = FRAME_PRESETS['grpo-training'];
    assert.equal(
      describePreset({ label: g.label, fps: 2, maxPixels: g.maxPixels, fpsFromRecord: false }),
      'preset: as trained with GRPO (2 fps, max 153664 px)',
    );
    assert.equal(
      describePreset({ label: g.label, fps: 0.5, maxPixels: g.maxPixels, fpsFromRecord: true }),
      'preset: as trained with GRPO (max 153664 px; 0.5 fps from the record)',
    );
  });
});
