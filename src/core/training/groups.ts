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
  const r = rewards.map(f32);
  const { mean, std } = meanStd(r, r.length);
  const denom = f32(std + EPS);
  return { mean, std, advantages: r.map((x) => f32(f32(x - mean) / denom)) };
}

/** groupAdvantages' mean and std of the first `n` of `r` (float32 values), with no array made. */
function meanStd(r: ArrayLike<number>, n: number): { mean: number; std: number } {
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
  return { mean, std };
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
 * their timestamps differ, so their groups stay apart. A group's lists (completions, rewards,
 * advantages) are made when first read, from the store's columns: a long run's 12k groups are then
 * one object each, not seven.
 */
export function groupCompletions(completions: CompletionStore, funcs: RewardFuncs): CompletionGroup[] {
  const n = completions.length;
  // A group by timestamp index (the store keeps each timestamp once); then each group's members in one array.
  const byTimestamp = new Int32Array(completions.timestamps.length).fill(-1);
  const counts = new Int32Array(completions.timestamps.length + 1);
  let groups = 0;
  for (let i = 0; i < n; i++) {
    const t = completions.timestampIndexOf(i);
    let g = byTimestamp[t];
    if (g < 0) g = byTimestamp[t] = groups++;
    completions.setGroup(i, g);
    counts[g + 1]++;
  }
  const members = new Members(counts, groups, n);
  for (let i = 0; i < n; i++) members.add(completions.group(i), i);
  const out: CompletionGroup[] = [];
  const rewards = new Float64Array(members.largest);
  for (let g = 0; g < groups; g++) out.push(makeGroup(g, completions, members, funcs, rewards));
  return out;
}

/** The groups' completions, each group's in file order: one array, each group's start in another. */
class Members {
  readonly starts: Int32Array;
  readonly list: Int32Array;
  largest = 0;
  private readonly next: Int32Array;

  constructor(counts: Int32Array, groups: number, n: number) {
    this.starts = new Int32Array(groups + 1);
    for (let g = 0; g < groups; g++) {
      this.starts[g + 1] = this.starts[g] + counts[g + 1];
      this.largest = Math.max(this.largest, counts[g + 1]);
    }
    this.next = this.starts.slice(0, groups);
    this.list = new Int32Array(n);
  }

  add(group: number, i: number): void {
    this.list[this.next[group]++] = i;
  }
}

/** Group `g`'s stats from its completions' columns (`rewards`: room for the largest group's). */
function makeGroup(g: number, completions: CompletionStore, members: Members, funcs: RewardFuncs, rewards: Float64Array): GroupOfStore {
  const accuracy = funcs.includes('accuracy');
  const format = funcs.includes('format');
  const a = members.starts[g];
  const size = members.starts[g + 1] - a;
  let allWrong = true;
  let allFormatBroken = true;
  let longest = 0;
  let zeroVariance = true;
  for (let k = 0; k < size; k++) {
    const i = members.list[a + k];
    const acc = completions.accuracy(i);
    const fmt = completions.format(i);
    // totalReward, its funcs looked at once per group.
    let r = 0;
    if (accuracy) r = f32(r + f32(acc));
    if (format) r = f32(r + fmt);
    rewards[k] = r;
    if (!(r === rewards[0] || (Number.isNaN(r) && Number.isNaN(rewards[0])))) zeroVariance = false;
    if (acc > 0) allWrong = false;
    if (fmt !== 0) allFormatBroken = false;
    longest = Math.max(longest, completions.chars(i));
  }
  const { mean, std } = meanStd(rewards, size);
  const first = members.list[a];
  return new GroupOfStore(g, completions, members, funcs, {
    timestamp: completions.timestamp(first),
    file: completions.file(first),
    line: completions.line(first),
    mean,
    std,
    zeroVariance,
    allWrong,
    allFormatBroken,
    longest,
  });
}

type GroupStats = Pick<
  CompletionGroup,
  'timestamp' | 'file' | 'line' | 'mean' | 'std' | 'zeroVariance' | 'allWrong' | 'allFormatBroken' | 'longest'
>;

/** A CompletionGroup whose lists are read from the store's columns when first asked for. */
class GroupOfStore implements CompletionGroup {
  readonly call: number;
  readonly timestamp: string;
  readonly file: string;
  readonly line: number;
  readonly mean: number;
  readonly std: number;
  readonly zeroVariance: boolean;
  readonly allWrong: boolean;
  readonly allFormatBroken: boolean;
  readonly longest: number;
  // Private fields: not own properties that deepEqual or a spread would see.
  #store: CompletionStore;
  #members: Members;
  #funcs: RewardFuncs;
  #lists: { completions: number[]; rewards: number[]; advantages: number[] } | undefined = undefined;

  constructor(
    readonly index: number,
    store: CompletionStore,
    members: Members,
    funcs: RewardFuncs,
    stats: GroupStats,
  ) {
    this.call = index + 1;
    this.timestamp = stats.timestamp;
    this.file = stats.file;
    this.line = stats.line;
    this.mean = stats.mean;
    this.std = stats.std;
    this.zeroVariance = stats.zeroVariance;
    this.allWrong = stats.allWrong;
    this.allFormatBroken = stats.allFormatBroken;
    this.longest = stats.longest;
    this.#store = store;
    this.#members = members;
    this.#funcs = funcs;
  }

  /** Indexes into the run's completions, in the file's order. */
  get completions(): number[] {
    return this.lists().completions;
  }
  get rewards(): number[] {
    return this.lists().rewards;
  }
  get advantages(): number[] {
    return this.lists().advantages;
  }

  /** Every field, the lists included, as a plain object: JSON.stringify of a group keeps its lists (a spread would not). */
  toJSON(): CompletionGroup {
    return {
      index: this.index,
      call: this.call,
      timestamp: this.timestamp,
      file: this.file,
      line: this.line,
      completions: this.completions,
      rewards: this.rewards,
      advantages: this.advantages,
      mean: this.mean,
      std: this.std,
      zeroVariance: this.zeroVariance,
      allWrong: this.allWrong,
      allFormatBroken: this.allFormatBroken,
      longest: this.longest,
    };
  }

  private lists(): { completions: number[]; rewards: number[]; advantages: number[] } {
    if (!this.#lists) {
      const m = this.#members;
      const completions = Array.from(m.list.subarray(m.starts[this.index], m.starts[this.index + 1]));
      const rewards = completions.map((i) =>
        totalReward({ accuracy: this.#store.accuracy(i), format: this.#store.format(i) }, this.#funcs),
      );
      this.#lists = { completions, rewards, advantages: groupAdvantages(rewards).advantages };
    }
    return this.#lists;
  }
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
