/**
 * Selecting a record in the Results tree (a click, the arrow keys, a reveal) shows it in the trace
 * view's preview panel, keeping the focus in the tree, as the Explorer previews files. Nothing is
 * loaded when a visible trace view already shows the record (a click's own command, a step of the
 * trace view or Next Incorrect that selected it), and a quick run of arrow presses shows the last.
 */
import * as vscode from 'vscode';
import { isRecordNode, type RecordRef } from './commands/args';
import { sameTarget, TracePanel } from './tracePanel';
import type { ResultsNode } from './tree';

export function previewOnSelection(
  view: vscode.TreeView<ResultsNode>,
  show: (r: RecordRef) => Promise<void>,
  delayMs = 150,
): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  const sub = view.onDidChangeSelection((e) => {
    clearTimeout(timer);
    const n = e.selection.length === 1 ? e.selection[0] : undefined;
    if (!n || !isRecordNode(n)) return;
    if (!vscode.workspace.getConfiguration('stThink').get<boolean>('tree.previewOnSelect', true)) return;
    timer = setTimeout(() => {
      if (view.selection.length !== 1 || view.selection[0] !== n) return;
      if ([...TracePanel.all].some((p) => p.panel.visible && sameTarget(p.target, n))) return;
      void show({ file: n.file, entry: n.entry });
    }, delayMs);
  });
  return {
    dispose() {
      clearTimeout(timer);
      sub.dispose();
    },
  };
}
