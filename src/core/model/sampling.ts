/**
 * Generation settings, where each comes from, and the logits processing of a re-run's every step.
 *
 * Upstream calls `model.generate(**inputs, max_new_tokens=512)` (infer_code/ST-R1_mcq/mcq_infer.py):
 * everything else comes from the model folder's generation_config.json, else from transformers'
 * GenerationConfig defaults. Qwen2-VL's own generation_config.json samples (do_sample true) with a
 * repetition penalty, temperature, top_k and top_p. So a re-run follows the folder's file unless the
 * user overrides a setting, and records the effective settings and where each came from.
 *
 * The steps are transformers' logits processors, in transformers' order: the repetition penalty
 * (greedy or not), then, when sampling, temperature, top-k, top-p; then the argmax (greedy) or a
 * draw. The draw is ours, from a seeded generator, so a seed repeats a sampled run (torch's
 * multinomial draws cannot be reproduced outside torch); everything before it computes what
 * transformers computes on float32 logits.
 */

export interface GenerationSettings {
  /** Upstream generates up to 512 new tokens. */
  maxNewTokens: number;
  /** false: greedy (argmax after the repetition penalty); true: sample (temperature, top-k, top-p, then a seeded draw). */
  doSample: boolean;
  temperature: number;
  /** Keep the k most likely tokens when sampling (ties with the k-th kept); 0: no top-k. */
  topK: number;
  topP: number;
  /** transformers' RepetitionPenaltyLogitsProcessor: 1 is none. Applies in greedy decoding too. */
  repetitionPenalty: number;
  seed: number;
}

export const GENERATION_KEYS = [
  'maxNewTokens',
  'doSample',
  'temperature',
  'topK',
  'topP',
  'repetitionPenalty',
  'seed',
] as const satisfies readonly (keyof GenerationSettings)[];

/**
 * What applies when neither the user nor the model folder says: the upstream script's
 * max_new_tokens=512, transformers' GenerationConfig defaults (do_sample False, temperature 1.0,
 * top_k 50, top_p 1.0, repetition_penalty 1.0), and seed 0 (ours).
 */
export const DEFAULT_GENERATION: GenerationSettings = {
  maxNewTokens: 512,
  doSample: false,
  temperature: 1,
  topK: 50,
  topP: 1,
  repetitionPenalty: 1,
  seed: 0,
};

/**
 * Where an effective setting came from: the user (a setting or a flag), the model folder's
 * generation_config.json, the upstream script (max_new_tokens=512), transformers' default, or this
 * inspector's default (the seed: upstream has none).
 */
export type GenerationSource = 'user' | 'generation_config.json' | 'upstream script' | 'transformers default' | 'inspector default';
export type GenerationSources = Record<keyof GenerationSettings, GenerationSource>;

export interface EffectiveGeneration {
  settings: GenerationSettings;
  sources: GenerationSources;
}

export class GenerationConfigError extends Error {}

/** generation_config.json's fields that a re-run follows, and the value a JSON null stands for (the processor off). */
const CONFIG_FIELDS: { key: 'doSample' | 'temperature' | 'topK' | 'topP' | 'repetitionPenalty'; field: string; off: boolean | number }[] = [
  { key: 'doSample', field: 'do_sample', off: false },
  { key: 'temperature', field: 'temperature', off: 1 },
  { key: 'topK', field: 'top_k', off: 0 },
  { key: 'topP', field: 'top_p', off: 1 },
  { key: 'repetitionPenalty', field: 'repetition_penalty', off: 1 },
];

/**
 * The settings a re-run uses: each one the user set, else the model folder's generation_config.json
 * (`config`, already parsed; max_new_tokens there is not used, as upstream passes its own), else
 * the defaults above. A field of the file with a value of the wrong type is an error naming it.
 */
export function resolveGeneration(
  user: Partial<GenerationSettings>,
  config?: Record<string, unknown>,
  configName = 'generation_config.json',
): EffectiveGeneration {
  const settings = { ...DEFAULT_GENERATION };
  const sources: GenerationSources = {
    maxNewTokens: 'upstream script',
    doSample: 'transformers default',
    temperature: 'transformers default',
    topK: 'transformers default',
    topP: 'transformers default',
    repetitionPenalty: 'transformers default',
    seed: 'inspector default',
  };
  if (config) {
    for (const { key, field, off } of CONFIG_FIELDS) {
      if (!(field in config)) continue;
      const v = config[field];
      if (v === null) {
        (settings[key] as boolean | number) = off;
      } else if (key === 'doSample') {
        if (typeof v !== 'boolean')
          throw new GenerationConfigError(`${configName}: do_sample must be true or false (got ${JSON.stringify(v)})`);
        settings.doSample = v;
      } else {
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new GenerationConfigError(`${configName}: ${field} must be a number (got ${JSON.stringify(v)})`);
        if (key === 'topK' && (!Number.isInteger(v) || v < 0))
          throw new GenerationConfigError(`${configName}: top_k must be a whole number of at least 0 (got ${v})`);
        settings[key] = v;
      }
      sources[key] = 'generation_config.json';
    }
  }
  for (const key of GENERATION_KEYS) {
    const v = user[key];
    if (v === undefined || v === null) continue;
    (settings[key] as boolean | number) = v;
    sources[key] = 'user';
  }
  return { settings, sources };
}

/** Checks settings (a user's, or a model folder's); the message names the field and the allowed range. */
export function checkGeneration(g: GenerationSettings): string | undefined {
  if (!Number.isInteger(g.maxNewTokens) || g.maxNewTokens < 1 || g.maxNewTokens > 32768)
    return `maxNewTokens must be an integer from 1 to 32768 (got ${g.maxNewTokens})`;
  // transformers: "`penalty` has to be a strictly positive float".
  if (!(g.repetitionPenalty > 0) || !Number.isFinite(g.repetitionPenalty))
    return `repetitionPenalty must be above 0 (got ${g.repetitionPenalty})`;
  if (g.doSample) {
    if (!(g.temperature > 0) || g.temperature > 100)
      return `temperature must be above 0 and at most 100 when sampling (got ${g.temperature})`;
    if (!Number.isInteger(g.topK) || g.topK < 0) return `topK must be a whole number of at least 0 (0: no top-k; got ${g.topK})`;
    if (!(g.topP >= 0) || g.topP > 1) return `topP must be from 0 to 1 (got ${g.topP})`;
    if (!Number.isInteger(g.seed) || g.seed < 0 || g.seed > 0xffffffff)
      return `seed must be an integer from 0 to 4294967295 (got ${g.seed})`;
  }
  return undefined;
}

/** The settings in words, with where each came from when it is not the default's. */
export function describeGeneration(g: GenerationSettings, sources?: GenerationSources): string {
  const from = (k: keyof GenerationSettings) =>
    sources && sources[k] !== 'transformers default' && sources[k] !== 'inspector default' && sources[k] !== 'upstream script'
      ? ` [${sources[k] === 'user' ? 'setting' : sources[k]}]`
      : '';
  const parts: string[] = [];
  parts.push(g.doSample ? `sampling${from('doSample')}` : `greedy${from('doSample')}`);
  if (g.repetitionPenalty !== 1) parts.push(`repetition penalty ${g.repetitionPenalty}${from('repetitionPenalty')}`);
  if (g.doSample) {
    if (g.temperature !== 1) parts.push(`temperature ${g.temperature}${from('temperature')}`);
    if (g.topK !== 0) parts.push(`top-k ${g.topK}${from('topK')}`);
    if (g.topP < 1) parts.push(`top-p ${g.topP}${from('topP')}`);
    parts.push(`seed ${g.seed}${from('seed')}`);
  }
  parts.push(`up to ${g.maxNewTokens} tokens${from('maxNewTokens')}`);
  return parts.join(', ');
}

/** A small, fast, seeded generator of floats in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/*
 * The processors work in place on one row of float32 logits, with torch's float32 arithmetic as
 * upstream ran it, on CUDA (mcq_infer.py runs on "cuda:0"): a Python float is cast to float32, and
 * dividing a tensor by it is a multiplication by its float32 reciprocal (torch's CUDA kernel does
 * that; on the CPU torch divides, which can differ in a logit's last bit). A Float32Array rounds
 * what is stored to float32, and a product or quotient of float32 numbers computed in double then
 * rounded once is exactly the float32 product or quotient. Checked bit for bit against
 * transformers' generate on an H100 (test/support/transformers-logits-cuda.json).
 */

/** torch's `tensor / scalar` on CUDA: times the float32 reciprocal of the float32 scalar. */
function divisor(x: number): number {
  return Math.fround(1 / Math.fround(x));
}

/**
 * transformers' RepetitionPenaltyLogitsProcessor: every token of the sequence so far (the prompt
 * included) has its logit multiplied by the penalty when below 0, divided by it otherwise, once
 * however often it occurs (transformers gathers and scatters by token id).
 */
export function applyRepetitionPenalty(row: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  const p = Math.fround(penalty);
  const inv = divisor(penalty);
  for (const t of seen instanceof Set ? seen : new Set(seen)) {
    if (t < 0 || t >= row.length) continue;
    const s = row[t];
    row[t] = s < 0 ? s * p : s * inv;
  }
}

/** transformers' TemperatureLogitsWarper: logits / temperature (on CUDA: times the reciprocal). */
export function applyTemperature(row: Float32Array, temperature: number): void {
  if (temperature === 1) return;
  const inv = divisor(temperature);
  for (let i = 0; i < row.length; i++) row[i] = row[i] * inv;
}

/**
 * transformers' TopKLogitsWarper: every logit below the k-th largest becomes -inf (so ties with
 * the k-th are kept); k is at least 1 and at most the vocabulary.
 */
export function applyTopK(row: Float32Array, topK: number): void {
  const n = row.length;
  const k = Math.min(Math.max(topK, 1), n);
  if (k >= n) return;
  let kth: number;
  if (k === 1) {
    kth = -Infinity;
    for (let i = 0; i < n; i++) if (row[i] > kth) kth = row[i];
  } else {
    const sorted = Float32Array.from(row).sort(); // ascending, NaN last
    kth = sorted[n - k];
  }
  for (let i = 0; i < n; i++) if (row[i] < kth) row[i] = -Infinity;
}

/**
 * transformers' TopPLogitsWarper: sort ascending, softmax, cumulative sum; tokens whose cumulative
 * probability is at most 1 − top_p become -inf, the most likely always kept. The cumulative sum
 * accumulates in double and stores float32, as torch's CPU cumsum does; the probabilities are
 * computed in double and rounded to float32 (torch computes its softmax in float32: the cut can
 * differ only where a cumulative probability lies within float32 rounding of 1 − top_p). Equal
 * logits are ordered by token id (torch's sort order among ties is unspecified).
 */
export function applyTopP(row: Float32Array, topP: number): void {
  if (topP >= 1) return;
  // Tokens already at -inf have probability 0: they add nothing to the sums and stay removed.
  const idx: number[] = [];
  for (let i = 0; i < row.length; i++) if (row[i] > -Infinity) idx.push(i);
  if (idx.length <= 1) return;
  idx.sort((a, b) => row[a] - row[b] || a - b);
  const max = row[idx[idx.length - 1]];
  const e = new Float64Array(idx.length);
  let sum = 0;
  for (let j = 0; j < idx.length; j++) sum += e[j] = Math.exp(row[idx[j]] - max);
  const cut = Math.fround(1 - topP);
  let acc = 0;
  for (let j = 0; j < idx.length - 1; j++) {
    acc += Math.fround(e[j] / sum);
    if (Math.fround(acc) > cut) break;
    row[idx[j]] = -Infinity;
  }
}

/** The processors of one step, in transformers' order: repetition penalty; when sampling, temperature, top-k, top-p. */
export function processLogits(row: Float32Array, seen: Iterable<number>, g: GenerationSettings): void {
  applyRepetitionPenalty(row, seen, g.repetitionPenalty);
  if (!g.doSample) return;
  applyTemperature(row, g.temperature);
  if (g.topK !== 0) applyTopK(row, g.topK);
  applyTopP(row, g.topP);
}

/** The next token from processed logits: the first largest (greedy, as torch.argmax), or a seeded draw from their softmax. */
export function pickToken(row: Float32Array, doSample: boolean, rand: () => number): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  if (!doSample) return best;
  const max = row[best];
  const p = new Float64Array(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += p[i] = row[i] > -Infinity ? Math.exp(row[i] - max) : 0;
  let r = rand() * sum;
  let last = best;
  for (let i = 0; i < row.length; i++) {
    if (p[i] === 0) continue;
    last = i;
    r -= p[i];
    if (r < 0) return i;
  }
  return last;
}

/**
 * One run's decoding steps: for each step, the sequence so far (prompt and generated tokens, as
 * the library passes them) and the logits row in; the processed row's pick out. The seen tokens are
 * kept per batch row and grow with the sequence. `remap` renames a token id the way upstream's
 * sequence has it (our video placeholders are <|image_pad|>, upstream's <|video_pad|>).
 */
export function decodingSteps(
  g: GenerationSettings,
  remap?: { from: number; to: number },
): (batchRow: number, sequence: ArrayLike<bigint | number>, logits: Float32Array) => number {
  const rand = seededRandom(g.seed);
  const seen: Set<number>[] = [];
  const counted: number[] = [];
  return (b, sequence, row) => {
    const have = (seen[b] ??= new Set());
    for (let i = counted[b] ?? 0; i < sequence.length; i++) {
      const id = Number(sequence[i]);
      have.add(remap && id === remap.from ? remap.to : id);
    }
    counted[b] = sequence.length;
    processLogits(row, have, g);
    return pickToken(row, g.doSample, rand);
  };
}
