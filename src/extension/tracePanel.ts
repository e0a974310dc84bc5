/**
 * The trace view: one record fully, with the frames its model saw. One preview panel is reused
 * (like VS Code's preview editors) unless pinned; panels come back after a reload through the
 * serializer. Messages are validated both ways; the host posts only after `ready` and re-posts
 * when the panel becomes visible again (VS Code drops messages to hidden webviews).
 */
import * as vscode from 'vscode';
import { extractFrames, findFfmpeg } from '../core/frames/extract';
import { modelFrameSize } from '../core/frames/modelSize';
import { resolveVideo } from '../core/frames/resolve';
import { SAMPLERS, type SamplerName } from '../core/frames/samplers';
import { goldLetter } from '../core/derive';
import type { IndexEntry } from '../core/indexer';
import {
  hostMessageSchema,
  webviewMessageSchema,
  type FramesView,
  type HostMessage,
  type TraceRecordView,
} from '../core/protocol';
import { reasoningSteps } from '../core/steps';
import type { ResultsFile, ResultsStore } from './store';
import { webviewHtml } from './webviewHtml';

export interface TraceTarget {
  file: ResultsFile;
  entry: IndexEntry;
}

export interface TraceHost {
  context: vscode.ExtensionContext;
  store: ResultsStore;
  /** The record before/after `t` in the tree's order (following the filter), optionally incorrect only. */
  step(t: TraceTarget, delta: 1 | -1, incorrectOnly: boolean): TraceTarget | undefined;
  position(t: TraceTarget): { index: number; total: number };
  /** Called when a panel moves to another record (to select it in the tree). */
  onShow(t: TraceTarget): void;
}

const VIDEO_FOLDERS_KEY = 'stThink.videoFolders';

export class TracePanel implements vscode.Disposable {
  static readonly viewType = 'stThink.trace';
  private static preview: TracePanel | undefined;
  static readonly all = new Set<TracePanel>();

  private ready = false;
  private pinned = false;
  private samplerOverride: SamplerName | undefined;
  private traceMessage: HostMessage | undefined;
  private framesMessage: HostMessage | undefined;
  private framesJob: AbortController | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  target: TraceTarget | undefined;
  /** The last frames state posted (for tests and the status of the panel). */
  lastFrames: FramesView | undefined;

  /** Show a record in the preview panel (created, or reused unless pinned). */
  static async show(host: TraceHost, target: TraceTarget, preserveFocus = true): Promise<TracePanel> {
    let p = TracePanel.preview;
    if (!p) {
      const panel = vscode.window.createWebviewPanel(TracePanel.viewType, 'Trace', { viewColumn: vscode.ViewColumn.Active, preserveFocus }, TracePanel.options(host.context));
      p = new TracePanel(host, panel);
      TracePanel.preview = p;
    } else p.panel.reveal(undefined, preserveFocus);
    await p.load(target);
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
        const s = state as { file?: string; line?: number; pinned?: boolean } | undefined;
        panel.webview.options = TracePanel.options(host.context);
        const p = new TracePanel(host, panel);
        if (s?.pinned) p.pinned = true;
        else if (!TracePanel.preview) TracePanel.preview = p;
        if (!s?.file || !s.line) return;
        const file = await host.store.open(vscode.Uri.file(s.file));
        const entry = file.index?.entries.find((e) => e.line === s.line);
        if (entry) await p.load({ file, entry });
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
        await this.navigate(m.to);
        break;
      case 'pin':
        this.pin();
        break;
      case 'locateVideo':
        await this.locateVideo();
        break;
      case 'openSource':
        if (t) await vscode.commands.executeCommand('stThink.goToSource', { kind: 'record', file: t.file, entry: t.entry });
        break;
      case 'setSampler':
        this.samplerOverride = m.sampler;
        if (t) await this.load(t);
        break;
      case 'setRule':
        break; // the summary's message: nothing to do here
      default:
        m satisfies never;
    }
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
    if (this.traceMessage?.type === 'trace') this.post({ ...this.traceMessage, pinned: true });
  }

  private refreshTitle(): void {
    const t = this.target;
    this.panel.title = t ? `${this.pinned ? '' : '◇ '}Trace: ${t.entry.id}` : 'Trace';
  }

  /** Show a record: its text at once, its frames when extracted. */
  async load(target: TraceTarget): Promise<void> {
    this.target = target;
    this.refreshTitle();
    const idx = target.file.index;
    if (!idx) return;
    const { record, analysis } = await idx.readRecord(target.entry);
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
      direction: record.direction,
      question: record.question,
      options: record.options,
      gold: record.gold,
      goldLetter: goldLetter(record.gold),
      mcq_infer: analysis.mcq_infer,
      grpo_reward: analysis.grpo_reward,
      formatValid: analysis.formatValid,
      steps: analysis.think !== undefined ? reasoningSteps(analysis.think) : [],
      hasThink: analysis.think !== undefined,
      answer: analysis.answer,
      response: record.response,
      sampler,
    };
    this.traceMessage = { type: 'trace', record: view, position: this.host.position(target), pinned: this.pinned };
    // The webview state lets the serializer bring the panel back after a reload.
    this.post(this.traceMessage);
    // The record's own frame parameters (fps, count) apply to the sampler it names.
    const f = record.frames as { sampler?: string; fps?: unknown; count?: unknown } | undefined;
    const own = f?.sampler === sampler;
    const params = {
      sampler,
      fps: own && typeof f.fps === 'number' && f.fps > 0 ? f.fps : undefined,
      count: own && Number.isInteger(f.count) && (f.count as number) > 0 ? (f.count as number) : undefined,
    };
    await this.loadFrames(target, record.video, params);
  }

  private sampler(fromRecord: string | undefined): SamplerName {
    if (this.samplerOverride) return this.samplerOverride;
    if (fromRecord && (SAMPLERS as readonly string[]).includes(fromRecord)) return fromRecord as SamplerName;
    return vscode.workspace.getConfiguration('stThink').get<SamplerName>('frameSampler', 'qwen2vl');
  }

  private videoRoots(file: ResultsFile): string[] {
    const cfg = vscode.workspace.getConfiguration('stThink').get<string[]>('videoRoots', []);
    const remembered = this.host.context.workspaceState.get<Record<string, string>>(VIDEO_FOLDERS_KEY, {})[file.uri.toString()];
    return remembered ? [remembered, ...cfg] : cfg;
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

  private async loadFrames(target: TraceTarget, video: string, params: { sampler: SamplerName; fps?: number; count?: number }): Promise<void> {
    const sampler = params.sampler;
    this.framesJob?.abort();
    const job = new AbortController();
    this.framesJob = job;
    const base = { sampler, indices: [], frames: [], estimated: false, video };
    const resolved = resolveVideo(video, this.videoRoots(target.file));
    if (!resolved.file) {
      this.postFrames({ ...base, state: 'error', message: 'Video not found. Set "stThink.videoRoots" or locate the video folder.', tried: resolved.tried });
      return;
    }
    let paths;
    try {
      paths = findFfmpeg({ ffmpeg: vscode.workspace.getConfiguration('stThink').get<string>('ffmpegPath') || undefined });
    } catch (e) {
      this.postFrames({ ...base, video: resolved.file, state: 'error', message: `${(e as Error).message}. Install ffmpeg or set "stThink.ffmpegPath".` });
      return;
    }
    this.postFrames({ ...base, video: resolved.file, state: 'loading' });
    try {
      const set = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `ST-Think: extracting frames of ${resolved.file.split('/').pop()}`, cancellable: true },
        (_progress, token) => {
          token.onCancellationRequested(() => job.abort());
          return extractFrames(resolved.file!, params, { paths, cacheDir: TracePanel.cacheUri(this.host.context).fsPath, signal: job.signal });
        },
      );
      if (job.signal.aborted || this.target !== target) return;
      const source = { width: set.probe.width, height: set.probe.height };
      this.postFrames({
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
        model: modelFrameSize(sampler, source),
        video: resolved.file,
        cached: set.cached,
      });
    } catch (e) {
      if (this.target !== target) return;
      const aborted = (e as Error).name === 'AbortError' || job.signal.aborted;
      this.postFrames({ ...base, video: resolved.file, state: 'error', message: aborted ? 'Frame extraction cancelled.' : (e as Error).message });
    }
  }

  private postFrames(frames: FramesView): void {
    this.lastFrames = frames;
    this.framesMessage = { type: 'frames', frames };
    this.post(this.framesMessage);
  }

  private post(m: HostMessage): void {
    if (!this.ready || !this.panel.visible) return; // re-sent by flush()
    void this.panel.webview.postMessage(hostMessageSchema.parse(m));
  }

  /** Re-send the current state (after `ready`, or when the panel becomes visible again). */
  private flush(): void {
    if (this.traceMessage) this.post(this.traceMessage);
    if (this.framesMessage) this.post(this.framesMessage);
  }

  dispose(): void {
    this.framesJob?.abort();
    TracePanel.all.delete(this);
    if (TracePanel.preview === this) TracePanel.preview = undefined;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
