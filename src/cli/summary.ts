/** `st-think summary`: counts streamed from the file, no index kept (src/core/index/summaryBuilder.ts). */
import { renderTable, summaryExportTable } from '../core/export';
import { summariseFile } from '../core/index/summaryBuilder';
import { formatAccuracy, formatLine, naLines, noVideoLine, summaryTable, wordedAsLines } from '../core/summary';
import { checkFlags, formatFlag, parseArgs, positionals, ruleFlag } from './args';

export async function summary(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['rule', 'format']);
  checkFlags(p, ['rule', 'json', 'format']);
  const [file] = positionals(p, 1, 'summary needs exactly one FILE');
  const rule = ruleFlag(p);
  const format = formatFlag(p);
  // Counts, not an index: memory does not grow with the file (summaryBuilder.ts).
  const both = await summariseFile(file, { sync: true });
  const s = both[rule];
  if (format) {
    process.stdout.write(renderTable(summaryExportTable(both), format));
  } else if (p.flags.has('json')) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
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
        (notes.length ? '\n' + notes.join('\n') + '\n' : ''),
    );
  }
  return 0;
}
