/** A results file's summary view (accuracy by category, direction, outcome). */
import * as vscode from 'vscode';
import { SummaryPanel } from '../summaryPanel';
import type { CommandContext } from './context';

export function registerSummaryCommands({ context, store, args }: Pick<CommandContext, 'context' | 'store' | 'args'>): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('stThink.showSummary', async (arg: unknown) => {
      const file = await args.file(arg);
      if (!file) return void vscode.window.showInformationMessage('ST-Think: open a results file first.');
      if (!file.index || file.state.kind !== 'ready')
        return void vscode.window.showWarningMessage(`ST-Think: ${file.path} is not indexed.`);
      SummaryPanel.show(context, store, file);
    }),
  ];
}
