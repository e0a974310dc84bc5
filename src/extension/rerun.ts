/**
 * Re-run Question… and Re-run Filtered Records…: the VS Code side of src/core/model. A re-run is
 * planned in the trace view (its prompt shown), run on Run, streamed into the view, and saved to the
 * results file's re-runs file, which opens beside it in the Results tree. The model stays loaded
 * between runs; the status bar says which provider runs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { modelFrameSize } from '../core/frames/modelSize';
import type { SamplerName } from '../core/frames/samplers';
import type { IndexEntry } from '../core/index';
import { DTYPES, inspectModelFolder, readGenerationConfig, type ModelDtype, type ModelFolder } from '../core/model/folder';
import {
  buildPrompt,
  DEFAULT_EMBEDDED_TEMPLATE,
  DEFAULT_PREFIX_STYLE,
  DEFAULT_REVERSE_PREFIX,
  DEFAULT_SYSTEM,
  DEFAULT_USER_TEMPLATE,
  describePrefix,
  PREFIX_STYLES,
  PromptError,
  type PrefixStyle,
  type PromptTemplates,
  type RerunMode,
  type RerunPrompt,
} from '../core/model/prompt';
import { ChatError } from '../core/http/chat';
import { progressLine, type Progress } from '../core/model/progress';
import {
  isRerunsFile,
  rerunKey,
  rerunKeys,
  rerunSource,
  rerunsPath,
  RerunWriter,
  runAndSave,
  type RerunContext,
} from '../core/model/reruns';
import { loadRerunner, type Rerunner } from '../core/model/runner';
import { ServedRerunner, type RerunProvider } from '../core/model/served';
import {
  checkGeneration,
  describeGeneration,
  GENERATION_KEYS,
  GenerationConfigError,
  resolveGeneration,
  type EffectiveGeneration,
  type GenerationSettings,
} from '../core/model/sampling';
import { CUDA_HELP, type ProviderPreference } from '../core/model/session';
import type { RerunView } from '../core/protocol';
import type { TraceRecord } from '../core/schemas';
import { reasoningSteps } from '../core/steps';
import { trustedSettingValue } from '../core/settingsLimits';
import { analysePartial } from '../core/streaming';
import { ApiKey } from './apiKeys';
import { framesInOrder, prepareFrames, samplerSetting } from './frames';
import type { ResultsFile, ResultsStore } from './store';
import { sameTarget, TracePanel, type TraceHost, type TraceTarget } from './tracePanel';

export type RerunChoice = RerunMode | 'both';

export const SERVED_KEY_SECRET = 'stThink.served.apiKey';

/** The served provider's settings (stThink.served.*, machine-scoped). */
export interface ServedConfig {
  baseUrl: string;
  model: string;
  concurrency: number;
  timeoutMs: number;
}

interface Settings {
  /** Which provider runs re-runs: the local ONNX model, or a served checkpoint (stThink.rerun.provider). */
  rerunProvider: 'onnx' | 'openai';
  served: ServedConfig;
  modelPath: string;
  dtype: ModelDtype | 'auto';
  provider: ProviderPreference;
  templates: PromptTemplates;
  prefixStyle: PrefixStyle;
  /** The generation settings the user set (the rest follow the model folder's generation_config.json). */
  generation: Partial<GenerationSettings>;
  outputFolder: string;
}

/** The setting of each generation field (stThink.rerun.<name>). */
const GENERATION_SETTING: Record<keyof GenerationSettings, string> = {
  maxNewTokens: 'rerun.maxNewTokens',
  doSample: 'rerun.doSample',
  temperature: 'rerun.temperature',
  topK: 'rerun.topK',
  topP: 'rerun.topP',
  repetitionPenalty: 'rerun.repetitionPenalty',
  seed: 'rerun.seed',
};

/**
 * A value the user set in some scope (null counts as unset), else undefined. An untrusted
 * workspace's own values are ignored (these settings are restricted in package.json).
 */
function userValue<T>(c: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const v = trustedSettingValue(c.inspect<T | null>(key), vscode.workspace.isTrusted);
  return v === null ? undefined : (v as T | undefined);
}

function settings(): Settings {
  const c = vscode.workspace.getConfiguration('stThink');
  const dtype = c.get<string>('modelDtype', 'auto');
  const style = c.get<string>('rerun.prefixStyle', DEFAULT_PREFIX_STYLE);
  const generation: Partial<GenerationSettings> = {};
  for (const k of GENERATION_KEYS) {
    const v = userValue<number | boolean>(c, GENERATION_SETTING[k]);
    if (v !== undefined) (generation[k] as number | boolean) = v;
  }
  const int = (k: string, d: number, min: number, max: number) => Math.min(max, Math.max(min, Math.floor(c.get<number>(k, d) || d)));
  return {
    rerunProvider: c.get<string>('rerun.provider', 'onnx') === 'openai' ? 'openai' : 'onnx',
    served: {
      baseUrl: c.get<string>('served.baseUrl', '').trim() || 'http://127.0.0.1:8000/v1',
      model: c.get<string>('served.model', '').trim(),
      concurrency: int('served.concurrency', 8, 1, 256),
      timeoutMs: int('served.timeoutMs', 120_000, 1000, 600_000),
    },
    modelPath: c.get<string>('modelPath', '').trim(),
    dtype: (DTYPES as readonly string[]).includes(dtype) ? (dtype as ModelDtype) : 'auto',
    provider: c.get<ProviderPreference>('executionProvider', 'auto'),
    templates: {
      user: c.get<string>('rerun.promptTemplate', '') || DEFAULT_USER_TEMPLATE,
      userEmbedded: c.get<string>('rerun.embeddedPromptTemplate', '') || DEFAULT_EMBEDDED_TEMPLATE,
      reversePrefix: c.get<string>('rerun.reversePrefix', '') || DEFAULT_REVERSE_PREFIX,
      system: c.get<string>('rerun.systemPrompt', '') || DEFAULT_SYSTEM,
    },
    prefixStyle: (PREFIX_STYLES as readonly string[]).includes(style) ? (style as PrefixStyle) : DEFAULT_PREFIX_STYLE,
    generation,
    outputFolder: c.get<string>('rerun.outputFolder', '').trim(),
  };
}

/**
 * The generation settings a run uses: the user's, else the model folder's generation_config.json
 * (as upstream's model.generate follows it), else the defaults; checked. A UserError says what is wrong.
 */
function effectiveGeneration(s: Settings, config: Record<string, unknown> | undefined): EffectiveGeneration {
  let g: EffectiveGeneration;
  try {
    g = resolveGeneration(s.generation, config, s.modelPath ? path.join(s.modelPath, 'generation_config.json') : undefined);
  } catch (e) {
    if (e instanceof GenerationConfigError) throw new UserError(`${e.message}.`);
    throw e;
  }
  const bad = checkGeneration(g.settings);
  if (bad)
    throw new UserError(
      `Generation settings: ${bad}${
        Object.values(g.sources).includes('generation_config.json')
          ? " (settings not set follow the model folder's generation_config.json)"
          : ''
      }.`,
    );
  return g;
}

/** For the plan (before the model loads): the folder's generation_config.json when it can be read. */
function planGeneration(s: Settings): string {
  if (s.rerunProvider === 'openai') {
    try {
      const g = effectiveGeneration({ ...s, modelPath: '' }, undefined);
      return `${describeGeneration(g.settings, g.sources)} (sent with each request to the served model)`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  const read = s.modelPath ? readGenerationConfig(s.modelPath) : undefined;
  try {
    const g = effectiveGeneration(s, read?.ok ? read.config : undefined);
    return (
      describeGeneration(g.settings, g.sources) +
      (read?.ok
        ? ''
        : s.modelPath
          ? " (the model folder's generation_config.json cannot be read)"
          : ' (no model folder yet: its generation_config.json may change these)')
    );
  } catch (e) {
    return (e as Error).message;
  }
}

/** A planned or running re-run of one record in one panel. */
interface Plan {
  panel: TracePanel;
  target: TraceTarget;
  record: TraceRecord;
  prompts: RerunPrompt[];
  view: RerunView;
  abort?: AbortController;
  running?: Promise<void>;
  /** The last run stopped at the model folder: choosing one puts the plan back to Run. */
  modelProblem?: boolean;
}

class UserError extends Error {}

/** How a batch of re-runs went. */
export interface Tally {
  done: number;
  skipped: number;
  failed: number;
  cancelled: boolean;
}

/** What every record of a batch shares. */
interface Batch {
  file: ResultsFile;
  outFile: string;
  runner: RerunProvider;
  generation: EffectiveGeneration;
  /** The re-runs the re-runs file already holds (rerunKey). */
  have: Set<string>;
  signal: AbortSignal;
  progress: Progress;
  /** The one writer of the re-runs file. */
  writer: RerunWriter;
  /** Each record read (and its frames extracted) once for its modes. */
  sources: Map<IndexEntry, Promise<{ record: TraceRecord; frames: RerunFrames }>>;
  /** A failure that every other record would meet too (the key, the URL, the server): the batch stops. */
  fatal?: string;
}

const CHOOSE_MODEL_FOLDER = 'Choose Model Folder…';

/** Says `message` (a warning or an error), offering Choose Model Folder… when `offer` (it runs on a click). */
function sayOfferingModelFolder(severity: 'warning' | 'error', message: string, offer = true): void {
  const say = severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
  void say(message, ...(offer ? [CHOOSE_MODEL_FOLDER] : [])).then((a) => a && vscode.commands.executeCommand('stThink.chooseModelFolder'));
}

/** Is this error about the model folder (so choosing another is the way out)? */
function aboutModelFolder(e: unknown): boolean {
  return e instanceof UserError && /model folder/i.test(e.message);
}

/** What a re-run of `source` with `prompt` is: the record, the frames, the model and the generation settings. */
function rerunContext(
  source: TraceRecord,
  sourceFile: string,
  prompt: RerunPrompt,
  frames: RerunFrames,
  runner: RerunProvider,
  generation: EffectiveGeneration,
): RerunContext {
  return {
    source,
    sourceFile,
    mode: prompt.mode,
    prompt,
    frames: frames.facts,
    model: { path: runner.model.dir, name: runner.model.name, dtype: runner.model.dtype },
    provider: runner.provider as RerunContext['provider'],
    fallback: runner.fallback,
    generation: generation.settings,
    generationSources: generation.sources,
  };
}

/** The frames a re-run sends to the model, as files in order, and what the re-runs file says of them. */
interface RerunFrames {
  files: string[];
  facts: RerunContext['frames'];
}

/** What a run's streamed or final text says: its steps, answer and verdicts so far. */
function runAnalysis(
  text: string,
  record: TraceRecord,
): Pick<RerunView['runs'][number], 'steps' | 'answer' | 'mcq_infer' | 'grpo_reward' | 'formatValid'> {
  // While streaming the think block is still open: its steps so far.
  const a = analysePartial({ response: text, gold: record.gold, category: record.category });
  return {
    steps: a.think ? reasoningSteps(a.think) : [],
    answer: a.answer,
    mcq_infer: a.mcq_infer,
    grpo_reward: a.grpo_reward,
    formatValid: a.format === 'valid',
  };
}

/**
 * What a failed request to the served model says to the user: the client's message (it names the
 * URL and what to check) and where to change it here.
 */
function servedFailure(e: ChatError): string {
  const hint: Partial<Record<ChatError['kind'], string>> = {
    auth: ' Set the key with "ST-Think: Set Served Model API Key".',
    'not-found': ' Check "stThink.served.baseUrl" (the server\u2019s /v1 URL) and "stThink.served.model" (a model the server serves).',
    timeout: ' The server may be busy: raise "stThink.served.timeoutMs", or lower "stThink.served.concurrency".',
    connection: ' Check "stThink.served.baseUrl".',
  };
  return `The served model could not re-run: ${e.message}.${hint[e.kind] ?? ''}`;
}

/** Failures every other request of a batch would meet as well: the batch stops at the first. */
const FATAL_KINDS: readonly ChatError['kind'][] = ['auth', 'not-found', 'connection'];

export class RerunService implements vscode.Disposable {
  private readonly plans = new Map<TracePanel, Plan>();
  private loaded: { key: string; runner: Promise<Rerunner> } | undefined;
  /** The served provider, reused while its settings and key stay the same (its frame cache, its connection limit). */
  private servedRunner: { key: string; runner: ServedRerunner } | undefined;
  /** The served model's API key (secret storage, as the judge's). */
  readonly servedKey: ApiKey;
  /** The last progress line of a batch (for tests). */
  lastBatchProgress: string | undefined;
  private readonly status = vscode.window.createStatusBarItem('stThink.model', vscode.StatusBarAlignment.Left, 49);
  readonly log = vscode.window.createOutputChannel('ST-Think Re-runs');
  /** The re-runs files written this session (for tests). */
  readonly written = new Set<string>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly store: ResultsStore,
    private readonly host: () => TraceHost,
  ) {
    this.servedKey = new ApiKey(context.secrets, SERVED_KEY_SECRET, 'served model');
    this.status.name = 'ST-Think Model';
    this.status.command = 'stThink.chooseModelFolder';
    // A model folder typed into the settings is checked at once, as one chosen with the command is.
    this.subs.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        const served = e.affectsConfiguration('stThink.rerun.provider') || e.affectsConfiguration('stThink.served');
        if (!served && !e.affectsConfiguration('stThink.modelPath') && !e.affectsConfiguration('stThink.modelDtype')) return;
        this.modelFolderChanged();
        const s = settings();
        if (!s.modelPath || served || s.rerunProvider === 'openai') return;
        const r = inspectModelFolder(s.modelPath, s.dtype);
        if (!r.ok) sayOfferingModelFolder('warning', `ST-Think: the model folder ${s.modelPath} cannot be used: ${r.problems.join('; ')}.`);
      }),
    );
  }
  private readonly subs: vscode.Disposable[] = [];

  /** The results files open, which a re-run must never be written into. */
  private openResults(): string[] {
    return this.store.list.map((f) => f.path);
  }

  /** A partial last line (a writer killed mid-line) was moved out of a re-runs file before appending. */
  private reportMovedAside(outFile: string, movedAside: string | undefined): void {
    if (!movedAside) return;
    this.log.appendLine(`${new Date().toISOString()} ${outFile} ended in a partial line; moved it to ${movedAside}`);
    void vscode.window.showWarningMessage(
      `ST-Think: ${outFile} ended in a partial line (an interrupted write); it was moved to ${movedAside}.`,
    );
  }

  /** Where a results file's re-runs go. */
  rerunsFileOf(resultsFile: string): string {
    return rerunsPath(resultsFile, settings().outputFolder || undefined);
  }

  /** The re-runs file of `file` when it exists, so it opens beside it. */
  companionOf(file: ResultsFile): vscode.Uri | undefined {
    if (isRerunsFile(file.path)) return undefined;
    const p = this.rerunsFileOf(file.path);
    return fs.existsSync(p) ? vscode.Uri.file(p) : undefined;
  }

  /** Re-run Question…: plans the re-run in the trace view, showing the prompt(s); Run starts it. */
  async plan(target: TraceTarget, choice: RerunChoice, prefixStyle?: PrefixStyle): Promise<TracePanel | undefined> {
    if (isRerunsFile(target.file.path)) {
      void vscode.window.showInformationMessage(
        'ST-Think: this record is itself a re-run; re-run its original record instead (Diff with Original shows it).',
      );
      return undefined;
    }
    const { record } = await target.file.index!.readRecord(target.entry);
    const s = settings();
    const modes: RerunMode[] = choice === 'both' ? ['forward', 'reverse'] : [choice];
    let prompts: RerunPrompt[];
    try {
      prompts = modes.map((m) => buildPrompt(record, m, s.templates, prefixStyle ?? s.prefixStyle));
    } catch (e) {
      if (e instanceof PromptError) return void vscode.window.showErrorMessage(`ST-Think: cannot re-run ${record.id}: ${e.message}`);
      throw e;
    }
    const panel = await TracePanel.show(this.host(), target, false);
    const old = this.plans.get(panel);
    old?.abort?.abort();
    const plan: Plan = { panel, target, record, prompts, view: { state: 'plan', runs: prompts.map((p) => this.emptyRun(p)) } };
    plan.view = this.planView(plan, s);
    this.plans.set(panel, plan);
    panel.setRerun(target, plan.view);
    return panel;
  }

  /** A plan ready to Run with the settings `s`: its model, generation, and what Run would refuse, said up front. */
  private planView(plan: Plan, s: Settings): RerunView {
    const refused = this.refusal(plan, s);
    return {
      state: 'plan',
      model: s.rerunProvider === 'openai' ? s.served.model || undefined : s.modelPath ? s.modelPath.split(/[\\/]/).pop() : undefined,
      generation: planGeneration(s),
      message:
        refused?.message ??
        'The prompt below goes to the model with the frames shown. Run sends it; the result is saved beside the results file.',
      runs: plan.prompts.map((p) => this.emptyRun(p)),
    };
  }

  /**
   * Why Run cannot start now, checked before anything starts: the record's video is missing (the
   * model must see its frames), or no model folder is set. Undefined when it can start.
   */
  private refusal(plan: Plan, s: Settings): { message: string; model?: boolean } | undefined {
    const job = prepareFrames(this.context, plan.target.file, plan.record, plan.panel.samplerFor(plan.record));
    if (job.kind === 'noVideo')
      return { message: 'Run is not possible: this record has no video ("video" is empty), and the model must see its frames.' };
    if (job.kind === 'notFound')
      return {
        message:
          `Run is not possible: the video was not found (paths tried: ${job.tried.join(', ')}), and the model must see its frames. ` +
          'Set "stThink.videoRoots" or locate the video folder, then Run.',
      };
    if (s.rerunProvider === 'openai') {
      if (!s.served.model)
        return {
          message:
            'No served model is set: set "stThink.served.model" (the name the server serves) and "stThink.served.baseUrl", then Run.',
        };
      return undefined;
    }
    if (!s.modelPath)
      return {
        message: 'No model folder is set: choose one (ST-Think: Choose Model Folder…, setting stThink.modelPath), then Run.',
        model: true,
      };
    return undefined;
  }

  /** A run not started yet: its prompt, no text, no verdicts. */
  private emptyRun(p: RerunPrompt): RerunView['runs'][number] {
    const prefix = describePrefix(p);
    return {
      mode: p.mode,
      state: 'waiting',
      prompt: { system: p.system, user: p.user, assistantPrefix: p.assistantPrefix, ...(prefix ? { prefix } : {}) },
      text: '',
      steps: [],
      tokens: 0,
    };
  }

  /**
   * The model folder changed (chosen from a notification, the command or the settings): plans waiting
   * to Run, and those stopped by the model folder, are planned again with it, so Run is offered.
   */
  private modelFolderChanged(): void {
    const s = settings();
    for (const plan of [...this.plans.values()]) {
      // A closed panel's plan is dropped: planning it again touched a disposed panel, and the plans after it were never reached.
      if (!TracePanel.all.has(plan.panel)) {
        plan.abort?.abort();
        this.plans.delete(plan.panel);
        continue;
      }
      if (plan.running || !(plan.view.state === 'plan' || (plan.view.state === 'error' && plan.modelProblem))) continue;
      plan.modelProblem = false;
      plan.view = this.planView(plan, s);
      plan.panel.setRerun(plan.target, plan.view);
    }
  }

  /** The panel's planned re-run, if any (for tests). */
  planOf(panel: TracePanel): Readonly<Plan> | undefined {
    return this.plans.get(panel);
  }

  /** Run: the model, the frames, then each mode in turn, streamed into the panel and saved. */
  async start(panel: TracePanel): Promise<void> {
    const plan = this.plans.get(panel);
    if (
      !plan ||
      plan.running ||
      (plan.view.state !== 'plan' && plan.view.state !== 'error' && plan.view.state !== 'cancelled' && plan.view.state !== 'done')
    )
      return;
    const refused = this.refusal(plan, settings());
    if (refused) {
      // Nothing starts: the plan stays as it was, saying why, and Run stays offered.
      this.update(plan, { ...this.planView(plan, settings()), message: refused.message });
      if (refused.model) sayOfferingModelFolder('warning', `ST-Think: ${refused.message}`);
      else void vscode.window.showErrorMessage(`ST-Think: cannot re-run ${plan.record.id}. ${refused.message}`);
      return;
    }
    plan.running = this.execute(plan).finally(() => {
      plan.running = undefined;
      this.setRunningContext();
    });
    this.setRunningContext();
    await plan.running;
  }

  /** `stThink.rerunRunning` shows Stop Re-run in the palette and the trace view's title bar. */
  private running = 0;
  private setRunningContext(extra = 0): void {
    const n = [...this.plans.values()].filter((p) => p.running).length + extra;
    if (n === this.running) return;
    this.running = n;
    void vscode.commands.executeCommand('setContext', 'stThink.rerunRunning', n > 0);
  }

  stop(panel: TracePanel): void {
    const plan = this.plans.get(panel);
    if (!plan?.abort || plan.abort.signal.aborted) return;
    plan.abort.abort();
    // The model stops after the step it is in (a token, or the prompt's prefill): say so now.
    this.update(plan, { message: 'Stopping after the current step…' });
  }

  dismiss(panel: TracePanel): void {
    const plan = this.plans.get(panel);
    if (!plan) return;
    plan.abort?.abort();
    this.plans.delete(panel);
    panel.setRerun(plan.target, undefined);
  }

  private update(plan: Plan, change: Partial<RerunView>): void {
    plan.view = { ...plan.view, ...change };
    plan.panel.setRerun(plan.target, plan.view);
  }

  private async execute(plan: Plan): Promise<void> {
    const s = settings();
    const abort = new AbortController();
    plan.abort = abort;
    plan.modelProblem = false;
    plan.view = {
      ...plan.view,
      runs: plan.prompts.map((p) => this.emptyRun(p)),
      message: undefined,
      providerNote: undefined,
      providerDetail: undefined,
    };
    try {
      this.update(plan, { state: 'loading', message: s.rerunProvider === 'openai' ? 'Connecting…' : 'Loading the model…' });
      const { runner, generation } = await this.open(s);
      this.update(plan, { generation: describeGeneration(generation.settings, generation.sources) });
      this.update(plan, {
        model: runner.model.name,
        provider: runner.provider.toUpperCase(),
        ...this.providerNotes(runner.fallback),
        message: 'Extracting the frames…',
      });
      const frames = await this.frames(plan.target.file, plan.record, plan.panel.samplerFor(plan.record), abort.signal);
      this.update(plan, { state: 'running', message: undefined, inputPath: undefined });
      const outFile = this.rerunsFileOf(plan.target.file.path);
      for (let i = 0; i < plan.prompts.length; i++) {
        if (abort.signal.aborted) break;
        const ctx = rerunContext(plan.record, plan.target.file.path, plan.prompts[i], frames, runner, generation);
        await this.runMode(plan, i, ctx, runner, { frameFiles: frames.files, outFile, signal: abort.signal });
      }
      const cancelled = abort.signal.aborted;
      this.update(plan, {
        state: cancelled ? 'cancelled' : 'done',
        message: cancelled ? 'Stopped: the stopped run was not saved.' : undefined,
      });
      await this.showSaved(outFile);
      if (!cancelled && plan.prompts.length === 2) await this.openBoth(plan, outFile);
    } catch (e) {
      const msg =
        e instanceof UserError ? e.message : e instanceof ChatError ? servedFailure(e) : `The re-run failed: ${(e as Error).message}`;
      if (!(e instanceof UserError)) this.log.appendLine(`${new Date().toISOString()} ${plan.record.id}: ${(e as Error).stack ?? e}`);
      // A run cut short keeps its text but is no longer running; those not started stay without verdicts.
      const runs = plan.view.runs.map((r) => (r.state === 'running' ? { ...r, state: 'error' as const } : r));
      plan.modelProblem = aboutModelFolder(e);
      this.update(plan, { state: abort.signal.aborted ? 'cancelled' : 'error', message: msg, runs });
      if (plan.modelProblem) sayOfferingModelFolder('error', `ST-Think: ${msg}`);
    } finally {
      plan.abort = undefined;
    }
  }

  /** Said once this session: that CUDA fell back to the CPU (a compact line; the details on hover). */
  private fallbackNoted = false;

  /** The provider note of a run: the compact line the first time CUDA falls back, the details on hover every time. */
  private providerNotes(fallback: string | undefined): Pick<RerunView, 'providerNote' | 'providerDetail'> {
    if (!fallback) return { providerNote: undefined, providerDetail: undefined };
    const providerDetail = `${fallback}. Running on the CPU. ${CUDA_HELP}`;
    if (this.fallbackNoted) return { providerNote: undefined, providerDetail };
    this.fallbackNoted = true;
    return { providerNote: 'CUDA is unavailable: running on the CPU (hover for why, and how to add CUDA).', providerDetail };
  }

  /** Run `i` of a plan: streamed into the panel (at most one update per 60 ms), then its result, saved. */
  private async runMode(
    plan: Plan,
    i: number,
    ctx: RerunContext,
    runner: RerunProvider,
    io: { frameFiles: string[]; outFile: string; signal: AbortSignal },
  ): Promise<void> {
    let text = ctx.prompt.assistantPrefix;
    let tokens = 0;
    const started = performance.now();
    let firstTokenMs: number | undefined;
    let last = 0;
    const show = (force = false) => {
      const now = performance.now();
      if (!force && now - last < 60) return;
      last = now;
      const runs = [...plan.view.runs];
      runs[i] = { ...runs[i], state: 'running', text, tokens, firstTokenMs, ...runAnalysis(text, plan.record) };
      this.update(plan, { runs });
    };
    show(true);
    const onText = (t: string, n: number) => {
      text += t;
      tokens = n;
      firstTokenMs ??= performance.now() - started;
      show();
    };
    // A served request retried after its stream broke starts over: the view drops what it showed of it.
    const onReset = () => {
      text = ctx.prompt.assistantPrefix;
      tokens = 0;
      firstTokenMs = undefined;
      show(true);
    };
    const { output, record, movedAside } = await runAndSave(runner, { ...ctx, ...io, protect: this.openResults(), onText, onReset });
    this.reportMovedAside(io.outFile, movedAside);
    const runs = [...plan.view.runs];
    runs[i] = {
      ...runs[i],
      state: output.stopped === 'cancelled' ? 'cancelled' : 'done',
      text: output.response,
      tokens: output.timings.newTokens,
      firstTokenMs: output.timings.firstTokenMs,
      tokensPerSecond: output.timings.tokensPerSecond,
      savedTo: record ? io.outFile : undefined,
      ...runAnalysis(output.response, plan.record),
    };
    this.update(plan, { runs, inputPath: output.inputPath });
    if (record) {
      this.written.add(io.outFile);
      const t = output.timings;
      this.log.appendLine(
        `${new Date().toISOString()} ${plan.record.id} ${ctx.mode}: ${t.newTokens} tokens, ` +
          `first token ${t.firstTokenMs.toFixed(0)} ms, ${t.tokensPerSecond.toFixed(1)} tokens/s on ${runner.provider} → ${io.outFile}`,
      );
    }
  }

  /** The provider the settings choose, ready to run, and the generation settings it runs with. */
  private async open(s: Settings): Promise<{ runner: RerunProvider; generation: EffectiveGeneration }> {
    if (s.rerunProvider === 'openai') {
      // No model folder: the user's settings over the defaults, all sent with each request.
      const generation = effectiveGeneration({ ...s, modelPath: '' }, undefined);
      return { runner: await this.served(s), generation };
    }
    if (!s.modelPath) effectiveGeneration(s, undefined); // the user's own settings are checked first
    const model = await this.modelFolder(s);
    const generation = effectiveGeneration(s, model.generationConfig);
    return { runner: await this.runner(model, s.provider), generation };
  }

  /** The served provider of the settings and the stored key, reused while they stay the same. */
  private async served(s: Settings): Promise<ServedRerunner> {
    if (!s.served.model)
      throw new UserError('No served model is set: set "stThink.served.model" (the name the server serves) and "stThink.served.baseUrl".');
    const apiKey = await this.servedKey.get();
    const key = JSON.stringify([s.served, apiKey ?? '']);
    if (this.servedRunner?.key !== key) {
      let runner: ServedRerunner;
      try {
        runner = new ServedRerunner({ ...s.served, apiKey });
      } catch (e) {
        throw new UserError(`"stThink.served.baseUrl" cannot be used: ${(e as Error).message}.`);
      }
      void this.servedRunner?.runner.dispose(); // the previous settings' idle connections
      this.servedRunner = { key, runner };
    }
    const r = this.servedRunner.runner;
    this.status.text = '$(cloud) SERVED';
    this.status.tooltip =
      `ST-Think re-runs: ${r.model.name} served at ${r.model.dir} (${s.served.concurrency} requests at once). ` + 'Click for its settings.';
    this.status.command = { title: 'Served model settings', command: 'workbench.action.openSettings', arguments: ['stThink.served'] };
    this.status.show();
    return r;
  }

  /** The model folder of the settings, checked; a clear error when unset or incomplete. */
  private async modelFolder(s: Settings): Promise<ModelFolder> {
    if (!s.modelPath)
      throw new UserError('No model folder is set: choose one (ST-Think: Choose Model Folder…, setting stThink.modelPath).');
    const r = inspectModelFolder(s.modelPath, s.dtype);
    if (!r.ok) throw new UserError(`The model folder ${s.modelPath} cannot be used: ${r.problems.join('; ')}.`);
    return r.model;
  }

  /** The loaded model, reused while the folder, precision and provider stay the same. */
  private async runner(model: ModelFolder, provider: ProviderPreference): Promise<Rerunner> {
    const key = JSON.stringify([model.dir, model.dtype, provider]);
    if (this.loaded?.key !== key) {
      const old = this.loaded;
      this.loaded = { key, runner: loadRerunner(model, provider) };
      void old?.runner.then((r) => r.dispose()).catch(() => undefined);
    }
    try {
      const r = await this.loaded.runner;
      this.status.command = 'stThink.chooseModelFolder';
      this.status.text = `$(chip) ${r.provider.toUpperCase()}`;
      const fallback = r.fallback ? `\n${r.fallback}` : '';
      this.status.tooltip =
        `ST-Think re-runs: ${r.model.name} (${r.model.dtype}) on ${r.provider.toUpperCase()}${fallback}\n` +
        `Loaded in ${(r.loadMs / 1000).toFixed(1)} s. Click to choose another model folder.`;
      this.status.show();
      return r;
    } catch (e) {
      this.loaded = undefined;
      throw new UserError(`The model in ${model.dir} could not be loaded: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  /** The frames the trace view shows for the record (same sampler, same indices), as files in order. */
  private async frames(file: ResultsFile, record: TraceRecord, sampler: SamplerName, signal: AbortSignal): Promise<RerunFrames> {
    const job = prepareFrames(this.context, file, record, sampler);
    if (job.kind === 'noVideo')
      throw new UserError('This record has no video ("video" is empty): a re-run needs the frames the model saw.');
    if (job.kind === 'notFound') {
      throw new UserError(
        `The re-run needs the frames the model saw, and the video was not found (paths tried: ${job.tried.join(', ')}). ` +
          'Set "stThink.videoRoots" or locate the video folder.',
      );
    }
    if (job.kind === 'noFfmpeg') throw new Error(job.message);
    const set = await job.extract(signal);
    const inOrder = framesInOrder(set);
    if ('missing' in inOrder)
      throw new UserError(`Frame ${inOrder.missing} of ${job.video} could not be decoded${inOrder.error ? `: ${inOrder.error}` : ''}.`);
    // Qwen2-VL sees the frames at ST-R1's smart_resize of the source size (the frame preset's pixel
    // budget), whatever the sampler.
    const size = modelFrameSize('qwen2vl', { width: set.probe.width, height: set.probe.height }, job.preset.maxPixels)!;
    return { files: inOrder.files, facts: { sampler, indices: set.indices, width: size.width, height: size.height, video: job.video } };
  }

  /** The re-runs file in the Results tree (opened beside its results file, or its new lines picked up). */
  private async showSaved(outFile: string): Promise<ResultsFile | undefined> {
    if (!fs.existsSync(outFile)) return undefined;
    const uri = vscode.Uri.file(outFile);
    const open = this.store.get(uri);
    if (open) {
      // An update already running (the file watcher's) may have read the file before the last line.
      if (open.updating) await open.updating;
      await this.store.updateNow(open);
      return open;
    }
    return this.store.open(uri, { background: true });
  }

  /** Both: the forward and reverse re-runs side by side with the inline diff. */
  private async openBoth(plan: Plan, outFile: string): Promise<void> {
    const file = this.store.get(vscode.Uri.file(outFile));
    // The latest re-run of this record in each mode.
    const latest = (mode: RerunMode) =>
      [...(file?.index?.entries ?? [])].reverse().find((e) => {
        const r = rerunSource(e.id);
        return r?.source === plan.record.id && r.mode === mode;
      });
    const fwd = latest('forward');
    const rev = latest('reverse');
    if (!file || !fwd || !rev) return;
    await TracePanel.showPair(
      this.host(),
      {
        a: { file, entry: fwd },
        b: { file, entry: rev },
        labelA: 'Forward thinking (re-run)',
        labelB: 'Reverse thinking (re-run)',
        title: `Re-run of ${plan.record.id}: forward vs reverse thinking`,
      },
      false,
    );
  }

  /** Diff with Original: a re-run beside the record it re-ran. */
  async diffWithOriginal(rerun: TraceTarget): Promise<void> {
    const { record } = await rerun.file.index!.readRecord(rerun.entry);
    if (!record.sourceId || !record.sourceFile)
      return void vscode.window.showInformationMessage(`ST-Think: ${record.id} is not a re-run (it names no source record).`);
    if (!fs.existsSync(record.sourceFile))
      return void vscode.window.showWarningMessage(`ST-Think: the original results file ${record.sourceFile} is not there any more.`);
    const source = await this.store.open(vscode.Uri.file(record.sourceFile), { background: true });
    const entry = source.index?.entries.find((e) => e.id === record.sourceId);
    if (!entry) return void vscode.window.showWarningMessage(`ST-Think: ${record.sourceFile} has no record ${record.sourceId}.`);
    await TracePanel.showPair(
      this.host(),
      {
        a: { file: source, entry },
        b: rerun,
        labelA: `Original · ${source.path.split(/[\\/]/).pop()}:${entry.line}`,
        labelB: `Re-run (${record.mode ?? 'rerun'}) · line ${rerun.entry.line}`,
        title: `${record.sourceId}: original vs re-run`,
      },
      false,
    );
  }

  /**
   * Re-run Filtered Records…: every visible record of a file in each mode, with progress (records/min,
   * tokens/s, ETA), cancel and resume (runs already in the re-runs file are skipped). The served
   * provider runs up to stThink.served.concurrency requests at once; the local model one at a time.
   * One writer appends the finished runs, each line whole.
   */
  async rerunFiltered(file: ResultsFile, choice: RerunChoice, prefixStyle?: PrefixStyle): Promise<Tally> {
    const s = settings();
    const modes: RerunMode[] = choice === 'both' ? ['forward', 'reverse'] : [choice];
    const entries: IndexEntry[] = file.visible.slice();
    const outFile = this.rerunsFileOf(file.path);
    const tally: Tally = { done: 0, skipped: 0, failed: 0, cancelled: false };
    let opened: { runner: RerunProvider; generation: EffectiveGeneration };
    try {
      opened = await this.open(s);
    } catch (e) {
      const message = e instanceof ChatError ? servedFailure(e) : (e as Error).message;
      sayOfferingModelFolder('error', `ST-Think: ${message}`, s.rerunProvider === 'onnx' && /model folder/i.test(message));
      return tally;
    }
    const jobs = entries.flatMap((entry) => modes.map((mode) => ({ entry, mode })));
    const concurrency = opened.runner.provider === 'openai' ? s.served.concurrency : 1;
    let fatal: string | undefined;
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `ST-Think: re-running ${entries.length.toLocaleString()} records (${choice}) on ${opened.runner.model.name}`,
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        this.batches.add(abort);
        this.setRunningContext(this.batches.size);
        const batch: Batch = {
          file,
          outFile,
          ...opened,
          have: await rerunKeys(outFile),
          signal: abort.signal,
          progress: { total: jobs.length, done: 0, skipped: 0, failed: 0, tokens: 0, startedAt: performance.now() },
          writer: new RerunWriter(outFile, { protect: [file.path, ...this.openResults()] }),
          sources: new Map(),
        };
        const prompt = (record: TraceRecord, mode: RerunMode) => buildPrompt(record, mode, s.templates, prefixStyle ?? s.prefixStyle);
        let next = 0;
        const worker = async () => {
          while (next < jobs.length && !abort.signal.aborted) {
            const job = jobs[next++];
            await this.batchJob(batch, job.entry, job.mode, prompt, job.mode === modes[modes.length - 1]);
            if (batch.fatal) abort.abort();
            this.lastBatchProgress = progressLine(batch.progress);
            progress.report({ increment: 100 / Math.max(1, jobs.length), message: this.lastBatchProgress });
          }
        };
        try {
          // The writer is closed (its records written and synced, its file closed, its lock let go)
          // when the workers end, also when one of them throws.
          await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker)).finally(() =>
            batch.writer.close(),
          );
        } finally {
          this.batches.delete(abort);
          this.setRunningContext(this.batches.size);
        }
        Object.assign(tally, { done: batch.progress.done, skipped: batch.progress.skipped, failed: batch.progress.failed });
        tally.cancelled = abort.signal.aborted && !batch.fatal;
        fatal = batch.fatal;
      },
    );
    await this.showSaved(outFile);
    const cancelled = tally.cancelled ? '; cancelled (run it again to resume)' : '';
    const summary =
      `${tally.done} re-run${tally.done === 1 ? '' : 's'} saved, ${tally.skipped} already done (skipped), ` +
      `${tally.failed} failed${cancelled}.`;
    if (fatal) {
      void vscode.window
        .showErrorMessage(`ST-Think: the batch stopped: ${fatal} (${summary})`, 'Show Log')
        .then((a) => a && this.log.show());
      return tally;
    }
    const show = tally.failed ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`ST-Think: ${summary}`, ...(tally.failed ? ['Show Log'] : [])).then((a) => a && this.log.show());
    return tally;
  }

  /** A record of a batch, read and its frames extracted once for all its modes (the last mode lets it go). */
  private batchSource(b: Batch, entry: IndexEntry, last: boolean): Promise<{ record: TraceRecord; frames: RerunFrames }> {
    let got = b.sources.get(entry);
    if (!got) {
      got = (async () => {
        const { record } = await b.file.index!.readRecord(entry);
        // The batch follows the frame sampler setting (there is no view whose choice it could follow).
        return { record, frames: await this.frames(b.file, record, samplerSetting(), b.signal) };
      })();
      b.sources.set(entry, got);
    }
    if (last) b.sources.delete(entry);
    return got;
  }

  /** One record in one mode of a batch: skipped when already re-run with the same settings, else run and saved. */
  private async batchJob(
    b: Batch,
    entry: IndexEntry,
    mode: RerunMode,
    prompt: (r: TraceRecord, m: RerunMode) => RerunPrompt,
    last: boolean,
  ): Promise<void> {
    const { progress, signal } = b;
    let id = entry.id;
    try {
      const { record, frames } = await this.batchSource(b, entry, last);
      id = record.id;
      const ctx = rerunContext(record, b.file.path, prompt(record, mode), frames, b.runner, b.generation);
      if (b.have.has(rerunKey(ctx))) return void progress.skipped++;
      const {
        record: saved,
        output,
        movedAside,
      } = await runAndSave(b.runner, {
        ...ctx,
        frameFiles: frames.files,
        outFile: b.outFile,
        signal,
        writer: b.writer,
      });
      this.reportMovedAside(b.outFile, movedAside);
      if (saved) {
        progress.done++;
        progress.tokens += output.timings.newTokens;
        this.written.add(b.outFile);
      }
    } catch (e) {
      if (signal.aborted) return;
      progress.failed++;
      this.log.appendLine(`${b.file.path}:${entry.line} (${id}, ${mode}): ${(e as Error).message}`);
      if (e instanceof ChatError && FATAL_KINDS.includes(e.kind)) b.fatal ??= servedFailure(e);
    }
  }

  /** Choose Model Folder…: pick, check, and save to the (machine-scoped) setting. */
  async chooseModelFolder(folder?: vscode.Uri): Promise<boolean> {
    const pick = folder
      ? [folder]
      : await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          openLabel: 'Use This Model',
          title: 'A Qwen2-VL model exported to ONNX (config.json, tokenizer, onnx/…)',
        });
    if (!pick?.[0]) return false;
    const r = inspectModelFolder(pick[0].fsPath, settings().dtype);
    if (!r.ok) {
      void vscode.window.showErrorMessage(`ST-Think: ${pick[0].fsPath} cannot be used: ${r.problems.join('; ')}.`);
      return false;
    }
    await vscode.workspace.getConfiguration('stThink').update('modelPath', pick[0].fsPath, vscode.ConfigurationTarget.Global);
    // Plans waiting for a model take it now (the configuration event may name no key in a remote host).
    this.modelFolderChanged();
    void vscode.window.showInformationMessage(
      `ST-Think: re-runs will use ${r.model.name} (${r.model.dtype}; vision encoder, embeddings and decoder found).`,
    );
    return true;
  }

  /** Stop every running re-run (the status bar's and the palette's Stop). */
  stopAll(): void {
    for (const p of this.plans.values()) this.stop(p.panel);
    for (const b of this.batches) b.abort();
  }
  private readonly batches = new Set<AbortController>();

  /** Is a re-run running for this target (for tests)? */
  runningFor(target: TraceTarget): boolean {
    return [...this.plans.values()].some((p) => p.running && sameTarget(p.target, target));
  }

  dispose(): void {
    this.stopAll();
    for (const d of this.subs) d.dispose();
    this.status.dispose();
    this.log.dispose();
    void this.loaded?.runner.then((r) => r.dispose()).catch(() => undefined);
    void this.servedRunner?.runner.dispose();
  }
}
