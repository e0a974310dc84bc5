/**
 * The training logs, read in chunks: upstream's reward debug log and the trainer's printed output, in
 * one file or apart (a run started with `DEBUG_MODE=true LOG_PATH=…`, its stdout in another file, or
 * both sent to one).
 *
 * - The reward debug log (`ST-R1/src/open_r1_video/grpo.py`, accuracy_reward): per completion
 *   `------------- {%d-%H-%M-%S-%f} Accuracy reward: {reward} -------------`, then
 *   `Content: {content}` and `Solution: {solution}`, both raw and possibly many lines long. The
 *   timestamp is taken once per reward call, so one call's completions share it.
 * - The trainer's log: one Python dict per logging step (`{'loss': 0.0, 'learning_rate': 1e-06, …,
 *   'epoch': 0.01}`, what `print(dict)` writes; tqdm's progress bar may precede it after a carriage
 *   return), among any other output.
 *
 * An entry's content runs from "Content: " to its last line starting "Solution: " (a completion may
 * itself write "Solution:"); the solution runs to the next header, less any trailing lines that are
 * the trainer's output (a metrics dict, a tqdm bar, the `print(contents[:2])` list). Completions keep
 * byte ranges, not texts: `readRange` reads a text back. The last entry, when the file ends inside it
 * (no "Solution: " line yet, or no final line break), is pending: not counted, and read again by the
 * next `read` once the file grows.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { promises as fsp } from 'node:fs';
import { formatValidAt, isPythonSpace } from '../derive';
import { binaryReason, formatBytes } from '../index/bytes';
import { IndexCancelledError } from '../index/types';
import { parsePyLiteral, PyLiteralError, type PyValue } from './pyLiteral';
import { entryKind } from './trainerState';
import { CompletionStore, type CompletionFacts } from './store';
import { NotTrainingRunError, type MetricEntry, type TrainingProblem } from './types';

const HEADER_START = Buffer.from('------------- ');
const HEADER = /^-{13} (\S+) Accuracy reward: (\S+) -{13}\r?$/;
const CONTENT = Buffer.from('Content: ');
const NL_CONTENT = Buffer.from('\nContent: ');
const NL_SOLUTION = Buffer.from('\nSolution: ');
const DICT_START = Buffer.from("{'");

export interface LogReadOptions {
  chunkSize?: number;
  /** An entry larger than this is reported and skipped. Default 16 MiB. */
  maxEntryBytes?: number;
  signal?: AbortSignal;
  /**
   * Leave the trainer's usual printed dicts unparsed until their values are first read (a run folder
   * with a trainer_state.json, which holds most of them: see TrainingRun). Off, every dict is parsed
   * as it is read (a lone training log, whose dicts are all used: recognising them first costs more).
   */
  deferDicts?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** The last entry, not yet whole: where it starts and why it is not counted yet. */
export interface PendingEntry {
  line: number;
  reason: string;
}

interface OpenEntry {
  line: number;
  /** The header's timestamp, as its index in the store's timestamps. */
  timestamp: number;
  reward: number;
  rewardText: string;
}

/** Everything before this point is final; a new `read` starts here after forgetting what came after. */
interface Checkpoint {
  offset: number;
  line: number;
  completions: number;
  metrics: number;
  problems: number;
  otherLines: number;
}

export class TrainingLogReader {
  /** The completions read, as columns (see store.ts). */
  readonly completions = new CompletionStore();
  /** The trainer's printed dicts, steps not yet known (`step` is the ordinal among training entries: see assignLogSteps). */
  readonly metrics: MetricEntry[] = [];
  readonly problems: TrainingProblem[] = [];
  /** Lines that are neither entries nor metrics dicts (the trainer's other output, interleaved lines). */
  otherLines = 0;
  pending: PendingEntry | undefined;
  size = 0;
  mtimeMs = 0;
  private readonly resume: Checkpoint = { offset: 0, line: 1, completions: 0, metrics: 0, problems: 0, otherLines: 0 };
  // State while reading.
  private line = 1;
  private entry: OpenEntry | undefined;
  private skipping = false;
  /** While skipping: the bytes kept start inside a line. */
  private midLine = false;
  private lastHeader: OpenEntry | undefined;
  private readonly headerA: OpenEntry = { line: 0, timestamp: -1, reward: 0, rewardText: '' };
  private readonly headerB: OpenEntry = { line: 0, timestamp: -1, reward: 0, rewardText: '' };
  /** Where lastHeader's line ends in the buffer findHeader read it from. */
  private headerEol = 0;
  private readonly fileIx: number;
  /** One completion's facts, filled for each in turn (no object per completion). */
  private readonly facts: CompletionFacts = { format: 0, chars: 0, answer: -1, hasThink: false };
  /** The buffer last checked for ASCII bytes only, and what the check said. */
  private asciiBuf: Buffer | undefined = undefined;
  private ascii = false;
  private readonly asciiFacts = new AsciiFacts();

  constructor(
    readonly file: string,
    private readonly opts: LogReadOptions = {},
  ) {
    this.fileIx = this.completions.fileIndex(file);
  }

  /** Read from where the last read left off (the start of a pending entry) to the end of the file. */
  async read(): Promise<void> {
    this.rollBack();
    const fh = await fsp.open(this.file, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new NotTrainingRunError(this.file, 'it is not a regular file');
      if (this.resume.offset === 0) await this.sniff(fh);
      await this.readFrom(fh, st.size);
      this.size = st.size;
      this.mtimeMs = st.mtimeMs;
    } finally {
      this.asciiBuf = undefined;
      this.asciiFacts.release();
      await fh.close();
    }
  }

  private rollBack(): void {
    const r = this.resume;
    this.completions.truncate(r.completions);
    this.metrics.length = r.metrics;
    this.problems.length = r.problems;
    this.otherLines = r.otherLines;
    this.pending = undefined;
    this.line = r.line;
    this.entry = undefined;
    this.skipping = false;
    this.midLine = false;
  }

  private async sniff(fh: fsp.FileHandle): Promise<void> {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const why = binaryReason(head.subarray(0, bytesRead));
    if (why !== undefined) throw new NotTrainingRunError(this.file, `binary content (${why})`);
  }

  private async readFrom(fh: fsp.FileHandle, total: number): Promise<void> {
    const chunkSize = this.opts.chunkSize ?? 1 << 20;
    // One working buffer: what is carried over (a partial line, an entry not yet ended) moves to its
    // start and the next chunk is read in after it, so no chunk is copied.
    let work = Buffer.allocUnsafe(chunkSize * 2);
    let carried = 0;
    let pos = this.resume.offset;
    let base = pos;
    while (pos < total) {
      if (this.opts.signal?.aborted) throw new IndexCancelledError(this.file);
      if (carried + chunkSize > work.length) {
        const grown = Buffer.allocUnsafe(Math.max(work.length * 2, carried + chunkSize));
        work.copy(grown, 0, 0, carried);
        work = grown;
      }
      const { bytesRead } = await fh.read(work, carried, Math.min(chunkSize, total - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const buf = work.subarray(0, carried + bytesRead);
      const used = this.process(buf, base, false);
      carried = buf.length - used;
      work.copy(work, 0, used, buf.length);
      base += used;
      this.opts.onProgress?.(pos, total);
    }
    this.process(work.subarray(0, carried), base, true);
  }

  /**
   * Handle the whole lines and entries of `buf` (its first byte at file offset `base`, a line start).
   * Returns how many bytes were used; the rest (a partial line, an entry not yet ended) comes again
   * with more bytes. `final`: no more bytes will come.
   */
  private process(buf: Buffer, base: number, final: boolean): number {
    let i = 0;
    for (;;) {
      const h = this.findHeader(buf, i, final);
      if (this.entry) {
        if (h < 0 && !final) return this.waitForEntry(buf, i);
        const end = h < 0 ? buf.length : h;
        // At a header, findHeader has counted the lines to it.
        const lineAtEnd = h >= 0 ? this.lastHeader!.line : this.line + countLines(buf, i, end);
        this.finishEntry(buf, i, end, base, h >= 0 || (end > i && buf[end - 1] === 0x0a));
        this.line = lineAtEnd;
        this.entry = undefined;
        i = end;
        if (h < 0) return i;
      } else if (this.skipping) {
        let end = h >= 0 ? h : lastLineStart(buf, i);
        // One long line with no break yet cannot be a header (findHeader reads none over 200 bytes): dropped.
        if (h < 0 && end === i && (this.midLine || buf.length - i > 200)) end = buf.length;
        this.line = h >= 0 ? this.lastHeader!.line : this.line + countLines(buf, i, end);
        if (h < 0 && end > i) this.midLine = buf[end - 1] !== 0x0a;
        i = end;
        if (h < 0) return i;
      } else {
        const end = h >= 0 ? h : lastLineStart(buf, i);
        this.outside(buf, i, end, this.line);
        this.line = h >= 0 ? this.lastHeader!.line : this.line + countLines(buf, i, end);
        i = end;
        if (h < 0) {
          this.checkpoint(base + i);
          if (final && i < buf.length) this.lastLine(buf.toString('utf8', i));
          return i;
        }
      }
      // A header at h: everything before it is final.
      this.skipping = false;
      this.midLine = false;
      this.checkpoint(base + h);
      this.entry = this.lastHeader;
      // findHeader found the header's line end (buf.length for a last line with no break).
      i = Math.min(buf.length, this.headerEol + 1);
      this.line++;
    }
  }

  /**
   * The file's last line, with no line break: a metrics dict when it is one; else it may be half
   * written, and is pending (read again when the file grows).
   */
  private lastLine(text: string): void {
    if (this.metricsLine(text, this.line, true)) return;
    this.pending = { line: this.line, reason: 'the last line has no line break yet' };
  }

  /** An entry not ended in `buf`: wait for more bytes, or skip it when it is too large. */
  private waitForEntry(buf: Buffer, i: number): number {
    const max = this.opts.maxEntryBytes ?? 16 << 20;
    if (buf.length - i <= max) return i;
    this.problem(this.entry!.line, `entry is longer than ${formatBytes(max)}; skipped`);
    this.entry = undefined;
    this.skipping = true;
    const end = lastLineStart(buf, i);
    this.line += countLines(buf, i, end);
    return end;
  }

  /** (Set in place: one is set at every header.) */
  private checkpoint(offset: number): void {
    const r = this.resume;
    r.offset = offset;
    r.line = this.line;
    r.completions = this.completions.length;
    r.metrics = this.metrics.length;
    r.problems = this.problems.length;
    r.otherLines = this.otherLines;
  }

  /** headerFields' answer for the last header line it read. */
  private readonly header: HeaderFields = { timestamp: -1, reward: '' };

  /**
   * Offset of the next header line at or after `from` (a line start), its fields left in lastHeader;
   * -1 when there is none whole in `buf` (a header whose line is not ended waits, unless `final`).
   */
  private findHeader(buf: Buffer, from: number, final: boolean): number {
    // Line by line: the line breaks are what the line count needs anyway, and a header starts a line.
    let lines = 0;
    for (let k = from; ;) {
      const nl = buf.indexOf(0x0a, k);
      if (buf[k] === 0x2d && !(k === from && this.midLine) && startsWith(buf, k, HEADER_START)) {
        let eol = nl;
        if (eol < 0) {
          if (!final) return -1;
          eol = buf.length;
        }
        if (eol - k <= 200 && this.readHeader(buf, k, eol, this.line + lines)) return k;
      }
      if (nl < 0) return -1;
      lines++;
      k = nl + 1;
    }
  }

  /** The header line buf[k, eol) at line `line`: true when it is one, its fields then left in lastHeader. */
  private readHeader(buf: Buffer, k: number, eol: number, line: number): boolean {
    const fast = headerFields(buf, k, eol, this.completions, this.header);
    let timestamp = this.header.timestamp;
    let rewardText = this.header.reward;
    if (fast === undefined) {
      const m = HEADER.exec(buf.toString('utf8', k, eol));
      if (!m) return false;
      timestamp = this.completions.timestampOf(m[1]);
      rewardText = m[2];
    } else if (!fast) return false;
    // Two objects in turn: the open entry's, and the header found after it (no object per header).
    const h = this.entry === this.headerA ? this.headerB : this.headerA;
    h.line = line;
    h.timestamp = timestamp;
    h.reward = pyFloat(rewardText);
    h.rewardText = rewardText;
    this.lastHeader = h;
    this.headerEol = eol;
    return true;
  }

  /** The entry whose body is buf[a, end) (after its header line). `whole`: nothing more will be added to it. */
  private finishEntry(buf: Buffer, a: number, end: number, base: number, whole: boolean): void {
    const e = this.entry!;
    let c = a;
    if (!startsWith(buf, a, CONTENT)) {
      const k = buf.indexOf(NL_CONTENT, a);
      if (k < 0 || k >= end) {
        if (whole) this.problem(e.line, 'entry has no "Content: " line; skipped');
        else this.pending = { line: e.line, reason: 'the last entry has no "Content: " line yet' };
        this.outside(buf, a, end, e.line + 1);
        return;
      }
      c = k + 1;
      this.outside(buf, a, c, e.line + 1); // output interleaved between the header and its content
    }
    const contentStart = c + CONTENT.length;
    const solNl = end - NL_SOLUTION.length >= contentStart ? lastSolutionLine(buf, contentStart, end) : -1;
    if (solNl < contentStart) {
      if (whole) this.problem(e.line, 'entry has no "Solution: " line; skipped');
      else this.pending = { line: e.line, reason: 'the last entry has no "Solution: " line yet' };
      return;
    }
    if (!whole) {
      this.pending = { line: e.line, reason: 'the last entry has no final line break yet' };
      return;
    }
    const solStart = solNl + NL_SOLUTION.length;
    const solEnd = this.solutionEnd(buf, solStart, end, e.line, a);
    if (Number.isNaN(e.reward) && !/^[+-]?nan$/i.test(e.rewardText)) {
      this.problem(e.line, `accuracy reward "${e.rewardText}" is not a number; entry skipped`);
      return;
    }
    this.addCompletion(buf, base, e, contentStart, solNl, solStart, solEnd);
  }

  /**
   * Where the solution starting at `s` ends: its first line, and the lines after it up to the first
   * that is the trainer's own output (handled as output outside entries). `entryLine`, `body`: the
   * entry's header line and where the body after it starts, for the solution's line number (counted
   * only for a solution of several lines).
   */
  private solutionEnd(buf: Buffer, s: number, end: number, entryLine: number, body: number): number {
    let eol = buf.indexOf(0x0a, s);
    if (eol < 0 || eol + 1 >= end) return eol < 0 || eol >= end ? end : eol;
    let solEnd = eol;
    let line = entryLine + 1 + countLines(buf, body, s) + 1;
    for (let t = eol + 1; t < end; t = eol + 1, line++) {
      eol = buf.indexOf(0x0a, t);
      if (eol < 0 || eol > end) eol = end;
      if (isTrainerOutput(buf.toString('utf8', t, eol))) {
        this.outside(buf, t, end, line);
        return solEnd;
      }
      solEnd = eol;
    }
    return solEnd;
  }

  private addCompletion(
    buf: Buffer,
    base: number,
    e: OpenEntry,
    contentStart: number,
    contentEnd: number,
    solStart: number,
    solEnd: number,
  ): void {
    const facts = this.facts;
    if (this.asciiBuf !== buf) {
      // One check of the whole buffer: in a buffer of ASCII bytes every content is ASCII.
      this.asciiBuf = buf;
      this.ascii = isAscii(buf);
    }
    if (this.ascii || isAscii(buf.subarray(contentStart, contentEnd))) {
      this.asciiFacts.of(buf, contentStart, contentEnd, facts);
    } else {
      const content = buf.toString('utf8', contentStart, contentEnd);
      // Bad bytes decode as U+FFFD: only a content that has one can be bad (a valid one may hold U+FFFD itself).
      if (content.indexOf('\ufffd') >= 0 && !isUtf8(buf.subarray(contentStart, contentEnd))) {
        this.problem(e.line, 'content is not valid UTF-8 (its bad bytes read as U+FFFD)');
      }
      completionFacts(content, contentEnd - contentStart, facts);
    }
    this.completions.push(
      this.fileIx,
      e.line,
      e.timestamp,
      e.reward,
      facts,
      base + contentStart,
      contentEnd - contentStart,
      base + solStart,
      solEnd - solStart,
    );
  }

  /** Lines outside entries, buf[a, b) from line `line`: metrics dicts are kept, other lines counted. */
  private outside(buf: Buffer, a: number, b: number, line: number): void {
    let lines = countLines(buf, a, b) + (b > a && buf[b - 1] !== 0x0a ? 1 : 0);
    let at = a;
    for (let k = buf.indexOf(DICT_START, a); k >= 0 && k < b; k = buf.indexOf(DICT_START, k + 1)) {
      // (lastIndexOf from -1 would search from the buffer's end: a dict at its first byte starts there.)
      const start = k > 0 ? buf.lastIndexOf(0x0a, k - 1) + 1 : 0;
      const startAt = Math.max(start, a);
      let eol = buf.indexOf(0x0a, k);
      if (eol < 0 || eol > b) eol = b;
      line += countLines(buf, at, startAt);
      at = startAt;
      if (this.metricsLine(buf.toString('utf8', startAt, eol), line)) lines--;
      k = eol;
    }
    this.otherLines += lines;
  }

  /** A line with a metrics dict (at its start, or after tqdm's bar or carriage return): kept; true when it was one. */
  private metricsLine(text: string, line: number, quiet = false): boolean {
    // (indexOf first: String#lastIndexOf with a position is a runtime call, indexOf a builtin.)
    const cr = text.indexOf('\r') < 0 ? -1 : text.lastIndexOf('\r', text.length - 2);
    const from = cr >= 0 ? cr + 1 : 0;
    // After tqdm's bar the dict may follow on the same line: then a failed parse is not reported.
    const s = text.indexOf("{'", from);
    if (s < 0) return false;
    const kind = this.opts.deferDicts ? plainDictKind(text, s) : undefined;
    if (kind !== undefined) {
      this.metrics.push(new LazyMetricEntry(kind, text, s, this.file, line));
      return true;
    }
    const fast = jsonNumericDict(text, s) ?? flatNumericDict(text, s);
    if (fast) return this.keepMetrics(fast, line);
    let v: PyValue;
    try {
      const r = parsePyLiteral(text, s);
      if (text.slice(r.end).trim()) throw new PyLiteralError(`unexpected text after the dict at column ${r.end + 1}`, r.end);
      v = r.value;
    } catch (e) {
      if (!(e instanceof PyLiteralError)) throw e;
      if (!quiet && s === from) this.problem(line, `a line that starts like the trainer's metrics dict does not parse: ${e.message}`);
      return false;
    }
    return this.keepMetrics(metricsOf(v), line);
  }

  private keepMetrics(values: Record<string, number> | undefined, line: number): boolean {
    if (!values) return false;
    this.metrics.push({ kind: entryKind(values), step: 0, stepFrom: 'order', values, file: this.file, line });
    return true;
  }

  private problem(line: number, message: string): void {
    this.problems.push({ file: this.file, line, message });
  }
}

/** The numbers of a printed trainer dict, or undefined when the dict is not the trainer's (no epoch, loss, eval_* or train_runtime). */
function metricsOf(v: PyValue): Record<string, number> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const values: Record<string, number> = {};
  let trainer = false;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'number') continue;
    values[k] = x;
    if (k === 'epoch' || k === 'loss' || k === 'train_runtime' || k.startsWith('eval_')) trainer = true;
  }
  return trainer ? values : undefined;
}

/**
 * The trainer's usual line read by JSON.parse once its quotes are JSON's: when the text has no '"' and
 * no backslash, and every value is a number, JSON read it as the Python parser does (JSON's numbers and
 * white space are among Python's; anything else, nan or True, makes JSON.parse fail). Undefined
 * otherwise (flatNumericDict and the general parser then read it), and for a dict that is not the trainer's.
 */
function jsonNumericDict(text: string, start: number): Record<string, number> | undefined {
  if (text.indexOf('"', start) >= 0 || text.indexOf('\\', start) >= 0) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text.slice(start).replaceAll("'", '"'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const values = v as Record<string, number>;
  let trainer = false;
  for (const k in values) {
    // JSON.parse makes "__proto__" an own key; the Python parser's assignment would not.
    if (typeof values[k] !== 'number' || k === '__proto__') return undefined;
    if (k === 'epoch' || k === 'loss' || k === 'train_runtime' || k.startsWith('eval_')) trainer = true;
  }
  return trainer ? values : undefined;
}

/**
 * A printed dict whose values are read on first use (by jsonNumericDict: plainDictKind has checked
 * that it reads them): in a run folder the trainer state holds most printed dicts, and those are never
 * read. A class, not a getter on each object: 10k objects of one shape, their text dropped once read.
 */
class LazyMetricEntry implements MetricEntry {
  step = 0;
  stepFrom = 'order' as const;
  // Private fields: not own properties that deepEqual or a spread would see.
  #read: Record<string, number> | undefined = undefined;
  #text: string | undefined;
  #start: number;
  constructor(
    readonly kind: MetricEntry['kind'],
    text: string,
    start: number,
    readonly file: string,
    readonly line: number,
  ) {
    this.#text = text;
    this.#start = start;
  }

  get values(): Record<string, number> {
    if (this.#read === undefined) {
      const values = jsonNumericDict(this.#text!, this.#start);
      if (!values) throw new Error(`plainDictKind let through a dict that jsonNumericDict does not read: ${this.#text}`);
      this.#read = values;
      this.#text = undefined;
    }
    return this.#read;
  }

  set values(values: Record<string, number>) {
    this.#read = values;
    this.#text = undefined;
  }
}

const WS = '[ \\t\\n\\r]*';
const ITEM = `'[^'"\\\\\\x00-\\x1f]*'${WS}:${WS}-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?${WS}`;
/** JSON's `{"key": number, …}` with "'" for its quotes, to the end of the text (no '"', '\\' or control character in a key). */
const PLAIN_DICT = new RegExp(`\\{${ITEM}(?:,${WS}${ITEM})*\\}${WS}$`, 'y');

/**
 * The kind of the dict at `t[start]` ("{'") when jsonNumericDict certainly reads it as the trainer's,
 * without building it: PLAIN_DICT matches it to the end of the text, it has a trainer key and no
 * "__proto__" key; its kind is entryKind's (the first key, in order, that is an eval_* key or
 * train_runtime). In such a text a "'" followed by anything but ':' or white space opens a key, so
 * the keys are found by indexOf. Undefined for anything else (the parsers then read it).
 */
function plainDictKind(t: string, start: number): MetricEntry['kind'] | undefined {
  PLAIN_DICT.lastIndex = start;
  if (!PLAIN_DICT.test(t) || t.indexOf("'__proto__'", start) >= 0) return undefined;
  const ev = t.indexOf("'eval_", start);
  const sum = t.indexOf("'train_runtime'", start);
  if (ev >= 0 && (sum < 0 || ev < sum)) return 'eval';
  if (sum >= 0) return 'summary';
  return t.indexOf("'loss'", start) >= 0 || t.indexOf("'epoch'", start) >= 0 ? 'train' : undefined;
}

const FLAT_ITEM = /'([^'\\]*)': (-?(?:\d+(?:\.\d*)?(?:e[+-]?\d+)?|nan|inf))(, |\}\s*$)/y;

/**
 * The trainer's usual line, `{'key': number, …}` with plain keys and numbers only, read without the
 * general parser (the printed metrics of every logging step); undefined for anything else, which the
 * general parser then reads (or reports).
 */
function flatNumericDict(text: string, start: number): Record<string, number> | undefined {
  const values: Record<string, number> = {};
  let trainer = false;
  let i = start + 1;
  for (;;) {
    FLAT_ITEM.lastIndex = i;
    const m = FLAT_ITEM.exec(text);
    if (!m) return undefined;
    const [, k, v] = m;
    // The pattern has checked the number: Number() reads it as Python's float() does.
    values[k] = v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v);
    if (k === 'epoch' || k === 'loss' || k === 'train_runtime' || k.startsWith('eval_')) trainer = true;
    if (m[3] !== ', ') return trainer ? values : undefined;
    i = FLAT_ITEM.lastIndex;
  }
}

/** A line of the trainer's output rather than of a solution: a metrics dict, a tqdm bar, or `print(contents[:2])`'s list. */
function isTrainerOutput(line: string): boolean {
  if (line.includes('\r') || /\d+%\|.*\|\s*\d+\/\d+ \[/.test(line)) return true;
  if (/^\[(['"]).*\1\]$/.test(line)) return true;
  if (!line.startsWith("{'")) return false;
  try {
    const r = parsePyLiteral(line);
    return !line.slice(r.end).trim() && metricsOf(r.value) !== undefined;
  } catch {
    return false;
  }
}

const ACCURACY = Buffer.from(' Accuracy reward: ');

/** A header line's fields as headerFields reads them: its timestamp's index in the store, its reward's text. */
interface HeaderFields {
  timestamp: number;
  reward: string;
}

/**
 * HEADER's fields read from the bytes of a header line buf[k, eol) (it starts with HEADER_START), for
 * printable ASCII lines: true when it is a header (its fields left in `out`), false when not.
 * Undefined for a line with other bytes, which HEADER then reads (its \S is Unicode's). The fields
 * are checked as they are read; the rest of a header is literal bytes: a line that turns out not to
 * be one is checked whole (notHeader).
 */
function headerFields(buf: Buffer, k: number, eol: number, store: CompletionStore, out: HeaderFields): boolean | undefined {
  let end = eol;
  if (end > k && buf[end - 1] === 0x0d) end--;
  const tsStart = k + HEADER_START.length;
  // The timestamp: printable ASCII up to a space, hashed on the way (for the store's index of it).
  let h = 0;
  let tsEnd = tsStart;
  for (; tsEnd < end; tsEnd++) {
    const c = buf[tsEnd];
    if (c === 0x20) break;
    if (c < 0x20 || c > 0x7e) return undefined;
    h = (Math.imul(h, 31) + c) | 0;
  }
  if (tsEnd === end || tsEnd === tsStart || !startsWith(buf, tsEnd, ACCURACY)) return notHeader(buf, k, end);
  const rStart = tsEnd + ACCURACY.length;
  let rEnd = rStart;
  for (; rEnd < end; rEnd++) {
    const c = buf[rEnd];
    if (c === 0x20) break;
    if (c < 0x20 || c > 0x7e) return undefined;
  }
  // The reward, one space, then exactly 13 dashes to the end of the line.
  if (rEnd === end || rEnd === rStart || end - rEnd !== 14) return notHeader(buf, k, end);
  for (let i = rEnd + 1; i < end; i++) if (buf[i] !== 0x2d) return notHeader(buf, k, end);
  // One reward call's completions share their timestamp: the store keeps it once.
  out.timestamp = store.timestampOfBytes(buf, tsStart, tsEnd, h & 0x3fffffff);
  const short = rEnd - rStart === 3 && buf[rStart + 1] === 0x2e && buf[rStart + 2] === 0x30 ? SHORT_REWARDS[buf[rStart]] : undefined;
  out.reward = short ?? buf.toString('latin1', rStart, rEnd);
  return true;
}

/**
 * headerFields' answer for a line starting HEADER_START that is not a header: false, or undefined
 * when it has other bytes than printable ASCII.
 */
function notHeader(buf: Buffer, k: number, end: number): false | undefined {
  for (let i = k + HEADER_START.length; i < end; i++) if (buf[i] < 0x20 || buf[i] > 0x7e) return undefined;
  return false;
}

/** The usual rewards' texts, by their first byte ("0.0", "1.0"), not made anew for every header. */
const SHORT_REWARDS: Record<number, string> = { 0x30: '0.0', 0x31: '1.0' };

/** Python's float(repr): numbers, nan, inf. */
export function pyFloat(s: string): number {
  if (s === '0.0' || s === '1.0') return s === '1.0' ? 1 : 0; // the accuracy reward's usual values
  const t = s.toLowerCase();
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t) ? Number(t) : NaN;
}

/** buf holds `prefix` at `at`: a loop, not Buffer#compare (a call into C++ for a few bytes, twice an entry). */
function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  if (buf.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * buf.lastIndexOf(NL_SOLUTION, end - NL_SOLUTION.length), searched no further back than `from`
 * (-1 then): the line breaks from the end, each line's start compared. Buffer#lastIndexOf with the
 * pattern compares from its last byte, a space, which a solution has every few bytes.
 */
function lastSolutionLine(buf: Buffer, from: number, end: number): number {
  // from > 0 (after "Content: "): lastIndexOf never gets a negative offset, which would count from the end.
  for (let nl = buf.lastIndexOf(0x0a, end - NL_SOLUTION.length); nl >= from; nl = buf.lastIndexOf(0x0a, nl - 1)) {
    if (startsWith(buf, nl, NL_SOLUTION)) return nl;
  }
  return -1;
}

function countLines(buf: Buffer, a: number, b: number): number {
  let n = 0;
  for (let k = buf.indexOf(0x0a, a); k >= 0 && k < b; k = buf.indexOf(0x0a, k + 1)) n++;
  return n;
}

/** Start of the last line of buf[from, …) that has no line break yet (buf.length when the last line is ended). */
function lastLineStart(buf: Buffer, from: number): number {
  const k = buf.lastIndexOf(0x0a);
  return k < from ? from : k + 1;
}

/**
 * A completion's facts from its decoded content (`bytes`: its UTF-8 length): the format check
 * (formatValidAt), the length in code points, the answer letter's code point and whether it has
 * think tags. asciiFacts computes the same on the bytes of an ASCII content.
 */
export function completionFacts(content: string, bytes: number, out: CompletionFacts): CompletionFacts {
  const open = content.indexOf('<answer>');
  // The first </answer> after it, found once for the format check and the answer letter.
  const close = open < 0 ? -1 : content.indexOf('</answer>', open + 8);
  out.format = formatValidAt(content, open, close) ? 1 : 0;
  out.chars = codePoints(content, bytes);
  out.answer = answerLetter(content, open, close);
  out.hasThink = content.includes('<think>') && content.includes('</think>');
  return out;
}

/**
 * The code point of the first character of the first answer tag's content stripped as Python strips,
 * -1 without an answer tag or with an empty one: answerTag, pyStrip and codePointAt(0) with no slices.
 * `open`: where the first "<answer>" is (-1: none); `close`: the first "</answer>" after it (-1: none).
 */
function answerLetter(content: string, open: number, close: number): number {
  if (open < 0) return -1;
  let a = open + 8;
  while (a < close && isPythonSpace(content.charCodeAt(a))) a++;
  if (a >= close) return -1;
  const c = content.charCodeAt(a);
  const pair = c >= 0xd800 && c <= 0xdbff && a + 1 < close && (content.charCodeAt(a + 1) & 0xfc00) === 0xdc00;
  return pair ? content.codePointAt(a)! : c;
}

/** Unicode code points of `s` (Python's len), `bytes` its UTF-8 length: ASCII when they are equal. */
function codePoints(s: string, bytes: number): number {
  if (bytes === s.length) return s.length;
  let pairs = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) pairs++;
    }
  }
  return s.length - pairs;
}

const ANSWER_OPEN = Buffer.from('<answer>');
const ANSWER_CLOSE = Buffer.from('</answer>');
const THINK_OPEN = Buffer.from('<think>');
const THINK_CLOSE = Buffer.from('</think>');

/**
 * Buffer#indexOf of one pattern, its last answer kept: asked again in the same buffer from a later
 * offset that answer still holds (none lies between), so a buffer's completions search it once in all.
 */
class Finder {
  private buf: Buffer | undefined = undefined;
  private from = 0;
  private at = -1;
  constructor(private readonly pattern: Buffer) {}

  /** The first occurrence in buf[from, end), -1 when there is none. */
  find(buf: Buffer, from: number, end: number): number {
    if (buf !== this.buf || from < this.from || (this.at >= 0 && this.at < from)) {
      this.buf = buf;
      this.from = from;
      this.at = buf.indexOf(this.pattern, from);
    }
    return this.at >= 0 && this.at + this.pattern.length <= end ? this.at : -1;
  }

  release(): void {
    this.buf = undefined;
  }
}

/**
 * completionFacts of an ASCII content (then a byte is a character and a code point) from its bytes,
 * without decoding it: the same searches on the bytes. One per reader: its finders keep their last
 * answers (and the buffer they were found in, until `release`).
 */
export class AsciiFacts {
  private readonly open = new Finder(ANSWER_OPEN);
  private readonly close = new Finder(ANSWER_CLOSE);
  private readonly think = new Finder(THINK_OPEN);
  private readonly thinkClose = new Finder(THINK_CLOSE);

  /** The facts of the content buf[a, b), whose bytes are all ASCII. */
  of(buf: Buffer, a: number, b: number, out: CompletionFacts): CompletionFacts {
    const open = this.open.find(buf, a, b);
    const close = open < 0 ? -1 : this.closeAfter(buf, open + 8, b);
    const think = b - a >= 7 && startsWith(buf, a, THINK_OPEN);
    // formatValidAt's checks; `thinkClose`: a </think> was seen on the way.
    let format = 0;
    let thinkClose = false;
    if (open >= 0 && close >= 0 && think) {
      // The </think> just before the first <answer> (white space between), else one after it.
      let j = open;
      while (j > a && isPythonSpace(buf[j - 1])) j--;
      if (j - 8 - a >= 7 && startsWith(buf, j - 8, THINK_CLOSE)) {
        format = 1;
        thinkClose = true;
      } else {
        for (let k = this.thinkClose.find(buf, open, b); k >= 0; k = this.thinkClose.find(buf, k + 1, b)) {
          thinkClose = true;
          let i = k + 8;
          while (i < b && isPythonSpace(buf[i])) i++;
          if (b - i >= 8 && startsWith(buf, i, ANSWER_OPEN)) {
            format = close >= i + 8 || this.close.find(buf, i + 8, b) >= 0 ? 1 : 0;
            break;
          }
        }
      }
    }
    out.format = format;
    out.chars = b - a;
    let letter = -1;
    if (open >= 0) {
      let k = open + 8;
      while (k < close && isPythonSpace(buf[k])) k++;
      if (k < close) letter = buf[k];
    }
    out.answer = letter;
    out.hasThink = (think || this.think.find(buf, a, b) >= 0) && (thinkClose || this.thinkClose.find(buf, a, b) >= 0);
    return out;
  }

  /** Let go of the buffer the finders last searched. */
  release(): void {
    for (const f of [this.open, this.close, this.think, this.thinkClose]) f.release();
  }

  /**
   * The first "</answer>" in buf[from, b), -1 when there is none: looked for in the next few bytes
   * first (it usually follows the answer letter at once), with Buffer#indexOf only beyond them.
   */
  private closeAfter(buf: Buffer, from: number, b: number): number {
    const near = Math.min(b - 9, from + 24);
    for (let k = from; k <= near; k++) if (buf[k] === 0x3c && startsWith(buf, k, ANSWER_CLOSE)) return k;
    return near + 1 > b - 9 ? -1 : this.close.find(buf, near + 1, b);
  }
}

/** The UTF-8 text of `length` bytes at `offset` of `file` (a completion's content or solution). */
export async function readRange(file: string, offset: number, length: number): Promise<string> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.toString('utf8', 0, bytesRead);
  } finally {
    await fh.close();
  }
}
