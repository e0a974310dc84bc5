/**
 * The trace view for a pair of records (run A vs run B, forward vs reverse): the two answers and
 * the frames above, then the two reasoning chains side by side, sentence against sentence, with the
 * words removed from A and added in B marked inside each sentence and moved sentences labelled.
 * All record text goes in through textContent; images only from webview URIs the host sent.
 */
import { questionStem } from '../core/derive';
import type { ChainDiffView, FramesView, PairMessage, TraceRecordView, TraceWebviewMessage } from '../core/protocol';
import { categoryText, el, fillThumb, verdictLine } from './dom';
import { badge, button, checkbox, spinner } from './toolkit';

type Post = (m: TraceWebviewMessage) => void;

export class PairView {
  private m: PairMessage | undefined;
  private readonly frames: { a?: FramesView; b?: FramesView } = {};
  private hideSame = false;
  private readonly framesRow = el('section', undefined, 'pair-frames');
  private readonly chains = el('section', undefined, 'chain-diff');

  constructor(
    private readonly root: HTMLElement,
    private readonly post: Post,
    private readonly setState: (s: unknown) => void,
  ) {
    document.addEventListener('keydown', (e) => {
      if (!this.m || !this.root.classList.contains('pair') || e.altKey || e.ctrlKey || e.metaKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.isContentEditable)) return;
      if (this.m.position && (e.key === 'n' || e.key === 'p')) this.post({ type: 'navigate', to: e.key === 'n' ? 'next' : 'previous' });
      else if (e.key === 'd') this.post({ type: 'openDiffEditor' });
    });
  }

  show(m: PairMessage): void {
    this.m = m;
    this.frames.a = undefined;
    this.frames.b = undefined;
    this.setState({
      pair: { fileA: m.a.file, lineA: m.a.line, fileB: m.b.file, lineB: m.b.line, labelA: m.labelA, labelB: m.labelB, title: m.title },
      pinned: m.pinned,
    });
    this.root.replaceChildren(this.header(m), this.heads(m), this.framesRow, this.chains);
    this.renderFrames();
    this.renderChains();
  }

  showFrames(slot: 'a' | 'b', f: FramesView): void {
    this.frames[slot] = f;
    this.renderFrames();
  }

  private header(m: PairMessage): HTMLElement {
    const h = el('header', undefined, 'trace-nav');
    if (m.position) {
      h.append(
        button('◀ Previous Flip', () => this.post({ type: 'navigate', to: 'previous' }), {
          secondary: true,
          title: 'Previous flipped pair (p)',
        }),
        button('Next Flip ▶', () => this.post({ type: 'navigate', to: 'next' }), { secondary: true, title: 'Next flipped pair (n)' }),
        el('span', `${m.position.what} ${m.position.index + 1} / ${m.position.total}`, 'position'),
      );
    }
    h.append(
      button('Open in Diff Editor', () => this.post({ type: 'openDiffEditor' }), {
        title: 'The two chains in VS Code\u2019s diff editor, one sentence per line (d)',
      }),
      button('Show A', () => this.post({ type: 'showSide', side: 'a' }), { secondary: true, title: `The trace of ${m.labelA} alone` }),
      button('Show B', () => this.post({ type: 'showSide', side: 'b' }), { secondary: true, title: `The trace of ${m.labelB} alone` }),
      button(m.pinned ? 'Pinned' : 'Pin', () => this.post({ type: 'pin' }), {
        secondary: true,
        disabled: m.pinned,
        title: 'Keep this panel; the next record opens in a new one',
      }),
    );
    const wrap = el('div');
    wrap.append(h, el('h1', m.title, 'pair-title'));
    const q = (r: TraceRecordView) => questionStem(r.question);
    wrap.append(el('p', q(m.a), 'question'));
    if (q(m.b) !== q(m.a)) wrap.append(el('p', `B asks: ${q(m.b)}`, 'question'));
    return wrap;
  }

  /** Each side: its label, source, answer and verdict under both rules. */
  private heads(m: PairMessage): HTMLElement {
    const row = el('section', undefined, 'pair-heads');
    for (const side of ['a', 'b'] as const) {
      const r = side === 'a' ? m.a : m.b;
      const col = el('div', undefined, `pair-head side-${side}`);
      const title = el('h2');
      title.append(el('span', side === 'a' ? m.labelA : m.labelB));
      const src = el('a', 'source', 'source-link');
      src.href = '#';
      src.title = `${r.file}:${r.line}`;
      src.addEventListener('click', (e) => {
        e.preventDefault();
        this.post({ type: 'openSource', side });
      });
      title.append(' ', src);
      col.append(title);
      const ans = el('p', undefined, 'pair-answer');
      ans.append(el('span', 'Answer ', 'k'), el('code', r.answer !== undefined ? r.answer.trim() || '(empty)' : '(no <answer> tag)'));
      if (r.goldLetter || r.gold) ans.append(' ', badge(`gold ${r.goldLetter ?? r.gold}`, 'gold'));
      col.append(ans);
      col.append(verdictLine(r));
      const facts = [r.model, `${categoryText(r)} · ${r.direction}`, r.mode].filter(Boolean).join(' · ');
      const note = el('p', facts, 'note');
      if (r.wordedAs && r.categorySource) note.title = `Category ${r.categorySource}`;
      col.append(note);
      row.append(col);
    }
    return row;
  }

  private renderFrames(): void {
    const m = this.m;
    const p = this.framesRow;
    p.replaceChildren();
    if (!m) return;
    if (m.sameVideo) {
      p.append(el('h2', 'Frames (the same video for A and B)'), this.strip(this.frames.a));
      p.classList.remove('two');
    } else {
      p.classList.add('two');
      for (const side of ['a', 'b'] as const) {
        const col = el('div');
        col.append(el('h2', `Frames of ${side.toUpperCase()}`), this.strip(this.frames[side]));
        p.append(col);
      }
    }
  }

  private strip(f: FramesView | undefined): HTMLElement {
    if (!f || f.state === 'loading') {
      const w = el('div', undefined, 'frames-loading');
      w.append(spinner(), el('span', 'Extracting frames…'));
      return w;
    }
    if (f.state === 'error') {
      const box = el('div', undefined, 'frames-error');
      box.append(el('p', f.message ?? 'No frames.', 'error-text'));
      if (f.tried?.length) box.append(el('p', `Paths tried: ${f.tried.join(', ')}`, 'tried'));
      return box;
    }
    const byIndex = new Map(f.frames.map((x) => [x.index, x]));
    const strip = el('div', undefined, 'strip compact');
    strip.setAttribute('role', 'list');
    strip.setAttribute('aria-label', `The ${f.indices.length} frames the model saw, in order`);
    for (const index of f.indices) {
      const frame = byIndex.get(index);
      const cell = el('figure', undefined, 'thumb');
      cell.setAttribute('role', 'listitem');
      fillThumb(cell, index, frame, 'figcaption');
      strip.append(cell);
    }
    return strip;
  }

  private renderChains(): void {
    const m = this.m;
    const c = this.chains;
    c.replaceChildren();
    if (!m) return;
    const s = m.diff.stats;
    const bar = el('div', undefined, 'frames-bar');
    bar.append(
      el('h2', 'Reasoning, sentence by sentence'),
      el(
        'span',
        `${s.same} same · ${s.changed} changed · ${s.moved} moved · ${s.onlyA} only in A · ${s.onlyB} only in B`,
        'note diff-stats',
      ),
      checkbox('Hide unchanged sentences', this.hideSame, (v) => {
        this.hideSame = v;
        this.renderChains();
      }),
    );
    c.append(bar);
    c.append(this.table(m.diff, m));
  }

  private table(d: ChainDiffView, m: PairMessage): HTMLElement {
    const t = el('div', undefined, 'chain-table');
    t.setAttribute('role', 'table');
    t.setAttribute('aria-label', 'The reasoning of A and B, sentence against sentence');
    const head = el('div', undefined, 'chain-row head');
    head.setAttribute('role', 'row');
    for (const label of [m.labelA, m.labelB]) {
      const h = el('div', label, 'chain-cell');
      h.setAttribute('role', 'columnheader');
      head.append(h);
    }
    t.append(head);
    let hidden = 0;
    for (const p of d.pairs) {
      const same = p.a !== undefined && p.b !== undefined && p.ops.every((o) => o.op === 'equal');
      if (this.hideSame && same && !p.moved) {
        hidden++;
        continue;
      }
      const kind = p.b === undefined ? 'only-a' : p.a === undefined ? 'only-b' : same ? 'same' : 'changed';
      const row = el('div', undefined, `chain-row ${kind}${p.moved ? ' moved' : ''}`);
      row.setAttribute('role', 'row');
      row.append(this.side(p, 'a'), this.side(p, 'b'));
      t.append(row);
    }
    if (!d.pairs.length) t.append(el('p', 'Both chains are empty.', 'note'));
    if (hidden) t.append(el('p', `${hidden} unchanged sentence${hidden === 1 ? '' : 's'} hidden.`, 'note'));
    return t;
  }

  /** One side of a sentence pair: its equal words plain, its own changes marked. */
  private side(p: ChainDiffView['pairs'][number], side: 'a' | 'b'): HTMLElement {
    const cell = el('div', undefined, 'chain-cell');
    cell.setAttribute('role', 'cell');
    const n = side === 'a' ? p.a : p.b;
    if (n === undefined) {
      cell.classList.add('empty');
      cell.setAttribute('aria-label', side === 'a' ? 'not in A' : 'not in B');
      return cell;
    }
    cell.append(el('span', `${n + 1}`, 'sentence-no'));
    if (p.moved) {
      const other = side === 'a' ? p.b : p.a;
      cell.append(badge('moved', 'moved-badge'));
      cell.title = `Moved: sentence ${n + 1} here, ${other !== undefined ? other + 1 : '?'} in ${side === 'a' ? 'B' : 'A'}`;
    }
    const own = side === 'a' ? 'delete' : 'insert';
    for (const o of p.ops) {
      if (o.op === 'equal') cell.append(document.createTextNode(o.text));
      else if (o.op === own) {
        const mark = el(side === 'a' ? 'del' : 'ins', o.text, side === 'a' ? 'removed' : 'added');
        cell.append(mark);
      }
    }
    return cell;
  }
}
