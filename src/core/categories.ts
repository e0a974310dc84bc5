/**
 * Categories as the data means them: evidence, beyond a question's wording, of what it asks.
 *
 * Upstream words its forward **action** questions as landmark questions ("which landmarks … to reach
 * your destination?"). Two kinds of evidence in a file say such a question is an action question:
 * - its reference chain (ST-R1 rows' `solution`) opens with the action question (normalise reads
 *   the opening: chainOpeningCategory in derive.ts);
 * - with no reference chain: the file holds the **reverse action question on the same video**, and
 *   its options share their action phrases with this question's options (upstream builds both
 *   questions' options from the same action phrases). This module measures that sharing, and the
 *   index applies it across the records of a file (ActionPartners).
 * An explicit category field wins over both.
 *
 * The measure: the number of distinct word trigrams (three words in a row, inside one option) that
 * the two questions' option texts have in common. Words are runs of ASCII letters and digits (folded
 * to lower case) and of characters outside ASCII other than the Latin-1 and general punctuation
 * blocks; everything else separates words. An option is an item of the record's option list, or an
 * option embedded in the question text, split as `parseEmbeddedOptions` splits them (the letters
 * are not words; a trigram never spans two options).
 *
 * On the 126 shared ST-R1 rows every landmark question (forward or reverse, 36) shares at most 2
 * trigrams with any reverse action question of the file (20), on any video; the 7 forward action
 * questions that have their reverse partner in the file share 7 to 40 with it. A landmark-worded
 * forward question is taken for an action question when a reverse action question on its video
 * shares ACTION_PHRASES_MIN (5) or more, and no reverse **landmark** question on that video shares
 * as many (a genuine landmark question shares its landmark names with its own reverse partner).
 * Trigrams are compared by a 32-bit hash of their words: two different trigrams count as one only
 * when their hashes collide (about 1 in 4·10⁹ per pair).
 */
import type { Category, Direction, OptionItem, TraceRecord } from './schemas';

/** Shared option trigrams from which a landmark-worded forward question is an action question. */
export const ACTION_PHRASES_MIN = 5;

/** Why a record's category is not what its wording reads as (see TraceRecord.categoryEvidence). */
export type CategoryEvidence = { kind: 'reference-chain' } | { kind: 'reverse-action'; line: number; id: string; sharedPhrases: number };

/** The one object for chain evidence: normalise runs once per record and allocates none for it. */
export const CHAIN_EVIDENCE: CategoryEvidence = Object.freeze({ kind: 'reference-chain' }) as CategoryEvidence;

// --- words and trigrams -------------------------------------------------------------------------

/** A character that belongs to a word (see the module comment). */
function isWordChar(c: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
  if (c <= 0xbf) return false;
  if (c >= 0x2000 && c <= 0x206f) return false;
  if (c >= 0x3000 && c <= 0x303f) return false;
  return c !== 0xfeff;
}

/** JavaScript's `\s`, as the option regular expressions of derive.ts (and the schemas' /\S/) read it. */
export function isJsSpace(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * The trigram hashes of the record being scanned, in one buffer per thread reused for every record.
 * Scanning is on the index's hot path: plain loops, state in locals, nothing allocated.
 */
let buf = new Int32Array(1024);
let count = 0;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** ASCII: the lower-case code of a word character (letters folded), 0 for any other character. */
const ASCII_WORD = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) ASCII_WORD[c] = c;
for (let c = 0x61; c <= 0x7a; c++) ASCII_WORD[c] = ASCII_WORD[c - 0x20] = c;

/**
 * The code units of the text being scanned, copied by Buffer's native write (UTF-16LE) into one
 * array per thread: reading a typed array skips the check of the string's representation that
 * `charCodeAt` makes on every call (about 15% fewer instructions for the scan, in callgrind; the
 * cost that stays is the data's: whether a character ends a word is not predictable). Made on first
 * use (the webview bundle has no Buffer).
 */
let units = new Uint16Array(0);
/** `units` as a Buffer, with Node's UTF-16LE writer (Buffer#ucs2Write: `write` less its argument checks, ~500 instructions a call). */
let unitBytes: (Buffer & { ucs2Write?: (s: string, offset: number, length: number) => number }) | undefined;

/** Copy s[from, to) into `units` (from 0); returns its length. */
function loadUnits(s: string, from: number, to: number): number {
  const n = to - from;
  if (unitBytes === undefined || units.length < n) {
    units = new Uint16Array(Math.max(1024, n * 2));
    unitBytes = Buffer.from(units.buffer, units.byteOffset, units.byteLength);
  }
  const text = from === 0 && to === s.length ? s : s.slice(from, to);
  if (unitBytes.ucs2Write !== undefined) unitBytes.ucs2Write(text, 0, n * 2);
  else unitBytes.write(text, 0, n * 2, 'utf16le');
  return n;
}

/** True when u[i, i + 12) spells "Instructions". */
function spellsInstructions(u: Uint16Array, i: number, n: number): boolean {
  if (i + 12 > n) return false;
  for (let k = 0; k < 12; k++) if (u[i + k] !== INSTRUCTIONS_UNITS[k]) return false;
  return true;
}
const INSTRUCTIONS_UNITS = Array.from('Instructions', (ch) => ch.charCodeAt(0));

/**
 * The words of s[from, to) form trigrams in options; a new option starts at `from` and after every
 * marker `(^|[,\n;])\s*X[.)]` whose letter is the next expected one, when `markers` is set (options
 * embedded in a question: text before the first marker belongs to no option; a blank line or
 * "Instructions:" ends them); else s[from, to) is one option. Written for the index's hot path:
 * plain loops over the copied code units, no call or allocation per character.
 */
function scanOptions(s: string, from: number, to: number, markers: boolean): void {
  const end = loadUnits(s, from, to);
  // A trigram per word at most, a word per two code units at most: room for all, so the loop never checks.
  const room = count + (end >> 1) + 2;
  if (buf.length < room) {
    const b = new Int32Array(Math.max(room, buf.length * 2));
    b.set(buf.subarray(0, count));
    buf = b;
  }
  const a = buf;
  const u = units;
  const lower = ASCII_WORD;
  let n = count;
  let w1 = 0;
  let w2 = 0;
  let words = 0;
  let inOption = !markers;
  let expected = 0x41;
  // With markers, the body's start counts as a separator (`^`).
  let i = markers ? separatorAt(u, 0, end, 0x41) : 0;
  if (i < 0) {
    count = n;
    return;
  }
  if (markers && i > 0) {
    // separatorAt found the first marker at once.
    inOption = true;
    expected++;
  }
  for (; i < end; i++) {
    const c = u[i];
    const w = c < 0x80 ? lower[c] : isWordChar(c) ? c : 0;
    if (w !== 0) {
      if (c === 0x49 && markers && (i === 0 || !isRegexWordChar(u[i - 1])) && endsAtInstructions(u, i, end)) break;
      // The rest of the word in a loop of its own: few live values, so they stay in registers.
      let h = Math.imul(FNV_OFFSET ^ w, FNV_PRIME);
      let j = i + 1;
      while (j < end) {
        const d = u[j];
        const x = d < 0x80 ? lower[d] : isWordChar(d) ? d : 0;
        if (x === 0) break;
        h = Math.imul(h ^ x, FNV_PRIME);
        j++;
      }
      if (inOption) {
        if (words >= 2) a[n++] = Math.imul(Math.imul(w1, 0x9e3779b1) ^ w2, 0x85ebca77) ^ h;
        w1 = w2;
        w2 = h;
        words++;
      }
      // u[j] (when j < end) ends the word: the loop's next step reads it as a separator.
      i = j - 1;
      continue;
    }
    if (markers && (c === 0x2c || c === 0x0a || c === 0x3b)) {
      const j = separatorAt(u, i + 1, end, expected);
      if (j === -1) {
        count = n;
        return;
      }
      if (j > 0) {
        words = 0;
        inOption = true;
        expected++;
        i = j - 1;
      }
    }
  }
  count = n;
}

/**
 * After a separator (at i - 1, or the start): white space, then perhaps the marker of letter
 * `expected`. Returns where the option after the marker starts, 0 when there is no marker, -1 when
 * a blank line (\n\s*\n) ends the options.
 */
function separatorAt(u: Uint16Array, i: number, end: number, expected: number): number {
  let newline = i > 0 && u[i - 1] === 0x0a;
  let j = i;
  while (j < end) {
    const d = u[j];
    if (d === 0x0a) {
      if (newline) return -1;
      newline = true;
    } else if (!isJsSpace(d)) break;
    j++;
  }
  if (j + 1 < end && u[j] === expected && (u[j + 1] === 0x2e || u[j + 1] === 0x29)) return j + 2;
  return 0;
}

/** True when u[i…] reads "Instructions", white space, ":". */
function endsAtInstructions(u: Uint16Array, i: number, end: number): boolean {
  if (!spellsInstructions(u, i, end)) return false;
  let j = i + 12;
  while (j < end && isJsSpace(u[j])) j++;
  return j < end && u[j] === 0x3a;
}

const OPTIONS_MARKER = /Options\s*:/i;

/** `\w` of a regular expression without the u flag. */
function isRegexWordChar(c: number): boolean {
  const lc = c | 0x20;
  return (lc >= 0x61 && lc <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

/**
 * The options embedded in a question, split as parseEmbeddedOptions (derive.ts) splits them: after
 * the first "Options:" (when there is none: the first "options" in any letter case with white space
 * before its colon), up to a blank line or "Instructions:", at markers `(^|[,\n;])\s*X[.)]` whose
 * letters run A, B, C… in order. (parseEmbeddedOptions takes the first of any spelling: the two
 * differ only for a question that spells "options:" otherwise before its "Options:".)
 */
function scanEmbedded(q: string): void {
  let i = q.indexOf('Options:');
  if (i < 0) {
    const m = OPTIONS_MARKER.exec(q);
    if (!m) return;
    i = m.index + m[0].length;
  } else i += 8;
  scanOptions(q, i, q.length, true);
}

/**
 * Collect the option trigrams of a question into `buf` (see optionPhrases): sorted, each once;
 * returns how many.
 */
function collectPhrases(options: readonly OptionItem[], question: string): number {
  count = 0;
  if (options.length) {
    for (let k = 0; k < options.length; k++) scanOptions(options[k].text, 0, options[k].text.length, false);
  } else scanEmbedded(question);
  const a = buf;
  const n = count;
  // The typed array's own sort (native, no comparator): fewer instructions than an insertion sort
  // in JavaScript even on the dozen or so trigrams of a question (callgrind: ~1,200 fewer a question).
  a.subarray(0, n).sort();
  let k = 0;
  for (let i = 0; i < n; i++) if (k === 0 || a[i] !== a[k - 1]) a[k++] = a[i];
  return (count = k);
}

/**
 * The option trigrams of a question: of its option list when it has one, else of the options
 * embedded in its text. Sorted, distinct 32-bit hashes.
 */
export function optionPhrases(record: Pick<TraceRecord, 'question' | 'options'>): Int32Array {
  const n = collectPhrases(record.options, record.question);
  return buf.slice(0, n); // after the call: it may have replaced `buf`
}

/** How many values a[aFrom, aFrom + aN) and b[bFrom, bFrom + bN) have in common, both sorted and distinct. */
function sharedIn(a: ArrayLike<number>, aFrom: number, aN: number, b: ArrayLike<number>, bFrom: number, bN: number): number {
  let i = aFrom;
  let j = bFrom;
  const aEnd = aFrom + aN;
  const bEnd = bFrom + bN;
  let n = 0;
  while (i < aEnd && j < bEnd) {
    const x = a[i];
    const y = b[j];
    // Steps that run on every pass, not three branches: V8 has then seen each before it optimises
    // this (the first shared trigram, often met only after that, threw the optimised code back).
    n += x === y ? 1 : 0;
    if (x <= y) i++;
    if (x >= y) j++;
  }
  return n;
}

/** How many values two arrays of trigram hashes as optionPhrases gives them (sorted, distinct) have in common. */
export function sharedPhrases(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return sharedIn(a, 0, a.length, b, 0, b.length);
}

// --- which records take part --------------------------------------------------------------------

/** What a record is to the cross-record evidence: a candidate, a reverse action or landmark question, or nothing. */
export type PartnerRole = 0 | 1 | 2 | 3;
export const PartnerRole = {
  None: 0,
  /** Worded as a forward landmark question, category not explicit, no reference chain read. */
  Candidate: 1,
  ReverseAction: 2,
  ReverseLandmark: 3,
} as const;

/**
 * A record with no video ("video": "") takes no part: records without a video are not questions on
 * one video (and were linked, before, only when such a record came after another video's).
 */
export function partnerRole(
  category: Category,
  direction: Direction,
  categoryExplicit: boolean,
  hasEvidence: boolean,
  video: string,
): PartnerRole {
  if (video === '') return PartnerRole.None;
  if (direction === 'reverse') {
    return category === 'action' ? PartnerRole.ReverseAction : category === 'landmark' ? PartnerRole.ReverseLandmark : PartnerRole.None;
  }
  return category === 'landmark' && !categoryExplicit && !hasEvidence ? PartnerRole.Candidate : PartnerRole.None;
}

// --- the index's file-level pass ----------------------------------------------------------------

/** The option trigrams of the records that take part, kept compactly for the whole file. */
export interface PackedPhrases {
  /** Per record: entry index, role, start in `pool`, length (-1: not computed yet). */
  records: Int32Array;
  count: number;
  pool: Int32Array;
  used: number;
}

interface Entryish {
  line: number;
  id: string;
  video: string;
  category: Category;
  wordedAs?: Category;
  evidence?: CategoryEvidence;
}

/**
 * Per record in ActionPartners: entry index, role, start and length of its trigrams (length -1:
 * not computed), the next record of its video, for a candidate the most trigrams a reverse action
 * question of its video shares with it and that question's record (-1: none yet), and its video.
 */
const ENTRY = 0;
const ROLE = 1;
const START = 2;
const LENGTH = 3;
const NEXT = 4;
const BEST = 5;
const PARTNER = 6;
const VIDEO = 7;
const FIELDS = 8;

/** Per video: it has a candidate, a reverse action question, a candidate that shares enough with one. */
const HAS_CANDIDATE = 1;
const HAS_ACTION = 2;
const HAS_PASSING = 4;
const NO_OPTIONS: readonly OptionItem[] = Object.freeze([]);
/** PartnerRole values as plain constants for the loops below. */
const ROLE_CANDIDATE = 1;
const ROLE_ACTION = 2;
const ROLE_LANDMARK = 3;

/**
 * Storage of ActionPartners: the records in blocks of REC_BLOCK (FIELDS ints each) and the trigrams
 * in a pool of blocks of POOL_BLOCK ints, a record's trigrams within one block (a record with more
 * than a block's worth gets a block of its own). The first block of each grows by doubling up to
 * its full size; after that, blocks are added and nothing is copied: a doubling array left its old
 * copies as garbage that only a full collection frees (6 MiB of the summary's peak on the 100 MB
 * bench file). A record's START is its block's number times POOL_BLOCK plus where it starts in it.
 * The blocks are small (1,024 records, 4,096 trigrams) so that adding one happens early, before V8
 * optimises `link` and `store`: an optimised function meeting a path it has no type feedback for is
 * thrown back to the interpreter and compiled again (blocks of 4,096 records and 65,536 trigrams
 * cost ~50 M instructions more on the 100 MB bench file that way; callgrind). Smaller blocks still
 * would cost the extension's index ~1 byte a record more in block headers.
 */
const REC_SHIFT = 10;
const REC_BLOCK = 1 << REC_SHIFT;
const REC_MASK = REC_BLOCK - 1;
const POOL_SHIFT = 12;
const POOL_BLOCK = 1 << POOL_SHIFT;
const POOL_MASK = POOL_BLOCK - 1;

/**
 * The evidence pass over a file, done as the records are indexed (`add`, on the hot path):
 * candidates and reverse action questions have their option trigrams computed at once and are
 * compared with the records of the other kind already seen on their video; reverse landmark
 * questions are only noted (their trigrams are read when a decision needs them). A candidate that
 * shares ACTION_PHRASES_MIN or more with a reverse action question awaits `resolve`, which checks
 * the reverse landmark questions of its video and sets its entry's category. Appended records
 * continue the same pass.
 */
export class ActionPartners {
  private recs: Int32Array[] = [new Int32Array(FIELDS * 64)];
  private count = 0;
  private pools: Int32Array[] = [new Int32Array(1024)];
  /** Ints used in the last block of the pool. */
  private used = 0;
  /** Per video (by number): its first and last record and what it has (HAS_*). */
  private readonly videoIds = new Map<string, number>();
  private first = new Int32Array(64);
  private last = new Int32Array(64);
  private kinds = new Uint8Array(64);
  private lastVideo = '';
  private lastVideoId = -1;
  /** Candidates whose decision `resolve` is to make (again). */
  private pending: number[] = [];

  get size(): number {
    return this.count;
  }

  /**
   * Take part with a record just indexed as entry `entry` (its role not None). Kept to one call so
   * that it adds little to the indexer's per-record function when V8 inlines it; the work is in
   * `link`, too large to be inlined (the indexer's own calls keep their inlining).
   */
  add(entry: number, role: PartnerRole, question: string, options: readonly OptionItem[], video: string): void {
    this.link(entry, role, question, options, video, -1, -1);
  }

  private get(i: number, field: number): number {
    return this.recs[i >> REC_SHIFT][(i & REC_MASK) * FIELDS + field];
  }

  private put(i: number, field: number, v: number): void {
    this.recs[i >> REC_SHIFT][(i & REC_MASK) * FIELDS + field] = v;
  }

  /** Trigrams in common between records i and j (a record whose trigrams are not computed has none). */
  private shared(i: number, j: number): number {
    const si = this.get(i, START);
    const sj = this.get(j, START);
    const ni = this.get(i, LENGTH);
    const nj = this.get(j, LENGTH);
    if (ni <= 0 || nj <= 0) return 0;
    return sharedIn(this.pools[si >> POOL_SHIFT], si & POOL_MASK, ni, this.pools[sj >> POOL_SHIFT], sj & POOL_MASK, nj);
  }

  /** Append keys[from, from + n) to the pool; returns the START that finds them. */
  private store(keys: Int32Array, n: number, from: number): number {
    let b = this.pools.length - 1;
    let block = this.pools[b];
    if (this.used + n > block.length) {
      if (b === 0 && this.used + n <= POOL_BLOCK) {
        // The first block doubles up to its full size (a small file keeps a small pool).
        const grown = new Int32Array(Math.min(POOL_BLOCK, Math.max(block.length * 2, this.used + n)));
        grown.set(block.subarray(0, this.used));
        this.pools[0] = block = grown;
      } else {
        block = new Int32Array(Math.max(POOL_BLOCK, n));
        this.pools.push(block);
        b++;
        this.used = 0;
      }
    }
    const at = this.used;
    for (let i = 0; i < n; i++) block[at + i] = keys[from + i];
    // A block of its own (more than POOL_BLOCK keys) is full: the next record starts another.
    this.used = n > POOL_BLOCK ? block.length : at + n;
    return b * POOL_BLOCK + at;
  }

  /** Room for record `i` (the next one). */
  private grow(i: number): void {
    const b = i >> REC_SHIFT;
    if (b === this.recs.length) {
      this.recs.push(new Int32Array(REC_BLOCK * FIELDS));
      return;
    }
    const block = this.recs[b];
    if ((i & REC_MASK) * FIELDS === block.length) {
      // A short block (the first, or the last after `trim`) doubles up to its full size.
      const grown = new Int32Array(Math.min(REC_BLOCK * FIELDS, block.length * 2));
      grown.set(block);
      this.recs[b] = grown;
    }
  }

  private videoId(video: string): number {
    // Neighbouring records often share a video (and the index one string per video).
    if (video === this.lastVideo) return this.lastVideoId;
    let v = this.videoIds.get(video);
    if (v === undefined) {
      v = this.videoIds.size;
      this.videoIds.set(video, v);
      if (v === this.first.length) {
        const n = Math.max(64, v * 2);
        const first = new Int32Array(n);
        first.set(this.first);
        this.first = first;
        const last = new Int32Array(n);
        last.set(this.last);
        this.last = last;
        const kinds = new Uint8Array(n);
        kinds.set(this.kinds);
        this.kinds = kinds;
      }
      this.first[v] = -1;
    }
    this.lastVideo = video;
    return (this.lastVideoId = v);
  }

  /** Add a record to its video's list and compare it with the records of the other kind there. */
  private link(
    entry: number,
    role: PartnerRole,
    question: string | undefined,
    options: readonly OptionItem[],
    video: string,
    start: number,
    length: number,
  ): void {
    if (question !== undefined && role !== ROLE_LANDMARK) {
      // A candidate or reverse action question: its option trigrams now, into the pool.
      length = collectPhrases(options, question);
      start = this.store(buf, length, 0);
    }
    const i = this.count;
    this.grow(i);
    this.count++;
    const v = this.videoId(video);
    const r = this.recs[i >> REC_SHIFT];
    const k = (i & REC_MASK) * FIELDS;
    r[k + ENTRY] = entry;
    r[k + ROLE] = role;
    r[k + START] = start;
    r[k + LENGTH] = length;
    r[k + NEXT] = -1;
    r[k + BEST] = -1;
    r[k + PARTNER] = -1;
    r[k + VIDEO] = v;
    const kinds = this.kinds[v];
    if (this.first[v] < 0) this.first[v] = i;
    else this.put(this.last[v], NEXT, i);
    this.last[v] = i;
    if (role === ROLE_CANDIDATE) {
      this.kinds[v] = kinds | HAS_CANDIDATE;
      if (kinds & HAS_ACTION) {
        for (let a = this.first[v]; a >= 0; a = this.get(a, NEXT)) {
          if (this.get(a, ROLE) === ROLE_ACTION) this.offer(i, a, this.shared(i, a), v);
        }
      }
    } else if (role === ROLE_ACTION) {
      this.kinds[v] = kinds | HAS_ACTION;
      if (kinds & HAS_CANDIDATE) {
        for (let c = this.first[v]; c >= 0; c = this.get(c, NEXT)) {
          if (this.get(c, ROLE) === ROLE_CANDIDATE) this.offer(c, i, this.shared(c, i), v);
        }
      }
    } else if (kinds & HAS_PASSING) {
      // A reverse landmark question can take back what an action partner gave.
      for (let c = this.first[v]; c >= 0; c = this.get(c, NEXT)) {
        if (this.get(c, ROLE) === ROLE_CANDIDATE && this.get(c, BEST) >= ACTION_PHRASES_MIN) this.pending.push(c);
      }
    }
  }

  /** Reverse action question `a` shares `n` trigrams with candidate `c`: the first that shares the most is its partner. */
  private offer(c: number, a: number, n: number, v: number): void {
    if (n <= this.get(c, BEST)) return;
    this.put(c, BEST, n);
    this.put(c, PARTNER, a);
    if (n >= ACTION_PHRASES_MIN) {
      this.kinds[v] |= HAS_PASSING;
      this.pending.push(c);
    }
  }

  /** Forget every record, keeping the first blocks for the next use (the summary's pass over one video at a time). */
  clear(): void {
    this.count = 0;
    this.recs.length = 1;
    this.pools.length = 1;
    this.used = 0;
    this.videoIds.clear();
    this.lastVideo = '';
    this.lastVideoId = -1;
    this.pending = [];
  }

  /**
   * Give back what the last blocks hold beyond their use: once a file is indexed, its index keeps
   * them for as long as it is open. Appends grow them again.
   */
  trim(): void {
    const rb = this.recs.length - 1;
    const inLast = this.count - rb * REC_BLOCK;
    if (this.recs[rb].length > inLast * FIELDS) this.recs[rb] = this.recs[rb].slice(0, Math.max(FIELDS, inLast * FIELDS));
    const pb = this.pools.length - 1;
    if (this.pools[pb].length > this.used) this.pools[pb] = this.pools[pb].slice(0, Math.max(1, this.used));
    const videos = this.videoIds.size;
    if (this.first.length > videos) {
      this.first = this.first.slice(0, videos);
      this.last = this.last.slice(0, videos);
      this.kinds = this.kinds.slice(0, videos);
    }
  }

  /** For a worker's half: the records and trigrams, entry indices as they are, the trigrams in one array. */
  pack(): PackedPhrases {
    const records = new Int32Array(this.count * 4);
    let used = 0;
    for (let i = 0; i < this.count; i++) used += Math.max(0, this.get(i, LENGTH));
    const pool = new Int32Array(used);
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      const len = this.get(i, LENGTH);
      records[i * 4] = this.get(i, ENTRY);
      records[i * 4 + 1] = this.get(i, ROLE);
      records[i * 4 + 3] = len;
      if (len <= 0) {
        records[i * 4 + 2] = len < 0 ? -1 : at;
        continue;
      }
      const s = this.get(i, START);
      const block = this.pools[s >> POOL_SHIFT];
      pool.set(block.subarray(s & POOL_MASK, (s & POOL_MASK) + len), at);
      records[i * 4 + 2] = at;
      at += len;
    }
    return { records, count: this.count, pool, used };
  }

  /**
   * Append a worker's half (its records after this thread's, in file order), entry indices shifted
   * by `entryShift`; its entries are already in `entries`. Its records are compared again here, with
   * this half's as well.
   */
  merge(p: PackedPhrases, entryShift: number, entries: readonly Entryish[]): void {
    for (let i = 0; i < p.count; i++) {
      const k = i * 4;
      const len = p.records[k + 3];
      const entry = p.records[k] + entryShift;
      this.link(
        entry,
        p.records[k + 1] as PartnerRole,
        undefined,
        NO_OPTIONS,
        entries[entry].video,
        len < 0 ? -1 : this.store(p.pool, len, p.records[k + 2]),
        len,
      );
    }
  }

  /**
   * Decide the candidates that await it: an action question when its partner shares more trigrams
   * than every reverse landmark question on its video, else a landmark question. `readPhrases`
   * supplies the records of reverse landmark questions whose trigrams were not computed yet (read
   * back from the file; by entry index); it may leave some out (a record changed on disk), which
   * then share nothing. `decided` hears each decision: the candidate's entry index, its partner's
   * (-1: a landmark question) and the trigrams they share.
   */
  async decide(
    readPhrases: (entryIndices: number[]) => Promise<Map<number, Pick<TraceRecord, 'question' | 'options'>>>,
    decided: (entry: number, partnerEntry: number, share: number) => void,
  ): Promise<void> {
    if (!this.pending.length) return;
    const todo = [...new Set(this.pending)];
    this.pending = [];
    const needed = new Set<number>();
    for (const c of todo) {
      for (let k = this.first[this.get(c, VIDEO)]; k >= 0; k = this.get(k, NEXT))
        if (this.get(k, ROLE) === ROLE_LANDMARK && this.get(k, LENGTH) < 0) needed.add(k);
    }
    if (needed.size) {
      const read = await readPhrases([...needed].map((l) => this.get(l, ENTRY)));
      for (const l of needed) {
        const rec = read.get(this.get(l, ENTRY));
        const n = rec ? collectPhrases(rec.options, rec.question) : 0;
        this.put(l, START, this.store(buf, n, 0));
        this.put(l, LENGTH, n);
      }
    }
    for (const c of todo) {
      const share = this.get(c, BEST);
      let partner = share >= ACTION_PHRASES_MIN ? this.get(c, PARTNER) : -1;
      if (partner >= 0) {
        for (let k = this.first[this.get(c, VIDEO)]; k >= 0 && partner >= 0; k = this.get(k, NEXT)) {
          if (this.get(k, ROLE) === ROLE_LANDMARK && this.shared(c, k) >= share) partner = -1;
        }
      }
      decided(this.get(c, ENTRY), partner < 0 ? -1 : this.get(partner, ENTRY), share);
    }
  }

  /** `decide`, setting each decided entry's category and evidence. Returns how many entries changed category. */
  async resolve(
    entries: Entryish[],
    readPhrases: (entryIndices: number[]) => Promise<Map<number, Pick<TraceRecord, 'question' | 'options'>>>,
  ): Promise<number> {
    let changed = 0;
    await this.decide(readPhrases, (entry, partnerEntry, share) => {
      const e = entries[entry];
      const before = e.category;
      if (partnerEntry < 0) {
        e.category = 'landmark';
        e.wordedAs = undefined;
        e.evidence = undefined;
      } else {
        const p = entries[partnerEntry];
        e.category = 'action';
        e.wordedAs = 'landmark';
        e.evidence = { kind: 'reverse-action', line: p.line, id: p.id, sharedPhrases: share };
      }
      if (e.category !== before) changed++;
    });
    return changed;
  }
}

// --- words for people ---------------------------------------------------------------------------

/** "action (worded as landmark)", or the category alone. */
export function categoryLabel(r: { category: Category; wordedAs?: Category }): string {
  return r.wordedAs && r.wordedAs !== r.category ? `${r.category} (worded as ${r.wordedAs})` : r.category;
}

/** Where a record's category comes from, in words: the field, the wording, or the evidence. */
export function categorySource(r: { categoryExplicit: boolean; wordedAs?: Category; categoryEvidence?: CategoryEvidence }): string {
  if (r.categoryExplicit) return 'from its category field';
  const ev = r.categoryEvidence;
  if (!r.wordedAs || !ev) return 'from its wording';
  if (ev.kind === 'reference-chain') return 'from its reference chain, which opens with the action question';
  return (
    `from the reverse action question on line ${ev.line} (id ${ev.id}), ` +
    `whose options share ${ev.sharedPhrases} three-word phrases with this question's`
  );
}
