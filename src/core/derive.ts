/**
 * What the inspector derives from a record's text: options, category, direction, the think/answer
 * segments, format validity and the two upstream scoring rules (see shared notes/ego-st-formats.md).
 */
import type { Category, Direction, NaReason, OptionItem, RuleResult, TraceAnalysis, TraceRecord, UnscoredReason } from './schemas';

const OPTIONS_MARKER = /Options\s*:/i;
const INSTRUCTIONS = /\n\s*\n|\bInstructions\s*:/;

/** Where "Options:" starts, or -1. The exact, common spelling is found without a regex. */
function optionsMarkerAt(question: string): number {
  const i = question.indexOf('Options:');
  if (i >= 0) {
    // A case-insensitive match ("options :") earlier in the text would win over this one; it
    // can only be there if "ptions" or "PTIONS" is.
    const before = question.lastIndexOf('ptions', i - 1) >= 0 || question.lastIndexOf('PTIONS', i - 1) >= 0;
    const m = before ? OPTIONS_MARKER.exec(question.slice(0, i)) : null;
    return m ? m.index : i;
  }
  return OPTIONS_MARKER.exec(question)?.index ?? -1;
}

/** The question without its options and instructions: the part that says what is asked. */
export function questionStem(question: string): string {
  const at = optionsMarkerAt(question);
  const head = at >= 0 ? question.slice(0, at) : question;
  const cut = INSTRUCTIONS.exec(head);
  return (cut ? head.slice(0, cut.index) : head).trim();
}

const PREAMBLE = /^.*?\bBased on (?:this|the) video,?\s*/is;

/** A short label for the tree: the stem without the boilerplate "Please take … Based on this video,". */
export function shortQuestion(question: string, max = 90): string {
  let s = questionStem(question).replace(PREAMBLE, '').replace(/\s+/g, ' ').trim();
  if (s.length > 0) s = s[0].toUpperCase() + s.slice(1);
  return s.length > max ? s.slice(0, max - 1).trimEnd() + '…' : s;
}

/**
 * Options embedded in the question: `Options: A. …, B. …` up to a blank line or "Instructions:".
 * Letters must run in order (A, B, C…), so a stray "X. " inside an option does not split it.
 */
export function parseEmbeddedOptions(question: string): OptionItem[] {
  const m = OPTIONS_MARKER.exec(question);
  if (!m) return [];
  let body = question.slice(m.index + m[0].length);
  const end = INSTRUCTIONS.exec(body);
  if (end) body = body.slice(0, end.index);
  const out: OptionItem[] = [];
  const marker = /(^|[,\n;])\s*([A-Z])[.)]\s*/g;
  let expected = 'A';
  let start = -1;
  let letter = '';
  for (let hit = marker.exec(body); hit; hit = marker.exec(body)) {
    if (hit[2] !== expected) continue;
    if (start >= 0) out.push({ letter, text: cleanOption(body.slice(start, hit.index)) });
    letter = hit[2];
    start = hit.index + hit[0].length;
    expected = String.fromCharCode(expected.charCodeAt(0) + 1);
  }
  if (start >= 0) out.push({ letter, text: cleanOption(body.slice(start)) });
  return out;
}

function cleanOption(s: string): string {
  return s.trim().replace(/,$/, '').trim();
}

/**
 * Options given as a list: "A. text" keeps its letter, a bare string gets A, B, C… by position.
 * `raw` keeps the stored string: upstream's prompt joins the stored strings as they are.
 */
export function normaliseOptionList(list: readonly string[]): OptionItem[] {
  return list.map((raw, i) => {
    const m = /^\s*([A-Z])\s*[.):]\s*/.exec(raw);
    if (m) return { letter: m[1], text: raw.slice(m[0].length).trim(), raw };
    return { letter: String.fromCharCode(65 + i), text: raw.trim(), raw };
  });
}

/** Category from the wording of the stem; `undefined` when nothing matches. */
export function categoryFromWording(question: string, hasOptions: boolean): Category {
  const stem = questionStem(question).toLowerCase();
  if (/\bwhich landmarks?\b|\bwhat landmarks?\b/.test(stem)) return 'landmark';
  if (/\b(?:which|what) actions?\b/.test(stem)) return 'action';
  if (/\b(?:which|what) directions?\b/.test(stem)) return 'direction';
  if (!hasOptions && /\bdescribe\b|\bhow (?:to|do you|would you|can you) (?:get|go|return|reach|walk)\b/.test(stem)) {
    return 'route';
  }
  return 'other';
}

/** How an ST-R1 reference chain opens: "<think>Let's start by thinking reverse which actions …". */
const CHAIN_OPENING = /^\s*<think>\s*Let's start by thinking (?:reverse|forward) (?:which|what) (landmark|action|direction)s?\b/i;

/**
 * The category of the question an ST-R1 reference chain opens with (its counterpart question), or
 * undefined when the text does not open as those chains do. Evidence for what a question really
 * asks: upstream words its forward action questions as landmark questions, but their chains open
 * with "thinking reverse which actions did you perform…".
 */
export function chainOpeningCategory(chain: string): 'landmark' | 'action' | 'direction' | undefined {
  const m = CHAIN_OPENING.exec(chain);
  return m ? (m[1].toLowerCase() as 'landmark' | 'action' | 'direction') : undefined;
}

/**
 * The category a question has given the evidence of its reference chain: a question worded as a
 * landmark question whose chain is about actions is an action question (the one quirk of the
 * upstream data this corrects; other mismatches, such as forward direction chains that open with
 * the landmark wording, are how ST-R1 was trained and say nothing about the question).
 */
export function categoryFromChain(worded: Category, chain: string | undefined): Category {
  if (worded !== 'landmark' || chain === undefined) return worded;
  return chainOpeningCategory(chain) === 'action' ? 'action' : worded;
}

const REVERSE_WORDING =
  /\bstart(?:ing)? (?:point|position|location)\b|\breturn(?:s|ing|ed)?\b|\bback to\b|\bgo(?:ing)? back\b|\bway back\b/i;

/** Reverse when the stem speaks of the starting point or of returning; otherwise forward. */
export function directionFromWording(question: string): Direction {
  return REVERSE_WORDING.test(questionStem(question)) ? 'reverse' : 'forward';
}

const THINK = /<think>([\s\S]*?)<\/think>/;

/**
 * Python's white space, as `str.strip()` (str.isspace()) and `re`'s `\s` on str patterns
 * (Py_UNICODE_ISSPACE, the same set) define it: \t–\r, \x1c–\x1f, space, \x85, \xa0, \u1680,
 * \u2000–\u200a, \u2028, \u2029, \u202f, \u205f and \u3000. JavaScript's `\s` differs: it has
 * \ufeff, and lacks \x1c–\x1f and \x85 (test/unit/python-rules.test.ts checks every BMP character).
 */
export function isPythonSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c >= 0x1c;
  if (c < 0x85) return false;
  if (c <= 0xa0) return c === 0x85 || c === 0xa0;
  if (c < 0x1680) return false;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Python's `str.strip()` with no argument (a character loop: no regex on long responses). */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPythonSpace(s.charCodeAt(a))) a++;
  while (b > a && isPythonSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * The gold answer as upstream's accuracy reward reads it: the content of the gold's first
 * <answer>…</answer> when it has one (an ST-R1 `solution` is a whole chain), else the gold itself;
 * stripped as Python strips.
 */
export function goldAnswer(gold: string | undefined): string | undefined {
  if (gold === undefined) return undefined;
  if (gold.length <= 1) return pyStrip(gold);
  const tag = answerTag(gold);
  return pyStrip(tag !== undefined ? tag : gold);
}

/**
 * The letter a gold answer stands for: "D", "D.", "D. Walk straight" → "D"; a gold that is a chain
 * ("…<answer>D</answer>") stands for its answer tag's letter.
 */
export function goldLetter(gold: string | undefined): string | undefined {
  if (gold === undefined) return undefined;
  if (gold.length === 1) return gold >= 'A' && gold <= 'Z' ? gold : undefined;
  const m = /^([A-Z])(?![\p{L}\p{N}_])/u.exec(goldAnswer(gold)!);
  return m ? m[1] : undefined;
}

/** `mcq_infer`: the upstream inference scripts' extract_choice after taking the answer tag. */
export function scoreMcqInfer(response: string, gold: string | undefined, scorable: boolean): RuleResult {
  return mcqInferOn(response, answerTag(response), gold, scorable);
}

/**
 * `answer`: the first <answer> tag's content, when there is one (found once, used by both rules).
 * extract_choice is `re.match(r'^([A-D])\b', s)`, else the first of A, B, C, D anywhere, else the text.
 * The `\b` cannot change the result: when the text starts with A–D, the fallback finds that same
 * first character. So the letter is the first A–D character of the text, whatever Python (or
 * JavaScript) counts as a word character.
 */
function mcqInferOn(response: string, answer: string | undefined, gold: string | undefined, scorable: boolean): RuleResult {
  const text = pyStrip(answer !== undefined ? answer : response);
  let letter = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x41 && c <= 0x44) {
      letter = text[i];
      break;
    }
  }
  const want = goldLetter(gold);
  if (!scorable) return { outcome: 'unscored', predicted: letter, unscored: 'route' };
  if (gold === undefined) return { outcome: 'unscored', predicted: letter, unscored: 'no-gold' };
  if (!letter) {
    // Upstream compares the extracted text itself with the gold: equal text is still right.
    if (text && text === goldAnswer(gold)) return { outcome: 'correct', predicted: text.length <= 3 ? text : '' };
    return want === undefined
      ? { outcome: 'unscored', predicted: '', unscored: noLetterIn(gold) }
      : { outcome: 'unanswered', predicted: '' };
  }
  if (want === undefined) return { outcome: 'unscored', predicted: letter, unscored: noLetterIn(gold) };
  return { outcome: letter === want ? 'correct' : 'incorrect', predicted: letter };
}

/** Why a gold gives mcq_infer no letter: it is empty, or it does not start with one. */
function noLetterIn(gold: string): UnscoredReason {
  return goldAnswer(gold) === '' ? 'empty-gold' : 'gold-not-letter';
}

/**
 * `grpo_reward`: the training accuracy reward (ST-R1 grpo.py, its string match): the first character
 * of the response's stripped answer tag against the first of the gold answer (goldAnswer: the gold's
 * own answer tag when it is a chain). No answer tag, or an empty one: no reward.
 */
export function scoreGrpoReward(response: string, gold: string | undefined, scorable: boolean): RuleResult {
  return grpoRewardOn(answerTag(response), gold, scorable);
}

function grpoRewardOn(answer: string | undefined, gold: string | undefined, scorable: boolean): RuleResult {
  const content = answer !== undefined ? pyStrip(answer) : '';
  const first = content.length ? String.fromCodePoint(content.codePointAt(0)!) : '';
  const goldText = goldAnswer(gold);
  // A gold with nothing in it is no gold; but a chain whose answer tag is empty is one upstream
  // scores: ground_truth[0] raises IndexError there, caught as reward 0.
  const emptyChain = goldText === '' && gold !== undefined && answerTag(gold) !== undefined;
  if (!scorable) return { outcome: 'unscored', predicted: first, unscored: 'route' };
  if (goldText === undefined) return { outcome: 'unscored', predicted: first, unscored: 'no-gold' };
  if (goldText === '' && !emptyChain) return { outcome: 'unscored', predicted: first, unscored: 'empty-gold' };
  if (!first) return { outcome: 'unanswered', predicted: '' };
  if (emptyChain) return { outcome: 'incorrect', predicted: first };
  const goldFirst = String.fromCodePoint(goldText.codePointAt(0)!);
  return { outcome: first === goldFirst ? 'correct' : 'incorrect', predicted: first };
}

/**
 * Why the training reward and the format check do not apply to a record, if they do not.
 * 'letter-only': a benchmark-shape record (an upstream inference output) of a multiple-choice
 * question whose prediction, after Python's strip, is exactly one of A, B, C, D. Upstream's
 * inference scripts write into `predict` only what extract_choice returned: a letter A–D when the
 * answer had one; else the stripped answer (or whole response) with no A–D in it; else a fixed
 * message ("No video file specified.", "Error during model inference.", …). Only the letter case
 * has certainly lost its trace; the other texts are scored as they are.
 */
export function notApplicable(record: Pick<TraceRecord, 'response' | 'category'> & { shape?: TraceRecord['shape'] }): NaReason | undefined {
  if (record.shape !== 'benchmark' || record.category === 'route') return undefined;
  const r = record.response;
  let a = 0;
  let b = r.length;
  while (a < b && isPythonSpace(r.charCodeAt(a))) a++;
  while (b > a && isPythonSpace(r.charCodeAt(b - 1))) b--;
  if (b - a !== 1) return undefined;
  const c = r.charCodeAt(a);
  return c >= 0x41 && c <= 0x44 ? 'letter-only' : undefined;
}

type Scored = Pick<TraceRecord, 'response' | 'gold' | 'category'> & { shape?: TraceRecord['shape'] };

/** Segments, format and both rules. Route questions (open-ended) are never scored by letter. */
export function analyse(record: Scored): TraceAnalysis {
  const think = THINK.exec(record.response);
  return { think: think ? think[1] : undefined, ...score(record) };
}

/** Format and both rules, finding the answer tag once: what the index keeps of every record. */
/** A record's verdicts: what `score` gives. */
export type Scores = Omit<TraceAnalysis, 'think'>;

export function score(record: Scored): Scores {
  const { response, gold } = record;
  const scorable = record.category !== 'route';
  const open = response.indexOf('<answer>');
  const close = open < 0 ? -1 : response.indexOf('</answer>', open + 8);
  const answer = close < 0 ? undefined : response.slice(open + 8, close);
  const na = notApplicable(record);
  return {
    answer,
    format: na ? 'n/a' : answer !== undefined && formatValidAt(response, open, close) ? 'valid' : 'invalid',
    na,
    mcq_infer: mcqInferOn(response, answer, gold, scorable),
    grpo_reward: na ? { outcome: 'unscored', predicted: '', na } : grpoRewardOn(answer, gold, scorable),
  };
}

/**
 * The first <answer>…</answer>'s content: what `re.search(r'<answer>(.*?)</answer>', s, re.DOTALL)`
 * finds, with string searches instead of a regular expression (this runs on every record).
 */
export function answerTag(response: string): string | undefined {
  const open = response.indexOf('<answer>');
  if (open < 0) return undefined;
  const close = response.indexOf('</answer>', open + 8);
  return close < 0 ? undefined : response.slice(open + 8, close);
}

/**
 * The format reward, `re.match(r'<think>.*?</think>\s*<answer>.*?</answer>', s, re.DOTALL)`, with
 * string searches: some `</think>` followed by Python white space, `<answer>`, and later an `</answer>`.
 */
export function formatValid(response: string): boolean {
  const open = response.indexOf('<answer>');
  return formatValidAt(response, open, open < 0 ? -1 : response.indexOf('</answer>', open + 8));
}

/**
 * formatValid, given where the first `<answer>` is (-1: none). A `</think>` before it matches only
 * when nothing but white space lies between them (any other character there would have to be the
 * `<answer>` the match needs, and there is none before the first); so that one `</think>` is looked
 * for backwards from the first `<answer>`, and only a response without it is searched from there
 * on. The match then needs an `</answer>` after the `<answer>` it found: `close`, the first after
 * the first `<answer>` (-1: none), which the caller has found already, serves when it lies far enough on.
 */
export function formatValidAt(response: string, open: number, close: number): boolean {
  if (open < 0 || close < 0 || !hasAt(response, '<think>', 0)) return false;
  let j = open;
  while (j > 0 && isPythonSpace(response.charCodeAt(j - 1))) j--;
  if (j - 8 >= 7 && hasAt(response, '</think>', j - 8)) return true;
  for (let k = response.indexOf('</think>', open); k >= 0; k = response.indexOf('</think>', k + 1)) {
    let i = k + 8;
    while (i < response.length && isPythonSpace(response.charCodeAt(i))) i++;
    if (hasAt(response, '<answer>', i)) return close >= i + 8 || response.indexOf('</answer>', i + 8) >= 0;
  }
  return false;
}

/**
 * `s.startsWith(lit, at)` for a short literal (at most 12 characters: the slice is then a flat copy,
 * compared with the interned literal at once). The builtin costs about 400 instructions a call
 * before it compares a character, and a loop of charCodeAt about 35 a character (callgrind).
 */
function hasAt(s: string, lit: string, at: number): boolean {
  if (at < 0 || at + lit.length > s.length) return false;
  return s.slice(at, at + lit.length) === lit;
}

/**
 * True when the question embeds its options ("Options: A. …"): exactly when parseEmbeddedOptions
 * finds any, i.e. when its marker loop meets an "A" (a bare "Options:" with no "A." is not enough,
 * or the index and the record view would disagree on a route question's category).
 */
export function hasEmbeddedOptions(question: string): boolean {
  const at = optionsMarkerAt(question);
  if (at < 0) return false;
  const sticky = /Options\s*:[ \t]*(A[.)])?/iy;
  sticky.lastIndex = at;
  const m = sticky.exec(question)!;
  if (m[1]) return true; // the usual " A. …": no line break, so nothing is cut before it
  let body = question.slice(at + m[0].length);
  const end = INSTRUCTIONS.exec(body);
  if (end) body = body.slice(0, end.index);
  const marker = /(^|[,\n;])\s*([A-Z])[.)]\s*/g;
  for (let hit = marker.exec(body); hit; hit = marker.exec(body)) if (hit[2] === 'A') return true;
  return false;
}

export interface Wording {
  label: string;
  /** Category from the wording, for a question with and without options. */
  category: Category;
  categoryWithoutOptions: Category;
  direction: Direction;
}

/**
 * What the wording of a question says, cached by its stem: a results file asks a handful of
 * distinct stems thousands of times, so each is analysed once.
 */
export class WordingCache {
  private readonly byStem = new Map<string, Wording>();
  private lastQuestion: string | undefined;
  private lastWording: Wording | undefined;
  /**
   * The text before "Options:" of recent questions whose first options marker is that one, with
   * their wording: a question that starts with one of them and has "Options:" right after it has
   * the same first marker (the text a match before it could span is the same), hence the same stem.
   * Checked before working the stem out, which most records then skip.
   */
  private readonly heads: string[] = [];
  private readonly headWordings: Wording[] = [];

  get(question: string): Wording {
    // The indexer asks twice per record (category, then label): one analysis.
    if (question !== this.lastQuestion) {
      this.lastQuestion = question;
      this.lastWording = this.byHead(question);
    }
    return this.lastWording!;
  }

  private byHead(question: string): Wording {
    const at = question.indexOf('Options:');
    if (at >= 0) {
      for (let k = 0; k < this.heads.length; k++) {
        const h = this.heads[k];
        // Equality of a slice, not startsWith: V8 compares two flat strings with memcmp, while
        // startsWith walked the ~160 characters one by one (4,000 instructions a record, measured
        // with callgrind).
        if (h.length === at && question.slice(0, at) === h) return this.headWordings[k];
      }
    }
    const w = this.lookUp(questionStem(question));
    if (at >= 0 && optionsMarkerAt(question) === at) {
      if (this.heads.length === 16) {
        this.heads.shift();
        this.headWordings.shift();
      }
      this.heads.push(flat(question.slice(0, at)));
      this.headWordings.push(w);
    }
    return w;
  }

  private lookUp(stem: string): Wording {
    let w = this.byStem.get(stem);
    if (!w) {
      // A cache: a file whose every question has a wording of its own must not grow it without bound.
      if (this.byStem.size >= 4096) this.byStem.clear();
      w = {
        label: shortQuestion(stem),
        category: categoryFromWording(stem, true),
        categoryWithoutOptions: categoryFromWording(stem, false),
        direction: directionFromWording(stem),
      };
      // Keep only flat copies: a slice of one record's text must not keep that record alive.
      this.byStem.set(flat(stem), w);
      w.label = flat(w.label);
    }
    return w;
  }
}

function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
