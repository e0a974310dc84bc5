/**
 * Go to Record…'s matching: every word typed must be found in the record's id, its video's name,
 * its line, category or direction (case-insensitive); exact hits rank first, so "sun3d_3" lists the
 * questions of sun3d_3 before those of sun3d_30 or sun3d_133.
 */
import { videoShortName } from './recordLabel';

export interface Findable {
  id: string;
  video: string;
  line: number;
  category: string;
  direction: string;
}

/** How well one word matches a field: 0 equal, 1 a prefix, 2 inside, undefined not at all. */
function fieldScore(word: string, field: string): number | undefined {
  if (!field) return undefined;
  if (field === word) return 0;
  if (field.startsWith(word)) return 1;
  return field.includes(word) ? 2 : undefined;
}

/** The record's rank for `words` (lower is better), or undefined when a word matches nothing. */
export function recordScore(r: Findable, words: readonly string[]): number | undefined {
  const video = r.video.toLocaleLowerCase();
  const fields = [
    r.id.toLocaleLowerCase(),
    videoShortName(video),
    video.split(/[\\/]/).pop() ?? '',
    String(r.line),
    r.category,
    r.direction,
  ];
  let total = 0;
  for (const w of words) {
    if (w === 'line' || w === '·') continue;
    let best: number | undefined;
    for (const f of fields) {
      const s = fieldScore(w, f);
      if (s !== undefined && (best === undefined || s < best)) best = s;
    }
    if (best === undefined) return undefined;
    total += best;
  }
  return total;
}

/** The records matching `query` (all for an empty one), best first, file order among equals. */
export function findRecords<T extends Findable>(records: readonly T[], query: string): T[] {
  const words = query
    .toLocaleLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  if (!words.length) return [...records];
  const scored: { r: T; s: number; i: number }[] = [];
  records.forEach((r, i) => {
    const s = recordScore(r, words);
    if (s !== undefined) scored.push({ r, s, i });
  });
  return scored.sort((a, b) => a.s - b.s || a.i - b.i).map((x) => x.r);
}
