/**
 * Every message between the extension host and its webviews: one discriminated union per
 * direction, validated with zod on arrival on both sides.
 */
import { z } from 'zod';
import { FORMAT_VERDICTS, NA_REASONS, RULES } from './schemas';

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

const naReason = z.enum(NA_REASONS);

const summary = z.object({
  file: z.string(),
  rule: z.enum(RULES),
  records: z.number(),
  invalid: z.number(),
  formatValid: z.number(),
  formatChecked: z.number(),
  na: z.record(z.string(), z.number()),
  noVideo: z.number(),
  overall: bucket,
  byCategory: z.record(z.string(), bucket),
  byDirection: z.record(z.string(), bucket),
  byCategoryDirection: z.record(z.string(), z.record(z.string(), bucket)),
  wordedAs: z.record(z.string(), z.record(z.string(), z.number())).optional(),
});

const outcome = z.enum(['correct', 'incorrect', 'unanswered', 'unscored']);
const rule = z.object({ outcome, predicted: z.string(), na: naReason.optional() });

/** One record as the trace view shows it: text only, rendered with textContent. */
export const traceRecordSchema = z.object({
  id: z.string(),
  file: z.string(),
  line: z.number(),
  shape: z.string(),
  model: z.string().optional(),
  mode: z.string().optional(),
  video: z.string(),
  category: z.string(),
  /** The category the wording reads as, when the file's evidence says it is another ("landmark" for an action question). */
  wordedAs: z.string().optional(),
  /** Where the category comes from, in words (the field, the wording, the reference chain, the reverse action question on line N). */
  categorySource: z.string().optional(),
  direction: z.string(),
  question: z.string(),
  options: z.array(z.object({ letter: z.string(), text: z.string() })),
  gold: z.string().optional(),
  goldLetter: z.string().optional(),
  mcq_infer: rule,
  grpo_reward: rule,
  format: z.enum(FORMAT_VERDICTS),
  /** Why the training reward and the format check do not apply, when they do not. */
  na: naReason.optional(),
  steps: z.array(z.object({ kind: z.enum(['opposite', 'this', 'conclusion', 'sentence']), label: z.string(), text: z.string() })),
  hasThink: z.boolean(),
  answer: z.string().optional(),
  response: z.string(),
  sampler: z.string(),
});
export type TraceRecordView = z.infer<typeof traceRecordSchema>;

export const framesViewSchema = z.object({
  state: z.enum(['loading', 'ready', 'error']),
  sampler: z.string(),
  /** Indices in the order the model saw them. */
  indices: z.array(z.number()),
  frames: z.array(z.object({ index: z.number(), time: z.number(), src: z.string().optional(), error: z.string().optional() })),
  estimated: z.boolean(),
  countSource: z.string().optional(),
  totalFrames: z.number().optional(),
  source: z.object({ width: z.number(), height: z.number() }).optional(),
  model: z.object({ width: z.number(), height: z.number() }).optional(),
  message: z.string().optional(),
  tried: z.array(z.string()).optional(),
  /** The record has no video ("video": ""): nothing to locate. */
  noVideo: z.boolean().optional(),
  video: z.string().optional(),
  cached: z.boolean().optional(),
  /** Frames torch's 16-lane (AVX-512) or scalar linspace would pick instead of the AVX2 plan shown. */
  alternatives: z
    .array(z.object({ position: z.number(), frame: z.number(), alternative: z.number(), kernel: z.enum(['avx512', 'scalar']), why: z.string() }))
    .optional(),
  /** The frame preset that produced the frames (qwen2vl): its frame rate unless the record's own won. */
  preset: z.object({ name: z.string(), label: z.string(), fps: z.number().optional(), maxPixels: z.number(), fpsFromRecord: z.boolean() }).optional(),
});
export type FramesView = z.infer<typeof framesViewSchema>;

const side = z.object({ total: z.number(), correct: z.number(), accuracy: z.number().nullable() });
const cmpBucket = z.object({ a: side, b: side, difference: z.number().nullable() });
const consistencyView = z.object({ pairs: z.number(), bothCorrect: z.number(), oneOnly: z.number(), neither: z.number(), unpaired: z.number() });

export const comparisonViewSchema = z.object({
  a: z.string(),
  b: z.string(),
  rule: z.enum(RULES),
  pairedBy: z.enum(['id', 'content', 'source']),
  paired: z.number(),
  unpairedA: z.number(),
  unpairedB: z.number(),
  overall: cmpBucket,
  byCategoryDirection: z.record(z.string(), z.record(z.string(), cmpBucket)),
  byCategory: z.record(z.string(), cmpBucket),
  byDirection: z.record(z.string(), cmpBucket),
  flips: z.object({ rightToWrong: z.number(), wrongToRight: z.number(), bothRight: z.number(), bothWrong: z.number(), unscored: z.number() }),
  mcnemar: z.object({ discordant: z.number(), p: z.number() }),
  consistencyA: consistencyView,
  consistencyB: consistencyView,
  flipped: z.array(
    z.object({
      kind: z.enum(['rightToWrong', 'wrongToRight']),
      pair: z.number(),
      label: z.string(),
      category: z.string(),
      direction: z.string(),
      a: z.object({ id: z.string(), line: z.number(), predicted: z.string() }),
      b: z.object({ id: z.string(), line: z.number(), predicted: z.string() }),
      gold: z.string(),
    }),
  ),
});
export type ComparisonView = z.infer<typeof comparisonViewSchema>;

/** Two reasoning chains aligned sentence by sentence, each pair with its word diff (core/compare/diff). */
export const chainDiffViewSchema = z.object({
  pairs: z.array(
    z.object({
      a: z.number().optional(),
      b: z.number().optional(),
      moved: z.boolean(),
      ops: z.array(z.object({ op: z.enum(['equal', 'insert', 'delete']), text: z.string() })),
    }),
  ),
  stats: z.object({ same: z.number(), changed: z.number(), moved: z.number(), onlyA: z.number(), onlyB: z.number() }),
});
export type ChainDiffView = z.infer<typeof chainDiffViewSchema>;

const positionSchema = z.object({ index: z.number(), total: z.number() });

const stepSchema = z.object({ kind: z.enum(['opposite', 'this', 'conclusion', 'sentence']), label: z.string(), text: z.string() });

/** A re-run of the record shown, as the trace view shows it: planned, running (streamed) or done. */
export const rerunViewSchema = z.object({
  state: z.enum(['plan', 'loading', 'running', 'done', 'cancelled', 'error']),
  /** What is happening or went wrong, in words. */
  message: z.string().optional(),
  model: z.string().optional(),
  provider: z.string().optional(),
  providerNote: z.string().optional(),
  inputPath: z.string().optional(),
  generation: z.string().optional(),
  runs: z.array(
    z.object({
      mode: z.enum(['forward', 'reverse']),
      state: z.enum(['waiting', 'running', 'done', 'cancelled', 'error']),
      /** `prefix`: which opening the assistant prefix uses and why (reverse thinking). */
      prompt: z.object({ system: z.string(), user: z.string(), assistantPrefix: z.string(), prefix: z.string().optional() }),
      /** The assistant's turn so far (the prefix, then the model's text). */
      text: z.string(),
      steps: z.array(stepSchema),
      answer: z.string().optional(),
      mcq_infer: rule,
      grpo_reward: rule,
      formatValid: z.boolean(),
      tokens: z.number(),
      firstTokenMs: z.number().optional(),
      tokensPerSecond: z.number().optional(),
      savedTo: z.string().optional(),
      error: z.string().optional(),
    }),
  ),
});
export type RerunView = z.infer<typeof rerunViewSchema>;

/** Host → webview. */
export const hostMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('comparison'), comparison: comparisonViewSchema }),
  z.object({
    type: z.literal('trace'),
    record: traceRecordSchema,
    position: positionSchema,
    pinned: z.boolean(),
  }),
  z.object({
    type: z.literal('pair'),
    title: z.string(),
    a: traceRecordSchema,
    b: traceRecordSchema,
    labelA: z.string(),
    labelB: z.string(),
    /** Where this pair is among the comparison's flips, when it is one. */
    position: positionSchema.extend({ what: z.string() }).optional(),
    pinned: z.boolean(),
    sameVideo: z.boolean(),
    diff: chainDiffViewSchema,
  }),
  /** The re-run section of the trace view (absent: none). */
  z.object({ type: z.literal('rerun'), rerun: rerunViewSchema.nullable() }),
  /** Frames of the record shown, or in a pair of side a or b (one strip when both share a video). */
  z.object({ type: z.literal('frames'), frames: framesViewSchema, slot: z.enum(['a', 'b']).optional() }),
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
  z.object({ type: z.literal('navigate'), to: z.enum(['previous', 'next', 'nextIncorrect', 'previousIncorrect']) }),
  z.object({ type: z.literal('pin') }),
  z.object({ type: z.literal('locateVideo') }),
  z.object({ type: z.literal('openSource'), side: z.enum(['a', 'b']).optional() }),
  /** In a pair: the two chains in VS Code's diff editor; one side alone in the trace view. */
  z.object({ type: z.literal('openDiffEditor') }),
  z.object({ type: z.literal('showSide'), side: z.enum(['a', 'b']) }),
  z.object({ type: z.literal('setSampler'), sampler: z.enum(['qwen2vl', 'internvl', 'uniform']) }),
  z.object({ type: z.literal('openPair'), pair: z.number().int().nonnegative(), view: z.enum(['inline', 'diffEditor', 'traceA', 'traceB']) }),
  z.object({ type: z.literal('setRule'), rule: z.enum(RULES) }),
  /** Re-run section: run the planned re-run(s), stop the running one, close the section. */
  /** The trace view's "Re-run…" button: Re-run Question… on the record shown. */
  z.object({ type: z.literal('rerunPlan') }),
  z.object({ type: z.literal('rerunStart') }),
  z.object({ type: z.literal('rerunStop') }),
  z.object({ type: z.literal('rerunDismiss') }),
]);
export type WebviewMessage = z.infer<typeof webviewMessageSchema>;
