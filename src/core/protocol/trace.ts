/**
 * The trace view's messages: one record (or a pair of records with the diff of their chains), its
 * frames, and the re-run section.
 */
import { z } from 'zod';
import { DIFF_OPS } from '../compare/diff';
import { RERUN_MODES } from '../model/prompt';
import { OTHER_KERNELS, SAMPLERS } from '../frames/samplers';
import { FORMAT_VERDICTS } from '../vocabulary';
import { naReasonSchema, positionSchema, readyMessageSchema, ruleResultSchema, SIDES, stepSchema } from './shared';

/** A route record's answers, their word diff and the judge's verdict (text only, rendered with textContent). */
export const traceRouteSchema = z.object({
  reference: z.string(),
  prediction: z.string(),
  /** The word diff turning the reference into the prediction. */
  ops: z.array(z.object({ op: z.enum(DIFF_OPS), text: z.string() })),
  /** An empty reference or prediction: upstream's judge skips it. */
  skipped: z.boolean(),
  judge: z
    .object({
      status: z.enum(['scored', 'unparsed', 'unusable', 'failed']),
      total: z.number(),
      parts: z.object({ direction: z.number(), landmark: z.number(), semantic: z.number() }),
      note: z.string().optional(),
      reply: z.string().nullable().optional(),
      model: z.string().optional(),
      endpoint: z.string().optional(),
      templateHash: z.string().optional(),
      source: z.string(),
    })
    .optional(),
});
export type TraceRouteView = z.infer<typeof traceRouteSchema>;

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
  mcq_infer: ruleResultSchema,
  grpo_reward: ruleResultSchema,
  format: z.enum(FORMAT_VERDICTS),
  /** Why the training reward and the format check do not apply, when they do not. */
  na: naReasonSchema.optional(),
  steps: z.array(stepSchema),
  hasThink: z.boolean(),
  answer: z.string().optional(),
  response: z.string(),
  sampler: z.enum(SAMPLERS),
  /** Route questions: the reference and predicted routes and the judge's verdict. */
  route: traceRouteSchema.optional(),
});
export type TraceRecordView = z.infer<typeof traceRecordSchema>;

const size = z.object({ width: z.number(), height: z.number() });

export const framesViewSchema = z.object({
  state: z.enum(['loading', 'ready', 'error']),
  sampler: z.enum(SAMPLERS),
  /** Indices in the order the model saw them. */
  indices: z.array(z.number()),
  frames: z.array(z.object({ index: z.number(), time: z.number(), src: z.string().optional(), error: z.string().optional() })),
  estimated: z.boolean(),
  countSource: z.string().optional(),
  totalFrames: z.number().optional(),
  source: size.optional(),
  model: size.optional(),
  message: z.string().optional(),
  tried: z.array(z.string()).optional(),
  /** The record has no video ("video": ""): nothing to locate. */
  noVideo: z.boolean().optional(),
  video: z.string().optional(),
  cached: z.boolean().optional(),
  /** Frames torch's 16-lane (AVX-512) or scalar linspace would pick instead of the AVX2 plan shown. */
  alternatives: z
    .array(z.object({ position: z.number(), frame: z.number(), alternative: z.number(), kernel: z.enum(OTHER_KERNELS), why: z.string() }))
    .optional(),
  /** The frame preset that produced the frames (qwen2vl): its frame rate unless the record's own won. */
  preset: z
    .object({ name: z.string(), label: z.string(), fps: z.number().optional(), maxPixels: z.number(), fpsFromRecord: z.boolean() })
    .optional(),
});
export type FramesView = z.infer<typeof framesViewSchema>;

/** Two reasoning chains aligned sentence by sentence, each pair with its word diff (core/compare/diff). */
export const chainDiffViewSchema = z.object({
  pairs: z.array(
    z.object({
      a: z.number().optional(),
      b: z.number().optional(),
      moved: z.boolean(),
      ops: z.array(z.object({ op: z.enum(DIFF_OPS), text: z.string() })),
    }),
  ),
  stats: z.object({ same: z.number(), changed: z.number(), moved: z.number(), onlyA: z.number(), onlyB: z.number() }),
});
export type ChainDiffView = z.infer<typeof chainDiffViewSchema>;

const rerunRunSchema = z.object({
  mode: z.enum(RERUN_MODES),
  state: z.enum(['waiting', 'running', 'done', 'cancelled', 'error']),
  /** `prefix`: which opening the assistant prefix uses and why (reverse thinking). */
  prompt: z.object({ system: z.string(), user: z.string(), assistantPrefix: z.string(), prefix: z.string().optional() }),
  /** The assistant's turn so far (the prefix, then the model's text). */
  text: z.string(),
  steps: z.array(stepSchema),
  answer: z.string().optional(),
  /** The verdicts on the text so far: absent until the run starts (a run that never ran has none). */
  mcq_infer: ruleResultSchema.optional(),
  grpo_reward: ruleResultSchema.optional(),
  formatValid: z.boolean().optional(),
  tokens: z.number(),
  firstTokenMs: z.number().optional(),
  tokensPerSecond: z.number().optional(),
  savedTo: z.string().optional(),
  error: z.string().optional(),
});

/** A re-run of the record shown, as the trace view shows it: planned, running (streamed) or done. */
export const rerunViewSchema = z.object({
  state: z.enum(['plan', 'loading', 'running', 'done', 'cancelled', 'error']),
  /** What is happening or went wrong, in words. */
  message: z.string().optional(),
  model: z.string().optional(),
  provider: z.string().optional(),
  /** A compact line, once per session: the CUDA provider was asked for and the run fell back to the CPU. */
  providerNote: z.string().optional(),
  /** Why (the runtime's message) and how to add CUDA: shown on hover, on every run that fell back. */
  providerDetail: z.string().optional(),
  inputPath: z.string().optional(),
  generation: z.string().optional(),
  runs: z.array(rerunRunSchema),
});
export type RerunView = z.infer<typeof rerunViewSchema>;

const traceMessage = z.object({ type: z.literal('trace'), record: traceRecordSchema, position: positionSchema, pinned: z.boolean() });

const pairMessage = z.object({
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
});
export type PairMessage = z.infer<typeof pairMessage>;

/** The tags and note of the record shown (from its results file's notes file, core/notes.ts). */
export const notesViewSchema = z.object({
  tags: z.array(z.string()),
  note: z.string().optional(),
  /** Who wrote the note, and when (ISO). */
  noteBy: z.string().optional(),
  noteAt: z.string().optional(),
});
export type NotesView = z.infer<typeof notesViewSchema>;

/** Host → trace view. */
export const traceHostMessageSchema = z.discriminatedUnion('type', [
  traceMessage,
  pairMessage,
  /** The record's tags and note (after the record; again whenever they change). */
  z.object({ type: z.literal('notes'), notes: notesViewSchema }),
  /** The re-run section of the trace view (absent: none). */
  z.object({ type: z.literal('rerun'), rerun: rerunViewSchema.nullable() }),
  /** Frames of the record shown, or in a pair of side a or b (one strip when both share a video). */
  z.object({ type: z.literal('frames'), frames: framesViewSchema, slot: z.enum(SIDES).optional() }),
]);
export type TraceHostMessage = z.infer<typeof traceHostMessageSchema>;

/** Where Previous / Next go: the tree's order (and filter), optionally to incorrect records only. */
export const NAVIGATIONS = ['previous', 'next', 'nextIncorrect', 'previousIncorrect'] as const;
export type Navigation = (typeof NAVIGATIONS)[number];

/** Trace view → host. */
export const traceWebviewMessageSchema = z.discriminatedUnion('type', [
  readyMessageSchema,
  z.object({ type: z.literal('navigate'), to: z.enum(NAVIGATIONS) }),
  z.object({ type: z.literal('pin') }),
  z.object({ type: z.literal('locateVideo') }),
  z.object({ type: z.literal('openSource'), side: z.enum(SIDES).optional() }),
  /** In a pair: the two chains in VS Code's diff editor. */
  z.object({ type: z.literal('openDiffEditor') }),
  /** In a pair: one side alone in the trace view. */
  z.object({ type: z.literal('showSide'), side: z.enum(SIDES) }),
  z.object({ type: z.literal('setSampler'), sampler: z.enum(SAMPLERS) }),
  /** The trace view's "Re-run…" button: Re-run Question… on the record shown. */
  z.object({ type: z.literal('rerunPlan') }),
  /** Re-run section: run the planned re-run(s), stop the running one, close the section. */
  z.object({ type: z.literal('rerunStart') }),
  z.object({ type: z.literal('rerunStop') }),
  z.object({ type: z.literal('rerunDismiss') }),
  /** Tags and notes of the record shown: Tag…, remove a tag (one named, or pick), Edit Note…. */
  z.object({ type: z.literal('tag') }),
  z.object({ type: z.literal('untag'), tag: z.string().optional() }),
  z.object({ type: z.literal('editNote') }),
]);
export type TraceWebviewMessage = z.infer<typeof traceWebviewMessageSchema>;
