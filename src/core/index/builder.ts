/**
 * What indexing has found so far, and the per-record work the readers hand each record's bytes to:
 * parse, normalise, score, and keep an entry, or keep a problem. The readers (jsonl.ts, json.ts)
 * find the records; this turns them into entries.
 */
import { isUtf8 } from 'node:buffer';
import { ActionPartners, partnerRole } from '../categories';
import { goldLetter, score, WordingCache, type Scores } from '../derive';
import { normalise, type NormaliseOptions, type RecordContext } from '../normalize';
import type { ShapeName, TraceRecord } from '../schemas';
import { firstInvalidUtf8, isJsonSpace } from './bytes';
import { Entry } from './entry';
import { NotResultsFileError, type IndexEntry, type IndexProblem } from './types';

/** Problems kept per file; beyond this only the count grows. */
export const MAX_PROBLEMS = 10_000;
/** With no valid record yet, this many problems in a row means the file is not a results file. */
export const GIVE_UP_AFTER = 200;

/**
 * Run `read` (the synchronous reading of one chunk) capturing no stack trace for the errors made in
 * it: a line's invalid JSON, a schema's issues are read for their message only, and the stack trace
 * is most of what they cost.
 */
export function withoutStacks(read: () => void): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    read();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export class IndexBuilder {
  readonly entries: IndexEntry[] = [];
  readonly problems: IndexProblem[] = [];
  /** All problems seen, including those not kept beyond MAX_PROBLEMS. */
  problemCount = 0;
  /** JSONL: where the next unread line starts, and its number. */
  resumeOffset = 0;
  resumeLine = 1;
  lastShape: ShapeName | undefined;
  /** Whether any record so far parsed as JSON or starts like a JSON object or array (see `finish`). */
  sawJson = false;
  wording = new WordingCache();
  private readonly recordContext: RecordContext = { line: 0, key: undefined };
  private normaliseOptions: NormaliseOptions = { light: true, wording: this.wording };
  /** The records that take part in the cross-record category evidence, and their option trigrams. */
  partners = new ActionPartners();
  /**
   * In a part of a file (`partOfFile`): the entries whose ids were made from their line number
   * (`line-N`, counted from the part's first line), to be renamed once the part's place is known.
   */
  readonly positionIds: number[] = [];
  private readonly interned = new Map<string, string>();
  private lastInterned = '';

  /** `partOfFile`: indexing a part of a file that does not start at its beginning (a worker's half). */
  constructor(
    readonly file: string,
    readonly partOfFile = false,
  ) {}

  /** Forget everything, keeping the `entries` and `problems` arrays (others hold them). */
  reset(): void {
    this.entries.length = 0;
    this.problems.length = 0;
    this.problemCount = 0;
    this.lastShape = undefined;
    this.sawJson = false;
    this.interned.clear();
    this.lastInterned = '';
    this.wording = new WordingCache();
    this.partners = new ActionPartners();
    this.positionIds.length = 0;
    this.resumeOffset = 0;
    this.resumeLine = 1;
  }

  /** Whether `other` found the same entries, problems and resume point as this builder. */
  sameAs(other: IndexBuilder): boolean {
    if (other.entries.length !== this.entries.length || other.problemCount !== this.problemCount) return false;
    if (other.resumeOffset !== this.resumeOffset || other.resumeLine !== this.resumeLine) return false;
    for (let i = 0; i < this.entries.length; i++) if (!sameFields(this.entries[i], other.entries[i])) return false;
    for (let i = 0; i < this.problems.length; i++) if (!sameFields(this.problems[i], other.problems[i])) return false;
    return true;
  }

  /** Take everything `other` found, keeping this builder's `entries` and `problems` arrays (others hold them). */
  adopt(other: IndexBuilder): void {
    this.reset();
    for (const e of other.entries) this.entries.push(e);
    for (const p of other.problems) this.problems.push(p);
    this.problemCount = other.problemCount;
    this.resumeOffset = other.resumeOffset;
    this.resumeLine = other.resumeLine;
    this.lastShape = other.lastShape;
    this.wording = other.wording;
    this.partners = other.partners;
    for (const s of other.interned.keys()) this.interned.set(s, s);
  }

  intern(s: string): string {
    // Neighbouring records usually share a video: a string compare is cheaper than a hash.
    if (s === this.lastInterned) return this.lastInterned;
    const hit = this.interned.get(s);
    if (hit !== undefined) return (this.lastInterned = hit);
    this.interned.set(s, s);
    return (this.lastInterned = s);
  }

  addProblem(line: number, offset: number, message: string): void {
    this.problemCount++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line, offset, message });
    if (!this.partOfFile && this.recordCount === 0 && this.problemCount >= GIVE_UP_AFTER) {
      const first = this.problems[0];
      throw new NotResultsFileError(this.file, `the first ${GIVE_UP_AFTER} records are all invalid (line ${first.line}: ${first.message})`);
    }
  }

  /**
   * At the end of a file read from its start: a file with problems, no record, and no line that is
   * JSON or starts like an object or array is plain text, not a damaged results file; one message
   * says so instead of a problem per line.
   */
  finish(): void {
    if (this.partOfFile || this.recordCount || !this.problemCount || this.sawJson) return;
    const first = this.problems[0];
    throw new NotResultsFileError(this.file, `no line is JSON (line ${first.line}: ${first.message})`);
  }

  /** One JSONL line (its line break left out): a record unless blank; a trailing CR is dropped. */
  addLine(bytes: Buffer, offset: number, line: number): boolean {
    let end = bytes.length;
    if (end && bytes[end - 1] === 0x0d) end--;
    let k = 0;
    while (k < end && isJsonSpace(bytes[k])) k++;
    if (k === end) return false; // blank line
    return this.addRecord(end === bytes.length ? bytes : bytes.subarray(0, end), offset, line, undefined);
  }

  /** Valid records so far (the entries kept, or the records a summary counted). */
  get recordCount(): number {
    return this.entries.length;
  }

  /** Parse, normalise and analyse one record's bytes; an entry or a problem results. */
  addRecord(bytes: Buffer, offset: number, line: number, key: string | undefined): boolean {
    const r = this.parse(bytes, offset, line, key);
    if (r === undefined) return false;
    this.keep(r, score(r), bytes.length, offset, line);
    return true;
  }

  /** The record the bytes hold, or undefined with a problem said of them. */
  protected parse(bytes: Buffer, offset: number, line: number, key: string | undefined): TraceRecord | undefined {
    const text = utf8Text(bytes);
    // The decoder replaces each invalid sequence with U+FFFD: text without one came from valid
    // UTF-8 (and in a one-byte string the search ends at once), so only text holding one pays for
    // the check of the bytes.
    if (text.indexOf('\uFFFD') >= 0 && !isUtf8(bytes)) {
      if (!this.sawJson) this.sawJson = startsLikeJson(bytes);
      this.addProblem(line, offset, `invalid UTF-8 at byte ${offset + firstInvalidUtf8(bytes)} of the file`);
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      if (!this.sawJson) this.sawJson = startsLikeJson(bytes);
      this.addProblem(line, offset, `invalid JSON: ${(e as Error).message}${crOnlyHint(bytes)}`);
      return undefined;
    }
    this.sawJson = true;
    // One context and one options object per builder, not two objects a record (nothing keeps them).
    const ctx = this.recordContext;
    ctx.line = line;
    ctx.key = key;
    if (this.normaliseOptions.wording !== this.wording) this.normaliseOptions = { light: true, wording: this.wording };
    const res = normalise(value, ctx, this.lastShape, this.normaliseOptions);
    if (!res.ok) {
      this.addProblem(line, offset, res.error);
      return undefined;
    }
    this.lastShape = res.record.shape;
    return res.record;
  }

  /** Keep a valid record as an entry, and let it take part in the category evidence. */
  protected keep(r: TraceRecord, a: Scores, length: number, offset: number, line: number): void {
    this.entries.push(
      new Entry(
        line,
        offset,
        length,
        r.id,
        r.shape,
        this.intern(r.video),
        this.wording.get(r.question).label,
        r.category,
        r.wordedAs,
        r.direction,
        {
          gold: goldLetter(r.gold) ?? '',
          format: a.format,
          mcq: a.mcq_infer.outcome,
          mcqPred: a.mcq_infer.predicted,
          grpo: a.grpo_reward.outcome,
          grpoPred: a.grpo_reward.predicted,
          na: a.na,
        },
      ),
    );
    if (this.partOfFile && r.idFromPosition) this.positionIds.push(this.entries.length - 1);
    // The category evidence across records (categories.ts). Only fields of the record go out of
    // this function, not the record: V8 need not then build the record object at all.
    if (r.category === 'landmark' || r.category === 'action') {
      const role = partnerRole(r.category, r.direction, r.categoryExplicit, r.categoryEvidence !== undefined, r.video);
      if (role !== 0) this.partners.add(this.entries.length - 1, role, r.question, r.options, this.entries[this.entries.length - 1].video);
    }
  }
}

/**
 * `bytes.toString('utf8')` by Buffer#utf8Slice, the decoder `toString` calls after checking its
 * arguments (about 150 instructions a record; callgrind), where this Node has it.
 */
function utf8Text(bytes: Buffer & { utf8Slice?: (start: number, end: number) => string }): string {
  return bytes.utf8Slice !== undefined ? bytes.utf8Slice(0, bytes.length) : bytes.toString('utf8');
}

/** Whether the first byte that is not white space opens an object or an array. */
function startsLikeJson(bytes: Buffer): boolean {
  let k = 0;
  while (k < bytes.length && isJsonSpace(bytes[k])) k++;
  return bytes[k] === 0x7b /* { */ || bytes[k] === 0x5b; /* [ */
}

/**
 * A line that does not parse but whose text up to its first CR does: the file's lines end in CR
 * only (classic Mac), so the whole file reads as one line. Only invalid lines holding a CR pay for the check.
 */
function crOnlyHint(bytes: Buffer): string {
  const cr = bytes.indexOf(0x0d);
  if (cr < 0) return '';
  try {
    JSON.parse(bytes.toString('utf8', 0, cr));
  } catch {
    return '';
  }
  let records = 1;
  for (let i = bytes.indexOf(0x0d); i >= 0; i = bytes.indexOf(0x0d, i + 1)) records++;
  return `; lines end in CR only: this line holds ${records} CR-separated lines; convert the line breaks to LF (or CRLF)`;
}

/** Two entries (or problems) with the same fields; the category evidence compared by what it says. */
function sameFields<T extends object>(a: T, b: T): boolean {
  const keys = Object.keys(a) as (keyof T)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (x !== y && !(typeof x === 'object' && typeof y === 'object' && JSON.stringify(x) === JSON.stringify(y))) return false;
  }
  return true;
}
