/**
 * Re-running questions with the local model or a served one: one record or the filtered ones, the model folder, the
 * served model's API key, the CUDA provider.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_PREFIX_STYLE, PREFIX_STYLES, type PrefixStyle } from '../../core/model/prompt';
import { askForApiKey } from '../apiKeys';
import { fileName } from '../comparisons';
import type { RerunChoice } from '../rerun';
import type { CommandContext } from './context';

type RerunContext = Pick<CommandContext, 'context' | 'reruns' | 'args'>;
interface Picked {
  mode: RerunChoice;
  prefixStyle?: PrefixStyle;
}

/** The mode, and for reverse thinking the prefix style: the setting's first, the other one offered beside it. */
async function pickMode(title: string): Promise<Picked | undefined> {
  const setting = vscode.workspace.getConfiguration('stThink').get<string>('rerun.prefixStyle', DEFAULT_PREFIX_STYLE);
  const style: PrefixStyle = setting === 'as-worded' ? 'as-worded' : 'as-trained';
  const other: PrefixStyle = style === 'as-trained' ? 'as-worded' : 'as-trained';
  const what: Record<PrefixStyle, string> = {
    'as-trained': "as trained: opens the way ST-R1's training chains open for this category and direction",
    'as-worded': "as worded: opens with the question's own opposite",
  };
  const items: (vscode.QuickPickItem & Picked)[] = [
    { label: 'Forward thinking', description: 'the upstream ST-R1 prompt', mode: 'forward' },
    {
      label: 'Reverse thinking',
      description: `the assistant starts by thinking about the opposite journey, ${what[style]}`,
      mode: 'reverse',
      prefixStyle: style,
    },
    { label: `Reverse thinking, ${other.replace('-', ' ')}`, description: what[other], mode: 'reverse', prefixStyle: other },
    {
      label: 'Both',
      description: `forward, then reverse (${style.replace('-', ' ')}), then the two chains side by side`,
      mode: 'both',
      prefixStyle: style,
    },
    {
      label: `Both, reverse ${other.replace('-', ' ')}`,
      description: `forward, then reverse (${other.replace('-', ' ')}), then the two chains side by side`,
      mode: 'both',
      prefixStyle: other,
    },
  ];
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'How should the model think?' });
  return pick && { mode: pick.mode, prefixStyle: pick.prefixStyle };
}

const isChoice = (m: unknown): m is RerunChoice => m === 'forward' || m === 'reverse' || m === 'both';

/** The mode given by the caller (with `{ prefixStyle }`), else the one picked. */
function givenOrPicked(mode: unknown, opts: unknown, title: () => string): Promise<Picked | undefined> | Picked {
  if (!isChoice(mode)) return pickMode(title());
  const v = (opts as { prefixStyle?: unknown } | undefined)?.prefixStyle;
  return { mode, prefixStyle: (PREFIX_STYLES as readonly unknown[]).includes(v) ? (v as PrefixStyle) : undefined };
}

async function rerunQuestion({ reruns, args }: RerunContext, arg?: unknown, mode?: unknown, opts?: unknown) {
  const target = args.recordOrTraced(arg);
  if (!target?.file.index)
    return void vscode.window.showInformationMessage(
      'ST-Think: select a record in the Results tree (or show one in the trace view) first.',
    );
  const picked = await givenOrPicked(mode, opts, () => `ST-Think: Re-run ${target.entry.id}`);
  if (picked) return reruns.plan(target, picked.mode, picked.prefixStyle);
}

async function rerunFiltered({ reruns, args }: RerunContext, arg?: unknown, mode?: unknown, opts?: { confirm?: boolean }) {
  const file = await args.file(arg);
  if (!file?.index || file.state.kind !== 'ready')
    return void vscode.window.showInformationMessage('ST-Think: open and index a results file first.');
  const n = file.visible.length;
  if (!n) return void vscode.window.showInformationMessage('ST-Think: no record matches the filter.');
  const picked = await givenOrPicked(mode, opts, () => `ST-Think: Re-run ${n.toLocaleString()} filtered records of ${fileName(file)}`);
  if (!picked) return;
  const choice = picked.mode;
  if (opts?.confirm !== false) {
    const style = choice !== 'forward' && picked.prefixStyle ? `, reverse prefix ${picked.prefixStyle.replace('-', ' ')}` : '';
    const go = await vscode.window.showWarningMessage(
      `Re-run ${n.toLocaleString()} record${n === 1 ? '' : 's'} of ${fileName(file)} (${choice} thinking${style})?`,
      {
        modal: true,
        detail:
          `Each finished run is saved to ${reruns.rerunsFileOf(file.path)}. ` +
          'Records already re-run with the same settings are skipped, so a cancelled batch resumes where it stopped.',
      },
      'Re-run',
    );
    if (go !== 'Re-run') return;
  }
  return reruns.rerunFiltered(file, choice, picked.prefixStyle);
}

/**
 * onnxruntime-node's own install script fetches its CUDA 12 provider (NuGet) on request: in dist/node_modules in
 * an installed linux-x64 .vsix (scripts/package.mjs ships it only where onnxruntime-node has a CUDA download), in
 * node_modules in a checkout.
 */
async function installCudaProvider({ context }: Pick<CommandContext, 'context'>): Promise<void> {
  const candidates = [['dist', 'node_modules'], ['node_modules']].map(
    (dir) => vscode.Uri.joinPath(context.extensionUri, ...dir, 'onnxruntime-node', 'script', 'install.js').fsPath,
  );
  const script = candidates.find((f) => fs.existsSync(f));
  if (!script) {
    return void vscode.window.showErrorMessage(
      `ST-Think: onnxruntime-node's installer is not beside the extension (${candidates.join(' and ')} are missing). ` +
        `Its CUDA provider is offered for Linux x64 only: install st-think-inspector-linux-x64.vsix, or run npm ci in a checkout.`,
    );
  }
  const go = await vscode.window.showWarningMessage(
    'Download the CUDA 12 provider of onnxruntime-node?',
    {
      modal: true,
      detail:
        "It is fetched from NuGet (network needed, a few hundred MB) into the extension's node_modules. " +
        'Running on the GPU also needs CUDA 12 and cuDNN 9 installed on this machine. ' +
        'Reload the window afterwards; the status bar then says CUDA.',
    },
    'Download',
  );
  if (go !== 'Download') return;
  const term = vscode.window.createTerminal({
    name: 'ST-Think: CUDA provider',
    shellPath: process.execPath,
    shellArgs: [script],
    cwd: path.dirname(path.dirname(script)),
    env: { ONNXRUNTIME_NODE_INSTALL: 'cuda12', ELECTRON_RUN_AS_NODE: '1' },
  });
  term.show();
}

export function registerRerunCommands(ctx: RerunContext): vscode.Disposable[] {
  const { reruns, args } = ctx;
  return [
    vscode.commands.registerCommand('stThink.rerunQuestion', (arg?: unknown, mode?: unknown, opts?: unknown) =>
      rerunQuestion(ctx, arg, mode, opts),
    ),
    vscode.commands.registerCommand('stThink.rerunFiltered', (arg?: unknown, mode?: unknown, opts?: { confirm?: boolean }) =>
      rerunFiltered(ctx, arg, mode, opts),
    ),
    vscode.commands.registerCommand('stThink.chooseModelFolder', (uri?: unknown) =>
      reruns.chooseModelFolder(uri instanceof vscode.Uri ? uri : undefined),
    ),
    vscode.commands.registerCommand('stThink.stopRerun', () => reruns.stopAll()),
    vscode.commands.registerCommand('stThink.setServedApiKey', (key?: unknown) => askForApiKey(reruns.servedKey, key)),
    vscode.commands.registerCommand('stThink.installCudaProvider', () => installCudaProvider(ctx)),
    vscode.commands.registerCommand('stThink.diffRerunWithOriginal', async (arg?: unknown) => {
      const t = args.recordOrTraced(arg);
      if (!t?.file.index) return void vscode.window.showInformationMessage('ST-Think: select a re-run in the Results tree first.');
      await reruns.diffWithOriginal(t);
    }),
  ];
}
