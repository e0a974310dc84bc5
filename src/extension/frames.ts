/**
 * The frames of a record, for the trace view and for re-runs alike: where its video is (the folder
 * located for the results file, then stThink.videoRoots), which sampler and frame preset decide the
 * frames, ffmpeg, and the extraction into the frame cache (which the webviews may load from).
 */
import * as vscode from 'vscode';
import { extractFrames, findFfmpeg, type FfmpegPaths, type FrameSet } from '../core/frames/extract';
import { DEFAULT_FRAME_PRESET, frameParams, framePreset, type FramePreset, type FramePresetName } from '../core/frames/presets';
import { resolveVideo } from '../core/frames/resolve';
import { rerunOrigins } from '../core/model/reruns';
import { SAMPLERS, type SamplerName } from '../core/frames/samplers';
import type { TraceRecord } from '../core/schemas';
import type { ResultsFile } from './store';

export { frameParams };

const VIDEO_FOLDERS_KEY = 'stThink.videoFolders';

/** The frame preset of the settings: as at inference (the default) or as trained with GRPO. */
export function framePresetSetting(): FramePreset & { name: FramePresetName } {
  return framePreset(vscode.workspace.getConfiguration('stThink').get<string>('framePreset', DEFAULT_FRAME_PRESET));
}

/** The settings that decide a record's frames, as one comparable string. */
export function frameSettings(): string {
  const c = vscode.workspace.getConfiguration('stThink');
  return JSON.stringify([c.get('videoRoots'), c.get('ffmpegPath'), c.get('frameSampler'), c.get('framePreset')]);
}

/** The sampler of the settings (stThink.frameSampler). */
export function samplerSetting(): SamplerName {
  return vscode.workspace.getConfiguration('stThink').get<SamplerName>('frameSampler', 'qwen2vl');
}

/** The sampler for a record: the view's choice, else the record's own, else the setting. */
export function samplerFor(record: Pick<TraceRecord, 'frames'>, chosen?: SamplerName): SamplerName {
  if (chosen) return chosen;
  const own = record.frames?.sampler;
  if (own && (SAMPLERS as readonly string[]).includes(own)) return own as SamplerName;
  return samplerSetting();
}

/** Where the frames are cached: a local resource root of the trace view. */
export function frameCacheUri(context: vscode.ExtensionContext): vscode.Uri {
  return vscode.Uri.joinPath(context.globalStorageUri, 'frames');
}

/**
 * Where the videos of a results file are looked for: the folder located for it, then (for a re-runs
 * file) the folder located for the results file the record came from, then videoRoots. A re-run
 * asks about the videos of its original, so it finds them where its original does.
 */
export function videoRootsFor(context: vscode.ExtensionContext, file: ResultsFile, record?: Pick<TraceRecord, 'sourceFile'>): string[] {
  const cfg = vscode.workspace.getConfiguration('stThink').get<string[]>('videoRoots', []);
  const located = context.workspaceState.get<Record<string, string>>(VIDEO_FOLDERS_KEY, {});
  const keys = [file.uri.toString(), ...rerunOrigins(file.path, record?.sourceFile).map((p) => vscode.Uri.file(p).toString())];
  const remembered = keys.map((k) => located[k]).filter((d): d is string => typeof d === 'string' && d.length > 0);
  return [...new Set([...remembered, ...cfg])];
}

/**
 * Locate Video Folder…: the folder of a results file's videos (`folder`, else asked for), remembered
 * per workspace; its re-runs file finds its videos there too.
 */
export async function locateVideoFolder(context: vscode.ExtensionContext, file: ResultsFile, folder?: vscode.Uri): Promise<boolean> {
  const pick = folder
    ? [folder]
    : await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Use as Video Folder',
        title: `Where are the videos of ${file.uri.path.split('/').pop()}?`,
      });
  if (!pick?.[0]) return false;
  const all = { ...context.workspaceState.get<Record<string, string>>(VIDEO_FOLDERS_KEY, {}) };
  all[file.uri.toString()] = pick[0].fsPath;
  await context.workspaceState.update(VIDEO_FOLDERS_KEY, all);
  return true;
}

/** Why a record's frames cannot be extracted. */
export type FramesProblem =
  { kind: 'noVideo' } | { kind: 'notFound'; tried: string[] } | { kind: 'noFfmpeg'; video: string; message: string };

/** A record's frames, ready to extract: the video found, ffmpeg found, the parameters decided. */
export interface FramesJob {
  kind: 'job';
  video: string;
  sampler: SamplerName;
  preset: FramePreset & { name: FramePresetName };
  extract(signal: AbortSignal): Promise<FrameSet>;
}

/** Finds what extracting a record's frames with `sampler` needs, or says what is missing. */
export function prepareFrames(
  context: vscode.ExtensionContext,
  file: ResultsFile,
  record: TraceRecord,
  sampler: SamplerName,
): FramesJob | FramesProblem {
  if (!record.video) return { kind: 'noVideo' };
  const resolved = resolveVideo(record.video, videoRootsFor(context, file, record));
  const video = resolved.file;
  if (!video) return { kind: 'notFound', tried: resolved.tried };
  let paths: FfmpegPaths;
  try {
    paths = findFfmpeg({ ffmpeg: vscode.workspace.getConfiguration('stThink').get<string>('ffmpegPath') || undefined });
  } catch (e) {
    return { kind: 'noFfmpeg', video, message: (e as Error).message };
  }
  const preset = framePresetSetting();
  const params = frameParams(record, sampler, preset.name);
  const cacheDir = frameCacheUri(context).fsPath;
  return { kind: 'job', video, sampler, preset, extract: (signal) => extractFrames(video, params, { paths, cacheDir, signal }) };
}

/** The frame files in the order the model saw them, or the first frame that could not be decoded. */
export function framesInOrder(set: FrameSet): { files: string[] } | { missing: number; error?: string } {
  const byIndex = new Map(set.frames.map((f) => [f.index, f]));
  const files: string[] = [];
  for (const i of set.indices) {
    const f = byIndex.get(i);
    if (!f?.file) return { missing: i, error: f?.error };
    files.push(f.file);
  }
  return { files };
}
