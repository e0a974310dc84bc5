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

/**
 * ↓ / ↑ in the Results tree move the selection, not only the focus as VS Code's trees do, so the
 * record reached is previewed (with stThink.tree.previewOnSelect). The rows are walked as the tree
 * shows them: the expansion of each node is followed through the view's expand and collapse events.
 */
export class TreeArrowKeys {
  private readonly open = new Map<string, boolean>();
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly view: vscode.TreeView<ResultsNode>,
    private readonly tree: vscode.TreeDataProvider<ResultsNode>,
  ) {
    this.subs = [
      view.onDidExpandElement((e) => this.open.set(e.element.id, true)),
      view.onDidCollapseElement((e) => this.open.set(e.element.id, false)),
      vscode.commands.registerCommand('stThink.treeSelectNext', () => this.step(1)),
      vscode.commands.registerCommand('stThink.treeSelectPrevious', () => this.step(-1)),
    ];
  }

  private async isOpen(n: ResultsNode): Promise<boolean> {
    const known = this.open.get(n.id);
    if (known !== undefined) return known;
    const item = await this.tree.getTreeItem(n);
    return item.collapsibleState === vscode.TreeItemCollapsibleState.Expanded;
  }

  /** The rows the tree shows, top to bottom. */
  async rows(): Promise<ResultsNode[]> {
    const out: ResultsNode[] = [];
    const walk = async (nodes: readonly ResultsNode[] | null | undefined): Promise<void> => {
      for (const n of nodes ?? []) {
        out.push(n);
        if (await this.isOpen(n)) await walk(await this.tree.getChildren(n));
      }
    };
    await walk(await this.tree.getChildren());
    return out;
  }

  async step(delta: 1 | -1): Promise<void> {
    const rows = await this.rows();
    if (!rows.length) return;
    const cur = this.view.selection[0];
    const at = cur ? rows.findIndex((r) => r.id === cur.id) : -1;
    const next = at < 0 ? rows[delta === 1 ? 0 : rows.length - 1] : rows[Math.min(rows.length - 1, Math.max(0, at + delta))];
    if (next === cur) return;
    await this.view.reveal(next, { select: true, focus: true, expand: false }).then(undefined, () => undefined);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
