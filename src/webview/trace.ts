/**
 * The trace view's renderer: the frames the model saw beside its think/answer trace. All record text
 * goes in through textContent (trace text is untrusted); images only from webview URIs the host sent.
 */
import { questionStem } from '../core/derive';
import { describePreset } from '../core/frames/presets';
import { alternativesNotes, SAMPLERS, type SamplerName } from '../core/frames/samplers';
import type { FramesView, NotesView, RerunView, TraceRecordView, TraceWebviewMessage } from '../core/protocol';
import { NA_TEXT } from '../core/schemas';
import { categoryText, el, fillThumb, stepsList, verdictLine } from './dom';
import { routeSection } from './route';
import { badge, button, checkbox, divider, dropdown, spinner } from './toolkit';

type Post = (m: TraceWebviewMessage) => void;
type SetState = (s: unknown) => void;

export class TraceView {
  private record: TraceRecordView | undefined;
  private frames: FramesView | undefined;
  private selected = 0;
  private modelSize = true;
  /** A thumbnail was clicked: ← / → move through the frames wherever the focus is (see keys.ts). */
  private framesActive = false;
  /** Opens the keys' help overlay (set by main.ts). */
  onHelp: (() => void) | undefined;
  private readonly framesPane = el('section', undefined, 'frames');
  private readonly textPane = el('section', undefined, 'trace-text');
  private readonly header = el('header', undefined, 'trace-nav');
  private readonly rerunPane = el('section', undefined, 'rerun');
  /** The re-run's buttons, kept while its state's buttons stay the same (see rerunActions). */
  private actions: { kind: string; el: HTMLElement } | undefined;
  private readonly notesPane = el('section', undefined, 'record-notes');

  constructor(
    private readonly root: HTMLElement,
    private readonly post: Post,
    private readonly setState: SetState,
  ) {}

  showRecord(record: TraceRecordView, position: { index: number; total: number }, pinned: boolean): void {
    this.record = record;
    this.frames = undefined;
    this.selected = 0;
    this.setState({ file: record.file, line: record.line, pinned });
    this.root.replaceChildren();
    const grid = el('div', undefined, 'trace-grid');
    grid.append(this.framesPane, this.textPane);
    this.rerunPane.replaceChildren();
    this.rerunPane.hidden = true;
    this.showNotes({ tags: [] });
    this.root.append(this.header, this.notesPane, this.rerunPane, grid);
    this.renderNav(position, pinned);
    this.renderText(record);
    this.renderFrames();
  }

  /** The record's tags (each with its remove button) and note; the row is hidden when there are none. */
  showNotes(n: NotesView): void {
    const p = this.notesPane;
    p.replaceChildren();
    p.hidden = !n.tags.length && !n.note;
    if (p.hidden) return;
    if (n.tags.length) {
      const tags = el('span', undefined, 'tags');
      tags.setAttribute('aria-label', 'Tags');
      tags.append(el('span', 'Tags', 'notes-label'));
      for (const t of n.tags) {
        const chip = el('span', undefined, 'tag-chip');
        const x = el('button', '×', 'tag-remove');
        x.title = `Remove the tag ${t}`;
        x.setAttribute('aria-label', `Remove the tag ${t}`);
        x.addEventListener('click', () => this.post({ type: 'untag', tag: t }));
        chip.append(el('span', t, 'tag-text'), x);
        tags.append(chip);
      }
      p.append(tags);
    }
    if (n.note) {
      const note = el('p', undefined, 'record-note');
      note.append(el('span', 'Note', 'notes-label'), el('span', n.note, 'note-text'));
      const who = [n.noteBy, n.noteAt && new Date(n.noteAt).toLocaleString()].filter(Boolean).join(', ');
      if (who) note.title = `Written by ${who}`;
      p.append(note);
    }
  }

  /** The re-run section: the prompt before running, the text as it streams, the result. */
  showRerun(view: RerunView | null): void {
    const hadFocus = this.rerunPane.contains(document.activeElement);
    const p = this.rerunPane;
    p.replaceChildren();
    p.hidden = !view;
    if (!view) return void (this.actions = undefined);
    const head = el('div', undefined, 'rerun-head');
    head.append(el('h2', view.runs.length > 1 ? 'Re-run: forward and reverse thinking' : `Re-run: ${view.runs[0]?.mode ?? ''} thinking`));
    const facts = [view.model, view.provider && `provider ${view.provider}`, view.generation].filter(Boolean).join(' · ');
    if (facts) {
      const span = el('span', facts, 'note rerun-facts');
      if (view.providerDetail) span.title = view.providerDetail;
      head.append(span);
    }
    head.append(this.rerunActions(view.state));
    p.append(head);
    if (view.providerNote) {
      const note = el('p', view.providerNote, 'note provider-note');
      if (view.providerDetail) note.title = view.providerDetail;
      p.append(note);
    }
    if (view.message) p.append(el('p', view.message, view.state === 'error' ? 'error-text' : 'note'));
    if (view.inputPath) p.append(el('p', `Input: ${view.inputPath}`, 'note'));
    const cols = el('div', undefined, `rerun-runs${view.runs.length > 1 ? ' two' : ''}`);
    for (const r of view.runs) cols.append(rerunColumn(view, r));
    p.append(cols);
    if (hadFocus || view.state === 'plan') (p.querySelector('vscode-button') as HTMLElement | null)?.focus();
  }

  /**
   * The re-run's buttons for `state`, the same elements while the state's buttons stay the same: a
   * streamed reply re-renders the section with each piece, and a Stop button replaced between the
   * press and the release of a click (tokens every few tens of ms) would never receive the click.
   */
  private rerunActions(state: RerunView['state']): HTMLElement {
    const kind = state === 'loading' || state === 'running' ? 'going' : state;
    if (this.actions?.kind === kind) return this.actions.el;
    const actions = el('span', undefined, 'rerun-actions');
    if (state === 'plan') {
      actions.append(
        button('Run', () => this.post({ type: 'rerunStart' }), { title: 'Send this prompt and the frames shown to the model' }),
        button('Cancel', () => this.post({ type: 'rerunDismiss' }), { secondary: true }),
      );
    } else if (kind === 'going') {
      actions.append(
        spinner(),
        button('Stop', () => this.post({ type: 'rerunStop' }), { title: 'Stop generating (nothing is saved)' }),
      );
    } else {
      // After an error or a stop, Run is offered again (with a model folder chosen since, say).
      if (state === 'error' || state === 'cancelled')
        actions.append(button('Run', () => this.post({ type: 'rerunStart' }), { title: 'Run the planned re-run again' }));
      actions.append(button('Close', () => this.post({ type: 'rerunDismiss' }), { secondary: true }));
    }
    this.actions = { kind, el: actions };
    return actions;
  }

  showFrames(frames: FramesView): void {
    this.frames = frames;
    this.selected = Math.min(this.selected, Math.max(0, frames.indices.length - 1));
    this.renderFrames();
  }

  private renderNav(position: { index: number; total: number }, pinned: boolean): void {
    const h = this.header;
    h.replaceChildren(
      button('◀ Previous', () => this.post({ type: 'navigate', to: 'previous' }), {
        secondary: true,
        title: 'Previous record (tree order, filter)',
      }),
      button('Next ▶', () => this.post({ type: 'navigate', to: 'next' }), { secondary: true, title: 'Next record (tree order, filter)' }),
      button('Next Incorrect', () => this.post({ type: 'navigate', to: 'nextIncorrect' }), { title: 'Next incorrect record' }),
      el('span', position.index >= 0 ? `${position.index + 1} / ${position.total}` : '', 'position'),
      button(pinned ? 'Pinned' : 'Pin', () => this.post({ type: 'pin' }), {
        secondary: true,
        disabled: pinned,
        title: 'Keep this panel; the next record opens in a new one',
      }),
      button('Go to Source', () => this.post({ type: 'openSource' }), { secondary: true }),
      button('Tag…', () => this.post({ type: 'tag' }), { secondary: true, title: 'Tag this record (T); Shift+T removes a tag' }),
      button('Note…', () => this.post({ type: 'editNote' }), { secondary: true, title: 'Write a note on this record (E)' }),
      button('Re-run…', () => this.post({ type: 'rerunPlan' }), {
        secondary: true,
        title: 'Re-run this question through the local ONNX model (forward, reverse or both thinking)',
      }),
      button('?', () => this.onHelp?.(), { secondary: true, title: 'Keyboard shortcuts (?)' }),
    );
  }

  private renderText(r: TraceRecordView): void {
    const t = this.textPane;
    t.replaceChildren();
    t.append(el('h2', 'Question'), el('p', questionStem(r.question), 'question'));
    if (r.options.length) {
      const list = el('ol', undefined, 'options');
      for (const o of r.options) {
        const li = el('li');
        li.append(el('span', `${o.letter}.`, 'letter'), el('span', o.text, 'option-text'));
        const marks: HTMLElement[] = [];
        if (o.letter === r.goldLetter) marks.push(badge('gold', 'gold'));
        const mcq = r.mcq_infer.predicted === o.letter;
        const grpo = r.grpo_reward.predicted === o.letter;
        if (mcq && grpo) marks.push(badge('predicted', 'predicted'));
        else {
          if (mcq) marks.push(badge('mcq_infer', 'predicted'));
          if (grpo) marks.push(badge('grpo_reward', 'predicted'));
        }
        if (o.letter === r.goldLetter) li.classList.add('is-gold');
        if (mcq || grpo) li.classList.add(o.letter === r.goldLetter ? 'is-right' : 'is-wrong');
        li.append(...marks);
        list.append(li);
      }
      t.append(list);
    }
    if (r.route) t.append(...routeSection(r.route));
    else t.append(verdictLine(r));
    if (r.mcq_infer.outcome !== r.grpo_reward.outcome && !r.mcq_infer.na && !r.grpo_reward.na) {
      t.append(el('p', 'The two upstream rules disagree on this record.', 'note'));
    }
    if (!r.video) {
      t.append(
        el(
          'p',
          'No video: this record\u2019s "video" is empty. ' +
            'Upstream\u2019s inference script runs no model for such a record and writes "No video file specified." as its prediction; ' +
            'it is scored on that text.',
          'warning-text no-video',
        ),
      );
    }
    t.append(divider(), el('h2', 'Reasoning'));
    if (r.steps.length) {
      t.append(stepsList(r.steps));
    } else {
      t.append(el('pre', r.response || '(empty response)', 'response'));
      if (r.na) t.append(el('p', `No reasoning to show: ${NA_TEXT[r.na].long}.`, 'note'));
    }
    if (r.answer !== undefined) t.append(el('h2', 'Answer'), el('pre', r.answer.trim(), 'answer'));
    const meta = el('dl', undefined, 'meta');
    const add = (k: string, v?: string) => {
      if (v === undefined || v === '') return;
      meta.append(el('dt', k), el('dd', v));
    };
    add('id', r.id);
    add('category', `${categoryText(r)} · ${r.direction}`);
    add('category from', r.categorySource);
    add('model', r.model);
    add('mode', r.mode);
    add('sampler', r.sampler);
    add('video', r.video || '(none)');
    add('source', `${r.file}:${r.line}`);
    add('shape', r.shape);
    t.append(divider(), meta);
  }

  private renderFrames(): void {
    const f = this.frames;
    const r = this.record;
    const p = this.framesPane;
    p.replaceChildren();
    if (!r) return;
    const bar = el('div', undefined, 'frames-bar');
    bar.append(
      dropdown(
        [...SAMPLERS],
        f?.sampler ?? r.sampler,
        (v) => this.post({ type: 'setSampler', sampler: v as SamplerName }),
        'Frame sampler',
      ),
      checkbox('As the model saw them', this.modelSize, (c) => {
        this.modelSize = c;
        this.renderFrames();
      }),
    );
    p.append(bar);
    if (!f || f.state === 'loading') {
      const w = el('div', undefined, 'frames-loading');
      w.append(spinner(), el('span', 'Extracting frames…'));
      p.append(w);
      return;
    }
    if (f.state === 'error') {
      p.append(this.framesError(f));
      return;
    }
    p.append(el('p', framesFacts(f), 'frames-facts'));
    // Frames other torch builds would pick (16-lane AVX-512 or scalar linspace): a quiet note, and a
    // dashed outline with the reason on the frames concerned.
    const alternatives = f.alternatives ?? [];
    const notes = alternativesNotes(alternatives, f.indices.length);
    if (notes.length) {
      const note = el('p', `Could differ: ${notes.join(' ')}`, 'note frames-alt');
      note.setAttribute('role', 'note');
      p.append(note);
    }
    const byIndex = new Map(f.frames.map((x) => [x.index, x]));
    p.append(this.strip(f, byIndex));
    p.append(this.enlarged(f, byIndex));
  }

  /** Why there are no frames, the paths tried, and Locate Video Folder… when a video is named. */
  private framesError(f: FramesView): HTMLElement {
    const box = el('div', undefined, 'frames-error');
    box.append(el('p', f.message ?? 'No frames.', 'error-text'));
    if (f.tried?.length) {
      box.append(el('p', 'Paths tried:'));
      const ul = el('ul', undefined, 'tried');
      for (const t of f.tried) ul.append(el('li', t));
      box.append(ul);
    }
    if (!f.noVideo) box.append(button('Locate Video Folder…', () => this.post({ type: 'locateVideo' })));
    return box;
  }

  /** The frames in the model's order, one selectable thumbnail each (arrow keys, Home, End). */
  private strip(f: FramesView, byIndex: Map<number, FramesView['frames'][number]>): HTMLElement {
    const alternatives = f.alternatives ?? [];
    const strip = el('div', undefined, 'strip');
    strip.setAttribute('role', 'listbox');
    strip.setAttribute('aria-label', 'Frames the model saw, in order');
    strip.tabIndex = 0;
    f.indices.forEach((index, k) => {
      const frame = byIndex.get(index);
      const cell = el('button', undefined, `thumb${k === this.selected ? ' selected' : ''}`);
      cell.setAttribute('role', 'option');
      cell.setAttribute('aria-selected', String(k === this.selected));
      cell.tabIndex = -1;
      fillThumb(cell, index, frame, 'span');
      const differs = alternatives.filter((a) => a.position === k);
      if (differs.length) {
        cell.classList.add('could-differ');
        cell.title = alternativesNotes(differs, f.indices.length).join('\n');
      }
      cell.addEventListener('click', () => {
        this.selected = k;
        this.framesActive = true;
        this.renderFrames();
        (this.framesPane.querySelector('.strip') as HTMLElement | null)?.focus();
      });
      strip.append(cell);
    });
    strip.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Home' && e.key !== 'End') return;
      e.preventDefault();
      this.moveFrame(e.key === 'Home' ? 'first' : e.key === 'End' ? 'last' : e.key === 'ArrowRight' ? 'next' : 'previous');
    });
    return strip;
  }

  /** The trace view's frame keys (keys.ts): only once a thumbnail was clicked, and only with frames shown. */
  frameKey(move: 'next' | 'previous' | 'first' | 'last'): boolean {
    if (!this.framesActive || this.frames?.state !== 'ready' || !this.frames.indices.length) return false;
    this.moveFrame(move);
    return true;
  }

  /** Esc: the arrow keys stop moving frames until a thumbnail is clicked again. */
  releaseFrames(): void {
    this.framesActive = false;
  }

  private moveFrame(move: 'next' | 'previous' | 'first' | 'last'): void {
    const n = this.frames?.indices.length ?? 0;
    if (!n) return;
    this.selected = move === 'first' ? 0 : move === 'last' ? n - 1 : (this.selected + (move === 'next' ? 1 : -1) + n) % n;
    this.renderFrames();
    (this.framesPane.querySelector('.strip') as HTMLElement | null)?.focus();
  }

  /** The selected frame, enlarged (at the model's size when so chosen). */
  private enlarged(f: FramesView, byIndex: Map<number, FramesView['frames'][number]>): HTMLElement {
    const size = this.modelSize && f.model ? f.model : undefined;
    const cur = byIndex.get(f.indices[this.selected]);
    const big = el('figure', undefined, 'enlarged');
    if (cur?.src) {
      const img = el('img');
      img.src = cur.src;
      img.alt = `frame ${cur.index}, enlarged`;
      if (size) {
        img.style.width = `${size.width}px`;
        img.style.height = `${size.height}px`;
        img.classList.add('model-size');
      }
      big.append(img);
    }
    big.append(
      el(
        'figcaption',
        cur
          ? `Frame ${this.selected + 1} of ${f.indices.length}: index ${cur.index} at ${cur.time.toFixed(3)} s` +
              (size ? ` (shown at the model's ${size.width}×${size.height})` : '')
          : '',
      ),
    );
    return big;
  }
}

/** The line of facts above the frames: how many, out of how many, at what size, from where, cached or not. */
function framesFacts(f: FramesView): string {
  return [
    `${f.indices.length} frames · ${f.totalFrames ?? '?'} in the video`,
    f.estimated ? ` (count estimated from the ${f.countSource})` : '',
    f.model ? ` · model size ${f.model.width}×${f.model.height}` : '',
    f.source ? ` · source ${f.source.width}×${f.source.height}` : '',
    f.preset ? ` · ${describePreset(f.preset)}` : '',
    f.cached ? ' · cached' : '',
  ].join('');
}

/** One run of a re-run: its prompt, then (once it started) its text, verdicts and speed. */
function rerunColumn(view: RerunView, r: RerunView['runs'][number]): HTMLDivElement {
  const col = el('div', undefined, `rerun-run ${r.state}`);
  const title = el('h3', `${r.mode === 'forward' ? 'Forward' : 'Reverse'} thinking`);
  const going = view.state === 'loading' || view.state === 'running';
  const state = r.state !== 'waiting' ? r.state : view.state === 'plan' ? '' : going ? 'waiting' : 'not run';
  if (state) title.append(el('span', ` · ${state}`, 'note'));
  col.append(title);
  const prompt = el('details', undefined, 'prompt');
  prompt.open = view.state === 'plan';
  prompt.append(el('summary', 'Prompt'));
  const opening = r.prompt.prefix ? `assistant starts with (${r.prompt.prefix})` : 'assistant starts with';
  for (const [k, v] of [
    ['system', r.prompt.system],
    ['user (after the video)', r.prompt.user],
    [opening, r.prompt.assistantPrefix],
  ] as const) {
    if (!v) continue;
    prompt.append(el('p', k, 'k'), el('pre', v, 'prompt-text'));
  }
  col.append(prompt);
  if (r.state === 'waiting') {
    // A run that has not started has no text and no verdicts: only "(waiting)" while the others go.
    if (going) col.append(el('pre', '(waiting)', 'response rerun-text'));
  } else {
    if (r.steps.length) col.append(stepsList(r.steps));
    const live = el('pre', r.text, 'response rerun-text');
    live.setAttribute('aria-live', 'polite');
    col.append(live);
    if (r.answer !== undefined) col.append(el('p', `Answer: ${r.answer.trim()}`, 'answer'));
    if (r.mcq_infer && r.grpo_reward) {
      col.append(verdictLine({ mcq_infer: r.mcq_infer, grpo_reward: r.grpo_reward, format: r.formatValid ? 'valid' : 'invalid' }));
    }
    const speed = [
      `${r.tokens} tokens`,
      r.firstTokenMs !== undefined ? `first token ${(r.firstTokenMs / 1000).toFixed(2)} s` : '',
      r.tokensPerSecond ? `${r.tokensPerSecond.toFixed(1)} tokens/s` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    col.append(el('p', speed, 'note rerun-speed'));
    if (r.savedTo) col.append(el('p', `Saved to ${r.savedTo}`, 'note'));
    if (r.error) col.append(el('p', r.error, 'error-text'));
  }
  return col;
}
