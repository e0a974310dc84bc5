/** The comparison view's messages: two runs compared; the webview opens a flipped pair. */
import { z } from 'zod';
import { FLIP_KINDS, PAIRINGS } from '../compare/kinds';
import { RULES } from '../vocabulary';
import { readyMessageSchema } from './shared';

const side = z.object({ total: z.number(), correct: z.number(), accuracy: z.number().nullable() });
const cmpBucket = z.object({ a: side, b: side, difference: z.number().nullable() });
const consistencyView = z.object({
  pairs: z.number(),
  bothCorrect: z.number(),
  oneOnly: z.number(),
  neither: z.number(),
  unpaired: z.number(),
});
const flippedSide = z.object({ id: z.string(), line: z.number(), predicted: z.string() });

/** A number that may be NaN (a test with no spread: scipy's nan). */
const numberOrNaN = z.number().or(z.nan());
const partAgreementView = z.object({
  n: z.number(),
  exactMatch: z.number().nullable(),
  meanAbsDiff: z.number().nullable(),
  kappa: z.number().nullable(),
  kappaN: z.number(),
});
const sideScoresView = z.object({
  judged: z.number(),
  skipped: z.number(),
  failed: z.number(),
  unparsed: z.number(),
  notJudged: z.number(),
  mean: z.number().nullable(),
});
const judgePairsView = z.object({
  pairs: z.number(),
  onlyA: z.number(),
  onlyB: z.number(),
  meanA: z.number().nullable(),
  meanB: z.number().nullable(),
  meanDiff: z.number().nullable(),
  wilcoxon: z
    .object({
      n: z.number(),
      nonZero: z.number(),
      statistic: z.number(),
      pvalue: numberOrNaN,
      method: z.enum(['exact', 'permutation', 'normal']),
      z: numberOrNaN.optional(),
    })
    .nullable(),
  agreement: z.object({ direction: partAgreementView, landmark: partAgreementView, semantic: partAgreementView }),
  a: sideScoresView,
  b: sideScoresView,
});

/** Two sets of judge scores of route answers compared (src/core/judge/compareRuns.ts): overall, then per direction. */
export const judgeComparisonViewSchema = judgePairsView.extend({
  byDirection: z.object({ forward: judgePairsView, reverse: judgePairsView }),
});
export type JudgeComparisonView = z.infer<typeof judgeComparisonViewSchema>;

export const comparisonViewSchema = z.object({
  a: z.string(),
  b: z.string(),
  rule: z.enum(RULES),
  pairedBy: z.enum(PAIRINGS),
  accuracyOver: z.enum(['all', 'paired']),
  paired: z.number(),
  unpairedA: z.number(),
  unpairedB: z.number(),
  overall: cmpBucket,
  byCategoryDirection: z.record(z.string(), z.record(z.string(), cmpBucket)),
  byCategory: z.record(z.string(), cmpBucket),
  byDirection: z.record(z.string(), cmpBucket),
  flips: z.object({
    rightToWrong: z.number(),
    wrongToRight: z.number(),
    bothRight: z.number(),
    bothWrong: z.number(),
    unscored: z.number(),
  }),
  mcnemar: z.object({ discordant: z.number(), p: z.number() }),
  consistencyA: consistencyView,
  consistencyB: consistencyView,
  /** The route answers' judge scores, when either run has judgments. */
  judge: judgeComparisonViewSchema.optional(),
  flipped: z.array(
    z.object({
      kind: z.enum(FLIP_KINDS),
      pair: z.number(),
      label: z.string(),
      category: z.string(),
      direction: z.string(),
      /** The video's path as the record gives it ('' when it has none); the table shows its file name. */
      video: z.string(),
      a: flippedSide,
      b: flippedSide,
      gold: z.string(),
    }),
  ),
});
export type ComparisonView = z.infer<typeof comparisonViewSchema>;

/** How a flipped pair opens: inline diff in the trace view, VS Code's diff editor, or one side's trace. */
export const PAIR_VIEWS = ['inline', 'diffEditor', 'traceA', 'traceB'] as const;
export type PairView = (typeof PAIR_VIEWS)[number];

/** Host → comparison view. */
export const compareHostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('comparison'), comparison: comparisonViewSchema }),
]);
export type CompareHostMessage = z.infer<typeof compareHostMessageSchema>;

/** Comparison view → host. */
export const compareWebviewMessageSchema = z.discriminatedUnion('type', [
  readyMessageSchema,
  z.object({ type: z.literal('openPair'), pair: z.number().int().nonnegative(), view: z.enum(PAIR_VIEWS) }),
]);
export type CompareWebviewMessage = z.infer<typeof compareWebviewMessageSchema>;
