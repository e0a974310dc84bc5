#!/usr/bin/env node
/**
 * st-think: the inspector's core for terminals and pipelines.
 *   st-think summary FILE [--rule mcq_infer|grpo_reward] [--json]
 *   st-think validate FILE
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexCancelledError, NotResultsFileError, ResultsIndex } from '../core/indexer';
import { extractFrames, findFfmpeg } from '../core/frames/extract';
import { planFrames, SAMPLERS, type SamplerName, type SamplerParams } from '../core/frames/samplers';
import { RULES, type ScoringRule } from '../core/schemas';
import { formatAccuracy, summarise, summaryTable } from '../core/summary';

const USAGE = `usage:
  st-think summary FILE [--rule mcq_infer|grpo_reward] [--json]
      accuracy per category and direction (JSON: records, invalid, formatValid, overall,
      byCategory, byDirection, byCategoryDirection; buckets { total, correct, accuracy, ... })
  st-think validate FILE
      one line per invalid record (FILE:LINE: reason); exit status 1 when there is any
  st-think frames plan --total-frames N --video-fps F [--fps 1] [--sampler qwen2vl|internvl|uniform] [--count 8] [--json]
      the frame indices a sampler picks ({"indices":[…]} with --json)
  st-think frames extract VIDEO --out DIR [--sampler …] [--fps 1] [--count 8] [--ffmpeg PATH] [--json]
      writes the frames to DIR (exact indices, with ffmpeg) and prints their indices and paths
  st-think help`;

class UsageError extends Error {}

/** The bundled worker beside this file splits large files across two threads. */
function indexOptions(): { workerScript?: string } {
  const worker = path.join(__dirname, 'index-worker.js');
  return fs.existsSync(worker) ? { workerScript: worker } : {};
}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[], valued: readonly string[]): Parsed {
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

function checkFlags(p: Parsed, allowed: readonly string[]): void {
  for (const k of p.flags.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option --${k}`);
}

async function summary(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['rule']);
  checkFlags(p, ['rule', 'json']);
  if (p.positional.length !== 1) throw new UsageError('summary needs exactly one FILE');
  const rule = (p.flags.get('rule') ?? 'mcq_infer') as string;
  if (!(RULES as readonly string[]).includes(rule)) throw new UsageError(`--rule must be one of ${RULES.join(', ')}`);
  const index = await ResultsIndex.build(p.positional[0], indexOptions());
  if (p.flags.has('json')) {
    const s = summarise(index.file, index.entries, index.problemCount, rule as ScoringRule);
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  } else {
    const both = {
      mcq_infer: summarise(index.file, index.entries, index.problemCount, 'mcq_infer'),
      grpo_reward: summarise(index.file, index.entries, index.problemCount, 'grpo_reward'),
    };
    const s = both[rule as ScoringRule];
    process.stdout.write(
      `${index.file}\n${s.records} records, ${s.invalid} invalid, ${s.formatValid} with valid format; ` +
        `accuracy (${rule}) ${formatAccuracy(s.overall)} (${s.overall.correct}/${s.overall.total})\n\n` +
        summaryTable(both) +
        '\n',
    );
  }
  return 0;
}

async function validate(argv: string[]): Promise<number> {
  const p = parseArgs(argv, []);
  checkFlags(p, []);
  if (p.positional.length !== 1) throw new UsageError('validate needs exactly one FILE');
  const index = await ResultsIndex.build(p.positional[0], indexOptions());
  for (const pr of index.problems) process.stdout.write(`${index.file}:${pr.line}: ${pr.message}\n`);
  if (index.problemCount > index.problems.length) {
    process.stdout.write(`${index.file}: ${index.problemCount - index.problems.length} more invalid records not listed\n`);
  }
  process.stderr.write(`${index.entries.length} valid, ${index.problemCount} invalid\n`);
  return index.problemCount ? 1 : 0;
}

function numberFlag(p: Parsed, name: string, fallback?: number): number | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number`);
  return n;
}

function samplerFlags(p: Parsed): Partial<SamplerParams> {
  const sampler = p.flags.get('sampler');
  if (sampler !== undefined && !(SAMPLERS as readonly unknown[]).includes(sampler)) {
    throw new UsageError(`--sampler must be one of ${SAMPLERS.join(', ')}`);
  }
  return { sampler: sampler as SamplerName | undefined, fps: numberFlag(p, 'fps'), count: numberFlag(p, 'count') };
}

async function frames(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'plan') {
    const p = parseArgs(rest, ['total-frames', 'video-fps', 'fps', 'sampler', 'count']);
    checkFlags(p, ['total-frames', 'video-fps', 'fps', 'sampler', 'count', 'json']);
    const total = numberFlag(p, 'total-frames');
    const videoFps = numberFlag(p, 'video-fps');
    if (total === undefined || videoFps === undefined) throw new UsageError('frames plan needs --total-frames and --video-fps');
    let indices: number[];
    try {
      indices = planFrames({ totalFrames: total, fps: videoFps }, samplerFlags(p));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    process.stdout.write(p.flags.has('json') ? JSON.stringify({ indices }) + '\n' : indices.join(' ') + '\n');
    return 0;
  }
  if (sub === 'extract') {
    const p = parseArgs(rest, ['out', 'fps', 'sampler', 'count', 'ffmpeg', 'ffprobe']);
    checkFlags(p, ['out', 'fps', 'sampler', 'count', 'ffmpeg', 'ffprobe', 'json']);
    const out = p.flags.get('out');
    if (p.positional.length !== 1 || typeof out !== 'string') throw new UsageError('frames extract needs VIDEO and --out DIR');
    const paths = findFfmpeg({ ffmpeg: p.flags.get('ffmpeg') as string | undefined, ffprobe: p.flags.get('ffprobe') as string | undefined });
    const set = await extractFrames(p.positional[0], samplerFlags(p), { paths, cacheDir: path.join(out, '.st-think-cache') });
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
    if (p.flags.has('json')) {
      process.stdout.write(JSON.stringify({ indices: set.indices, frames: written, probe: set.probe, cached: set.cached }, null, 2) + '\n');
    } else {
      for (const w of written) process.stdout.write(`${w.index}\t${w.time.toFixed(3)}s\t${w.path ?? `missing: ${w.error}`}\n`);
    }
    return written.every((w) => w.path) ? 0 : 1;
  }
  throw new UsageError('frames needs "plan" or "extract"');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'summary':
        return await summary(rest);
      case 'validate':
        return await validate(rest);
      case 'frames':
        return await frames(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`st-think: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof NotResultsFileError || e instanceof IndexCancelledError) {
      process.stderr.write(`st-think: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
      process.stderr.write(`st-think: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`st-think: internal error: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 70;
    },
  );
}
