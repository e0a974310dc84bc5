/** The CLI's arguments: flags, positionals, and the two errors that set the exit status. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTableFormat, TABLE_FORMATS, type TableFormat } from '../core/export';
import { RULES, type ScoringRule } from '../core/vocabulary';

export const USAGE = `usage:
  st-think summary FILE [--rule mcq_infer|grpo_reward] [--json | --format csv|markdown|latex]
      accuracy per category and direction (JSON: records, invalid, formatValid, formatChecked, na,
      noVideo, overall, byCategory, byDirection, byCategoryDirection; buckets { total, correct,
      accuracy, na, ... }); "n/a" where a rule does not apply (a prediction that is only a letter);
      wordedAs: category → the category its wording reads as → count, e.g. {"action":{"landmark":18}}
      --format: the table under both rules (per category and direction: records; each rule's correct,
      scored and accuracy in %; grpo_reward's n/a) as CSV (RFC 4180), Markdown or a LaTeX booktabs tabular
  st-think validate FILE
      one line per invalid record (FILE:LINE: reason); exit status 1 when there is any
  st-think frames plan --total-frames N --video-fps F [--preset inference|grpo-training] [--fps F]
                    [--sampler qwen2vl|internvl|uniform] [--count 8] [--json]
      the frame indices a sampler picks, as torch's AVX2 linspace computes them (JSON: indices;
      alternatives: [{position, frame, alternative, kernel: avx512|scalar, why}], the frames torch's
      16-lane or scalar linspace would pick instead, [] when none; for qwen2vl, preset {name, fps,
      maxPixels}). --preset: inference (fps 1, max pixels 360·420, the default) or grpo-training
      (fps 2, max pixels 196·28·28); --fps overrides the preset's
  st-think frames extract VIDEO --out DIR [--preset …] [--sampler …] [--fps F] [--count 8] [--ffmpeg PATH] [--json]
      writes the frames to DIR (exact indices, with ffmpeg) and prints their indices and paths
      (JSON also: alternatives, preset, modelSize: the size the model sees a frame at)
  st-think compare A B [--rule mcq_infer|grpo_reward] [--rerun-mode forward|reverse] [--json | --format csv|markdown|latex]
      two runs: accuracy of each per category and direction, flips, exact McNemar p, unpaired counts;
      a results file and its .reruns.jsonl pair each record with its latest re-run (of one mode).
      --format: the per-bucket table (each side's correct, scored, accuracy in %, B-A in points); Markdown
      and LaTeX add the flips and McNemar table, --format csv has the first table only
  st-think compare A B C … [--rule …] [--mcnemar] [--json | --format csv|markdown|latex]
      three or more runs (R1, R2, …): each paired with R1 as two runs are; accuracy of each on the records
      common to all runs per category and direction, the best marked * (all on a tie); left-out counts.
      --mcnemar: the exact McNemar test of every pair, as \`compare X Y\` computes it. JSON: runs, common,
      byRule (both rules), pairwise. --format: the table (each run's correct, scored, accuracy in %, best);
      Markdown and LaTeX add the runs and the pairwise tests
  st-think consistency FILE [--rule …] [--json]
      forward/reverse pairs on the same video and category: both correct, one only, neither
  st-think prompt FILE --line N [--mode forward|reverse] [--prefix as-trained|as-worded] [--model DIR] [--json]
      exactly what a re-run of the record starting on line N sends, without loading a model (default
      templates): system, user turn, assistant prefix, chat text, and the generation settings with
      where each comes from (DIR's generation_config.json, else upstream's and transformers' defaults)
  st-think judge FILE [--base-url URL] [--model NAME] [--concurrency N] [--timeout-ms MS] [--retries N] [--stream] [--json]
      judges the route answers with an OpenAI-compatible chat-completions endpoint as upstream's
      eval/qa_eval.py (forward) and qa_eval2.py (reverse) do: their prompts, their parsing, their
      skip and failure rules; key from OPENAI_API_KEY; defaults https://api.openai.com/v1 and gpt-4o.
      Judgments go to FILE's .judgments.jsonl (nothing judged twice; run again to resume);
      --json: upstream's output file {"evaluations": {key: {...}}, "average_total_score"}
  st-think agreement A B [--model-a NAME] [--model-b NAME] [--json]
      two judgments of the same samples (upstream judge outputs, or .judgments.jsonl files and a
      model of each), paired by key: means, B-A, Wilcoxon signed-rank (scipy's defaults), and per
      part exact match, mean absolute difference and quadratic-weighted kappa; compare A B adds the
      same for the route answers of two runs judged beside them
  st-think rerun FILE [--line N] [--category C] [--direction D] [--mode forward|reverse|both]
                [--provider onnx|openai] [--model-path DIR] [--base-url URL] [--model NAME] [--concurrency N]
                [--max-new-tokens N] [--video-root DIR] [--timeout-ms MS] [--cache-dir DIR] [--json]
      re-runs the chosen records (the frames the trace view shows, the same prompts) with the local ONNX
      model (--model-path) or an OpenAI-compatible server (--base-url, --model; key from OPENAI_API_KEY),
      up to N at once; each finished run is one line of FILE's .reruns.jsonl; runs already there are
      skipped (run again to resume); progress (records/min, tokens/s, ETA) on stderr
  st-think summary FILE --judge-file EVAL.json
      the route records' judge scores from upstream's judge output (matched by sample key); without
      it, from FILE's .judgments.jsonl; --json adds "judge" when the file has route records
  st-think training FILE_OR_DIR [--reward-funcs accuracy|format|accuracy,format] [--json]
      a GRPO run (a run folder: the latest checkpoint-N/trainer_state.json and the logs beside it; or one
      trainer_state.json, training log or reward debug log): each metric's series (points, first and last
      step and value, min, max) and the completions of the reward debug log grouped by reward call, with
      their rewards and advantages ((reward - mean) / (std + 1e-4), float32, std over n - 1). JSON:
      { metrics: { NAME: { points, firstStep, lastStep, first, last, min, max } }, completions, groups,
      zeroVarianceGroups, meanAccuracyReward }; problems and entries not yet whole go to stderr as FILE:LINE: reason.
      --reward-funcs: what the run summed (default: accuracy, plus format when the metrics have rewards/format_reward)
  st-think help`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Bad input (a missing line, a record that cannot be re-run, an unreadable model folder): exit status 1. */
export class InputError extends Error {
  override name = 'InputError';
}

/**
 * An error of one of these classes, told by its name: the commands run from their own bundle
 * (dist/commands.js, scripts/build.mjs), with their own copies of the classes.
 */
export function errorNamed(e: unknown, ...names: string[]): e is Error {
  return e instanceof Error && names.includes(e.name);
}

/** The bundled worker beside this file splits large files across two threads. */
/** How the CLI indexes: reading synchronously (nothing else waits on its thread), halves in a worker where the build has one. */
export function indexOptions(): { workerScript?: string; sync: true } {
  const worker = path.join(__dirname, 'index-worker.js');
  return fs.existsSync(worker) ? { workerScript: worker, sync: true } : { sync: true };
}
export interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], valued: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (valued.includes(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        flags.set(name, v);
      } else if (eq < 0) flags.set(name, true);
      else throw new UsageError(`--${name} takes no value`);
    } else positional.push(a);
  }
  return { positional, flags };
}

export function checkFlags(p: Parsed, allowed: readonly string[]): void {
  for (const k of p.flags.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option --${k}`);
}

/**
 * The positional arguments, exactly `count` of them, none empty: an empty path would resolve to the
 * working directory, which nobody means.
 */
export function positionals(p: Parsed, count: number, message: string): string[] {
  if (p.positional.length !== count) throw new UsageError(message);
  if (p.positional.some((a) => a === '')) throw new UsageError('an empty path names no file');
  return p.positional;
}

export function numberFlag(p: Parsed, name: string, fallback?: number): number | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number`);
  return n;
}

export function ruleFlag(p: Parsed): ScoringRule {
  const rule = (p.flags.get('rule') ?? 'mcq_infer') as string;
  if (!(RULES as readonly string[]).includes(rule)) throw new UsageError(`--rule must be one of ${RULES.join(', ')}`);
  return rule as ScoringRule;
}

/** --format csv|markdown|latex, or undefined; it and --json cannot both be given. */
export function formatFlag(p: Parsed): TableFormat | undefined {
  const f = p.flags.get('format');
  if (f === undefined) return undefined;
  if (p.flags.has('json')) throw new UsageError('--format and --json cannot be used together');
  if (!isTableFormat(f)) throw new UsageError(`--format must be one of ${TABLE_FORMATS.join(', ')}`);
  return f;
}

/** An error of the operating system (a path that cannot be read or written): ENOENT, ENOTDIR, ELOOP, … */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return e instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && 'syscall' in e;
}
