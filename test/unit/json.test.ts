/**
 * The JSON reader and its byte scanner (src/core/index/json.ts, scan.ts) on bad input: truncated
 * documents, trailing garbage, invalid and over-long elements, keys and values across lines and
 * chunks; and cancellation between chunks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexCancelledError, ResultsIndex } from '../../src/core/index';
import { JsonDocumentScanner } from '../../src/core/index/scan';
import { fixture, landmarkRecord as rec, makeTempDir, removeDir } from './helpers';

let dir = '';
before(() => {
  dir = makeTempDir('json');
});
after(() => removeDir(dir));

function write(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

describe('JSON documents', () => {
  test('a truncated array keeps its complete elements and says it is truncated', async () => {
    const file = write('truncated.json', `[\n  ${rec('a')},\n  ${rec('b')},\n  {"id": "c", "vid`);
    const index = await ResultsIndex.build(file);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 2],
        ['b', 3],
      ],
    );
    assert.equal(index.problems.length, 1);
    assert.match(index.problems[0].message, /truncated/);
  });

  test('a truncated object keyed by id', async () => {
    const file = write('truncated-obj.json', `{\n  "k1": ${rec('a')},\n  "k2": ${rec('b').slice(0, 40)}`);
    const index = await ResultsIndex.build(file);
    assert.deepEqual(
      index.entries.map((e) => e.id),
      ['a'],
    );
    assert.equal(index.problems.length, 1);
    assert.match(index.problems[0].message, /truncated/);
  });

  test('trailing garbage after the document', async () => {
    const file = write('trailing.json', `[\n  ${rec('a')}\n]\nthis is not JSON\n`);
    const index = await ResultsIndex.build(file);
    assert.deepEqual(
      index.entries.map((e) => e.id),
      ['a'],
    );
    assert.equal(index.problems.length, 1);
    assert.equal(index.problems[0].line, 4);
    assert.match(index.problems[0].message, /after the end of the JSON document/);
  });

  test('invalid elements are problems at their own lines; valid ones load', async () => {
    const body = ['[', `  ${rec('a')},`, '  42,', '  {"id": ""},', `  ${rec('d')}`, ']', ''].join('\n');
    const index = await ResultsIndex.build(write('mixed-valid.json', body));
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 2],
        ['d', 5],
      ],
    );
    assert.deepEqual(
      index.problems.map((p) => p.line),
      [3, 4],
    );
  });

  test('a scalar followed by a line break does not shift the lines after it', async () => {
    const body = ['[', '  1', '  ,', `  ${rec('b')}`, ']', ''].join('\n');
    const index = await ResultsIndex.build(write('scalar-newline.json', body));
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [['b', 4]],
    );
    const obj = ['{', '  "k1": null', '  ,', `  "k2": ${rec('b')}`, '}', ''].join('\n');
    const index2 = await ResultsIndex.build(write('scalar-newline-obj.json', obj));
    assert.deepEqual(
      index2.entries.map((e) => [e.id, e.line]),
      [['b', 4]],
    );
    assert.deepEqual(
      index2.problems.map((p) => p.line),
      [2],
    );
  });

  test('in an object keyed by id, an element starts at its key even when the value is on the next line', async () => {
    const body = ['{', '  "k1":', `    ${rec('a')},`, '  "k2"', '  :', '', `  ${rec('b')}`, '}', ''].join('\n');
    const file = write('key-then-value.json', body);
    const index = await ResultsIndex.build(file);
    assert.deepEqual(index.problems, []);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 2],
        ['b', 4],
      ],
    );
    // The byte range is the value's alone.
    assert.equal(await index.readRaw(index.entries[1]), rec('b'));
  });

  test('an element larger than maxRecordBytes is a problem; the next one loads', async () => {
    const big = rec('big', { response: 'q'.repeat(100 * 1024) });
    const body = `[\n${rec('a')},\n${big},\n${rec('c')}\n]\n`;
    const index = await ResultsIndex.build(write('big-element.json', body), { maxRecordBytes: 32 * 1024, chunkSize: 8 * 1024 });
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 2],
        ['c', 4],
      ],
    );
    assert.equal(index.problems.length, 1);
    assert.equal(index.problems[0].line, 3);
    assert.match(index.problems[0].message, /larger than 32 KiB/);
  });

  test('element ranges are found across small chunks (keys and strings split between reads)', async () => {
    const file = fixture('benchmark-predict.json');
    const whole = await ResultsIndex.build(file);
    for (const chunkSize of [1, 3, 7, 64]) {
      const small = await ResultsIndex.build(file, { chunkSize });
      assert.deepEqual(small.entries, whole.entries, `chunkSize ${chunkSize}`);
      assert.deepEqual(small.problems, []);
    }
  });
});

describe('a damaged element: reading resumes at the next one', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const records = () => ids.map((id) => JSON.parse(rec(id)) as Record<string, unknown>);
  const keyed = () => Object.fromEntries(records().map((r) => [r.id as string, r]));
  const onePerLine = `[\n  ${ids.map((id) => rec(id)).join(',\n  ')}\n]\n`;
  /** Each damage to element b of 5, in each layout, with its lines: elements a, c, d, e and b's. */
  const cases: [string, string, number[], number][] = [
    ['one element per line, a quote missing', onePerLine.replace('"id":"b"', '"id:"b"'), [2, 4, 5, 6], 3],
    ['one element per line, a brace missing', onePerLine.replace('</answer>"},\n  {"id":"c"', '</answer>",\n  {"id":"c"'), [2, 4, 5, 6], 3],
    ['pretty-printed array, a quote missing', JSON.stringify(records(), null, 2).replace('"id": "b"', '"id: "b"'), [2, 16, 23, 30], 9],
    [
      'pretty-printed array, a brace missing',
      JSON.stringify(records(), null, 2).replace(/(<\/answer>"\n {2})\},(\n {2}\{\n {4}"id": "c")/, '$1,$2'),
      [2, 16, 23, 30],
      9,
    ],
    [
      'keyed by id, a quote missing',
      JSON.stringify(keyed(), null, 4).replace('"video": "/videos/b.mp4"', '"video": "/videos/b.mp4'),
      [2, 16, 23, 30],
      9,
    ],
    [
      'keyed by id, a brace missing',
      JSON.stringify(keyed(), null, 4).replace(/\n {4}\},\n {4}"c"/, '\n    ,\n    "c"'),
      [2, 16, 23, 30],
      9,
    ],
    ['keyed by id, a colon missing', JSON.stringify(keyed(), null, 4).replace('"b": {', '"b" {'), [2, 16, 23, 30], 9],
    ['the last element, a brace missing', JSON.stringify(records(), null, 2).replace(/\n {2}\}\n\]$/, '\n]'), [2, 9, 16, 23], 30],
  ];

  for (const [name, text, lines, damagedLine] of cases) {
    test(name, async () => {
      const file = write(`damaged-${name.replace(/\W+/g, '-')}.json`, text);
      // At several chunk sizes, every element is loaded or listed (a key cut by the end of a chunk is
      // not recognised as the next item: see headStartsItem in scan.ts).
      for (const chunkSize of [undefined, 64, 100, 4096]) {
        const index = await ResultsIndex.build(file, { chunkSize });
        const loaded = index.entries.map((e) => [e.id, e.line]);
        const expected = ids.filter((id) => id !== (damagedLine === 30 ? 'e' : 'b'));
        assert.deepEqual(
          loaded,
          expected.map((id, k) => [id, lines[k]]),
          `${name}, chunks of ${chunkSize}`,
        );
        assert.deepEqual(
          index.problems.map((p) => p.line),
          [damagedLine],
          `${name}, chunks of ${chunkSize}: ${JSON.stringify(index.problems)}`,
        );
      }
    });
  }

  test('a valid document whose elements are laid out unevenly is not taken for damaged', async () => {
    const text =
      '{\n  "k1": {"id": "a", "video": "/v/a.mp4",\n  "question": "Which way? Options: A. x, B. y", "response": "<answer>A</answer>"},\n' +
      `  "k2": ${rec('b')}\n}\n`;
    const index = await ResultsIndex.build(write('uneven.json', text));
    assert.deepEqual(index.problems, []);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 2],
        ['b', 4],
      ],
    );
  });
});

describe('keys are bounded by the record size limit', () => {
  test('a key longer than maxRecordBytes is a problem at its line; the next element loads', async () => {
    const big = 'k'.repeat(3 << 20);
    const file = write('long-key.json', `{\n  "a": ${rec('a')},\n  "${big}": ${rec('b')},\n  "c": ${rec('c')}\n}\n`);
    const index = await ResultsIndex.build(file, { maxRecordBytes: 1 << 20, chunkSize: 64 << 10 });
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 2],
        ['c', 4],
      ],
    );
    assert.deepEqual(
      index.problems.map((p) => [p.line, p.message]),
      [[3, 'key is longer than 1 MiB; skipped']],
    );
  });

  test('the bytes of a 256 MiB key are not kept (memory stays within the limit)', () => {
    const problems: string[] = [];
    const elements: string[] = [];
    const scanner = new JsonDocumentScanner(1 << 20, {
      element: (_bytes, _offset, _line, key) => elements.push(key!),
      problem: (_line, _offset, message) => problems.push(message),
    });
    const chunk = Buffer.alloc(1 << 20, 0x6b);
    scanner.feed(Buffer.from('{"'), 0);
    const start = process.memoryUsage().arrayBuffers;
    let peak = start;
    for (let k = 0; k < 256; k++) {
      scanner.feed(chunk, 2 + k * chunk.length);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    scanner.feed(Buffer.from('": {"x": 1}, "b": {"y": 2}}'), 2 + 256 * chunk.length);
    scanner.end();
    assert.ok(peak - start < 8 << 20, `${((peak - start) / (1 << 20)).toFixed(0)} MiB kept for the key`);
    assert.deepEqual(problems, ['key is longer than 1 MiB; skipped']);
    assert.deepEqual(elements, ['b']);
  });
});

describe('cancellation outside JSONL', () => {
  test('a JSON document is cancelled between chunks', async () => {
    const body = '[\n' + Array.from({ length: 50 }, (_, i) => rec(`a${i}`)).join(',\n') + '\n]\n';
    const file = write('cancel.json', body);
    const ac = new AbortController();
    await assert.rejects(
      ResultsIndex.build(file, { chunkSize: 256, signal: ac.signal, onProgress: () => ac.abort() }),
      (e: unknown) => e instanceof IndexCancelledError,
    );
  });
});
