#!/usr/bin/env node
/**
 * st-think: the inspector's core for terminals and pipelines.
 *   st-think summary FILE [--rule mcq_infer|grpo_reward] [--json]
 *   st-think validate FILE
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexCancelledError, NotResultsFileError, ResultsIndex, type IndexEntry } from '../core/indexer';
import { compareRuns, consistency, countedEntries, pairRuns, type CompareBucket } from '../core/compare/compare';
import { extractFrames, findFfmpeg } from '../core/frames/extract';
import { planFrames, SAMPLERS, type SamplerName, type SamplerParams } from '../core/frames/samplers';
import { RULES, type ScoringRule } from '../core/schemas';
import { formatAccuracy, summarise, summaryTable, wordedAsLines } from '../core/summary';

const USAGE = `usage:
  st-think summary FILE [--rule mcq_infer|grpo_reward] [--json]
      accuracy per category and direction (JSON: records, invalid, formatValid, overall,
      byCategory, byDirection, byCategoryDirection; buckets { total, correct, accuracy, ... };
      wordedAs: category → the category its wording reads as → count, e.g. {"action":{"landmark":18}})
  st-think validate FILE
      one line per invalid record (FILE:LINE: reason); exit status 1 when there is any
  st-think frames plan --total-frames N --video-fps F [--fps 1] [--sampler qwen2vl|internvl|uniform] [--count 8] [--json]
      the frame indices a sampler picks ({"indices":[…]} with --json)
  st-think frames extract VIDEO --out DIR [--sampler …] [--fps 1] [--count 8] [--ffmpeg PATH] [--json]
      writes the frames to DIR (exact indices, with ffmpeg) and prints their indices and paths
  st-think compare A B [--rule mcq_infer|grpo_reward] [--rerun-mode forward|reverse] [--json]
      two runs: accuracy of each per category and direction, flips, exact McNemar p, unpaired counts;
      a results file and its .reruns.jsonl pair each record with its latest re-run (of one mode)
  st-think consistency FILE [--rule …] [--json]
      forward/reverse pairs on the same video and category: both correct, one only, neither
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
        `accuracy (${rule}) ${formatAccuracy(s.overall)} (${s.overall.correct}/${s.overall.total})\n` +
        wordedAsLines(s).map((l) => `${l}\n`).join('') +
        '\n' +
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

function ruleFlag(p: Parsed): ScoringRule {
  const rule = (p.flags.get('rule') ?? 'mcq_infer') as string;
  if (!(RULES as readonly string[]).includes(rule)) throw new UsageError(`--rule must be one of ${RULES.join(', ')}`);
  return rule as ScoringRule;
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const signed = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`);

async function compare(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['rule', 'rerun-mode']);
  checkFlags(p, ['rule', 'json', 'rerun-mode']);
  if (p.positional.length !== 2) throw new UsageError('compare needs two files, A and B');
  const rule = ruleFlag(p);
  const raw = p.flags.get('rerun-mode');
  if (raw !== undefined && raw !== 'forward' && raw !== 'reverse') throw new UsageError('--rerun-mode must be forward or reverse');
  const mode = raw as 'forward' | 'reverse' | undefined;
  const [a, b] = await Promise.all(p.positional.map((f) => ResultsIndex.build(f, indexOptions())));
  const pairing = await pairRuns(a, b, { rerunMode: mode });
  // A side of re-runs counts only the re-runs of the mode compared.
  const counted = (es: readonly IndexEntry[]) => countedEntries(es, pairing, mode);
  const c = compareRuns(counted(a.entries), counted(b.entries), { ...pairing, unpairedA: [...counted(pairing.unpairedA)], unpairedB: [...counted(pairing.unpairedB)] }, rule);
  if (p.flags.has('json')) {
    const { flipped, ...rest } = c;
    const out = { a: a.file, b: b.file, ...rest, flipped: flipped.map((f) => ({ kind: f.kind, a: { id: f.a.id, line: f.a.line }, b: { id: f.b.id, line: f.b.line } })) };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const rows: string[][] = [['category', 'direction', 'A', 'B', 'B−A (pts)']];
  const row = (cat: string, dir: string, k: CompareBucket) => rows.push([cat, dir, `${pct(k.a.accuracy)} (${k.a.correct}/${k.a.total})`, `${pct(k.b.accuracy)} (${k.b.correct}/${k.b.total})`, signed(k.difference)]);
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
      '',
      line(rows[0]),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...rows.slice(1).map(line),
      '',
      `flips: right→wrong ${c.flips.rightToWrong}, wrong→right ${c.flips.wrongToRight}; both right ${c.flips.bothRight}, both wrong ${c.flips.bothWrong}, unscored ${c.flips.unscored}`,
      `exact McNemar on ${c.mcnemar.discordant} discordant pairs: p = ${c.mcnemar.p.toPrecision(4)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function consistencyCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['rule']);
  checkFlags(p, ['rule', 'json']);
  if (p.positional.length !== 1) throw new UsageError('consistency needs exactly one FILE');
  const index = await ResultsIndex.build(p.positional[0], indexOptions());
  const c = consistency(index.entries, ruleFlag(p));
  if (p.flags.has('json')) {
    process.stdout.write(JSON.stringify({ file: index.file, ...c }, null, 2) + '\n');
    return 0;
  }
  const share = (n: number) => (c.pairs ? `${((n / c.pairs) * 100).toFixed(1)}%` : '—');
  const lines = [
    `${index.file}: ${c.pairs} forward/reverse pairs (same video and category) under ${c.rule}; ${c.unpaired} questions without a counterpart`,
    `  both directions correct  ${String(c.bothCorrect).padStart(6)}  ${share(c.bothCorrect)}`,
    `  one direction only       ${String(c.oneOnly).padStart(6)}  ${share(c.oneOnly)}`,
    `  neither                  ${String(c.neither).padStart(6)}  ${share(c.neither)}`,
  ];
  for (const [cat, k] of Object.entries(c.byCategory)) lines.push(`  ${cat}: ${k.pairs} pairs, ${k.bothCorrect} both, ${k.oneOnly} one, ${k.neither} neither`);
  for (const l of wordedAsLines(summarise(index.file, index.entries, index.problemCount, c.rule))) lines.push(`  ${l}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
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
      case 'compare':
        return await compare(rest);
      case 'consistency':
        return await consistencyCommand(rest);
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
