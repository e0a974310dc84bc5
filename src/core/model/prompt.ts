/**
 * Prompts for re-running a question, as upstream sends them:
 * - forward thinking: for options stored as a list, the upstream ST-R1 inference script's prompt
 *   (infer_code/ST-R1_mcq/mcq_infer.py: `question + "Options:" + "\n".join(options) + …`, the stored
 *   strings as they are); for options embedded in the question (ST-R1 rows, which that script
 *   skips), the prompt ST-R1 was trained on with those rows (ST-R1/src/open_r1_video/grpo.py's
 *   QUESTION_TEMPLATE around the whole `problem`);
 * - reverse thinking: the same, with the assistant's turn opened the way ST-R1's training chains
 *   open: "<think>Let's start by thinking reverse {counterpart question}". "as trained" (the
 *   default) uses the opening the chains of that category and direction have; "as worded" the
 *   question's own opposite.
 * Templates are plain strings with {placeholders}, so users can change them in settings; what was
 * sent is returned verbatim so it can be shown before running and saved with the result.
 */
import { questionStem } from '../derive';
import type { Category, Direction, OptionItem, TraceRecord } from '../schemas';

export const RERUN_MODES = ['forward', 'reverse'] as const;
export type RerunMode = (typeof RERUN_MODES)[number];

/**
 * The upstream inference prompt for options stored as a list (infer_code/ST-R1_mcq/mcq_infer.py),
 * with {question} (the stored question, verbatim) and {options} (the stored strings joined by "\n").
 */
export const DEFAULT_USER_TEMPLATE =
  '{question}Options:{options}\n\n' +
  'Instructions: Please select the most appropriate answer from the options above and return only the option number (e.g. A, B, C or D).' +
  'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, ' +
  'i.e., <think> reasoning process here </think><answer> answer here </answer>.';

/**
 * The prompt for options embedded in the question (ST-R1 rows): ST-R1's GRPO training prompt
 * (ST-R1/src/open_r1_video/grpo.py, QUESTION_TEMPLATE with the row's whole `problem`; its trailing
 * space included). {question} is the whole question as stored, options and instructions included;
 * {stem} (the text before "Options:") and {options} (the parsed options, "A. text" one per line) are
 * there for templates of one's own.
 */
export const DEFAULT_EMBEDDED_TEMPLATE =
  '{question} Please answer in English. ' +
  'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, ' +
  'i.e., <think> reasoning process here </think><answer> answer here </answer>. ';

/** How the assistant's turn starts in reverse mode; {thinking} is "reverse" or "forward". */
export const DEFAULT_REVERSE_PREFIX = "<think>Let's start by thinking {thinking} {counterpart}";

/** The system turn Qwen2-VL's chat template adds when none is given. */
export const DEFAULT_SYSTEM = 'You are a helpful assistant.';

/** How the reverse-thinking prefix picks its counterpart question. */
export const PREFIX_STYLES = ['as-trained', 'as-worded'] as const;
export type PrefixStyle = (typeof PREFIX_STYLES)[number];
export const DEFAULT_PREFIX_STYLE: PrefixStyle = 'as-trained';

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

/**
 * The question ST-R1's reference chains open with, per (category, direction) of the question they
 * answer, read off the chains of the 126 shared test rows (every row's chain opens
 * "<think>Let's start by thinking {reverse|forward} {this question}"; counts in brackets):
 * - direction, forward (28): the LANDMARK reverse question, not the direction one: the chains of
 *   forward direction questions reason over landmarks first;
 * - direction, reverse (25): the direction forward question;
 * - landmark, forward (16) and reverse (19): the landmark question of the other direction;
 * - action, forward (18, worded as landmark questions upstream) and reverse (20): the action
 *   question of the other direction.
 * A test checks every one of the 126 rows against it.
 */
const TRAINED: Record<'direction' | 'landmark' | 'action', Record<Direction, string>> = {
  direction: { forward: CANONICAL.landmark.reverse, reverse: CANONICAL.direction.forward },
  landmark: { forward: CANONICAL.landmark.reverse, reverse: CANONICAL.landmark.forward },
  action: { forward: CANONICAL.action.reverse, reverse: CANONICAL.action.forward },
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
  /**
   * trained: the question ST-R1's training chains open with for this category and direction;
   * canonical: ST-R1's own wording of the opposite question of the category;
   * swapped: destination ↔ starting point in the question's own words.
   */
  method: 'trained' | 'canonical' | 'swapped';
}

/**
 * The question a reverse-thinking prefix opens with "as trained": the one ST-R1's training chains
 * open with for a question of this (true) category and direction, whatever its wording; undefined
 * for categories the chains do not cover (route, other).
 */
export function trainedCounterpart(category: Category, direction: Direction): Counterpart | undefined {
  if (category !== 'direction' && category !== 'landmark' && category !== 'action') return undefined;
  return { text: TRAINED[category][direction], direction: direction === 'forward' ? 'reverse' : 'forward', method: 'trained' };
}

/**
 * The question a record's question is the opposite of ("as worded"), or undefined when its wording
 * has no journey to turn round.
 */
export function counterpartQuestion(
  question: string,
  category: Category,
  direction: Direction,
  wordedAs?: Category,
): Counterpart | undefined {
  const stem = questionStem(question).replace(PREAMBLE, '').replace(/\s+/g, ' ').trim();
  const opposite: Direction = direction === 'forward' ? 'reverse' : 'forward';
  const lower = stem ? stem[0].toLowerCase() + stem.slice(1) : stem;
  const worded = wordedAs ?? category;
  if (
    (category === 'direction' || category === 'landmark' || category === 'action') &&
    (worded === 'direction' || worded === 'landmark' || worded === 'action')
  ) {
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
  /** The user turn for options stored as a list. */
  user: string;
  /** The user turn for options embedded in the question. */
  userEmbedded: string;
  reversePrefix: string;
  system: string;
}

export const DEFAULT_TEMPLATES: PromptTemplates = {
  user: DEFAULT_USER_TEMPLATE,
  userEmbedded: DEFAULT_EMBEDDED_TEMPLATE,
  reversePrefix: DEFAULT_REVERSE_PREFIX,
  system: DEFAULT_SYSTEM,
};

export interface RerunPrompt {
  mode: RerunMode;
  system: string;
  /** The user turn's text (it follows the video). */
  user: string;
  /** What the assistant's turn starts with ('' in forward mode); the model continues from it. */
  assistantPrefix: string;
  /** Where the options came from: a stored list (the inference prompt) or the question's text. */
  optionsFrom: 'list' | 'embedded';
  /** Reverse mode: the prefix style asked for (the counterpart's method says what it gave). */
  prefixStyle?: PrefixStyle;
  counterpart?: Counterpart;
  /** The whole text the model is given, in Qwen2-VL's chat format, with the video's placeholder. */
  chat: string;
}

export class PromptError extends Error {}

/** The text before "Options:" as the record has it (trailing space kept): the embedded template's {stem}. */
export function promptQuestion(question: string): string {
  const at = question.search(/Options\s*:/i);
  return at >= 0 ? question.slice(0, at) : question;
}

/**
 * The options as the prompt's {options}: the stored strings joined by "\n" as the upstream script
 * joins them (no re-lettering, no re-spacing) when the record has them as a list; else "A. text"
 * per parsed option, one per line.
 */
export function promptOptions(options: readonly OptionItem[]): string {
  return options.map((o) => o.raw ?? `${o.letter}. ${o.text}`).join('\n');
}

/** Fills {name} placeholders; an unknown placeholder is an error that names it (a typo in a setting should not pass silently). */
export function fillTemplate(template: string, values: Record<string, string>, what: string): string {
  return template.replace(/\{(\w+)\}/g, (_all, name: string) => {
    if (!(name in values))
      throw new PromptError(
        `${what}: unknown placeholder {${name}} (known: ${Object.keys(values)
          .map((k) => `{${k}}`)
          .join(', ')})`,
      );
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

/**
 * The prompt for re-running `record` in `mode`. Reverse mode needs a counterpart question: "as
 * trained" takes the one the training chains open with for the record's category and direction,
 * and falls back to the question's own opposite ("as worded") for categories the chains do not
 * cover; without either it is an error that says why.
 */
export function buildPrompt(
  record: Pick<TraceRecord, 'question' | 'options' | 'category' | 'wordedAs' | 'direction' | 'id'>,
  mode: RerunMode,
  templates: PromptTemplates = DEFAULT_TEMPLATES,
  prefixStyle: PrefixStyle = DEFAULT_PREFIX_STYLE,
): RerunPrompt {
  if (!record.options.length)
    throw new PromptError(`record ${record.id} has no options: only multiple-choice questions can be re-run with the ST-R1 prompt`);
  const listed = record.options.every((o) => o.raw !== undefined);
  const user = listed
    ? fillTemplate(templates.user, { question: record.question, options: promptOptions(record.options) }, 'the prompt template')
    : fillTemplate(
        templates.userEmbedded,
        { question: record.question, stem: promptQuestion(record.question), options: promptOptions(record.options) },
        'the prompt template for options in the question',
      );
  let assistantPrefix = '';
  let counterpart: Counterpart | undefined;
  if (mode === 'reverse') {
    counterpart =
      (prefixStyle === 'as-trained' ? trainedCounterpart(record.category, record.direction) : undefined) ??
      counterpartQuestion(record.question, record.category, record.direction, record.wordedAs);
    if (!counterpart) {
      throw new PromptError(
        `record ${record.id}: no counterpart question can be derived from its wording ` +
          '(it names neither a destination nor a starting point)',
      );
    }
    // A forward question is preceded by thinking reverse; a reverse one by thinking forward.
    const thinking = record.direction === 'forward' ? 'reverse' : 'forward';
    assistantPrefix = fillTemplate(templates.reversePrefix, { thinking, counterpart: counterpart.text }, 'the reverse-thinking prefix');
  }
  return {
    mode,
    system: templates.system,
    user,
    assistantPrefix,
    optionsFrom: listed ? 'list' : 'embedded',
    ...(mode === 'reverse' ? { prefixStyle } : {}),
    counterpart,
    chat: qwen2vlChat(templates.system, user, assistantPrefix),
  };
}

/** In words, for the trace view and the CLI: which opening a reverse prompt used and why. */
export function describePrefix(p: Pick<RerunPrompt, 'prefixStyle' | 'counterpart'>): string | undefined {
  if (!p.counterpart) return undefined;
  switch (p.counterpart.method) {
    case 'trained':
      return "as trained: the question ST-R1's training chains open with for this category and direction";
    case 'canonical':
      return "as worded: ST-R1's wording of the opposite question";
    case 'swapped': {
      const worded = p.prefixStyle === 'as-trained' ? 'as worded (no training chain opens a question of this category)' : 'as worded';
      return `${worded}: destination and starting point swapped in the question's own words`;
    }
  }
}
