/**
 * ResultsIndex (src/core/index/index.ts) following a JSONL file that a writer appends to: update()
 * kinds, half-written last lines, rewrites, cancellation and progress.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexCancelledError, ResultsIndex } from '../../src/core/index';
import { lineStarts, makeTempDir, removeDir } from './helpers';

let dir = '';
before(() => {
  dir = makeTempDir('incremental');
});
after(() => removeDir(dir));

let n = 0;
function freshFile(content: string, ext = '.jsonl'): string {
  const p = path.join(dir, `run-${++n}${ext}`);
  fs.writeFileSync(p, content);
  // An mtime in the past, so that any later write is seen as a change.
  const past = new Date(Date.now() - 600_000);
  fs.utimesSync(p, past, past);
  return p;
}

function rec(id: string, answer = 'A'): string {
  return JSON.stringify({
    id,
    video: `/videos/${id}.mp4`,
    question: 'Based on this video, what directions do you need to go through to get to your destination? Options: A. left, B. right',
    gold: 'A',
    response: `<think>thinking about ${id}</think><answer>${answer}</answer>`,
  });
}

describe('update()', () => {
  test('unchanged, then appended lines with correct line numbers', async () => {
    const file = freshFile(`${rec('a')}\n${rec('b')}\n`);
    const index = await ResultsIndex.build(file);
    assert.equal(index.entries.length, 2);
    assert.equal(await index.update(), 'unchanged');

    fs.appendFileSync(file, `${rec('c', 'B')}\n\n${rec('d')}\n`);
    assert.equal(await index.update(), 'appended');
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line, e.mcq]),
      [
        ['a', 1, 'correct'],
        ['b', 2, 'correct'],
        ['c', 3, 'incorrect'],
        ['d', 5, 'correct'],
      ],
    );
    const starts = lineStarts(fs.readFileSync(file));
    for (const e of index.entries) assert.equal(e.offset, starts[e.line - 1]);
    assert.equal((await index.readRecord(index.entries[3])).record.id, 'd');
    assert.equal(await index.update(), 'unchanged');
    assert.equal(index.entries.length, 4);
  });

  test('an edit of the same size (A to B in an answer) is seen, wherever it is, even with the mtime put back', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `r${String(i).padStart(3, '0')}`);
    const file = freshFile(ids.map((id) => rec(id)).join('\n') + '\n');
    const index = await ResultsIndex.build(file);
    const verdict = (id: string) => index.entries.find((e) => e.id === id)!.mcq;
    assert.equal(verdict('r100'), 'correct');
    // In the middle of the file, beyond the first and last blocks: the mtime says it changed.
    const before = fs.statSync(file);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(rec('r100'), rec('r100', 'B')));
    assert.equal(fs.statSync(file).size, before.size);
    const later = new Date(before.mtimeMs + 2000);
    fs.utimesSync(file, later, later);
    assert.equal(await index.update(), 'rebuilt');
    assert.equal(verdict('r100'), 'incorrect');
    // In the last record, with the old mtime put back: the content of the file's ends says it.
    const mtime = fs.statSync(file).mtime;
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(rec('r199'), rec('r199', 'B')));
    fs.utimesSync(file, mtime, mtime);
    assert.equal(await index.update(), 'rebuilt');
    assert.equal(verdict('r199'), 'incorrect');
    // Touched only: unchanged, and the entries are the very same objects.
    const kept = index.entries[5];
    const touched = new Date(mtime.getTime() + 5000);
    fs.utimesSync(file, touched, touched);
    assert.equal(await index.update(), 'unchanged');
    assert.equal(index.entries[5], kept);
    assert.equal(await index.update(), 'unchanged');
  });

  test('a same-size edit of a JSON document is seen too', async () => {
    const file = freshFile(`[\n${rec('a')},\n${rec('b')},\n${rec('c')}\n]\n`, '.json');
    const index = await ResultsIndex.build(file);
    const entries = index.entries;
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(rec('b'), rec('b', 'B')));
    const later = new Date(Date.now() + 3000);
    fs.utimesSync(file, later, later);
    assert.equal(await index.update(), 'rebuilt');
    assert.equal(index.entries, entries, 'the same array, refilled');
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.mcq]),
      [
        ['a', 'correct'],
        ['b', 'incorrect'],
        ['c', 'correct'],
      ],
    );
  });

  test('a half-written last line is reported as incomplete, then loads once completed', async () => {
    const file = freshFile(`${rec('a')}\n`);
    const index = await ResultsIndex.build(file);
    const full = rec('b');
    const cut = 50;
    fs.appendFileSync(file, full.slice(0, cut));
    assert.equal(await index.update(), 'appended');
    assert.deepEqual(
      index.entries.map((e) => e.id),
      ['a'],
    );
    assert.equal(index.problems.length, 1);
    assert.equal(index.problems[0].line, 2);
    assert.match(index.problems[0].message, /incomplete/);
    assert.match(index.problems[0].message, /invalid JSON/);
    assert.equal(index.problemCount, 1);

    fs.appendFileSync(file, full.slice(cut) + '\n');
    assert.equal(await index.update(), 'appended');
    assert.deepEqual(index.problems, []);
    assert.equal(index.problemCount, 0);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    assert.equal(await index.readRaw(index.entries[1]), full);

    // More lines after that keep counting from there.
    fs.appendFileSync(file, `${rec('c')}\n`);
    assert.equal(await index.update(), 'appended');
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
    );
  });

  test('a complete last line without a line break loads, and later lines number on from it', async () => {
    const file = freshFile(`${rec('a')}\n${rec('b')}`);
    const index = await ResultsIndex.build(file);
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    fs.appendFileSync(file, `\n${rec('c')}\n`);
    assert.equal(await index.update(), 'appended');
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
    );
    assert.deepEqual(index.problems, []);
  });

  test('a rewritten file is re-indexed from scratch', async () => {
    const file = freshFile(`${rec('a')}\n${rec('b')}\n${rec('c')}\n`);
    const index = await ResultsIndex.build(file);
    assert.equal(index.entries.length, 3);
    // Different content, shorter.
    fs.writeFileSync(file, `${rec('x', 'B')}\n`);
    assert.equal(await index.update(), 'rebuilt');
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line, e.mcq]),
      [['x', 1, 'incorrect']],
    );
    // Different content, longer: the first bytes changed, so it is not an append.
    fs.writeFileSync(file, `${rec('y')}\n${rec('z')}\n`);
    assert.equal(await index.update(), 'rebuilt');
    assert.deepEqual(
      index.entries.map((e) => e.id),
      ['y', 'z'],
    );
    assert.equal(await index.update(), 'unchanged');
  });

  test('a rewrite replacing JSONL by a JSON document switches format (no telling extension)', async () => {
    const file = freshFile(`${rec('a')}\n${rec('b')}\n`, '.txt');
    const index = await ResultsIndex.build(file);
    assert.equal(index.format, 'jsonl');
    fs.writeFileSync(file, `[\n${rec('p')},\n${rec('q')}\n]\n`);
    assert.equal(await index.update(), 'rebuilt');
    assert.equal(index.format, 'json');
    assert.deepEqual(
      index.entries.map((e) => [e.id, e.line]),
      [
        ['p', 2],
        ['q', 3],
      ],
    );
  });
});

describe('cancellation and progress', () => {
  const lines = Array.from({ length: 40 }, (_, i) => rec(`r${i}`)).join('\n') + '\n';

  test('aborting from onProgress with a small chunk size throws IndexCancelledError', async () => {
    const file = freshFile(lines);
    const ac = new AbortController();
    let calls = 0;
    await assert.rejects(
      ResultsIndex.build(file, {
        chunkSize: 512,
        signal: ac.signal,
        onProgress: () => {
          calls++;
          ac.abort();
        },
      }),
      (e: unknown) => e instanceof IndexCancelledError && /cancelled/.test(e.message),
    );
    assert.equal(calls, 1);
  });

  test('an already aborted signal cancels update() too', async () => {
    const file = freshFile(lines);
    const index = await ResultsIndex.build(file);
    fs.appendFileSync(file, lines);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(index.update({ signal: ac.signal }), IndexCancelledError);
  });

  test('progress is monotonic and reaches the file size', async () => {
    const file = freshFile(lines);
    const size = fs.statSync(file).size;
    const seen: [number, number][] = [];
    const index = await ResultsIndex.build(file, { chunkSize: 700, onProgress: (d, t) => seen.push([d, t]) });
    assert.equal(index.entries.length, 40);
    assert.ok(seen.length >= Math.floor(size / 700), `${seen.length} progress calls`);
    assert.ok(seen.every(([, t]) => t === size));
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] > seen[i - 1][0]);
    assert.deepEqual(seen[seen.length - 1], [size, size]);
  });

  test("update() reports to its own onProgress only, never to the first indexing's (issue 11: a file stayed 'indexing')", async () => {
    const file = freshFile(lines);
    const first: number[] = [];
    const ac = new AbortController();
    const index = ResultsIndex.create(file, { chunkSize: 700, signal: ac.signal, onProgress: (d) => first.push(d) });
    await index.load();
    const calls = first.length;
    assert.ok(calls > 0);
    // The first indexing's signal is aborted once it is over (its progress notification closed):
    // updates go on regardless.
    ac.abort();
    fs.appendFileSync(file, rec('appended') + '\n');
    assert.equal(await index.update(), 'appended');
    assert.equal(index.entries[40].id, 'appended');
    assert.equal(first.length, calls, 'the appended lines were not reported to the first indexing');
    const own: number[] = [];
    fs.appendFileSync(file, rec('appended-2') + '\n');
    assert.equal(await index.update({ onProgress: (d) => own.push(d) }), 'appended');
    assert.ok(own.length > 0);
    // A rewrite re-indexes from scratch, reporting to nobody's old callback either.
    fs.writeFileSync(file, rec('only') + '\n');
    assert.equal(await index.update(), 'rebuilt');
    assert.deepEqual(
      index.entries.map((e) => e.id),
      ['only'],
    );
    assert.equal(first.length, calls);
  });
});
