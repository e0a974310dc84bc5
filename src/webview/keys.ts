/**
 * The trace view's own keys: next / previous record, next / previous incorrect, frames with ← / →
 * once a thumbnail is clicked, and `?` for a help overlay listing them. No key acts while the focus
 * is in something that takes typing (an input, a text area, a dropdown, editable text), nor with
 * Ctrl, Alt or Cmd held (those are VS Code's). The overlay's text is the extension's own, set as text.
 */
import { el } from './dom';

export interface TraceKeyActions {
  /** Whether the webview shows a trace (the summary and comparison views share this script). */
  active(): boolean;
  navigate(to: 'next' | 'previous' | 'nextIncorrect' | 'previousIncorrect'): void;
  /** T: Tag…, Shift+T: Remove Tag…, E: Edit Note… on the record shown. */
  notes(what: 'tag' | 'untag' | 'editNote'): void;
  /** Moves the selected frame; false when frame keys are not active (no thumbnail clicked yet). */
  frame(move: 'next' | 'previous' | 'first' | 'last'): boolean;
  /** Esc: the frame keys stop until a thumbnail is clicked again. */
  releaseFrames(): void;
}

/** The keys the overlay lists, in its order. */
export const TRACE_KEYS: readonly { keys: string; what: string }[] = [
  { keys: 'J or N', what: 'Next record (tree order and filter)' },
  { keys: 'K or P', what: 'Previous record' },
  { keys: 'I', what: 'Next incorrect record' },
  { keys: 'Shift+I', what: 'Previous incorrect record' },
  { keys: 'T', what: 'Tag this record' },
  { keys: 'Shift+T', what: 'Remove a tag of this record' },
  { keys: 'E', what: 'Write or edit the note on this record' },
  { keys: '← / →', what: 'Previous / next frame, once a thumbnail is clicked' },
  { keys: 'Home / End', what: 'First / last frame, once a thumbnail is clicked' },
  { keys: 'Esc', what: 'Close this help; stop the arrow keys moving frames' },
  { keys: '?', what: 'Show or hide this help' },
];

const NAVIGATION_KEYS: Record<string, Parameters<TraceKeyActions['navigate']>[0] | undefined> = {
  j: 'next',
  n: 'next',
  k: 'previous',
  p: 'previous',
  i: 'nextIncorrect',
  I: 'previousIncorrect',
};
const NOTES_KEYS: Record<string, Parameters<TraceKeyActions['notes']>[0] | undefined> = {
  t: 'tag',
  T: 'untag',
  e: 'editNote',
};
const FRAME_KEYS: Record<string, Parameters<TraceKeyActions['frame']>[0] | undefined> = {
  ArrowRight: 'next',
  ArrowLeft: 'previous',
  Home: 'first',
  End: 'last',
};

const TYPING_TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'VSCODE-TEXT-FIELD', 'VSCODE-TEXT-AREA', 'VSCODE-DROPDOWN', 'VSCODE-OPTION']);

/** Whether a key event happens where the user types (the event's path, through shadow roots). */
export function isTyping(e: Event): boolean {
  for (const t of e.composedPath()) {
    if (!(t instanceof HTMLElement)) continue;
    if (TYPING_TAGS.has(t.tagName) || t.isContentEditable) return true;
  }
  return false;
}

export class TraceKeys {
  readonly help = el('div', undefined, 'keys-help');

  constructor(private readonly actions: TraceKeyActions) {
    this.help.hidden = true;
    this.help.setAttribute('role', 'dialog');
    this.help.setAttribute('aria-label', 'Keyboard shortcuts of the trace view');
    const box = el('div', undefined, 'keys-help-box');
    box.append(el('h2', 'Keys'));
    const table = el('table');
    for (const k of TRACE_KEYS) {
      const tr = el('tr');
      const th = el('th', undefined, 'keys');
      th.append(el('kbd', k.keys));
      th.scope = 'row';
      tr.append(th, el('td', k.what));
      table.append(tr);
    }
    const close = el('button', 'Close', 'keys-help-close');
    close.addEventListener('click', () => this.toggleHelp(false));
    box.append(table, el('p', 'Keys do nothing while you type in a field.', 'note'), close);
    this.help.append(box);
    this.help.addEventListener('click', (e) => {
      if (e.target === this.help) this.toggleHelp(false);
    });
    document.body.append(this.help);
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  toggleHelp(show = this.help.hidden): void {
    this.help.hidden = !show;
    if (show) (this.help.querySelector('.keys-help-close') as HTMLElement | null)?.focus();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e) || !this.actions.active()) return;
    const handled = this.act(e.key);
    if (handled) e.preventDefault();
  }

  private act(key: string): boolean {
    if (key === '?') {
      this.toggleHelp();
      return true;
    }
    if (key === 'Escape') {
      const open = !this.help.hidden;
      this.toggleHelp(false);
      if (!open) this.actions.releaseFrames();
      return open;
    }
    if (!this.help.hidden) return false;
    const to = NAVIGATION_KEYS[key];
    if (to) {
      this.actions.navigate(to);
      return true;
    }
    const notes = NOTES_KEYS[key];
    if (notes) {
      this.actions.notes(notes);
      return true;
    }
    const move = FRAME_KEYS[key];
    return move ? this.actions.frame(move) : false;
  }
}
