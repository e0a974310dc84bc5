/**
 * The completion-group view's messages: one reward call's completions side by side with their
 * rewards and advantages; the webview steps through the groups of a filter and switches the filter.
 * Numbers the trainer may make NaN (a group of one: std and advantages) travel as null.
 */
import { z } from 'zod';
import { GROUP_FILTERS } from '../training/groups';
import { positionSchema, readyMessageSchema } from './shared';

const maybeNumber = z.number().nullable();

export const trainingCompletionSchema = z.object({
  /** Index in the run's completions. */
  index: z.number(),
  line: z.number(),
  accuracy: maybeNumber,
  format: z.number(),
  /** The reward the trainer summed (see rewardFuncs). */
  reward: maybeNumber,
  advantage: maybeNumber,
  chars: z.number(),
  content: z.string(),
  /** The text inside the first <think>…</think>, and the first <answer>…</answer>'s, when there are. */
  think: z.string().optional(),
  answer: z.string().optional(),
  solution: z.string(),
});
export type TrainingCompletion = z.infer<typeof trainingCompletionSchema>;

/** Host → completion-group view. */
export const trainingHostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('trainingGroup'),
    run: z.string(),
    rewardFuncs: z.array(z.enum(['accuracy', 'format'])),
    filter: z.enum(GROUP_FILTERS),
    /** Counts of groups per filter, for the filter buttons. */
    counts: z.record(z.enum(GROUP_FILTERS), z.number()),
    position: positionSchema,
    group: z.object({
      call: z.number(),
      timestamp: z.string(),
      file: z.string(),
      line: z.number(),
      mean: maybeNumber,
      std: maybeNumber,
      zeroVariance: z.boolean(),
      allWrong: z.boolean(),
      allFormatBroken: z.boolean(),
      longest: z.number(),
    }),
    completions: z.array(trainingCompletionSchema),
    /** The logging step whose groups the view steps through (opened from the curves), with the mapping in words. */
    step: z
      .object({ fromStep: z.number(), toStep: z.number(), firstCall: z.number(), lastCall: z.number(), mapping: z.string() })
      .optional(),
  }),
]);
export type TrainingHostMessage = z.infer<typeof trainingHostMessageSchema>;

/** Completion-group view → host. */
export const trainingWebviewMessageSchema = z.discriminatedUnion('type', [
  readyMessageSchema,
  z.object({ type: z.literal('trainingNavigate'), to: z.enum(['next', 'previous']) }),
  z.object({ type: z.literal('trainingFilter'), filter: z.enum(GROUP_FILTERS) }),
  /** Leave the step the view was opened on: all groups again. */
  z.object({ type: z.literal('trainingAllSteps') }),
]);
export type TrainingWebviewMessage = z.infer<typeof trainingWebviewMessageSchema>;

/**
 * Arrays of 10k+ numbers, checked with a plain loop: zod's per-element array check took most of the
 * curves view's first paint (0.6 s of a 10k-step run's 110k points in Chromium on the loaded bench machine).
 */
const numbers = z.custom<number[]>((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'), 'an array of numbers');
const numbersOrNull = z.custom<(number | null)[]>(
  (v) => Array.isArray(v) && v.every((x) => x === null || typeof x === 'number'),
  'an array of numbers or nulls',
);
const curvePointsSchema = z
  .object({ run: z.number().int().nonnegative(), steps: numbers, values: numbersOrNull })
  .refine((p) => p.steps.length === p.values.length, 'as many values as steps');

/** Host → training curves view: every run opened in the Training view, a chart per metric. */
export const trainingCurvesHostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('trainingCurves'),
    runs: z.array(
      z.object({
        name: z.string(),
        path: z.string(),
        /** Whether a step opens its groups, and the mapping (or why there is none) in words. */
        mapped: z.boolean(),
        mapping: z.string(),
      }),
    ),
    charts: z.array(
      z.object({
        metric: z.string(),
        series: z.array(curvePointsSchema),
        evals: z.array(curvePointsSchema),
        positive: z.boolean(),
        logFirst: z.boolean(),
      }),
    ),
  }),
]);
export type TrainingCurvesHostMessage = z.infer<typeof trainingCurvesHostMessageSchema>;

/** Training curves view → host. */
export const trainingCurvesWebviewMessageSchema = z.discriminatedUnion('type', [
  readyMessageSchema,
  /** A step picked on a chart or in the steps table: open its completion groups. */
  z.object({ type: z.literal('trainingPickStep'), run: z.number().int().nonnegative(), step: z.number() }),
  /** How long the first paint took in the webview (message received → charts drawn), for the benchmark. */
  z.object({ type: z.literal('trainingPainted'), ms: z.number() }),
]);
export type TrainingCurvesWebviewMessage = z.infer<typeof trainingCurvesWebviewMessageSchema>;
