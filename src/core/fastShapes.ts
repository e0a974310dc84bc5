/**
 * The schemas' verdicts without zod for the records that are plainly valid: every results file is
 * mostly such records, and a zod parse per record was a tenth of indexing's time. Each check here
 * returns exactly what its zod schema (schemas.ts) outputs for the fields normalise reads, or
 * undefined whenever it is not sure, and the schema then decides (and words the problem). A test
 * (fastShapes.test.ts) holds both to the same output on real rows and on mutated ones.
 */
import type { z } from 'zod';
import { isJsSpace } from './categories';
import type { benchmarkSchema, canonicalSchema, stR1Schema } from './schemas';
import { CATEGORIES, DIRECTIONS } from './vocabulary';

/** A keyString of the schemas: a string with a character that is not white space. */
function isKeyString(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  for (let i = 0; i < v.length; i++) if (!isJsSpace(v.charCodeAt(i))) return true;
  return false;
}

const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';

function isStringList(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);
const DIRECTION_SET: ReadonlySet<string> = new Set(DIRECTIONS);
/** Not sure: the schema decides. */
const UNSURE = Symbol('unsure');

/** An optional category or direction field: undefined, its lower-case form, or UNSURE. */
function lowerIn<T extends string>(v: unknown, allowed: ReadonlySet<string>): T | undefined | typeof UNSURE {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return UNSURE;
  const lower = v.toLowerCase();
  return allowed.has(lower) ? (lower as T) : UNSURE;
}

type Canonical = z.output<typeof canonicalSchema>;
type StR1 = z.output<typeof stR1Schema>;
type Benchmark = z.output<typeof benchmarkSchema>;

export function canonicalFast(o: Record<string, unknown>): Canonical | undefined {
  const id = o.id;
  let idText: string;
  if (isKeyString(id)) idText = id;
  else if (typeof id === 'number' && Number.isFinite(id)) idText = String(id);
  else return undefined;
  const { video, question, options, gold, response, model, mode, sourceId, sourceFile } = o;
  if (!isKeyString(video) || !isKeyString(question) || typeof response !== 'string') return undefined;
  if (options !== undefined && !isStringList(options)) return undefined;
  if (!optionalString(gold) || !optionalString(mode) || !optionalString(sourceId) || !optionalString(sourceFile)) return undefined;
  // Objects the schema copies (frames, meta, a model object) are left to it: rare, and small files.
  if (o.frames !== undefined || o.meta !== undefined || (model !== undefined && typeof model !== 'string')) return undefined;
  const category = lowerIn<Canonical['category'] & string>(o.category, CATEGORY_SET);
  const direction = lowerIn<Canonical['direction'] & string>(o.direction, DIRECTION_SET);
  if (category === UNSURE || direction === UNSURE) return undefined;
  return {
    id: idText,
    video,
    question,
    options: options === undefined ? undefined : [...options],
    gold: gold as string | undefined,
    response,
    category,
    direction,
    model: model as string | undefined,
    mode: mode as string | undefined,
    frames: undefined,
    meta: undefined,
    sourceId: sourceId as string | undefined,
    sourceFile: sourceFile as string | undefined,
  };
}

export function stR1Fast(o: Record<string, unknown>): StR1 | undefined {
  const { problem, solution, video, original_answer, original_question } = o;
  if (!isKeyString(problem) || typeof solution !== 'string' || !isKeyString(video)) return undefined;
  if (!optionalString(original_answer) || !optionalString(original_question)) return undefined;
  return {
    problem,
    solution,
    video,
    original_answer: original_answer as string | undefined,
    original_question: original_question as string | undefined,
  };
}

type Block = NonNullable<Benchmark['forward_mcq']>;

/** An optional forward_mcq / reverse_mcq block: undefined, its copy, or UNSURE. */
function mcqBlock(v: unknown): Block | undefined | typeof UNSURE {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return UNSURE;
  const b = v as Record<string, unknown>;
  if (!isKeyString(b.question) || !isStringList(b.options) || !optionalString(b.answer)) return UNSURE;
  return { question: b.question, options: [...b.options], answer: b.answer as string | undefined };
}

export function benchmarkFast(o: Record<string, unknown>): Benchmark | undefined {
  const { video, question, forward_answer, reverse_answer, answer, predict } = o;
  if (video !== '' && !isKeyString(video)) return undefined;
  if (question !== undefined && !isKeyString(question)) return undefined;
  if (!optionalString(forward_answer) || !optionalString(reverse_answer) || !optionalString(answer) || !optionalString(predict)) {
    return undefined;
  }
  const forward = mcqBlock(o.forward_mcq);
  const reverse = mcqBlock(o.reverse_mcq);
  if (forward === UNSURE || reverse === UNSURE) return undefined;
  const blocks = Number(forward !== undefined) + Number(reverse !== undefined);
  if (blocks > 1 || (blocks === 0 && !(question !== undefined && (forward_answer !== undefined || reverse_answer !== undefined)))) {
    return undefined;
  }
  return {
    video: video as string,
    forward_mcq: forward,
    reverse_mcq: reverse,
    question: question as string | undefined,
    forward_answer: forward_answer as string | undefined,
    reverse_answer: reverse_answer as string | undefined,
    answer: answer as string | undefined,
    predict: predict as string | undefined,
  };
}
