/**
 * The JSONL reader (src/core/index/jsonl.ts) on bad input: bad lines next to good ones, bad bytes,
 * over-long lines; and the same entries whatever the chunk size. Appends are in index.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResultsIndex } from '../../src/core/index';
import { fixture, landmarkRecord as rec, lineStarts, makeTempDir, removeDir } from './helpers';

let dir = '';
before(() => {
  dir = makeTempDir('jsonl');
});
after(() => removeDir(dir));

function write(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
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
