/**
 * The simple read-only record view: a virtual text document per record (`st-think-record:` URIs,
 * made by `recordUri`), reused as a preview tab.
 */
import * as vscode from 'vscode';
import { renderRecordText } from '../core/recordText';
import { entryAt } from '../core/notes';
import type { RecordRef } from './commands/args';
import { Disposable } from './dispose';
import type { ResultsStore } from './store';
import { recordUri } from './tree';

export const RECORD_SCHEME = 'st-think-record';

/** The results file and line a record document's URI names (the file may no longer be open). */
function parseRecordUri(uri: vscode.Uri): { file: string | null; line: number } {
  const q = new URLSearchParams(uri.query);
  return { file: q.get('file'), line: Number(q.get('line')) };
}

/** The open record a record document's URI names, if it is one and still loaded. */
export function recordOfUri(store: ResultsStore, uri: vscode.Uri): RecordRef | undefined {
  if (uri.scheme !== RECORD_SCHEME) return undefined;
  const { file: name, line } = parseRecordUri(uri);
  const file = store.get(vscode.Uri.parse(name ?? ''));
  const entry = file?.index && entryAt(file.index.entries, line);
  return file && entry ? { file, entry } : undefined;
}

export class RecordDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly emitter = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.emitter.event;
  /** The record last shown here or in the trace view. */
  lastShown: RecordRef | undefined;

  constructor(private readonly store: ResultsStore) {
    super();
  }

  async show(n: RecordRef, preserveFocus: boolean): Promise<void> {
    this.lastShown = n;
    this.store.active = n.file;
    const doc = await vscode.workspace.openTextDocument(recordUri(n.file, n.entry));
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus, viewColumn: vscode.ViewColumn.Active });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const at = recordOfUri(this.store, uri);
    if (!at?.file.index) {
      const { file, line } = parseRecordUri(uri);
      return `This record is no longer loaded (${file}:${line}). Open the results file again.\n`;
    }
    try {
      const { record, analysis } = await at.file.index.readRecord(at.entry);
      return renderRecordText(record, analysis, { file: at.file.path, line: at.entry.line });
    } catch (e) {
      return `${(e as Error).message}\n`;
    }
  }
}
