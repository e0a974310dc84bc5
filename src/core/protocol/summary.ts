/** The summary view's messages: the tables under both rules; the webview may switch the rule. */
import { z } from 'zod';
import { RULES } from '../vocabulary';
import { naReasonSchema, readyMessageSchema } from './shared';

const bucket = z.object({
  records: z.number(),
  total: z.number(),
  correct: z.number(),
  incorrect: z.number(),
  unanswered: z.number(),
  unscored: z.number(),
  na: z.number(),
  accuracy: z.number().nullable(),
});

const fileSummary = z.object({
  file: z.string(),
  rule: z.enum(RULES),
  records: z.number(),
  invalid: z.number(),
  formatValid: z.number(),
  formatChecked: z.number(),
  na: z.partialRecord(naReasonSchema, z.number()),
  noVideo: z.number(),
  overall: bucket,
  byCategory: z.record(z.string(), bucket),
  byDirection: z.record(z.string(), bucket),
  byCategoryDirection: z.record(z.string(), z.record(z.string(), bucket)),
  wordedAs: z.record(z.string(), z.record(z.string(), z.number())).optional(),
});

/** The charts of one rule: the answer letters against the gold ones, and gold × predicted (src/core/chartsData.ts). */
const ruleCharts = z.object({
  letters: z.object({ bins: z.array(z.string()), predicted: z.array(z.number()), gold: z.array(z.number()) }),
  confusion: z.object({ gold: z.array(z.string()), predicted: z.array(z.string()), counts: z.array(z.array(z.number())) }),
});

/** Host → summary view. */
export const summaryHostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('summary'),
    title: z.string(),
    filter: z.string(),
    activeRule: z.enum(RULES),
    byRule: z.object({ mcq_infer: fileSummary, grpo_reward: fileSummary }),
    /** The letter charts under both rules, of the records the filter shows. */
    charts: z.object({ mcq_infer: ruleCharts, grpo_reward: ruleCharts }).optional(),
    /** Records per tag, category and direction (of those the filter shows), from the notes file; absent when none is tagged. */
    tags: z.array(z.object({ tag: z.string(), category: z.string(), forward: z.number(), reverse: z.number() })).optional(),
    /** The route answers' judge scores (0–5), when the file has route records. */
    judge: z
      .object({
        judged: z.number(),
        skipped: z.number(),
        failed: z.number(),
        unparsed: z.number(),
        notJudged: z.number(),
        mean: z.number().nullable(),
        byDirection: z.record(
          z.string(),
          z.object({
            judged: z.number(),
            mean: z.number().nullable(),
            skipped: z.number().optional(),
            failed: z.number().optional(),
            unparsed: z.number().optional(),
          }),
        ),
        parts: z.object({ direction: z.number().nullable(), landmark: z.number().nullable(), semantic: z.number().nullable() }),
      })
      .optional(),
  }),
]);
export type SummaryHostMessage = z.infer<typeof summaryHostMessageSchema>;

/** Summary view → host. */
export const summaryWebviewMessageSchema = z.discriminatedUnion('type', [
  readyMessageSchema,
  z.object({ type: z.literal('setRule'), rule: z.enum(RULES) }),
]);
export type SummaryWebviewMessage = z.infer<typeof summaryWebviewMessageSchema>;
