/**
 * Filters over the index: outcome, category, direction and format test the index entry alone;
 * free text matches the record's id and video name from the index, and otherwise reads the records'
 * question and response back from the file, in large sequential reads.
 */
import { z } from 'zod';
import type { IndexEntry, ResultsIndex } from './index';
import { videoFileName } from './recordLabel';
import { CATEGORIES, DIRECTIONS, OUTCOMES, RULES, type ScoringRule } from './vocabulary';
import { outcomeOf } from './summary';

export const filterSchema = z.object({
  outcomes: z.array(z.enum(OUTCOMES)).optional(),
  categories: z.array(z.enum(CATEGORIES)).optional(),
  directions: z.array(z.enum(DIRECTIONS)).optional(),
  format: z.enum(['valid', 'invalid']).optional(),
  /** Case-insensitive text searched in the id, the video's file name, the question and the response. */
  text: z.string().optional(),
  /** Records with any of these tags (from the results file's notes file, core/notes.ts). */
  tags: z.array(z.string()).optional(),
  rule: z.enum(RULES).optional(),
});
export type ResultsFilter = z.infer<typeof filterSchema>;

export function isEmptyFilter(f: ResultsFilter | undefined): boolean {
  return !f || (!f.outcomes?.length && !f.categories?.length && !f.directions?.length && !f.format && !f.text?.trim() && !f.tags?.length);
}

export function describeFilter(f: ResultsFilter): string {
  const parts: string[] = [];
  if (f.outcomes?.length) parts.push(f.outcomes.join('|'));
  if (f.categories?.length) parts.push(f.categories.join('|'));
  if (f.directions?.length) parts.push(f.directions.join('|'));
  if (f.format) parts.push(`format ${f.format}`);
  if (f.text?.trim()) parts.push(`"${f.text.trim()}"`);
  if (f.tags?.length) parts.push(f.tags.map((t) => `tag:${t}`).join('|'));
  return parts.join(', ');
}

/**
 * The filter text typed, with its `tag:NAME` words taken out as tags ("tag:wrong-direction door" →
 * text "door", tags ["wrong-direction"]); tags are written as stored (see core/notes.ts normaliseTag).
 */
export function splitTagWords(text: string): { text: string; tags: string[] } {
  const tags: string[] = [];
  const rest = text.replace(/(^|\s)tag:(\S+)/gi, (_m, pre: string, t: string) => {
    tags.push(t.toLocaleLowerCase());
    return pre;
  });
  return { text: rest.replace(/\s+/g, ' ').trim(), tags };
}

/** The part of the filter that the index entry alone decides. */
export function entryMatches(e: IndexEntry, f: ResultsFilter, rule: ScoringRule): boolean {
  if (f.outcomes?.length && !f.outcomes.includes(outcomeOf(e, f.rule ?? rule))) return false;
  if (f.categories?.length && !f.categories.includes(e.category)) return false;
  if (f.directions?.length && !f.directions.includes(e.direction)) return false;
  // A record the format check does not apply to (format 'n/a') is neither valid nor invalid.
  if (f.format && e.format !== f.format) return false;
  return true;
}

export interface TextSearchOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Whether the entry's id or its video's file name contains `needle` (already lower-cased). */
export function entryTextMatches(e: Pick<IndexEntry, 'id' | 'video'>, needle: string): boolean {
  return e.id.toLocaleLowerCase().includes(needle) || (!!e.video && videoFileName(e.video).toLocaleLowerCase().includes(needle));
}

/**
 * Entries (among `candidates`) whose id, video file name, question or response contains `text`,
 * case-insensitively; only the records the index does not already match are read from the file.
 * Throws an AbortError-named error when cancelled.
 */
export async function searchText(
  index: ResultsIndex,
  candidates: readonly IndexEntry[],
  text: string,
  opts: TextSearchOptions = {},
): Promise<Set<IndexEntry>> {
  const needle = text.trim().toLocaleLowerCase();
  const hits = new Set<IndexEntry>();
  if (!needle) return new Set(candidates);
  const rest: IndexEntry[] = [];
  for (const e of candidates) {
    if (entryTextMatches(e, needle)) hits.add(e);
    else rest.push(e);
  }
  for await (const { entry, record } of index.records(rest, opts)) {
    if (record.question.toLocaleLowerCase().includes(needle) || record.response.toLocaleLowerCase().includes(needle)) {
      hits.add(entry);
    }
  }
  return hits;
}

/**
 * The entries a filter leaves visible, in file order: those the entry fields match and, when the text
 * was searched (`textHits`, from `searchText`), those it found; with tags in the filter, those with
 * one of them (`tagsOf`: a record's tags now; none without it).
 */
export function visibleEntries(
  entries: IndexEntry[],
  f: ResultsFilter,
  rule: ScoringRule,
  textHits?: ReadonlySet<IndexEntry>,
  tagsOf?: (e: IndexEntry) => readonly string[] | undefined,
): IndexEntry[] {
  if (isEmptyFilter(f)) return entries;
  const wanted = f.tags?.length ? new Set(f.tags) : undefined;
  const tagged = (e: IndexEntry) => !wanted || !!tagsOf?.(e)?.some((t) => wanted.has(t));
  return entries.filter((e) => entryMatches(e, f, rule) && (!textHits || textHits.has(e)) && tagged(e));
}

/**
 * A filter given from outside (the `stThink.setFilter` command's argument): nothing clears the
 * filter; anything else must be a filter object with known fields, or this throws saying what is wrong.
 */
export function parseFilter(arg: unknown): ResultsFilter {
  if (arg === undefined || arg === null) return {};
  const r = filterSchema.strict().safeParse(arg);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'the argument'}: ${i.message}`);
  return invalidFilter(issues.join('; '));
}

function invalidFilter(why: string): never {
  throw new Error(
    `not a results filter (${why}); expected { outcomes?: (${OUTCOMES.join('|')})[], categories?: (${CATEGORIES.join('|')})[], ` +
      `directions?: (${DIRECTIONS.join('|')})[], format?: 'valid'|'invalid', text?: string, tags?: string[], rule?: ${RULES.join('|')} }`,
  );
}
