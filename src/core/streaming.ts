/**
 * A response still being written (a streaming re-run): its `<think>` may be open and its `<answer>`
 * unclosed. What it says so far, as the finished text's analysis would say it once closed.
 */
import { analyse } from './derive';
import type { TraceAnalysis, TraceRecord } from './schemas';

/**
 * The analysis of a half-written response: the verdicts and format of the text so far, the think
 * block so far (after `<think>`, up to `</think>` when it is there), and the answer so far (after
 * `<answer>`). Once the tags are closed, this is `analyse` itself.
 */
export function analysePartial(record: Pick<TraceRecord, 'response' | 'gold' | 'category'>): TraceAnalysis {
  const a = analyse(record);
  const text = record.response;
  const open = text.indexOf('<think>');
  const close = text.indexOf('</think>');
  const think = a.think ?? (open >= 0 ? text.slice(open + 7, close >= 0 ? close : undefined) : undefined);
  const answerAt = text.indexOf('<answer>');
  const answer = a.answer ?? (answerAt >= 0 ? text.slice(answerAt + 8) : undefined);
  return { ...a, think, answer };
}
