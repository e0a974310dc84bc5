/**
 * The tags and notes of the open results files (core/notes.ts): each file's notes file is read when
 * the file is ready, watched (a teammate's edits, a `git pull`) and read again when it changes; the
 * notes are attached to the index's entries lazily, again whenever the index changed. Writing goes
 * through the safe writer, never into a results file. Bad lines of a notes file show as problems
 * on that file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { IndexEntry } from '../core/index';
import {
  appendNoteEvents,
  attachNotes,
  noteEvents,
  notesPath,
  readNotes,
  SUGGESTED_TAGS,
  type AttachedNotes,
  type NotesState,
  type RecordNotes,
} from '../core/notes';
import { trustedSettingValue } from '../core/settingsLimits';
import { Disposable } from './dispose';
import { recordOfUri } from './recordDocuments';
import type { ResultsFile, ResultsStore } from './store';

interface FileNotes {
  path: string;
  state: NotesState | undefined;
  loading: Promise<void> | undefined;
  watcher: fs.FSWatcher | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The attachment to the entries, for the index (and its length) it was made for. */
  attached: { index: unknown; length: number; state: NotesState; notes: AttachedNotes<IndexEntry> } | undefined;
}

export type NoteChange = { op: 'tag' | 'untag'; tag: string } | { op: 'note'; text: string };

export class RecordNotesService extends Disposable {
  private readonly files = new Map<ResultsFile, FileNotes>();
  private readonly changed = this._register(new vscode.EventEmitter<ResultsFile>());
  /** A file's notes changed (read again after a write or an edit on disk). */
  readonly onDidChange = this.changed.event;
  readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('st-think-notes'));

  constructor(private readonly store: ResultsStore) {
    super();
    store.tagsOf = (file) => {
      const n = this.attached(file);
      return n && ((e: IndexEntry) => n.byEntry.get(e)?.tags);
    };
    this._register(store.onDidChange(() => this.sync()));
  }

  /** Starts reading and watching the notes of newly ready files; stops for closed ones. */
  private sync(): void {
    const open = new Set(this.store.list);
    for (const [file, n] of this.files) if (!open.has(file)) this.drop(file, n);
    for (const file of open) if (file.state.kind === 'ready' && !this.files.has(file)) this.start(file);
  }

  private start(file: ResultsFile): void {
    const n: FileNotes = {
      path: notesPath(file.path),
      state: undefined,
      loading: undefined,
      watcher: undefined,
      timer: undefined,
      attached: undefined,
    };
    this.files.set(file, n);
    void this.reload(file);
    try {
      // The folder is watched: the notes file may not exist yet, and editors replace files by renaming.
      const base = path.basename(n.path);
      n.watcher = fs.watch(path.dirname(n.path), { persistent: false }, (_event, name) => {
        if (name && name.toString() !== base) return;
        if (n.timer) clearTimeout(n.timer);
        n.timer = setTimeout(() => void this.reload(file), 200);
      });
      n.watcher.on('error', () => n.watcher?.close());
    } catch {
      // A folder that cannot be watched: the notes are read again after each write from here.
    }
  }

  private drop(file: ResultsFile, n: FileNotes): void {
    n.watcher?.close();
    if (n.timer) clearTimeout(n.timer);
    this.diagnostics.delete(vscode.Uri.file(n.path));
    this.files.delete(file);
  }

  /** Reads the file's notes again and tells the store and the views. */
  async reload(file: ResultsFile): Promise<void> {
    const n = this.files.get(file);
    if (!n) return;
    const run = (async () => {
      try {
        n.state = await readNotes(n.path);
      } catch (e) {
        void vscode.window.showWarningMessage(`ST-Think: cannot read ${n.path}: ${(e as Error).message}`);
        return;
      }
      this.publishProblems(n);
      this.store.notesChanged(file);
      this.changed.fire(file);
    })();
    n.loading = run;
    await run;
  }

  /** Waits until the file's notes are read (for commands and tests). */
  async ready(file: ResultsFile): Promise<void> {
    if (!this.files.has(file) && file.state.kind === 'ready') this.start(file);
    await this.files.get(file)?.loading;
  }

  private publishProblems(n: FileNotes): void {
    const problems = n.state?.problems ?? [];
    const uri = vscode.Uri.file(n.path);
    if (!problems.length) return void this.diagnostics.delete(uri);
    this.diagnostics.set(
      uri,
      problems.map((p) => {
        const d = new vscode.Diagnostic(
          new vscode.Range(p.line - 1, 0, p.line - 1, Number.MAX_SAFE_INTEGER),
          p.message.startsWith(n.path) ? p.message : `not a notes event, skipped: ${p.message}`,
          vscode.DiagnosticSeverity.Warning,
        );
        d.source = 'ST-Think';
        return d;
      }),
    );
  }

  /** The file's notes attached to its entries (made again when the index or the notes changed). */
  attached(file: ResultsFile): AttachedNotes<IndexEntry> | undefined {
    const n = this.files.get(file);
    const idx = file.index;
    if (!n?.state || !idx) return undefined;
    const a = n.attached;
    if (a && a.index === idx && a.length === idx.entries.length && a.state === n.state) return a.notes;
    const notes = attachNotes(n.state, idx.entries);
    n.attached = { index: idx, length: idx.entries.length, state: n.state, notes };
    return notes;
  }

  /** A record's tags and note, if it has any. */
  notesOf(file: ResultsFile, entry: IndexEntry): RecordNotes | undefined {
    return this.attached(file)?.byEntry.get(entry);
  }

  /** Where a results file's notes are kept. */
  notesFileOf(file: ResultsFile): string {
    return notesPath(file.path);
  }

  /** Every tag in use in the open files, most used first, then the suggested ones not in use. */
  knownTags(): string[] {
    const counts = new Map<string, number>();
    for (const file of this.store.list)
      for (const notes of this.attached(file)?.byEntry.values() ?? []) for (const t of notes.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
    const used = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t]) => t);
    return [...used, ...SUGGESTED_TAGS.filter((t) => !counts.has(t))];
  }

  /** Appends the change for each record (grouped by file) and reads the notes again. */
  async write(records: readonly { file: ResultsFile; entry: IndexEntry }[], change: NoteChange): Promise<void> {
    const byFile = new Map<ResultsFile, IndexEntry[]>();
    for (const r of records) {
      const l = byFile.get(r.file);
      if (l) l.push(r.entry);
      else byFile.set(r.file, [r.entry]);
    }
    const protect = this.store.list.map((f) => f.path);
    const by = author();
    for (const [file, entries] of byFile) {
      await appendNoteEvents(notesPath(file.path), noteEvents(entries, change, { by }), protect);
      if (!this.files.has(file)) this.start(file);
      else await this.reload(file);
    }
  }

  override dispose(): void {
    for (const [file, n] of this.files) this.drop(file, n);
    this.store.tagsOf = undefined;
    super.dispose();
  }
}

/** `stThink.notes.author`: who the events name (a workspace's value counts only when it is trusted). */
function author(): string | undefined {
  const v = trustedSettingValue(vscode.workspace.getConfiguration('stThink').inspect<string>('notes.author'), vscode.workspace.isTrusted);
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/**
 * A badge on tagged records' rows ("#"; "✎" for a note alone), seen at the row's end where a narrow
 * sidebar cuts the description that lists the tags; its tooltip names them.
 */
export class NotesDecorations extends Disposable implements vscode.FileDecorationProvider {
  private readonly emitter = this._register(new vscode.EventEmitter<undefined>());
  readonly onDidChangeFileDecorations = this.emitter.event;

  constructor(
    private readonly store: ResultsStore,
    private readonly notes: RecordNotesService,
  ) {
    super();
    this._register(notes.onDidChange(() => this.emitter.fire(undefined)));
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const at = recordOfUri(this.store, uri);
    const n = at && this.notes.notesOf(at.file, at.entry);
    if (!n) return undefined;
    const tooltip = [n.tags.length ? `tags: ${n.tags.join(', ')}` : '', n.note ? 'has a note' : ''].filter(Boolean).join('; ');
    return new vscode.FileDecoration(n.tags.length ? '#' : '✎', tooltip);
  }
}
