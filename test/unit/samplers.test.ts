/**
 * Frame samplers against the formulas in shared notes/ego-st-formats.md. Expected indices are worked
 * out by hand from the formulas (float32 linspace, round half to even), not taken from the code.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  internvlIndices,
  planFrames,
  qwen2vlIndices,
  roundHalfEven,
  torchLinspaceF32,
  uniformIndices,
} from '../../src/core/frames/samplers';

describe('samplers', () => {
  test('round half to even', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001, 7].map(roundHalfEven), [0, 2, 2, 4, 2, 3, 7]);
    assert.equal(roundHalfEven(-0.5) === 0, true);
  });

  test('torch float32 linspace: first half from the start, second half from the end', () => {
    assert.deepEqual(torchLinspaceF32(0, 24, 4), [0, 8, 16, 24]);
    const v = torchLinspaceF32(0, 9, 8);
    assert.equal(v.length, 8);
    assert.equal(v[0], 0);
    assert.equal(v[7], 9);
    // The last value is exactly the end (computed as end - step*0), whatever float32 does to step.
    assert.equal(torchLinspaceF32(0, 299, 10)[9], 299);
    assert.equal(torchLinspaceF32(3, 3, 1)[0], 3);
  });

  test('qwen2vl: the notes\' examples', () => {
    assert.deepEqual(qwen2vlIndices({ totalFrames: 300, fps: 30 }), [0, 33, 66, 100, 166, 199, 233, 299]);
    // A short clip repeats frames: n is raised to 4.
    assert.deepEqual(qwen2vlIndices({ totalFrames: 25, fps: 25 }), [0, 0, 0, 8, 8, 16, 16, 24]);
  });

  test('qwen2vl: n = floor_even(clamp(T/fps*1, 4, floor_even(min(768, T)))), capped at T', () => {
    // T=60 at 30 fps: 2 s → n=4 (raised to the minimum) → linspace(0,59,4) = 0, 19.67, 39.33, 59.
    assert.deepEqual(qwen2vlIndices({ totalFrames: 60, fps: 30 }), [0, 0, 0, 20, 20, 39, 39, 59]);
    // T=3: floor_even(min(768,3)) = 2 caps n at 2: linspace(0,2,2) = 0, 2; i2 = trunc(linspace(0,1,8))
    // = 0 seven times (0, 1/7, …, 6/7), then 1.
    assert.deepEqual(qwen2vlIndices({ totalFrames: 3, fps: 30 }), [0, 0, 0, 0, 0, 0, 0, 2]);
    // A long clip: 3000 frames at 10 fps → 300 s → n = 300.
    const long = qwen2vlIndices({ totalFrames: 3000, fps: 10 });
    assert.equal(long[0], 0);
    assert.equal(long[7], 2999);
    // 20,000 frames at 1 fps would want 20,000: capped at 768.
    const capped = qwen2vlIndices({ totalFrames: 20_000, fps: 1 });
    assert.equal(capped[7], 19_999);
    // fps 2 doubles the first stage: 300 frames at 30 fps, 10 s → n = 20; i2 = trunc(19k/7) =
    // 0, 2, 5, 8, 10, 13, 16, 19; i1[k] = round(299k/19): 0, 31 (31.47), 79 (78.68), 126 (125.89),
    // 157 (157.37), 205 (204.58), 252 (251.79), 299.
    const f2 = qwen2vlIndices({ totalFrames: 300, fps: 30 }, 2.0);
    assert.deepEqual(f2, [0, 31, 79, 126, 157, 205, 252, 299]);
  });

  test('internvl: the notes\' example and a clip whose segments land on .5', () => {
    assert.deepEqual(internvlIndices({ totalFrames: 300, fps: 30 }), [18, 55, 93, 130, 168, 205, 242, 280]);
    // T=5: seg = 0.5, int(0.25 + round(0.5 i)) with round(0.5)=0, round(1.5)=2, round(2.5)=2, round(3.5)=4.
    assert.deepEqual(internvlIndices({ totalFrames: 5, fps: 30 }), [0, 0, 1, 2, 2, 2, 3, 4]);
  });

  test('uniform: N frames first to last, .5 rounded to even', () => {
    assert.deepEqual(uniformIndices({ totalFrames: 6, fps: 30 }, 3), [0, 2, 5]);
    assert.deepEqual(uniformIndices({ totalFrames: 100, fps: 30 }, 1), [0]);
    assert.deepEqual(uniformIndices({ totalFrames: 11, fps: 30 }, 6), [0, 2, 4, 6, 8, 10]);
  });

  test('every sampler, many (T, fps) pairs: count, bounds, order', () => {
    for (const T of [2, 3, 4, 5, 7, 8, 9, 16, 24, 25, 29, 30, 31, 59, 60, 61, 99, 100, 101, 299, 300, 301, 1799, 1800, 9000]) {
      for (const fps of [1, 2, 7.5, 23.976, 24, 25, 29.97, 30, 60]) {
        for (const sampler of ['qwen2vl', 'internvl', 'uniform'] as const) {
          const ix = planFrames({ totalFrames: T, fps }, { sampler });
          assert.equal(ix.length, 8, `${sampler} T=${T} fps=${fps}`);
          for (let i = 0; i < ix.length; i++) {
            assert.ok(Number.isInteger(ix[i]) && ix[i] >= 0 && ix[i] < T, `${sampler} T=${T} fps=${fps}: ${ix}`);
            if (i) assert.ok(ix[i] >= ix[i - 1], `${sampler} T=${T} fps=${fps} not in order: ${ix}`);
          }
          if (sampler !== 'internvl') {
            assert.equal(ix[0], 0);
            assert.equal(ix[7], T - 1, `${sampler} T=${T} fps=${fps} ends at the last frame`);
          }
        }
      }
    }
  });

  test('bad input is refused with a reason', () => {
    assert.throws(() => planFrames({ totalFrames: 1, fps: 30 }), /at least 2 frames/);
    assert.throws(() => planFrames({ totalFrames: 100, fps: 0 }), /frame rate/);
    assert.throws(() => planFrames({ totalFrames: 100, fps: 30 }, { sampler: 'nope' as 'uniform' }));
  });
});
