/**
 * Tags and notes on records (issue 11, item 10), kept beside a results file in `<results>.notes.jsonl`
 * (`run.notes.jsonl` for `run.jsonl`, as re-runs go to `run.reruns.jsonl`): never in the results file.
 *
 * The notes file is an append-only log of events, one JSON object a line, so a team can share it
 * and merge two copies by concatenating them (or letting git merge the lines):
 *
 *   {"v":1,"record":"st-r1-test-004","op":"tag","tag":"wrong-direction","at":"2026-12-06T16:00:00.000Z"}
 *   {"v":1,"record":"line-12","line":12,"fp":"3f9a0c1b2d4e","op":"untag","tag":"wrong-direction","at":"…","by":"ana"}
 *   {"v":1,"record":"st-r1-test-004","op":"note","text":"turns left at the door, the chain says right","at":"…"}
 *
 * Reading folds the events into the current state: per record and tag the latest `tag` / `untag`
 * (by `at`, then by place in the file) wins; a record's note is its latest `note` event (an empty
 * text clears it). Removing a tag appends an `untag` event: nothing is ever rewritten. A line that is
 * not a valid event is reported (file, line, why) and skipped; a last line without its newline that
 * does not parse (a writer killed mid-line) is skipped without a report.
 *
 * Records are keyed by their id. A record without an id of its own gets `line-N` from the indexer,
 * which changes when lines are inserted above it; its events also hold its line and a fingerprint
 * (`fp`: a hash of its video and question), and are attached to the record of that line only while
 * the fingerprint matches; otherwise to the one record with that fingerprint, if there is exactly
 * one; otherwise they are kept in the file and counted as detached, never moved to another record.
 *
 * No zod and no vscode here: the CLI and the tests load this as is.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeAppendLine, SafeWriteError } from './safeWrite';
import { CATEGORIES, DIRECTIONS, type Category, type Direction } from './vocabulary';

export const NOTES_SUFFIX = '.notes.jsonl';
export const NOTE_OPS = ['tag', 'untag', 'note'] as const;
export type NoteOp = (typeof NOTE_OPS)[number];

/** Tags offered before any is used (the examples first). */
export const SUGGESTED_TAGS = [
  'wrong-direction',
  'hallucinated-landmark',
  'skipped-step',
  'answer-contradicts-reasoning',
  'ambiguous-question',
] as const;

/** Longest tag and note kept (longer ones are refused when written and reported when read). */
export const MAX_TAG_LENGTH = 64;
export const MAX_NOTE_LENGTH = 10_000;

/** One line of a notes file. */
export interface NoteEvent {
  v: 1;
  /** The record's id (`line-N` for a record without one). */
  record: string;
  /** For `line-N` records: the line and the fingerprint the event was made for. */
  line?: number;
  fp?: string;
  op: NoteOp;
  tag?: string;
  text?: string;
  /** ISO time of the event. */
  at: string;
  /** Who made it (the `stThink.notes.author` setting), when set. */
  by?: string;
}

/** What an event says about one record's tags or note. */
export interface NotesProblem {
  file: string;
  line: number;
  message: string;
}

/** A record's tags and note now. */
export interface RecordNotes {
  tags: string[];
  note?: { text: string; at: string; by?: string };
}

/** What a record is known by in a notes file. */
export interface RecordKey {
  record: string;
  line?: number;
  fp?: string;
}

/** The index entry fields a key is made from. */
export interface KeyedEntry {
  id: string;
  line: number;
  video: string;
  label: string;
  category: Category;
  direction: Direction;
}

/** The notes file of a results file: `run.notes.jsonl` beside `run.jsonl` (or `.json`, `.ndjson`). */
export function notesPath(resultsFile: string): string {
  return resultsFile.replace(/\.(jsonl|json|ndjson)$/i, '') + NOTES_SUFFIX;
}

export function isNotesFile(file: string): boolean {
  return file.endsWith(NOTES_SUFFIX);
}

/**
 * A tag as stored: trimmed, lower case, runs of spaces and underscores as one hyphen ("Wrong direction"
 * → "wrong-direction"); undefined when nothing is left, or it is too long, or holds a control character.
 */
export function normaliseTag(s: string): string | undefined {
  const t = s
    .trim()
    .toLocaleLowerCase()
    .replace(/[\s_]+/g, '-');
  // eslint-disable-next-line no-control-regex
  if (!t || t.length > MAX_TAG_LENGTH || /[\u0000-\u001f\u007f,]/.test(t)) return undefined;
  return t;
}

/** Whether an id is one the indexer made from the record's line (the record has no id of its own). */
export function isPositionalId(e: Pick<KeyedEntry, 'id' | 'line'>): boolean {
  return e.id === `line-${e.line}`;
}

/** A record's fingerprint: its video and its question label, hashed (12 hex digits). */
export function fingerprint(e: Pick<KeyedEntry, 'video' | 'label'>): string {
  return createHash('sha1').update(`${e.video}\n${e.label}`).digest('hex').slice(0, 12);
}

/** How a record is named in the notes file (its id; and its line and fingerprint when the id is its line). */
export function recordKey(e: Pick<KeyedEntry, 'id' | 'line' | 'video' | 'label'>): RecordKey {
  return isPositionalId(e) ? { record: e.id, line: e.line, fp: fingerprint(e) } : { record: e.id };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function str(o: Record<string, unknown>, k: string): string | undefined | null {
  const v = o[k];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : null;
}

/** One line's event, or why it is not one. */
export function parseNoteEvent(line: string): NoteEvent | string {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return 'not a JSON object';
  const r = o as Record<string, unknown>;
  if (r.v !== 1) return `unknown version ${JSON.stringify(r.v)} (expected "v": 1)`;
  const record = str(r, 'record');
  if (!record) return 'missing "record" (the record\'s id)';
  if (typeof r.op !== 'string' || !(NOTE_OPS as readonly string[]).includes(r.op))
    return `"op" must be one of ${NOTE_OPS.join(', ')}, got ${JSON.stringify(r.op)}`;
  const at = str(r, 'at');
  if (!at || !ISO.test(at) || Number.isNaN(Date.parse(at))) return '"at" must be an ISO time';
  const by = str(r, 'by');
  if (by === null) return '"by" must be text';
  if (r.line !== undefined && !(Number.isInteger(r.line) && (r.line as number) > 0)) return '"line" must be a positive whole number';
  const fp = str(r, 'fp');
  if (fp === null) return '"fp" must be text';
  const ev: NoteEvent = { v: 1, record, op: r.op as NoteOp, at };
  if (r.line !== undefined) ev.line = r.line as number;
  if (fp) ev.fp = fp;
  if (by) ev.by = by;
  if (ev.op === 'note') {
    const text = str(r, 'text');
    if (typeof text !== 'string') return 'a note event needs "text" (empty clears the note)';
    if (text.length > MAX_NOTE_LENGTH) return `the note is longer than ${MAX_NOTE_LENGTH} characters`;
    ev.text = text;
  } else {
    const tag = str(r, 'tag');
    const norm = typeof tag === 'string' ? normaliseTag(tag) : undefined;
    if (!norm || norm !== tag)
      return `"tag" must be a tag as written by ST-Think (lower case, no spaces, at most ${MAX_TAG_LENGTH} characters)`;
    ev.tag = tag;
  }
  return ev;
}

/**
 * The key events of one record are folded under: its id, or for a `line-N` record its fingerprint
 * (its line changes when lines are inserted above it, and an untag made after the move must still
 * cancel a tag made before it).
 */
function foldKey(k: RecordKey): string {
  return k.fp !== undefined ? `\u0000fp:${k.fp}` : k.record;
}

interface Folded {
  key: RecordKey;
  /** tag → [present, at, order] of its latest event. */
  tags: Map<string, { on: boolean; t: number; order: number }>;
  note?: { text: string; at: string; by?: string; t: number; order: number };
}

/** Later by time, then by place in the file (the order events were read). */
function later(at: number, order: number, than: { t: number; order: number }): boolean {
  return at > than.t || (at === than.t && order > than.order);
}

/** A notes file read and folded: every record's tags and note now, and the lines that were skipped. */
export class NotesState {
  readonly problems: NotesProblem[] = [];
  /** Events read (valid lines). */
  events = 0;
  /** The last line had no newline and did not parse (a writer stopped mid-line): skipped. */
  partialTail = false;
  private readonly folded = new Map<string, Folded>();

  constructor(readonly file: string) {}

  /** Folds one event in (`order`: its place among those read). */
  add(ev: NoteEvent, order: number): void {
    const key: RecordKey = ev.fp !== undefined ? { record: ev.record, line: ev.line, fp: ev.fp } : { record: ev.record };
    const k = foldKey(key);
    let f = this.folded.get(k);
    if (!f) this.folded.set(k, (f = { key, tags: new Map() }));
    const at = Date.parse(ev.at);
    if (key.line !== undefined) f.key = key; // the line of the latest event read
    if (ev.op === 'note') {
      if (!f.note || later(at, order, f.note)) f.note = { text: ev.text ?? '', at: ev.at, by: ev.by, t: at, order };
    } else {
      const cur = f.tags.get(ev.tag!);
      if (!cur || later(at, order, cur)) f.tags.set(ev.tag!, { on: ev.op === 'tag', t: at, order });
    }
    this.events++;
  }

  /** Every record named in the file, with its tags and note now (records with neither left out). */
  *records(): Iterable<{ key: RecordKey; notes: RecordNotes }> {
    for (const f of this.folded.values()) {
      const tags = [...f.tags].filter(([, s]) => s.on).map(([t]) => t);
      const note = f.note?.text ? { text: f.note.text, at: f.note.at, ...(f.note.by ? { by: f.note.by } : {}) } : undefined;
      if (tags.length || note) yield { key: f.key, notes: { tags: tags.sort(), ...(note ? { note } : {}) } };
    }
  }
}

/** Folds the text of a notes file (see the module's comment). */
export function foldNotes(text: string, file: string): NotesState {
  const state = new NotesState(file);
  const lines = text.split('\n');
  const last = lines.length - 1; // text after the last newline ('' when the file ends with one)
  for (let i = 0; i <= last; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (!line.trim()) continue;
    const ev = parseNoteEvent(line);
    if (typeof ev === 'string') {
      if (i === last) state.partialTail = true;
      else state.problems.push({ file, line: i + 1, message: ev });
      continue;
    }
    state.add(ev, i);
  }
  return state;
}

/**
 * Reads and folds a notes file; an absent one is empty. A link or anything but a regular file is not
 * read (one problem says why), as the writer would not write it: a planted `run.notes.jsonl -> run.jsonl`
 * shows as what it is, not as a hundred bad lines.
 */
export async function readNotes(file: string): Promise<NotesState> {
  const st = await fs.promises.lstat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  const state = new NotesState(file);
  if (!st) return state;
  if (!st.isFile()) {
    const what = st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
    state.problems.push({ file, line: 1, message: `${file} is ${what}; ST-Think reads and writes notes files only as regular files` });
    return state;
  }
  return foldNotes(await fs.promises.readFile(file, 'utf8'), file);
}

/** The notes of a results file's records, attached to its index entries. */
export interface AttachedNotes<E> {
  byEntry: Map<E, RecordNotes>;
  /** Records named in the notes file that are not in the results file (or, for `line-N` ones, no longer where they were). */
  detached: { key: RecordKey; notes: RecordNotes }[];
}

/**
 * Attaches the folded notes to the entries of a results file: by id; a `line-N` record's to the
 * entry of that line while its fingerprint matches, else to the one entry with that fingerprint
 * (the record moved), else detached. Records sharing one id share their tags.
 */
export function attachNotes<E extends KeyedEntry>(state: NotesState, entries: readonly E[]): AttachedNotes<E> {
  const out: AttachedNotes<E> = { byEntry: new Map() as Map<E, RecordNotes>, detached: [] };
  const add = (e: E, notes: RecordNotes) => out.byEntry.set(e, mergeNotes(out.byEntry.get(e), notes));
  const byId = new Map<string, { key: RecordKey; notes: RecordNotes }[]>();
  const moved: { key: RecordKey; notes: RecordNotes }[] = [];
  for (const r of state.records()) {
    if (r.key.fp === undefined) {
      const l = byId.get(r.key.record);
      if (l) l.push(r);
      else byId.set(r.key.record, [r]);
      continue;
    }
    // An id-less record: the entry of the line last written for, while it is the same record.
    const e = r.key.line === undefined ? undefined : entryAt(entries, r.key.line);
    if (e && isPositionalId(e) && fingerprint(e) === r.key.fp) add(e, r.notes);
    else moved.push(r);
  }
  // One pass over the entries for the ids named (no map of every entry: a million records cost seconds).
  if (byId.size) {
    const found = new Set<string>();
    for (const e of entries) {
      const rs = byId.get(e.id);
      if (!rs) continue;
      found.add(e.id);
      for (const r of rs) add(e, r.notes);
    }
    for (const [id, rs] of byId) if (!found.has(id)) out.detached.push(...rs);
  }
  // Moved id-less records: the one entry with the fingerprint (hashing every id-less entry, so only when some moved).
  if (moved.length) {
    const wanted = new Map<string, E[]>(moved.map((r) => [r.key.fp!, []]));
    for (const e of entries) if (isPositionalId(e)) wanted.get(fingerprint(e))?.push(e);
    for (const r of moved) {
      const same = wanted.get(r.key.fp!)!;
      if (same.length === 1) add(same[0], r.notes);
      else out.detached.push(r);
    }
  }
  return out;
}

/** The entry starting at `line`, if there is one (entries are in file order, as an index keeps them: binary search). */
export function entryAt<E extends { line: number }>(entries: readonly E[], line: number): E | undefined {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = entries[mid].line;
    if (l === line) return entries[mid];
    if (l < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

function mergeNotes(a: RecordNotes | undefined, b: RecordNotes): RecordNotes {
  if (!a) return b;
  const tags = [...new Set([...a.tags, ...b.tags])].sort();
  const note = !a.note ? b.note : !b.note ? a.note : a.note.at >= b.note.at ? a.note : b.note;
  return { tags, ...(note ? { note } : {}) };
}

/** Tag counts: tag → category → direction → records, over `entries` (the visible ones). */
export type TagCounts = Map<string, Map<Category, Map<Direction, number>>>;

export function countTags<E extends KeyedEntry>(entries: readonly E[], notesOf: (e: E) => RecordNotes | undefined): TagCounts {
  const out: TagCounts = new Map();
  for (const e of entries) {
    for (const tag of notesOf(e)?.tags ?? []) {
      let byCat = out.get(tag);
      if (!byCat) out.set(tag, (byCat = new Map()));
      let byDir = byCat.get(e.category);
      if (!byDir) byCat.set(e.category, (byDir = new Map()));
      byDir.set(e.direction, (byDir.get(e.direction) ?? 0) + 1);
    }
  }
  return out;
}

/** Tag counts as plain rows, tags by name, categories and directions in the vocabulary's order. */
export function tagCountRows(counts: TagCounts): { tag: string; category: Category; forward: number; reverse: number }[] {
  const rows: { tag: string; category: Category; forward: number; reverse: number }[] = [];
  for (const tag of [...counts.keys()].sort()) {
    const byCat = counts.get(tag)!;
    for (const c of CATEGORIES) {
      const byDir = byCat.get(c);
      if (!byDir) continue;
      const [fwd, rev] = DIRECTIONS.map((d) => byDir.get(d) ?? 0);
      rows.push({ tag, category: c, forward: fwd, reverse: rev });
    }
  }
  return rows;
}

/** The events that change records' notes: tag or untag each record, or set each one's note. */
export function noteEvents(
  entries: readonly Pick<KeyedEntry, 'id' | 'line' | 'video' | 'label'>[],
  change: { op: 'tag' | 'untag'; tag: string } | { op: 'note'; text: string },
  opts: { at?: Date; by?: string } = {},
): NoteEvent[] {
  const at = (opts.at ?? new Date()).toISOString();
  if (change.op === 'note' && change.text.length > MAX_NOTE_LENGTH) throw new Error(`a note is at most ${MAX_NOTE_LENGTH} characters`);
  if (change.op !== 'note' && normaliseTag(change.tag) !== change.tag) throw new Error(`not a tag: ${JSON.stringify(change.tag)}`);
  return entries.map((e) => ({
    v: 1,
    ...recordKey(e),
    op: change.op,
    ...(change.op === 'note' ? { text: change.text } : { tag: change.tag }),
    at,
    ...(opts.by ? { by: opts.by } : {}),
  }));
}

/**
 * Appends events to a notes file, one whole line each, through the safe writer: never into a file in
 * `protect` (the results files open, the file's own results file among them), never through a link.
 */
export async function appendNoteEvents(file: string, events: readonly NoteEvent[], protect: Iterable<string>): Promise<void> {
  const guard = [...protect];
  // The safe writer lets a file in `protect` append to itself (a re-runs file open as results); a
  // notes file never does: it must be named as one and be none of the files read.
  if (!isNotesFile(file)) throw new SafeWriteError(`${file} is not a notes file (*${NOTES_SUFFIX}); ST-Think does not write it`, file);
  const target = path.resolve(file);
  if (guard.some((p) => path.resolve(p) === target))
    throw new SafeWriteError(`${file} is a results file open in ST-Think; ST-Think never writes a results file it reads`, file);
  for (const ev of events) await safeAppendLine(file, JSON.stringify(ev), { protect: guard });
}
