/**
 * The summary of a results file without an index: what `st-think summary` needs is counts, so the
 * records are tallied as they are read (summary.ts's Tally, the same code `summarise` runs over an
 * index) and only the records that take part in the category evidence across records
 * (categories.ts) are remembered, compactly: where they are in the file and for a candidate its
 * verdicts, which are tallied once the evidence has decided its category. The evidence is worked out
 * one of two ways, with the same result:
 * - 'memory': the option trigrams of candidates and reverse action questions are computed as the
 *   file is read and kept to the end (about 50 bytes a record taking part): fastest;
 * - 'reread': nothing but where the records are (17 bytes each); at the end, one video at a time,
 *   the records of the videos that have both kinds are read back and compared. Memory then stays
 *   near what reading the file costs, at the price of reading those records twice. Large files
 *   (REREAD_FROM_BYTES) take this way.
 */
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ActionPartners, PartnerRole, partnerRole } from '../categories';
import type { Scores } from '../derive';
import { normalise } from '../normalize';
import type { TraceRecord } from '../schemas';
import { FORMAT_VERDICTS, NA_REASONS, OUTCOMES, RULES, type ScoringRule } from '../vocabulary';
import { formatAt, outcomeAt, Tally, type Summary, type Tallied } from '../summary';
import { IndexBuilder } from './builder';
import { VideoNumbers } from './videoNumbers';
import { sniffFile, sniffFileSync } from './detect';
import { readJsonDocument } from './json';
import { readJsonl } from './jsonl';
import type { IndexOptions } from './types';

/**
 * Files from this size on work out the category evidence by reading records back ('reread'). On the
 * bench's worst case (60% of records take part) 'memory' peaks 12.8 MiB above start-up at 100 MB and
 * 25 MiB at 400 MB; 'reread' 7.6 and 11.5 MiB, but reads those records twice (+21% instructions at
 * 100 MB). Below this size 'memory' stays within the 16 MiB issue 10 allows.
 */
export const REREAD_FROM_BYTES = 128 << 20;

/**
 * The read buffer of a large file's summary (the 'reread' way): a quarter of the readers' 1 MiB, which
 * is that much less of its peak (the few more reads cost nothing measurable beside the read-back).
 */
const REREAD_CHUNK_BYTES = 256 << 10;

/** How often a large file's summary collects its garbage, where it may (see summariseFile). */
const GC_EVERY_BYTES = 64 << 20;

export interface SummaryOptions extends IndexOptions {
  /** How the category evidence is worked out (see the module comment); by default by the file's size. */
  evidence?: 'memory' | 'reread';
  /**
   * A full garbage collection, for a large file's summary to call (see summariseFile); by default
   * the runtime's `gc` where it has one (node --expose-gc), else none.
   */
  collect?: () => void;
}

/** A candidate's verdicts in 10 bits: mcq_infer, grpo_reward, n/a reason, format, no video. */
function verdictCode(a: Scores, noVideo: boolean): number {
  return (
    outcomeAt(a.mcq_infer.outcome) |
    (outcomeAt(a.grpo_reward.outcome) << 2) |
    ((a.na ? NA_REASONS.indexOf(a.na) + 1 : 0) << 4) |
    (formatAt(a.format) << 6) |
    (noVideo ? 1 << 9 : 0)
  );
}

/** A forward landmark-worded candidate's tally entry from its code, as the evidence decided it. */
function candidateTallied(code: number, action: boolean): Tallied {
  const na = (code >> 4) & 3;
  return {
    category: action ? 'action' : 'landmark',
    wordedAs: action ? 'landmark' : undefined,
    direction: 'forward',
    mcq: OUTCOMES[code & 3],
    grpo: OUTCOMES[(code >> 2) & 3],
    na: na ? NA_REASONS[na - 1] : undefined,
    format: FORMAT_VERDICTS[(code >> 6) & 3],
    noVideo: (code & (1 << 9)) !== 0,
  };
}

/**
 * A column of numbers in blocks of 8,192: it grows without copying what it holds, and holds at most
 * one block more than its use (a doubling array's copy would hold three times its use for a moment).
 * Blocks this large keep the large files' columns lean (smaller ones cost ~0.5 MiB more at 400 MB);
 * the one recompilation of `set` the first new block causes is cheap (callgrind: no difference).
 */
class Blocks<T extends Float64Array | Int32Array | Int16Array | Uint8Array> {
  private readonly blocks: T[] = [];
  constructor(private readonly make: (n: number) => T) {}

  set(i: number, v: number): void {
    const b = i >> 13;
    if (b === this.blocks.length) this.blocks.push(this.make(1 << 13));
    this.blocks[b][i & 8191] = v;
  }

  get(i: number): number {
    return this.blocks[i >> 13][i & 8191];
  }
}

export class SummaryBuilder extends IndexBuilder {
  readonly tally = new Tally();
  private records = 0;
  /** Per record taking part in the evidence: its bytes in the file, and a candidate's verdicts (-1: not a candidate). */
  private readonly offsets = new Blocks((n) => new Float64Array(n));
  private readonly lengths = new Blocks((n) => new Int32Array(n));
  private readonly codes = new Blocks((n) => new Int16Array(n));
  /** 'reread' only: each record's role and video (by number). */
  private readonly roles = new Blocks((n) => new Uint8Array(n));
  private readonly videos = new Blocks((n) => new Int32Array(n));
  private readonly videoIds = new VideoNumbers();
  private lastVideo: string | undefined;
  private lastVideoId = -1;
  /** 'reread': the number of videos, once reading is done and their names are let go (doneReading). */
  private videoCount = 0;
  private taking = 0;

  constructor(
    file: string,
    private readonly reread = false,
  ) {
    super(file);
  }

  override get recordCount(): number {
    return this.records;
  }

  protected override keep(r: TraceRecord, a: Scores, length: number, offset: number): void {
    this.records++;
    const role =
      r.category === 'landmark' || r.category === 'action'
        ? partnerRole(r.category, r.direction, r.categoryExplicit, r.categoryEvidence !== undefined, r.video)
        : 0;
    if (role !== PartnerRole.Candidate) {
      this.tally.add({
        category: r.category,
        wordedAs: r.wordedAs,
        direction: r.direction,
        mcq: a.mcq_infer.outcome,
        grpo: a.grpo_reward.outcome,
        na: a.na,
        format: a.format,
        noVideo: r.video === '',
      });
    }
    if (role === 0) return;
    const i = this.taking++;
    this.offsets.set(i, offset);
    this.lengths.set(i, length);
    this.codes.set(i, role === PartnerRole.Candidate ? verdictCode(a, r.video === '') : -1);
    if (!this.reread) return this.partners.add(i, role, r.question, r.options, r.video);
    this.roles.set(i, role);
    this.videos.set(i, this.videoId(r.video));
  }

  private videoId(video: string): number {
    if (video === this.lastVideo) return this.lastVideoId;
    this.lastVideo = video;
    return (this.lastVideoId = this.videoIds.numberOf(video));
  }

  /**
   * Once the whole file is read: the videos' names are no longer needed (each record keeps its
   * video's number), so they are let go before the evidence's read-back.
   */
  doneReading(): void {
    this.videoCount = this.videoIds.size;
    this.videoIds.clear();
    this.lastVideo = undefined;
  }

  /**
   * Once the whole file is read: let the evidence decide the candidates (reading back the reverse
   * landmark questions it needs) and tally them.
   */
  async decideCandidates(): Promise<void> {
    const action = new Uint8Array(this.taking);
    const decided = (i: number, partner: number) => (action[i] = partner >= 0 ? 1 : 0);
    if (this.reread) await this.decideByVideo(decided);
    else await this.partners.decide((indices) => this.readBack(indices), decided);
    for (let i = 0; i < this.taking; i++) if (this.codes.get(i) >= 0) this.tally.add(candidateTallied(this.codes.get(i), action[i] === 1));
  }

  /**
   * 'reread': the evidence one video at a time. The records taking part are put in order of their
   * video (file order kept within one); a video with a candidate and a reverse action question has
   * them read back and compared as `ActionPartners` compares them while reading, then decided.
   */
  private async decideByVideo(decided: (i: number, partner: number) => void): Promise<void> {
    const n = this.taking;
    const videoCount = this.videoCount;
    const start = new Int32Array(videoCount + 1);
    for (let i = 0; i < n; i++) start[this.videos.get(i) + 1]++;
    for (let v = 0; v < videoCount; v++) start[v + 1] += start[v];
    const order = new Int32Array(n);
    const next = start.slice(0, videoCount);
    for (let i = 0; i < n; i++) order[next[this.videos.get(i)]++] = i;
    const partners = new ActionPartners();
    for (let v = 0; v < videoCount; v++) {
      let kinds = 0;
      for (let k = start[v]; k < start[v + 1]; k++) kinds |= 1 << this.roles.get(order[k]);
      if (!(kinds & (1 << PartnerRole.Candidate)) || !(kinds & (1 << PartnerRole.ReverseAction))) continue;
      partners.clear();
      for (let k = start[v]; k < start[v + 1]; k++) {
        const i = order[k];
        const role = this.roles.get(i) as PartnerRole;
        // Reverse landmark questions are read only when a decision needs them (readBack).
        const rec = role === PartnerRole.ReverseLandmark ? undefined : this.readRecord(i);
        partners.add(i, role, rec?.question ?? '', rec?.options ?? [], 'v');
      }
      await partners.decide((indices) => this.readBack(indices), decided);
    }
  }

  /** The question and options of records taking part, read back from the file (a record that no longer parses is left out). */
  private async readBack(indices: number[]): Promise<Map<number, Pick<TraceRecord, 'question' | 'options'>>> {
    const out = new Map<number, Pick<TraceRecord, 'question' | 'options'>>();
    for (const i of indices) {
      const rec = this.readRecord(i);
      if (rec) out.set(i, rec);
    }
    return out;
  }

  private fd: number | undefined;
  private readBuf = Buffer.alloc(0);

  /** One record taking part, read back from the file now; undefined when it no longer parses (changed on disk). */
  private readRecord(i: number): Pick<TraceRecord, 'question' | 'options'> | undefined {
    this.fd ??= fs.openSync(this.file, 'r');
    const length = this.lengths.get(i);
    if (this.readBuf.length < length) this.readBuf = Buffer.allocUnsafe(Math.max(length, 64 << 10));
    const read = fs.readSync(this.fd, this.readBuf, 0, length, this.offsets.get(i));
    try {
      const res = normalise(JSON.parse(this.readBuf.toString('utf8', 0, read)), { line: 1 }, undefined, {
        light: true,
        wording: this.wording,
      });
      return res.ok ? res.record : undefined;
    } catch {
      return undefined;
    }
  }

  /** Close what reading back opened. */
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Read a results file once and summarise it under both rules, keeping no index. Throws
 * NotResultsFileError or IndexCancelledError, as indexing does.
 */
export async function summariseFile(file: string, opts: SummaryOptions = {}): Promise<Record<ScoringRule, Summary>> {
  const abs = path.resolve(file);
  // A command-line run (sync) sniffs with synchronous calls, which also give the size.
  const { format, size } = opts.sync
    ? sniffFileSync(abs, opts.format)
    : { format: await sniffFile(abs, opts.format), size: opts.evidence ? 0 : (await fsp.stat(abs)).size };
  const reread = (opts.evidence ?? (size >= REREAD_FROM_BYTES ? 'reread' : 'memory')) === 'reread';
  const b = new SummaryBuilder(abs, reread);
  // Where the runtime lets a program collect (st-think passes `collect`): a large file (the
  // 'reread' way, which trades time for flat memory) is collected every GC_EVERY_BYTES read and once
  // before the evidence's read-back adds its own garbage, so the peak stays near what reading needs.
  // A smaller file ('memory') is not: its read-back is of a few questions, and the full collection
  // cost 4–8 ms of the 100 MB bench file's summary for 0.5 MiB less peak (docs/benchmarks.md).
  const gc = opts.collect ?? (globalThis as { gc?: () => void }).gc;
  let collected = 0;
  const readOpts: SummaryOptions =
    reread && gc
      ? {
          ...opts,
          chunkSize: opts.chunkSize ?? REREAD_CHUNK_BYTES,
          onProgress: (done, total) => {
            if (done - collected >= GC_EVERY_BYTES) {
              collected = done;
              gc();
            }
            opts.onProgress?.(done, total);
          },
        }
      : opts;
  try {
    if (format === 'json') await readJsonDocument(b, readOpts);
    else await readJsonl(b, readOpts, 0, 1);
    b.doneReading();
    if (reread) gc?.();
    await b.decideCandidates();
  } finally {
    b.close();
  }
  return Object.fromEntries(RULES.map((rule) => [rule, b.tally.summary(abs, b.problemCount, rule)])) as Record<ScoringRule, Summary>;
}
