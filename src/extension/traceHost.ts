/** What the trace view asks of the rest of the extension: stepping in the tree's order, selecting, re-runs. */
import * as vscode from 'vscode';
import { outcomeOf } from '../core/summary';
import type { RecordNotesService } from './notes';
import type { JudgeService } from './judge';
import type { RerunService } from './rerun';
import type { ResultsStore } from './store';
import type { TraceHost, TraceTarget } from './tracePanel';
import type { ResultsNode, ResultsTreeProvider } from './tree';

export interface TraceHostDeps {
  context: vscode.ExtensionContext;
  store: ResultsStore;
  tree: ResultsTreeProvider;
  view: vscode.TreeView<ResultsNode>;
  reruns: RerunService;
  notes?: RecordNotesService;
  judge?: JudgeService;
}

const same = (a: TraceTarget, b: TraceTarget) => a.file === b.file && a.entry === b.entry;

export function createTraceHost({ context, store, tree, view, reruns, notes, judge }: TraceHostDeps): TraceHost {
  return {
    context,
    store,
    notesOf: (t) => notes?.notesOf(t.file, t.entry),
    judge,
    rerun: { start: (p) => reruns.start(p), stop: (p) => reruns.stop(p), dismiss: (p) => reruns.dismiss(p) },
    step(t, delta, incorrectOnly) {
      // Records in tree order; Next/Previous stop at the ends, the incorrect ones wrap around.
      const order = tree.treeOrder();
      const n = order.length;
      const at = order.findIndex((o) => same(o, t));
      for (let k = 1; k <= n; k++) {
        const i = at < 0 ? (delta === 1 ? k - 1 : n - k) : at + delta * k;
        if (!incorrectOnly && (i < 0 || i >= n)) return undefined;
        const o = order[((i % n) + n) % n];
        if (!incorrectOnly || outcomeOf(o.entry, store.rule) === 'incorrect') return o === order[at] ? undefined : o;
      }
      return undefined;
    },
    position(t) {
      // Counted within the record's file: the tree's order runs across every open file.
      const order = tree.treeOrder().filter((o) => o.file === t.file);
      return { index: order.findIndex((o) => same(o, t)), total: order.length };
    },
    onShow(t) {
      const node = tree.recordNode(t.file, t.entry);
      if (node) void view.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
    },
  };
}
