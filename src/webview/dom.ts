/**
 * Small DOM helpers the webviews share. Text always goes in through textContent (record text is
 * untrusted); nothing here parses HTML.
 */
import { NA_TEXT, UNSCORED_TEXT, type FormatVerdict, type NaReason, type UnscoredReason } from '../core/schemas';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** "action (worded as landmark)": the category, and the wording's when the file's evidence says it is another. */
export function categoryText(r: { category: string; wordedAs?: string }): string {
  return r.wordedAs && r.wordedAs !== r.category ? `${r.category} (worded as ${r.wordedAs})` : r.category;
}

const OUTCOME_MARK: Record<string, string> = { correct: '✓', incorrect: '✗', unanswered: '?', unscored: '–' };

type Rule = { outcome: string; predicted: string; na?: NaReason; unscored?: UnscoredReason };

/**
 * "✓ mcq_infer: correct (B)  ✗ grpo_reward: …  format ✓": both rules' verdicts and the format. A rule
 * or format check that does not apply reads "n/a" with the reason, never as a wrong answer.
 */
export function verdictLine(r: { mcq_infer: Rule; grpo_reward: Rule; format: FormatVerdict; na?: NaReason }): HTMLParagraphElement {
  const verdict = el('p', undefined, 'verdict');
  for (const [name, res] of [
    ['mcq_infer', r.mcq_infer],
    ['grpo_reward', r.grpo_reward],
  ] as const) {
    if (res.na) {
      verdict.append(el('span', `– ${name}: n/a: ${NA_TEXT[res.na].long}`, 'rule na'));
      continue;
    }
    if (res.unscored) {
      // Unscored says why: a short reason, the whole of it on hover.
      const why = UNSCORED_TEXT[res.unscored];
      const span = el('span', `– ${name}: unscored: ${why.short}${res.predicted ? ` (${res.predicted})` : ''}`, 'rule unscored');
      span.title = `${name} unscored: ${why.long}`;
      verdict.append(span);
      continue;
    }
    verdict.append(
      el(
        'span',
        `${OUTCOME_MARK[res.outcome]} ${name}: ${res.outcome}${res.predicted ? ` (${res.predicted})` : ''}`,
        `rule ${res.outcome}`,
      ),
    );
  }
  if (r.format === 'n/a') {
    const span = el('span', `format n/a${r.na && !r.grpo_reward.na ? `: ${NA_TEXT[r.na].long}` : ''}`, 'format na');
    if (r.na) span.title = NA_TEXT[r.na].long;
    verdict.append(span);
  } else verdict.append(el('span', r.format === 'valid' ? 'format ✓' : 'format ✗', r.format === 'valid' ? 'format ok' : 'format bad'));
  return verdict;
}

/** The reasoning steps, each with its label ("Thinking reverse", "And then", "Hence"). */
export function stepsList(steps: readonly { kind: string; label: string; text: string }[]): HTMLOListElement {
  const list = el('ol', undefined, 'steps');
  for (const s of steps) {
    const li = el('li', undefined, `step ${s.kind}`);
    if (s.label) li.append(el('span', s.label, 'step-label'));
    li.append(el('span', s.text, 'step-text'));
    list.append(li);
  }
  return list;
}

/** A frame thumbnail's image (from the webview URI the host sent) or why it is missing, and its caption. */
export function fillThumb(
  cell: HTMLElement,
  index: number,
  frame: { src?: string; error?: string; time: number } | undefined,
  captionTag: 'span' | 'figcaption',
): void {
  if (frame?.src) {
    const img = el('img');
    img.src = frame.src;
    img.alt = `frame ${index}`;
    cell.append(img);
  } else cell.append(el('span', frame?.error ?? 'missing', 'thumb-missing'));
  cell.append(el(captionTag, `#${index} · ${(frame?.time ?? 0).toFixed(2)} s`, 'caption'));
}
