/**
 * Prompts for re-running a question: the upstream ST-R1 inference prompt (forward thinking) and the
 * same prompt with the assistant's turn opened on the opposite journey (reverse thinking), the way
 * ST-R1's training chains open: "<think>Let's start by thinking reverse {counterpart question}".
 * Templates are plain strings with {placeholders}, so users can change them in settings; what was
 * sent is returned verbatim so it can be shown before running and saved with the result.
 */
import { questionStem } from '../derive';
import type { Category, Direction, OptionItem, TraceRecord } from '../schemas';

export type RerunMode = 'forward' | 'reverse';

/** The upstream inference prompt (shared notes/ego-st-formats.md), with {question} and {options}. */
export const DEFAULT_USER_TEMPLATE =
  '{question}Options:{options}\n\nInstructions: Please select the most appropriate answer from the options above and return only the option number (e.g. A, B, C or D).' +
  'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, i.e., <think> reasoning process here </think><answer> answer here </answer>.';

/** How the assistant's turn starts in reverse mode; {thinking} is "reverse" or "forward". */
export const DEFAULT_REVERSE_PREFIX = "<think>Let's start by thinking {thinking} {counterpart}";

/** The system turn Qwen2-VL's chat template adds when none is given. */
export const DEFAULT_SYSTEM = 'You are a helpful assistant.';

/**
 * The counterpart questions of ST-R1's training chains, per category, exactly as the chains word
 * them (the reverse direction question keeps its upstream " ?").
 */
const CANONICAL: Record<'direction' | 'landmark' | 'action', Record<Direction, string>> = {
  direction: {
    forward: 'what directions do you need to go through to get to your destination?',
    reverse: 'what directions do you need to go through to get to starting point ?',
  },
  landmark: {
    forward: 'which landmarks (objects or scenery changes) did you pass by to reach your destination?',
    reverse: 'which landmarks (objects or scenery changes) did you pass by to return to the starting point?',
  },
  action: {
    forward: 'which actions did you perform to reach your destination?',
    reverse: 'which actions did you perform to return to the starting point?',
  },
};

/** Wording swaps for questions that are not the canonical ones, tried in order (forward → reverse). */
const TO_REVERSE: [RegExp, string][] = [
  [/\bget to (?:your|the) destination\b/i, 'get to the starting point'],
  [/\breach (?:your|the) destination\b/i, 'return to the starting point'],
  [/\b(?:arrive at|go to|walk to|head to) (?:your|the) destination\b/i, 'return to the starting point'],
  [/\b(?:your|the) destination\b/i, 'the starting point'],
];
/** And back (reverse → forward). */
const TO_FORWARD: [RegExp, string][] = [
  [/\bget to (?:the )?start(?:ing)? (?:point|position|location)\b/i, 'get to your destination'],
  [/\b(?:return|go back|get back|come back) to (?:the )?start(?:ing)? (?:point|position|location)\b/i, 'reach your destination'],
  [/\b(?:the )?start(?:ing)? (?:point|position|location)\b/i, 'your destination'],
];

const PREAMBLE = /^.*?\bBased on (?:this|the) video,?\s*/is;

export interface Counterpart {
  /** The counterpart question, lower-cased at its start as the chains quote it. */
  text: string;
  /** The direction of the counterpart (the opposite of the question's). */
  direction: Direction;
  /** canonical: ST-R1's own wording for the category; swapped: destination ↔ starting point in the question's own words. */
  method: 'canonical' | 'swapped';
}

/** The question a record's question is the opposite of, or undefined when its wording has no journey to turn round. */
export function counterpartQuestion(question: string, category: Category, direction: Direction, wordedAs?: Category): Counterpart | undefined {
  const stem = questionStem(question).replace(PREAMBLE, '').replace(/\s+/g, ' ').trim();
  const opposite: Direction = direction === 'forward' ? 'reverse' : 'forward';
  const lower = stem ? stem[0].toLowerCase() + stem.slice(1) : stem;
  const worded = wordedAs ?? category;
  if ((category === 'direction' || category === 'landmark' || category === 'action') && (worded === 'direction' || worded === 'landmark' || worded === 'action')) {
    // An action question worded as a landmark one is recognised by its landmark wording.
    const own = CANONICAL[worded][direction];
    if (fold(lower) === fold(own)) return { text: CANONICAL[category][opposite], direction: opposite, method: 'canonical' };
  }
  for (const [re, by] of direction === 'forward' ? TO_REVERSE : TO_FORWARD) {
    if (re.test(lower)) return { text: lower.replace(re, by), direction: opposite, method: 'swapped' };
  }
  return undefined;
}

function fold(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').replace(/\s+\?/g, '?').trim();
}

export interface PromptTemplates {
  user: string;
  reversePrefix: string;
  system: string;
}

export const DEFAULT_TEMPLATES: PromptTemplates = { user: DEFAULT_USER_TEMPLATE, reversePrefix: DEFAULT_REVERSE_PREFIX, system: DEFAULT_SYSTEM };

export interface RerunPrompt {
  mode: RerunMode;
  system: string;
  /** The user turn's text (it follows the video). */
  user: string;
  /** What the assistant's turn starts with ('' in forward mode); the model continues from it. */
  assistantPrefix: string;
  counterpart?: Counterpart;
  /** The whole text the model is given, in Qwen2-VL's chat format, with the video's placeholder. */
  chat: string;
}

export class PromptError extends Error {}

/** The question as the prompt's {question}: the text before "Options:" as the record has it (trailing space kept). */
export function promptQuestion(question: string): string {
  const at = question.search(/Options\s*:/i);
  return at >= 0 ? question.slice(0, at) : question;
}

/** The options as the prompt's {options}: "A. text" per option, one per line, as the upstream script joins them. */
export function promptOptions(options: readonly OptionItem[]): string {
  return options.map((o) => `${o.letter}. ${o.text}`).join('\n');
}

/** Fills {name} placeholders; an unknown placeholder is an error that names it (a typo in a setting should not pass silently). */
export function fillTemplate(template: string, values: Record<string, string>, what: string): string {
  return template.replace(/\{(\w+)\}/g, (_all, name: string) => {
    if (!(name in values)) throw new PromptError(`${what}: unknown placeholder {${name}} (known: ${Object.keys(values).map((k) => `{${k}}`).join(', ')})`);
    return values[name];
  });
}

/**
 * Qwen2-VL's chat format for one user turn holding a video then text, and the assistant's turn
 * opened. `visionPad` is the placeholder the processor expands into one token per merged patch.
 */
export function qwen2vlChat(system: string, user: string, assistantPrefix: string, visionPad = '<|video_pad|>'): string {
  return (
    `<|im_start|>system\n${system}<|im_end|>\n` +
    `<|im_start|>user\n<|vision_start|>${visionPad}<|vision_end|>${user}<|im_end|>\n` +
    `<|im_start|>assistant\n${assistantPrefix}`
  );
}

/** The prompt for re-running `record` in `mode`. Reverse mode needs a counterpart question; without one it is an error that says why. */
export function buildPrompt(
  record: Pick<TraceRecord, 'question' | 'options' | 'category' | 'wordedAs' | 'direction' | 'id'>,
  mode: RerunMode,
  templates: PromptTemplates = DEFAULT_TEMPLATES,
): RerunPrompt {
  if (!record.options.length) throw new PromptError(`record ${record.id} has no options: only multiple-choice questions can be re-run with the ST-R1 prompt`);
  const user = fillTemplate(templates.user, { question: promptQuestion(record.question), options: promptOptions(record.options) }, 'the prompt template');
  let assistantPrefix = '';
  let counterpart: Counterpart | undefined;
  if (mode === 'reverse') {
    counterpart = counterpartQuestion(record.question, record.category, record.direction, record.wordedAs);
    if (!counterpart) {
      throw new PromptError(`record ${record.id}: no counterpart question can be derived from its wording (it names neither a destination nor a starting point)`);
    }
    // A forward question is preceded by thinking reverse; a reverse one by thinking forward.
    const thinking = record.direction === 'forward' ? 'reverse' : 'forward';
    assistantPrefix = fillTemplate(templates.reversePrefix, { thinking, counterpart: counterpart.text }, 'the reverse-thinking prefix');
  }
  return { mode, system: templates.system, user, assistantPrefix, counterpart, chat: qwen2vlChat(templates.system, user, assistantPrefix) };
}
