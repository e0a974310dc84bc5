/**
 * Shape detection and normalisation: any supported results line/element → one TraceRecord.
 * The shape is guessed from its distinguishing keys and checked with its zod schema; when that
 * fails every other shape is tried, and the error names each shape and why it failed.
 */
import type { z } from 'zod';
import type { TraceRecord } from './schemas';
import { CATEGORIES, DIRECTIONS, SHAPE_NEEDS, type Category, type Direction, type NeededKind, type ShapeName } from './vocabulary';
import { CHAIN_EVIDENCE, type CategoryEvidence } from './categories';
import { benchmarkFast, canonicalFast, stR1Fast } from './fastShapes';
import {
  categoryFromWording,
  chainOpeningCategory,
  directionFromWording,
  normaliseOptionList,
  parseEmbeddedOptions,
  type Wording,
  type WordingCache,
} from './derive';

/** Where a value came from, to make ids for records that carry none. */
export interface RecordContext {
  /** 1-based line (JSONL) or the line an element starts on (JSON). */
  line: number;
  /** The key of the element in a JSON object keyed by id. */
  key?: string;
}

export type NormaliseResult = { ok: true; record: TraceRecord } | { ok: false; error: string };

type Normaliser = (value: Record<string, unknown>, ctx: RecordContext, opts: NormaliseOptions, trial: Trial) => TraceRecord | string;

/** Schema parses made by `normalise` since the process started (for the tests and benchmarks). */
export const normaliseStats = { schemaParses: 0, fastChecks: 0 };

type Schemas = typeof import('./schemas');
let loaded: Schemas | undefined;

/**
 * The zod schemas (schemas.ts), loaded on the first record the fast checks are not sure of: most
 * files never need them, and the CLI's summary then starts without zod (a separate file beside its
 * bundle: scripts/build.mjs).
 */
function schemas(): Schemas {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  return (loaded ??= require('./schemas') as Schemas);
}

/**
 * A shape's check: the fast check's output when it is sure (fastShapes.ts), else why the value
 * cannot be the shape at all (`cannotBe`), else the schema's. Both first ways count as one schema
 * parse in `normaliseStats`. A value the fast check accepts has every needed field (its checks
 * include cannotBe's), so the valid records, nearly all of a file, skip cannotBe's reads.
 */
function check<T extends z.ZodType>(
  schema: (s: Schemas) => T,
  fast: (v: Record<string, unknown>) => z.output<T> | undefined,
  value: Record<string, unknown>,
  trial: Trial,
): { data: z.output<T> } | string {
  const data = fast(value);
  if (data === undefined) return cannotBe(trial, value) ?? parseWith(schema(schemas()), value);
  normaliseStats.schemaParses++;
  normaliseStats.fastChecks++;
  return { data };
}

/**
 * Parse `value` with `schema`: its output, or the message of its first issue. Runs the schema
 * directly rather than through safeParse, which on failure builds a ZodError (an Error, its methods
 * bound one by one) and a message for every issue: most of what a record that fails costs, for one
 * message kept.
 */
function parseWith<T extends z.ZodType>(schema: T, value: Record<string, unknown>): { data: z.output<T> } | string {
  normaliseStats.schemaParses++;
  const ctx = { async: false } as const;
  const r = schema._zod.run({ value, issues: [] }, ctx);
  if (r instanceof Promise) throw new Error('a results schema must not be asynchronous');
  if (r.issues.length === 0) return { data: r.value as z.output<T> };
  return firstIssue(schemas().finalizeIssue(r.issues[0], ctx), value);
}

function firstIssue(issue: z.core.$ZodIssue, input: Record<string, unknown>): string {
  const path = issue.path.length ? issue.path.join('.') : '(record)';
  let at: unknown = input;
  for (const k of issue.path)
    at = at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
  if (issue.path.length && at === undefined) return `missing "${path}"`;
  return `${path}: ${issue.message}`;
}

function positionId(ctx: RecordContext): string {
  return ctx.key ?? `line-${ctx.line}`;
}

/** How much to derive: the index needs no option list, and shares one wording cache per file. */
export interface NormaliseOptions {
  /** Skip parsing the options out of the question text (the index does not keep them). */
  light?: boolean;
  wording?: WordingCache;
}

const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);
const DIRECTION_SET: ReadonlySet<string> = new Set(DIRECTIONS);

function explicit<T extends string>(v: unknown, allowed: ReadonlySet<string>): T | undefined {
  if (typeof v !== 'string') return undefined;
  const lower = v.toLowerCase();
  return allowed.has(lower) ? (lower as T) : undefined;
}

function finish(
  base: Omit<
    TraceRecord,
    'options' | 'category' | 'categoryExplicit' | 'wordedAs' | 'categoryEvidence' | 'direction' | 'directionExplicit'
  > & {
    optionList?: readonly string[];
    category?: unknown;
    direction?: unknown;
    /** A reference chain of thought for this question (ST-R1 rows' `solution`): evidence of its category. */
    referenceChain?: string;
  },
  opts: NormaliseOptions,
): TraceRecord {
  const { optionList, category, direction } = base;
  const listed = optionList !== undefined && optionList.length > 0;
  const options = listed ? normaliseOptionList(optionList) : opts.light ? [] : parseEmbeddedOptions(base.question);
  const cat = explicit<Category>(category, CATEGORY_SET);
  const dir = explicit<Direction>(direction, DIRECTION_SET);
  let wording: Pick<Wording, 'category' | 'categoryWithoutOptions' | 'direction'> | undefined;
  if (!cat || !dir) {
    wording = opts.wording
      ? opts.wording.get(base.question)
      : {
          category: categoryFromWording(base.question, true),
          categoryWithoutOptions: categoryFromWording(base.question, false),
          direction: directionFromWording(base.question),
        };
  }
  const worded = cat
    ? undefined
    : // Whether there are options matters only when the wording reads differently with and without
      // them (route wording): only then does the light path parse them, so both paths agree.
      wording!.category === wording!.categoryWithoutOptions ||
        listed ||
        (opts.light ? parseEmbeddedOptions(base.question).length > 0 : options.length > 0)
      ? wording!.category
      : wording!.categoryWithoutOptions;
  // A landmark-worded question's reference chain says what it asks (categoryFromChain in derive.ts):
  // its opening is read once here, and marks the category as decided by the chain.
  let derived = worded;
  let evidence: CategoryEvidence | undefined;
  if (worded === 'landmark' && base.referenceChain !== undefined) {
    const opens = chainOpeningCategory(base.referenceChain);
    if (opens !== undefined) {
      evidence = CHAIN_EVIDENCE;
      if (opens === 'action') derived = 'action';
    }
  }
  const finalCategory = cat ?? derived!;
  // Built field by field (no rest/spread): this runs once per record of a file.
  return {
    id: base.id,
    idFromPosition: base.idFromPosition,
    shape: base.shape,
    video: base.video,
    question: base.question,
    options,
    gold: base.gold,
    response: base.response,
    category: finalCategory,
    categoryExplicit: cat !== undefined,
    wordedAs: derived !== worded ? worded : undefined,
    categoryEvidence: evidence,
    direction: dir ?? wording!.direction,
    directionExplicit: dir !== undefined,
    model: base.model,
    mode: base.mode,
    frames: base.frames,
    meta: base.meta,
    sourceId: base.sourceId,
    sourceFile: base.sourceFile,
    route: finalCategory === 'route' ? { key: base.id, reference: base.gold ?? '', prediction: base.response } : undefined,
  };
}

const normalisers: Record<ShapeName, Normaliser> = {
  canonical(value, _ctx, opts, trial) {
    const r = check((m) => m.canonicalSchema, canonicalFast, value, trial);
    if (typeof r === 'string') return r;
    const v = r.data;
    return finish(
      {
        id: v.id,
        idFromPosition: false,
        shape: 'canonical',
        video: v.video,
        question: v.question,
        optionList: v.options,
        gold: v.gold,
        response: v.response,
        category: v.category,
        direction: v.direction,
        model: typeof v.model === 'string' ? v.model : v.model?.name,
        mode: v.mode,
        frames: v.frames,
        meta: v.meta,
        sourceId: v.sourceId,
        sourceFile: v.sourceFile,
      },
      opts,
    );
  },
  'st-r1'(value, ctx, opts, trial) {
    const r = check((m) => m.stR1Schema, stR1Fast, value, trial);
    if (typeof r === 'string') return r;
    const v = r.data;
    return finish(
      {
        id: positionId(ctx),
        idFromPosition: ctx.key === undefined,
        shape: 'st-r1',
        video: v.video,
        question: v.problem,
        gold: v.original_answer,
        response: v.solution,
        referenceChain: v.solution,
      },
      opts,
    );
  },
  benchmark(value, ctx, opts, trial) {
    const r = check((m) => m.benchmarkSchema, benchmarkFast, value, trial);
    if (typeof r === 'string') return r;
    const v = r.data;
    const block = v.forward_mcq ?? v.reverse_mcq;
    if (block) {
      return finish(
        {
          id: positionId(ctx),
          idFromPosition: ctx.key === undefined,
          shape: 'benchmark',
          video: v.video,
          question: block.question,
          optionList: block.options,
          gold: block.answer ?? v.answer,
          response: v.predict ?? '',
          direction: v.forward_mcq ? 'forward' : 'reverse',
        },
        opts,
      );
    }
    return finish(
      {
        id: positionId(ctx),
        idFromPosition: ctx.key === undefined,
        shape: 'benchmark',
        video: v.video,
        question: v.question!,
        gold: v.forward_answer ?? v.reverse_answer,
        response: v.predict ?? '',
        category: 'route',
        direction: v.forward_answer !== undefined ? 'forward' : 'reverse',
      },
      opts,
    );
  },
  harness(value, _ctx, opts, trial) {
    const r = cannotBe(trial, value) ?? parseWith(schemas().harnessSchema, value);
    if (typeof r === 'string') return r;
    const v = r.data;
    const first = v.resps[0];
    const response = Array.isArray(first) ? (first[0] ?? '') : (first ?? '');
    const doc = v.doc;
    return finish(
      {
        id: v.doc_id,
        idFromPosition: false,
        shape: 'harness',
        video: (doc.video ?? doc.video_path ?? '').trim(),
        question: (doc.question ?? doc.problem)!,
        optionList: doc.options,
        gold: v.target,
        response,
        category: doc.category,
        direction: doc.direction,
      },
      opts,
    );
  },
};

/** The shape a value most likely has, from the keys only one shape uses. */
export function guessShape(value: Record<string, unknown>): ShapeName {
  if ('doc_id' in value || 'resps' in value) return 'harness';
  if ('problem' in value || 'solution' in value) return 'st-r1';
  if ('forward_mcq' in value || 'reverse_mcq' in value || 'forward_answer' in value || 'reverse_answer' in value) {
    return 'benchmark';
  }
  return 'canonical';
}

const SHAPE_ORDER: readonly ShapeName[] = ['canonical', 'st-r1', 'benchmark', 'harness'];

/** A shape as normalise tries it: its normaliser, and its needed fields as two arrays (read per record). */
interface Trial {
  shape: ShapeName;
  normalise: Normaliser;
  keys: readonly string[];
  kinds: readonly NeededKind[];
}
const TRIALS = new Map<ShapeName, Trial>(
  SHAPE_ORDER.map((shape) => [
    shape,
    { shape, normalise: normalisers[shape], keys: SHAPE_NEEDS[shape].map((n) => n[0]), kinds: SHAPE_NEEDS[shape].map((n) => n[1]) },
  ]),
);
/** The shapes in the order tried when the first guess is each one (no array made per record). */
const TRY_ORDER = new Map(
  SHAPE_ORDER.map((first) => [first, [first, ...SHAPE_ORDER.filter((s) => s !== first)].map((s) => TRIALS.get(s)!)]),
);

function hasKind(v: unknown, kind: NeededKind): boolean {
  if (kind === 'text') return typeof v === 'string';
  if (kind === 'id') return typeof v === 'string' || typeof v === 'number';
  if (kind === 'array') return Array.isArray(v);
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const KIND_TEXT: Record<NeededKind, string> = { text: 'a string', id: 'a string or a number', object: 'an object', array: 'an array' };

function jsonKind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * Why `value` cannot be the trial's shape at all (a needed field missing or of the wrong JSON type,
 * or, for the benchmark shape, neither or both question blocks), or undefined when its schema must
 * decide. A few property reads: a line that is no shape costs no schema parse.
 */
function cannotBe(trial: Trial, value: Record<string, unknown>): string | undefined {
  const { keys, kinds } = trial;
  for (let k = 0; k < keys.length; k++) {
    const v = value[keys[k]];
    if (v === undefined) return `missing "${keys[k]}"`;
    if (!hasKind(v, kinds[k])) return `${keys[k]}: expected ${KIND_TEXT[kinds[k]]}, got ${jsonKind(v)}`;
  }
  return trial.shape === 'benchmark' ? benchmarkBlocks(value) : undefined;
}

/** The benchmark schema's refinement, before its parse: one question block, or a question with an answer. */
function benchmarkBlocks(value: Record<string, unknown>): string | undefined {
  const blocks = Number(value.forward_mcq !== undefined) + Number(value.reverse_mcq !== undefined);
  if (blocks > 1) return '(record): has both forward_mcq and reverse_mcq';
  if (blocks === 0 && !(value.question !== undefined && (value.forward_answer !== undefined || value.reverse_answer !== undefined))) {
    return '(record): needs forward_mcq / reverse_mcq, or question with forward_answer / reverse_answer';
  }
  return undefined;
}

/**
 * Normalise one parsed JSON value. The shape its keys point to is tried first, then the others; a
 * shape is parsed with its schema only when the value can be it at all (`cannotBe`), so an invalid
 * line costs no more schema parses than a valid one, mostly none. `hint` (the previous line's shape)
 * is kept for the callers; the keys decide.
 */
export function normalise(value: unknown, ctx: RecordContext, hint?: ShapeName, opts: NormaliseOptions = {}): NormaliseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, error: `expected a JSON object, got ${kind}` };
  }
  const obj = value as Record<string, unknown>;
  const guess = guessShape(obj);
  const order = TRY_ORDER.get(hint === guess ? hint : guess)!;
  let tried = '';
  for (let k = 0; k < order.length; k++) {
    const trial = order[k];
    const out = trial.normalise(obj, ctx, opts, trial);
    if (typeof out !== 'string') return { ok: true, record: out };
    tried += `${k ? '; ' : ''}${trial.shape}: ${out}`;
  }
  return { ok: false, error: `no known shape (${tried})` };
}
