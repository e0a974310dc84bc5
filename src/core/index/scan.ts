/**
 * A byte-level scanner for JSON results documents: finds the top-level elements of an array, or the
 * values of a top-level object keyed by id, across chunks, keeping only the bytes of the element
 * being read. It never parses the document as a whole; each element is parsed by the index.
 *
 * Damage does not lose the rest of the document. Where the items start their lines (pretty-printed,
 * or one element per line), an element that holds a line break inside a string (a quote missing),
 * or that is still open where a line starts the next item (a bracket missing), ends there and is
 * handed over as it is (a problem at its own line); a broken separator, colon or key is reported;
 * either way reading resumes at the next line that starts an item. A document on one line has no
 * such place to resume: damage there still loses what follows it.
 */
import { formatBytes, isJsonSpace, showByte, startsWithBom } from './bytes';

export interface ScannerSink {
  element(bytes: Buffer, offset: number, line: number, key: string | undefined): void;
  problem(line: number, offset: number, message: string): void;
}

/** `resync`: after damage, skipping to the next line that starts an item (see `resync`). */
type Phase = 'start' | 'beforeItem' | 'inKey' | 'afterKey' | 'beforeValue' | 'inValue' | 'afterValue' | 'resync' | 'done';

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
  private keyLen = 0;
  /** The key is longer than a record may be: its bytes are no longer kept, and its value is skipped. */
  private keyTooBig = false;
  private key: string | undefined;
  private keyLine = 0;
  private trailingReported = false;
  private bom = true;
  /** File offset where the current line starts. */
  private lineStart = 0;
  /**
   * The column at which the document's items (array elements, or keys of an object keyed by id)
   * start their lines, learnt from the first that does; -1 while none has (a document on one line).
   */
  private itemIndent = -1;
  /** In an element, where the items start their lines: no byte but white space read yet on this line. */
  private lineHead = false;
  /** Where the separator before the next item is (`,`, or the document's bracket): an item on a later line starts its line. */
  private separatorAt = 0;
  /** In `resync`: only white space read so far on this line. */
  private atLineStart = false;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: ScannerSink,
  ) {}

  /**
   * Reads one chunk that starts at file offset `base`. The bytes of an element (the hot path, every
   * byte of the file but a few) are read here; the bytes around elements by `between`.
   */
  feed(chunk: Buffer, base: number): void {
    let i = 0;
    if (this.bom && base === 0 && startsWithBom(chunk)) i = 3;
    this.bom = false;
    const n = chunk.length;
    if (this.phase === 'inValue') this.partStart = 0;
    if (this.phase === 'inKey') this.partStart = 0;
    for (; i < n && !this.stopped; i++) {
      const c = chunk[i];
      if (this.phase !== 'inValue') this.between(chunk, c, i, base);
      else if (this.inString) {
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
      } else if (this.lineHead && c !== 0x20 && c !== 0x09 && this.headStartsItem(chunk, c, i, base)) {
        // A line that starts the next item while this element is open (a bracket missing): the
        // element ends before it, damaged, and this byte is read again as the item's first.
        this.damaged(chunk, i);
        this.resync(chunk, c, i, base);
      } else if (c === 0x22) {
        this.inString = true;
      } else if (c === 0x7b || c === 0x5b) {
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) this.endValue(chunk, i + 1);
      }
      if (c === 0x0a) {
        this.line++;
        this.lineStart = base + i + 1;
        if (this.phase === 'inValue') {
          // A line break inside a string (a quote missing): the element ends here, damaged.
          if (this.inString) this.damaged(chunk, i + 1);
          else this.lineHead = this.depth > 0 && this.itemIndent >= 0;
        }
      }
    }
    // Keep the unfinished element's bytes from this chunk before the buffer is reused.
    if (this.phase === 'inValue' && !this.valueTooBig) this.keep(chunk.subarray(this.partStart, n));
    if (this.phase === 'inKey') this.keepKey(chunk.subarray(this.partStart, n));
  }

  end(): void {
    if (this.stopped) return;
    if (this.phase === 'inValue' && this.primitive) {
      this.endValue(Buffer.alloc(0), 0);
    }
    if (this.phase === 'resync') {
      this.sink.problem(this.line, 0, 'the JSON document ends before it is closed, with no item found after the damage above');
    } else if (this.phase === 'start') {
      this.topLevel = 'other';
      this.sink.problem(this.line, 0, 'the file is empty');
    } else if (this.phase !== 'done') {
      this.sink.problem(this.line, 0, 'the JSON document ends before it is closed (truncated file?)');
    }
  }

  /** One byte outside an element: the document's brackets, keys, colons, commas and white space. */
  private between(chunk: Buffer, c: number, i: number, base: number): void {
    switch (this.phase) {
      case 'start':
        if (isJsonSpace(c)) break;
        this.separatorAt = base + i;
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
        if (this.closes(c)) {
          this.phase = 'done';
          break;
        }
        if (this.itemIndent < 0 && this.lineStart > this.separatorAt) {
          this.itemIndent = base + i - this.lineStart;
        }
        if (this.topLevel === 'object') {
          if (c !== 0x22) this.fail(base + i, `expected a quoted key, found ${showByte(c)}`);
          else this.beginKey(i);
        } else this.beginValue(chunk, i, base);
        break;
      case 'inKey':
        this.keyByte(chunk, c, i, base);
        break;
      case 'afterKey':
        if (isJsonSpace(c)) break;
        if (c === 0x3a) this.phase = 'beforeValue';
        else this.fail(base + i, `expected ':' after key, found ${showByte(c)}`);
        break;
      case 'beforeValue':
        if (isJsonSpace(c)) break;
        this.beginValue(chunk, i, base);
        break;
      case 'afterValue':
        if (isJsonSpace(c)) break;
        if (c === 0x2c) {
          this.phase = 'beforeItem';
          this.separatorAt = base + i;
        } else if (this.closes(c)) this.phase = 'done';
        else this.fail(base + i, `expected ',' or the end of the ${this.topLevel}, found ${showByte(c)}`);
        break;
      case 'resync':
        this.resync(chunk, c, i, base);
        break;
      case 'done':
        if (!isJsonSpace(c) && !this.trailingReported) {
          this.trailingReported = true;
          this.sink.problem(this.line, base + i, 'unexpected content after the end of the JSON document');
          this.stopped = true;
        }
        break;
    }
  }

  /** Whether `c` closes the top-level array or object. */
  private closes(c: number): boolean {
    return (this.topLevel === 'array' && c === 0x5d) || (this.topLevel === 'object' && c === 0x7d);
  }

  private beginKey(i: number): void {
    this.phase = 'inKey';
    this.keyParts = [];
    this.keyLen = 0;
    this.keyTooBig = false;
    this.partStart = i;
    this.keyLine = this.line;
    this.escape = false;
  }

  private keyByte(chunk: Buffer, c: number, i: number, base: number): void {
    if (this.escape) this.escape = false;
    else if (c === 0x5c) this.escape = true;
    else if (c === 0x22) {
      this.keepKey(chunk.subarray(this.partStart, i + 1));
      this.phase = 'afterKey';
      if (this.keyTooBig) return;
      const raw = Buffer.concat(this.keyParts).toString('utf8');
      this.keyParts = [];
      try {
        this.key = JSON.parse(raw) as string;
      } catch {
        this.key = raw.slice(1, -1);
      }
    } else if (c === 0x0a) {
      this.fail(base + i, 'line break inside a key');
      this.atLineStart = true;
    }
  }

  /** Keep a piece of the key being read, up to the record size limit (a key is part of its record). */
  private keepKey(piece: Buffer): void {
    if (this.keyTooBig) return;
    if (this.keyLen + piece.length > this.maxBytes) {
      this.keyTooBig = true;
      this.keyParts = [];
      return;
    }
    this.keyParts.push(Buffer.from(piece));
    this.keyLen += piece.length;
  }

  private beginValue(chunk: Buffer, i: number, base: number): void {
    const c = chunk[i];
    this.phase = 'inValue';
    this.parts = [];
    this.partsLen = 0;
    this.partStart = i;
    this.valueOffset = base + i;
    this.valueLine = this.topLevel === 'object' ? this.keyLine : this.line;
    this.valueTooBig = this.topLevel === 'object' && this.keyTooBig;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.primitive = false;
    this.lineHead = false;
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
      const what = this.topLevel === 'object' && this.keyTooBig ? 'key is longer' : 'record is larger';
      this.sink.problem(this.valueLine, this.valueOffset, `${what} than ${formatBytes(this.maxBytes)}; skipped`);
    } else {
      const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
      this.sink.element(bytes, this.valueOffset, this.valueLine, key);
    }
    this.parts = [];
    this.partsLen = 0;
    this.phase = 'afterValue';
  }

  /**
   * The document's structure is broken here: say so, then read on from the next line that starts an
   * item (`resync`); a document that is no array or object stops here.
   */
  private fail(offset: number, message: string): void {
    this.sink.problem(this.line, offset, message);
    if (this.topLevel === 'array' || this.topLevel === 'object') {
      this.phase = 'resync';
      this.atLineStart = false;
    } else this.stopped = true;
  }

  /**
   * Whether `c`, the first byte but white space on a line inside an open element, starts the next
   * item: at the items' column, what starts an item (`{`, or `"key": {` read ahead on this line), or
   * what closes the document before that column. A key cut by the end of the chunk is not read as
   * one (the element then stays open, as it did before damage was looked for).
   */
  private headStartsItem(chunk: Buffer, c: number, i: number, base: number): boolean {
    this.lineHead = false;
    const col = base + i - this.lineStart;
    if (col < this.itemIndent) return this.closes(c);
    if (col > this.itemIndent) return false;
    if (this.topLevel === 'array') return c === 0x7b;
    if (c !== 0x22) return false;
    let q = i + 1;
    while (q < chunk.length && chunk[q] !== 0x22 && chunk[q] !== 0x0a) q += chunk[q] === 0x5c ? 2 : 1;
    q++;
    while (q < chunk.length && (chunk[q] === 0x20 || chunk[q] === 0x09)) q++;
    if (chunk[q] !== 0x3a) return false;
    q++;
    while (q < chunk.length && (chunk[q] === 0x20 || chunk[q] === 0x09)) q++;
    return chunk[q] === 0x7b;
  }

  /**
   * The open element is damaged: its bytes up to here go to the index as they are (which lists it
   * as a problem at its own line), and reading resumes at the next item (`resync`).
   */
  private damaged(chunk: Buffer, endExclusive: number): void {
    this.inString = false;
    this.lineHead = false;
    this.endValue(chunk, endExclusive);
    this.phase = 'resync';
    this.atLineStart = true;
  }

  /**
   * After damage: skip to the next line that starts at the items' column (any column while it is
   * not known) with what starts an item, and read it as one; a line that closes the document
   * before that column ends it.
   */
  private resync(chunk: Buffer, c: number, i: number, base: number): void {
    if (c === 0x0a) {
      this.atLineStart = true;
      return;
    }
    if (!this.atLineStart || c === 0x20 || c === 0x09 || c === 0x0d) return;
    this.atLineStart = false;
    const col = base + i - this.lineStart;
    if (this.closes(c) && (this.itemIndent < 0 || col < this.itemIndent)) {
      this.phase = 'done';
      return;
    }
    if (this.itemIndent >= 0 && col !== this.itemIndent) return;
    if (this.topLevel === 'object' ? c === 0x22 : c === 0x7b) {
      this.phase = 'beforeItem';
      this.separatorAt = -1;
      this.between(chunk, c, i, base);
    }
  }
}
