/**
 * Hostile input: bad lines, wrong shapes, bad bytes, huge lines, files that are not results files at
 * all, truncated and over-long JSON documents. Valid records next to invalid ones must still load,
 * and the index must never modify the file it reads.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexCancelledError, NotResultsFileError, ResultsIndex } from '../../src/core/index';
import { applyFilter } from '../../src/core/filter';
import { fixture, lineStarts, makeTempDir, removeDir } from './helpers';

let dir = '';
before(() => {
  dir = makeTempDir('hostile');
});
after(() => removeDir(dir));

function write(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** A valid canonical record on one line. */
function rec(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id,
    video: `/videos/${id}.mp4`,
    question: 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. door, B. wall',
    gold: 'A',
    response: '<think>door</think><answer>A</answer>',
    ...extra,
  });
}

async function rejects(file: string, opts: Parameters<typeof ResultsIndex.build>[1] = {}): Promise<NotResultsFileError> {
  try {
    await ResultsIndex.build(file, opts);
  } catch (e) {
    assert.ok(e instanceof NotResultsFileError, `expected NotResultsFileError, got ${(e as Error).name}: ${(e as Error).message}`);
    return e;
  }
  assert.fail(`${file} was accepted as a results file`);
}

describe('bad lines next to good ones (JSONL)', () => {
  test('each bad line is one problem naming its line; good lines still load', async () => {
    const lines = [
      rec('r1'), // 1
      '{"id": "r2", "video": ', // 2 invalid JSON
      '{"foo": 1, "bar": [2]}', // 3 wrong shape
      '42', // 4 a JSON scalar
      rec('', {}), // 5 empty id
      rec('r6', { video: '   ' }), // 6 blank video
      rec('r7', { question: '' }), // 7 empty question
      '"just a string"', // 8 scalar
      '[1, 2]', // 9 array
      '', // 10 blank
      '   \t ', // 11 blank
      rec('r12'), // 12
    ];
    const file = write('bad-lines.jsonl', lines.join('\n') + '\n');
    const index = await ResultsIndex.build(file);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['r1', 1],
        ['r12', 12],
      ],
    );
    assert.deepEqual(
      index.problems.map((p) => p.line),
      [2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(index.problemCount, 8);
    const byLine = new Map(index.problems.map((p) => [p.line, p.message]));
    assert.match(byLine.get(2)!, /invalid JSON/);
    for (const shape of ['canonical', 'st-r1', 'benchmark', 'harness']) {
      assert.ok(byLine.get(3)!.includes(`${shape}:`), `line 3 message names ${shape}: ${byLine.get(3)}`);
    }
    assert.match(byLine.get(4)!, /expected a JSON object, got a number/);
    assert.match(byLine.get(5)!, /id: must be a non-empty string/);
    assert.match(byLine.get(6)!, /video: must be a non-empty string/);
    assert.match(byLine.get(7)!, /question: must be a non-empty string/);
    assert.match(byLine.get(8)!, /expected a JSON object, got a string/);
    assert.match(byLine.get(9)!, /expected a JSON object, got an array/);
    // Offsets point at the start of each line.
    const starts = lineStarts(fs.readFileSync(file));
    for (const p of index.problems) assert.equal(p.offset, starts[p.line - 1], `line ${p.line}`);
    for (const e of index.entries) assert.equal(e.offset, starts[e.line - 1]);
  });

  test('invalid UTF-8 bytes in a line: a problem with the file offset of the bad byte', async () => {
    const good = Buffer.from(rec('u1') + '\n');
    const badHead = Buffer.from('{"id": "u2", "video": "/v.mp4", "question": "caf');
    const bad = Buffer.concat([badHead, Buffer.from([0xff, 0xfe]), Buffer.from('", "response": "x"}\n')]);
    const file = write('utf8.jsonl', Buffer.concat([good, bad, Buffer.from(rec('u3') + '\n')]));
    const index = await ResultsIndex.build(file);
    assert.deepEqual(
      index.entries.map((e) => e.id),
      ['u1', 'u3'],
    );
    assert.equal(index.problems.length, 1);
    assert.equal(index.problems[0].line, 2);
    assert.equal(index.problems[0].message, `invalid UTF-8 at byte ${good.length + badHead.length} of the file`);
  });

  test('a too-long line later in the file is a problem; the lines after it still load', async () => {
    const long = rec('big', { response: 'z'.repeat(300 * 1024) });
    const file = write('later-long.jsonl', [rec('a'), long, rec('c'), ''].join('\n'));
    const t0 = Date.now();
    const index = await ResultsIndex.build(file, { maxRecordBytes: 64 * 1024, chunkSize: 16 * 1024 });
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 1],
        ['c', 3],
      ],
    );
    assert.equal(index.problems.length, 1);
    assert.equal(index.problems[0].line, 2);
    assert.match(index.problems[0].message, /longer than 64 KiB/);
    const raw = await index.readRaw(index.entries[1]);
    assert.equal(raw, rec('c'));
  });
});

describe('line endings and byte order marks', () => {
  test('CRLF line endings and blank CRLF lines are not problems', async () => {
    const file = write('crlf.jsonl', [rec('a'), '', rec('b'), '   ', rec('c'), ''].join('\r\n'));
    const index = await ResultsIndex.build(file);
    assert.deepEqual(index.problems, []);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 1],
        ['b', 3],
        ['c', 5],
      ],
    );
    // The raw text excludes the carriage return.
    assert.equal(await index.readRaw(index.entries[1]), rec('b'));
    assert.equal((await index.readRecord(index.entries[2])).record.id, 'c');
  });

  test('a UTF-8 BOM before JSONL', async () => {
    const file = write('bom.jsonl', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(rec('a') + '\n' + rec('b') + '\n')]));
    const index = await ResultsIndex.build(file);
    assert.deepEqual(index.problems, []);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line, e.offset]),
      [
        ['a', 1, 3],
        ['b', 2, 3 + rec('a').length + 1],
      ],
    );
    assert.equal(await index.readRaw(index.entries[0]), rec('a'));
  });

  test('a UTF-8 BOM before a JSON document without extension hints', async () => {
    const body = `[\n${rec('a')},\n${rec('b')}\n]\n`;
    const file = write('bom-array.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]));
    const index = await ResultsIndex.build(file);
    assert.equal(index.format, 'json');
    assert.deepEqual(index.problems, []);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 2],
        ['b', 3],
      ],
    );
  });
});

describe('files that are not results files', () => {
  test('binary content (NUL bytes)', async () => {
    const file = write('image.jsonl', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
    const err = await rejects(file);
    assert.match(err.message, /binary/);
    assert.match(err.message, /offset 8/);
  });

  test('a ~20 MB single line is rejected quickly, naming the line', async () => {
    // A minified JSON array on one line, in a .jsonl file: no line break anywhere.
    const one = rec('x', { response: 'y'.repeat(2000) });
    const count = Math.ceil((20 << 20) / (one.length + 1));
    const file = write('huge-single-line.jsonl', '[' + Array(count).fill(one).join(',') + ']');
    assert.ok(fs.statSync(file).size > 20_000_000);
    const t0 = Date.now();
    const err = await rejects(file, { maxRecordBytes: 1 << 20 });
    const ms = Date.now() - t0;
    assert.match(err.message, /line 1/);
    assert.match(err.message, /1 MiB/);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  test('300 lines of plain text', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `this is plain text, line ${i + 1}`).join('\n') + '\n';
    for (const name of ['notes.txt', 'notes.jsonl']) {
      const err = await rejects(write(name, text));
      assert.match(err.message, /not a results file/);
      assert.match(err.message, /line 1/);
    }
  });

  test('an empty .json file and a JSON scalar document', async () => {
    await rejects(write('empty.json', ''));
    const err = await rejects(write('scalar.json', '"hello"\n'));
    assert.match(err.message, /array or an object/);
  });

  test('a directory', async () => {
    await rejects(dir);
  });
});

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

describe('JSONL across small chunks', () => {
  test('same entries whatever the chunk size', async () => {
    const file = fixture('ego-st-r1-sample.jsonl');
    const whole = await ResultsIndex.build(file);
    for (const chunkSize of [17, 333, 4096]) {
      const small = await ResultsIndex.build(file, { chunkSize });
      assert.deepEqual(small.entries, whole.entries, `chunkSize ${chunkSize}`);
    }
  });
});

describe('the index never modifies the file', () => {
  test('bytes and mtime unchanged after build, readRecord, filter and update', async () => {
    const file = write('readonly.jsonl', [rec('a'), '{broken', rec('c')].join('\n') + '\n');
    const past = new Date(Date.now() - 3600_000);
    fs.utimesSync(file, past, past);
    const before = { bytes: fs.readFileSync(file), mtime: fs.statSync(file).mtimeMs };
    const index = await ResultsIndex.build(file);
    for (const e of index.entries) await index.readRecord(e);
    await applyFilter(index, { text: 'door' }, 'mcq_infer');
    assert.equal(await index.update(), 'unchanged');
    assert.deepEqual(fs.readFileSync(file), before.bytes);
    assert.equal(fs.statSync(file).mtimeMs, before.mtime);
    assert.equal(index.entries.length, 2);
  });

  test('JSON document too', async () => {
    const src = fixture('benchmark-predict.json');
    const before = { bytes: fs.readFileSync(src), mtime: fs.statSync(src).mtimeMs };
    const index = await ResultsIndex.build(src);
    for (const e of index.entries) await index.readRecord(e);
    assert.deepEqual(fs.readFileSync(src), before.bytes);
    assert.equal(fs.statSync(src).mtimeMs, before.mtime);
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
