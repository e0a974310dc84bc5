/**
 * ResultsIndex: streams a results file once and keeps, per record, its byte range and the few
 * fields the tree needs. Full record text is read back only when a record is shown.
 *
 * - JSONL (jsonl.ts): one record per line; an unterminated last line that does not parse yet is
 *   kept pending, so a writer appending lines is followed incrementally (`update`). A large file
 *   is read in two halves at once when a worker script is given (split.ts, worker.ts).
 * - JSON (json.ts): an array of records, or an object keyed by id; a byte-level scanner (scan.ts)
 *   finds each element's range without parsing the document as a whole.
 * Each record's bytes become an entry or a problem in builder.ts. The index never writes to the
 * file it reads.
 */
import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyse } from '../derive';
import { normalise } from '../normalize';
import type { TraceAnalysis, TraceRecord } from '../schemas';
import { IndexBuilder } from './builder';
import { sniffFile } from './detect';
import { readJsonDocument } from './json';
import { readJsonl } from './jsonl';
import { appendPart, lineStartAfter, startIndexWorker } from './split';
import { checkCancelled, type FileFormat, type IndexEntry, type IndexOptions, type IndexProblem, type UpdateKind } from './types';

export type { FileFormat, IndexEntry, IndexOptions, IndexProblem, UpdateKind } from './types';
export { IndexCancelledError, NotResultsFileError } from './types';

export class ResultsIndex {
  readonly entries: IndexEntry[];
  readonly problems: IndexProblem[];
  format: FileFormat = 'jsonl';
  size = 0;
  mtimeMs = 0;
  private fingerprint = '';
  /** A JSON document whose top level is an object keyed by id. */
  private keyedById = false;
  private readonly builder: IndexBuilder;

  private constructor(
    readonly file: string,
    private readonly opts: IndexOptions,
  ) {
    this.builder = new IndexBuilder(file);
    this.entries = this.builder.entries;
    this.problems = this.builder.problems;
  }

  get name(): string {
    return path.basename(this.file);
  }

  /** All problems seen, including those not kept beyond the first 10,000. */
  get problemCount(): number {
    return this.builder.problemCount;
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
  async update(given: IndexOptions = {}): Promise<UpdateKind> {
    // The progress callback and signal given at creation belong to the first indexing: an update
    // reports to (and stops on) only what it is given.
    const opts: IndexOptions = { onProgress: undefined, signal: undefined, ...given };
    const st = await fsp.stat(this.file);
    const b = this.builder;
    if (st.size === this.size) {
      // The same size: unchanged when the ends of the file and the mtime say so; a new mtime may be
      // a touch or an edit of the same size anywhere (A to B in an answer), which only a fresh
      // index tells apart.
      if ((await this.computeFingerprint()) !== this.fingerprint) return this.rebuild(opts).then(() => 'rebuilt');
      if (st.mtimeMs === this.mtimeMs) return 'unchanged';
      return this.rebuildIfChanged(opts, st.mtimeMs);
    }
    if (this.format === 'jsonl' && st.size > this.size && (await this.computeFingerprint()) === this.fingerprint) {
      // A pending (unterminated) last line is read again: forget what was said of it.
      for (let k = b.problems.length - 1; k >= 0 && b.problems[k].offset >= b.resumeOffset; k--) {
        b.problems.pop();
        b.problemCount--;
      }
      await this.indexJsonl({ ...this.opts, ...opts }, b.resumeOffset, b.resumeLine);
      // A question appended can be the evidence for (or against) one indexed before it.
      await this.resolveCategories();
      return 'appended';
    }
    await this.rebuild(opts);
    return 'rebuilt';
  }

  /**
   * Index the file afresh aside and compare: the same entries and problems leave this index as it
   * is (its entries keep their identity) and say 'unchanged'; else this index takes the new one.
   */
  private async rebuildIfChanged(opts: IndexOptions, mtimeMs: number): Promise<UpdateKind> {
    const fresh = ResultsIndex.create(this.file, this.opts);
    await fresh.rebuild({ ...opts, onProgress: undefined });
    if (fresh.format === this.format && fresh.keyedById === this.keyedById && this.builder.sameAs(fresh.builder)) {
      this.mtimeMs = mtimeMs;
      return 'unchanged';
    }
    this.builder.adopt(fresh.builder);
    this.format = fresh.format;
    this.keyedById = fresh.keyedById;
    this.size = fresh.size;
    this.mtimeMs = fresh.mtimeMs;
    this.fingerprint = fresh.fingerprint;
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
      throw new Error(`${this.file}:${entry.line}: the record changed on disk since it was indexed (${(e as Error).message})`, {
        cause: e,
      });
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
    await this.builder.partners.resolve(this.entries, async (indices) => {
      const out = new Map<number, Pick<TraceRecord, 'question' | 'options'>>();
      const pos = new Map(indices.map((i) => [this.entries[i], i]));
      for await (const { entry, record } of this.records(indices.map((i) => this.entries[i]))) out.set(pos.get(entry)!, record);
      return out;
    });
  }

  private async rebuild(opts: IndexOptions): Promise<void> {
    const merged = { ...this.opts, ...opts };
    this.builder.reset();
    this.keyedById = false;
    this.format = await sniffFile(this.file, merged.format);
    const st = await fsp.stat(this.file);
    if (this.format === 'json') await this.indexJsonDocument(merged);
    else if (
      merged.workerScript &&
      st.size >= (merged.parallelMinBytes ?? 16 << 20) &&
      os.availableParallelism() >= (merged.parallelMinCores ?? 4)
    ) {
      await this.indexJsonlInTwo(merged);
    } else await this.indexJsonl(merged, 0, 1);
    await this.resolveCategories();
    // The index is kept while the file is open: its arrays give back what doubling left unused.
    this.builder.partners.trim();
  }

  /** Hash of the file's first 4 KiB and of the 4 KiB before the resume point: "was it rewritten?" */
  private async computeFingerprint(): Promise<string> {
    const resumeOffset = this.builder.resumeOffset;
    const fh = await fsp.open(this.file, 'r');
    try {
      const h = createHash('sha1');
      const a = Buffer.alloc(Math.min(4096, resumeOffset));
      await fh.read(a, 0, a.length, 0);
      h.update(a);
      const bLen = Math.min(4096, resumeOffset);
      const b = Buffer.alloc(bLen);
      await fh.read(b, 0, bLen, resumeOffset - bLen);
      h.update(b);
      return h.digest('hex');
    } finally {
      await fh.close();
    }
  }

  /** The file as read up to `size`: what `update` compares the file with. */
  private async readTo(size: number, mtimeMs: number): Promise<void> {
    this.size = size;
    this.mtimeMs = mtimeMs;
    this.fingerprint = await this.computeFingerprint();
  }

  /** Index lines from `start` (a line start) up to `end` (a line start, or the end of the file). */
  private async indexJsonl(opts: IndexOptions, start: number, startLine: number, end = Infinity): Promise<void> {
    const read = await readJsonl(this.builder, opts, start, startLine, end);
    if (end === Infinity) await this.readTo(read.size, read.mtimeMs);
  }

  /**
   * Two halves at once: a worker thread indexes from the first line start after the middle of the
   * file, this thread the part before it; the worker's lines are then renumbered and appended.
   */
  private async indexJsonlInTwo(opts: IndexOptions): Promise<void> {
    const st = await fsp.stat(this.file);
    const mid = await lineStartAfter(this.file, Math.floor(st.size / 2));
    if (mid <= 0 || mid >= st.size) return this.indexJsonl(opts, 0, 1);
    let firstDone = 0;
    let workerDone = 0;
    const job = { file: this.file, start: mid, end: st.size, maxRecordBytes: opts.maxRecordBytes, chunkSize: opts.chunkSize };
    const worker = await startIndexWorker(opts.workerScript!, job, (done) => {
      workerDone = done;
      opts.onProgress?.(firstDone + workerDone, st.size);
    });
    const onAbort = () => void worker.terminate();
    opts.signal?.addEventListener('abort', onAbort);
    try {
      await this.indexJsonl({ ...opts, onProgress: (done) => opts.onProgress?.((firstDone = done) + workerDone, st.size) }, 0, 1, mid);
      const part = await worker.result.catch((e: Error) => {
        checkCancelled(this.file, opts);
        throw e;
      });
      appendPart(this.builder, part);
      // Both halves read up to the size seen here: lines appended since are found by `update`.
      await this.readTo(st.size, st.mtimeMs);
      opts.onProgress?.(st.size, st.size);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      await worker.terminate();
    }
  }

  private async indexJsonDocument(opts: IndexOptions): Promise<void> {
    const doc = await readJsonDocument(this.builder, opts);
    this.keyedById = doc.keyedById;
    this.builder.resumeOffset = doc.size;
    await this.readTo(doc.size, doc.mtimeMs);
  }
}

/** A record read back from the file, with the category the index gave it (the file-level evidence included). */
function withIndexCategory(record: TraceRecord, entry: IndexEntry): TraceRecord {
  record.category = entry.category;
  record.wordedAs = entry.wordedAs;
  if (entry.evidence) record.categoryEvidence = entry.evidence;
  return record;
}
