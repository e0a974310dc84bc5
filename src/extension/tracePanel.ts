/**
 * The trace view: one record fully, with the frames its model saw. One preview panel is reused
 * (like VS Code's preview editors) unless pinned; panels come back after a reload through the
 * serializer. Messages are validated both ways; the host posts only after `ready` and re-posts
 * when the panel becomes visible again (VS Code drops messages to hidden webviews).
 */
import * as vscode from 'vscode';
import { extractFrames, findFfmpeg } from '../core/frames/extract';
import { modelFrameSize } from '../core/frames/modelSize';
import { DEFAULT_FRAME_PRESET, frameParams, framePreset, ownFrameParams, type FramePreset, type FramePresetName } from '../core/frames/presets';
import { resolveVideo } from '../core/frames/resolve';
import { planFramesWithAlternatives, SAMPLERS, type SamplerName } from '../core/frames/samplers';
import { chainDiffStats, diffChains } from '../core/compare/diff';
import { categorySource } from '../core/categories';
import { goldLetter } from '../core/derive';
import type { IndexEntry } from '../core/indexer';
import {
  hostMessageSchema,
  webviewMessageSchema,
  type FramesView,
  type HostMessage,
  type RerunView,
  type TraceRecordView,
} from '../core/protocol';
import type { TraceRecord } from '../core/schemas';
import { reasoningSteps } from '../core/steps';
import { openChainDiff } from './chainDiff';
import type { ResultsFile, ResultsStore } from './store';
import { webviewHtml } from './webviewHtml';

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

type Slot = 'a' | 'b';

export interface TraceHost {
  context: vscode.ExtensionContext;
  store: ResultsStore;
  /** The record before/after `t` in the tree's order (following the filter), optionally incorrect only. */
  step(t: TraceTarget, delta: 1 | -1, incorrectOnly: boolean): TraceTarget | undefined;
  position(t: TraceTarget): { index: number; total: number };
  /** Called when a panel moves to another record (to select it in the tree). */
  onShow(t: TraceTarget): void;
  /** The re-run section's buttons. */
  rerun?: {
    start(panel: TracePanel): Promise<void>;
    stop(panel: TracePanel): void;
    dismiss(panel: TracePanel): void;
  };
}

export { frameParams };

/** The frame preset of the settings: as at inference (the default) or as trained with GRPO. */
export function framePresetSetting(): FramePreset & { name: FramePresetName } {
  return framePreset(vscode.workspace.getConfiguration('stThink').get<string>('framePreset', DEFAULT_FRAME_PRESET));
}

/** The same record of the same opening of a file. */
export function sameTarget(a: TraceTarget | undefined, b: TraceTarget | undefined): boolean {
  return !!a && !!b && a.file === b.file && a.entry.line === b.entry.line;
}

/** Where the videos of a results file are looked for: the folder located for it, then videoRoots. */
export function videoRootsFor(context: vscode.ExtensionContext, file: ResultsFile): string[] {
  const cfg = vscode.workspace.getConfiguration('stThink').get<string[]>('videoRoots', []);
  const remembered = context.workspaceState.get<Record<string, string>>(VIDEO_FOLDERS_KEY, {})[file.uri.toString()];
  return remembered ? [remembered, ...cfg] : cfg;
}

const VIDEO_FOLDERS_KEY = 'stThink.videoFolders';
/** The settings that decide a record's frames, as one comparable string. */
function frameSettings(): string {
  const c = vscode.workspace.getConfiguration('stThink');
  return JSON.stringify([c.get('videoRoots'), c.get('ffmpegPath'), c.get('frameSampler'), c.get('framePreset')]);
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

export class TracePanel implements vscode.Disposable {
  static readonly viewType = 'stThink.trace';
  private static preview: TracePanel | undefined;
  static readonly all = new Set<TracePanel>();

  private ready = false;
  private pinned = false;
  private samplerOverride: SamplerName | undefined;
  private traceMessage: HostMessage | undefined;
  private readonly framesMessages: { a?: HostMessage; b?: HostMessage } = {};
  private readonly framesJobs: { a?: AbortController; b?: AbortController } = {};
  /** Bumped by each load: a frames job of an earlier one posts nothing. */
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private frameSettings = frameSettings();
  /** The record shown (single mode). */
  target: TraceTarget | undefined;
  /** The pair shown (pair mode). */
  pair: PairTarget | undefined;
  /** The last frames state posted (side a in a pair; for tests and the status of the panel). */
  lastFrames: FramesView | undefined;
  /** Side b's frames in a pair whose records have different videos. */
  lastFramesB: FramesView | undefined;
  /** The record shown in single mode, as last posted to the webview (verdicts included; for tests). */
  get lastRecord(): TraceRecordView | undefined {
    return this.traceMessage?.type === 'trace' ? this.traceMessage.record : undefined;
  }
  /** The last pair message posted (for tests). */
  lastPair: Extract<HostMessage, { type: 'pair' }> | undefined;
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
      const panel = vscode.window.createWebviewPanel(TracePanel.viewType, 'Trace', { viewColumn: vscode.ViewColumn.Active, preserveFocus }, TracePanel.options(host.context));
      p = new TracePanel(host, panel);
      TracePanel.preview = p;
    } else p.panel.reveal(undefined, preserveFocus);
    return p;
  }

  static options(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'media'), TracePanel.cacheUri(context)],
    };
  }

  static cacheUri(context: vscode.ExtensionContext): vscode.Uri {
    return vscode.Uri.joinPath(context.globalStorageUri, 'frames');
  }

  /** Restores a panel after a reload: its state names the results file and line. */
  static serializer(host: TraceHost): vscode.WebviewPanelSerializer {
    return {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const s = state as { file?: string; line?: number; pinned?: boolean; pair?: SavedPair } | undefined;
        panel.webview.options = TracePanel.options(host.context);
        const p = new TracePanel(host, panel);
        if (s?.pinned) p.pinned = true;
        else if (!TracePanel.preview) TracePanel.preview = p;
        const at = async (path: string, line: number): Promise<TraceTarget | undefined> => {
          const file = await host.store.open(vscode.Uri.file(path));
          const entry = file.index?.entries.find((e) => e.line === line);
          return entry && { file, entry };
        };
        if (s?.pair) {
          const { pair } = s;
          const a = await at(pair.fileA, pair.lineA);
          const b = await at(pair.fileB, pair.lineB);
          if (a && b) await p.loadPair({ a, b, labelA: pair.labelA, labelB: pair.labelB, title: pair.title });
          return;
        }
        if (!s?.file || !s.line) return;
        const t = await at(s.file, s.line);
        if (t) await p.load(t);
      },
    };
  }

  private constructor(
    private readonly host: TraceHost,
    readonly panel: vscode.WebviewPanel,
  ) {
    TracePanel.all.add(this);
    panel.webview.html = webviewHtml(panel.webview, host.context.extensionUri, 'Trace');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      panel.onDidChangeViewState(() => panel.visible && this.flush()),
      panel.onDidDispose(() => this.dispose()),
      // Where videos are, which ffmpeg and which sampler: a change shows the record's frames anew,
      // so setting videoRoots after "Video not found" brings the frames without another click.
      // Values are compared rather than trusting affectsConfiguration: user settings that reach a
      // remote extension host late (code-server, after a reload) arrive in an event that names no key.
      vscode.workspace.onDidChangeConfiguration(() => {
        const now = frameSettings();
        if (now === this.frameSettings) return;
        this.frameSettings = now;
        void this.reload();
      }),
    );
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = webviewMessageSchema.safeParse(raw);
    if (!parsed.success) {
      console.warn('ST-Think: dropped an invalid message from the trace view', parsed.error.issues[0]);
      return;
    }
    const m = parsed.data;
    const t = this.target;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.flush();
        break;
      case 'navigate':
        if (this.pair) await this.stepPair(m.to === 'previous' || m.to === 'previousIncorrect' ? -1 : 1);
        else await this.navigate(m.to);
        break;
      case 'pin':
        this.pin();
        break;
      case 'locateVideo':
        await this.locateVideo();
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
      case 'setRule':
      case 'openPair':
        break; // other views' messages: nothing to do here
      default:
        m satisfies never;
    }
  }

  /** Show again what is shown (after a settings change). */
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
  async navigate(to: 'previous' | 'next' | 'nextIncorrect' | 'previousIncorrect'): Promise<boolean> {
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
    if (m?.type === 'trace' || m?.type === 'pair') {
      this.traceMessage = { ...m, pinned: true };
      this.post(this.traceMessage);
    }
  }

  private refreshTitle(): void {
    const t = this.target;
    const p = this.pair;
    const pin = this.pinned ? '' : '◇ ';
    this.panel.title = p ? `${pin}Diff: ${p.a.entry.id}${p.b.entry.id === p.a.entry.id ? '' : ` ↔ ${p.b.entry.id}`}` : t ? `${pin}Trace: ${t.entry.id}` : 'Trace';
  }

  /** Show a record: its text at once, its frames when extracted. */
  async load(target: TraceTarget): Promise<void> {
    const gen = ++this.generation;
    this.target = target;
    this.pair = undefined;
    this.lastPair = undefined;
    this.refreshTitle();
    if (!target.file.index) return;
    const { record, view, sampler } = await this.recordView(target);
    if (gen !== this.generation) return;
    this.traceMessage = { type: 'trace', record: view, position: this.host.position(target), pinned: this.pinned };
    // The webview state lets the serializer bring the panel back after a reload.
    this.post(this.traceMessage);
    this.post({ type: 'rerun', rerun: sameTarget(this.rerunTarget, target) ? (this.lastRerun ?? null) : null });
    this.clearFrames('b');
    await this.loadFrames('a', gen, target, record, sampler);
  }

  /** Shows (or, with undefined, hides) the re-run section for `target`. */
  setRerun(target: TraceTarget, view: RerunView | undefined): void {
    this.rerunTarget = view ? target : undefined;
    this.lastRerun = view;
    this.rerunPosts++;
    if (!this.pair && sameTarget(this.target, target)) this.post({ type: 'rerun', rerun: view ?? null });
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
    const m: Extract<HostMessage, { type: 'pair' }> = {
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
    this.post(m);
    if (sameVideo) this.clearFrames('b');
    await Promise.all([
      this.loadFrames('a', gen, pair.a, a.record, a.sampler),
      sameVideo ? undefined : this.loadFrames('b', gen, pair.b, b.record, b.sampler),
    ]);
  }

  private clearFrames(slot: Slot): void {
    this.framesJobs[slot]?.abort();
    this.framesJobs[slot] = undefined;
    this.framesMessages[slot] = undefined;
    if (slot === 'b') this.lastFramesB = undefined;
  }

  /** A record as the webview shows it, and its reasoning chain (think, else the response). */
  private async recordView(target: TraceTarget): Promise<{ record: TraceRecord; view: TraceRecordView; chain: string; sampler: SamplerName }> {
    const { record, analysis } = await target.file.index!.readRecord(target.entry);
    const sampler = this.sampler(record.frames?.sampler);
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
    };
    return { record, view, chain: analysis.think ?? record.response, sampler };
  }

  /** The sampler this panel uses for a record (the panel's choice, the record's, the setting). */
  samplerFor(record: TraceRecord): SamplerName {
    return this.sampler(record.frames?.sampler);
  }

  private sampler(fromRecord: string | undefined): SamplerName {
    if (this.samplerOverride) return this.samplerOverride;
    if (fromRecord && (SAMPLERS as readonly string[]).includes(fromRecord)) return fromRecord as SamplerName;
    return vscode.workspace.getConfiguration('stThink').get<SamplerName>('frameSampler', 'qwen2vl');
  }

  private videoRoots(file: ResultsFile): string[] {
    return videoRootsFor(this.host.context, file);
  }

  private async locateVideo(): Promise<void> {
    const t = this.target;
    if (!t) return;
    const pick = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use as Video Folder', title: `Where are the videos of ${t.file.uri.path.split('/').pop()}?` });
    if (!pick?.[0]) return;
    const all = { ...this.host.context.workspaceState.get<Record<string, string>>(VIDEO_FOLDERS_KEY, {}) };
    all[t.file.uri.toString()] = pick[0].fsPath;
    await this.host.context.workspaceState.update(VIDEO_FOLDERS_KEY, all);
    await this.load(t);
  }

  private async loadFrames(slot: Slot, gen: number, target: TraceTarget, record: TraceRecord, sampler: SamplerName): Promise<void> {
    const preset = framePresetSetting();
    const params = frameParams(record, sampler, preset.name);
    const video = record.video;
    this.framesJobs[slot]?.abort();
    const job = new AbortController();
    this.framesJobs[slot] = job;
    const stale = () => job.signal.aborted || gen !== this.generation;
    const post = (v: FramesView) => !stale() && this.postFrames(slot, v);
    const base = { sampler, indices: [], frames: [], estimated: false, video };
    if (!video) {
      // Upstream's inference script runs no model for such a record: there are no frames to show.
      post({ ...base, state: 'error', noVideo: true, message: 'No video: this record\u2019s "video" is empty, so there are no frames (upstream wrote "No video file specified." instead of running the model).' });
      return;
    }
    const resolved = resolveVideo(video, this.videoRoots(target.file));
    if (!resolved.file) {
      post({ ...base, state: 'error', message: 'Video not found. Set "stThink.videoRoots" or locate the video folder.', tried: resolved.tried });
      return;
    }
    let paths;
    try {
      paths = findFfmpeg({ ffmpeg: vscode.workspace.getConfiguration('stThink').get<string>('ffmpegPath') || undefined });
    } catch (e) {
      post({ ...base, video: resolved.file, state: 'error', message: `${(e as Error).message}. Install ffmpeg or set "stThink.ffmpegPath".` });
      return;
    }
    post({ ...base, video: resolved.file, state: 'loading' });
    try {
      const set = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `ST-Think: extracting frames of ${resolved.file.split('/').pop()}`, cancellable: true },
        (_progress, token) => {
          token.onCancellationRequested(() => job.abort());
          return extractFrames(resolved.file!, params, { paths, cacheDir: TracePanel.cacheUri(this.host.context).fsPath, signal: job.signal });
        },
      );
      if (stale()) return;
      const source = { width: set.probe.width, height: set.probe.height };
      // The frames shown are the AVX2 plan; where other torch builds would pick others, say so.
      const { alternatives } = planFramesWithAlternatives(set.probe, set.params);
      post({
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
        video: resolved.file,
        cached: set.cached,
        alternatives,
        preset:
          sampler === 'qwen2vl'
            ? { name: preset.name, label: preset.label, fps: set.params.fps, maxPixels: preset.maxPixels, fpsFromRecord: ownFrameParams(record, sampler).fps !== undefined }
            : undefined,
      });
    } catch (e) {
      if (gen !== this.generation) return;
      // Cancelled from the notification: say so (the job is aborted, so post directly).
      const aborted = (e as Error).name === 'AbortError' || job.signal.aborted;
      this.postFrames(slot, { ...base, video: resolved.file, state: 'error', message: aborted ? 'Frame extraction cancelled.' : (e as Error).message });
    }
  }

  private postFrames(slot: Slot, frames: FramesView): void {
    if (slot === 'a') this.lastFrames = frames;
    else this.lastFramesB = frames;
    const m: HostMessage = { type: 'frames', frames, slot };
    this.framesMessages[slot] = m;
    this.post(m);
  }

  private post(m: HostMessage): void {
    if (!this.ready || !this.panel.visible) return; // re-sent by flush()
    void this.panel.webview.postMessage(hostMessageSchema.parse(m));
  }

  /** Re-send the current state (after `ready`, or when the panel becomes visible again). */
  private flush(): void {
    if (this.traceMessage) this.post(this.traceMessage);
    if (this.traceMessage?.type === 'trace') this.post({ type: 'rerun', rerun: sameTarget(this.rerunTarget, this.target) ? (this.lastRerun ?? null) : null });
    if (this.framesMessages.a) this.post(this.framesMessages.a);
    if (this.framesMessages.b) this.post(this.framesMessages.b);
  }

  dispose(): void {
    this.framesJobs.a?.abort();
    this.framesJobs.b?.abort();
    TracePanel.all.delete(this);
    if (TracePanel.preview === this) TracePanel.preview = undefined;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
