/**
 * Hostile input to either reader: line endings and byte order marks, files that are not results
 * files at all, and the file never modified. Bad lines of JSONL are in jsonl.test.ts, bad JSON
 * documents in json.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotResultsFileError, ResultsIndex } from '../../src/core/index';
import { binaryReason } from '../../src/core/index/bytes';
import { sniffFile, sniffFileSync } from '../../src/core/index/detect';
import { searchText } from '../../src/core/filter';
import { fixture, landmarkRecord as rec, makeTempDir, removeDir } from './helpers';

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

async function rejects(file: string, opts: Parameters<typeof ResultsIndex.build>[1] = {}): Promise<NotResultsFileError> {
  try {
    await ResultsIndex.build(file, opts);
  } catch (e) {
    assert.ok(e instanceof NotResultsFileError, `expected NotResultsFileError, got ${(e as Error).name}: ${(e as Error).message}`);
    return e;
  }
  assert.fail(`${file} was accepted as a results file`);
}

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

describe('a stray control byte is not a binary file', () => {
  test('one NUL byte in the first 64 KiB spoils only its own line (JSONL)', async () => {
    const lines = [rec('a'), rec('b'), rec('c'), rec('d')];
    lines[2] = lines[2].replace('<answer>', '<ans\u0000wer>');
    const index = await ResultsIndex.build(write('one-nul.jsonl', lines.join('\n') + '\n'));
    assert.deepEqual(
      index.entries.map((e) => e.id),
      ['a', 'b', 'd'],
    );
    assert.deepEqual(
      index.problems.map((p) => [p.line, /invalid JSON/.test(p.message)]),
      [[3, true]],
    );
  });

  test('a NUL byte in a JSON document and at the very start of a JSONL file', async () => {
    const doc = `[\n${rec('a')},\n${rec('b').replace('door', 'do\u0000or')},\n${rec('c')}\n]\n`;
    const json = await ResultsIndex.build(write('one-nul.json', doc));
    assert.deepEqual(
      json.entries.map((e) => e.id),
      ['a', 'c'],
    );
    assert.deepEqual(
      json.problems.map((p) => p.line),
      [3],
    );
    const first = await ResultsIndex.build(write('nul-first.jsonl', `\u0000${rec('a')}\n${rec('b')}\n${rec('c')}\n`));
    assert.deepEqual(
      first.entries.map((e) => e.id),
      ['b', 'c'],
    );
    assert.deepEqual(
      first.problems.map((p) => p.line),
      [1],
    );
  });

  test('what looks binary still is: random bytes, UTF-16, compressed data, many NULs', async () => {
    let seed = 7;
    const random = Buffer.from(Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff));
    assert.match((await rejects(write('random.jsonl', random))).message, /binary content \(\d+ control bytes/);
    const utf16 = Buffer.from('\ufeff' + [rec('a'), rec('b')].join('\n'), 'utf16le');
    assert.match((await rejects(write('utf16.jsonl', utf16))).message, /binary content \(UTF-16 text/);
    const gz = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(rec('a'))]);
    assert.match((await rejects(write('results.jsonl.gz', gz))).message, /binary content \(gzip data; NUL byte at offset 3\)/);
    const nuls = Buffer.from([rec('a'), rec('b')].join('\n').replace(/[ e]/g, '\u0000'));
    assert.match(
      (await rejects(write('nuls.jsonl', nuls))).message,
      /binary content \(\d+ control bytes in the first \d+ bytes; NUL byte at offset \d+\)/,
    );
  });
});

describe('the binary check and the two sniffs', () => {
  /** The rule binaryReason counts by, byte by byte: C0 controls but tab, LF, VT, FF, CR and ESC. */
  function controlsByLoop(b: Uint8Array): number {
    let n = 0;
    for (const c of b) if (c < 0x20 && ![0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b].includes(c)) n++;
    return n;
  }

  test('the control bytes are counted as a byte-by-byte loop counts them, in Buffers and in views at an offset', () => {
    let seed = 11;
    const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xffff;
    for (let trial = 0; trial < 60; trial++) {
      // From no control bytes to many, so that both answers (text, binary) come up.
      const density = trial % 6;
      const b = Buffer.alloc(1 + (next() % 5000), 0x61);
      for (let i = 0; i < b.length; i++) if (next() % 64 < density * 2) b[i] = next() % 0x20;
      const whole = new Uint8Array(b.length + 7);
      whole.set(b, 7);
      for (const view of [b, whole.subarray(7)]) {
        const why = binaryReason(view);
        const n = controlsByLoop(view);
        if (n * 16 > view.length) assert.match(why ?? '', new RegExp(`^${n} control bytes in the first`));
        else assert.equal(why, undefined, `${n} control bytes in ${view.length}`);
      }
    }
  });

  test('sniffFileSync says what sniffFile says: the format, the same refusals, and the size', async () => {
    const cases = [
      write('s.jsonl', `${rec('a')}\n${rec('b')}\n`),
      write('s.json', `[${rec('a')}]`),
      write('s-doc.txt', `{"a": ${rec('a')}}`),
      write('s-empty.jsonl', ''),
      write('s-gz.jsonl', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(rec('a'))])),
      dir,
    ];
    for (const f of cases) {
      const a = await sniffFile(f).then(
        (format) => ({ format }),
        (e: Error) => ({ error: `${e.name}: ${e.message}` }),
      );
      let b: { format?: string; error?: string; size?: number };
      try {
        b = sniffFileSync(f);
      } catch (e) {
        b = { error: `${(e as Error).name}: ${(e as Error).message}` };
      }
      if ('format' in a) {
        assert.equal(b.format, a.format, f);
        assert.equal(b.size, fs.statSync(f).size, f);
      } else assert.equal(b.error, a.error, f);
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
    await searchText(index, index.entries, 'door');
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
