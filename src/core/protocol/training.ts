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
  }),
]);
export type TrainingHostMessage = z.infer<typeof trainingHostMessageSchema>;

/** Completion-group view → host. */
export const trainingWebviewMessageSchema = z.discriminatedUnion('type', [
  readyMessageSchema,
  z.object({ type: z.literal('trainingNavigate'), to: z.enum(['next', 'previous']) }),
  z.object({ type: z.literal('trainingFilter'), filter: z.enum(GROUP_FILTERS) }),
]);
export type TrainingWebviewMessage = z.infer<typeof trainingWebviewMessageSchema>;
