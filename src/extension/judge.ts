/**
 * The route judge in VS Code: judging route records (a file, the filtered records, one record) with
 * progress and cancel, the API key in SecretStorage, the judgments of each open file (from its
 * `.judgments.jsonl`, or an attached upstream judge output) for the tree and the trace view.
 * The core does the work (src/core/judge, src/core/http/chat.ts); nothing here writes a results file.
 */
import * as vscode from 'vscode';
import { ApiKey } from './apiKeys';
import { ChatClient, ChatError } from '../core/http/chat';
import type { IndexEntry } from '../core/index';
import type { JudgedSide } from '../core/judge/compareRuns';
import { judgeRoutes, routeItem, type JudgeRunResult, type RouteItem } from '../core/judge/run';
import { judgmentsPath, readJudgments } from '../core/judge/store';
import { judgmentsFor, readUpstreamJudgeFile, summariseScores, type JudgeSummary, type Scored } from '../core/judge/summary';
import { judgeTemplates, type JudgeTemplates } from '../core/judge/templates';
import { trustedSettingValue } from '../core/settingsLimits';
import { Disposable } from './dispose';
import type { ResultsFile, ResultsStore } from './store';

export const JUDGE_KEY_SECRET = 'stThink.judge.apiKey';
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** One record's judgment as the tree and the trace view show it. */
export interface RecordJudgment extends Scored {
  note?: string;
  reply?: string | null;
  model?: string;
  endpoint?: string;
  templateHash?: string;
  /** Where it came from: the judgments file, or an upstream judge output (its path). */
  source: string;
}

interface FileJudgments {
  /** The index the route records were read from (its size, time and count): read again when it changes. */
  version: string;
  items: Map<string, RouteItem>;
  byId: Map<string, RecordJudgment>;
  /** An attached upstream judge output, when one is. */
  judgeFile?: string;
}

export interface JudgeSettings {
  baseUrl: string;
  model: string;
  concurrency: number;
  timeoutMs: number;
  templates: JudgeTemplates;
}

export function judgeSettings(): JudgeSettings {
  const c = vscode.workspace.getConfiguration('stThink');
  const trusted = vscode.workspace.isTrusted;
  // Templates from an untrusted workspace's settings are ignored (package.json restrictedConfigurations).
  const tmpl = (k: string) => trustedSettingValue(c.inspect<string>(`judge.${k}`), trusted);
  return {
    baseUrl: c.get<string>('judge.baseUrl')?.trim() || OPENAI_BASE_URL,
    model: c.get<string>('judge.model')?.trim() || 'gpt-4o',
    concurrency: Math.min(64, Math.max(1, Math.floor(c.get<number>('judge.concurrency', 4)))),
    timeoutMs: Math.min(600_000, Math.max(1000, c.get<number>('judge.timeoutMs', 60_000))),
    templates: judgeTemplates({ system: tmpl('systemPrompt'), forward: tmpl('forwardTemplate'), reverse: tmpl('reverseTemplate') }),
  };
}

const indexVersion = (f: ResultsFile) => (f.index ? `${f.index.size}:${f.index.mtimeMs}:${f.index.entries.length}` : '');

export class JudgeService extends Disposable {
  private readonly files = new Map<string, FileJudgments>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly changed = this._register(new vscode.EventEmitter<ResultsFile | undefined>());
  readonly onDidChange = this.changed.event;
  /** The run in progress, for tests and the stop command. */
  running: AbortController | undefined;

  constructor(
    context: vscode.ExtensionContext,
    private readonly store: ResultsStore,
  ) {
    super();
    this.key = new ApiKey(context.secrets, JUDGE_KEY_SECRET, 'judge');
    this._register(
      store.onDidChange((f) => {
        // A closed file's judgments are dropped; a ready file's are read (again when its records changed).
        const open = new Set(store.list.map((x) => x.path));
        for (const p of this.files.keys()) if (!open.has(p)) this.files.delete(p);
        for (const file of f ? [f] : store.list) if (file.state.kind === 'ready') void this.ensureLoaded(file);
      }),
    );
  }

  /** The judgment of a record of an open file (undefined: not judged, or not a route record). */
  judgmentOf(file: ResultsFile, id: string): RecordJudgment | undefined {
    return this.files.get(file.path)?.byId.get(id);
  }

  /** The file's route records in file order, once its judgments are loaded. */
  routeItems(file: ResultsFile): RouteItem[] {
    return [...(this.files.get(file.path)?.items.values() ?? [])];
  }

  /** The upstream judge output attached to a file, when one is. */
  attachedFile(file: ResultsFile): string | undefined {
    return this.files.get(file.path)?.judgeFile;
  }

  /** The route record behind an id (its reference and prediction), once the file's judgments are loaded. */
  routeOf(file: ResultsFile, id: string): RouteItem | undefined {
    return this.files.get(file.path)?.items.get(id);
  }

  /** The judge summary of some entries of a file (a bucket of the tree), or undefined when none is a route record. */
  summaryOf(file: ResultsFile, entries: readonly IndexEntry[]): JudgeSummary | undefined {
    const { items, scoreOf } = this.judgedSide(file, entries);
    if (!items.length) return undefined;
    return summariseScores(items, scoreOf, { kind: 'judgments', file: '', model: null, endpoint: null });
  }

  /** The route records among some entries of a file and their judgments as shown (for compareRunJudgments). */
  judgedSide(file: ResultsFile, entries: readonly IndexEntry[]): JudgedSide {
    const f = this.files.get(file.path);
    const items = f ? entries.flatMap((e) => (e.category === 'route' && f.items.has(e.id) ? [f.items.get(e.id)!] : [])) : [];
    return { items, scoreOf: (i) => f?.byId.get(i.id) };
  }

  ensureLoaded(file: ResultsFile): Promise<void> {
    if (this.files.get(file.path)?.version === indexVersion(file)) return Promise.resolve();
    return this.reload(file);
  }

  /** Reads the file's route records and its judgments (or its attached judge output) again. */
  reload(file: ResultsFile): Promise<void> {
    const pending = this.loading.get(file.path);
    if (pending) return pending.then(() => this.reload(file));
    const job = this.load(file).finally(() => this.loading.delete(file.path));
    this.loading.set(file.path, job);
    return job;
  }

  private async load(file: ResultsFile): Promise<void> {
    const index = file.index;
    if (!index) return;
    const routes = index.entries.filter((e) => e.category === 'route');
    const items = new Map<string, RouteItem>();
    for await (const { entry, record } of index.records(routes)) {
      const item = routeItem(record, entry.line);
      if (item) items.set(item.id, item);
    }
    const version = indexVersion(file);
    const prev = this.files.get(file.path);
    const judgeFile = prev?.judgeFile;
    const byId = new Map<string, RecordJudgment>();
    if (judgeFile) {
      for (const e of readUpstreamJudgeFile(judgeFile).evaluations) if (items.has(e.key)) byId.set(e.key, { ...e, source: judgeFile });
    } else if (items.size) {
      const store = judgmentsPath(index.file);
      const all = await readJudgments(store);
      const preferred = judgeSettings().model;
      const model = all.some((j) => j.model === preferred) ? preferred : undefined;
      for (const [id, j] of judgmentsFor([...items.values()], all, model).byId) {
        byId.set(id, { ...j, source: store });
      }
    }
    this.files.set(file.path, { version, items, byId, judgeFile });
    // Files without route records (most) change nothing shown: no event, so no tree refresh.
    if (items.size || prev?.items.size) this.changed.fire(file);
  }

  /** Attaches an upstream judge output to a file: its evaluations by sample key. */
  async attach(file: ResultsFile, judgeFile: string): Promise<{ matched: number; unmatched: number; total: number }> {
    const parsed = readUpstreamJudgeFile(judgeFile); // throws on a file that is not a judge output
    await this.ensureLoaded(file);
    const f = this.files.get(file.path)!;
    f.judgeFile = judgeFile;
    await this.reload(file);
    const matched = parsed.evaluations.filter((e) => f.items.has(e.key)).length;
    return { matched, unmatched: parsed.evaluations.length - matched, total: parsed.evaluations.length };
  }

  /** Back to the file's own judgments file. */
  async detach(file: ResultsFile): Promise<void> {
    const f = this.files.get(file.path);
    if (f) f.judgeFile = undefined;
    await this.reload(file);
  }

  /** The judge's API key in secret storage (./apiKeys.ts: the one mechanism for every endpoint's key). */
  readonly key: ApiKey;

  apiKey(): Promise<string | undefined> {
    return this.key.get();
  }

  setApiKey(key: string | undefined): Promise<void> {
    return this.key.set(key);
  }

  /**
   * Judges the route records among `entries` with progress and cancel; resolves with the run's
   * counts (undefined when nothing was started). Other open results files are protected too.
   */
  async judge(file: ResultsFile, entries: readonly IndexEntry[], opts: { signal?: AbortSignal } = {}): Promise<JudgeOutcome | undefined> {
    const index = file.index;
    if (!index) return undefined;
    const s = judgeSettings();
    const apiKey = await this.apiKey();
    const ctl = new AbortController();
    const client = stopOnRefusal(new ChatClient({ baseUrl: s.baseUrl, apiKey, concurrency: s.concurrency, timeoutMs: s.timeoutMs }), ctl);
    const routes = entries.filter((e) => e.category === 'route');
    const items: RouteItem[] = [];
    for await (const { entry, record } of index.records(routes)) {
      const item = routeItem(record, entry.line);
      if (item) items.push(item);
    }
    if (!items.length) return undefined;
    opts.signal?.addEventListener('abort', () => ctl.abort(), { once: true });
    this.running = ctl;
    try {
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `ST-Think: judging ${items.length} route answers with ${s.model}`,
          cancellable: true,
        },
        async (progress, token) => {
          token.onCancellationRequested(() => ctl.abort());
          return judgeRoutes(items, {
            client,
            model: s.model,
            endpoint: client.chat.url,
            templates: s.templates,
            store: judgmentsPath(index.file),
            protect: this.store.list.map((f) => f.path),
            signal: ctl.signal,
            onItem: (o, done, total) => progress.report({ increment: 100 / total, message: `${done}/${total} · ${o.item.id}: ${o.kind}` }),
          });
        },
      );
      return client.refusal ? { ...result, refusal: client.refusal } : result;
    } finally {
      client.chat.dispose(); // its idle keep-alive connections
      this.running = undefined;
      const f = this.files.get(file.path);
      if (f) f.judgeFile = undefined;
      await this.reload(file);
    }
  }
}

/** A run's counts, and the endpoint's refusal (401/403, 404) that stopped it, if one did. */
export interface JudgeOutcome extends JudgeRunResult {
  refusal?: ChatError;
}

/**
 * The chat client for a run that stops at the first 401/403 or 404: a wrong key, base URL or model
 * fails every call alike, so the rest are not sent (they are cancelled, and nothing is recorded for
 * them: judging again after the fix goes on from there).
 */
function stopOnRefusal(chat: ChatClient, ctl: AbortController) {
  const guarded = {
    chat,
    refusal: undefined as ChatError | undefined,
    complete: async (...args: Parameters<ChatClient['complete']>) => {
      try {
        return await chat.complete(...args);
      } catch (e) {
        if (e instanceof ChatError && (e.kind === 'auth' || e.kind === 'not-found')) {
          guarded.refusal ??= e;
          ctl.abort();
        }
        throw e;
      }
    },
  };
  return guarded;
}

/** The first failed call's reason among a run's outcomes (a timeout, a 500 after the retries…). */
function firstFailure(r: JudgeRunResult): string | undefined {
  for (const o of r.outcomes) if ((o.kind === 'judged' || o.kind === 'reused') && o.judgment.status === 'failed') return o.judgment.note;
  return undefined;
}

/** One line about a finished run, for a notification. */
export function runMessage(r: JudgeRunResult): string {
  const why = firstFailure(r);
  const failed = r.failed
    ? `, ${r.failed} failed (counted as 0, as upstream does; judge again to retry them${why ? `; the first: ${why}` : ''})`
    : '';
  const cancelled = r.cancelled ? ' Cancelled: judge again to go on where it stopped.' : '';
  const skipped = `${r.skipped} skipped (empty reference or prediction)`;
  return `ST-Think: ${r.judged} route answers judged, ${r.reused} already judged, ${skipped}${failed}.${cancelled}`;
}

export function isAuthError(e: unknown): boolean {
  return e instanceof ChatError && e.kind === 'auth';
}
