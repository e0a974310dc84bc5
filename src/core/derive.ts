/**
 * What the inspector derives from a record's text: options, category, direction, the think/answer
 * segments, format validity and the two upstream scoring rules (see shared notes/ego-st-formats.md).
 */
import type { Category, Direction, OptionItem, RuleResult, TraceAnalysis, TraceRecord } from './schemas';

const OPTIONS_MARKER = /Options\s*:/i;
const INSTRUCTIONS = /\n\s*\n|\bInstructions\s*:/;

/** The question without its options and instructions: the part that says what is asked. */
export function questionStem(question: string): string {
  const m = OPTIONS_MARKER.exec(question);
  const head = m ? question.slice(0, m.index) : question;
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

/** Options given as a list: "A. text" keeps its letter, a bare string gets A, B, C… by position. */
export function normaliseOptionList(list: readonly string[]): OptionItem[] {
  return list.map((raw, i) => {
    const m = /^\s*([A-Z])\s*[.):]\s*/.exec(raw);
    if (m) return { letter: m[1], text: raw.slice(m[0].length).trim() };
    return { letter: String.fromCharCode(65 + i), text: raw.trim() };
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

const REVERSE_WORDING = /\bstart(?:ing)? (?:point|position|location)\b|\breturn(?:s|ing|ed)?\b|\bback to\b|\bgo(?:ing)? back\b|\bway back\b/i;

/** Reverse when the stem speaks of the starting point or of returning; otherwise forward. */
export function directionFromWording(question: string): Direction {
  return REVERSE_WORDING.test(questionStem(question)) ? 'reverse' : 'forward';
}

const THINK = /<think>([\s\S]*?)<\/think>/;
const ANSWER = /<answer>([\s\S]*?)<\/answer>/;
/** The format reward: anchored at the start, dot matching newline (re.match with DOTALL). */
const FORMAT = /^<think>[\s\S]*?<\/think>\s*<answer>[\s\S]*?<\/answer>/;
/** Python's `^([A-D])\b` on a str: the letter must not be followed by a Unicode word character. */
const LEADING_LETTER = /^([A-D])(?![\p{L}\p{N}_])/u;

/** The letter a gold answer stands for: "D", "D.", "D. Walk straight" → "D". */
export function goldLetter(gold: string | undefined): string | undefined {
  if (gold === undefined) return undefined;
  const m = /^\s*([A-Z])(?![\p{L}\p{N}_])/u.exec(gold);
  return m ? m[1] : undefined;
}

/** `mcq_infer`: the upstream inference scripts' extract_choice after taking the answer tag. */
export function scoreMcqInfer(response: string, gold: string | undefined, scorable: boolean): RuleResult {
  const m = ANSWER.exec(response);
  const text = pyStrip(m ? m[1] : response);
  let predicted = text;
  const lead = LEADING_LETTER.exec(text);
  if (lead) predicted = lead[1];
  else {
    for (const ch of text) {
      if (ch === 'A' || ch === 'B' || ch === 'C' || ch === 'D') {
        predicted = ch;
        break;
      }
    }
  }
  const letter = predicted.length === 1 && 'ABCD'.includes(predicted) ? predicted : '';
  const want = goldLetter(gold);
  if (!scorable || want === undefined) return { outcome: 'unscored', predicted: letter };
  if (!letter) return { outcome: 'unanswered', predicted: '' };
  return { outcome: letter === want ? 'correct' : 'incorrect', predicted: letter };
}

/** `grpo_reward`: the training accuracy reward: first character of the answer tag vs first of the gold. */
export function scoreGrpoReward(response: string, gold: string | undefined, scorable: boolean): RuleResult {
  const m = ANSWER.exec(response);
  const content = m ? pyStrip(m[1]) : '';
  const first = content.length ? String.fromCodePoint(content.codePointAt(0)!) : '';
  const goldText = gold === undefined ? undefined : pyStrip(gold);
  if (!scorable || goldText === undefined || goldText === '') return { outcome: 'unscored', predicted: first };
  if (!first) return { outcome: 'unanswered', predicted: '' };
  const goldFirst = String.fromCodePoint(goldText.codePointAt(0)!);
  return { outcome: first === goldFirst ? 'correct' : 'incorrect', predicted: first };
}

/** Python's str.strip(): removes whitespace as Python defines it (close to JS trim, kept explicit). */
function pyStrip(s: string): string {
  return s.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g, '');
}

/** Segments, format and both rules. Route questions (open-ended) are never scored by letter. */
export function analyse(record: Pick<TraceRecord, 'response' | 'gold' | 'category'>): TraceAnalysis {
  const { response, gold } = record;
  const scorable = record.category !== 'route';
  const think = THINK.exec(response);
  const answer = ANSWER.exec(response);
  return {
    think: think ? think[1] : undefined,
    answer: answer ? answer[1] : undefined,
    formatValid: FORMAT.test(response),
    mcq_infer: scoreMcqInfer(response, gold, scorable),
    grpo_reward: scoreGrpoReward(response, gold, scorable),
  };
}
