/**
 * ResultsStore: the open results files, their indexes, the filter and the scoring rule, as the
 * extension sees them. Indexing runs with progress and cancellation; files are watched so appended
 * lines are picked up and rewritten files re-indexed. Nothing here writes to a results file.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { isEmptyFilter, searchText, visibleEntries, type ResultsFilter } from '../core/filter';
import { IndexCancelledError, NotResultsFileError, ResultsIndex, type IndexEntry } from '../core/index';
import type { ScoringRule } from '../core/schemas';
import { clampRecordSizeMiB, trustedSettingValue } from '../core/settingsLimits';
import { Disposable } from './dispose';

export type FileState =
  { kind: 'indexing'; done: number; total: number } | { kind: 'ready' } | { kind: 'cancelled' } | { kind: 'failed'; message: string };

let opened = 0;

export class ResultsFile {
  /** Unique per opening: tree node ids use it, so nodes of a closed file never stand for a re-opened one. */
  readonly key = `${++opened}`;
  index: ResultsIndex | undefined;
  state: FileState = { kind: 'indexing', done: 0, total: 0 };
  /** Entries visible under the filter, in file order; recomputed when the filter or file changes. */
  visible: IndexEntry[] = [];
  /** Entries matching the filter's free text, when it has one. */
  textHits: Set<IndexEntry> | undefined;
  watcher: fs.FSWatcher | undefined;
  updateTimer: NodeJS.Timeout | undefined;
  updating: Promise<void> | undefined;
  /** Bumped on every change, so tree nodes can cache per version. */
  version = 0;

  constructor(readonly uri: vscode.Uri) {}

  get path(): string {
    return this.uri.fsPath;
  }
}

export class ResultsStore extends Disposable {
  /** dist/index-worker.js: large JSONL files are indexed in two halves at once. */
  constructor(private readonly workerScript?: string) {
    super();
  }

  private readonly files = new Map<string, ResultsFile>();
  private readonly changed = this._register(new vscode.EventEmitter<ResultsFile | undefined>());
  readonly onDidChange = this.changed.event;
  readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('st-think'));
  private filterValue: ResultsFilter = {};
  /** The file the user last worked with: the status bar shows it. */
  active: ResultsFile | undefined;
  /** A file's records' tags now (set by the notes service, extension/notes.ts): the filter's tags use it. */
  tagsOf: ((file: ResultsFile) => ((e: IndexEntry) => readonly string[] | undefined) | undefined) | undefined;

  get list(): ResultsFile[] {
    return [...this.files.values()];
  }

  get filter(): ResultsFilter {
    return this.filterValue;
  }

  get rule(): ScoringRule {
    return vscode.workspace.getConfiguration('stThink').get<ScoringRule>('scoringRule', 'mcq_infer');
  }

  get(uri: vscode.Uri): ResultsFile | undefined {
    return this.files.get(uri.toString());
  }

  /** Open (or re-open) a results file; resolves when indexing ends, however it ends. */
  async open(uri: vscode.Uri, opts: { background?: boolean } = {}): Promise<ResultsFile> {
    const existing = this.files.get(uri.toString());
    if (existing) {
      if (!opts.background) this.active = existing;
      this.changed.fire(existing);
      if (existing.state.kind === 'ready' || existing.state.kind === 'indexing') return existing;
    }
    const file = existing ?? new ResultsFile(uri);
    this.files.set(uri.toString(), file);
    if (!opts.background || !this.active) this.active = file;
    this.updateContext();
    await this.indexWithProgress(file);
    if (file.state.kind === 'ready') this.watch(file);
    return file;
  }

  close(file: ResultsFile): void {
    this.unwatch(file);
    this.files.delete(file.uri.toString());
    this.diagnostics.delete(file.uri);
    if (this.active === file) this.active = this.list[0];
    this.updateContext();
    this.changed.fire(undefined);
  }

  async setFilter(filter: ResultsFilter): Promise<void> {
    this.filterValue = filter;
    await vscode.commands.executeCommand('setContext', 'stThink.filterActive', !isEmptyFilter(filter));
    await this.refilterAll();
  }

  /** Recompute every file's visible entries (filter or rule changed). */
  async refilterAll(): Promise<void> {
    const text = this.filterValue.text?.trim();
    if (text) {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `ST-Think: searching for "${text}"`, cancellable: true },
        async (progress, token) => {
          const ctrl = new AbortController();
          token.onCancellationRequested(() => ctrl.abort());
          for (const f of this.list) {
            if (!f.index) continue;
            let last = 0;
            f.textHits = await searchText(f.index, f.index.entries, text, {
              signal: ctrl.signal,
              onProgress: (done, total) => {
                const pct = total ? (done / total) * 100 : 100;
                progress.report({ message: f.index!.name, increment: (pct - last) / this.files.size });
                last = pct;
              },
            }).catch((e: Error) => {
              if (e.name === 'AbortError') return undefined;
              throw e;
            });
            if (ctrl.signal.aborted) break;
          }
          if (ctrl.signal.aborted) {
            this.filterValue = { ...this.filterValue, text: undefined };
            for (const f of this.list) f.textHits = undefined;
            void vscode.window.showInformationMessage('ST-Think: text search cancelled; the text part of the filter was dropped.');
          }
        },
      );
    } else {
      for (const f of this.list) f.textHits = undefined;
    }
    for (const f of this.list) this.recompute(f);
    this.changed.fire(undefined);
  }

  private recompute(file: ResultsFile): void {
    file.version++;
    const idx = file.index;
    if (!idx) {
      file.visible = [];
      return;
    }
    file.visible = visibleEntries(idx.entries, this.filterValue, this.rule, file.textHits, this.tagsOf?.(file));
  }

  /** A file's tags or notes changed: what the filter shows, and every view of the file, follow. */
  notesChanged(file: ResultsFile): void {
    if (!this.files.has(file.uri.toString())) return;
    this.recompute(file);
    this.changed.fire(file);
  }

  private async indexWithProgress(file: ResultsFile): Promise<void> {
    const name = file.uri.path.split('/').pop();
    file.state = { kind: 'indexing', done: 0, total: 0 };
    this.changed.fire(file);
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ST-Think: indexing ${name}`, cancellable: true },
      async (progress, token) => {
        const ctrl = new AbortController();
        const sub = token.onCancellationRequested(() => ctrl.abort());
        let lastPct = 0;
        let lastFire = 0;
        // The index keeps its options for later updates: progress counts only while this indexing runs.
        let running = true;
        try {
          file.index = ResultsIndex.create(file.path, {
            signal: ctrl.signal,
            workerScript: this.workerScript,
            maxRecordBytes: this.maxRecordBytes(),
            onProgress: (done, total) => {
              if (!running) return;
              file.state = { kind: 'indexing', done, total };
              const pct = total ? Math.floor((done / total) * 100) : 100;
              if (pct > lastPct) {
                progress.report({ increment: pct - lastPct, message: `${pct}%` });
                lastPct = pct;
              }
              const now = Date.now();
              if (now - lastFire > 300) {
                lastFire = now;
                this.recompute(file);
                this.changed.fire(file);
              }
            },
          });
          await file.index.load();
          file.state = { kind: 'ready' };
        } catch (e) {
          file.index = undefined;
          if (e instanceof IndexCancelledError) file.state = { kind: 'cancelled' };
          else {
            const message = e instanceof NotResultsFileError ? e.message : `${file.path}: ${(e as Error).message}`;
            file.state = { kind: 'failed', message };
            void vscode.window.showErrorMessage(`ST-Think: ${message}`);
          }
        } finally {
          running = false;
          sub.dispose();
        }
      },
    );
    this.afterIndexChange(file);
  }

  private maxRecordBytes(): number {
    // Clamped (at most 256 MiB) whoever set it; a workspace's value counts only when it is trusted.
    const c = vscode.workspace.getConfiguration('stThink');
    return clampRecordSizeMiB(trustedSettingValue(c.inspect<number>('maxRecordSizeMiB'), vscode.workspace.isTrusted)) * 1024 * 1024;
  }

  private afterIndexChange(file: ResultsFile): void {
    this.publishDiagnostics(file);
    this.recompute(file);
    this.updateContext();
    this.changed.fire(file);
  }

  /** Retry a cancelled or failed file. */
  async reindex(file: ResultsFile): Promise<void> {
    this.unwatch(file);
    await this.indexWithProgress(file);
    if (file.state.kind === 'ready') this.watch(file);
  }

  private publishDiagnostics(file: ResultsFile): void {
    const idx = file.index;
    if (!idx || idx.problems.length === 0) {
      this.diagnostics.delete(file.uri);
      return;
    }
    this.diagnostics.set(
      file.uri,
      idx.problems.map((p) => {
        const line = Math.max(0, p.line - 1);
        const d = new vscode.Diagnostic(
          new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
          p.message,
          vscode.DiagnosticSeverity.Error,
        );
        d.source = 'ST-Think';
        return d;
      }),
    );
  }

  private watch(file: ResultsFile): void {
    if (file.watcher) return;
    try {
      file.watcher = fs.watch(file.path, { persistent: false }, () => this.scheduleUpdate(file));
      file.watcher.on('error', () => this.unwatch(file));
    } catch {
      // The file can be watched no more (removed, or a file system without events): the user
      // re-opens it to refresh.
    }
  }

  private unwatch(file: ResultsFile): void {
    file.watcher?.close();
    file.watcher = undefined;
    if (file.updateTimer) clearTimeout(file.updateTimer);
  }

  /** Debounced: a writer appending many lines triggers one update. */
  private scheduleUpdate(file: ResultsFile): void {
    if (file.updateTimer) clearTimeout(file.updateTimer);
    file.updateTimer = setTimeout(() => void this.updateNow(file), 250);
  }

  /** Pick up appended lines, or re-index a rewritten file. */
  async updateNow(file: ResultsFile): Promise<void> {
    if (!file.index || file.updating) return file.updating;
    file.updating = (async () => {
      try {
        const kind = await file.index!.update({ maxRecordBytes: this.maxRecordBytes() });
        // A file being appended to stays usable: an update never leaves it "indexing".
        const wasReady = file.state.kind === 'ready';
        file.state = { kind: 'ready' };
        if (kind !== 'unchanged' || !wasReady) {
          if (file.textHits) {
            const extra = await searchText(
              file.index!,
              file.index!.entries.filter((e) => !file.textHits!.has(e)),
              this.filterValue.text ?? '',
            );
            for (const e of extra) file.textHits.add(e);
          }
          this.afterIndexChange(file);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          file.state = { kind: 'failed', message: `${file.path} no longer exists` };
          file.index = undefined;
          this.unwatch(file);
          this.afterIndexChange(file);
        } else if (e instanceof NotResultsFileError) {
          file.state = { kind: 'failed', message: e.message };
          file.index = undefined;
          this.afterIndexChange(file);
        }
      } finally {
        file.updating = undefined;
      }
    })();
    return file.updating;
  }

  updateContext(): void {
    void vscode.commands.executeCommand('setContext', 'stThink.hasResults', this.files.size > 0);
  }

  override dispose(): void {
    for (const f of this.files.values()) this.unwatch(f);
    super.dispose();
  }
}
