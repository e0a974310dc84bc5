/**
 * The view of several runs compared: each run's accuracy per category and direction on the records
 * common to all, under both rules, the best marked; the webview asks for McNemar of two runs (or of
 * every pair) and for an export, and says which rule it shows.
 */
import { z } from 'zod';
import { PAIRINGS } from '../compare/kinds';
import { RULES } from '../vocabulary';
import { readyMessageSchema } from './shared';

const side = z.object({ total: z.number(), correct: z.number(), accuracy: z.number().nullable() });
const runsBucket = z.object({ records: z.number(), runs: z.array(side), best: z.array(z.number().int().nonnegative()) });
const runsTable = z.object({
  rule: z.enum(RULES),
  common: z.number(),
  overall: runsBucket,
  byCategory: z.record(z.string(), runsBucket),
  byDirection: z.record(z.string(), runsBucket),
  byCategoryDirection: z.record(z.string(), z.record(z.string(), runsBucket)),
});

export const runsViewSchema = z.object({
  runs: z.array(
    z.object({
      /** R1, R2, … */
      label: z.string(),
      /** The file's name, and its path (the tooltip). */
      name: z.string(),
      file: z.string(),
      /** Its records (those the filter leaves), and those of them not in every run. */
      records: z.number(),
      leftOut: z.number(),
      /** How it was paired with R1 ('' for R1). */
      pairedBy: z.union([z.enum(PAIRINGS), z.literal('')]),
    }),
  ),
  /** Records common to all runs (each run's accuracies are over these). */
  common: z.number(),
  /** The rule shown first (the Results view's). */
  rule: z.enum(RULES),
  byRule: z.object({ mcq_infer: runsTable, grpo_reward: runsTable }),
  /** The filter the records were taken under, in words ('' when none). */
  filter: z.string(),
});
export type RunsView = z.infer<typeof runsViewSchema>;

export const pairwiseResultSchema = z.object({
  a: z.number().int().nonnegative(),
  b: z.number().int().nonnegative(),
  rule: z.enum(RULES),
  pairedBy: z.enum(PAIRINGS),
  paired: z.number(),
  unpairedA: z.number(),
  unpairedB: z.number(),
  flips: z.object({
    rightToWrong: z.number(),
    wrongToRight: z.number(),
    bothRight: z.number(),
    bothWrong: z.number(),
    unscored: z.number(),
  }),
  mcnemar: z.object({ discordant: z.number(), p: z.number() }),
});
export type PairwiseView = z.infer<typeof pairwiseResultSchema>;

/** Host → several-runs view. */
export const runsHostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('runs'), runs: runsViewSchema }),
  /** Two runs' McNemar test, or every pair's (`all`), as asked for. */
  z.object({ type: z.literal('pairwise'), all: z.boolean(), results: z.array(pairwiseResultSchema) }),
  z.object({ type: z.literal('pairwiseError'), message: z.string() }),
]);
export type RunsHostMessage = z.infer<typeof runsHostMessageSchema>;

/** Several-runs view → host. */
export const runsWebviewMessageSchema = z.discriminatedUnion('type', [
  readyMessageSchema,
  /** McNemar of runs a and b (positions), under `rule`. */
  z.object({
    type: z.literal('pairwise'),
    a: z.number().int().nonnegative(),
    b: z.number().int().nonnegative(),
    rule: z.enum(RULES),
  }),
  /** McNemar of every pair of runs. */
  z.object({ type: z.literal('pairwiseAll'), rule: z.enum(RULES) }),
  /** The rule the view shows now (what an export writes). */
  z.object({ type: z.literal('showRule'), rule: z.enum(RULES) }),
  z.object({ type: z.literal('exportRuns') }),
]);
export type RunsWebviewMessage = z.infer<typeof runsWebviewMessageSchema>;
