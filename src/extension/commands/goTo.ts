/** Finding a record: Go to Record… (by id, video or line) and the tree's grouping (by category or by video). */
import * as vscode from 'vscode';
import { TREE_GROUPINGS, videoShortName, type TreeGrouping } from '../../core/recordLabel';
import { findRecords, type Findable } from '../../core/findRecord';
import type { ScoringRule } from '../../core/schemas';
import { outcomeOf, predictedOf } from '../../core/summary';
import { fileName } from '../comparisons';
import type { ResultsFile } from '../store';
import { treeGroupingSetting } from '../tree';
import type { RecordRef } from './args';
import type { CommandContext } from './context';
import { showTrace } from './records';

type GoToContext = Pick<CommandContext, 'store' | 'tree' | 'view' | 'records' | 'traceHost'>;
/** A quick pick row: `alwaysShow`, as the rows are matched here (findRecords), not by the quick pick. */
type RecordItem = vscode.QuickPickItem & Findable & { record: RecordRef };

/** One quick pick row per record of every open file: the id, then the video, the line and what it is. */
function recordItems(files: readonly ResultsFile[], rule: ScoringRule): RecordItem[] {
  const items: RecordItem[] = [];
  const several = files.length > 1;
  for (const file of files) {
    if (!file.index) continue;
    // Records the filter hides are listed too (opened in the trace view), and say so.
    const shown = file.visible.length === file.index.entries.length ? undefined : new Set(file.visible);
    for (const entry of file.index.entries) {
      const outcome = outcomeOf(entry, rule);
      const parts = [
        entry.video ? videoShortName(entry.video) : 'no video',
        `line ${entry.line}`,
        `${entry.category} ${entry.direction}`,
        `${entry.gold || '?'} → ${predictedOf(entry, rule) || '–'} ${outcome}`,
      ];
      if (several) parts.push(fileName(file));
      if (shown && !shown.has(entry)) parts.push('hidden by the filter');
      const { id, video, line, category, direction } = entry;
      items.push({
        label: id,
        description: parts.join(' · '),
        alwaysShow: true,
        id,
        video,
        line,
        category,
        direction,
        record: { file, entry },
      });
    }
  }
  return items;
}

/** Reveals a record in the tree (when the filter shows it) and opens it in the trace view. */
export async function goTo(ctx: GoToContext, r: RecordRef): Promise<void> {
  const node = ctx.tree.recordNode(r.file, r.entry);
  if (node) await ctx.view.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
  else {
    const why = `ST-Think: record ${r.entry.id} is hidden by the filter (Clear Filter shows it in the tree)`;
    vscode.window.setStatusBarMessage(why, 5000);
  }
  await showTrace(ctx, r, false);
}

/**
 * Go to Record…: a quick pick over every record of the open files, matched on the id, the video's
 * short name, the line and the category. `value` (for the palette's callers and tests) fills the box.
 */
async function goToRecord(ctx: GoToContext, value?: unknown): Promise<void> {
  const files = ctx.store.list.filter((f) => f.index);
  if (!files.length) return void vscode.window.showInformationMessage('ST-Think: open a results file first.');
  const qp = vscode.window.createQuickPick<RecordItem>();
  qp.title = 'ST-Think: Go to Record';
  qp.placeholder = 'Type an id, a video name (e.g. sun3d_3) or a line number';
  // Matched here rather than by the quick pick's fuzzy match: "sun3d_3" should list sun3d_3's
  // questions first, not every name with those letters in order.
  const all = recordItems(files, ctx.store.rule);
  const show = (q: string) => (qp.items = findRecords(all, q));
  qp.matchOnDescription = false;
  qp.onDidChangeValue(show);
  if (typeof value === 'string') qp.value = value;
  show(qp.value);
  const picked = await new Promise<RecordItem | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0] ?? qp.activeItems[0]);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (picked) await goTo(ctx, picked.record);
}

const GROUPING_TEXT: Record<TreeGrouping, { label: string; detail: string }> = {
  category: { label: 'Category', detail: 'File → category → direction → outcome → record' },
  video: { label: 'Video', detail: "File → video → record: a video's forward and reverse questions side by side" },
};

/** Group Records By…: sets stThink.tree.groupBy where it is set (the workspace's value, else the user's). */
async function groupBy(choice?: unknown): Promise<void> {
  let next = TREE_GROUPINGS.find((g) => g === choice);
  if (!next) {
    const now = treeGroupingSetting();
    const pick = await vscode.window.showQuickPick(
      TREE_GROUPINGS.map((g) => ({ ...GROUPING_TEXT[g], description: g === now ? 'current' : undefined, grouping: g })),
      { title: 'ST-Think: Group Records By', placeHolder: 'How the Results tree groups records' },
    );
    next = pick?.grouping;
  }
  if (!next) return;
  const config = vscode.workspace.getConfiguration('stThink');
  const set = config.inspect('tree.groupBy');
  const target =
    set?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : set?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config.update('tree.groupBy', next, target);
}

export function registerGoToCommands(ctx: GoToContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('stThink.goToRecord', (value?: unknown) => goToRecord(ctx, value)),
    vscode.commands.registerCommand('stThink.groupBy', (choice?: unknown) => groupBy(choice)),
  ];
}
