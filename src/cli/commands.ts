/**
 * The CLI's commands other than summary (validate, frames, compare, consistency, prompt, training): loaded
 * only when one of them runs, so that `st-think summary` starts without their modules (ffmpeg's
 * wrapper, the index, the model code and the Node modules they load).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResultsIndex, type IndexEntry } from '../core/index';
import { comparePairing, consistency, pairRuns, type CompareBucket } from '../core/compare/compare';
import {
  compareManyByRule,
  pairMany,
  PairwiseTests,
  type PairwiseResult,
  type RunsBucket,
  type RunsComparison,
} from '../core/compare/many';
import { extractFrames, findFfmpeg, type FfmpegPaths, type FrameSet } from '../core/frames/extract';
import { modelFrameSize } from '../core/frames/modelSize';
import { FRAME_PRESET_NAMES, framePreset, isFramePreset, type FramePresetName } from '../core/frames/presets';
import {
  alternativesNotes,
  planFramesWithAlternatives,
  SAMPLERS,
  samplerParamsSchema,
  type SamplerName,
  type SamplerParams,
} from '../core/frames/samplers';
import { comparisonExport, runsExport, type RunInfo } from '../core/export';
import { readGenerationConfig } from '../core/model/folder';
import {
  buildPrompt,
  DEFAULT_TEMPLATES,
  describePrefix,
  PREFIX_STYLES,
  PromptError,
  type PrefixStyle,
  type RerunMode,
} from '../core/model/prompt';
import { runnerInputText } from '../core/model/runner';
import {
  checkGeneration,
  GENERATION_KEYS,
  GenerationConfigError,
  resolveGeneration,
  type EffectiveGeneration,
} from '../core/model/sampling';
import type { TraceRecord } from '../core/schemas';
import { noVideoLine, summarise, wordedAsLines } from '../core/summary';
import {
  checkFlags,
  formatFlag,
  indexOptions,
  InputError,
  isSystemError,
  numberFlag,
  parseArgs,
  positionals,
  ruleFlag,
  UsageError,
  type Parsed,
} from './args';

export { agreementCommand, judgeCommand, judgeSummary, judgeLines } from './judge';
export { rerunCommand } from './rerun';
import { compareJudge, comparisonLines } from './judge';
export { training } from './training';

export async function validate(argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  checkFlags(p, []);
  const [file] = positionals(p, 1, 'validate needs exactly one FILE');
  const index = await ResultsIndex.build(file, indexOptions());
  for (const pr of index.problems) process.stdout.write(`${index.file}:${pr.line}: ${pr.message}\n`);
  if (index.problemCount > index.problems.length) {
    process.stdout.write(`${index.file}: ${index.problemCount - index.problems.length} more invalid records not listed\n`);
  }
  const noVideo = index.entries.reduce((n, e) => n + (e.video === '' ? 1 : 0), 0);
  process.stderr.write(`${index.entries.length} valid, ${index.problemCount} invalid${noVideo ? ` (${noVideoLine(noVideo)})` : ''}\n`);
  return index.problemCount ? 1 : 0;
}

/** What each sampler setting must be, for a usage error that names the flag. */
const SAMPLER_FLAG_RULES: Record<string, string> = {
  fps: '--fps must be a number above 0',
  count: '--count must be a whole number from 1 to 4096',
};

function samplerFlags(p: Parsed): { params: Partial<SamplerParams>; preset: ReturnType<typeof framePreset> } {
  const sampler = p.flags.get('sampler');
  if (sampler !== undefined && !(SAMPLERS as readonly unknown[]).includes(sampler)) {
    throw new UsageError(`--sampler must be one of ${SAMPLERS.join(', ')}`);
  }
  const name = p.flags.get('preset');
  if (name !== undefined && !isFramePreset(name)) throw new UsageError(`--preset must be one of ${FRAME_PRESET_NAMES.join(', ')}`);
  const preset = framePreset(name as FramePresetName | undefined);
  // The preset's frame rate is qwen2vl's first stage; an explicit --fps wins.
  const fps = numberFlag(p, 'fps') ?? ((sampler ?? 'qwen2vl') === 'qwen2vl' ? preset.fps : undefined);
  const params = { sampler: sampler as SamplerName | undefined, fps, count: numberFlag(p, 'count') };
  // Checked here, so that a bad value is a usage error naming its flag (not the schema's report).
  const checked = samplerParamsSchema.safeParse(params);
  if (!checked.success) {
    const key = String(checked.error.issues[0]?.path[0] ?? '');
    const rule = SAMPLER_FLAG_RULES[key] ?? `--${key} is not valid`;
    throw new UsageError(`${rule} (got ${String(p.flags.get(key))})`);
  }
  return { params, preset };
}

/** What --json says of the preset: for qwen2vl only (the other samplers have no frame rate or pixel budget). */
function presetFacts(sampler: string | undefined, preset: ReturnType<typeof framePreset>, fps: number | undefined) {
  return (sampler ?? 'qwen2vl') === 'qwen2vl' ? { preset: { name: preset.name, fps, maxPixels: preset.maxPixels } } : {};
}

function framesPlan(argv: string[]): number {
  const p = parseArgs(argv, ['total-frames', 'video-fps', 'fps', 'sampler', 'count', 'preset']);
  checkFlags(p, ['total-frames', 'video-fps', 'fps', 'sampler', 'count', 'preset', 'json']);
  const total = numberFlag(p, 'total-frames');
  const videoFps = numberFlag(p, 'video-fps');
  if (total === undefined || videoFps === undefined) throw new UsageError('frames plan needs --total-frames and --video-fps');
  const { params, preset } = samplerFlags(p);
  let plan: ReturnType<typeof planFramesWithAlternatives>;
  try {
    plan = planFramesWithAlternatives({ totalFrames: total, fps: videoFps }, params);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (p.flags.has('json')) {
    process.stdout.write(
      JSON.stringify({ indices: plan.indices, alternatives: plan.alternatives, ...presetFacts(params.sampler, preset, params.fps) }) + '\n',
    );
  } else {
    process.stdout.write(plan.indices.join(' ') + '\n');
    const notes = alternativesNotes(plan.alternatives, plan.indices.length);
    if (notes.length) process.stdout.write(`could differ: ${notes.join(' ')}\n`);
  }
  return 0;
}

/** The video must be a non-empty regular file: a folder, a device or a pipe is refused before ffprobe sees it. */
function checkVideo(video: string): void {
  const st = fs.statSync(video); // a missing file: a system error, reported as one line by main
  if (st.isDirectory()) throw new InputError(`${video}: is a folder, not a video`);
  if (!st.isFile()) throw new InputError(`${video}: not a regular file, so not a video`);
  if (st.size === 0) throw new InputError(`${video}: empty file, not a video`);
}

/** --out must be a folder, or not exist yet (it is created). */
function checkOutDir(out: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isDirectory()) throw new InputError(`${out}: --out must be a folder, and this is not one`);
}

/** ffmpeg's and ffprobe's complaints, on one line and without their "[demuxer @ 0x…]" prefixes. */
function oneLine(message: string): string {
  return message
    .replace(/\[[^\]\n]* @ 0x[0-9a-f]+\] /g, '')
    .split(/\s*[\r\n]+\s*/)
    .filter(Boolean)
    .join(' | ');
}

/** extractFrames, its failures turned into one line that names the video and says why. */
async function extractOrExplain(video: string, params: Partial<SamplerParams>, paths: FfmpegPaths, out: string): Promise<FrameSet> {
  try {
    return await extractFrames(video, params, { paths, cacheDir: path.join(out, '.st-think-cache') });
  } catch (e) {
    if (isSystemError(e)) throw e;
    if (e instanceof SyntaxError) throw new InputError(`${video}: ${paths.ffprobe} did not answer as ffprobe does (is it ffprobe?)`);
    let message = oneLine((e as Error).message ?? String(e));
    if (message.startsWith(`${video}: `)) message = message.slice(video.length + 2);
    const probe = `${path.basename(paths.ffprobe)}: `;
    if (message.startsWith(probe)) message = `not a video ffprobe can read (${message.slice(probe.length)})`;
    throw new InputError(`${video}: ${message}`);
  }
}

/** ffmpeg and ffprobe: --ffmpeg / --ffprobe when given (and then only those), else found on PATH. */
function ffmpegPaths(p: Parsed): FfmpegPaths {
  const ffmpeg = p.flags.get('ffmpeg');
  const ffprobe = p.flags.get('ffprobe');
  if (ffmpeg === true || ffprobe === true || ffmpeg === '' || ffprobe === '') throw new UsageError('--ffmpeg and --ffprobe need a path');
  let paths: FfmpegPaths;
  try {
    paths = findFfmpeg({ ffmpeg, ffprobe });
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  // findFfmpeg falls back to PATH when the configured one is unusable; a flag asks for that one.
  if (ffmpeg !== undefined && paths.source !== 'setting') {
    throw new InputError(`--ffmpeg ${ffmpeg}: not an executable file (or no ffprobe beside it: give --ffprobe)`);
  }
  return paths;
}

async function framesExtract(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['out', 'fps', 'sampler', 'count', 'ffmpeg', 'ffprobe', 'preset']);
  checkFlags(p, ['out', 'fps', 'sampler', 'count', 'ffmpeg', 'ffprobe', 'preset', 'json']);
  const out = p.flags.get('out');
  if (typeof out !== 'string') throw new UsageError('frames extract needs VIDEO and --out DIR');
  if (out === '') throw new UsageError('--out needs a folder: an empty path names none');
  const [video] = positionals(p, 1, 'frames extract needs VIDEO and --out DIR');
  const { params, preset } = samplerFlags(p);
  checkVideo(video);
  checkOutDir(out);
  const paths = ffmpegPaths(p);
  const set = await extractOrExplain(video, params, paths, out);
  const written: { index: number; time: number; path?: string; error?: string }[] = [];
  for (const f of set.frames) {
    if (!f.file) {
      written.push({ index: f.index, time: f.time, error: f.error });
      continue;
    }
    const dest = path.join(out, path.basename(f.file));
    const tmp = `${dest}.tmp-${process.pid}`;
    fs.copyFileSync(f.file, tmp);
    fs.renameSync(tmp, dest);
    written.push({ index: f.index, time: f.time, path: dest });
  }
  // The frames extracted are the AVX2 plan; the alternatives say where other torch builds differ.
  const { alternatives } = planFramesWithAlternatives(set.probe, set.params);
  if (p.flags.has('json')) {
    const modelSize = modelFrameSize(set.params.sampler, { width: set.probe.width, height: set.probe.height }, preset.maxPixels);
    const facts = presetFacts(set.params.sampler, preset, set.params.fps);
    const json = { indices: set.indices, alternatives, ...facts, modelSize, frames: written, probe: set.probe, cached: set.cached };
    process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  } else {
    for (const w of written) process.stdout.write(`${w.index}\t${w.time.toFixed(3)}s\t${w.path ?? `missing: ${w.error}`}\n`);
    const notes = alternativesNotes(alternatives, set.indices.length);
    if (notes.length) process.stderr.write(`could differ: ${notes.join(' ')}\n`);
  }
  const missing = written.filter((w) => !w.path).length;
  if (missing) process.stderr.write(`st-think: ${video}: ${missing} of ${written.length} frames could not be decoded\n`);
  return missing ? 1 : 0;
}

export async function frames(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'plan') return framesPlan(rest);
  if (sub === 'extract') return framesExtract(rest);
  throw new UsageError('frames needs "plan" or "extract"');
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const signed = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`);

export async function compare(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['rule', 'rerun-mode', 'format']);
  if (p.positional.length > 2) return compareSeveral(p);
  checkFlags(p, ['rule', 'json', 'rerun-mode', 'format']);
  const files = positionals(p, 2, 'compare needs two files, A and B (or more, to compare several runs)');
  const rule = ruleFlag(p);
  const format = formatFlag(p);
  const raw = p.flags.get('rerun-mode');
  if (raw !== undefined && raw !== 'forward' && raw !== 'reverse') throw new UsageError('--rerun-mode must be forward or reverse');
  const mode = raw as 'forward' | 'reverse' | undefined;
  const [a, b] = await Promise.all(files.map((f) => ResultsIndex.build(f, indexOptions())));
  const pairing = await pairRuns(a, b, { rerunMode: mode });
  // A side of re-runs counts only the re-runs of the mode compared.
  const c = comparePairing(pairing, a.entries, b.entries, rule, mode);
  if (format) {
    process.stdout.write(comparisonExport(c, format));
    return 0;
  }
  // Route answers: their judge scores paired by sample key, when either run has judgments.
  const judge = await compareJudge(a, b);
  if (p.flags.has('json')) {
    const { flipped, ...rest } = c;
    const out = {
      a: a.file,
      b: b.file,
      ...rest,
      flipped: flipped.map((f) => ({ kind: f.kind, a: { id: f.a.id, line: f.a.line }, b: { id: f.b.id, line: f.b.line } })),
      ...(judge ? { judge } : {}),
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const rows: string[][] = [['category', 'direction', 'A', 'B', 'B−A (pts)']];
  const row = (cat: string, dir: string, k: CompareBucket) =>
    rows.push([
      cat,
      dir,
      `${pct(k.a.accuracy)} (${k.a.correct}/${k.a.total})`,
      `${pct(k.b.accuracy)} (${k.b.correct}/${k.b.total})`,
      signed(k.difference),
    ]);
  for (const [cat, dirs] of Object.entries(c.byCategoryDirection)) for (const [dir, k] of Object.entries(dirs)) row(cat, dir, k);
  for (const [cat, k] of Object.entries(c.byCategory)) row(cat, 'both', k);
  for (const [dir, k] of Object.entries(c.byDirection)) row('all', dir, k);
  row('all', 'both', c.overall);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => (i >= 2 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ');
  process.stdout.write(
    [
      `A: ${a.file}`,
      `B: ${b.file}`,
      `rule ${rule}; ${c.paired} pairs (by ${c.pairedBy}); unpaired: ${c.unpairedA} in A, ${c.unpairedB} in B`,
      ...(c.accuracyOver === 'paired' ? [`accuracies over the paired records only: ${c.paired} (one side is re-runs)`] : []),
      '',
      line(rows[0]),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...rows.slice(1).map(line),
      '',
      `flips: right→wrong ${c.flips.rightToWrong}, wrong→right ${c.flips.wrongToRight}; ` +
        `both right ${c.flips.bothRight}, both wrong ${c.flips.bothWrong}, unscored ${c.flips.unscored}`,
      `exact McNemar on ${c.mcnemar.discordant} discordant pairs: p = ${c.mcnemar.p.toPrecision(4)}`,
      ...(judge ? ['', ...comparisonLines(judge)] : []),
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * `st-think compare A B C …`: several runs on the records common to all (each paired with the first as
 * two runs are), accuracy per category and direction, the best marked; with --mcnemar, the exact
 * McNemar test of every pair of runs as `st-think compare X Y` computes it.
 */
async function compareSeveral(p: Parsed): Promise<number> {
  checkFlags(p, ['rule', 'json', 'format', 'mcnemar']);
  const files = positionals(p, p.positional.length, '');
  const rule = ruleFlag(p);
  const format = formatFlag(p);
  const indexes = await Promise.all(files.map((f) => ResultsIndex.build(f, indexOptions())));
  const pairing = await pairMany(indexes);
  const byRule = compareManyByRule(pairing.rows, indexes.length);
  const runs: RunInfo[] = indexes.map((x, i) => ({
    label: `R${i + 1}`,
    file: x.file,
    records: x.entries.length,
    leftOut: x.entries.length - pairing.rows.length,
    pairedBy: i ? pairing.by[i - 1] : '',
  }));
  const pairwise: PairwiseResult[] = [];
  if (p.flags.has('mcnemar')) {
    const tests = new PairwiseTests(indexes);
    for (let i = 0; i < indexes.length; i++) for (let j = i + 1; j < indexes.length; j++) pairwise.push(await tests.get(i, j, rule));
  }
  const c = byRule[rule];
  if (format) {
    process.stdout.write(runsExport(c, runs, format, pairwise));
    return 0;
  }
  if (p.flags.has('json')) {
    const out = { runs, common: pairing.rows.length, rule, byRule, ...(pairwise.length ? { pairwise } : {}) };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(severalRunsText(c, runs, pairwise));
  return 0;
}

/** The text `st-think compare A B C …` prints: the runs, the table (best marked with *), any pairwise tests. */
function severalRunsText(c: RunsComparison, runs: readonly RunInfo[], pairwise: readonly PairwiseResult[]): string {
  const labels = runs.map((r) => r.label);
  const rows: string[][] = [['category', 'direction', 'records', ...labels]];
  const row = (cat: string, dir: string, k: RunsBucket) =>
    rows.push([
      cat,
      dir,
      String(k.records),
      ...k.runs.map((r, i) => `${pct(r.accuracy)} (${r.correct}/${r.total})${k.best.includes(i) ? '*' : ' '}`),
    ]);
  for (const [cat, dirs] of Object.entries(c.byCategoryDirection)) for (const [dir, k] of Object.entries(dirs)) row(cat, dir, k);
  for (const [cat, k] of Object.entries(c.byCategory)) row(cat, 'both', k);
  for (const [dir, k] of Object.entries(c.byDirection)) row('all', dir, k);
  row('all', 'both', c.overall);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((x, i) => (i >= 2 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ');
  const tests = pairwise.map(
    (t) =>
      `  ${labels[t.a]} vs ${labels[t.b]}: ${t.paired} pairs (by ${t.pairedBy}); right→wrong ${t.flips.rightToWrong}, ` +
      `wrong→right ${t.flips.wrongToRight}; p = ${t.mcnemar.p.toPrecision(4)}`,
  );
  return [
    ...runs.map((r) => `${r.label}: ${r.file}${r.pairedBy ? ` (paired with R1 by ${r.pairedBy})` : ''}`),
    `rule ${c.rule}; ${c.common} records common to all ${runs.length} runs; left out (not in every run): ` +
      runs.map((r) => `${r.label} ${r.leftOut}`).join(', '),
    '',
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    '',
    '* best in its row (all of the best on a tie)',
    ...(tests.length ? ['', 'exact McNemar per pair (each pair paired on its own, as `st-think compare X Y` does):', ...tests] : []),
    '',
  ].join('\n');
}

export async function consistencyCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['rule']);
  checkFlags(p, ['rule', 'json']);
  const [file] = positionals(p, 1, 'consistency needs exactly one FILE');
  const index = await ResultsIndex.build(file, indexOptions());
  const c = consistency(index.entries, ruleFlag(p));
  if (p.flags.has('json')) {
    process.stdout.write(JSON.stringify({ file: index.file, ...c }, null, 2) + '\n');
    return 0;
  }
  const share = (n: number) => (c.pairs ? `${((n / c.pairs) * 100).toFixed(1)}%` : '—');
  const lines = [
    `${index.file}: ${c.pairs} forward/reverse pairs (same video and category) under ${c.rule}; ` +
      `${c.unpaired} questions without a counterpart`,
    `  both directions correct  ${String(c.bothCorrect).padStart(6)}  ${share(c.bothCorrect)}`,
    `  one direction only       ${String(c.oneOnly).padStart(6)}  ${share(c.oneOnly)}`,
    `  neither                  ${String(c.neither).padStart(6)}  ${share(c.neither)}`,
  ];
  for (const [cat, k] of Object.entries(c.byCategory))
    lines.push(`  ${cat}: ${k.pairs} pairs, ${k.bothCorrect} both, ${k.oneOnly} one, ${k.neither} neither`);
  for (const l of wordedAsLines(summarise(index.file, index.entries, index.problemCount, c.rule))) lines.push(`  ${l}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** transformers' names of the generation settings, for the text output. */
const HF_NAMES: Record<(typeof GENERATION_KEYS)[number], string> = {
  maxNewTokens: 'max_new_tokens',
  doSample: 'do_sample',
  temperature: 'temperature',
  topK: 'top_k',
  topP: 'top_p',
  repetitionPenalty: 'repetition_penalty',
  seed: 'seed (ours: the draw when sampling)',
};

/** `prompt`'s flags, checked. */
function promptFlags(p: Parsed): { line: number; mode: RerunMode; prefix: PrefixStyle; model: string | undefined } {
  const rawLine = p.flags.get('line');
  if (rawLine === undefined) throw new UsageError('prompt needs --line N (the line the record starts on)');
  const line = Number(rawLine);
  if (typeof rawLine !== 'string' || !/^\d+$/.test(rawLine) || line < 1)
    throw new UsageError(`--line needs a line number from 1 (got ${JSON.stringify(rawLine)})`);
  const mode = p.flags.get('mode') ?? 'forward';
  if (mode !== 'forward' && mode !== 'reverse') throw new UsageError('--mode must be forward or reverse');
  const prefix = p.flags.get('prefix') ?? 'as-trained';
  if (!(PREFIX_STYLES as readonly unknown[]).includes(prefix)) throw new UsageError(`--prefix must be one of ${PREFIX_STYLES.join(', ')}`);
  const model = p.flags.get('model');
  if (model === true) throw new UsageError('--model needs a folder');

  return { line, mode: mode as RerunMode, prefix: prefix as PrefixStyle, model };
}

/** The one index entry that starts on `line`, or why there is none. */
function entryOnLine(index: ResultsIndex, line: number, where: string): IndexEntry {
  const at = index.entries.filter((e) => e.line === line);
  if (!at.length) {
    const bad = index.problems.find((pr) => pr.line === line);
    if (bad) throw new InputError(`${where}: not a valid record: ${bad.message}`);
    const lines = index.entries.map((e) => e.line);
    throw new InputError(
      `${where}: no record starts on line ${line} (${
        lines.length
          ? `${lines.length} records start on lines ${Math.min(...lines)} to ${Math.max(...lines)}`
          : 'the file has no valid record'
      })`,
    );
  }
  if (at.length > 1)
    throw new InputError(
      `${where}: ${at.length} records start on this line (${at
        .slice(0, 5)
        .map((e) => e.id)
        .join(', ')}${at.length > 5 ? ', …' : ''}); a record is chosen by the line it starts on`,
    );
  return at[0];
}

/** The generation settings a re-run would use: `--model`'s generation_config.json over the defaults. */
function promptGeneration(model: string | undefined): { generation: EffectiveGeneration; configFile: string | undefined } {
  let generation: EffectiveGeneration;
  let configFile: string | undefined;
  let config: Record<string, unknown> | undefined;
  if (typeof model === 'string') {
    const read = readGenerationConfig(model);
    if (!read.ok) throw new InputError(read.problem);
    [config, configFile] = [read.config, read.file];
  }
  try {
    generation = resolveGeneration({}, config, configFile);
  } catch (e) {
    if (e instanceof GenerationConfigError) throw new InputError(e.message);
    throw e;
  }
  const bad = checkGeneration(generation.settings);
  if (bad) throw new InputError(`${configFile}: the settings it gives cannot be used: ${bad}`);

  return { generation, configFile };
}

type PromptView = {
  index: ResultsIndex;
  line: number;
  where: string;
  record: TraceRecord;
  mode: RerunMode;
  prompt: ReturnType<typeof buildPrompt>;
  generation: EffectiveGeneration;
  configFile: string | undefined;
};

function promptJson({ index, line, record, mode, prompt, generation, configFile }: PromptView): string {
  const counterpart = prompt.counterpart
    ? { text: prompt.counterpart.text, direction: prompt.counterpart.direction, method: prompt.counterpart.method }
    : null;
  const out = {
    file: index.file,
    line,
    id: record.id,
    category: record.category,
    ...(record.wordedAs ? { wordedAs: record.wordedAs } : {}),
    direction: record.direction,
    mode,
    optionsFrom: prompt.optionsFrom,
    ...(prompt.prefixStyle ? { prefixStyle: prompt.prefixStyle } : {}),
    counterpart,
    system: prompt.system,
    user: prompt.user,
    assistantPrefix: prompt.assistantPrefix,
    chat: prompt.chat,
    input: runnerInputText(prompt.chat),
    generation: generation.settings,
    generationSources: generation.sources,
    generationConfig: configFile ?? null,
  };
  return JSON.stringify(out, null, 2) + '\n';
}

function promptText({ where, record, mode, prompt, generation, configFile }: PromptView): string {
  const kind = `${record.category}${record.wordedAs ? ` (worded as ${record.wordedAs})` : ''}/${record.direction}`;
  const width = Math.max(...GENERATION_KEYS.map((k) => HF_NAMES[k].length));
  const lines = [
    `${where}: record ${record.id}, ${kind}, ${mode} thinking`,
    `options: ${
      prompt.optionsFrom === 'list'
        ? 'stored as a list: the upstream inference prompt (the stored strings joined by line breaks)'
        : "inside the question: ST-R1's GRPO training prompt around the whole question"
    }`,
    ...(mode === 'reverse' ? [`prefix: ${describePrefix(prompt)}`] : []),
    '',
    '=== system ===',
    prompt.system,
    '=== user (after the video) ===',
    prompt.user,
    '=== assistant prefix ===',
    prompt.assistantPrefix || '(none: forward thinking)',
    '=== chat text (<|video_pad|> stands for the video; the re-run gives the tokenizer <|image_pad|> there) ===',
    prompt.chat,
    `=== generation (${configFile ? `following ${configFile}` : "no --model: upstream's and transformers' defaults"}) ===`,
    ...GENERATION_KEYS.map((k) => `${HF_NAMES[k].padEnd(width)}  ${String(generation.settings[k]).padEnd(6)}  ${generation.sources[k]}`),
    '',
  ];
  return lines.join('\n');
}

export async function promptCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['line', 'mode', 'prefix', 'model']);
  checkFlags(p, ['line', 'mode', 'prefix', 'model', 'json']);
  const [file] = positionals(p, 1, 'prompt needs exactly one FILE');
  const { line, mode, prefix, model } = promptFlags(p);

  const index = await ResultsIndex.build(file, indexOptions());
  const where = `${index.file}:${line}`;
  const { record } = await index.readRecord(entryOnLine(index, line, where));

  let prompt;
  try {
    prompt = buildPrompt(record, mode, DEFAULT_TEMPLATES, prefix);
  } catch (e) {
    if (e instanceof PromptError) throw new InputError(`${where}: ${e.message}`);
    throw e;
  }
  const { generation, configFile } = promptGeneration(model);
  const view: PromptView = { index, line, where, record, mode, prompt, generation, configFile };
  process.stdout.write(p.flags.has('json') ? promptJson(view) : promptText(view));
  return 0;
}
