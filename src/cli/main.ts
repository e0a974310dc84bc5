#!/usr/bin/env -S MALLOC_ARENA_MAX=1 MALLOC_TRIM_THRESHOLD_=8388608 node --max-semi-space-size=1 --v8-pool-size=1
/**
 * st-think: the inspector's core for terminals and pipelines.
 *   st-think summary FILE [--rule mcq_infer|grpo_reward] [--json | --format csv|markdown|latex]
 *   st-think validate FILE
 *   st-think prompt FILE --line N [--mode forward|reverse] [--prefix as-trained|as-worded] [--model DIR] [--json]
 *   st-think training FILE_OR_DIR [--json]
 *   (and frames, compare, consistency: see USAGE)
 *
 * Started as `st-think` (this file's first line), V8 keeps its young generation at 1 MiB a half: a
 * summary keeps counts, not records, and a larger young generation only grows the memory it peaks
 * at (by 6 MiB on the bench file) while saving no time (docs/benchmarks.md). One malloc arena
 * (MALLOC_ARENA_MAX=1): the compiler thread's own arena otherwise stays in the process after its work
 * (about 2 MiB of the 400 MB summary's peak), and it keeps up to 8 MiB it frees instead of giving it
 * back at once (MALLOC_TRIM_THRESHOLD_): the optimising compiler's memory was otherwise faulted in
 * afresh for each function (~390 page faults of the 100 MB summary; the peak does not grow). One V8 worker
 * thread (--v8-pool-size=1): the optimising compiler's jobs then run one at a time at a core's speed,
 * instead of several sharing the second core, and a collection, which waits for a job to reach a
 * safe point, waits less (4 % of the 100 MB summary's time). The line stays under the 127 bytes that
 * kernels before Linux 5.1 read of it; what can be set later is set below.
 */
import * as v8 from 'node:v8';
import { errorNamed, isSystemError, USAGE, UsageError } from './args';
import { summary } from './summary';

/**
 * One line naming the path and the reason: "FILE: not a directory (ENOTDIR)". Node's message is
 * "ENOTDIR: not a directory, stat 'FILE'"; its reason is the part between the code and the call.
 */
function systemErrorLine(err: NodeJS.ErrnoException): string {
  const m = /^[A-Z0-9]+: (.*?), [a-z_]+(?: '.*')?$/s.exec(err.message);
  const reason = m ? m[1] : err.message;
  const line = err.path ? `${err.path}: ${reason} (${err.code})` : `${reason} (${err.code})`;
  return line.replace(/\s*[\r\n]+\s*/g, ' ');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'summary':
        return await summary(rest);
      // The other commands' modules load only when one of them runs.
      case 'validate':
        return await (await import('./commands')).validate(rest);
      case 'frames':
        return await (await import('./commands')).frames(rest);
      case 'compare':
        return await (await import('./commands')).compare(rest);
      case 'consistency':
        return await (await import('./commands')).consistencyCommand(rest);
      case 'prompt':
        return await (await import('./commands')).promptCommand(rest);
      case 'judge':
        return await (await import('./commands')).judgeCommand(rest);
      case 'rerun':
        return await (await import('./commands')).rerunCommand(rest);
      case 'agreement':
        return await (await import('./commands')).agreementCommand(rest);
      case 'training':
        return await (await import('./commands')).training(rest);
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
    if (errorNamed(e, 'UsageError')) {
      process.stderr.write(`st-think: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (errorNamed(e, 'NotResultsFileError', 'NotTrainingRunError', 'IndexCancelledError', 'InputError')) {
      process.stderr.write(`st-think: ${e.message}\n`);
      return 1;
    }
    if (isSystemError(e)) {
      process.stderr.write(`st-think: ${systemErrorLine(e)}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  // A summary's collections find almost nothing alive: the scavenger's helper thread would only take
  // the core the compiler needs (with the line's options: 2 % of the 100 MB summary's time).
  v8.setFlagsFromString('--no-parallel-scavenge');
  // A reader that stops early (`st-think validate FILE | head`) closes the pipe: stop quietly, with
  // the status a Unix tool killed by SIGPIPE has (128 + 13), instead of Node's unhandled 'error' trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(141);
  });
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
