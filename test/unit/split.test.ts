/**
 * Two-halves indexing (src/core/index/split.ts, worker.ts: a worker thread for the second half)
 * must give exactly what one thread gives: the same entries with the same line numbers, problems,
 * and resume point for appends.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { IndexCancelledError, NotResultsFileError, ResultsIndex } from '../../src/core/index';

const worker = path.resolve(__dirname, '../../src/core/index/worker.js');
const parallel = { workerScript: worker, parallelMinBytes: 0, parallelMinCores: 1 };

function record(i: number): string {
  const dir = i % 2 ? 'get to your destination?' : 'return to the starting point?';
  return JSON.stringify({
    id: `r${i}`,
    video: `/v/clip_${i >> 2}.mp4`,
    question: `Based on this video, which landmarks did you pass by to ${dir} Options: A. a, B. b, C. c`,
    gold: 'ABC'[i % 3],
    response: i % 5 ? `<think>step ${i}</think><answer>${'ABC'[(i * 7) % 3]}</answer>` : `The answer is ${'ABC'[i % 3]}`,
  });
}

function writeTmp(name: string, text: string | Buffer): string {
  const dir = made(fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-par-')));
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

function comparable(idx: ResultsIndex) {
  return { entries: idx.entries, problems: idx.problems, count: idx.problemCount, size: idx.size };
}

const dirs: string[] = [];
const made = (d: string) => (dirs.push(d), d);
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('two-halves indexing', () => {
  test('gives the same index as one thread, with problems on both sides and CRLF lines', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(record(i));
    lines[10] = '{"id": broken';
    lines[199] = '';
    lines[200] = '{"id": "x", "video": "/v.mp4"}';
    lines[201] = record(201) + '\r';
    lines[390] = '[1, 2]';
    const f = writeTmp('mixed.jsonl', lines.join('\n') + '\n');
    const one = await ResultsIndex.build(f);
    const two = await ResultsIndex.build(f, parallel);
    assert.equal(one.entries.length, 396);
    assert.deepEqual(
      one.problems.map((p) => p.line),
      [11, 201, 391],
    );
    assert.deepEqual(comparable(two), comparable(one));
  });

  test('the split lands on a line start whatever the line lengths', async () => {
    for (const pad of [0, 1, 37, 1000]) {
      const lines = Array.from({ length: 9 }, (_, i) => record(i));
      lines[4] = JSON.stringify({ ...JSON.parse(lines[4]), meta: { pad: 'x'.repeat(pad) } });
      const f = writeTmp(`pad${pad}.jsonl`, lines.join('\n'));
      const one = await ResultsIndex.build(f);
      const two = await ResultsIndex.build(f, parallel);
      assert.deepEqual(comparable(two), comparable(one), `pad ${pad}`);
      assert.equal(two.entries.length, 9);
    }
  });

  test('appends after a two-halves index continue with the right line numbers', async () => {
    const f = writeTmp('grow.jsonl', Array.from({ length: 50 }, (_, i) => record(i)).join('\n') + '\n');
    const idx = await ResultsIndex.build(f, parallel);
    fs.appendFileSync(f, record(50) + '\n' + record(51) + '\n');
    assert.equal(await idx.update(), 'appended');
    assert.equal(idx.entries.length, 52);
    assert.deepEqual(
      idx.entries.slice(-2).map((e) => [e.id, e.line]),
      [
        ['r50', 51],
        ['r51', 52],
      ],
    );
  });

  test('reports progress up to the whole size, and can be cancelled', async () => {
    const f = writeTmp('big.jsonl', Array.from({ length: 3000 }, (_, i) => record(i)).join('\n') + '\n');
    const size = fs.statSync(f).size;
    let last = 0;
    await ResultsIndex.build(f, {
      ...parallel,
      chunkSize: 4096,
      onProgress: (done, total) => {
        assert.equal(total, size);
        last = done;
      },
    });
    assert.equal(last, size);
    const ctrl = new AbortController();
    await assert.rejects(
      ResultsIndex.build(f, { ...parallel, chunkSize: 4096, signal: ctrl.signal, onProgress: () => ctrl.abort() }),
      IndexCancelledError,
    );
  });

  test('a file of nothing valid is still "not a results file"', async () => {
    const f = writeTmp('text.jsonl', Array.from({ length: 600 }, (_, i) => `plain text line ${i}`).join('\n'));
    await assert.rejects(ResultsIndex.build(f, parallel), NotResultsFileError);
  });
});
