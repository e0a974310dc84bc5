/**
 * The words every part of the inspector shares: categories, directions, outcomes, rules, shapes,
 * n/a and unscored reasons, and what each shape cannot do without. No zod here: the CLI's summary
 * loads this and leaves the schemas (schemas.ts, which re-exports all of this) unloaded until a
 * record needs them.
 */

export const CATEGORIES = ['route', 'direction', 'landmark', 'action', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];
export const DIRECTIONS = ['forward', 'reverse'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const OUTCOMES = ['correct', 'incorrect', 'unanswered', 'unscored'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const RULES = ['mcq_infer', 'grpo_reward'] as const;
export type ScoringRule = (typeof RULES)[number];
export const SHAPES = ['canonical', 'st-r1', 'benchmark', 'harness'] as const;
export type ShapeName = (typeof SHAPES)[number];

/**
 * Why a rule or the format check does not apply to a record: shown as "n/a: …" with the reason,
 * never as a score of 0. `letter-only`: a benchmark-shape inference output whose `predict` is only
 * the letter upstream's extract_choice returned (after Python's strip, exactly one of A–D): the
 * trace was dropped, so the training reward and the format check have nothing to look at.
 */
export const NA_REASONS = ['letter-only'] as const;
export type NaReason = (typeof NA_REASONS)[number];
export const NA_TEXT: Record<NaReason, { short: string; long: string }> = {
  'letter-only': {
    short: 'only the extracted letter',
    long: 'the prediction holds only the extracted letter (upstream dropped the trace)',
  },
};
/**
 * Why a rule left a record unscored when the rule itself applies (n/a has its own NaReason): an
 * open-ended route question, no gold, an empty gold, or (mcq_infer only) a gold that is no option
 * letter: mcq_infer compares letters A–Z, case-sensitive, so a gold "b" leaves it nothing to compare
 * with, while grpo_reward compares first characters and scores it.
 */
export const UNSCORED_REASONS = ['route', 'no-gold', 'empty-gold', 'gold-not-letter'] as const;
export type UnscoredReason = (typeof UNSCORED_REASONS)[number];
export const UNSCORED_TEXT: Record<UnscoredReason, { short: string; long: string }> = {
  route: { short: 'route question', long: 'an open-ended route question has no option letter to score' },
  'no-gold': { short: 'no gold answer', long: 'the record has no gold answer' },
  'empty-gold': { short: 'empty gold answer', long: 'the gold answer is empty' },
  'gold-not-letter': {
    short: 'gold is not an option letter',
    long: 'the gold answer does not start with an option letter A–Z (case-sensitive), so mcq_infer has no letter to compare with',
  },
};

/** "unscored: the gold answer …" or "n/a: …": why a rule gave no verdict; undefined when it gave one. */
export function noVerdictText(r: { outcome: Outcome; na?: NaReason; unscored?: UnscoredReason }): string | undefined {
  if (r.na) return `n/a: ${NA_TEXT[r.na].long}`;
  if (r.outcome !== 'unscored') return undefined;
  return r.unscored ? `unscored: ${UNSCORED_TEXT[r.unscored].long}` : 'unscored';
}
/** The format check: valid, invalid, or n/a (it does not apply; see NaReason). */
export const FORMAT_VERDICTS = ['valid', 'invalid', 'n/a'] as const;
export type FormatVerdict = (typeof FORMAT_VERDICTS)[number];

/** What a top-level field must be for a shape to be possible at all (see SHAPE_NEEDS). */
export type NeededKind = 'text' | 'id' | 'object' | 'array';

/**
 * The fields each shape cannot do without, in its schema's order, and of which JSON type: checked
 * before the schema, so a line that cannot be a shape costs no schema parse (and its message names
 * the first field missing or of the wrong type). A schema parse still checks everything; the test
 * of these lists (shapes.test.ts) checks them against the schemas above.
 */
export const SHAPE_NEEDS: Record<ShapeName, readonly (readonly [string, NeededKind])[]> = {
  canonical: [
    ['id', 'id'],
    ['video', 'text'],
    ['question', 'text'],
    ['response', 'text'],
  ],
  'st-r1': [
    ['problem', 'text'],
    ['solution', 'text'],
    ['video', 'text'],
  ],
  benchmark: [['video', 'text']],
  harness: [
    ['doc_id', 'id'],
    ['doc', 'object'],
    ['resps', 'array'],
  ],
};
