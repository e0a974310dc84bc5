/**
 * Export (issue 11, item 11): the table formatters (CSV per RFC 4180, Markdown pipes escaped,
 * LaTeX specials escaped), the summary, comparison and flips tables, records as JSONL or ids, and
 * the safe writer's whole-file write (atomic, never over a results file).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { compareRuns, pairRuns } from '../../src/core/compare/compare';
import {
  comparisonExport,
  comparisonExportTable,
  csvField,
  flipsExportTable,
  idList,
  jsonlLine,
  latexEscape,
  markdownCell,
  points,
  renderTable,
  summaryExportTable,
  tableFormatOfPath,
  toCsv,
  toLatex,
  toMarkdown,
  type Table,
} from '../../src/core/export';
import { ResultsIndex } from '../../src/core/index';
import { safeWriteFile, SafeWriteError } from '../../src/core/safeWrite';
import { summarise } from '../../src/core/summary';
import { fixture } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-export-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A minimal RFC 4180 reader, to check that what toCsv writes reads back to the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      [row, field] = [[], ''];
      i++;
    } else field += c;
  }
  assert.equal(field + row.join(''), '', 'the text ends with CRLF');
  return rows;
}

const tricky = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', ' padded ', 'a|b', '50% & $5 #1 x_y {z} ~ ^ \\'];

describe('CSV (RFC 4180)', () => {
  test('fields with a comma, a quote, CR or LF are quoted and quotes doubled; others as they are', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
    assert.equal(csvField(' padded '), ' padded ');
    assert.equal(csvField(null), '');
  });

  test('every record ends with CRLF and reads back to the same cells', () => {
    const t: Table = { columns: ['x', 'y'], rows: tricky.map((s, i) => [s, String(i)]) };
    const text = toCsv(t);
    assert.ok(text.startsWith('x,y\r\n'));
    assert.deepEqual(parseCsv(text), [['x', 'y'], ...tricky.map((s, i) => [s, String(i)])]);
  });
});

describe('Markdown tables', () => {
  test('| is escaped (a backslash before it cannot undo that), line breaks become spaces, empty cells a dash', () => {
    assert.equal(markdownCell('a|b'), 'a\\|b');
    assert.equal(markdownCell('a\\|b'), 'a\\\\\\|b');
    assert.equal(markdownCell('one\r\ntwo'), 'one two');
    assert.equal(markdownCell(null), '—');
    assert.equal(markdownCell(''), '—');
  });

  test('each row has as many unescaped pipes as the header, numbers aligned right', () => {
    const t: Table = { columns: ['text', 'n'], rows: tricky.map((s, i) => [s, String(i)]), right: [false, true] };
    const lines = toMarkdown(t).trimEnd().split('\n');
    assert.equal(lines.length, 2 + tricky.length);
    assert.equal(lines[1], '| --- | ---: |');
    // Pipes not preceded by an odd number of backslashes separate cells.
    const separators = (l: string) => l.match(/(?<!\\)(?:\\\\)*\|/g)!.length;
    for (const l of lines) assert.equal(separators(l), 3, l);
  });
});

describe('LaTeX', () => {
  test('& % $ # _ { } ~ ^ \\ escaped in one pass (a backslash added by one escape is not escaped again)', () => {
    assert.equal(latexEscape('&%$#_{}'), '\\&\\%\\$\\#\\_\\{\\}');
    assert.equal(latexEscape('~^'), '\\textasciitilde{}\\textasciicircum{}');
    assert.equal(latexEscape('a\\b'), 'a\\textbackslash{}b');
    assert.equal(latexEscape('x\ny'), 'x y');
    assert.equal(latexEscape('plain text 12.5'), 'plain text 12.5');
  });

  test('a booktabs tabular: column spec, rules, cells joined by & and rows ended by \\\\', () => {
    const t: Table = {
      columns: ['name_1', 'acc (%)'],
      rows: [
        ['a&b', '50.0'],
        ['c', null],
      ],
      right: [false, true],
    };
    assert.equal(
      toLatex(t),
      [
        '\\begin{tabular}{lr}',
        '  \\toprule',
        '  name\\_1 & acc (\\%) \\\\',
        '  \\midrule',
        '  a\\&b & 50.0 \\\\',
        '  c & -- \\\\',
        '  \\bottomrule',
        '\\end{tabular}',
        '',
      ].join('\n'),
    );
  });
});

describe('tables of a summary, a comparison and its flips', () => {
  test('the summary table has both rules per category and direction, and agrees with summarise', async () => {
    const idx = await ResultsIndex.build(fixture('canonical.jsonl'));
    const both = {
      mcq_infer: summarise(idx.file, idx.entries, idx.problemCount, 'mcq_infer'),
      grpo_reward: summarise(idx.file, idx.entries, idx.problemCount, 'grpo_reward'),
    };
    const t = summaryExportTable(both);
    const all = t.rows.at(-1)!;
    assert.deepEqual(all.slice(0, 2), ['all', 'both']);
    // c1 correct, c2 and 7 incorrect, c4 a route question (unscored): 1/3 under mcq_infer.
    assert.deepEqual(all.slice(2, 6), ['4', '1', '3', '33.3']);
    const route = t.rows.find((r) => r[0] === 'route' && r[1] === 'both')!;
    assert.equal(route[5], null, 'nothing scored: no accuracy');
    const csv = parseCsv(renderTable(t, 'csv'));
    assert.equal(csv[0].length, 10);
    assert.equal(csv.length, t.rows.length + 1);
  });

  test('the comparison table, its flips and McNemar, and the flips table', async () => {
    const write = (name: string, responses: string[]) => {
      const f = path.join(dir, name);
      const q = 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. a, B. b';
      fs.writeFileSync(
        f,
        responses.map((r, i) => JSON.stringify({ id: `q${i}`, video: `/v/${i}|x.mp4`, question: q, gold: 'A', response: r })).join('\n') +
          '\n',
      );
      return f;
    };
    const ans = (x: string) => `<think>t</think><answer>${x}</answer>`;
    const [a, b] = [write('a.jsonl', [ans('A'), ans('B'), ans('A')]), write('b.jsonl', [ans('B'), ans('B'), ans('A')])];
    const [ia, ib] = [await ResultsIndex.build(a), await ResultsIndex.build(b)];
    const c = compareRuns(ia.entries, ib.entries, await pairRuns(ia, ib), 'mcq_infer');
    const overall = comparisonExportTable(c).rows.at(-1)!;
    assert.deepEqual(overall, ['all', 'both', '2', '3', '66.7', '1', '3', '33.3', '-33.3']);
    const md = comparisonExport(c, 'markdown');
    assert.match(md, /\| right to wrong \| 1 \|/);
    assert.match(md, /\| McNemar exact p \| 1\.000 \|/);
    assert.doesNotMatch(comparisonExport(c, 'csv'), /McNemar/, 'a CSV file holds one table');
    const flips = flipsExportTable(c);
    assert.deepEqual(flips.rows, [['right to wrong', 'landmark', 'forward', '/v/0|x.mp4', 'q0', '1', 'A', 'q0', '1', 'B', 'A']]);
    assert.match(renderTable(flips, 'markdown'), /\/v\/0\\\|x\.mp4/);
  });

  test('points keep the sign and never print -0.0', () => {
    assert.deepEqual([points(0.032), points(-0.01), points(0), points(-0.00001), points(null)], ['+3.2', '-1.0', '0.0', '0.0', null]);
  });

  test('a path names its format by its extension', () => {
    assert.deepEqual(['a.csv', 'b.MD', 'c.markdown', 'd.tex', 'e.txt', 'f'].map(tableFormatOfPath), [
      'csv',
      'markdown',
      'markdown',
      'latex',
      undefined,
      undefined,
    ]);
  });
});

describe('records as JSONL and ids', () => {
  test('a JSONL line stays as written; a multi-line JSON element becomes one compact line', () => {
    assert.equal(jsonlLine('{"id": "a", "x": 1.0}\r'), '{"id": "a", "x": 1.0}');
    assert.equal(jsonlLine('{\n  "id": "a",\n  "t": "x\\ny"\n}'), '{"id":"a","t":"x\\ny"}');
  });

  test('ids one a line; one holding a line break is written as JSON', () => {
    assert.equal(idList([{ id: 'a' }, { id: 'b c' }, { id: 'x\ny' }]), 'a\nb c\n"x\\ny"\n');
  });
});

describe('safeWriteFile', () => {
  test('writes text and chunks; replaces a file atomically, leaving no temporary file', async () => {
    const out = path.join(dir, 'out', 'summary.csv');
    fs.mkdirSync(path.dirname(out));
    await safeWriteFile(out, 'one\r\n');
    assert.equal(fs.readFileSync(out, 'utf8'), 'one\r\n');
    async function* chunks() {
      yield 'a\n';
      yield Buffer.from('b\n');
    }
    await safeWriteFile(out, chunks());
    assert.equal(fs.readFileSync(out, 'utf8'), 'a\nb\n');
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['summary.csv']);
  });

  test('never over a protected results file (also through a link or a linked folder), nor through a link', async () => {
    const results = path.join(dir, 'results.jsonl');
    fs.writeFileSync(results, '{"id":"a"}\n');
    const link = path.join(dir, 'link.csv');
    fs.symlinkSync(results, link);
    const folder = path.join(dir, 'linked');
    fs.symlinkSync(dir, folder);
    for (const [target, why] of [
      [results, /never writes over a results file/],
      [path.join(folder, 'results.jsonl'), /never writes over a results file/],
      [link, /symbolic link/],
    ] as const) {
      await assert.rejects(
        safeWriteFile(target, 'x', { protect: [results] }),
        (e: Error) => e instanceof SafeWriteError && why.test(e.message),
      );
    }
    assert.equal(fs.readFileSync(results, 'utf8'), '{"id":"a"}\n');
    assert.ok(!fs.readdirSync(dir).some((n) => n.includes('.tmp-')));
  });

  test('a failure while writing the chunks leaves the old file as it was and no temporary file', async () => {
    const out = path.join(dir, 'keep.md');
    fs.writeFileSync(out, 'old');
    async function* failing() {
      yield 'new';
      throw new Error('reading records failed');
    }
    await assert.rejects(safeWriteFile(out, failing()), /reading records failed/);
    assert.equal(fs.readFileSync(out, 'utf8'), 'old');
    assert.ok(!fs.readdirSync(dir).some((n) => n.includes('.tmp-')));
  });
});
