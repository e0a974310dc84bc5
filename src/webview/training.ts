/**
 * The completion-group view: one reward call's completions side by side, with their rewards,
 * advantages, think/answer segments and the format check, and the inline word diff of any two.
 * Completion text is untrusted: it goes in through textContent only.
 */
import { diffWords } from '../core/compare/diff';
import type { TrainingHostMessage, WebviewMessage } from '../core/protocol';
import { GROUP_FILTERS, type GroupFilter } from '../core/training/groups';
import { el } from './dom';

type Group = TrainingHostMessage;

const FILTER_TEXT: Record<GroupFilter, string> = {
  all: 'All',
  'zero-variance': 'Zero variance',
  'all-wrong': 'All wrong',
  'all-format-broken': 'All format-broken',
  longest: 'Longest first',
};

function num(v: number | null, digits = 4): string {
  return v === null ? 'nan' : String(Number(v.toPrecision(digits)));
}

export class TrainingView {
  private diffA = 0;
  private diffB = 1;
  private shown: Group | undefined;

  constructor(
    private readonly app: HTMLElement,
    private readonly post: (m: WebviewMessage) => void,
  ) {}

  show(m: Group): void {
    if (this.shown?.group.call !== m.group.call || this.shown.run !== m.run) {
      this.diffA = 0;
      this.diffB = Math.min(1, m.completions.length - 1);
    }
    this.shown = m;
    const app = this.app;
    app.className = 'training';
    app.replaceChildren(
      el('h1', `Completion group #${m.group.call}`),
      el('p', `${m.run} · ${m.group.file}:${m.group.line} · reward call ${m.group.timestamp}`, 'path'),
      ...this.stepScope(m),
      this.nav(m),
      this.facts(m),
      this.cards(m),
      this.diff(m),
    );
  }

  /** Opened on a step of the curves: which step, which calls, and the mapping it rests on. */
  private stepScope(m: Group): HTMLElement[] {
    if (!m.step) return [];
    const s = m.step;
    const box = el('section', undefined, 'step-scope');
    const steps = s.fromStep === s.toStep ? `step ${s.toStep}` : `steps ${s.fromStep}–${s.toStep}`;
    const calls = s.firstCall === s.lastCall ? `reward call #${s.firstCall}` : `reward calls #${s.firstCall}–#${s.lastCall}`;
    box.append(el('p', `Groups of ${steps}: ${calls}.`, 'step-title'), el('p', s.mapping, 'note'));
    const all = el('button', 'All steps');
    all.addEventListener('click', () => this.post({ type: 'trainingAllSteps' }));
    box.append(all);
    return [box];
  }

  private nav(m: Group): HTMLElement {
    const nav = el('nav', undefined, 'group-nav');
    nav.setAttribute('aria-label', 'Groups');
    const prev = el('button', '◀ Previous');
    prev.disabled = m.position.index === 0;
    prev.addEventListener('click', () => this.post({ type: 'trainingNavigate', to: 'previous' }));
    const next = el('button', 'Next ▶');
    next.disabled = m.position.index >= m.position.total - 1;
    next.addEventListener('click', () => this.post({ type: 'trainingNavigate', to: 'next' }));
    nav.append(prev, el('span', ` ${m.position.index + 1} of ${m.position.total} `, 'position'), next, el('span', ' · ', 'sep'));
    for (const f of GROUP_FILTERS) {
      const b = el('button', `${FILTER_TEXT[f]} (${m.counts[f] ?? 0})`, 'filter-button');
      b.setAttribute('aria-pressed', String(f === m.filter));
      b.disabled = f === m.filter || !m.counts[f];
      b.addEventListener('click', () => this.post({ type: 'trainingFilter', filter: f }));
      nav.append(b, document.createTextNode(' '));
    }
    return nav;
  }

  private facts(m: Group): HTMLElement {
    const box = el('section', undefined, 'group-facts');
    box.append(
      el(
        'p',
        `${m.completions.length} completions · rewards summed: ${m.rewardFuncs.join(' + ')} · mean ${num(m.group.mean)} · ` +
          `std ${num(m.group.std)} (n − 1) · advantage = (reward − mean) / (std + 1e-4), float32`,
      ),
    );
    if (m.group.zeroVariance)
      box.append(
        el(
          'p',
          'Zero reward variance: every completion got the same reward, so GRPO learns nothing from this group.',
          'flag zero-variance',
        ),
      );
    if (m.group.allWrong) box.append(el('p', 'All wrong: no completion got an accuracy reward.', 'flag all-wrong'));
    if (m.group.allFormatBroken)
      box.append(el('p', 'All format-broken: no completion matches <think>…</think> <answer>…</answer>.', 'flag all-format-broken'));
    return box;
  }

  private cards(m: Group): HTMLElement {
    const grid = el('section', undefined, 'completions');
    grid.setAttribute('aria-label', 'Completions');
    m.completions.forEach((c, k) => {
      const card = el('article', undefined, `completion${c.accuracy ? ' correct' : ''}`);
      card.append(el('h2', `${k + 1} · line ${c.line}`));
      const dl = el('dl', undefined, 'completion-facts');
      const fact = (name: string, value: string, cls?: string) => dl.append(el('dt', name), el('dd', value, cls));
      fact('reward', num(c.reward));
      fact('advantage', num(c.advantage), c.advantage === null ? 'adv' : c.advantage > 0 ? 'adv pos' : c.advantage < 0 ? 'adv neg' : 'adv');
      fact('accuracy', num(c.accuracy));
      fact('format', c.format ? '✓ valid' : '✗ invalid', c.format ? 'format ok' : 'format bad');
      fact('length', `${c.chars} chars`);
      card.append(dl);
      if (c.think !== undefined) card.append(el('h3', 'think'), el('pre', c.think, 'think'));
      if (c.answer !== undefined) card.append(el('h3', 'answer'), el('pre', c.answer, 'answer'));
      if (c.think === undefined && c.answer === undefined)
        card.append(el('p', 'No <think> or <answer> tags: the whole text.', 'note'), el('pre', c.content, 'raw'));
      const raw = el('details');
      raw.append(el('summary', 'Whole completion'), el('pre', c.content, 'raw'));
      const sol = el('details');
      sol.append(el('summary', 'Solution (reference)'), el('pre', c.solution, 'raw'));
      card.append(raw, sol);
      grid.append(card);
    });
    return grid;
  }

  private diff(m: Group): HTMLElement {
    const box = el('section', undefined, 'completion-diff');
    box.append(el('h2', 'Diff of two completions'));
    const pick = (value: number, set: (v: number) => void, label: string) => {
      const s = el('select');
      s.setAttribute('aria-label', label);
      m.completions.forEach((_, k) => {
        const o = el('option', String(k + 1));
        o.value = String(k);
        o.selected = k === value;
        s.append(o);
      });
      s.addEventListener('change', () => {
        set(Number(s.value));
        if (this.shown) this.show(this.shown);
      });
      return s;
    };
    box.append(
      el('span', 'From '),
      pick(this.diffA, (v) => (this.diffA = v), 'first completion'),
      el('span', ' to '),
      pick(this.diffB, (v) => (this.diffB = v), 'second completion'),
    );
    const a = m.completions[this.diffA];
    const b = m.completions[this.diffB];
    const out = el('pre', undefined, 'inline-diff');
    if (a && b) {
      for (const op of diffWords(a.content, b.content)) {
        out.append(
          op.op === 'equal'
            ? document.createTextNode(op.text)
            : op.op === 'insert'
              ? el('ins', op.text, 'added')
              : el('del', op.text, 'removed'),
        );
      }
    }
    box.append(out);
    return box;
  }
}
