/**
 * Entries as columns, for the way back from the worker thread: posting thousands of small objects
 * between threads costs far more (structured clone of each object) than typed arrays, a table of
 * the distinct strings, and one array of ids.
 */
import { NA_REASONS } from '../vocabulary';
import { Entry } from './entry';
import type { IndexEntry } from './types';

export interface PackedEntries {
  count: number;
  numbers: Float64Array; // line, offset, length per entry
  codes: Uint8Array; // shape, category (+ 16 × (1 + worded-as category) when set), direction, mcq, grpo, format, na per entry
  strings: Uint32Array; // video, label, gold, mcqPred, grpoPred: indices into `table`
  table: string[];
  ids: string[];
}

const SHAPE_CODES = ['canonical', 'st-r1', 'benchmark', 'harness'] as const;
const CATEGORY_CODES = ['route', 'direction', 'landmark', 'action', 'other'] as const;
const DIRECTION_CODES = ['forward', 'reverse'] as const;
const OUTCOME_CODES = ['correct', 'incorrect', 'unanswered', 'unscored'] as const;
const FORMAT_CODES = ['invalid', 'valid', 'n/a'] as const;
/** 0: applies; k: NA_REASONS[k - 1]. */
const NA_CODES = [undefined, ...NA_REASONS] as const;
const CODES = 7;

export function packEntries(entries: readonly IndexEntry[]): PackedEntries {
  const n = entries.length;
  const numbers = new Float64Array(n * 3);
  const codes = new Uint8Array(n * CODES);
  const strings = new Uint32Array(n * 5);
  const table: string[] = [];
  const slot = new Map<string, number>();
  const ref = (s: string) => {
    let k = slot.get(s);
    if (k === undefined) slot.set(s, (k = table.push(s) - 1));
    return k;
  };
  const ids: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    numbers[i * 3] = e.line;
    numbers[i * 3 + 1] = e.offset;
    numbers[i * 3 + 2] = e.length;
    codes[i * CODES] = SHAPE_CODES.indexOf(e.shape);
    codes[i * CODES + 1] =
      CATEGORY_CODES.indexOf(e.category) + (e.wordedAs === undefined ? 0 : 16 * (1 + CATEGORY_CODES.indexOf(e.wordedAs)));
    codes[i * CODES + 2] = DIRECTION_CODES.indexOf(e.direction);
    codes[i * CODES + 3] = OUTCOME_CODES.indexOf(e.mcq);
    codes[i * CODES + 4] = OUTCOME_CODES.indexOf(e.grpo);
    codes[i * CODES + 5] = FORMAT_CODES.indexOf(e.format);
    codes[i * CODES + 6] = NA_CODES.indexOf(e.na);
    strings[i * 5] = ref(e.video);
    strings[i * 5 + 1] = ref(e.label);
    strings[i * 5 + 2] = ref(e.gold);
    strings[i * 5 + 3] = ref(e.mcqPred);
    strings[i * 5 + 4] = ref(e.grpoPred);
    ids[i] = e.id;
  }
  return { count: n, numbers, codes, strings, table, ids };
}

/** Rebuild packed entries onto `out`, shifting their line numbers and interning their strings. */
export function unpackEntries(p: PackedEntries, lineShift: number, intern: (s: string) => string, out: IndexEntry[]): void {
  const table = p.table.map(intern);
  for (let i = 0; i < p.count; i++) {
    const category = p.codes[i * CODES + 1];
    out.push(
      new Entry(
        p.numbers[i * 3] + lineShift,
        p.numbers[i * 3 + 1],
        p.numbers[i * 3 + 2],
        p.ids[i],
        SHAPE_CODES[p.codes[i * CODES]],
        table[p.strings[i * 5]],
        table[p.strings[i * 5 + 1]],
        CATEGORY_CODES[category & 15],
        category >= 16 ? CATEGORY_CODES[(category >> 4) - 1] : undefined,
        DIRECTION_CODES[p.codes[i * CODES + 2]],
        {
          gold: table[p.strings[i * 5 + 2]],
          format: FORMAT_CODES[p.codes[i * CODES + 5]],
          mcq: OUTCOME_CODES[p.codes[i * CODES + 3]],
          mcqPred: table[p.strings[i * 5 + 3]],
          grpo: OUTCOME_CODES[p.codes[i * CODES + 4]],
          grpoPred: table[p.strings[i * 5 + 4]],
          na: NA_CODES[p.codes[i * CODES + 6]],
        },
      ),
    );
  }
}
