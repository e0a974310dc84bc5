/**
 * Filters over the index: outcome, category, direction and format test the index entry alone;
 * free text reads the records' question and response back from the file, in large sequential reads.
 */
import { promises as fsp } from 'node:fs';
import { z } from 'zod';
import type { IndexEntry, ResultsIndex } from './indexer';
import { normalise } from './normalize';
import { CATEGORIES, DIRECTIONS, OUTCOMES, RULES, type ScoringRule } from './schemas';
import { outcomeOf } from './summary';

export const filterSchema = z.object({
  outcomes: z.array(z.enum(OUTCOMES)).optional(),
  categories: z.array(z.enum(CATEGORIES)).optional(),
  directions: z.array(z.enum(DIRECTIONS)).optional(),
  format: z.enum(['valid', 'invalid']).optional(),
  /** Case-insensitive text searched in the question and the response. */
  text: z.string().optional(),
  rule: z.enum(RULES).optional(),
});
export type ResultsFilter = z.infer<typeof filterSchema>;

export function isEmptyFilter(f: ResultsFilter | undefined): boolean {
  return (
    !f ||
    (!f.outcomes?.length && !f.categories?.length && !f.directions?.length && !f.format && !f.text?.trim())
  );
}

export function describeFilter(f: ResultsFilter): string {
  const parts: string[] = [];
  if (f.outcomes?.length) parts.push(f.outcomes.join('|'));
  if (f.categories?.length) parts.push(f.categories.join('|'));
  if (f.directions?.length) parts.push(f.directions.join('|'));
  if (f.format) parts.push(`format ${f.format}`);
  if (f.text?.trim()) parts.push(`"${f.text.trim()}"`);
  return parts.join(', ');
}

/** The part of the filter that the index entry alone decides. */
export function entryMatches(e: IndexEntry, f: ResultsFilter, rule: ScoringRule): boolean {
  if (f.outcomes?.length && !f.outcomes.includes(outcomeOf(e, f.rule ?? rule))) return false;
  if (f.categories?.length && !f.categories.includes(e.category)) return false;
  if (f.directions?.length && !f.directions.includes(e.direction)) return false;
  if (f.format === 'valid' && !e.formatValid) return false;
  if (f.format === 'invalid' && e.formatValid) return false;
  return true;
}

export interface TextSearchOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const WINDOW = 4 << 20;

/**
 * Entries (among `candidates`) whose question or response contains `text`, case-insensitively.
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
  const sorted = [...candidates].sort((a, b) => a.offset - b.offset);
  const fh = await fsp.open(index.file, 'r');
  try {
    let win = Buffer.alloc(0);
    let winStart = 0;
    for (let k = 0; k < sorted.length; k++) {
      const e = sorted[k];
      if (opts.signal?.aborted) {
        const err = new Error('text search cancelled');
        err.name = 'AbortError';
        throw err;
      }
      if (e.offset < winStart || e.offset + e.length > winStart + win.length) {
        win = Buffer.alloc(Math.max(WINDOW, e.length));
        const { bytesRead } = await fh.read(win, 0, win.length, e.offset);
        win = win.subarray(0, bytesRead);
        winStart = e.offset;
        opts.onProgress?.(k, sorted.length);
      }
      const raw = win.toString('utf8', e.offset - winStart, e.offset - winStart + e.length);
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        continue; // changed on disk since indexing: the watcher re-indexes it
      }
      const r = normalise(value, { line: e.line }, e.shape);
      if (!r.ok) continue;
      if (
        r.record.question.toLocaleLowerCase().includes(needle) ||
        r.record.response.toLocaleLowerCase().includes(needle)
      ) {
        hits.add(e);
      }
    }
    opts.onProgress?.(sorted.length, sorted.length);
  } finally {
    await fh.close();
  }
  return hits;
}

/** Apply a whole filter: entry fields first, then the text search on what is left. */
export async function applyFilter(
  index: ResultsIndex,
  f: ResultsFilter,
  rule: ScoringRule,
  opts: TextSearchOptions = {},
): Promise<IndexEntry[]> {
  const first = index.entries.filter((e) => entryMatches(e, f, rule));
  if (!f.text?.trim()) return first;
  const hits = await searchText(index, first, f.text, opts);
  return first.filter((e) => hits.has(e));
}
