/**
 * What a completion list shows of a completion's content (its length in code points, the first
 * character of its stripped answer tag, whether it has a think pair, the format check), read from
 * its UTF-8 bytes without decoding them to a string: 100k completions' texts are most of a reward
 * debug log, and decoding each one was most of reading it (and of the garbage collector's work).
 *
 * Exact: every search is for an ASCII tag, whose bytes appear in valid UTF-8 exactly where its
 * characters appear in the text. Where the answer is not ASCII, or Python white space next to a tag
 * may be a non-ASCII character (`\xa0`, `\u3000`, …), the facts come from the decoded text instead
 * (answerTag, formatValid, pyStrip on a string), as they do for content that is not valid UTF-8.
 */
import { isUtf8 } from 'node:buffer';
import { answerTag, formatValid, pyStrip } from '../derive';

export interface ContentFacts {
  /** Length in Unicode code points (Python's len). */
  chars: number;
  /** First character of the stripped `<answer>` tag's content, '' without one (or an empty one). */
  answer: string;
  hasThink: boolean;
  /** The format reward: `re.match(r'<think>.*?</think>\s*<answer>.*?</answer>', s, re.DOTALL)`. */
  format: number;
}

const THINK_OPEN = Buffer.from('<think>');
const THINK_CLOSE = Buffer.from('</think>');
const ANSWER_OPEN = Buffer.from('<answer>');
const ANSWER_CLOSE = Buffer.from('</answer>');

/** The facts of a content's text (the way for content that is not valid UTF-8, and the reference for the byte way). */
export function contentFactsOfText(content: string): ContentFacts {
  const tag = answerTag(content);
  const stripped = tag === undefined ? '' : pyStrip(tag);
  return {
    chars: codePointsOf(content),
    answer: stripped ? String.fromCodePoint(stripped.codePointAt(0)!) : '',
    hasThink: content.includes('<think>') && content.includes('</think>'),
    format: formatValid(content) ? 1 : 0,
  };
}

/**
 * The facts of the content `bytes` (its UTF-8): from the bytes when they are valid UTF-8, else from
 * their decoded text (`valid`: isUtf8(bytes), when the caller has it already).
 */
export function contentFacts(bytes: Buffer, valid = isUtf8(bytes)): ContentFacts {
  if (!valid) return contentFactsOfText(bytes.toString('utf8'));
  const t = scanTags(bytes);
  const answer = t.answerOpen < 0 || t.answerClose < 0 ? '' : answerOf(bytes, t.answerOpen, t.answerClose);
  const format = t.answerOpen < 0 || !hasAt(bytes, 0, THINK_OPEN) ? 0 : formatOfUtf8(bytes, t.answerOpen, t.answerClose);
  if (answer === undefined || format === undefined) return contentFactsOfText(bytes.toString('utf8'));
  return { chars: bytes.length - t.continuation, answer, hasThink: t.thinkOpen && t.thinkClose, format };
}

interface Tags {
  /** Continuation bytes (10xxxxxx): the length in code points is the byte length less these. */
  continuation: number;
  thinkOpen: boolean;
  thinkClose: boolean;
  /** The first '<answer>' and the first '</answer>' after it (-1: none). */
  answerOpen: number;
  answerClose: number;
}

/**
 * One pass over the bytes for what the facts need (a loop V8 compiles to a few instructions a byte:
 * Buffer#indexOf costs hundreds of instructions a call before it compares a byte).
 */
function scanTags(b: Buffer): Tags {
  const t: Tags = { continuation: 0, thinkOpen: false, thinkClose: false, answerOpen: -1, answerClose: -1 };
  const n = b.length;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c >= 0x80) {
      if ((c & 0xc0) === 0x80) t.continuation++;
    } else if (c === 0x3c) {
      if (!t.thinkOpen && hasAt(b, i, THINK_OPEN)) t.thinkOpen = true;
      else if (!t.thinkClose && hasAt(b, i, THINK_CLOSE)) t.thinkClose = true;
      else if (t.answerOpen < 0 && hasAt(b, i, ANSWER_OPEN)) t.answerOpen = i;
      else if (t.answerOpen >= 0 && t.answerClose < 0 && i >= t.answerOpen + 8 && hasAt(b, i, ANSWER_CLOSE)) t.answerClose = i;
    }
  }
  return t;
}

/** Python's white space among ASCII bytes (derive.ts isPythonSpace below 0x80). */
function asciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

/**
 * The answer fact from the tag's bytes (open, close: its '<answer>' and '</answer>'); undefined when
 * its first non-space character is not ASCII (the text decides).
 */
function answerOf(b: Buffer, open: number, close: number): string | undefined {
  let i = open + 8;
  while (i < close && asciiSpace(b[i])) i++;
  if (i === close) return '';
  return b[i] < 0x80 ? String.fromCharCode(b[i]) : undefined;
}

function hasAt(b: Buffer, at: number, lit: Buffer): boolean {
  if (at < 0 || at + lit.length > b.length) return false;
  for (let k = 0; k < lit.length; k++) if (b[at + k] !== lit[k]) return false;
  return true;
}

/**
 * derive.ts formatValidAt on bytes, for content that starts with '<think>' and has its first '<answer>'
 * at `open` (the first '</answer>' after it at `close`, -1: none); undefined when a non-ASCII byte
 * stands where white space is tested.
 */
function formatOfUtf8(b: Buffer, open: number, close: number): number | undefined {
  let j = open;
  while (j > 0 && asciiSpace(b[j - 1])) j--;
  if (j > 0 && b[j - 1] >= 0x80) return undefined;
  // '<think>' is 7 ASCII bytes: a '</think>' at byte 7 or later is at character 7 or later, as the text's rule asks.
  if (j - 8 >= 7 && hasAt(b, j - 8, THINK_CLOSE)) return close >= 0 ? 1 : 0;
  for (let k = b.indexOf(THINK_CLOSE, open); k >= 0; k = b.indexOf(THINK_CLOSE, k + 1)) {
    let i = k + 8;
    while (i < b.length && asciiSpace(b[i])) i++;
    if (i < b.length && b[i] >= 0x80) return undefined;
    if (hasAt(b, i, ANSWER_OPEN)) return b.indexOf(ANSWER_CLOSE, i + 8) >= 0 ? 1 : 0;
  }
  return 0;
}

/** Code points of a string (lone surrogates count one each, as the decoder never makes them from bytes). */
function codePointsOf(s: string): number {
  let pairs = 0;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) pairs++;
    }
  }
  return s.length - pairs;
}
