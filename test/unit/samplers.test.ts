/**
 * Frame samplers against the formulas in shared notes/ego-st-formats.md. Expected indices are worked
 * out by hand from the formulas (float32 linspace, round half to even), not taken from the code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  alternativesNotes,
  f32String,
  fmaF32,
  internvlIndices,
  LINSPACE_KERNELS,
  planFrames,
  planFramesWithAlternatives,
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

  test("qwen2vl: the fidelity issue's cases, measured against real torch (AVX2 CPU kernel)", () => {
    // Issue 8, point 1: (total frames, video fps, fps) → the 8 indices real torch gives. The code
    // before the kernel emulation (scalar formula, no fused multiply-add) gave 26448, 27670, 23748
    // and 9072 at the sixth position. scripts/torch-linspace-reference.py (exact rationals, written
    // from the recipe) gives the same, with the first-stage values 26448.501953125,
    // 27669.498046875, 23748.501953125 and 9071.4990234375 there.
    const cases: [number, number, number, number[]][] = [
      [37053, 60, 1, [0, 5242, 10543, 15845, 21147, 26449, 31750, 37052]],
      [38799, 10, 2, [0, 5514, 11078, 16592, 22156, 27669, 33234, 38798]],
      [33301, 25, 2, [0, 4732, 9508, 14240, 19016, 23749, 28524, 33300]],
      [12721, 10, 2, [0, 1808, 3632, 5440, 7264, 9071, 10896, 12720]],
    ];
    for (const [T, videoFps, fps, want] of cases) {
      assert.deepEqual(qwen2vlIndices({ totalFrames: T, fps: videoFps }, fps), want, `T=${T} at ${videoFps} fps, fps ${fps}`);
      assert.deepEqual(planFrames({ totalFrames: T, fps: videoFps }, { fps }), want);
    }
  });

  test("qwen2vl: the notes' examples", () => {
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

  test("internvl: the notes' example and a clip whose segments land on .5", () => {
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

/** An exact float32 a·b + c, rounded once (ties to even), with BigInt: independent of fmaF32's doubles. */
function exactFmaF32(a: number, b: number, c: number): number {
  const parts = (x: number): [bigint, number] => {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, x);
    const bits = dv.getUint32(0);
    const exp = (bits >>> 23) & 0xff;
    const frac = BigInt(bits & 0x7fffff);
    const m = exp === 0 ? frac : frac | (1n << 23n);
    const sign = bits >>> 31 ? -1n : 1n;
    return [sign * m, (exp === 0 ? 1 : exp) - 127 - 23]; // x = m · 2^e
  };
  const [ma, ea] = parts(a);
  const [mb, eb] = parts(b);
  const [mc, ec] = parts(c);
  // a·b + c = N · 2^E exactly.
  const E = Math.min(ea + eb, ec);
  const N = ((ma * mb) << BigInt(ea + eb - E)) + (mc << BigInt(ec - E));
  if (N === 0n) return 0;
  const neg = N < 0n;
  const mag = neg ? -N : N;
  // Keep 24 significant bits, or fewer below float32's smallest normal (least bit at 2^-149 at most).
  const lsb = Math.max(E + mag.toString(2).length - 24, -149);
  let q: bigint;
  if (lsb <= E) q = mag << BigInt(E - lsb);
  else {
    const shift = BigInt(lsb - E);
    q = mag >> shift;
    const rem = mag - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const v = Number(q) * 2 ** lsb; // q ≤ 2^24: exact
  return neg ? -v : v;
}

describe('fused multiply-add in float32 (fmaF32)', () => {
  // A deterministic generator, so a failure can be replayed.
  let seed = 0x9e3779b9;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const f32 = Math.fround;
  /** A float32 with a random 24-bit significand and sign, times 2^e. */
  const randomF32 = (e: number) => f32((rand() < 0.5 ? -1 : 1) * (1 + rand()) * 2 ** e);

  test('agrees with exact rational arithmetic on random float32 inputs', () => {
    for (let i = 0; i < 100_000; i++) {
      const a = randomF32(Math.floor(rand() * 120) - 60);
      const b = randomF32(Math.floor(rand() * 120) - 60);
      // c anywhere from far below a·b to far above it, subnormal results included.
      const c = randomF32(Math.floor(rand() * 250) - 149);
      assert.equal(fmaF32(a, b, c), exactFmaF32(a, b, c), `fma(${a}, ${b}, ${c})`);
    }
  });

  test('the double-rounding cases: a·b exactly halfway between two float32s, c tiny', () => {
    // a·b with 25 significant bits (odd) lies exactly halfway between two float32s. Adding a c far
    // below a double's last bit leaves the double sum on that midpoint, where rounding it to float32
    // would go to even; rounded once, the result goes the way c points.
    let wrongIfRoundedTwice = 0;
    let n = 0;
    while (n < 20_000) {
      const a = 2 * Math.floor(rand() * 2 ** 22) + 1 + 2 ** 23; // odd, 24 bits
      const b = 3;
      const p = a * b;
      if (p >= 2 ** 25) continue; // want exactly 25 bits
      n++;
      const scale = 2 ** (Math.floor(rand() * 40) - 20);
      const A = f32(a * scale);
      const c = randomF32(Math.log2(scale) - 40 - Math.floor(rand() * 60));
      const want = exactFmaF32(A, b, c);
      assert.equal(fmaF32(A, b, c), want, `fma(${A}, ${b}, ${c})`);
      if (f32(A * b + c) !== want) wrongIfRoundedTwice++;
    }
    // About half of them go against ties-to-even: the naive double computation gets those wrong.
    assert.ok(wrongIfRoundedTwice > 5000, `only ${wrongIfRoundedTwice} cases would have been wrong`);
  });

  test('cancellation, exact results, zeros and the linspace shapes', () => {
    assert.equal(fmaF32(3, 5, -15), 0);
    assert.equal(fmaF32(f32(0.1), 10, -1), exactFmaF32(f32(0.1), 10, -1));
    assert.equal(fmaF32(0, 5, 7), 7);
    // step·k + start and end - step·(n-1-k), as torch.linspace computes its bases.
    for (const [T, n] of [
      [37053, 616],
      [38799, 768],
      [17368, 578],
    ]) {
      const step = f32(f32(T - 1) / f32(n - 1));
      for (let k = 0; k < n; k++) {
        assert.equal(fmaF32(step, k, 0), exactFmaF32(step, k, 0));
        assert.equal(fmaF32(-step, n - 1 - k, T - 1), exactFmaF32(-step, n - 1 - k, T - 1));
      }
    }
  });
});

describe('torch.linspace kernels', () => {
  test('16 lanes, scalar, and AVX2 agree below one pair of blocks', () => {
    // Under 16 values AVX2 has no full pair of 8-lane blocks: all from their own bases, as scalar.
    for (const n of [2, 3, 8, 15]) {
      assert.deepEqual(torchLinspaceF32(0, 1234, n), torchLinspaceF32(0, 1234, n, LINSPACE_KERNELS.scalar));
      assert.deepEqual(torchLinspaceF32(0, 1234, n, 16), torchLinspaceF32(0, 1234, n, LINSPACE_KERNELS.scalar));
    }
  });

  test('blocks of 8 and of 16 lanes: lane j is the block base plus j·step, rounded twice', () => {
    // linspace(0, 17367, 578): step = f32(17367/577) = 30.098787307739258 (numpy:
    // np.float32(np.float32(17367) / np.float32(577))); half = 289. Values below by hand, each
    // rounding to float32 (spacing 2^-10 near 9900) checked with scripts/torch-linspace-reference.py.
    // AVX2: pairs of 8-lane blocks at 0, 16, …, 560; position 329 is lane 1 of the second-half block
    // at 328, base f32(17367 - step·249) = f32(9872.40196…) = 9872.40234375;
    // + f32(step) = 9902.50113… → 9902.5009765625.
    // 16 lanes: pairs of blocks at 0, 32, …, 544; 329 is lane 9 of the block at 320, base
    // f32(17367 - step·257) = 9631.611328125; + f32(9·step) = 270.88909912109375 → 9902.50043 → 9902.5.
    // Scalar: from its own base, f32(17367 - step·248) = f32(9902.50075) = 9902.5009765625.
    const avx2 = torchLinspaceF32(0, 17367, 578);
    const avx512 = torchLinspaceF32(0, 17367, 578, LINSPACE_KERNELS.avx512);
    const scalar = torchLinspaceF32(0, 17367, 578, LINSPACE_KERNELS.scalar);
    assert.equal(f32String(avx2[1] - avx2[0]), '30.098787');
    assert.equal(avx2[328], 9872.40234375);
    assert.equal(avx2[329], 9902.5009765625);
    assert.equal(avx512[320], 9631.611328125);
    assert.equal(avx512[329], 9902.5);
    assert.equal(scalar[329], 9902.5009765625);
    // Past the last pair of blocks (576, 577 for AVX2 and 16 lanes), from their own bases: the end.
    assert.equal(avx2[577], 17367);
    assert.equal(avx512[577], 17367);
  });
});

describe('alternatives: frames other torch kernels would pick', () => {
  test('a real clip where AVX-512 (16-lane) linspace picks another frame', () => {
    // 17368 frames at 30 fps (9 min 39 s), fps 1: n = 578. Found by searching T for a difference;
    // scripts/torch-linspace-reference.py 17368 30 1 [8|16|1] (exact rationals) gives
    // [0,2468,4936,7434,9903,12401,14869,17367] with 8 or 1 lanes and 9902 at position 4 with 16:
    // the first stage gives 9902.5 exactly there (round half to even → 9902), AVX2 9902.5009765625.
    const plan = planFramesWithAlternatives({ totalFrames: 17368, fps: 30 });
    assert.deepEqual(plan.indices, [0, 2468, 4936, 7434, 9903, 12401, 14869, 17367]);
    assert.deepEqual(plan.alternatives, [
      {
        position: 4,
        frame: 9903,
        alternative: 9902,
        kernel: 'avx512',
        why:
          'the first stage linspace(0, 17367, 578) gives 9902.5 at sample 329 ' +
          '(AVX2: 9902.501), rounded half to even to 9902 instead of 9903',
      },
    ]);
    assert.deepEqual(alternativesNotes(plan.alternatives, 8), [
      'torch builds using AVX-512 (16-lane) linspace would pick frame 9902 instead of 9903 at position 5 of 8: ' +
        'the first stage linspace(0, 17367, 578) gives 9902.5 at sample 329 (AVX2: 9902.501), ' +
        'rounded half to even to 9902 instead of 9903.',
    ]);
  });

  test("the issue's cases: the scalar loop picks what the old code did", () => {
    // 37053 at 60 fps: from its own base, sample 439 is 26448.5 exactly (python reference, 1 lane),
    // which rounds to 26448; AVX2 (lane 7 of the block at 432) gives 26448.501953125.
    const plan = planFramesWithAlternatives({ totalFrames: 37053, fps: 60 });
    assert.deepEqual(
      plan.alternatives.map((a) => [a.position, a.frame, a.alternative, a.kernel]),
      [[5, 26449, 26448, 'scalar']],
    );
  });

  test('two kernels picking the same other frame for the same reason share one sentence', () => {
    // 17970 at 30 fps, fps 1 (n = 598): the reference gives 15380 (AVX2, sample 511 = 15380.5) and
    // 15381 with 16 lanes and with 1 lane (15380.5009765625).
    const plan = planFramesWithAlternatives({ totalFrames: 17970, fps: 30 });
    assert.deepEqual(
      plan.alternatives.map((a) => a.kernel),
      ['avx512', 'scalar'],
    );
    const notes = alternativesNotes(plan.alternatives, 8);
    assert.equal(notes.length, 1);
    assert.match(
      notes[0],
      new RegExp(
        String.raw`^torch builds using AVX-512 \(16-lane\) or per-element \(torch 2\.11\) linspace ` +
          String.raw`would pick frame 15381 instead of 15380 at position 7 of 8: `,
      ),
    );
  });

  test('the second stage can differ too (16 frames kept), and other samplers have none', () => {
    // 300 frames at 30 fps, fps 0.6 → n = 6; linspace(0, 5, 16): step = f32(5/15). AVX2 fills 16
    // values as two 8-lane blocks; position 9 is lane 1 of the second block, whose base is
    // 5 - step·7: 2.6666665 + 0.33333334 = 2.9999998 → truncated to sample 2 (frame 120); from its
    // own base (16 lanes: no full pair; scalar) f32(5 - step·6) = f32(2.99999994) = 3 → sample 3
    // (frame 179). First stage linspace(0, 299, 6): 119.6 → 120, 179.4 → 179 (python reference).
    const plan = planFramesWithAlternatives({ totalFrames: 300, fps: 30 }, { fps: 0.6, count: 16 });
    const at9 = plan.alternatives.filter((a) => a.position === 9);
    assert.deepEqual(
      at9.map((a) => [a.frame, a.alternative, a.kernel]),
      [
        [120, 179, 'avx512'],
        [120, 179, 'scalar'],
      ],
    );
    assert.match(
      at9[0].why,
      /^the second stage linspace\(0, 5, 16\) gives 3 there \(AVX2: 2\.9999998\), truncated to first-stage sample 3 instead of 2$/,
    );
    assert.deepEqual(planFramesWithAlternatives({ totalFrames: 17368, fps: 30 }, { sampler: 'internvl' }).alternatives, []);
    assert.deepEqual(planFramesWithAlternatives({ totalFrames: 300, fps: 30 }).alternatives, []);
  });

  test('real torch 2.11.0 (measured on a lent machine) computes every value from its own base, on AVX2 and AVX-512 alike', () => {
    // test/support/torch-2.11-linspace.json: frames real torch picked (scripts/device/torch-linspace.py,
    // ATEN_CPU_CAPABILITY=avx2 and =avx512) on the clips where the 8-lane block kernel differs, and
    // the four cases. The numbers came from another torch; 2.11 gives the per-element
    // result, which is why the plan lists it as an alternative.
    const file = path.resolve(__dirname, '../../../test/support/torch-2.11-linspace.json');
    const ref = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      torch: string;
      cases: { totalFrames: number; videoFps: number; fps: number; avx2: number[]; avx512: number[] }[];
    };
    assert.equal(ref.torch, '2.11.0+cu130');
    assert.ok(ref.cases.length >= 40);
    let blockDiffers = 0;
    for (const c of ref.cases) {
      const video = { totalFrames: c.totalFrames, fps: c.videoFps };
      const perElement = qwen2vlIndices(video, c.fps, 8, LINSPACE_KERNELS.scalar);
      assert.deepEqual(perElement, c.avx2, `${c.totalFrames} at ${c.videoFps} fps, fps ${c.fps}`);
      assert.deepEqual(perElement, c.avx512, `${c.totalFrames} at ${c.videoFps} fps, fps ${c.fps}`);
      const block = qwen2vlIndices(video, c.fps, 8);
      if (JSON.stringify(block) !== JSON.stringify(c.avx2)) {
        blockDiffers++;
        // Wherever torch 2.11 picks another frame than the plan, the plan says so.
        const alt = planFramesWithAlternatives(video, { fps: c.fps }).alternatives.filter((a) => a.kernel === 'scalar');
        assert.deepEqual(
          alt.map((a) => a.alternative),
          c.avx2.filter((f, k) => f !== block[k]),
        );
      }
    }
    assert.equal(blockDiffers, ref.cases.length);
    // The first case: 26449 in the plan, 26448 with torch 2.11.
    assert.ok(ref.cases.some((c) => c.totalFrames === 37053 && c.avx2[5] === 26448));
  });
});
