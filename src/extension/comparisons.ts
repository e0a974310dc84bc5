/**
 * The comparisons made this session: each pairs two open results files and keeps its flipped
 * records and a cursor for Next / Previous Flip. The Results tree lists them under "Comparisons";
 * a comparison goes when either file is closed or re-indexed from scratch (its entries are stale).
 */
import * as vscode from 'vscode';
import { comparePairing, pairRuns, type Comparison } from '../core/compare/compare';
import type { ResultsIndex } from '../core/index';
import { pairTitle } from '../core/recordText';
import { Disposable } from './dispose';
import type { ResultsFile, ResultsStore } from './store';
import type { PairTarget } from './tracePanel';

let made = 0;

export class ComparisonSession {
  readonly key = `${++made}`;
  /** Index into comparison.flipped of the flip last shown (-1: none yet). */
  cursor = -1;
  private readonly indexA: ResultsIndex | undefined;
  private readonly indexB: ResultsIndex | undefined;

  constructor(
    readonly a: ResultsFile,
    readonly b: ResultsFile,
    readonly comparison: Comparison,
  ) {
    this.indexA = a.index;
    this.indexB = b.index;
  }

  get title(): string {
    return `${fileName(this.a)} ↔ ${fileName(this.b)}`;
  }

  /** Still about the records the files hold now. */
  valid(store: ResultsStore): boolean {
    const open = store.list;
    return open.includes(this.a) && open.includes(this.b) && this.a.index === this.indexA && this.b.index === this.indexB;
  }

  /** Flipped pair `i` as the trace view's pair target, stepping through the other flips. */
  flip(i: number): PairTarget | undefined {
    const f = this.comparison.flipped[i];
    if (!f) return undefined;
    this.cursor = i;
    const n = this.comparison.flipped.length;
    return {
      a: { file: this.a, entry: f.a },
      b: { file: this.b, entry: f.b },
      labelA: `A · ${fileName(this.a)}:${f.a.line}`,
      labelB: `B · ${fileName(this.b)}:${f.b.line}`,
      title: `${f.kind === 'rightToWrong' ? 'A right → B wrong' : 'A wrong → B right'}: ${pairTitle(f.a, f.b)}`,
      position: { index: i, total: n, what: 'flip' },
      step: (delta) => (n ? this.flip((i + delta + n) % n) : undefined),
    };
  }
}

export class Comparisons extends Disposable {
  private readonly emitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.emitter.event;
  private sessions: ComparisonSession[] = [];
  /** The comparison Next / Previous Flip step through: the last one opened or used. */
  active: ComparisonSession | undefined;

  constructor(private readonly store: ResultsStore) {
    super();
    this._register(store.onDidChange(() => this.prune()));
  }

  get list(): readonly ComparisonSession[] {
    return this.sessions;
  }

  /**
   * Pair and compare two files' visible records (under the current filter and rule), with
   * progress and cancellation. A comparison of the same two files replaces the earlier one.
   */
  async compare(a: ResultsFile, b: ResultsFile, opts: { rerunMode?: 'forward' | 'reverse' } = {}): Promise<ComparisonSession | undefined> {
    if (!a.index || !b.index) throw new Error(`${!a.index ? a.path : b.path} is not indexed yet`);
    const rule = this.store.rule;
    const comparison = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `ST-Think: comparing ${fileName(a)} with ${fileName(b)}`,
        cancellable: true,
      },
      async (_p, token) => {
        const ctrl = new AbortController();
        token.onCancellationRequested(() => ctrl.abort());
        try {
          const pairing = await pairRuns(a.index!, b.index!, { signal: ctrl.signal, rerunMode: opts.rerunMode });
          // Under a filter: each side's visible records, and the pairs both of whose records are.
          return comparePairing(pairing, a.visible, b.visible, rule, opts.rerunMode);
        } catch (e) {
          if ((e as Error).name === 'AbortError') return undefined;
          throw e;
        }
      },
    );
    if (!comparison) return undefined;
    const s = new ComparisonSession(a, b, comparison);
    this.sessions = [...this.sessions.filter((x) => !(x.a === a && x.b === b)), s];
    this.active = s;
    this.emitter.fire();
    void vscode.commands.executeCommand('setContext', 'stThink.hasComparison', true);
    return s;
  }

  remove(s: ComparisonSession): void {
    this.sessions = this.sessions.filter((x) => x !== s);
    if (this.active === s) this.active = this.sessions[this.sessions.length - 1];
    this.changed();
  }

  private prune(): void {
    const keep = this.sessions.filter((s) => s.valid(this.store));
    if (keep.length === this.sessions.length) return;
    this.sessions = keep;
    if (this.active && !keep.includes(this.active)) this.active = keep[keep.length - 1];
    this.changed();
  }

  private changed(): void {
    this.emitter.fire();
    void vscode.commands.executeCommand('setContext', 'stThink.hasComparison', this.sessions.length > 0);
  }
}

export function fileName(f: ResultsFile): string {
  return f.uri.path.split('/').pop() ?? f.path;
}
