/**
 * Two reasoning chains in VS Code's own diff editor: a read-only virtual document per chain
 * (scheme st-think-chain), one reasoning sentence per line, so the diff editor (inline or side by
 * side, as the user's settings say) lines sentences up.
 */
import * as vscode from 'vscode';
import { oppositeOf } from '../core/compare/compare';
import { sentenceSpans } from '../core/compare/diff';
import type { IndexEntry } from '../core/index';
import { analyse } from '../core/derive';
import type { ResultsFile, ResultsStore } from './store';

export const CHAIN_SCHEME = 'st-think-chain';

export function chainUri(file: ResultsFile, entry: IndexEntry): vscode.Uri {
  const base = file.uri.path.split('/').pop() ?? 'results';
  return vscode.Uri.from({
    scheme: CHAIN_SCHEME,
    path: `/${base}:${entry.line} ${entry.id}`,
    query: new URLSearchParams({ file: file.uri.toString(), line: String(entry.line) }).toString(),
  });
}

export class ChainDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly store: ResultsStore) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    const file = this.store.get(vscode.Uri.parse(q.get('file') ?? ''));
    const line = Number(q.get('line'));
    const entry = file?.index?.entries.find((e) => e.line === line);
    if (!file?.index || !entry) return `(not loaded: ${q.get('file')}:${line})\n`;
    const { record } = await file.index.readRecord(entry);
    const a = analyse(record);
    const chain = a.think ?? record.response;
    const lines = sentenceSpans(chain)
      .map((s) => s.trim())
      .filter(Boolean);
    if (a.answer !== undefined) lines.push('', `<answer> ${a.answer.trim()}`);
    return lines.join('\n') + '\n';
  }
}

/** Open two records' chains in the diff editor. */
export async function openChainDiff(
  left: { file: ResultsFile; entry: IndexEntry },
  right: { file: ResultsFile; entry: IndexEntry },
  title?: string,
): Promise<void> {
  const name = (x: { file: ResultsFile; entry: IndexEntry }) => `${x.file.uri.path.split('/').pop()}:${x.entry.line}`;
  await vscode.commands.executeCommand(
    'vscode.diff',
    chainUri(left.file, left.entry),
    chainUri(right.file, right.entry),
    title ?? `${name(left)} ↔ ${name(right)} (reasoning)`,
    { preview: true },
  );
}

/**
 * The same video's question in the same category, asked in the other direction, as the core pairs
 * them for the consistency count (oppositeOf). Unlike the consistency count, which pairs scored
 * questions only, every question is paired here: an unscored one still has its opposite to show.
 */
export function oppositeDirection(file: ResultsFile, entry: IndexEntry): IndexEntry | undefined {
  return oppositeOf(file.index?.entries ?? [], entry);
}
