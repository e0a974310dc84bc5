/** Stepping: through the incorrect records in tree order, and through a comparison's flips (both wrap around). */
import * as vscode from 'vscode';
import { isEmptyFilter } from '../../core/filter';
import { outcomeOf } from '../../core/summary';
import { ComparePanel } from '../comparePanel';
import { openFlip } from './compare';
import type { CommandContext } from './context';
import { showTrace } from './records';

type NavigationContext = Pick<CommandContext, 'store' | 'tree' | 'view' | 'records' | 'traceHost' | 'args' | 'comparisons'>;

async function stepIncorrect(ctx: NavigationContext, delta: 1 | -1): Promise<void> {
  const { store, tree, view, args } = ctx;
  const rule = store.rule;
  const order = tree.treeOrder().filter((o) => outcomeOf(o.entry, rule) === 'incorrect');
  if (!order.length) {
    void vscode.window.showInformationMessage(
      `ST-Think: no incorrect records under ${rule}${isEmptyFilter(store.filter) ? '' : ' and the current filter'}.`,
    );
    return;
  }
  const cur = args.record(undefined);
  let at = cur ? order.findIndex((o) => o.file === cur.file && o.entry === cur.entry) : -1;
  at = at < 0 ? (delta === 1 ? 0 : order.length - 1) : (at + delta + order.length) % order.length;
  const target = order[at];
  const node = tree.recordNode(target.file, target.entry);
  if (node) {
    await view.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
    await showTrace(ctx, node);
  }
}

/**
 * Next / Previous Flip step through the comparison whose view is in focus; else the one last opened
 * or used (its view was the last in focus, or its flip the last shown).
 */
async function stepFlip(ctx: NavigationContext, delta: 1 | -1): Promise<void> {
  const focused = ComparePanel.focused()?.session;
  const session = focused && ctx.comparisons.list.includes(focused) ? focused : ctx.comparisons.active;
  if (!session) return void vscode.window.showInformationMessage('ST-Think: compare two results files first (ST-Think: Compare With…).');
  const n = session.comparison.flipped.length;
  if (!n) return void vscode.window.showInformationMessage(`ST-Think: no flips between ${session.title}.`);
  const i = session.cursor < 0 ? (delta === 1 ? 0 : n - 1) : (session.cursor + delta + n) % n;
  await openFlip(ctx, session, i, 'inline');
  const node = ctx.tree.flipNode(session, i);
  if (node) void ctx.view.reveal(node, { select: true, focus: false }).then(undefined, () => undefined);
}

export function registerNavigationCommands(ctx: NavigationContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('stThink.nextIncorrect', () => stepIncorrect(ctx, 1)),
    vscode.commands.registerCommand('stThink.previousIncorrect', () => stepIncorrect(ctx, -1)),
    vscode.commands.registerCommand('stThink.nextFlip', () => stepFlip(ctx, 1)),
    vscode.commands.registerCommand('stThink.previousFlip', () => stepFlip(ctx, -1)),
  ];
}
