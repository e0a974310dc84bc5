/**
 * An index entry as the index keeps it, one per record of a file: the numbers and strings the tree
 * shows as fields, the categories and verdicts packed into one small integer, the gold and predicted
 * letters into another, and what is rare (a gold or prediction that is not one capital letter, the
 * category evidence) in an object made only when there is some. Read and written through accessors
 * like any IndexEntry. Nine fields instead of nineteen: what keeps the index near 150 bytes a record
 * (docs/benchmarks.md; issue 10 asks at most 200).
 */
import type { CategoryEvidence } from '../categories';
import {
  CATEGORIES,
  DIRECTIONS,
  FORMAT_VERDICTS,
  NA_REASONS,
  OUTCOMES,
  SHAPES,
  type Category,
  type Direction,
  type FormatVerdict,
  type NaReason,
  type Outcome,
  type ShapeName,
} from '../vocabulary';
import type { IndexEntry } from './types';

/** The packed integer: each field's shift and width in bits. */
const SHAPE = 0; // 2
const CATEGORY = 2; // 3
const WORDED_AS = 5; // 3: 0 none, else 1 + category
const DIRECTION = 8; // 1
const FORMAT = 9; // 2
const MCQ = 11; // 2
const GRPO = 13; // 2
const NA = 15; // 2: 0 none, else 1 + reason

/** Letter codes (6 bits each in `letters`): 0 '', 1–26 'A'–'Z', 63 kept in `rare`. */
const LETTERS = ['', ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const RARE = 63;
const GOLD = 0;
const MCQ_PRED = 6;
const GRPO_PRED = 12;

function letterCode(s: string): number {
  if (s === '') return 0;
  const c = s.length === 1 ? s.charCodeAt(0) : 0;
  return c >= 0x41 && c <= 0x5a ? c - 0x40 : RARE;
}

interface Rare {
  gold?: string;
  mcqPred?: string;
  grpoPred?: string;
  evidence?: CategoryEvidence;
}

export class Entry implements IndexEntry {
  line: number;
  offset: number;
  length: number;
  id: string;
  video: string;
  label: string;
  private bits: number;
  private letters: number;
  private rare: Rare | undefined;

  constructor(
    line: number,
    offset: number,
    length: number,
    id: string,
    shape: ShapeName,
    video: string,
    label: string,
    category: Category,
    wordedAs: Category | undefined,
    direction: Direction,
    verdicts: {
      gold: string;
      format: FormatVerdict;
      mcq: Outcome;
      mcqPred: string;
      grpo: Outcome;
      grpoPred: string;
      na: NaReason | undefined;
    },
  ) {
    this.line = line;
    this.offset = offset;
    this.length = length;
    this.id = id;
    this.video = video;
    this.label = label;
    this.bits =
      (SHAPES.indexOf(shape) << SHAPE) |
      (CATEGORIES.indexOf(category) << CATEGORY) |
      ((wordedAs === undefined ? 0 : CATEGORIES.indexOf(wordedAs) + 1) << WORDED_AS) |
      (DIRECTIONS.indexOf(direction) << DIRECTION) |
      (FORMAT_VERDICTS.indexOf(verdicts.format) << FORMAT) |
      (OUTCOMES.indexOf(verdicts.mcq) << MCQ) |
      (OUTCOMES.indexOf(verdicts.grpo) << GRPO) |
      ((verdicts.na === undefined ? 0 : NA_REASONS.indexOf(verdicts.na) + 1) << NA);
    this.letters = 0;
    this.rare = undefined;
    this.gold = verdicts.gold;
    this.mcqPred = verdicts.mcqPred;
    this.grpoPred = verdicts.grpoPred;
  }

  private field(shift: number, mask: number): number {
    return (this.bits >> shift) & mask;
  }

  private setField(shift: number, mask: number, value: number): void {
    this.bits = (this.bits & ~(mask << shift)) | (value << shift);
  }

  get shape(): ShapeName {
    return SHAPES[this.field(SHAPE, 3)];
  }
  set shape(v: ShapeName) {
    this.setField(SHAPE, 3, SHAPES.indexOf(v));
  }
  get category(): Category {
    return CATEGORIES[this.field(CATEGORY, 7)];
  }
  set category(v: Category) {
    this.setField(CATEGORY, 7, CATEGORIES.indexOf(v));
  }
  get wordedAs(): Category | undefined {
    const k = this.field(WORDED_AS, 7);
    return k === 0 ? undefined : CATEGORIES[k - 1];
  }
  set wordedAs(v: Category | undefined) {
    this.setField(WORDED_AS, 7, v === undefined ? 0 : CATEGORIES.indexOf(v) + 1);
  }
  get direction(): Direction {
    return DIRECTIONS[this.field(DIRECTION, 1)];
  }
  set direction(v: Direction) {
    this.setField(DIRECTION, 1, DIRECTIONS.indexOf(v));
  }
  get format(): FormatVerdict {
    return FORMAT_VERDICTS[this.field(FORMAT, 3)];
  }
  set format(v: FormatVerdict) {
    this.setField(FORMAT, 3, FORMAT_VERDICTS.indexOf(v));
  }
  get mcq(): Outcome {
    return OUTCOMES[this.field(MCQ, 3)];
  }
  set mcq(v: Outcome) {
    this.setField(MCQ, 3, OUTCOMES.indexOf(v));
  }
  get grpo(): Outcome {
    return OUTCOMES[this.field(GRPO, 3)];
  }
  set grpo(v: Outcome) {
    this.setField(GRPO, 3, OUTCOMES.indexOf(v));
  }
  get na(): NaReason | undefined {
    const k = this.field(NA, 3);
    return k === 0 ? undefined : NA_REASONS[k - 1];
  }
  set na(v: NaReason | undefined) {
    this.setField(NA, 3, v === undefined ? 0 : NA_REASONS.indexOf(v) + 1);
  }

  private letter(shift: number, key: 'gold' | 'mcqPred' | 'grpoPred'): string {
    const k = (this.letters >> shift) & 63;
    return k === RARE ? this.rare![key]! : LETTERS[k];
  }

  private setLetter(shift: number, key: 'gold' | 'mcqPred' | 'grpoPred', v: string): void {
    const k = letterCode(v);
    this.letters = (this.letters & ~(63 << shift)) | (k << shift);
    if (k === RARE) (this.rare ??= {})[key] = v;
    else if (this.rare) this.unset(key);
  }

  /** Forget a rare field, and the object once it holds none (entries compare equal by their fields). */
  private unset(key: keyof Rare): void {
    const r = this.rare!;
    r[key] = undefined;
    if (r.gold === undefined && r.mcqPred === undefined && r.grpoPred === undefined && r.evidence === undefined) this.rare = undefined;
  }

  get gold(): string {
    return this.letter(GOLD, 'gold');
  }
  set gold(v: string) {
    this.setLetter(GOLD, 'gold', v);
  }
  get mcqPred(): string {
    return this.letter(MCQ_PRED, 'mcqPred');
  }
  set mcqPred(v: string) {
    this.setLetter(MCQ_PRED, 'mcqPred', v);
  }
  get grpoPred(): string {
    return this.letter(GRPO_PRED, 'grpoPred');
  }
  set grpoPred(v: string) {
    this.setLetter(GRPO_PRED, 'grpoPred', v);
  }
  get evidence(): CategoryEvidence | undefined {
    return this.rare?.evidence;
  }
  set evidence(v: CategoryEvidence | undefined) {
    if (v !== undefined) (this.rare ??= {}).evidence = v;
    else if (this.rare) this.unset('evidence');
  }

  /** The entry as a plain IndexEntry (what JSON.stringify writes of it). */
  toJSON(): IndexEntry {
    return {
      line: this.line,
      offset: this.offset,
      length: this.length,
      id: this.id,
      shape: this.shape,
      video: this.video,
      label: this.label,
      category: this.category,
      wordedAs: this.wordedAs,
      evidence: this.evidence,
      direction: this.direction,
      gold: this.gold,
      format: this.format,
      mcq: this.mcq,
      mcqPred: this.mcqPred,
      grpo: this.grpo,
      grpoPred: this.grpoPred,
      na: this.na,
    };
  }
}
