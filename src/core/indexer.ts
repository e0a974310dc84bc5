/**
 * ResultsIndex: streams a results file once and keeps, per record, its byte range and the few
 * fields the tree needs. Full record text is read back only when a record is shown.
 *
 * - JSONL: one record per line; an unterminated last line that does not parse yet is kept pending,
 *   so a writer appending lines is followed incrementally (`update`).
 * - JSON: an array of records, or an object keyed by id; a byte-level scanner finds each element's
 *   range without parsing the document as a whole.
 * The index never writes to the file it reads.
 */
import { promises as fsp } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionPartners, partnerRole, type CategoryEvidence, type PackedPhrases } from './categories';
import { analyse, goldLetter, score, WordingCache } from './derive';
import { normalise } from './normalize';
import { NA_REASONS, type Category, type Direction, type FormatVerdict, type NaReason, type Outcome, type ShapeName, type TraceAnalysis, type TraceRecord } from './schemas';

export interface IndexEntry {
  /** 1-based line where the record starts. */
  line: number;
  offset: number;
  length: number;
  id: string;
  shape: ShapeName;
  video: string;
  /** Short question for labels (the stem without boilerplate). */
  label: string;
  category: Category;
  /** The category the wording reads as, when the evidence in the file says it is another (see TraceRecord). */
  wordedAs?: Category;
  /**
   * Set when the reverse action question on the same video made this an action question (the
   * file-level pass of src/core/categories.ts); reference-chain evidence is the record's own.
   */
  evidence?: CategoryEvidence;
  direction: Direction;
  /** Gold letter, or '' when the gold is not a letter or missing. */
  gold: string;
  /** The format check: valid, invalid, or n/a (see `na`). */
  format: FormatVerdict;
  mcq: Outcome;
  mcqPred: string;
  grpo: Outcome;
  grpoPred: string;
  /**
   * Why grpo_reward (then 'unscored') and the format check (then 'n/a') do not apply to this
   * record; undefined when they do. mcq_infer always applies: upstream computed it from the letter.
   */
  na: NaReason | undefined;
}

export interface IndexProblem {
  line: number;
  offset: number;
  message: string;
}

export type FileFormat = 'jsonl' | 'json';

export interface IndexOptions {
  signal?: AbortSignal;
  /** Called after each chunk with bytes done and total. */
  onProgress?: (done: number, total: number) => void;
  /** A record (line or element) larger than this is reported, not parsed. Default 16 MiB. */
  maxRecordBytes?: number;
  chunkSize?: number;
  /** Force the format instead of detecting it from the extension and the first bytes. */
  format?: FileFormat;
  /**
   * A script that runs `runIndexWorker` (src/core/indexWorker.ts). With it, a large JSONL file is
   * indexed in two halves at once: this thread reads the first, a worker thread the second.
   */
  workerScript?: string;
  /** JSONL files at least this large are split when a worker script is given. Default 16 MiB. */
  parallelMinBytes?: number;
  /**
   * Split only on machines with at least this many cores. Default 4: on 2 cores the two threads and
   * V8's own garbage-collection threads share the cores, and splitting measured no faster there
   * (docs/benchmarks.md) while it holds both halves' garbage at once.
   */
  parallelMinCores?: number;
}

/** What a worker sends back for its part of a file (line numbers counted from its first line). */
export interface RangeResult {
  entries: PackedEntries;
  problems: IndexProblem[];
  problemCount: number;
  resumeOffset: number;
  resumeLine: number;
  lastShape: ShapeName | undefined;
  /** The option trigrams of the part's records that take part in the category evidence. */
  phrases: PackedPhrases;
}

/** The file is not a results file at all: one clear message instead of thousands of problems. */
export class NotResultsFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: not a results file: ${reason}`);
    this.name = 'NotResultsFileError';
  }
}

export class IndexCancelledError extends Error {
  constructor(readonly file: string) {
    super(`${file}: indexing cancelled`);
    this.name = 'IndexCancelledError';
  }
}

/** Problems kept per file; beyond this only the count grows. */
const MAX_PROBLEMS = 10_000;
/** With no valid record yet, this many problems in a row means the file is not a results file. */
const GIVE_UP_AFTER = 200;
const SNIFF_BYTES = 64 * 1024;

export type UpdateKind = 'unchanged' | 'appended' | 'rebuilt';

export class ResultsIndex {
  readonly entries: IndexEntry[] = [];
  readonly problems: IndexProblem[] = [];
  /** All problems seen, including those not kept beyond MAX_PROBLEMS. */
  problemCount = 0;
  format: FileFormat = 'jsonl';
  size = 0;
  mtimeMs = 0;
  /** JSONL: where the next unread line starts, and its number. */
  private resumeOffset = 0;
  private resumeLine = 1;
  private fingerprint = '';
  private lastShape: ShapeName | undefined;
  /** A JSON document whose top level is an object keyed by id. */
  private keyedById = false;
  /** Indexing a part of a file that does not start at its beginning (a worker's half). */
  private partOfFile = false;
  private readonly interned = new Map<string, string>();
  private lastInterned = '';
  private wording = new WordingCache();
  /** The records that take part in the cross-record category evidence, and their option trigrams. */
  private partners = new ActionPartners();

  private constructor(
    readonly file: string,
    private readonly opts: IndexOptions,
  ) {}

  get name(): string {
    return path.basename(this.file);
  }

  /** Index a file from scratch. Throws NotResultsFileError or IndexCancelledError. */
  static async build(file: string, opts: IndexOptions = {}): Promise<ResultsIndex> {
    const index = ResultsIndex.create(file, opts);
    await index.load();
    return index;
  }

  /** An index not yet loaded: its entries fill in while `load` runs, for progressive display. */
  static create(file: string, opts: IndexOptions = {}): ResultsIndex {
    return new ResultsIndex(path.resolve(file), opts);
  }

  /** Index the whole file (again). Throws NotResultsFileError or IndexCancelledError. */
  async load(): Promise<void> {
    await this.rebuild(this.opts);
  }

  /**
   * Bring the index up to date with the file: nothing when unchanged, only the new lines when a
   * JSONL file grew and its indexed part is unchanged, else a full re-index.
   */
  async update(opts: IndexOptions = {}): Promise<UpdateKind> {
    const st = await fsp.stat(this.file);
    if (st.size === this.size && st.mtimeMs === this.mtimeMs) return 'unchanged';
    if (st.size === this.size && (await this.computeFingerprint()) === this.fingerprint && this.format === 'jsonl' && this.resumeOffset === this.size) {
      // Touched, not written (as far as the ends of the file tell): nothing to read.
      this.mtimeMs = st.mtimeMs;
      return 'unchanged';
    }
    if (this.format === 'jsonl' && st.size >= this.size && (await this.computeFingerprint()) === this.fingerprint) {
      // A pending (unterminated) last line is read again: forget what was said of it.
      for (let k = this.problems.length - 1; k >= 0 && this.problems[k].offset >= this.resumeOffset; k--) {
        this.problems.pop();
        this.problemCount--;
      }
      await this.indexJsonl({ ...this.opts, ...opts }, this.resumeOffset, this.resumeLine);
      // A question appended can be the evidence for (or against) one indexed before it.
      await this.resolveCategories();
      return 'appended';
    }
    await this.rebuild(opts);
    return 'rebuilt';
  }

  /** The raw text of a record, read from the file now. */
  async readRaw(entry: IndexEntry): Promise<string> {
    const fh = await fsp.open(this.file, 'r');
    try {
      const buf = Buffer.alloc(entry.length);
      const { bytesRead } = await fh.read(buf, 0, entry.length, entry.offset);
      return buf.toString('utf8', 0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /**
   * The records of `entries`, read from the file in file order with large reads (4 MiB windows).
   * Records that changed on disk since indexing are skipped (the watcher re-indexes them). Throws an
   * AbortError-named error when `signal` is aborted.
   */
  async *records(
    entries: readonly IndexEntry[],
    opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
  ): AsyncGenerator<{ entry: IndexEntry; record: TraceRecord }> {
    const sorted = [...entries].sort((a, b) => a.offset - b.offset);
    const key = this.keyedById;
    const fh = await fsp.open(this.file, 'r');
    try {
      let win = Buffer.alloc(0);
      let winStart = 0;
      for (let k = 0; k < sorted.length; k++) {
        const e = sorted[k];
        if (opts.signal?.aborted) throw Object.assign(new Error('reading records cancelled'), { name: 'AbortError' });
        if (e.offset < winStart || e.offset + e.length > winStart + win.length) {
          win = Buffer.alloc(Math.max(4 << 20, e.length));
          const { bytesRead } = await fh.read(win, 0, win.length, e.offset);
          win = win.subarray(0, bytesRead);
          winStart = e.offset;
          opts.onProgress?.(k, sorted.length);
        }
        let value: unknown;
        try {
          value = JSON.parse(win.toString('utf8', e.offset - winStart, e.offset - winStart + e.length));
        } catch {
          continue;
        }
        const r = normalise(value, { line: e.line, key: key ? e.id : undefined }, e.shape);
        if (r.ok) yield { entry: e, record: withIndexCategory(r.record, e) };
      }
      opts.onProgress?.(sorted.length, sorted.length);
    } finally {
      await fh.close();
    }
  }

  /** The full record and its analysis, read from the file now. */
  async readRecord(entry: IndexEntry): Promise<{ raw: unknown; record: TraceRecord; analysis: TraceAnalysis }> {
    const text = await this.readRaw(entry);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new Error(`${this.file}:${entry.line}: the record changed on disk since it was indexed (${(e as Error).message})`);
    }
    const key = this.keyedById ? entry.id : undefined;
    const res = normalise(raw, { line: entry.line, key }, entry.shape);
    if (!res.ok) throw new Error(`${this.file}:${entry.line}: ${res.error}`);
    const record = withIndexCategory(res.record, entry);
    return { raw, record, analysis: analyse(record) };
  }

  /**
   * The category evidence across records (src/core/categories.ts), compared as the records were
   * indexed: landmark-worded forward questions whose options share their action phrases with the
   * reverse action question on the same video become action questions here, unless a reverse
   * landmark question there shares as many (those are read back from the file only then).
   */
  private async resolveCategories(): Promise<void> {
    await this.partners.resolve(this.entries, async (indices) => {
      const out = new Map<number, Pick<TraceRecord, 'question' | 'options'>>();
      const pos = new Map(indices.map((i) => [this.entries[i], i]));
      for await (const { entry, record } of this.records(indices.map((i) => this.entries[i]))) out.set(pos.get(entry)!, record);
      return out;
    });
  }

  private async rebuild(opts: IndexOptions): Promise<void> {
    const merged = { ...this.opts, ...opts };
    this.entries.length = 0;
    this.problems.length = 0;
    this.problemCount = 0;
    this.lastShape = undefined;
    this.keyedById = false;
    this.interned.clear();
    this.lastInterned = '';
    this.wording = new WordingCache();
    this.partners = new ActionPartners();
    this.resumeOffset = 0;
    this.resumeLine = 1;
    const st = await fsp.stat(this.file);
    if (!st.isFile()) throw new NotResultsFileError(this.file, 'it is not a regular file');
    const head = await this.readHead(SNIFF_BYTES);
    const nul = head.indexOf(0);
    if (nul >= 0) throw new NotResultsFileError(this.file, `binary content (NUL byte at offset ${nul})`);
    this.format = merged.format ?? detectFormat(this.file, head);
    if (this.format === 'json') await this.indexJsonDocument(merged);
    else if (
      merged.workerScript &&
      st.size >= (merged.parallelMinBytes ?? 16 << 20) &&
      os.availableParallelism() >= (merged.parallelMinCores ?? 4)
    ) {
      await this.indexJsonlInTwo(merged);
    } else await this.indexJsonl(merged, 0, 1);
    if (!this.partOfFile) await this.resolveCategories();
  }

  private async readHead(n: number): Promise<Buffer> {
    const fh = await fsp.open(this.file, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /** Hash of the file's first 4 KiB and of the 4 KiB before the resume point: "was it rewritten?" */
  private async computeFingerprint(): Promise<string> {
    const fh = await fsp.open(this.file, 'r');
    try {
      const h = createHash('sha1');
      const a = Buffer.alloc(Math.min(4096, this.resumeOffset));
      await fh.read(a, 0, a.length, 0);
      h.update(a);
      const bLen = Math.min(4096, this.resumeOffset);
      const b = Buffer.alloc(bLen);
      await fh.read(b, 0, bLen, this.resumeOffset - bLen);
      h.update(b);
      return h.digest('hex');
    } finally {
      await fh.close();
    }
  }

  private intern(s: string): string {
    // Neighbouring records usually share a video: a string compare is cheaper than a hash.
    if (s === this.lastInterned) return this.lastInterned;
    const hit = this.interned.get(s);
    if (hit !== undefined) return (this.lastInterned = hit);
    this.interned.set(s, s);
    return (this.lastInterned = s);
  }

  private addProblem(line: number, offset: number, message: string): void {
    this.problemCount++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line, offset, message });
    if (!this.partOfFile && this.entries.length === 0 && this.problemCount >= GIVE_UP_AFTER) {
      const first = this.problems[0];
      throw new NotResultsFileError(
        this.file,
        `the first ${GIVE_UP_AFTER} records are all invalid (line ${first.line}: ${first.message})`,
      );
    }
  }

  /** Parse, normalise and analyse one record's bytes; an entry or a problem results. */
  private addRecord(bytes: Buffer, offset: number, line: number, key: string | undefined): boolean {
    if (!isUtf8(bytes)) {
      this.addProblem(line, offset, `invalid UTF-8 at byte ${offset + firstInvalidUtf8(bytes)} of the file`);
      return false;
    }
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      this.addProblem(line, offset, `invalid JSON: ${(e as Error).message}`);
      return false;
    }
    const res = normalise(value, { line, key }, this.lastShape, { light: true, wording: this.wording });
    if (!res.ok) {
      this.addProblem(line, offset, res.error);
      return false;
    }
    const r = res.record;
    this.lastShape = r.shape;
    const a = score(r);
    this.entries.push({
      line,
      offset,
      length: bytes.length,
      id: r.id,
      shape: r.shape,
      video: this.intern(r.video),
      label: this.wording.get(r.question).label,
      category: r.category,
      wordedAs: r.wordedAs,
      evidence: undefined,
      direction: r.direction,
      gold: goldLetter(r.gold) ?? '',
      format: a.format,
      mcq: a.mcq_infer.outcome,
      mcqPred: a.mcq_infer.predicted,
      grpo: a.grpo_reward.outcome,
      grpoPred: a.grpo_reward.predicted,
      na: a.na,
    });
    // The category evidence across records (categories.ts). Only fields of the record go out of
    // this function, not the record: V8 need not then build the record object at all.
    if (r.category === 'landmark' || r.category === 'action') {
      const role = partnerRole(r.category, r.direction, r.categoryExplicit, r.categoryEvidence !== undefined);
      if (role !== 0) this.partners.add(this.entries.length - 1, role, r.question, r.options, this.entries[this.entries.length - 1].video);
    }
    return true;
  }

  private checkCancelled(opts: IndexOptions): void {
    if (opts.signal?.aborted) throw new IndexCancelledError(this.file);
  }

  /** Index lines from `start` (a line start) up to `end` (a line start, or the end of the file). */
  private async indexJsonl(opts: IndexOptions, start: number, startLine: number, end = Infinity): Promise<void> {
    const chunkSize = opts.chunkSize ?? 1 << 20;
    const maxBytes = opts.maxRecordBytes ?? 16 << 20;
    const fh = await fsp.open(this.file, 'r');
    try {
      const st = await fh.stat();
      const total = Math.min(st.size, end);
      const buf = Buffer.allocUnsafe(chunkSize);
      let pos = start;
      let line = startLine;
      let lineStart = start;
      let pending: Buffer[] = [];
      let pendingLen = 0;
      let skipping = false;
      if (start === 0) {
        // A UTF-8 byte order mark belongs to no record.
        const head = Buffer.alloc(3);
        await fh.read(head, 0, 3, 0);
        if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) pos = lineStart = 3;
      }
      const tooLong = () => {
        if (line === 1 && !this.partOfFile && this.entries.length === 0) {
          throw new NotResultsFileError(
            this.file,
            `line 1 is longer than ${formatBytes(maxBytes)} with no line break: not a JSONL results file`,
          );
        }
        this.addProblem(line, lineStart, `line is longer than ${formatBytes(maxBytes)}; skipped`);
      };
      while (pos < total) {
        this.checkCancelled(opts);
        const { bytesRead } = await fh.read(buf, 0, Math.min(chunkSize, total - pos), pos);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        let i = 0;
        while (i < bytesRead) {
          const nl = chunk.indexOf(0x0a, i);
          const end = nl < 0 ? bytesRead : nl;
          if (!skipping) {
            const piece = chunk.subarray(i, end);
            if (pendingLen + piece.length > maxBytes) {
              tooLong();
              skipping = true;
              pending = [];
              pendingLen = 0;
            } else if (end === bytesRead) {
              pending.push(Buffer.from(piece));
              pendingLen += piece.length;
            } else {
              const bytes = pendingLen ? Buffer.concat([...pending, piece]) : piece;
              pending = [];
              pendingLen = 0;
              this.addLine(bytes, lineStart, line);
            }
          }
          if (end === bytesRead) break;
          skipping = false;
          i = end + 1;
          line++;
          lineStart = pos + i;
        }
        pos += bytesRead;
        this.resumeOffset = lineStart;
        this.resumeLine = line;
        opts.onProgress?.(pos, total);
      }
      if (pendingLen && !skipping) {
        // The last line has no line break: a record if it parses; if not, it may be half written,
        // so it stays pending and is read again when the file grows.
        const bytes = Buffer.concat(pending);
        const before = this.problemCount;
        if (this.addLine(bytes, lineStart, line)) {
          this.resumeOffset = lineStart + bytes.length;
        } else if (this.problemCount > before && this.problems.length) {
          const p = this.problems[this.problems.length - 1];
          if (p.line === line) p.message = `last line is incomplete (no line break) and ${p.message}`;
        }
      } else if (skipping) {
        this.resumeOffset = total;
      }
      if (end === Infinity && !this.partOfFile) {
        this.size = total;
        this.mtimeMs = st.mtimeMs;
        this.fingerprint = await this.computeFingerprint();
      }
    } finally {
      await fh.close();
    }
  }

  /**
   * Two halves at once: a worker thread indexes from the first line start after the middle of the
   * file, this thread the part before it; the worker's lines are then renumbered and appended.
   */
  private async indexJsonlInTwo(opts: IndexOptions): Promise<void> {
    const st = await fsp.stat(this.file);
    const mid = await this.lineStartAfter(Math.floor(st.size / 2));
    if (mid <= 0 || mid >= st.size) return this.indexJsonl(opts, 0, 1);
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(opts.workerScript!, {
      workerData: { file: this.file, start: mid, end: st.size, maxRecordBytes: opts.maxRecordBytes, chunkSize: opts.chunkSize },
    });
    let workerDone = 0;
    const result = new Promise<RangeResult>((resolve, reject) => {
      worker.on('message', (m: { type: 'progress'; done: number } | { type: 'done'; result: RangeResult } | { type: 'error'; message: string }) => {
        if (m.type === 'progress') {
          workerDone = m.done;
          opts.onProgress?.(firstDone + workerDone, st.size);
        } else if (m.type === 'done') resolve(m.result);
        else reject(new Error(m.message));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`index worker exited with code ${code}`)));
    });
    result.catch(() => undefined); // settled below, or abandoned when this thread fails first
    const onAbort = () => void worker.terminate();
    opts.signal?.addEventListener('abort', onAbort);
    let firstDone = 0;
    try {
      await this.indexJsonl(
        { ...opts, onProgress: (done) => opts.onProgress?.((firstDone = done) + workerDone, st.size) },
        0,
        1,
        mid,
      );
      const part = await result.catch((e: Error) => {
        this.checkCancelled(opts);
        throw e;
      });
      const shift = this.resumeLine - 1;
      const before = this.entries.length;
      unpackEntries(part.entries, shift, (s) => this.intern(s), this.entries);
      this.partners.merge(part.phrases, before, this.entries);
      for (const p of part.problems) {
        p.line += shift;
        if (this.problems.length < MAX_PROBLEMS) this.problems.push(p);
      }
      this.problemCount += part.problemCount;
      if (this.entries.length === 0 && this.problemCount >= GIVE_UP_AFTER) {
        const first = this.problems[0];
        throw new NotResultsFileError(this.file, `no record is valid (line ${first.line}: ${first.message})`);
      }
      this.resumeOffset = part.resumeOffset;
      this.resumeLine = part.resumeLine + shift;
      this.lastShape = part.lastShape ?? this.lastShape;
      // Both halves read up to the size seen here: lines appended since are found by `update`.
      this.size = st.size;
      this.mtimeMs = st.mtimeMs;
      this.fingerprint = await this.computeFingerprint();
      opts.onProgress?.(st.size, st.size);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      await worker.terminate();
    }
  }

  /**
   * A top-level object none of whose values is a record may be one record itself (a `.json` file
   * holding a single canonical record): if it is, it replaces the problems said of its "values".
   */
  private async trySingleRecord(fh: fsp.FileHandle, size: number): Promise<void> {
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch {
      return;
    }
    const res = normalise(value, { line: 1 }, undefined, { light: true, wording: this.wording });
    if (!res.ok) return;
    this.problems.length = 0;
    this.problemCount = 0;
    this.keyedById = false;
    let start = 0;
    while (start < buf.length && (isJsonSpace(buf[start]) || buf[start] === 0xef || buf[start] === 0xbb || buf[start] === 0xbf)) start++;
    let end = buf.length;
    while (end > start && isJsonSpace(buf[end - 1])) end--;
    let line = 1;
    for (let i = 0; i < start; i++) if (buf[i] === 0x0a) line++;
    this.addRecord(buf.subarray(start, end), start, line, undefined);
  }

  /** The first line start at or after `pos` (just after a line break), or -1. */
  private async lineStartAfter(pos: number): Promise<number> {
    const fh = await fsp.open(this.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 16);
      for (let at = pos; ; at += buf.length) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, at);
        if (bytesRead === 0) return -1;
        const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
        if (nl >= 0) return at + nl + 1;
      }
    } finally {
      await fh.close();
    }
  }

  /** A worker's half: index from `start` up to `end`, lines counted from 1. */
  static async indexPart(file: string, start: number, end: number, opts: IndexOptions): Promise<RangeResult> {
    const part = new ResultsIndex(path.resolve(file), opts);
    part.partOfFile = true;
    await part.indexJsonl(opts, start, 1, end);
    return {
      entries: packEntries(part.entries),
      problems: part.problems,
      problemCount: part.problemCount,
      resumeOffset: part.resumeOffset,
      resumeLine: part.resumeLine,
      lastShape: part.lastShape,
      phrases: part.partners.pack(),
    };
  }

  private addLine(bytes: Buffer, offset: number, line: number): boolean {
    let end = bytes.length;
    if (end && bytes[end - 1] === 0x0d) end--;
    let k = 0;
    while (k < end && isJsonSpace(bytes[k])) k++;
    if (k === end) return false; // blank line
    return this.addRecord(end === bytes.length ? bytes : bytes.subarray(0, end), offset, line, undefined);
  }

  private async indexJsonDocument(opts: IndexOptions): Promise<void> {
    const chunkSize = opts.chunkSize ?? 1 << 20;
    const scanner = new JsonDocumentScanner(opts.maxRecordBytes ?? 16 << 20, {
      element: (bytes, offset, line, key) => this.addRecord(bytes, offset, line, key),
      problem: (line, offset, message) => this.addProblem(line, offset, message),
    });
    const fh = await fsp.open(this.file, 'r');
    try {
      const st = await fh.stat();
      const buf = Buffer.allocUnsafe(chunkSize);
      let pos = 0;
      while (pos < st.size && !scanner.stopped) {
        this.checkCancelled(opts);
        const { bytesRead } = await fh.read(buf, 0, Math.min(chunkSize, st.size - pos), pos);
        if (bytesRead === 0) break;
        scanner.feed(buf.subarray(0, bytesRead), pos);
        pos += bytesRead;
        opts.onProgress?.(pos, st.size);
      }
      scanner.end();
      this.keyedById = scanner.topLevel === 'object';
      if (this.keyedById && this.entries.length === 0 && st.size <= (opts.maxRecordBytes ?? 16 << 20)) {
        await this.trySingleRecord(fh, st.size);
      }
      if (this.entries.length === 0 && scanner.topLevel === 'other') {
        throw new NotResultsFileError(this.file, this.problems[0]?.message ?? 'no JSON array or object');
      }
      this.size = st.size;
      this.mtimeMs = st.mtimeMs;
      this.resumeOffset = st.size;
      this.fingerprint = await this.computeFingerprint();
    } finally {
      await fh.close();
    }
  }
}

/**
 * JSONL or one JSON document: by extension, else by the first bytes. `{` starts either JSONL or one
 * object keyed by id: JSONL when the first line is a whole JSON object and more follows it.
 */
export function detectFormat(file: string, head: Buffer): FileFormat {
const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && isJsonSpace(head[i])) i++;
  if (head[i] === 0x5b /* [ */) return 'json';
  if (head[i] !== 0x7b /* { */) return ext === '.json' ? 'json' : 'jsonl';
  const nl = head.indexOf(0x0a, i);
  if (nl < 0) return 'json';
  try {
    const first = JSON.parse(head.toString('utf8', i, nl));
    if (typeof first !== 'object' || first === null) return 'json';
  } catch {
    return 'json';
  }
  for (let j = nl + 1; j < head.length; j++) if (!isJsonSpace(head[j])) return 'jsonl';
  return 'json';
}

/**
 * Entries as columns: posting thousands of small objects between threads costs far more (structured
 * clone of each object) than typed arrays, a table of the distinct strings, and one joined string.
 */
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
    codes[i * CODES + 1] = CATEGORY_CODES.indexOf(e.category) + (e.wordedAs === undefined ? 0 : 16 * (1 + CATEGORY_CODES.indexOf(e.wordedAs)));
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
    out.push({
      line: p.numbers[i * 3] + lineShift,
      offset: p.numbers[i * 3 + 1],
      length: p.numbers[i * 3 + 2],
      id: p.ids[i],
      shape: SHAPE_CODES[p.codes[i * CODES]],
      video: table[p.strings[i * 5]],
      label: table[p.strings[i * 5 + 1]],
      category: CATEGORY_CODES[p.codes[i * CODES + 1] & 15],
      wordedAs: p.codes[i * CODES + 1] >= 16 ? CATEGORY_CODES[(p.codes[i * CODES + 1] >> 4) - 1] : undefined,
      evidence: undefined,
      direction: DIRECTION_CODES[p.codes[i * CODES + 2]],
      gold: table[p.strings[i * 5 + 2]],
      format: FORMAT_CODES[p.codes[i * CODES + 5]],
      mcq: OUTCOME_CODES[p.codes[i * CODES + 3]],
      mcqPred: table[p.strings[i * 5 + 3]],
      grpo: OUTCOME_CODES[p.codes[i * CODES + 4]],
      grpoPred: table[p.strings[i * 5 + 4]],
      na: NA_CODES[p.codes[i * CODES + 6]],
    });
  }
}

/** A record read back from the file, with the category the index gave it (the file-level evidence included). */
function withIndexCategory(record: TraceRecord, entry: IndexEntry): TraceRecord {
  record.category = entry.category;
  record.wordedAs = entry.wordedAs;
  if (entry.evidence) record.categoryEvidence = entry.evidence;
  return record;
}

function isJsonSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${Math.round(n / (1 << 20))} MiB`;
  if (n >= 1 << 10) return `${Math.round(n / (1 << 10))} KiB`;
  return `${n} bytes`;
}

/** Offset of the first byte that breaks UTF-8 (only called once isUtf8 said there is one). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let need = 0;
    let min = 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return b.length;
}

interface ScannerSink {
  element(bytes: Buffer, offset: number, line: number, key: string | undefined): void;
  problem(line: number, offset: number, message: string): void;
}

type Phase = 'start' | 'beforeItem' | 'inKey' | 'afterKey' | 'beforeValue' | 'inValue' | 'afterValue' | 'done';

/**
 * Finds the top-level elements of a JSON array, or the values of a top-level object, byte by byte
 * across chunks, keeping only the bytes of the element being read.
 */
export class JsonDocumentScanner {
  topLevel: 'array' | 'object' | 'other' | undefined;
  stopped = false;
  private phase: Phase = 'start';
  private line = 1;
  private depth = 0;
  private inString = false;
  private escape = false;
  private primitive = false;
  private parts: Buffer[] = [];
  private partsLen = 0;
  private partStart = -1;
  private valueOffset = 0;
  private valueLine = 0;
  private valueTooBig = false;
  private keyParts: Buffer[] = [];
  private key: string | undefined;
  private keyLine = 0;
  private trailingReported = false;
  private bom = true;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: ScannerSink,
  ) {}

  feed(chunk: Buffer, base: number): void {
    let i = 0;
    if (this.bom && base === 0 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    this.bom = false;
    const n = chunk.length;
    if (this.phase === 'inValue') this.partStart = 0;
    if (this.phase === 'inKey') this.partStart = 0;
    for (; i < n && !this.stopped; i++) {
      const c = chunk[i];
      switch (this.phase) {
        case 'start':
          if (isJsonSpace(c)) break;
          if (c === 0x5b) {
            this.topLevel = 'array';
            this.phase = 'beforeItem';
          } else if (c === 0x7b) {
            this.topLevel = 'object';
            this.phase = 'beforeItem';
          } else {
            this.topLevel = 'other';
            this.fail(base + i, 'a JSON results file must hold an array or an object keyed by id');
          }
          break;
        case 'beforeItem':
          if (isJsonSpace(c)) break;
          if ((this.topLevel === 'array' && c === 0x5d) || (this.topLevel === 'object' && c === 0x7d)) {
            this.phase = 'done';
          } else if (this.topLevel === 'object') {
            if (c !== 0x22) this.fail(base + i, `expected a quoted key, found ${show(c)}`);
            else {
              this.phase = 'inKey';
              this.keyParts = [];
              this.partStart = i;
              this.keyLine = this.line;
              this.escape = false;
            }
          } else {
            this.beginValue(chunk, i, base);
          }
          break;
        case 'inKey':
          if (this.escape) this.escape = false;
          else if (c === 0x5c) this.escape = true;
          else if (c === 0x22) {
            this.keyParts.push(Buffer.from(chunk.subarray(this.partStart, i + 1)));
            const raw = Buffer.concat(this.keyParts).toString('utf8');
            try {
              this.key = JSON.parse(raw) as string;
            } catch {
              this.key = raw.slice(1, -1);
            }
            this.phase = 'afterKey';
          } else if (c === 0x0a) this.fail(base + i, 'line break inside a key');
          break;
        case 'afterKey':
          if (isJsonSpace(c)) break;
          if (c === 0x3a) this.phase = 'beforeValue';
          else this.fail(base + i, `expected ':' after key, found ${show(c)}`);
          break;
        case 'beforeValue':
          if (isJsonSpace(c)) break;
          this.beginValue(chunk, i, base);
          break;
        case 'inValue':
          if (this.inString) {
            if (this.escape) this.escape = false;
            else if (c === 0x5c) this.escape = true;
            else if (c === 0x22) {
              this.inString = false;
              if (this.depth === 0) this.endValue(chunk, i + 1);
            }
          } else if (this.primitive) {
            if (c === 0x2c || c === 0x5d || c === 0x7d || isJsonSpace(c)) {
              this.endValue(chunk, i);
              i--; // the delimiter is read again as what follows the value
              continue; // …and a line break counted then, not twice
            }
          } else if (c === 0x22) {
            this.inString = true;
          } else if (c === 0x7b || c === 0x5b) {
            this.depth++;
          } else if (c === 0x7d || c === 0x5d) {
            this.depth--;
            if (this.depth === 0) this.endValue(chunk, i + 1);
          }
          break;
        case 'afterValue':
          if (isJsonSpace(c)) break;
          if (c === 0x2c) this.phase = 'beforeItem';
          else if ((this.topLevel === 'array' && c === 0x5d) || (this.topLevel === 'object' && c === 0x7d)) {
            this.phase = 'done';
          } else this.fail(base + i, `expected ',' or the end of the ${this.topLevel}, found ${show(c)}`);
          break;
        case 'done':
          if (!isJsonSpace(c) && !this.trailingReported) {
            this.trailingReported = true;
            this.sink.problem(this.line, base + i, 'unexpected content after the end of the JSON document');
            this.stopped = true;
          }
          break;
      }
      if (c === 0x0a) this.line++;
    }
    // Keep the unfinished element's bytes from this chunk before the buffer is reused.
    if (this.phase === 'inValue' && !this.valueTooBig) this.keep(chunk.subarray(this.partStart, n));
    if (this.phase === 'inKey') this.keyParts.push(Buffer.from(chunk.subarray(this.partStart, n)));
  }

  end(): void {
    if (this.stopped) return;
    if (this.phase === 'inValue' && this.primitive) {
      this.endValue(Buffer.alloc(0), 0);
    }
    if (this.phase === 'start') {
      this.topLevel = 'other';
      this.sink.problem(this.line, 0, 'the file is empty');
    } else if (this.phase !== 'done') {
      this.sink.problem(this.line, 0, 'the JSON document ends before it is closed (truncated file?)');
    }
  }

  private beginValue(chunk: Buffer, i: number, base: number): void {
    const c = chunk[i];
    this.phase = 'inValue';
    this.parts = [];
    this.partsLen = 0;
    this.partStart = i;
    this.valueOffset = base + i;
    this.valueLine = this.topLevel === 'object' ? this.keyLine : this.line;
    this.valueTooBig = false;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.primitive = false;
    if (c === 0x7b || c === 0x5b) this.depth = 1;
    else if (c === 0x22) this.inString = true;
    else this.primitive = true;
  }

  private keep(piece: Buffer): void {
    if (this.partsLen + piece.length > this.maxBytes) {
      this.valueTooBig = true;
      this.parts = [];
      return;
    }
    this.parts.push(Buffer.from(piece));
    this.partsLen += piece.length;
  }

  private endValue(chunk: Buffer, endExclusive: number): void {
    const key = this.topLevel === 'object' ? this.key : undefined;
    if (!this.valueTooBig) this.keep(chunk.subarray(this.partStart, endExclusive));
    if (this.valueTooBig) {
      this.sink.problem(this.valueLine, this.valueOffset, `record is larger than ${formatBytes(this.maxBytes)}; skipped`);
    } else {
      const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
      this.sink.element(bytes, this.valueOffset, this.valueLine, key);
    }
    this.parts = [];
    this.partsLen = 0;
    this.phase = 'afterValue';
  }

  private fail(offset: number, message: string): void {
    this.sink.problem(this.line, offset, message);
    this.stopped = true;
  }
}

function show(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
