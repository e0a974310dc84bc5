#!/usr/bin/env node
/**
 * st-think: the inspector's core for terminals and pipelines.
 *   st-think summary FILE [--rule mcq_infer|grpo_reward] [--json]
 *   st-think validate FILE
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexCancelledError, NotResultsFileError, ResultsIndex } from '../core/indexer';
import { RULES, type ScoringRule } from '../core/schemas';
import { formatAccuracy, summarise, summaryTable } from '../core/summary';

const USAGE = `usage:
  st-think summary FILE [--rule mcq_infer|grpo_reward] [--json]
      accuracy per category and direction (JSON: records, invalid, formatValid, overall,
      byCategory, byDirection, byCategoryDirection; buckets { total, correct, accuracy, ... })
  st-think validate FILE
      one line per invalid record (FILE:LINE: reason); exit status 1 when there is any
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

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'summary':
        return await summary(rest);
      case 'validate':
        return await validate(rest);
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
