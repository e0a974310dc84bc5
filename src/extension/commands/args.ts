/**
 * What a command works on. A command is called from a Results tree item (the node), the Explorer or
 * an editor title (a URI, and the Explorer's whole selection), a webview (a `{ file, entry }` record
 * or a `{ file }`), a test (any of these), or the palette and keybindings (nothing: the tree's
 * selection, the record document in the active editor, the record last shown, or a quick pick).
 * `parseCommandArg` says which the argument is; `CommandArgs` turns it into the record or file.
 */
import * as vscode from 'vscode';
import type { IndexEntry } from '../../core/index';
import type { ComparisonSession } from '../comparisons';
import { recordOfUri, type RecordDocuments } from '../recordDocuments';
import { ResultsFile, type ResultsStore } from '../store';
import { TracePanel } from '../tracePanel';
import type { ComparisonNode, FlipNode, RecordNode, ResultsNode } from '../tree';

/** A record of an open results file. */
export interface RecordRef {
  file: ResultsFile;
  entry: IndexEntry;
}

type ProblemNode = Extract<ResultsNode, { kind: 'problem' }>;

const NODE_KINDS: ReadonlySet<string> = new Set<ResultsNode['kind']>([
  'file',
  'category',
  'direction',
  'outcome',
  'video',
  'page',
  'record',
  'problems',
  'problem',
  'message',
  'comparisons',
  'comparison',
  'flip',
]);

/** A Results tree node (the tree's own objects: a kind it knows and an id). */
export function isResultsNode(x: unknown): x is ResultsNode {
  if (!x || typeof x !== 'object') return false;
  const { kind, id } = x as { kind?: unknown; id?: unknown };
  return typeof kind === 'string' && NODE_KINDS.has(kind) && typeof id === 'string';
}

export const isRecordNode = (n: ResultsNode): n is RecordNode => n.kind === 'record';
export const isProblemNode = (n: ResultsNode): n is ProblemNode => n.kind === 'problem';
export const isComparisonNode = (n: ResultsNode): n is ComparisonNode => n.kind === 'comparison';
export const isFlipNode = (n: ResultsNode): n is FlipNode => n.kind === 'flip';

/** The results file a tree node belongs to; none for messages and the comparisons. */
export function fileOfNode(n: ResultsNode): ResultsFile | undefined {
  switch (n.kind) {
    case 'message':
    case 'comparisons':
    case 'comparison':
    case 'flip':
      return undefined;
    default:
      return n.file;
  }
}

/** `{ file, entry }` with an open results file's record (a webview's or a test's argument). */
export function isRecordRef(x: unknown): x is RecordRef {
  if (!x || typeof x !== 'object') return false;
  const { file, entry } = x as { file?: unknown; entry?: unknown };
  return file instanceof ResultsFile && !!entry && typeof entry === 'object' && typeof (entry as IndexEntry).line === 'number';
}

/** `{ file }` with an open results file. */
export function isFileRef(x: unknown): x is { file: ResultsFile } {
  return !!x && typeof x === 'object' && (x as { file?: unknown }).file instanceof ResultsFile;
}

/** What a command's first argument is. */
export type CommandArg =
  | { type: 'node'; node: ResultsNode }
  | { type: 'record'; record: RecordRef }
  | { type: 'file'; file: ResultsFile }
  | { type: 'uri'; uri: vscode.Uri }
  | { type: 'none' };

/** Classifies a command's first argument (tree nodes before bare `{ file, entry }` records). */
export function parseCommandArg(arg: unknown): CommandArg {
  if (arg instanceof vscode.Uri) return { type: 'uri', uri: arg };
  if (isResultsNode(arg)) return { type: 'node', node: arg };
  if (isRecordRef(arg)) return { type: 'record', record: arg };
  if (isFileRef(arg)) return { type: 'file', file: arg.file };
  return { type: 'none' };
}

/** The URIs an Explorer or editor-title command was given: the multi-selection, else the one. */
export function urisOf(uri: unknown, all: unknown): vscode.Uri[] | undefined {
  if (Array.isArray(all) && all.length && all.every((u) => u instanceof vscode.Uri)) return all as vscode.Uri[];
  return uri instanceof vscode.Uri ? [uri] : undefined;
}

export class CommandArgs {
  constructor(
    private readonly store: ResultsStore,
    private readonly view: vscode.TreeView<ResultsNode>,
    private readonly records: RecordDocuments,
  ) {}

  private get selected(): ResultsNode | undefined {
    return this.view.selection[0];
  }

  /**
   * The record: the argument's (a record node, a `{ file, entry }`, a record document's URI); else the
   * selected record, the record document in the active editor, or the record last shown.
   */
  record(arg: unknown): RecordRef | undefined {
    const a = parseCommandArg(arg);
    if (a.type === 'node' && isRecordNode(a.node)) return a.node;
    if (a.type === 'record') return a.record;
    const fromUri = a.type === 'uri' ? recordOfUri(this.store, a.uri) : undefined;
    if (fromUri) return fromUri;
    const sel = this.selected;
    if (sel && isRecordNode(sel)) return sel;
    const editor = vscode.window.activeTextEditor;
    return (editor && recordOfUri(this.store, editor.document.uri)) ?? this.records.lastShown;
  }

  /** The record, or else the one the trace view shows (the active view's first). */
  recordOrTraced(arg: unknown): RecordRef | undefined {
    const r = this.record(arg);
    if (r) return { file: r.file, entry: r.entry };
    const panels = [...TracePanel.all];
    const p = panels.find((x) => x.panel.active && x.target) ?? panels.find((x) => x.target);
    return p?.target;
  }

  /** A line of a results file to go to: a problem node's, or the record's. */
  source(arg: unknown): { file: ResultsFile; line: number } | undefined {
    const a = parseCommandArg(arg);
    if (a.type === 'node' && isProblemNode(a.node)) return { file: a.node.file, line: a.node.problem.line };
    const r = this.record(arg);
    return r && { file: r.file, line: r.entry.line };
  }

  /**
   * The results file: the argument's (any node or record of it, `{ file }`, its URI: only that one);
   * else the selection's; else the only open one (or the active one); else the one picked.
   */
  async file(arg: unknown): Promise<ResultsFile | undefined> {
    const a = parseCommandArg(arg);
    const given = this.fileOfArg(a);
    if (given || a.type === 'uri') return given;
    const sel = this.selected;
    const selected = sel && fileOfNode(sel);
    if (selected) return selected;
    const list = this.store.list;
    if (list.length <= 1) return list[0] ?? this.store.active;
    const pick = await vscode.window.showQuickPick(
      list.map((f) => ({ label: f.uri.path.split('/').pop() ?? f.path, description: f.path, file: f })),
      { placeHolder: 'Which results file?' },
    );
    return pick?.file;
  }

  private fileOfArg(a: CommandArg): ResultsFile | undefined {
    switch (a.type) {
      case 'node':
        return fileOfNode(a.node);
      case 'record':
        return a.record.file;
      case 'file':
        return a.file;
      case 'uri':
        return this.store.get(a.uri) ?? recordOfUri(this.store, a.uri)?.file;
      case 'none':
        return undefined;
    }
  }
}

/** The comparison a node belongs to (a comparison or one of its flips). */
export function sessionOf(arg: unknown): ComparisonSession | undefined {
  if (!isResultsNode(arg)) return undefined;
  return isComparisonNode(arg) || isFlipNode(arg) ? arg.session : undefined;
}

/** A flip node, when the argument is one. */
export function flipOf(arg: unknown): FlipNode | undefined {
  return isResultsNode(arg) && isFlipNode(arg) ? arg : undefined;
}
