/**
 * Shape detection and normalisation: any supported results line/element → one TraceRecord.
 * The shape is guessed from its distinguishing keys and checked with its zod schema; when that
 * fails every other shape is tried, and the error names each shape and why it failed.
 */
import type { z } from 'zod';
import {
  benchmarkSchema,
  canonicalSchema,
  CATEGORIES,
  DIRECTIONS,
  harnessSchema,
  type Category,
  type Direction,
  stR1Schema,
  type ShapeName,
  type TraceRecord,
} from './schemas';
import { CHAIN_EVIDENCE, type CategoryEvidence } from './categories';
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

type Normaliser = (value: Record<string, unknown>, ctx: RecordContext, opts: NormaliseOptions) => TraceRecord | string;

function firstIssue(error: z.ZodError, input: Record<string, unknown>): string {
  const issue = error.issues[0];
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
  // Whether there are options matters only when the wording reads differently with and without
  // them (route wording): only then does the light path parse them, so both paths agree.
  const hasOptions = () => listed || (opts.light ? parseEmbeddedOptions(base.question).length > 0 : options.length > 0);
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
    : wording!.category === wording!.categoryWithoutOptions || hasOptions()
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
    category: cat ?? derived!,
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
  };
}

const normalisers: Record<ShapeName, Normaliser> = {
  canonical(value, _ctx, opts) {
    const r = canonicalSchema.safeParse(value);
    if (!r.success) return firstIssue(r.error, value);
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
  'st-r1'(value, ctx, opts) {
    const r = stR1Schema.safeParse(value);
    if (!r.success) return firstIssue(r.error, value);
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
  benchmark(value, ctx, opts) {
    const r = benchmarkSchema.safeParse(value);
    if (!r.success) return firstIssue(r.error, value);
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
  harness(value, _ctx, opts) {
    const r = harnessSchema.safeParse(value);
    if (!r.success) return firstIssue(r.error, value);
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

/** Normalise one parsed JSON value. `hint` (the shape of the previous line) is tried first. */
export function normalise(value: unknown, ctx: RecordContext, hint?: ShapeName, opts: NormaliseOptions = {}): NormaliseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, error: `expected a JSON object, got ${kind}` };
  }
  const obj = value as Record<string, unknown>;
  const guess = guessShape(obj);
  const first = hint === guess ? hint : guess;
  const tried: string[] = [];
  for (const shape of [first, ...SHAPE_ORDER.filter((s) => s !== first)]) {
    const out = normalisers[shape](obj, ctx, opts);
    if (typeof out !== 'string') return { ok: true, record: out };
    tried.push(`${shape}: ${out}`);
  }
  return { ok: false, error: `no known shape (${tried.join('; ')})` };
}
