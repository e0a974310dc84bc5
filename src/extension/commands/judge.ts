/** Judging route answers: a file, its filtered records or one record; the API key; attaching an upstream judge output. */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChatError } from '../../core/http/chat';
import type { JudgeService } from '../judge';
import type { ResultsFile, ResultsStore } from '../store';
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
    if (r?.refusal) void refused(r.refusal);
    else if (r) void vscode.window.showInformationMessage(runMessage(r));
    return r;
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: judging stopped: ${(e as Error).message}`);
    return undefined;
  }
}

/** The endpoint refused (401/403: the key; 404: the URL or the model): said, with what to change. */
async function refused(e: ChatError) {
  const fix = e.kind === 'auth' ? 'Set Judge API Key' : 'Open Judge Settings';
  const pick = await vscode.window.showErrorMessage(`ST-Think: judging stopped: ${e.message}. Nothing more was sent.`, fix);
  if (pick === 'Set Judge API Key') await vscode.commands.executeCommand('stThink.setJudgeApiKey');
  else if (pick) await vscode.commands.executeCommand('workbench.action.openSettings', 'stThink.judge');
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
  return attachAndSay(ctx.judge, file, chosen);
}

/** Attaches a judge output to a file and says how many of its evaluations matched a record. */
async function attachAndSay(judge: JudgeService, file: ResultsFile, judgeFile: string) {
  try {
    const r = await judge.attach(file, judgeFile);
    const unmatched = r.unmatched ? `; ${r.unmatched} did not match any record` : '';
    void vscode.window.showInformationMessage(
      `ST-Think: ${r.matched} of ${r.total} evaluations of ${path.basename(judgeFile)} attached to ${fileName(file)} ` +
        `by sample key${unmatched}.`,
    );
    return r;
  } catch (e) {
    void vscode.window.showErrorMessage(`ST-Think: ${(e as Error).message}`);
    return undefined;
  }
}

/** Whether a file starts as upstream's judge output does (`{"evaluations": {`), from its first bytes only. */
export function looksLikeJudgeOutput(file: string): boolean {
  if (!/\.json$/i.test(file)) return false;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(256);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return /^\uFEFF?\s*\{\s*"evaluations"\s*:\s*\{/.test(head.toString('utf8', 0, n));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * An upstream judge output opened as if it were a results file: attached instead to the open results
 * file with route records beside it (the one in its folder, else the one picked), saying how many of
 * its evaluations matched. True when it was a judge output (attached or not), so it is not opened.
 */
export async function openJudgeOutput(judge: JudgeService, store: ResultsStore, judgeFile: string): Promise<boolean> {
  if (!looksLikeJudgeOutput(judgeFile)) return false;
  const withRoutes: ResultsFile[] = [];
  for (const f of store.list) {
    if (f.state.kind !== 'ready') continue;
    await judge.ensureLoaded(f);
    if (judge.routeItems(f).length) withRoutes.push(f);
  }
  const beside = withRoutes.filter((f) => path.dirname(f.path) === path.dirname(judgeFile));
  const name = path.basename(judgeFile);
  let file = beside.length === 1 ? beside[0] : withRoutes.length === 1 ? withRoutes[0] : undefined;
  if (!file && withRoutes.length) {
    const pick = await vscode.window.showQuickPick(
      (beside.length ? beside : withRoutes).map((f) => ({ label: fileName(f), description: f.path, file: f })),
      { title: `ST-Think: ${name} is a judge output: attach it to which results file?` },
    );
    file = pick?.file;
    if (!file) return true;
  }
  if (!file) {
    void vscode.window.showInformationMessage(
      `ST-Think: ${name} is an upstream judge output, not a results file: open its predictions file first, then open this again.`,
    );
    return true;
  }
  await attachAndSay(judge, file, judgeFile);
  return true;
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
