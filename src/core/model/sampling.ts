/**
 * Generation settings and seeded sampling. The library's own sampler draws from Math.random, so a
 * seed could not make a sampled re-run repeatable; sampling is done here instead (temperature, then
 * top-p, then one draw from a seeded generator) and the model's greedy step takes the drawn token.
 */

export interface GenerationSettings {
  /** Upstream generates up to 512 new tokens. */
  maxNewTokens: number;
  /** false: greedy (the default, as upstream); true: sample with temperature / topP / seed. */
  doSample: boolean;
  temperature: number;
  topP: number;
  seed: number;
}

export const DEFAULT_GENERATION: GenerationSettings = { maxNewTokens: 512, doSample: false, temperature: 1, topP: 1, seed: 0 };

/** Checks settings from a user; the message names the field and the allowed range. */
export function checkGeneration(g: GenerationSettings): string | undefined {
  if (!Number.isInteger(g.maxNewTokens) || g.maxNewTokens < 1 || g.maxNewTokens > 32768) return `maxNewTokens must be an integer from 1 to 32768 (got ${g.maxNewTokens})`;
  if (g.doSample) {
    if (!(g.temperature > 0) || g.temperature > 100) return `temperature must be above 0 and at most 100 when sampling (got ${g.temperature})`;
    if (!(g.topP > 0) || g.topP > 1) return `topP must be above 0 and at most 1 (got ${g.topP})`;
    if (!Number.isInteger(g.seed) || g.seed < 0 || g.seed > 0xffffffff) return `seed must be an integer from 0 to 4294967295 (got ${g.seed})`;
  }
  return undefined;
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

/**
 * Draws a token from `logits` (one row): softmax at `temperature`, keep the smallest set of most
 * likely tokens whose probability reaches `topP` (always at least one), draw with `rand`.
 */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topP: number, rand: () => number): number {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.exp((logits[i] - max) / temperature);
    p[i] = v;
    sum += v;
  }
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => p[i] > 0);
  order.sort((x, y) => p[y] - p[x] || x - y);
  let kept = 0;
  let mass = 0;
  while (kept < order.length && (kept === 0 || mass / sum < topP)) mass += p[order[kept++]];
  let r = rand() * mass;
  for (let k = 0; k < kept; k++) {
    r -= p[order[k]];
    if (r < 0) return order[k];
  }
  return order[kept - 1];
}
