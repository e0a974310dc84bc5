/** Judging route answers: a file, its filtered records or one record; the API key; attaching an upstream judge output. */
import * as vscode from 'vscode';
import { askForApiKey } from '../apiKeys';
import { fileName } from '../comparisons';
import { judgeSettings, OPENAI_BASE_URL, runMessage } from '../judge';
import type { CommandContext } from './context';

type JudgeContext = Pick<CommandContext, 'args' | 'judge'>;

/** The records a judge command works on: one record (a record node), else the file's filtered records. */
async function targetOf({ args }: JudgeContext, arg: unknown) {
  // A record node or `{ file, entry }`: that record; anything else (a file node, `{ file }`, nothing): the filtered records.
  const one = !!arg && typeof arg === 'object' && 'entry' in arg;
  const record = one ? args.record(arg) : undefined;
  if (record?.file.index) return { file: record.file, entries: [record.entry], what: `record ${record.entry.id}` };
  const file = await args.file(arg);
  if (!file?.index || file.state.kind !== 'ready') return undefined;
  const filtered = file.visible.length !== file.index.entries.length;
  return { file, entries: file.visible, what: `${filtered ? 'the filtered records of ' : ''}${fileName(file)}` };
}

async function judgeRoutesCommand(ctx: JudgeContext, arg?: unknown, opts?: { confirm?: boolean }) {
  const target = await targetOf(ctx, arg);
  if (!target) return void vscode.window.showInformationMessage('ST-Think: open and index a results file first.');
  const routes = target.entries.filter((e) => e.category === 'route').length;
  if (!routes) return void vscode.window.showInformationMessage(`ST-Think: no route questions among ${target.what}.`);
  const s = judgeSettings();
  if (!(await ctx.judge.apiKey()) && s.baseUrl === OPENAI_BASE_URL) {
    const set = 'Set Judge API Key';
    const pick = await vscode.window.showWarningMessage(`ST-Think: the judge (${s.baseUrl}) needs an API key.`, set);
    if (pick === set) await vscode.commands.executeCommand('stThink.setJudgeApiKey');
    if (!(await ctx.judge.apiKey())) return undefined;
  }
  if (opts?.confirm !== false) {
    const go = 'Judge';
    const pick = await vscode.window.showInformationMessage(
      `ST-Think: judge ${routes.toLocaleString()} route answers of ${target.what} with ${s.model} at ${s.baseUrl}? ` +
        'Answers judged before with the same model and template are not sent again.',
      { modal: true },
      go,
    );
    if (pick !== go) return undefined;
  }
  try {
    const r = await ctx.judge.judge(target.file, target.entries);
    if (r) void vscode.window.showInformationMessage(runMessage(r));
    return r;
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: judging stopped: ${(e as Error).message}`);
    return undefined;
  }
}

async function attachJudgeFile(ctx: JudgeContext, arg?: unknown, judgeFile?: unknown) {
  const file = await ctx.args.file(arg);
  if (!file?.index) return void vscode.window.showInformationMessage('ST-Think: open and index a results file first.');
  let chosen = typeof judgeFile === 'string' ? judgeFile : (judgeFile as vscode.Uri | undefined)?.fsPath;
  if (!chosen) {
    const picked = await vscode.window.showOpenDialog({
      title: `ST-Think: an upstream judge output for ${fileName(file)}`,
      defaultUri: vscode.Uri.joinPath(file.uri, '..'),
      filters: { 'Judge output': ['json'] },
    });
    chosen = picked?.[0]?.fsPath;
  }
  if (!chosen) return undefined;
  try {
    const r = await ctx.judge.attach(file, chosen);
    const unmatched = r.unmatched ? `; ${r.unmatched} did not match any record` : '';
    void vscode.window.showInformationMessage(`ST-Think: ${r.matched} of ${r.total} evaluations attached by sample key${unmatched}.`);
    return r;
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: ${(e as Error).message}`);
    return undefined;
  }
}

export function registerJudgeCommands(ctx: JudgeContext): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('stThink.judgeRoutes', (arg?: unknown, opts?: { confirm?: boolean }) =>
      judgeRoutesCommand(ctx, arg, opts),
    ),
    vscode.commands.registerCommand('stThink.setJudgeApiKey', (key?: unknown) => askForApiKey(ctx.judge.key, key)),
    vscode.commands.registerCommand('stThink.attachJudgeFile', (arg?: unknown, judgeFile?: unknown) =>
      attachJudgeFile(ctx, arg, judgeFile),
    ),
  ];
}
