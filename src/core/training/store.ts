/**
 * The completions of reward debug logs as columns: typed arrays in blocks of 8192 rows, one block
 * added when the last is full (nothing copied as a log grows), instead of one object per completion
 * (100k objects that outlive every young-generation collection cost the garbage collector more than
 * reading them). `get(i)` makes a Completion object on demand, for the views, the tree and the CLI.
 *
 * A store is appended to by its log's reader, and cut back (`truncate`) to the reader's last
 * checkpoint when the log is read again; `view()` is a store of the rows there now, sharing their
 * blocks, which later appends do not change (rows the reader reads again hold the same values,
 * their `group` -1 until the run groups them again). A block holds 57 bytes a row (467 KB); the first
 * starts at 64 rows and doubles, so a short log's store is a few KB (a grown block is a new one: a view
 * keeps the old, with the rows it had).
 */
import type { Completion } from './types';

const SHIFT = 13;
const BLOCK = 1 << SHIFT;
const MASK = BLOCK - 1;

/** Bits of the flags column. */
const FORMAT = 1;
const HAS_THINK = 2;

/** The first block's rows; it doubles (copied) up to BLOCK, so that a short log's store stays small. */
const FIRST = 64;

class Block {
  readonly accuracy: Float64Array;
  readonly contentOffset: Float64Array;
  readonly solutionOffset: Float64Array;
  readonly contentLength: Int32Array;
  readonly solutionLength: Int32Array;
  readonly chars: Int32Array;
  readonly line: Int32Array;
  readonly group: Int32Array;
  /** Index into CompletionStore.timestamps. */
  readonly timestamp: Int32Array;
  /** The answer letter's code point, -1 for ''. */
  readonly answer: Int32Array;
  /** Index into CompletionStore.files. */
  readonly file: Int32Array;
  readonly flags: Uint8Array;

  constructor(readonly capacity: number) {
    this.accuracy = new Float64Array(capacity);
    this.contentOffset = new Float64Array(capacity);
    this.solutionOffset = new Float64Array(capacity);
    this.contentLength = new Int32Array(capacity);
    this.solutionLength = new Int32Array(capacity);
    this.chars = new Int32Array(capacity);
    this.line = new Int32Array(capacity);
    this.group = new Int32Array(capacity);
    this.timestamp = new Int32Array(capacity);
    this.answer = new Int32Array(capacity);
    this.file = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  /** A new block of twice the rows (at most BLOCK) holding this one's: the old one, which views may hold, is left as it is. */
  grown(): Block {
    const b = new Block(Math.min(BLOCK, this.capacity * 2));
    for (const k of COLUMNS) b[k].set(this[k]);
    return b;
  }
}

const COLUMNS = [
  'accuracy',
  'contentOffset',
  'solutionOffset',
  'contentLength',
  'solutionLength',
  'chars',
  'line',
  'group',
  'timestamp',
  'answer',
  'file',
  'flags',
] as const satisfies readonly (keyof Block)[];

/** One completion's facts as the reader computes them (see logReader's completionFacts). */
export interface CompletionFacts {
  format: number;
  chars: number;
  /** Code point of the answer letter, -1 without one. */
  answer: number;
  hasThink: boolean;
}

export class CompletionStore {
  length = 0;
  /** The distinct header timestamps, in the order first stored (a row keeps its index). */
  timestamps: string[] = [];
  files: string[] = [];
  private blocks: Block[] = [];
  private timestampIndex = new Map<string, number>();
  /** Timestamps by a hash of their bytes (see timestampOfBytes). */
  private byHash = new Map<number, number>();
  private lastTimestamp: string | undefined = undefined;
  private lastTimestampIndex = -1;

  /** The rows there now, in a store of their own that shares their blocks (see the file's comment). */
  view(): CompletionStore {
    const v = new CompletionStore();
    v.blocks = this.blocks.slice(0, (this.length + MASK) >> SHIFT);
    v.timestamps = this.timestamps;
    v.timestampIndex = this.timestampIndex;
    v.files = this.files;
    v.length = this.length;
    return v;
  }

  /** Forget the rows from `n` on. */
  truncate(n: number): void {
    if (n < this.length) this.length = n;
  }

  /** Index of `file` in `files`, added when new. */
  fileIndex(file: string): number {
    const k = this.files.indexOf(file);
    return k >= 0 ? k : this.files.push(file) - 1;
  }

  /** Index of `timestamp` in `timestamps`, added when new. */
  timestampOf(timestamp: string): number {
    if (timestamp === this.lastTimestamp) return this.lastTimestampIndex;
    let k = this.timestampIndex.get(timestamp);
    if (k === undefined) {
      k = this.timestamps.push(timestamp) - 1;
      this.timestampIndex.set(timestamp, k);
    }
    this.lastTimestamp = timestamp;
    this.lastTimestampIndex = k;
    return k;
  }

  /**
   * timestampOf the text of buf[a, b) (printable ASCII), `hash` a hash of its bytes: a call's
   * completions (and the interleaved calls of several processes) find theirs by the hash, with no
   * string made.
   */
  timestampOfBytes(buf: Buffer, a: number, b: number, hash: number): number {
    const k = this.byHash.get(hash);
    if (k !== undefined && sameAscii(buf, a, b, this.timestamps[k])) return k;
    const t = this.timestampOf(buf.toString('latin1', a, b));
    if (k === undefined) this.byHash.set(hash, t);
    return t;
  }

  /** Add a row (group -1 until grouped); returns its index. */
  push(
    file: number,
    line: number,
    timestamp: number,
    accuracy: number,
    facts: CompletionFacts,
    contentOffset: number,
    contentLength: number,
    solutionOffset: number,
    solutionLength: number,
  ): number {
    const i = this.length;
    const b = this.blockFor(i);
    const k = i & MASK;
    b.file[k] = file;
    b.line[k] = line;
    b.timestamp[k] = timestamp;
    b.accuracy[k] = accuracy;
    b.flags[k] = (facts.format !== 0 ? FORMAT : 0) | (facts.hasThink ? HAS_THINK : 0);
    b.chars[k] = facts.chars;
    b.answer[k] = facts.answer;
    b.contentOffset[k] = contentOffset;
    b.contentLength[k] = contentLength;
    b.solutionOffset[k] = solutionOffset;
    b.solutionLength[k] = solutionLength;
    b.group[k] = -1;
    this.length = i + 1;
    return i;
  }

  /** The block row `i` (the next row, or one before it) goes in, added or grown as needed. */
  private blockFor(i: number): Block {
    const n = i >> SHIFT;
    while (this.blocks.length <= n) this.blocks.push(new Block(this.blocks.length ? BLOCK : FIRST));
    let b = this.blocks[n];
    // Only the first block is ever short, and rows are added in order: it grows when full.
    if ((i & MASK) >= b.capacity) this.blocks[n] = b = b.grown();
    return b;
  }

  /** Append every row of `other` (timestamps and files by their text). */
  append(other: CompletionStore): void {
    const files = other.files.map((f) => this.fileIndex(f));
    const stamps = other.timestamps.map((t) => this.timestampOf(t));
    for (let i = 0; i < other.length; i++) {
      const b = other.blocks[i >> SHIFT];
      const k = i & MASK;
      const flags = b.flags[k];
      const facts = { format: flags & FORMAT, chars: b.chars[k], answer: b.answer[k], hasThink: (flags & HAS_THINK) !== 0 };
      const j = this.push(
        files[b.file[k]],
        b.line[k],
        stamps[b.timestamp[k]],
        b.accuracy[k],
        facts,
        b.contentOffset[k],
        b.contentLength[k],
        b.solutionOffset[k],
        b.solutionLength[k],
      );
      this.setGroup(j, b.group[k]);
    }
  }

  accuracy(i: number): number {
    return this.blocks[i >> SHIFT].accuracy[i & MASK];
  }
  format(i: number): number {
    return this.blocks[i >> SHIFT].flags[i & MASK] & FORMAT;
  }
  chars(i: number): number {
    return this.blocks[i >> SHIFT].chars[i & MASK];
  }
  line(i: number): number {
    return this.blocks[i >> SHIFT].line[i & MASK];
  }
  group(i: number): number {
    return this.blocks[i >> SHIFT].group[i & MASK];
  }
  setGroup(i: number, group: number): void {
    this.blocks[i >> SHIFT].group[i & MASK] = group;
  }
  /** The row's index into `timestamps`. */
  timestampIndexOf(i: number): number {
    return this.blocks[i >> SHIFT].timestamp[i & MASK];
  }
  timestamp(i: number): string {
    return this.timestamps[this.timestampIndexOf(i)];
  }
  file(i: number): string {
    return this.files[this.blocks[i >> SHIFT].file[i & MASK]];
  }

  /** Completion `i` as an object of its own (changing it changes nothing here). */
  get(i: number): Completion {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`no completion ${i} (of ${this.length})`);
    const b = this.blocks[i >> SHIFT];
    const k = i & MASK;
    const answer = b.answer[k];
    return {
      group: b.group[k],
      timestamp: this.timestamps[b.timestamp[k]],
      accuracy: b.accuracy[k],
      format: b.flags[k] & FORMAT,
      chars: b.chars[k],
      answer: answer < 0 ? '' : String.fromCodePoint(answer),
      hasThink: (b.flags[k] & HAS_THINK) !== 0,
      file: this.files[b.file[k]],
      line: b.line[k],
      contentOffset: b.contentOffset[k],
      contentLength: b.contentLength[k],
      solutionOffset: b.solutionOffset[k],
      solutionLength: b.solutionLength[k],
    };
  }

  /** Every completion as an object (tests, small runs: a long run's 100k objects are what the columns avoid). */
  toArray(): Completion[] {
    const out: Completion[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.get(i));
    return out;
  }

  *[Symbol.iterator](): IterableIterator<Completion> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }
}

/** buf[a, b) (printable ASCII) holds the characters of `s`. */
function sameAscii(buf: Buffer, a: number, b: number, s: string): boolean {
  if (b - a !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[a + i] !== s.charCodeAt(i)) return false;
  return true;
}
