/**
 * Small DOM helpers the webviews share. Text always goes in through textContent (record text is
 * untrusted); nothing here parses HTML.
 */

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

type Rule = { outcome: string; predicted: string };

/** "✓ mcq_infer: correct (B)  ✗ grpo_reward: …  format ✓": both rules' verdicts and the format. */
export function verdictLine(r: { mcq_infer: Rule; grpo_reward: Rule; formatValid: boolean }): HTMLParagraphElement {
  const verdict = el('p', undefined, 'verdict');
  for (const [name, res] of [['mcq_infer', r.mcq_infer], ['grpo_reward', r.grpo_reward]] as const) {
    verdict.append(el('span', `${OUTCOME_MARK[res.outcome]} ${name}: ${res.outcome}${res.predicted ? ` (${res.predicted})` : ''}`, `rule ${res.outcome}`));
  }
  verdict.append(el('span', r.formatValid ? 'format ✓' : 'format ✗', r.formatValid ? 'format ok' : 'format bad'));
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
export function fillThumb(cell: HTMLElement, index: number, frame: { src?: string; error?: string; time: number } | undefined, captionTag: 'span' | 'figcaption'): void {
  if (frame?.src) {
    const img = el('img');
    img.src = frame.src;
    img.alt = `frame ${index}`;
    cell.append(img);
  } else cell.append(el('span', frame?.error ?? 'missing', 'thumb-missing'));
  cell.append(el(captionTag, `#${index} · ${(frame?.time ?? 0).toFixed(2)} s`, 'caption'));
}
