/**
 * Every message between the extension host and its webviews: one discriminated union per
 * direction, validated with zod on arrival on both sides.
 */
import { z } from 'zod';
import { RULES } from './schemas';

const bucket = z.object({
  records: z.number(),
  total: z.number(),
  correct: z.number(),
  incorrect: z.number(),
  unanswered: z.number(),
  unscored: z.number(),
  accuracy: z.number().nullable(),
});

const summary = z.object({
  file: z.string(),
  rule: z.enum(RULES),
  records: z.number(),
  invalid: z.number(),
  formatValid: z.number(),
  overall: bucket,
  byCategory: z.record(z.string(), bucket),
  byDirection: z.record(z.string(), bucket),
  byCategoryDirection: z.record(z.string(), z.record(z.string(), bucket)),
});

/** Host → webview. */
export const hostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('summary'),
    title: z.string(),
    filter: z.string(),
    activeRule: z.enum(RULES),
    byRule: z.object({ mcq_infer: summary, grpo_reward: summary }),
  }),
]);
export type HostMessage = z.infer<typeof hostMessageSchema>;

/** Webview → host. */
export const webviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('setRule'), rule: z.enum(RULES) }),
]);
export type WebviewMessage = z.infer<typeof webviewMessageSchema>;
