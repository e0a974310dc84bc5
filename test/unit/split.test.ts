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

/** A small seeded generator (mulberry32): the same inputs on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPTIONS = 'Options: A. pick up the cup, B. open the door, C. sit on the bench';
const QUESTIONS = [
  `Based on this video, which landmarks did you pass by to reach your destination? ${OPTIONS}`,
  `Based on this video, which actions did you perform to return to the starting point? ${OPTIONS}`,
  'Based on this video, what directions do you need to go through to get to your destination? Options: A. left, B. right',
  'Based on this video, how to get from the last position back to the start?',
];

/** One line of a varied results file: every shape (with and without ids), damage, blanks, CR. */
function variedLine(rand: () => number, i: number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const video = `/v/clip_${Math.floor(rand() * 6)}.mp4`;
  const question = pick(QUESTIONS);
  const answer = `<think>step ${i}</think><answer>${pick(['A', 'B', 'C'])}</answer>`;
  const gold = pick(['A', 'B', 'C']);
  switch (Math.floor(rand() * 12)) {
    case 0:
      return JSON.stringify({ problem: question, solution: answer, video, original_answer: gold });
    case 1:
      return JSON.stringify({ video, forward_mcq: { question, options: ['A. x', 'B. y'], answer: gold }, predict: gold });
    case 2:
      return JSON.stringify({ video, reverse_mcq: { question, options: ['A. x', 'B. y'] }, answer: gold, predict: answer });
    case 3:
      return JSON.stringify({ doc_id: i, doc: { question, video }, target: gold, resps: [[answer]] });
    case 4:
      return pick(['', '   ', '{"id": broken', '{}', '[1, 2]', 'null', 'plain text', '{"id": "x\u0000y"}']);
    case 5:
      return JSON.stringify({ id: `r${i}`, video, question, gold, response: answer }) + '\r';
    case 6:
      return JSON.stringify({ id: `r${i}`, video, question, gold, response: answer, meta: { pad: 'p'.repeat(Math.floor(rand() * 3000)) } });
    default:
      return JSON.stringify({ id: `r${i}`, video, question, gold, response: answer });
  }
}

describe('two-halves indexing on varied inputs', () => {
  test('entries, ids (made from line numbers too), problems and categories equal the one-pass index', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rand = rng(seed);
      const n = 20 + Math.floor(rand() * 300);
      const lines = Array.from({ length: n }, (_, i) => variedLine(rand, i));
      const text = lines.join('\n') + (rand() < 0.5 ? '\n' : '');
      const f = writeTmp(`varied-${seed}.jsonl`, text);
      const opts = { maxRecordBytes: 2048, chunkSize: 512 + Math.floor(rand() * 4096) };
      const one = await ResultsIndex.build(f, opts);
      const two = await ResultsIndex.build(f, { ...opts, ...parallel });
      assert.ok(one.entries.some((e) => e.id.startsWith('line-')));
      assert.deepEqual(comparable(two), comparable(one), `seed ${seed}`);
      const made = two.entries.filter((e) => e.id.startsWith('line-')).map((e) => e.id);
      assert.equal(new Set(made).size, made.length, `seed ${seed}: ids made from lines are unique`);
      for (const e of two.entries) if (e.id.startsWith('line-')) assert.equal(e.id, `line-${e.line}`);
    }
  });
});
