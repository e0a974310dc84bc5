/**
 * The zod schemas of every results-file shape the inspector reads, and of the one record they are
 * all normalised into. One place defines each contract; TypeScript types are inferred from here.
 */
import { z } from 'zod';
import type { CategoryEvidence } from './categories';
import {
  CATEGORIES,
  DIRECTIONS,
  type NaReason,
  type ShapeName,
  type UnscoredReason,
  type Category,
  type Direction,
  type FormatVerdict,
  type Outcome,
} from './vocabulary';

export * from './vocabulary';

/** A zod issue made whole (its message), as normalise words the first issue of a record. */
export function finalizeIssue(issue: z.core.$ZodRawIssue, ctx: z.core.ParseContextInternal | undefined): z.core.$ZodIssue {
  return z.core.util.finalizeIssue(issue, ctx, z.config());
}

/**
 * A string with something other than white space: the "key fields" a record cannot do without.
 * Kept verbatim (a `.trim()` transform costs more than the rest of the schema on every record).
 */
const keyString = z.string().regex(/\S/, 'must be a non-empty string');
const idValue = z.union([keyString, z.number().finite()]).transform((v) => String(v));
const optionList = z.array(z.string());

/** Explicit category / direction fields, in any letter case ("Action" is "action"). */
const lowerCase = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
export const categorySchema = z.preprocess(lowerCase, z.enum(CATEGORIES));
export const directionSchema = z.preprocess(lowerCase, z.enum(DIRECTIONS));

/** How the frames shown to the model were chosen (filled in by later issues; kept verbatim here). */
export const framesSchema = z
  .object({
    sampler: z.string().optional(),
    indices: z.array(z.number().int().nonnegative()).optional(),
  })
  .passthrough();

/** 1. The project's own canonical record (also what re-runs write). */
export const canonicalSchema = z.object({
  id: idValue,
  video: keyString,
  question: keyString,
  options: optionList.optional(),
  gold: z.string().optional(),
  response: z.string(),
  category: categorySchema.optional(),
  direction: directionSchema.optional(),
  /** A name, or (re-runs) an object with the name, the model's folder and its precision. */
  model: z.union([z.string(), z.object({ name: z.string() }).passthrough()]).optional(),
  mode: z.string().optional(),
  frames: framesSchema.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
  /** Re-runs: the record re-run and the results file it is in. */
  sourceId: z.string().optional(),
  sourceFile: z.string().optional(),
});

/** 2. ST-R1 training / test rows: the reference chain of thought is the response. */
export const stR1Schema = z.object({
  problem: keyString,
  solution: z.string(),
  video: keyString,
  original_answer: z.string().optional(),
  original_question: z.string().optional(),
});

const mcqBlock = z.object({
  question: keyString,
  options: optionList,
  answer: z.string().optional(),
});

/**
 * 3. Ego-ST benchmark files and the upstream inference outputs (`predict` added). The video may be
 * "" (upstream's inference script then writes "No video file specified." as the prediction): such a
 * record loads, with a warning, and is scored on that text.
 */
export const benchmarkSchema = z
  .object({
    video: z.union([z.literal(''), keyString]),
    forward_mcq: mcqBlock.optional(),
    reverse_mcq: mcqBlock.optional(),
    question: keyString.optional(),
    forward_answer: z.string().optional(),
    reverse_answer: z.string().optional(),
    answer: z.string().optional(),
    predict: z.string().optional(),
  })
  .superRefine((v, ctx) => {
    const blocks = Number(v.forward_mcq !== undefined) + Number(v.reverse_mcq !== undefined);
    const qa = v.forward_answer !== undefined || v.reverse_answer !== undefined;
    if (blocks > 1) {
      ctx.addIssue({ code: 'custom', message: 'has both forward_mcq and reverse_mcq' });
    } else if (blocks === 0 && !(v.question !== undefined && qa)) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs forward_mcq / reverse_mcq, or question with forward_answer / reverse_answer',
      });
    }
  });

/** 4. Evaluation-harness lines (lmms-eval, lm-evaluation-harness). */
export const harnessSchema = z.object({
  doc_id: z.union([z.number(), keyString]).transform((v) => String(v)),
  doc: z
    .object({
      question: z.string().optional(),
      problem: z.string().optional(),
      options: optionList.optional(),
      video: z.string().optional(),
      video_path: z.string().optional(),
      category: z.string().optional(),
      direction: z.string().optional(),
    })
    .passthrough()
    .refine((d) => !!(d.question ?? d.problem)?.trim(), 'doc needs a non-empty question or problem'),
  target: z
    .union([z.string(), z.number()])
    .transform((v) => String(v))
    .optional(),
  resps: z.union([z.array(z.array(z.string())), z.array(z.string())]),
  filtered_resps: z.array(z.unknown()).optional(),
});

/** One option of a multiple-choice question. */
export interface OptionItem {
  letter: string;
  text: string;
  /** The option exactly as the file's list holds it (unset for options parsed from the question's text). */
  raw?: string;
}

/**
 * A route question's answers (category 'route': open-ended, judged by an LLM, not scored by letter):
 * upstream's `forward_answer` / `reverse_answer` and `predict`, and the sample key judge files use.
 */
export interface RouteAnswer {
  /** The sample key (the record's id: its key in a JSON object keyed by id). */
  key: string;
  /** The reference route ('' when the record has none). */
  reference: string;
  /** The model's route. */
  prediction: string;
}

/** Every shape normalises into this. Field sources say whether a value was explicit or derived. */
export interface TraceRecord {
  id: string;
  /** true when the file carried no id and one was made from the position in the file */
  idFromPosition: boolean;
  shape: ShapeName;
  video: string;
  question: string;
  options: OptionItem[];
  gold?: string;
  response: string;
  category: Category;
  categoryExplicit: boolean;
  /**
   * The category the question's wording reads as, set only when the evidence in the file says it
   * is another (upstream words its forward action questions as landmark questions).
   */
  wordedAs?: Category;
  /**
   * What besides the wording was read for the category: the reference chain (set whenever a
   * landmark-worded question's chain opening was read, whether it confirmed the wording or not), or
   * the reverse action question on the same video (set by the index, src/core/categories.ts).
   */
  categoryEvidence?: CategoryEvidence;
  direction: Direction;
  directionExplicit: boolean;
  model?: string;
  mode?: string;
  /** Re-runs: the id of the record re-run, and its results file. */
  sourceId?: string;
  sourceFile?: string;
  frames?: z.infer<typeof framesSchema>;
  meta?: Record<string, unknown>;
  /** Set for route questions (category 'route'): what the judge reads. */
  route?: RouteAnswer;
}

export interface RuleResult {
  outcome: Outcome;
  /** What the rule extracted as the prediction ('' when nothing). */
  predicted: string;
  /** Set (with outcome 'unscored') when the rule does not apply to the record: why. */
  na?: NaReason;
  /** Set with every other 'unscored' outcome: why the rule could not score the record. */
  unscored?: UnscoredReason;
}

export interface TraceAnalysis {
  think?: string;
  answer?: string;
  format: FormatVerdict;
  /** Why the training reward and the format check do not apply (format 'n/a'), when they do not. */
  na?: NaReason;
  mcq_infer: RuleResult;
  grpo_reward: RuleResult;
}
