/**
 * Completions grouped by reward call, and each group's advantages as upstream's trainer computes them
 * (ST-R1/src/open_r1_video/trainer/grpo_trainer.py, compute_loss):
 *
 *   rewards = rewards_per_func.sum(dim=1)                      # float32: the reward functions' sum
 *   mean = rewards.view(-1, G).mean(dim=1); std = rewards.view(-1, G).std(dim=1)   # std: n − 1
 *   advantages = (rewards - mean) / (std + 1e-4)
 *
 * in float32 (the rewards tensor is float32). The mean is the float32 sum over n; the std is taken in
 * float64 and rounded once to float32, as torch's CPU kernel does (Welford in double); its CUDA kernel
 * runs Welford in float32, which test/unit/training-groups.test.ts compares on every 0/1 and 0/1/2
 * group of up to 12. A group of one completion has std NaN (torch's n − 1 = 0) and NaN advantages,
 * as the trainer would.
 */
import type { CompletionStore } from './store';
import type { Completion, CompletionGroup, RewardFuncs } from './types';

const f32 = Math.fround;
const EPS = f32(1e-4);

/** mean, std (Bessel-corrected) and advantages of `rewards`, float32 step by step as the trainer computes them. */
export function groupAdvantages(rewards: readonly number[]): { mean: number; std: number; advantages: number[] } {
  const n = rewards.length;
  const r = rewards.map(f32);
  let sum = 0;
  for (let i = 0; i < n; i++) sum = f32(sum + r[i]);
  const mean = f32(sum / n);
  // The variance as torch's CPU kernel takes it: about the mean in float64, rounded once at the end.
  let total = 0;
  for (let i = 0; i < n; i++) total += r[i];
  const mean64 = total / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (r[i] - mean64) * (r[i] - mean64);
  const std = n > 1 ? f32(Math.sqrt(sq / (n - 1))) : NaN;
  const denom = f32(std + EPS);
  return { mean, std, advantages: r.map((x) => f32(f32(x - mean) / denom)) };
}

/** The reward the trainer summed for a completion: accuracy, plus the format reward when the run used it. */
export function totalReward(c: Pick<Completion, 'accuracy' | 'format'>, funcs: RewardFuncs): number {
  let r = 0;
  if (funcs.includes('accuracy')) r = f32(r + f32(c.accuracy));
  if (funcs.includes('format')) r = f32(r + c.format);
  return r;
}

/**
 * Group completions by their header's timestamp (one reward call), in the order calls first appear;
 * sets each completion's `group`. Calls of several processes (one per GPU) may interleave in the file:
 * their timestamps differ, so their groups stay apart.
 */
export function groupCompletions(completions: CompletionStore, funcs: RewardFuncs): CompletionGroup[] {
  // A group by timestamp index (the store keeps each timestamp once).
  const byTimestamp = new Int32Array(completions.timestamps.length).fill(-1);
  const groups: CompletionGroup[] = [];
  for (let i = 0; i < completions.length; i++) {
    const t = completions.timestampIndexOf(i);
    let g = byTimestamp[t];
    if (g < 0) {
      g = byTimestamp[t] = groups.length;
      groups.push(emptyGroup(g, completions.timestamps[t], completions.file(i), completions.line(i)));
    }
    completions.setGroup(i, g);
    groups[g].completions.push(i);
  }
  for (const g of groups) finishGroup(g, completions, funcs);
  return groups;
}

function emptyGroup(index: number, timestamp: string, file: string, line: number): CompletionGroup {
  return {
    index,
    call: index + 1,
    timestamp,
    file,
    line,
    completions: [],
    rewards: [],
    advantages: [],
    mean: NaN,
    std: NaN,
    zeroVariance: false,
    allWrong: true,
    allFormatBroken: true,
    longest: 0,
  };
}

function finishGroup(g: CompletionGroup, completions: CompletionStore, funcs: RewardFuncs): void {
  const accuracy = funcs.includes('accuracy');
  const format = funcs.includes('format');
  const rewards: number[] = [];
  let allWrong = true;
  let allFormatBroken = true;
  let longest = 0;
  for (let k = 0; k < g.completions.length; k++) {
    const i = g.completions[k];
    const acc = completions.accuracy(i);
    const fmt = completions.format(i);
    // totalReward, its funcs looked at once per group.
    let r = 0;
    if (accuracy) r = f32(r + f32(acc));
    if (format) r = f32(r + fmt);
    rewards.push(r);
    if (acc > 0) allWrong = false;
    if (fmt !== 0) allFormatBroken = false;
    longest = Math.max(longest, completions.chars(i));
  }
  g.rewards = rewards;
  const a = groupAdvantages(rewards);
  g.mean = a.mean;
  g.std = a.std;
  g.advantages = a.advantages;
  g.zeroVariance = rewards.every((r) => r === rewards[0] || (Number.isNaN(r) && Number.isNaN(rewards[0])));
  g.allWrong = allWrong;
  g.allFormatBroken = allFormatBroken;
  g.longest = longest;
}

/** Filters of the completion-group view and the CLI. */
export const GROUP_FILTERS = ['all', 'zero-variance', 'all-wrong', 'all-format-broken', 'longest'] as const;
export type GroupFilter = (typeof GROUP_FILTERS)[number];

/** The groups a filter keeps; 'longest' keeps all, longest completion first. */
export function filterGroups(groups: readonly CompletionGroup[], filter: GroupFilter): CompletionGroup[] {
  switch (filter) {
    case 'zero-variance':
      return groups.filter((g) => g.zeroVariance);
    case 'all-wrong':
      return groups.filter((g) => g.allWrong);
    case 'all-format-broken':
      return groups.filter((g) => g.allFormatBroken);
    case 'longest':
      return [...groups].sort((a, b) => b.longest - a.longest || a.index - b.index);
    default:
      return [...groups];
  }
}
