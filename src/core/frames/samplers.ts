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

// The bits of a double, to step it by one unit in the last place (fmaF32's round-to-odd).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/**
 * fma(a, b, c) in float32: a·b + c rounded ONCE to float32 (what a fused multiply-add instruction
 * gives), for float32 a, b and c. a·b of two float32s (24-bit significands) is exact in a double;
 * the double sum s = a·b + c is not always, and rounding s to float32 would then round twice (wrong
 * when s falls exactly on a float32 midpoint that the exact sum is not on). So the sum is rounded
 * to odd instead: when the two-sum error e (a·b + c = s + e exactly) is not zero and s's last bit
 * is even, s moves one unit in the last place towards the exact sum. A double rounded to odd
 * (53 bits ≥ 24 + 2) then rounds to the nearest float32 correctly (Boldo & Melquiond, 2008).
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return f32(s);
  const v = s - p;
  const e = p - (s - v) + (c - v);
  if (e === 0) return f32(s);
  f64[0] = s;
  if ((u32[LO] & 1) === 0) {
    // s ≠ 0 here (a double sum that rounds to zero is exact). Away from zero when e has s's sign.
    if (e > 0 === s > 0) {
      u32[LO] = (u32[LO] + 1) >>> 0;
      if (u32[LO] === 0) u32[HI]++;
    } else {
      if (u32[LO] === 0) u32[HI]--;
      u32[LO] = (u32[LO] - 1) >>> 0;
    }
  }
  return f32(f64[0]);
}

/**
 * The CPU kernels of torch.linspace, by lane width: torch's vectorised loop fills `lanes` values
 * per vector, two vectors per step. 8 lanes: AVX2 (the kernel the fidelity issue measured on real
 * torch, and what the product uses); 16: AVX-512 builds of that kernel; 1: every value from its own
 * base, which is what torch 2.11.0 computes on both AVX2 and AVX-512 CPUs (measured on a lent
 * machine: 20,005 of 20,005 clips, test/support/torch-2.11-linspace.json). Which torch upstream ran
 * is not known, so the other two are shown as alternatives wherever they pick another frame.
 */
export const LINSPACE_KERNELS = { avx2: 8, avx512: 16, scalar: 1 } as const;
export type LinspaceKernel = keyof typeof LINSPACE_KERNELS;

/**
 * torch.linspace(start, end, steps) in float32 on the CPU, as its vectorised kernel computes it
 * (measured against real torch, see the fidelity issue): step = (end - start) / (steps - 1); a
 * position k "from its own base" is start + step·k for k < steps/2, else end - step·(steps-1-k),
 * each one fused multiply-add. Blocks of `lanes` values, two per step while a pair fits: each block
 * takes its first value from its own base and lane j adds j·step to it (rounded, then the sum
 * rounded: two roundings, no fused multiply-add). The positions after the last pair of blocks are
 * each from their own base. `lanes` 8 is AVX2 (the default), 16 AVX-512, 1 scalar.
 */
export function torchLinspaceF32(start: number, end: number, steps: number, lanes: number = LINSPACE_KERNELS.avx2): number[] {
  if (steps <= 0) return [];
  const s = f32(start);
  if (steps === 1) return [s];
  const e = f32(end);
  const step = f32(f32(e - s) / f32(steps - 1));
  const halfway = Math.floor(steps / 2);
  const own = (k: number) => (k < halfway ? fmaF32(step, k, s) : fmaF32(-step, steps - 1 - k, e));
  const out = new Array<number>(steps);
  let i = 0;
  if (lanes > 1) {
    for (; i + 2 * lanes <= steps; i += 2 * lanes) {
      for (const b of [i, i + lanes]) {
        const base = own(b);
        out[b] = base;
        for (let j = 1; j < lanes; j++) out[b + j] = f32(base + f32(j * step));
      }
    }
  }
  for (; i < steps; i++) out[i] = own(i);
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

/** Qwen2-VL's reader, stage by stage (the float values before rounding, for explanations). */
interface Qwen2vlStages {
  /** Frames of the first stage. */
  n: number;
  /** linspace(0, T-1, n) in float32, and rounded half to even. */
  first: number[];
  firstRounded: number[];
  /** linspace(0, n-1, count) in float32 (truncated toward zero to pick from the first stage). */
  second: number[];
  indices: number[];
}

function qwen2vlStages(video: VideoFacts, fps: number, count: number, lanes: number): Qwen2vlStages {
  const T = video.totalFrames;
  if (T < 2) throw new Error(`qwen2vl needs at least 2 frames (the video has ${T})`);
  const raw = (T / video.fps) * fps;
  const maxFrames = floorEven(Math.min(768, T));
  const n = Math.min(floorEven(Math.min(Math.max(raw, 4), maxFrames)), T);
  const first = torchLinspaceF32(0, T - 1, n, lanes);
  const firstRounded = first.map(roundHalfEven);
  const second = torchLinspaceF32(0, n - 1, count, lanes);
  return { n, first, firstRounded, second, indices: second.map((x) => firstRounded[Math.trunc(x)]) };
}

/**
 * Qwen2-VL's reader as ST-R1 uses it: a first stage of `n` frames at `fps` (qwen_vl_utils'
 * smart_nframes: between 4 and min(768, T), a multiple of 2, at most T), then `count` of those.
 * Both stages are torch's CPU float32 linspace with `lanes` lanes (8: AVX2, the default).
 */
export function qwen2vlIndices(video: VideoFacts, fps = 1.0, count = 8, lanes: number = LINSPACE_KERNELS.avx2): number[] {
  return qwen2vlStages(video, fps, count, lanes).indices;
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

/** The linspace kernels other torch builds use than the AVX2 one the plan follows. */
export const OTHER_KERNELS = ['avx512', 'scalar'] as const satisfies readonly Exclude<LinspaceKernel, 'avx2'>[];

/** A frame the plan would pick differently with another torch linspace kernel. */
export interface FrameAlternative {
  /** Where in the plan: 0-based, into `indices`. */
  position: number;
  /** The frame the AVX2 kernel picks (the one shown, extracted and sent to the model). */
  frame: number;
  /** The frame the other kernel picks there. */
  alternative: number;
  kernel: (typeof OTHER_KERNELS)[number];
  /** One line: which linspace value differs, and how. */
  why: string;
}

export interface FramePlan {
  /** The AVX2 plan: what the product extracts, caches and re-runs with. */
  indices: number[];
  /** Positions where the 16-lane or the scalar kernel would pick another frame (empty: none). */
  alternatives: FrameAlternative[];
}

/** The shortest decimal that reads back as the same float32. */
export function f32String(x: number): string {
  for (let p = 1; p < 9; p++) {
    const t = Number(x.toPrecision(p));
    if (f32(t) === x) return String(t);
  }
  return String(Number(x.toPrecision(9)));
}

/**
 * The plan of `planFrames` (AVX2) with, for the qwen2vl sampler, every position where torch's
 * 16-lane (AVX-512) or scalar linspace kernel would pick a different frame, and why. The other
 * samplers use no torch linspace: no alternatives.
 */
export function planFramesWithAlternatives(video: VideoFacts, params: Partial<SamplerParams> = {}): FramePlan {
  const p = samplerParamsSchema.parse(params);
  const indices = planFrames(video, p);
  if (p.sampler !== 'qwen2vl') return { indices, alternatives: [] };
  const avx2 = qwen2vlStages(video, p.fps, p.count, LINSPACE_KERNELS.avx2);
  const alternatives: FrameAlternative[] = [];
  const T = video.totalFrames;
  for (const kernel of OTHER_KERNELS) {
    const other = qwen2vlStages(video, p.fps, p.count, LINSPACE_KERNELS[kernel]);
    other.indices.forEach((alternative, position) => {
      const frame = avx2.indices[position];
      if (alternative === frame) return;
      const k = Math.trunc(avx2.second[position]);
      const ko = Math.trunc(other.second[position]);
      const why =
        k !== ko
          ? `the second stage linspace(0, ${avx2.n - 1}, ${p.count}) gives ${f32String(other.second[position])} there ` +
            `(AVX2: ${f32String(avx2.second[position])}), truncated to first-stage sample ${ko} instead of ${k}`
          : `the first stage linspace(0, ${T - 1}, ${avx2.n}) gives ${f32String(other.first[k])} at sample ${k} ` +
            `(AVX2: ${f32String(avx2.first[k])}), rounded half to even to ${alternative} instead of ${frame}`;
      alternatives.push({ position, frame, alternative, kernel, why });
    });
  }
  return { indices, alternatives };
}

const KERNEL_WORDS: Record<FrameAlternative['kernel'], string> = {
  avx512: 'AVX-512 (16-lane)',
  scalar: 'per-element (torch 2.11)',
};

/**
 * One sentence per frame that could differ, as the trace view and the CLI show it; kernels that
 * would pick the same other frame for the same reason share a sentence. `count`: frames in the plan.
 */
export function alternativesNotes(alternatives: readonly FrameAlternative[], count: number): string[] {
  const groups = new Map<string, { a: FrameAlternative; kernels: string[] }>();
  for (const a of alternatives) {
    const key = `${a.position}\u0000${a.alternative}\u0000${a.why}`;
    const g = groups.get(key);
    if (g) g.kernels.push(KERNEL_WORDS[a.kernel]);
    else groups.set(key, { a, kernels: [KERNEL_WORDS[a.kernel]] });
  }
  return [...groups.values()].map(
    ({ a, kernels }) =>
      `torch builds using ${kernels.join(' or ')} linspace would pick frame ${a.alternative} instead of ${a.frame} ` +
      `at position ${a.position + 1} of ${count}: ${a.why}.`,
  );
}
