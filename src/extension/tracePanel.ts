/**
 * The trace view: one record fully, with the frames its model saw. One preview panel is reused
 * (like VS Code's preview editors) unless pinned; panels come back after a reload through the
 * serializer. Messages are validated both ways; the host posts only after `ready` and re-posts
 * when the panel becomes visible again (VS Code drops messages to hidden webviews).
 */
import * as vscode from 'vscode';
import { categorySource } from '../core/categories';
import { chainDiffStats, diffChains, diffWords } from '../core/compare/diff';
import { goldLetter } from '../core/derive';
import type { FrameSet } from '../core/frames/extract';
import { modelFrameSize } from '../core/frames/modelSize';
import { ownFrameParams } from '../core/frames/presets';
import { planFramesWithAlternatives, type SamplerName } from '../core/frames/samplers';
import type { IndexEntry } from '../core/index';
import type { RecordNotes } from '../core/notes';
import {
  traceHostMessageSchema,
  traceWebviewMessageSchema,
  type FramesView,
  type Navigation,
  type NotesView,
  type PairMessage,
  type RerunView,
  type Side,
  type TraceHostMessage,
  type TraceRecordView,
  type TraceRouteView,
  type TraceWebviewMessage,
} from '../core/protocol';
import { isSkipped } from '../core/judge/run';
import type { TraceRecord } from '../core/schemas';
import { pairTitle, recordTitle } from '../core/recordText';
import { reasoningSteps } from '../core/steps';
import { openChainDiff } from './chainDiff';
import { frameCacheUri, frameSettings, locateVideoFolder, prepareFrames, samplerFor, type FramesJob } from './frames';
import type { RecordJudgment } from './judge';
import type { ResultsFile, ResultsStore } from './store';
import { panelOptions, WebviewPanel } from './webviewPanel';

export interface TraceTarget {
  file: ResultsFile;
  entry: IndexEntry;
}

/** Two records shown side by side with the diff of their reasoning chains. */
export interface PairTarget {
  a: TraceTarget;
  b: TraceTarget;
  labelA: string;
  labelB: string;
  title: string;
  /** Where the pair is in what it steps through (a comparison's flips), when it steps. */
  position?: { index: number; total: number; what: string };
  step?: (delta: 1 | -1) => PairTarget | undefined;
}

export interface TraceHost {
  context: vscode.ExtensionContext;
  store: ResultsStore;
  /** The record before/after `t` in the tree's order (following the filter), optionally incorrect only. */
  step(t: TraceTarget, delta: 1 | -1, incorrectOnly: boolean): TraceTarget | undefined;
  /** Where `t` is among its own file's records in the tree's order (the counter "17 / 126"). */
  position(t: TraceTarget): { index: number; total: number };
  /** The record's tags and note (none without a notes service). */
  notesOf?(t: TraceTarget): RecordNotes | undefined;
  /** Called when a panel moves to another record (to select it in the tree). */
  onShow(t: TraceTarget): void;
  /** The route judge's verdict on a record, and its route answers. */
  judge?: { judgmentOf(file: ResultsFile, id: string): RecordJudgment | undefined };
  /** The re-run section's buttons. */
  rerun?: {
    start(panel: TracePanel): Promise<void>;
    stop(panel: TracePanel): void;
    dismiss(panel: TracePanel): void;
  };
}

/** The same record of the same opening of a file. */
export function sameTarget(a: TraceTarget | undefined, b: TraceTarget | undefined): boolean {
  return !!a && !!b && a.file === b.file && a.entry.line === b.entry.line;
}

/** What the webview saves of a pair, for the serializer. */
interface SavedPair {
  fileA: string;
  lineA: number;
  fileB: string;
  lineB: number;
  labelA: string;
  labelB: string;
  title: string;
}

/** What the webview saves, for the serializer: a record (file and line) or a pair. */
type SavedState = { file?: string; line?: number; pinned?: boolean; pair?: SavedPair } | undefined;

/** A record as the trace view shows it, what it was made from, and its chain (think, else the response). */
interface Shown {
  record: TraceRecord;
  view: TraceRecordView;
  chain: string;
  sampler: SamplerName;
}

/** The state keys of the trace view: the record or pair, the re-run section, each side's frames. */
const VIEW = 'view';
const RERUN = 'rerun';
const NOTES = 'notes';
const FRAMES = { a: 'frames:a', b: 'frames:b' } as const;

export class TracePanel extends WebviewPanel<TraceWebviewMessage, TraceHostMessage> {
  static readonly viewType = 'stThink.trace';
  private static preview: TracePanel | undefined;
  static readonly all = new Set<TracePanel>();

  private pinned = false;
  private samplerOverride: SamplerName | undefined;
  private traceMessage: Extract<TraceHostMessage, { type: 'trace' | 'pair' }> | undefined;
  private readonly framesJobs: { a?: AbortController; b?: AbortController } = {};
  /** Bumped by each load: a frames job of an earlier one posts nothing. */
  private generation = 0;
  private frameSettings = frameSettings();
  /** The record shown (single mode). */
  target: TraceTarget | undefined;
  /** The pair shown (pair mode). */
  pair: PairTarget | undefined;
  /** The last frames state posted (side a in a pair; for tests and the status of the panel). */
  lastFrames: FramesView | undefined;
  /** Side b's frames in a pair whose records have different videos. */
  lastFramesB: FramesView | undefined;
  /** The tags and note last posted for the record shown (for tests). */
  lastNotes: NotesView | undefined;
  /** The record shown in single mode, as last posted to the webview (verdicts included; for tests). */
  get lastRecord(): TraceRecordView | undefined {
    return this.traceMessage?.type === 'trace' ? this.traceMessage.record : undefined;
  }
  /** Where the record shown is among the records it steps through (single mode; for tests). */
  get lastPosition(): { index: number; total: number } | undefined {
    return this.traceMessage?.type === 'trace' ? this.traceMessage.position : undefined;
  }
  /** The last pair message posted (for tests). */
  lastPair: PairMessage | undefined;
  /** The re-run section: what it shows, and for which record. */
  lastRerun: RerunView | undefined;
  private rerunTarget: TraceTarget | undefined;
  /** How many re-run states were posted (for tests: streaming shows as many). */
  rerunPosts = 0;

  /** Show a record in the preview panel (created, or reused unless pinned). */
  static async show(host: TraceHost, target: TraceTarget, preserveFocus = true): Promise<TracePanel> {
    const p = TracePanel.previewPanel(host, preserveFocus);
    await p.load(target);
    return p;
  }

  /** Show two records and the diff of their chains in the preview panel. */
  static async showPair(host: TraceHost, pair: PairTarget, preserveFocus = true): Promise<TracePanel> {
    const p = TracePanel.previewPanel(host, preserveFocus);
    await p.loadPair(pair);
    return p;
  }

  /** The preview panel, revealed; created when there is none (or the last one was pinned). */
  private static previewPanel(host: TraceHost, preserveFocus: boolean): TracePanel {
    let p = TracePanel.preview;
    if (!p) {
      const column = { viewColumn: vscode.ViewColumn.Active, preserveFocus };
      p = new TracePanel(host, vscode.window.createWebviewPanel(TracePanel.viewType, 'Trace', column, TracePanel.options(host.context)));
      TracePanel.preview = p;
    } else p.panel.reveal(undefined, preserveFocus);
    return p;
  }

  static options(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return panelOptions(context.extensionUri, [TracePanel.cacheUri(context)]);
  }

  static cacheUri(context: vscode.ExtensionContext): vscode.Uri {
    return frameCacheUri(context);
  }

  /** Restores a panel after a reload: its state names the results file and line. */
  static serializer(host: TraceHost): vscode.WebviewPanelSerializer {
    return {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const s = state as SavedState;
        panel.webview.options = TracePanel.options(host.context);
        const p = new TracePanel(host, panel);
        if (s?.pinned) p.pinned = true;
        else if (!TracePanel.preview) TracePanel.preview = p;
        await p.restore(s);
      },
    };
  }

  private constructor(
    private readonly host: TraceHost,
    panel: vscode.WebviewPanel,
  ) {
    super(panel, host.context.extensionUri, 'Trace', {
      name: 'the trace view',
      incoming: traceWebviewMessageSchema,
      outgoing: traceHostMessageSchema,
    });
    TracePanel.all.add(this);
    this._register({
      dispose: () => {
        this.framesJobs.a?.abort();
        this.framesJobs.b?.abort();
        TracePanel.all.delete(this);
        if (TracePanel.preview === this) TracePanel.preview = undefined;
      },
    });
    // Where videos are, which ffmpeg and which sampler: a change shows the record's frames anew,
    // so setting videoRoots after "Video not found" brings the frames without another click.
    // Values are compared rather than trusting affectsConfiguration: user settings that reach a
    // remote extension host late (code-server, after a reload) arrive in an event that names no key.
    this._register(
      vscode.workspace.onDidChangeConfiguration(() => {
        const now = frameSettings();
        if (now === this.frameSettings) return;
        this.frameSettings = now;
        void this.reload();
      }),
    );
  }

  /** Shows what the webview saved before a reload (a record or a pair), when it is still there. */
  private async restore(s: SavedState): Promise<void> {
    const at = async (path: string, line: number): Promise<TraceTarget | undefined> => {
      const file = await this.host.store.open(vscode.Uri.file(path));
      const entry = file.index?.entries.find((e) => e.line === line);
      return entry && { file, entry };
    };
    if (s?.pair) {
      const { pair } = s;
      const a = await at(pair.fileA, pair.lineA);
      const b = await at(pair.fileB, pair.lineB);
      if (a && b) await this.loadPair({ a, b, labelA: pair.labelA, labelB: pair.labelB, title: pair.title });
      return;
    }
    if (!s?.file || !s.line) return;
    const t = await at(s.file, s.line);
    if (t) await this.load(t);
  }

  protected async receive(m: Exclude<TraceWebviewMessage, { type: 'ready' }>): Promise<void> {
    const t = this.target;
    switch (m.type) {
      case 'navigate':
        if (this.pair) await this.stepPair(m.to === 'previous' || m.to === 'previousIncorrect' ? -1 : 1);
        else await this.navigate(m.to);
        break;
      case 'pin':
        this.pin();
        break;
      case 'locateVideo':
        if (t && (await locateVideoFolder(this.host.context, t.file))) await this.load(t);
        break;
      case 'openSource': {
        const at = this.pair ? this.pair[m.side ?? 'a'] : t;
        if (at) await vscode.commands.executeCommand('stThink.goToSource', { kind: 'record', file: at.file, entry: at.entry });
        break;
      }
      case 'openDiffEditor':
        await this.openDiffEditor();
        break;
      case 'showSide':
        if (this.pair) await this.load(this.pair[m.side]);
        break;
      case 'setSampler':
        this.samplerOverride = m.sampler;
        await this.reload();
        break;
      case 'rerunPlan':
        if (t) await vscode.commands.executeCommand('stThink.rerunQuestion', { kind: 'record', file: t.file, entry: t.entry });
        break;
      case 'rerunStart':
        await this.host.rerun?.start(this);
        break;
      case 'rerunStop':
        this.host.rerun?.stop(this);
        break;
      case 'rerunDismiss':
        this.host.rerun?.dismiss(this);
        break;
      case 'tag':
      case 'untag':
      case 'editNote':
        if (t) {
          const command = { tag: 'stThink.tagRecords', untag: 'stThink.untagRecords', editNote: 'stThink.editNote' }[m.type];
          await vscode.commands.executeCommand(
            command,
            { kind: 'record', file: t.file, entry: t.entry },
            undefined,
            m.type === 'untag' ? m.tag : undefined,
          );
        }
        break;
      default:
        m satisfies never;
    }
  }

  /** Show again what is shown (after a settings change). */
  /** A video folder was located: every trace view looks for its videos anew (frames already cached come back at once). */
  static reloadAll(): void {
    for (const p of TracePanel.all) void p.reload();
  }

  /** The judge's verdicts of a file changed: its route records shown anywhere are shown anew. */
  static reloadRoutes(file: ResultsFile | undefined): void {
    for (const p of TracePanel.all)
      if (p.target && (!file || p.target.file === file) && p.target.entry.category === 'route') void p.reload();
  }

  private async reload(): Promise<void> {
    if (this.pair) await this.loadPair(this.pair);
    else if (this.target) await this.load(this.target);
  }

  /** Next / Previous in what the pair steps through (a comparison's flips). */
  async stepPair(delta: 1 | -1): Promise<boolean> {
    const next = this.pair?.step?.(delta);
    if (!next) {
      vscode.window.setStatusBarMessage('ST-Think: this pair has nothing to step to', 2500);
      return false;
    }
    await this.loadPair(next);
    return true;
  }

  /** The pair's two chains in VS Code's diff editor. */
  async openDiffEditor(): Promise<void> {
    const p = this.pair;
    if (p) await openChainDiff(p.a, p.b, `${p.title} (${p.labelA} ↔ ${p.labelB})`);
  }

  /** Previous / Next record, or Next / Previous Incorrect, in the tree's order and filter. */
  async navigate(to: Navigation): Promise<boolean> {
    const t = this.target;
    if (!t) return false;
    const next = this.host.step(t, to === 'previous' || to === 'previousIncorrect' ? -1 : 1, to.endsWith('Incorrect'));
    if (!next) {
      vscode.window.setStatusBarMessage('ST-Think: no more records that way', 2500);
      return false;
    }
    await this.load(next);
    this.host.onShow(next);
    return true;
  }

  pin(): void {
    this.pinned = true;
    if (TracePanel.preview === this) TracePanel.preview = undefined;
    this.refreshTitle();
    const m = this.traceMessage;
    if (m) {
      this.traceMessage = { ...m, pinned: true };
      this.keep(VIEW, this.traceMessage);
    }
  }

  private refreshTitle(): void {
    const t = this.target;
    const p = this.pair;
    const pin = this.pinned ? '' : '◇ ';
    // Readable titles: a re-run's id is internal ("…~forward~388238c7"), so it is named by the record it re-ran.
    this.panel.title = p ? `${pin}Diff: ${pairTitle(p.a.entry, p.b.entry)}` : t ? `${pin}Trace: ${recordTitle(t.entry)}` : 'Trace';
  }

  /** Show a record: its text at once, its frames when extracted. */
  async load(target: TraceTarget): Promise<void> {
    const gen = ++this.generation;
    this.target = target;
    this.pair = undefined;
    this.lastPair = undefined;
    this.refreshTitle();
    if (!target.file.index) return;
    const shown = await this.recordView(target);
    if (gen !== this.generation) return;
    this.traceMessage = { type: 'trace', record: shown.view, position: this.host.position(target), pinned: this.pinned };
    // The webview state lets the serializer bring the panel back after a reload.
    this.forget();
    this.keep(VIEW, this.traceMessage);
    this.keep(RERUN, () => ({ type: 'rerun', rerun: sameTarget(this.rerunTarget, this.target) ? (this.lastRerun ?? null) : null }));
    this.updateNotes();
    this.clearFrames('b');
    await this.loadFrames('a', gen, target, shown);
  }

  /** Posts (and keeps) the record's tags and note, as the webview shows them (single mode only). */
  private updateNotes(): void {
    const t = this.target;
    if (!t || this.pair) return;
    const n = this.host.notesOf?.(t);
    const notes: NotesView = { tags: n?.tags ?? [], note: n?.note?.text, noteBy: n?.note?.by, noteAt: n?.note?.at };
    this.lastNotes = notes;
    this.keep(NOTES, { type: 'notes', notes });
  }

  /** The tags or notes of `file` changed: each panel showing one of its records shows them anew. */
  static notesChanged(file: ResultsFile): void {
    for (const p of TracePanel.all) if (p.target?.file === file) p.updateNotes();
  }

  /** Shows (or, with undefined, hides) the re-run section for `target`. */
  setRerun(target: TraceTarget, view: RerunView | undefined): void {
    this.rerunTarget = view ? target : undefined;
    this.lastRerun = view;
    this.rerunPosts++;
    if (!this.pair && sameTarget(this.target, target)) this.resend(RERUN);
  }

  /** Show two records side by side with the diff of their reasoning chains. */
  async loadPair(pair: PairTarget): Promise<void> {
    const gen = ++this.generation;
    this.pair = pair;
    this.target = undefined;
    this.refreshTitle();
    if (!pair.a.file.index || !pair.b.file.index) return;
    const [a, b] = await Promise.all([this.recordView(pair.a), this.recordView(pair.b)]);
    if (gen !== this.generation) return;
    const diff = diffChains(a.chain, b.chain);
    const sameVideo = a.record.video === b.record.video;
    const m: PairMessage = {
      type: 'pair',
      title: pair.title,
      a: a.view,
      b: b.view,
      labelA: pair.labelA,
      labelB: pair.labelB,
      position: pair.position,
      pinned: this.pinned,
      sameVideo,
      diff: { pairs: diff.pairs, stats: chainDiffStats(diff) },
    };
    this.lastPair = m;
    this.traceMessage = m;
    this.forget();
    this.keep(VIEW, m);
    if (sameVideo) this.clearFrames('b');
    await Promise.all([this.loadFrames('a', gen, pair.a, a), sameVideo ? undefined : this.loadFrames('b', gen, pair.b, b)]);
  }

  private clearFrames(slot: Side): void {
    this.framesJobs[slot]?.abort();
    this.framesJobs[slot] = undefined;
    this.forget(FRAMES[slot]);
    if (slot === 'b') this.lastFramesB = undefined;
  }

  /** A record as the webview shows it, and its reasoning chain (think, else the response). */
  private async recordView(target: TraceTarget): Promise<Shown> {
    const { record, analysis } = await target.file.index!.readRecord(target.entry);
    const sampler = this.samplerFor(record);
    const view: TraceRecordView = {
      id: record.id,
      file: target.file.path,
      line: target.entry.line,
      shape: record.shape,
      model: record.model,
      mode: record.mode,
      video: record.video,
      category: record.category,
      wordedAs: record.wordedAs,
      categorySource: categorySource(record),
      direction: record.direction,
      question: record.question,
      options: record.options,
      gold: record.gold,
      goldLetter: goldLetter(record.gold),
      mcq_infer: analysis.mcq_infer,
      grpo_reward: analysis.grpo_reward,
      format: analysis.format,
      na: analysis.na,
      steps: analysis.think !== undefined ? reasoningSteps(analysis.think) : [],
      hasThink: analysis.think !== undefined,
      answer: analysis.answer,
      response: record.response,
      sampler,
      route: record.route ? this.routeView(target, record.route) : undefined,
    };
    return { record, view, chain: analysis.think ?? record.response, sampler };
  }

  private routeView(target: TraceTarget, r: NonNullable<TraceRecord['route']>): TraceRouteView {
    const j = this.host.judge?.judgmentOf(target.file, r.key);
    return {
      reference: r.reference,
      prediction: r.prediction,
      ops: diffWords(r.reference, r.prediction),
      skipped: isSkipped(r),
      judge: j && {
        status: j.status,
        total: j.total,
        parts: j.parts,
        note: j.note,
        reply: j.reply,
        model: j.model,
        endpoint: j.endpoint,
        templateHash: j.templateHash,
        source: j.source,
      },
    };
  }

  /** The sampler this panel uses for a record (the panel's choice, the record's, the setting). */
  samplerFor(record: TraceRecord): SamplerName {
    return samplerFor(record, this.samplerOverride);
  }

  private async loadFrames(slot: Side, gen: number, target: TraceTarget, { record, sampler }: Shown): Promise<void> {
    this.framesJobs[slot]?.abort();
    const job = new AbortController();
    this.framesJobs[slot] = job;
    const stale = () => job.signal.aborted || gen !== this.generation;
    const post = (v: FramesView) => !stale() && this.postFrames(slot, v);
    const base = { sampler, indices: [], frames: [], estimated: false, video: record.video };
    const prepared = prepareFrames(this.host.context, target.file, record, sampler);
    if (prepared.kind === 'noVideo') {
      // Upstream's inference script runs no model for such a record: there are no frames to show.
      const message =
        'No video: this record\u2019s "video" is empty, so there are no frames ' +
        '(upstream wrote "No video file specified." instead of running the model).';
      return void post({ ...base, state: 'error', noVideo: true, message });
    }
    if (prepared.kind === 'notFound') {
      return void post({
        ...base,
        state: 'error',
        message: 'Video not found. Set "stThink.videoRoots" or locate the video folder.',
        tried: prepared.tried,
      });
    }
    if (prepared.kind === 'noFfmpeg') {
      return void post({
        ...base,
        video: prepared.video,
        state: 'error',
        message: `${prepared.message}. Install ffmpeg or set "stThink.ffmpegPath".`,
      });
    }
    post({ ...base, video: prepared.video, state: 'loading' });
    try {
      const set = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `ST-Think: extracting frames of ${prepared.video.split('/').pop()}`,
          cancellable: true,
        },
        (_progress, token) => {
          token.onCancellationRequested(() => job.abort());
          return prepared.extract(job.signal);
        },
      );
      if (!stale()) post(this.framesView(prepared, record, set));
    } catch (e) {
      if (gen !== this.generation) return;
      // Cancelled from the notification: say so (the job is aborted, so post directly).
      const aborted = (e as Error).name === 'AbortError' || job.signal.aborted;
      this.postFrames(slot, {
        ...base,
        video: prepared.video,
        state: 'error',
        message: aborted ? 'Frame extraction cancelled.' : (e as Error).message,
      });
    }
  }

  /** Extracted frames as the webview shows them: in the model's order, at its size, with what could differ. */
  private framesView(job: FramesJob, record: TraceRecord, set: FrameSet): FramesView {
    const { sampler, preset } = job;
    const source = { width: set.probe.width, height: set.probe.height };
    // The frames shown are the AVX2 plan; where other torch builds would pick others, say so.
    const { alternatives } = planFramesWithAlternatives(set.probe, set.params);
    return {
      state: 'ready',
      sampler,
      indices: set.indices,
      frames: set.frames.map((f) => ({
        index: f.index,
        time: f.time,
        src: f.file ? this.panel.webview.asWebviewUri(vscode.Uri.file(f.file)).toString() : undefined,
        error: f.error,
      })),
      estimated: set.probe.estimated,
      countSource: set.probe.countSource,
      totalFrames: set.probe.totalFrames,
      source,
      model: modelFrameSize(sampler, source, preset.maxPixels),
      video: job.video,
      cached: set.cached,
      alternatives,
      preset:
        sampler === 'qwen2vl'
          ? {
              name: preset.name,
              label: preset.label,
              fps: set.params.fps,
              maxPixels: preset.maxPixels,
              fpsFromRecord: ownFrameParams(record, sampler).fps !== undefined,
            }
          : undefined,
    };
  }

  private postFrames(slot: Side, frames: FramesView): void {
    if (slot === 'a') this.lastFrames = frames;
    else this.lastFramesB = frames;
    this.keep(FRAMES[slot], { type: 'frames', frames, slot });
  }
}
