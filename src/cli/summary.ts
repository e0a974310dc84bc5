/** `st-think summary`: counts streamed from the file, no index kept (src/core/index/summaryBuilder.ts). */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { renderTable, summaryExportTable } from '../core/export';
import { summariseFile } from '../core/index/summaryBuilder';
import { formatAccuracy, formatLine, naLines, noVideoLine, summaryTable, wordedAsLines } from '../core/summary';
import { checkFlags, formatFlag, parseArgs, positionals, ruleFlag, UsageError } from './args';

/**
 * A full collection for a large file's summary. `st-think` does not start Node with --expose-gc (its
 * first line holds what can only be set there, within the 127 bytes older kernels read of it): the
 * collector is asked for at run time, on first use, so a file summarised in memory never makes the
 * context it takes.
 */
function collector(): () => void {
  let gc = (globalThis as { gc?: () => void }).gc;
  return () => {
    if (gc === undefined) {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    gc();
  };
}

export async function summary(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['rule', 'format', 'judge-file']);
  checkFlags(p, ['rule', 'json', 'format', 'judge-file']);
  const [file] = positionals(p, 1, 'summary needs exactly one FILE');
  const rule = ruleFlag(p);
  const format = formatFlag(p);
  // Counts, not an index: memory does not grow with the file (summaryBuilder.ts).
  const both = await summariseFile(file, { sync: true, collect: collector() });
  const s = both[rule];
  const judgeFile = p.flags.get('judge-file');
  if (judgeFile === true || judgeFile === '') throw new UsageError('--judge-file needs a path');
  // Route records' judge scores: a second read of the file, only when it has route records (or a
  // judge file is given), from the commands bundle (never loaded for multiple-choice files).
  const routes = s.byCategory.route?.records ?? 0;
  const commands = routes || judgeFile ? await import('./commands') : undefined;
  const judge = commands ? await commands.judgeSummary(file, judgeFile) : undefined;
  if (format) {
    process.stdout.write(renderTable(summaryExportTable(both), format));
  } else if (p.flags.has('json')) {
    process.stdout.write(JSON.stringify(judge ? { ...s, judge } : s, null, 2) + '\n');
  } else {
    const overall =
      s.overall.total || !s.overall.na
        ? `${formatAccuracy(s.overall)} (${s.overall.correct}/${s.overall.total})`
        : formatAccuracy(s.overall);
    const notes = [...naLines(s.na), noVideoLine(s.noVideo)].filter(Boolean);
    process.stdout.write(
      `${s.file}\n${s.records} records, ${s.invalid} invalid, ${formatLine(s)}; ` +
        `accuracy (${rule}) ${overall}\n` +
        wordedAsLines(s)
          .map((l) => `${l}\n`)
          .join('') +
        '\n' +
        summaryTable(both) +
        '\n' +
        (notes.length ? '\n' + notes.join('\n') + '\n' : '') +
        (judge && commands ? '\n' + commands.judgeLines(judge).join('\n') + '\n' : ''),
    );
  }
  return 0;
}
