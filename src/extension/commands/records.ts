/** One record: shown in the trace view or as text, pinned, copied as JSON, found in its file. */
import * as vscode from 'vscode';
import { TracePanel } from '../tracePanel';
import type { RecordRef } from './args';
import type { CommandContext } from './context';

type ShowContext = Pick<CommandContext, 'store' | 'records' | 'traceHost'>;

/** Shows a record in the trace view (the preview one unless pinned) and makes its file active. */
export async function showTrace({ store, records, traceHost }: ShowContext, n: RecordRef, preserveFocus = true): Promise<void> {
  records.lastShown = n;
  store.active = n.file;
  await TracePanel.show(traceHost, { file: n.file, entry: n.entry }, preserveFocus);
}

async function copyRecordAsJson(n: RecordRef | undefined): Promise<void> {
  if (!n?.file.index) return;
  const raw = await n.file.index.readRaw(n.entry);
  let text = raw;
  try {
    text = JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    // changed on disk: copy what is there
  }
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(`ST-Think: copied record ${n.entry.id} as JSON`, 3000);
}

async function goToSource(at: { file: { uri: vscode.Uri }; line: number } | undefined): Promise<void> {
  if (!at) return;
  const pos = new vscode.Position(at.line - 1, 0);
  // Opened read-only in spirit: the extension never edits it; the user may, in their own editor.
  await vscode.window.showTextDocument(at.file.uri, { selection: new vscode.Range(pos, pos), preview: true });
}

export function registerRecordCommands(ctx: ShowContext & Pick<CommandContext, 'args'>): vscode.Disposable[] {
  const { args, records } = ctx;
  return [
    vscode.commands.registerCommand('stThink.showRecord', (arg: unknown) => {
      const n = args.record(arg);
      return n && showTrace(ctx, n);
    }),
    vscode.commands.registerCommand('stThink.showTrace', (arg: unknown) => {
      const n = args.record(arg);
      if (!n) return void vscode.window.showInformationMessage('ST-Think: select a record in the Results tree first.');
      return showTrace(ctx, n, false);
    }),
    vscode.commands.registerCommand('stThink.showRecordAsText', (arg: unknown) => {
      const n = args.record(arg);
      return n && records.show(n, false);
    }),
    vscode.commands.registerCommand('stThink.pinTrace', () => {
      const p = [...TracePanel.all].find((x) => x.panel.active) ?? [...TracePanel.all].pop();
      p?.pin();
    }),
    vscode.commands.registerCommand('stThink.copyRecordAsJson', (arg: unknown) => copyRecordAsJson(args.record(arg))),
    vscode.commands.registerCommand('stThink.goToSource', (arg: unknown) => goToSource(args.source(arg))),
  ];
}
