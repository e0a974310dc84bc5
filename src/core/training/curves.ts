/**
 * The training view's curves and the link from a logging step to the completion groups behind it.
 *
 * Curves: one chart per training metric found (reward, each rewards/* function, reward_std,
 * completion_length, kl, loss, learning_rate first, the others after), each run opened a series, an
 * evaluation entry's `eval_X` marked as points on X's chart (or on a chart of its own when no run
 * logs X). The run's final summary (train_runtime, …) is no curve.
 *
 * Steps ↔ groups. trainer_state.json's log_history carries steps and no time; the reward debug log's
 * groups carry a time of day (`%d-%H-%M-%S-%f`) and no step. Nothing in the files ties the two, so
 * the mapping is an assumption, stated wherever it is used: every optimizer step makes the same
 * number k of reward calls (gradient_accumulation_steps × processes, one prompt's group each), and
 * the debug log holds the whole run from step 1. Then the groups, in the order they first appear in
 * the log, split into steps of k: step s holds groups (s − 1)·k … s·k − 1 (0-based). k is the number
 * of groups over the last training step when that divides evenly (or given by the user); otherwise
 * there is no mapping, and the view says so instead of guessing. A point logged at step s averages
 * the steps since the previous logged point, so it opens the groups of steps s − logging_steps + 1 … s.
 */
import type { TrainingCurvesHostMessage } from '../protocol/training';
import type { MetricEntry } from './types';

/** Metrics in the order the view shows them; any other metric follows, by name. */
const ORDER = ['reward', 'rewards/', 'reward_std', 'completion_length', 'kl', 'loss', 'learning_rate', 'grad_norm'];
/** Not curves: the trainer's bookkeeping. */
const SKIP = new Set(['step', 'total_flos']);
/** Charts offered a log scale that starts on: quantities that span orders of magnitude. */
const LOG_FIRST = new Set(['loss', 'kl', 'learning_rate', 'grad_norm']);

export type StepMapping =
  | { kind: 'mapped'; callsPerStep: number; inferred: boolean; lastStep: number; groups: number; loggingSteps: number; text: string }
  | { kind: 'none'; text: string };

/**
 * How logging steps map to the debug log's groups (see the module's comment). `callsPerStep` given
 * (> 0) is used as is; otherwise k = groups / lastStep when that is a whole number.
 */
export function stepMapping(groups: number, lastStep: number, loggingSteps = 1, callsPerStep?: number): StepMapping {
  const ls = loggingSteps > 0 ? loggingSteps : 1;
  if (!groups) return { kind: 'none', text: 'No completion groups: the run has no reward debug log (DEBUG_MODE, LOG_PATH).' };
  if (!(lastStep > 0)) return { kind: 'none', text: 'No training steps: the run has no metrics to tie the groups to.' };
  const given = callsPerStep !== undefined && callsPerStep > 0 && Number.isInteger(callsPerStep);
  const k = given ? callsPerStep : groups / lastStep;
  if (!Number.isInteger(k) || k < 1) {
    return {
      kind: 'none',
      text:
        `No step ↔ group mapping: ${groups} reward calls do not split evenly into ${lastStep} steps, so the debug log ` +
        'does not hold the same number of calls for every step from step 1 (a log started late or cut, eval calls, or a ' +
        'run restarted). The files carry no step for a group; set stThink.training.rewardCallsPerStep to say how many calls ' +
        'a step makes (gradient_accumulation_steps × processes).',
    };
  }
  const how = given ? 'as set in stThink.training.rewardCallsPerStep' : `${groups} calls over ${lastStep} steps`;
  return {
    kind: 'mapped',
    callsPerStep: k,
    inferred: !given,
    lastStep,
    groups,
    loggingSteps: ls,
    text:
      `Steps ↔ groups assumed: ${k} reward call${k === 1 ? '' : 's'} per step (${how}), in the order the calls first ` +
      `appear in the debug log; step s holds ${k === 1 ? 'call s' : `calls ${k}·(s − 1) + 1 … ${k}·s`}. ` +
      (ls === 1
        ? 'A point logged at step s opens the calls of step s. '
        : `A point logged at step s (logging_steps ${ls}) averages steps s − ${ls - 1} … s and opens their calls. `) +
      'The files carry no step for a group: this holds when every step makes the same number of calls and the log starts at step 1.',
  };
}

/** The 0-based group indexes [first, end) behind the point logged at `step`; undefined without a mapping or past the log. */
export function groupsOfStep(m: StepMapping, step: number): { first: number; end: number; fromStep: number; toStep: number } | undefined {
  if (m.kind !== 'mapped' || !Number.isFinite(step)) return undefined;
  const toStep = Math.floor(step);
  const fromStep = Math.max(1, toStep - m.loggingSteps + 1);
  const first = (fromStep - 1) * m.callsPerStep;
  const end = Math.min(m.groups, toStep * m.callsPerStep);
  if (toStep < 1 || first >= end) return undefined;
  return { first, end, fromStep, toStep };
}

/** The step a group belongs to under the mapping (1-based), undefined without one. */
export function stepOfGroup(m: StepMapping, group: number): number | undefined {
  return m.kind === 'mapped' && group >= 0 && group < m.groups ? Math.floor(group / m.callsPerStep) + 1 : undefined;
}

/** One series of points: a run's steps and values (NaN and infinities as null: a gap). */
export interface CurvePoints {
  run: number;
  steps: number[];
  values: (number | null)[];
}

export interface CurveChart {
  metric: string;
  /** Training points per run. */
  series: CurvePoints[];
  /** Evaluation points per run (`eval_<metric>`), marked. */
  evals: CurvePoints[];
  /** Every value > 0: a log scale can show it. */
  positive: boolean;
  /** The log scale starts on (loss, kl, learning rate, grad norm, when positive). */
  logFirst: boolean;
}

function rank(metric: string): number {
  const i = ORDER.findIndex((o) => (o.endsWith('/') ? metric.startsWith(o) : metric === o));
  return i < 0 ? ORDER.length : i;
}

/** The charts of the runs' metric entries (a run: its entries, in step order). */
export function curveCharts(runs: readonly (readonly MetricEntry[])[]): CurveChart[] {
  const charts = new Map<string, CurveChart>();
  const chart = (metric: string) => {
    let c = charts.get(metric);
    if (!c) charts.set(metric, (c = { metric, series: [], evals: [], positive: true, logFirst: false }));
    return c;
  };
  const pointsOf = (list: CurvePoints[], run: number) => {
    let p = list.find((s) => s.run === run);
    if (!p) list.push((p = { run, steps: [], values: [] }));
    return p;
  };
  runs.forEach((entries, run) => {
    for (const e of entries) {
      if (e.kind === 'summary') continue;
      for (const [k, v] of Object.entries(e.values)) {
        if (SKIP.has(k)) continue;
        const isEval = e.kind === 'eval' && k.startsWith('eval_');
        if (e.kind === 'eval' && !isEval) continue; // an eval entry's epoch: not a point of the epoch curve
        const c = chart(isEval ? k.slice(5) : k);
        const p = pointsOf(isEval ? c.evals : c.series, run);
        const finite = Number.isFinite(v);
        p.steps.push(e.step);
        p.values.push(finite ? v : null);
        if (finite && v <= 0) c.positive = false;
      }
    }
  });
  for (const c of charts.values()) c.logFirst = c.positive && LOG_FIRST.has(c.metric);
  // An eval metric with no training curve of its name keeps its own chart (e.g. eval_runtime), after the others.
  return [...charts.values()].sort((a, b) => {
    const ea = a.series.length ? 0 : 1;
    const eb = b.series.length ? 0 : 1;
    return ea - eb || rank(a.metric) - rank(b.metric) || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0);
  });
}

/** What the curves view needs of a run (a TrainingRun). */
export interface CurvesRun {
  name: string;
  path: string;
  entries: readonly MetricEntry[];
  stepMapping(callsPerStep?: number): StepMapping;
}

/** The curves view's message for `runs` (the Training view's, in order): their mappings in words and the charts. */
export function curvesMessage(runs: readonly CurvesRun[], callsPerStep?: number): TrainingCurvesHostMessage {
  return {
    type: 'trainingCurves',
    runs: runs.map((r) => {
      const m = r.stepMapping(callsPerStep);
      return { name: r.name, path: r.path, mapped: m.kind === 'mapped', mapping: m.text };
    }),
    charts: curveCharts(runs.map((r) => r.entries)),
  };
}
