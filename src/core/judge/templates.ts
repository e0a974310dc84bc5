/**
 * The judge's prompts, in one place: upstream's system prompt and its two user prompts
 * (eval/qa_eval.py: "Forward: from point A to point B"; eval/qa_eval2.py: "Reverse: from point B
 * to point A"), character for character. Settings may replace any of the three; every judgment
 * records the sha256 of the template it was made with (templateHash).
 *
 * Placeholders: {question}, {reference}, {prediction}, filled in one pass (a prediction holding
 * "{reference}" stays as it is), as upstream's f-strings do with the sample's `question`, its
 * `forward_answer` / `reverse_answer` and its `predict`.
 */
import { createHash } from 'node:crypto';
import type { Direction } from '../vocabulary';

export const UPSTREAM_SYSTEM_PROMPT =
  'You are an intelligent chatbot specialized in evaluating egocentric video route description tasks. ' +
  'Your task is to assess the prediction by dividing the evaluation into three parts: \n\n' +
  '1. Direction: Evaluate whether there is any direction change in the prediction that does not appear in the correct answer. ' +
  '   If the prediction shows a direction change that is not mentioned in the correct answer, ' +
  'this part should be scored lower. \n\n' +
  '2. Landmark: Evaluate the landmarks mentioned. ' +
  'Do not penalize if the prediction mentions landmarks that are not in the correct answer; ' +
  '   however, if a landmark that appears in the correct answer is missing in the prediction, ' +
  'the score for this part should be reduced. \n\n' +
  '3. Semantic: Evaluate the overall logical consistency and semantic similarity of the sentence. \n\n' +
  'After evaluating the three parts, calculate a total score. ' +
  'The final score for each sample is computed as the sum of the three part scores divided by 3 (i.e. the average score). ' +
  'For each part, assign an integer score between 0 and 5.';

const ASK =
  'Provide your evaluation strictly as a Python dictionary string with the following keys:\n' +
  "  'direction': integer score (0-5),\n" +
  "  'landmark': integer score (0-5),\n" +
  "  'semantic and logic': integer score (0-5).\n" +
  'Do not include any additional text or explanation.';

function userTemplate(name: 'Forward' | 'Reverse', route: string): string {
  return (
    `Please evaluate the following video navigation task (${name}: ${route}):\n\n` +
    `${name} Question: {question}\n` +
    `${name} Correct Answer: {reference}\n` +
    `${name} Predicted Answer: {prediction}\n\n` +
    ASK
  );
}

export interface JudgeTemplates {
  system: string;
  forward: string;
  reverse: string;
}

export const UPSTREAM_TEMPLATES: Readonly<JudgeTemplates> = Object.freeze({
  system: UPSTREAM_SYSTEM_PROMPT,
  forward: userTemplate('Forward', 'from point A to point B'),
  reverse: userTemplate('Reverse', 'from point B to point A'),
});

/** Templates from settings: an empty or missing one is upstream's. */
export function judgeTemplates(overrides: Partial<Record<keyof JudgeTemplates, string | undefined>> = {}): JudgeTemplates {
  const pick = (k: keyof JudgeTemplates) => (overrides[k]?.trim() ? overrides[k]! : UPSTREAM_TEMPLATES[k]);
  return { system: pick('system'), forward: pick('forward'), reverse: pick('reverse') };
}

/** The template one direction is judged with: the system prompt and that direction's user prompt. */
export function templateText(t: JudgeTemplates, direction: Direction): string {
  return JSON.stringify({ system: t.system, user: direction === 'forward' ? t.forward : t.reverse });
}

/** sha256 (hex) of `templateText`: what each judgment records as its template. */
export function templateHash(t: JudgeTemplates, direction: Direction): string {
  return createHash('sha256').update(templateText(t, direction)).digest('hex');
}

export interface RouteSample {
  question: string;
  reference: string;
  prediction: string;
}

/** The user prompt: placeholders filled in one pass. */
export function fillTemplate(template: string, s: RouteSample): string {
  return template.replace(/\{(question|reference|prediction)\}/g, (_, k: keyof RouteSample) => s[k]);
}

/** The two messages upstream sends for a sample. */
export function judgeMessages(t: JudgeTemplates, direction: Direction, s: RouteSample): { role: 'system' | 'user'; content: string }[] {
  return [
    { role: 'system', content: t.system },
    { role: 'user', content: fillTemplate(direction === 'forward' ? t.forward : t.reverse, s) },
  ];
}
