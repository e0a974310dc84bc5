/**
 * The summary of a results file without an index: what `st-think summary` needs is counts, so the
 * records are tallied as they are read (summary.ts's Tally, the same code `summarise` runs over an
 * index) and only the records that take part in the category evidence across records
 * (categories.ts) are remembered, compactly: where they are in the file, their option trigrams,
 * and for a candidate its verdicts, which are tallied once the evidence has decided its category.
 * Memory then grows with those records only (about 50 bytes each), not with the file.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { PartnerRole, partnerRole } from '../categories';
import type { Scores } from '../derive';
import { normalise } from '../normalize';
import { FORMAT_VERDICTS, NA_REASONS, OUTCOMES, RULES, type ScoringRule, type TraceRecord } from '../schemas';
import { Tally, type Summary, type Tallied } from '../summary';
import { IndexBuilder } from './builder';
import { sniffFile } from './detect';
import { readJsonDocument } from './json';
import { readJsonl } from './jsonl';
import type { IndexOptions } from './types';

/** A candidate's verdicts in 10 bits: mcq_infer, grpo_reward, n/a reason, format, no video. */
function verdictCode(a: Scores, noVideo: boolean): number {
  return (
    OUTCOMES.indexOf(a.mcq_infer.outcome) |
    (OUTCOMES.indexOf(a.grpo_reward.outcome) << 2) |
    ((a.na ? NA_REASONS.indexOf(a.na) + 1 : 0) << 4) |
    (FORMAT_VERDICTS.indexOf(a.format) << 6) |
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

export class SummaryBuilder extends IndexBuilder {
  readonly tally = new Tally();
  private records = 0;
  /** Per record taking part in the evidence: its bytes in the file, and a candidate's verdicts (-1: not a candidate). */
  private offsets = new Float64Array(256);
  private lengths = new Int32Array(256);
  private codes = new Int16Array(256);
  private taking = 0;

  override get recordCount(): number {
    return this.records;
  }

  protected override keep(r: TraceRecord, a: Scores, length: number, offset: number): void {
    this.records++;
    const role =
      r.category === 'landmark' || r.category === 'action'
        ? partnerRole(r.category, r.direction, r.categoryExplicit, r.categoryEvidence !== undefined)
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
    if (i === this.offsets.length) this.grow();
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.codes[i] = role === PartnerRole.Candidate ? verdictCode(a, r.video === '') : -1;
    this.partners.add(i, role, r.question, r.options, r.video);
  }

  private grow(): void {
    const n = this.offsets.length * 2;
    const offsets = new Float64Array(n);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const lengths = new Int32Array(n);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const codes = new Int16Array(n);
    codes.set(this.codes);
    this.codes = codes;
  }

  /**
   * Once the whole file is read: let the evidence decide the candidates (reading back the reverse
   * landmark questions it needs) and tally them.
   */
  async decideCandidates(): Promise<void> {
    const action = new Uint8Array(this.taking);
    await this.partners.decide(
      (indices) => this.readBack(indices),
      (i, partner) => (action[i] = partner >= 0 ? 1 : 0),
    );
    for (let i = 0; i < this.taking; i++) if (this.codes[i] >= 0) this.tally.add(candidateTallied(this.codes[i], action[i] === 1));
  }

  /** The question and options of records taking part, read back from the file (a record that no longer parses is left out). */
  private async readBack(indices: number[]): Promise<Map<number, Pick<TraceRecord, 'question' | 'options'>>> {
    const out = new Map<number, Pick<TraceRecord, 'question' | 'options'>>();
    const fh = await fsp.open(this.file, 'r');
    try {
      for (const i of indices) {
        const buf = Buffer.alloc(this.lengths[i]);
        await fh.read(buf, 0, buf.length, this.offsets[i]);
        try {
          const res = normalise(JSON.parse(buf.toString('utf8')), { line: 1 }, undefined, { light: true, wording: this.wording });
          if (res.ok) out.set(i, res.record);
        } catch {
          // changed on disk since it was read: it shares nothing
        }
      }
    } finally {
      await fh.close();
    }
    return out;
  }
}

/**
 * Read a results file once and summarise it under both rules, keeping no index. Throws
 * NotResultsFileError or IndexCancelledError, as indexing does.
 */
export async function summariseFile(file: string, opts: IndexOptions = {}): Promise<Record<ScoringRule, Summary>> {
  const abs = path.resolve(file);
  const format = await sniffFile(abs, opts.format);
  const b = new SummaryBuilder(abs);
  if (format === 'json') await readJsonDocument(b, opts);
  else await readJsonl(b, opts, 0, 1);
  await b.decideCandidates();
  return Object.fromEntries(RULES.map((rule) => [rule, b.tally.summary(abs, b.problemCount, rule)])) as Record<ScoringRule, Summary>;
}
