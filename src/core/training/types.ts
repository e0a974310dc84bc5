/** What a training run's files hold once read: metric points, completions, reward-call groups, problems. */

/** One logging step's dict (trainer_state.json's log_history, or a printed line of a training log). */
export interface MetricEntry {
  /** Training entries, evaluation entries (`eval_*` keys) and the run's final summary (`train_runtime`). */
  kind: 'train' | 'eval' | 'summary';
  step: number;
  /** Whether `step` was read (trainer_state.json) or inferred from the entry's place in a log (see TrainingLogReader). */
  stepFrom: 'file' | 'order';
  values: Record<string, number>;
  file: string;
  line: number;
}

/** A metric's series over steps, as `st-think training --json` reports it. */
export interface MetricSeries {
  points: number;
  firstStep: number;
  lastStep: number;
  /** The first and last values (NaN included: JSON says null), the least and greatest of the non-NaN ones. */
  first: number;
  last: number;
  min: number;
  max: number;
}

/** One completion of the reward debug log: its header's reward and where its raw texts lie in the file. */
export interface Completion {
  /** Index of its group (reward call) in TrainingRun.groups. */
  group: number;
  /** The header's timestamp (`%d-%H-%M-%S-%f`: day of month to microseconds), shared by one reward call. */
  timestamp: string;
  /** `Accuracy reward: R` from the header. */
  accuracy: number;
  /** The format reward (`<think>.*?</think>\s*<answer>.*?</answer>` matched at the start), recomputed: upstream does not log it. */
  format: number;
  /** Length of the content in characters (Unicode code points, as Python's len counts). */
  chars: number;
  /** First character of the stripped answer tag's content, '' without an answer tag. */
  answer: string;
  hasThink: boolean;
  file: string;
  /** 1-based line of the header. */
  line: number;
  /** Byte range of the content (after "Content: ", before the line break that ends it) and of the solution. */
  contentOffset: number;
  contentLength: number;
  solutionOffset: number;
  solutionLength: number;
}

/** One reward call's completions (they share the header's timestamp): a GRPO group when a call scores one prompt. */
export interface CompletionGroup {
  /** 0-based index; `call` is 1-based in the order calls first appear. */
  index: number;
  call: number;
  timestamp: string;
  file: string;
  line: number;
  /** Indexes into TrainingRun.completions, in the file's order. */
  completions: number[];
  /** Per completion: the reward the trainer summed (see RewardFuncs), in float32 as the trainer holds it. */
  rewards: number[];
  /** (reward − group mean) / (group std + 1e-4), float32, the std with Bessel's correction as torch's `std` (n − 1). */
  advantages: number[];
  mean: number;
  std: number;
  /** All rewards equal (or a single completion): GRPO learns nothing from this group. */
  zeroVariance: boolean;
  /** No completion has an accuracy reward above 0. */
  allWrong: boolean;
  /** No completion passes the format check. */
  allFormatBroken: boolean;
  /** The longest completion's length in characters. */
  longest: number;
}

export interface TrainingProblem {
  file: string;
  /** 1-based line. */
  line: number;
  message: string;
}

/** Which reward functions the trainer summed: upstream's default is accuracy only (`--reward_funcs accuracy`). */
export type RewardFuncs = readonly ('accuracy' | 'format')[];

/** The input is not a training file or run folder: one clear message instead of a list of problems. */
export class NotTrainingRunError extends Error {
  override name = 'NotTrainingRunError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: not a training run: ${reason}`);
  }
}
