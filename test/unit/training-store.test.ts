/**
 * The columnar completion store (issue 13's training parse speed): the facts the reader now computes
 * on the bytes (format check, length in code points, answer letter, think tags) against the old
 * per-completion computation on the decoded content, across block boundaries, chunk boundaries, a
 * log read while it grows, a partial last entry, multi-byte UTF-8 and invalid UTF-8.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AsciiFacts,
  completionFacts,
  CompletionStore,
  readRange,
  TrainingLogReader,
  TrainingRun,
  type CompletionGroup,
} from '../../src/core/training';
import { answerTag, formatValid, pyStrip } from '../../src/core/derive';
import { makeTempDir, removeDir } from './helpers';

let dir = '';
before(() => {
  dir = makeTempDir('training-store');
});
after(() => removeDir(dir));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const TAGS = ['<think>', '</think>', '<answer>', '</answer>', '<answer', '</think', '<', '>'];
const ASCII = ['A', 'B', 'C', 'left', ' ', ' ', '\n', '\t', '\r', '\x0b', '\x0c', '\x1c', '\x1f', '\x00', 'x'];
/** Python white space beyond ASCII, other non-ASCII characters (a pair among them), U+FFFD itself. */
const WIDE = [
  '\u0085',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u200b',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  'é',
  '😀',
  '\ufffd',
];
/** Bytes that are not UTF-8: a lone continuation byte, 0xff, white space's lead bytes cut short, a surrogate's encoding. */
const BAD = [[0x80], [0xff], [0xe2, 0x80], [0xc2], [0xe3, 0x80], [0xed, 0xa0, 0x80]].map((b) => Buffer.from(b));

/** A random content of tags, white space and letters; `wide`, `bad`: how often a non-ASCII or a bad piece comes. */
function content(r: () => number, wide: number, bad: number): Buffer {
  const parts: Buffer[] = [];
  // Mostly shaped like a completion, so that the format check passes often and fails in every way.
  if (r() < 0.7) parts.push(Buffer.from('<think>'));
  const n = Math.floor(r() * 12);
  for (let k = 0; k < n; k++) {
    const x = r();
    if (x < bad) parts.push(BAD[Math.floor(r() * BAD.length)]);
    else if (x < bad + wide) parts.push(Buffer.from(WIDE[Math.floor(r() * WIDE.length)]));
    else if (x < 0.5) parts.push(Buffer.from(TAGS[Math.floor(r() * TAGS.length)]));
    else parts.push(Buffer.from(ASCII[Math.floor(r() * ASCII.length)]));
  }
  if (r() < 0.6)
    parts.push(Buffer.from(`</think>${r() < 0.3 ? ' \n' : ''}<answer>${r() < 0.2 ? ' ' : ''}${'ABCD'[Math.floor(r() * 4)]}</answer>`));
  // A content's line may not start like "Solution: " or a header; its last byte may not be a line break's.
  return Buffer.from(
    Buffer.concat(parts)
      .toString('latin1')
      .replace(/\n(?=Solution|-)/g, '\n.'),
    'latin1',
  );
}

/** The old per-completion facts, from the decoded content with the string functions of derive.ts. */
function reference(text: string): { format: number; chars: number; answer: string; hasThink: boolean } {
  const tag = answerTag(text);
  return {
    format: formatValid(text) ? 1 : 0,
    chars: [...text].length,
    answer: tag === undefined ? '' : ([...pyStrip(tag)][0] ?? ''),
    hasThink: text.includes('<think>') && text.includes('</think>'),
  };
}

const header = (ts: string, reward: string) => Buffer.from(`------------- ${ts} Accuracy reward: ${reward} -------------\nContent: `);
const SOLUTION = Buffer.from('\nSolution: <think>so</think> <answer>A</answer>\n');

/** A reward debug log of `n` random contents, four completions to a reward call. */
function makeLog(seed: number, n: number, wide: number, bad: number): { bytes: Buffer; contents: Buffer[]; rewards: number[] } {
  const r = rng(seed);
  const contents: Buffer[] = [];
  const rewards: number[] = [];
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const c = content(r, wide, bad);
    const reward = r() < 0.5 ? 1 : 0;
    contents.push(c);
    rewards.push(reward);
    parts.push(header(`07-01-02-03-${String(Math.floor(i / 4)).padStart(6, '0')}`, reward.toFixed(1)), c, SOLUTION);
  }
  return { bytes: Buffer.concat(parts), contents, rewards };
}

/** Every row of `store` against the old computation on its content as the file holds it. */
async function checkRows(file: string, store: CompletionStore, contents: readonly Buffer[], rewards: readonly number[]): Promise<void> {
  assert.equal(store.length, contents.length);
  const bytes = fs.readFileSync(file);
  for (let i = 0; i < store.length; i++) {
    const c = store.get(i);
    assert.ok(bytes.subarray(c.contentOffset, c.contentOffset + c.contentLength).equals(contents[i]), `content ${i}`);
    const text = await readRange(file, c.contentOffset, c.contentLength);
    const want = reference(text);
    assert.deepEqual(
      { format: c.format, chars: c.chars, answer: c.answer, hasThink: c.hasThink },
      want,
      `completion ${i}: ${JSON.stringify(text)}`,
    );
    assert.deepEqual([store.format(i), store.chars(i), store.accuracy(i)], [want.format, want.chars, rewards[i]], `columns of ${i}`);
    assert.equal(c.accuracy, rewards[i]);
    assert.equal(c.timestamp, `07-01-02-03-${String(Math.floor(i / 4)).padStart(6, '0')}`);
  }
}

describe('completion store: the columns against the old per-completion facts', () => {
  test('ASCII contents across three blocks (8192 rows each), the reader on the bytes as on the decoded text', async () => {
    const { bytes, contents, rewards } = makeLog(1, 8192 * 2 + 37, 0, 0);
    const file = path.join(dir, 'ascii.log');
    fs.writeFileSync(file, bytes);
    const whole = new TrainingLogReader(file);
    await whole.read();
    assert.deepEqual(whole.problems, []);
    await checkRows(file, whole.completions, contents, rewards);
    const small = new TrainingLogReader(file, { chunkSize: 333 });
    await small.read();
    assert.deepEqual(small.completions.toArray(), whole.completions.toArray());
  });

  test('multi-byte and invalid UTF-8 contents: the same facts, each bad content reported once', async () => {
    const { bytes, contents, rewards } = makeLog(2, 3000, 0.15, 0.05);
    const file = path.join(dir, 'mixed.log');
    fs.writeFileSync(file, bytes);
    for (const chunkSize of [undefined, 97]) {
      const r = new TrainingLogReader(file, { chunkSize });
      await r.read();
      await checkRows(file, r.completions, contents, rewards);
      const bad = contents.filter((c) => !Buffer.from(c.toString('utf8')).equals(c)).length;
      assert.ok(bad > 50, `${bad} bad contents`);
      assert.equal(r.problems.length, bad);
      assert.ok(r.problems.every((p) => /not valid UTF-8/.test(p.message)));
    }
  });

  test('a log read while it is written, cut anywhere (partial last entries): each read as a whole read of that much', async () => {
    const { bytes, contents, rewards } = makeLog(3, 8192 + 500, 0.02, 0.01);
    const file = path.join(dir, 'growing.log');
    const r = rng(4);
    const cuts = [0.2, 0.5, 0.8].map((f) => Math.floor(bytes.length * (f + (r() - 0.5) * 0.1)));
    fs.writeFileSync(file, '');
    const reader = new TrainingLogReader(file, { chunkSize: 4096 });
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      fs.appendFileSync(file, bytes.subarray(at, cut));
      at = cut;
      await reader.read();
      const fresh = new TrainingLogReader(file);
      await fresh.read();
      assert.deepEqual(reader.completions.toArray(), fresh.completions.toArray(), `at ${cut}`);
      assert.deepEqual(reader.pending, fresh.pending);
      // An entry counts once the next header's line has ended (its solution might have gone on till
      // then), or the file ends right after its solution's line; a cut inside one leaves it pending.
      const prefix = bytes.subarray(0, cut).toString('latin1');
      const headers = prefix.split(' -------------\n').length - 1;
      const ended = Math.max(0, headers - 1) + (prefix.endsWith(SOLUTION.toString('latin1')) ? 1 : 0);
      assert.equal(reader.completions.length, ended, `at ${cut}`);
      if (cut < bytes.length) assert.ok(reader.pending, `pending at ${cut}`);
    }
    await checkRows(file, reader.completions, contents, rewards);
  });

  test('a run groups the columns as it grouped the objects (by timestamp, in order of first appearance)', async () => {
    const { bytes, rewards } = makeLog(5, 8192 + 9, 0.02, 0);
    const file = path.join(dir, 'run.log');
    fs.writeFileSync(file, bytes);
    const run = await TrainingRun.open(file);
    assert.equal(run.groups.length, Math.ceil((8192 + 9) / 4));
    for (const g of run.groups) {
      const want = [0, 1, 2, 3].map((k) => g.index * 4 + k).filter((i) => i < rewards.length);
      assert.deepEqual(g.completions, want);
      assert.deepEqual(
        g.rewards,
        want.map((i) => rewards[i]),
      );
      for (const i of want) assert.equal(run.completions.get(i).group, g.index);
      assert.equal(g.longest, Math.max(...want.map((i) => run.completions.get(i).chars)));
    }
    assert.equal(run.summary().meanAccuracyReward, rewards.reduce((a, b) => a + b, 0) / rewards.length);
    // A group's lists are made on first read: serialised, it still holds them, as the plain objects did.
    const g = run.groups[3];
    const parsed = JSON.parse(JSON.stringify(g)) as Record<string, unknown>;
    assert.deepEqual(parsed.completions, g.completions);
    assert.deepEqual(parsed.rewards, g.rewards);
    assert.deepEqual(parsed.advantages, g.advantages);
    assert.equal(parsed.index, 3);
    assert.equal(parsed.zeroVariance, g.zeroVariance);
  });
});

test('a run updated while its log grows: its new columns and groups as a fresh open, the old ones unchanged', async () => {
  const { bytes } = makeLog(7, 8192 + 100, 0.02, 0);
  const file = path.join(dir, 'run-growing.log');
  const cut = bytes.indexOf('Solution', Math.floor(bytes.length * 0.6)) + 3;
  fs.writeFileSync(file, bytes.subarray(0, cut));
  const run = await TrainingRun.open(file);
  const before = run.completions;
  const beforeRows = before.toArray();
  const beforeGroups = run.groups;
  const beforeLists = beforeGroups.map((g) => [g.completions, g.rewards, g.advantages]);
  assert.equal(run.pending.length, 1);
  fs.appendFileSync(file, bytes.subarray(cut));
  await run.update();
  const fresh = await TrainingRun.open(file);
  assert.deepEqual(run.completions.toArray(), fresh.completions.toArray());
  assert.equal(run.groups.length, fresh.groups.length);
  for (let g = 0; g < fresh.groups.length; g++) {
    for (const k of Object.keys(fresh.groups[g]) as (keyof CompletionGroup)[])
      assert.deepEqual(run.groups[g][k], fresh.groups[g][k], `group ${g} ${k}`);
  }
  assert.equal(run.pending.length, 0);
  // What the views showed before the update (an open panel, the tree) still reads the same.
  assert.deepEqual(before.toArray(), beforeRows);
  assert.deepEqual(
    beforeGroups.map((g) => [g.completions, g.rewards, g.advantages]),
    beforeLists,
  );
});

describe('completion store: AsciiFacts against completionFacts (the old string code)', () => {
  test('random ASCII contents in one buffer, visited in order and out of order', () => {
    const r = rng(6);
    const parts: Buffer[] = [];
    const ranges: [number, number][] = [];
    let at = 0;
    for (let i = 0; i < 4000; i++) {
      const c = content(r, 0, 0);
      ranges.push([at, at + c.length]);
      parts.push(c);
      at += c.length;
    }
    const buf = Buffer.concat(parts);
    const order = ranges.map((_, i) => i);
    const shuffled = [...order].sort(() => r() - 0.5);
    for (const visit of [order, shuffled]) {
      const facts = new AsciiFacts();
      for (const i of visit) {
        const [a, b] = ranges[i];
        const text = buf.toString('latin1', a, b);
        const got = facts.of(buf, a, b, { format: 0, chars: 0, answer: -1, hasThink: false });
        const want = completionFacts(text, b - a, { format: 0, chars: 0, answer: -1, hasThink: false });
        assert.deepEqual(got, want, JSON.stringify(text));
        const ref = reference(text);
        assert.deepEqual([got.format, got.chars, got.answer < 0 ? '' : String.fromCodePoint(got.answer), got.hasThink], Object.values(ref));
      }
    }
  });
});

describe('completion store: rows, views, truncation, merging', () => {
  const facts = (format: number, chars: number, answer: number, hasThink: boolean) => ({ format, chars, answer, hasThink });

  test('a view keeps its rows while the store is cut back and appended to', () => {
    const s = new CompletionStore();
    const f = s.fileIndex('a.log');
    for (let i = 0; i < 8200; i++)
      s.push(
        f,
        i + 1,
        s.timestampOf(`t${i >> 2}`),
        i % 2,
        facts(i % 3 === 0 ? 1 : 0, i, 65 + (i % 4), i % 5 === 0),
        i * 10,
        5,
        i * 10 + 6,
        3,
      );
    const v = s.view();
    s.truncate(8190);
    for (let i = 8190; i < 9000; i++) s.push(f, i + 1, s.timestampOf(`t${i >> 2}`), 1, facts(0, 1, -1, false), i * 10, 5, i * 10 + 6, 3);
    assert.equal(v.length, 8200);
    assert.equal(s.length, 9000);
    assert.deepEqual(v.get(8199), {
      group: -1,
      timestamp: 't2049',
      accuracy: 1,
      format: 0,
      chars: 1,
      answer: '',
      hasThink: false,
      file: 'a.log',
      line: 8200,
      contentOffset: 81990,
      contentLength: 5,
      solutionOffset: 81996,
      solutionLength: 3,
    });
    assert.deepEqual(v.get(8189), { ...s.get(8189) });
    assert.equal(v.get(3).answer, 'D');
    assert.equal(v.get(0).hasThink, true);
    assert.throws(() => v.get(8200), RangeError);
    assert.deepEqual([...v].length, 8200);
    assert.equal(s.timestamps.length, 2250);
  });

  test('the first block grows as rows come (64, 128, … 8192): every row kept, views taken on the way unchanged', () => {
    const s = new CompletionStore();
    const f = s.fileIndex('g.log');
    const row = (i: number) =>
      s.push(f, i + 1, s.timestampOf(`t${i}`), i / 10, facts(i & 1, i, 65 + (i % 26), i % 3 === 0), i * 7, i, i * 7 + 3, 2);
    const views: { v: CompletionStore; at: number }[] = [];
    for (let i = 0; i < 8192 + 70; i++) {
      row(i);
      // A view at each size the first block passes through, the group of its last row then set on the view.
      if ([63, 64, 65, 127, 128, 4095, 4096, 8191, 8192].includes(i + 1)) {
        const v = s.view();
        v.setGroup(i, i);
        views.push({ v, at: i + 1 });
      }
    }
    for (let i = 0; i < s.length; i += 37) assert.equal(s.get(i).chars, i);
    assert.equal(s.get(8191).line, 8192);
    assert.equal(s.get(8192 + 69).answer, String.fromCharCode(65 + ((8192 + 69) % 26)));
    for (const { v, at } of views) {
      assert.equal(v.length, at);
      assert.equal(v.group(at - 1), at - 1, `the view of ${at} rows keeps the group set on it`);
      for (const i of [0, at >> 1, at - 1]) {
        const c = v.get(i);
        assert.deepEqual([c.line, c.chars, c.accuracy, c.contentOffset, c.timestamp], [i + 1, i, i / 10, i * 7, `t${i}`]);
      }
    }
  });

  test('append merges stores, their files and timestamps by text, and keeps groups', () => {
    const a = new CompletionStore();
    const b = new CompletionStore();
    a.push(a.fileIndex('a.log'), 1, a.timestampOf('x'), 1, facts(1, 3, 0x1f600, true), 0, 3, 4, 1);
    b.push(b.fileIndex('b.log'), 7, b.timestampOf('y'), 0, facts(0, 2, 66, false), 10, 2, 13, 1);
    b.push(b.fileIndex('b.log'), 9, b.timestampOf('x'), 0.5, facts(0, 2, -1, true), 20, 2, 23, 1);
    b.setGroup(1, 4);
    const m = new CompletionStore();
    m.append(a);
    m.append(b);
    assert.deepEqual(
      m.toArray().map((c) => [c.file, c.line, c.timestamp, c.accuracy, c.answer, c.group]),
      [
        ['a.log', 1, 'x', 1, '😀', -1],
        ['b.log', 7, 'y', 0, 'B', -1],
        ['b.log', 9, 'x', 0.5, '', 4],
      ],
    );
    assert.deepEqual(m.timestamps, ['x', 'y']);
  });
});
