/**
 * A training run: a run folder (upstream's output_dir: `checkpoint-N/trainer_state.json`, the latest
 * checkpoint's state read, plus the log files beside them) or a single file (a trainer_state.json, a
 * training log, a reward debug log). Its metric series, its completions grouped by reward call, and
 * the problems found, each with its file and line.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { stepMapping, type StepMapping } from './curves';
import { groupCompletions } from './groups';
import { TrainingLogReader, type LogReadOptions, type PendingEntry } from './logReader';
import { CompletionStore } from './store';
import { readTrainerState, type TrainerState } from './trainerState';
import {
  NotTrainingRunError,
  type CompletionGroup,
  type MetricEntry,
  type MetricSeries,
  type RewardFuncs,
  type TrainingProblem,
} from './types';

export interface TrainingRunOptions extends LogReadOptions {
  /** The reward functions the trainer summed; default: as the run's metrics say (`rewards/format_reward`), else accuracy only. */
  rewardFuncs?: RewardFuncs;
}

/** What `st-think training --json` prints. */
export interface TrainingSummary {
  metrics: Record<string, MetricSeries>;
  completions: number;
  groups: number;
  zeroVarianceGroups: number;
  meanAccuracyReward: number | null;
}

/** Log files of a run folder: what the trainer's output and LOG_PATH are usually named. */
const LOG_EXTENSIONS = new Set(['.log', '.txt', '.out', '.err', '']);

export class TrainingRun {
  /** Metric entries of all sources, in step order of each source (trainer state first, then later log lines). */
  entries: MetricEntry[] = [];
  /** The completions of all its logs, as columns (`completions.get(i)` makes one an object). */
  completions = new CompletionStore();
  groups: CompletionGroup[] = [];
  problems: TrainingProblem[] = [];
  pending: (PendingEntry & { file: string })[] = [];
  rewardFuncs: RewardFuncs = ['accuracy'];
  trainerStateFile: string | undefined;
  /** The log files read that held metrics dicts or reward entries. */
  logFiles: string[] = [];
  private state: TrainerState | undefined;
  private readers = new Map<string, TrainingLogReader>();

  private constructor(
    readonly path: string,
    readonly isFolder: boolean,
    private readonly opts: TrainingRunOptions,
  ) {}

  get name(): string {
    return path.basename(this.path);
  }

  /** The trainer's logging_steps (trainer_state.json), 1 when unknown. */
  get loggingSteps(): number {
    const n = this.state?.fields.logging_steps;
    return n !== undefined && n > 0 ? n : 1;
  }

  /** The last training entry's step (0 without one). */
  get lastTrainStep(): number {
    let last = 0;
    for (const e of this.entries) if (e.kind === 'train' && e.step > last) last = e.step;
    return last;
  }

  /** How its logging steps map to its completion groups (see curves.ts); `callsPerStep` > 0 overrides the inferred one. */
  stepMapping(callsPerStep?: number): StepMapping {
    return stepMapping(this.groups.length, this.lastTrainStep, this.loggingSteps, callsPerStep);
  }

  /** Read a run folder or file. Throws NotTrainingRunError when it holds nothing of a training run. */
  static async open(p: string, opts: TrainingRunOptions = {}): Promise<TrainingRun> {
    const abs = path.resolve(p);
    const st = await fsp.stat(abs);
    const run = new TrainingRun(abs, st.isDirectory(), opts);
    await run.update();
    if (!run.entries.length && !run.completions.length) {
      const why = run.problems.length
        ? `${run.problems[0].message} (line ${run.problems[0].line})`
        : 'no metrics and no reward log entries found';
      throw new NotTrainingRunError(abs, run.isFolder ? `no trainer_state.json and no training log in it (${why})` : why);
    }
    return run;
  }

  /** Read again what changed: the trainer state afresh, the logs from where they were left (their pending entries). */
  async update(): Promise<void> {
    const { stateFile, logs } = this.isFolder ? await findRunFiles(this.path) : singleFile(this.path);
    this.trainerStateFile = stateFile;
    // Read as bytes, decoded once (readFile with an encoding decodes chunk by chunk and joins the pieces).
    this.state = stateFile ? readTrainerState(stateFile, (await fsp.readFile(stateFile)).toString('utf8')) : undefined;
    const readers: TrainingLogReader[] = [];
    for (const f of logs) {
      let r = this.readers.get(f);
      const size = (await fsp.stat(f)).size;
      // With a trainer state, the log's dicts it holds are dropped (combine): left unparsed.
      if (!r || size < r.size) r = new TrainingLogReader(f, { ...this.opts, deferDicts: stateFile !== undefined });
      try {
        await r.read();
      } catch (e) {
        // In a folder, a file that is not a log (binary, unreadable) is passed over; a single file is the user's choice.
        if (!this.isFolder || !(e instanceof NotTrainingRunError)) throw e;
        continue;
      }
      this.readers.set(f, r);
      if (!this.isFolder || r.metrics.length || r.completions.length) readers.push(r);
    }
    this.logFiles = readers.map((r) => r.file);
    this.combine(readers);
  }

  private combine(readers: TrainingLogReader[]): void {
    const state = this.state;
    this.problems = [...(state?.problems ?? []), ...readers.flatMap((r) => r.problems)];
    this.pending = readers.flatMap((r) => (r.pending ? [{ ...r.pending, file: r.file }] : []));
    this.entries = [...(state?.entries ?? [])];
    // The printed dicts of the log with the most of them, after the trainer state's last step.
    const logged = readers.filter((r) => r.metrics.length).sort((a, b) => b.metrics.length - a.metrics.length)[0];
    if (logged) {
      // Those at or before the state's last step are left unbuilt (their values never read: see lazyEntry).
      const after = this.entries.reduce((m, e) => Math.max(m, e.step), -Infinity);
      this.entries.push(...assignLogSteps(logged.metrics, state?.fields.logging_steps ?? 1, after));
    }
    // One log with completions (the usual run): a view of its columns; several: theirs copied into one store.
    const withCompletions = readers.filter((r) => r.completions.length);
    if (withCompletions.length <= 1) this.completions = (withCompletions[0]?.completions ?? new CompletionStore()).view();
    else {
      this.completions = new CompletionStore();
      for (const r of withCompletions) this.completions.append(r.completions);
    }
    const format = this.entries.some((e) => 'rewards/format_reward' in e.values);
    this.rewardFuncs = this.opts.rewardFuncs ?? (format ? ['accuracy', 'format'] : ['accuracy']);
    this.groups = groupCompletions(this.completions, this.rewardFuncs);
  }

  /** Each metric's points in entry order: steps and values. */
  series(): Map<string, { steps: number[]; values: number[]; kinds: MetricEntry['kind'][] }> {
    const out = new Map<string, { steps: number[]; values: number[]; kinds: MetricEntry['kind'][] }>();
    for (const e of this.entries) {
      for (const [k, v] of Object.entries(e.values)) {
        let s = out.get(k);
        if (!s) out.set(k, (s = { steps: [], values: [], kinds: [] }));
        s.steps.push(e.step);
        s.values.push(v);
        s.kinds.push(e.kind);
      }
    }
    return out;
  }

  summary(): TrainingSummary {
    const metrics: Record<string, MetricSeries> = {};
    for (const [name, s] of this.series()) metrics[name] = summariseSeries(s.steps, s.values);
    let sum = 0;
    for (let i = 0; i < this.completions.length; i++) sum += this.completions.accuracy(i);
    return {
      metrics,
      completions: this.completions.length,
      groups: this.groups.length,
      zeroVarianceGroups: this.groups.filter((g) => g.zeroVariance).length,
      meanAccuracyReward: this.completions.length ? sum / this.completions.length : null,
    };
  }
}

/** points, first and last step and value, least and greatest value (NaN left out of min and max). */
export function summariseSeries(steps: readonly number[], values: readonly number[]): MetricSeries {
  let min = NaN;
  let max = NaN;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (!(v >= min)) min = v;
    if (!(v <= max)) max = v;
  }
  const n = values.length;
  return { points: n, firstStep: steps[0], lastStep: steps[n - 1], first: values[0], last: values[n - 1], min, max };
}

/**
 * Steps for printed dicts, which carry none: the k-th training entry is step k × logging_steps (the
 * trainer logs every logging_steps steps); an evaluation or summary entry takes the step of the
 * training entry before it. Only the entries after step `after` are returned (a run folder's trainer
 * state holds the rest), and only theirs have their values read.
 */
export function assignLogSteps(entries: readonly MetricEntry[], loggingSteps: number, after = -Infinity): MetricEntry[] {
  let k = 0;
  let last = 0;
  const out: MetricEntry[] = [];
  for (const e of entries) {
    if (e.kind === 'train') last = ++k * loggingSteps;
    if (last > after) out.push({ kind: e.kind, step: last, stepFrom: 'order', values: e.values, file: e.file, line: e.line });
  }
  return out;
}

function singleFile(p: string): { stateFile?: string; logs: string[] } {
  return path.extname(p).toLowerCase() === '.json' ? { stateFile: p, logs: [] } : { logs: [p] };
}

/**
 * A run folder's files: the trainer_state.json of the latest checkpoint (highest N of
 * `checkpoint-N`), or the folder's own when it is newer; and its log files (by extension).
 */
async function findRunFiles(dir: string): Promise<{ stateFile?: string; logs: string[] }> {
  const names = (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  let best: { n: number; file: string } | undefined;
  const logs: string[] = [];
  for (const d of names) {
    const m = /^checkpoint-(\d+)$/.exec(d.name);
    const full = path.join(dir, d.name);
    if (m && d.isDirectory()) {
      const file = path.join(full, 'trainer_state.json');
      if ((!best || Number(m[1]) > best.n) && (await isFile(file))) best = { n: Number(m[1]), file };
    } else if (d.isFile() && LOG_EXTENSIONS.has(path.extname(d.name).toLowerCase()) && !/^(readme|license)/i.test(d.name)) {
      logs.push(full);
    }
  }
  let stateFile = best?.file;
  const own = path.join(dir, 'trainer_state.json');
  if ((await isFile(own)) && (!stateFile || (await fsp.stat(own)).mtimeMs > (await fsp.stat(stateFile)).mtimeMs)) stateFile = own;
  return { stateFile, logs };
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isFile();
  } catch {
    return false;
  }
}
