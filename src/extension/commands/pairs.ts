/** Two records side by side: a record with its opposite-direction question, and a shown pair in the diff editor. */
import * as vscode from 'vscode';
import { oppositeDirection } from '../chainDiff';
import { fileName } from '../comparisons';
import { TracePanel } from '../tracePanel';
import type { RecordRef } from './args';
import type { CommandContext } from './context';

async function diffWithOpposite({ traceHost }: Pick<CommandContext, 'traceHost'>, n: RecordRef | undefined): Promise<void> {
  if (!n) return void vscode.window.showInformationMessage('ST-Think: select a record in the Results tree first.');
  const other = oppositeDirection(n.file, n.entry);
  if (!other) {
    const want = n.entry.direction === 'forward' ? 'reverse' : 'forward';
    return void vscode.window.showInformationMessage(
      `ST-Think: ${fileName(n.file)} has no ${want} ${n.entry.category} question on the video of record ${n.entry.id}.`,
    );
  }
  const [fwd, rev] = n.entry.direction === 'forward' ? [n.entry, other] : [other, n.entry];
  const name = fileName(n.file);
  await TracePanel.showPair(
    traceHost,
    {
      a: { file: n.file, entry: fwd },
      b: { file: n.file, entry: rev },
      labelA: `Forward · ${name}:${fwd.line}`,
      labelB: `Reverse · ${name}:${rev.line}`,
      title: `Forward vs reverse: ${fwd.category} on ${fwd.video.split(/[\\/]/).pop()}`,
    },
    false,
  );
}

export function registerPairCommands(ctx: Pick<CommandContext, 'traceHost' | 'args'>): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('stThink.diffWithOppositeDirection', (arg: unknown) => diffWithOpposite(ctx, ctx.args.record(arg))),
    vscode.commands.registerCommand('stThink.openPairInDiffEditor', async () => {
      const p = [...TracePanel.all].find((x) => x.panel.active && x.pair) ?? [...TracePanel.all].find((x) => x.pair);
      if (!p) return void vscode.window.showInformationMessage('ST-Think: no pair of records is shown.');
      await p.openDiffEditor();
    }),
  ];
}
