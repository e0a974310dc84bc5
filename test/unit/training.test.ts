/**
 * Training runs (issue 13): the Python-literal parser, trainer_state.json, the reward debug log and the
 * training log (streaming, partial last entries, interleaved output, bad input with file and line),
 * the groups' advantages as upstream's trainer computes them, and run folders.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  assignLogSteps,
  filterGroups,
  groupAdvantages,
  NotTrainingRunError,
  parsePyLiteral,
  parsePythonJson,
  PyLiteralError,
  readRange,
  readTrainerState,
  scanTrainerState,
  TrainingLogReader,
  TrainingRun,
  type MetricEntry,
} from '../../src/core/training';
import { entryKind } from '../../src/core/training/trainerState';
import { answerTag, formatValid, pyStrip } from '../../src/core/derive';
import { fixture, makeTempDir, removeDir } from './helpers';

let dir = '';
before(() => {
  dir = makeTempDir('training');
});
after(() => removeDir(dir));

function temp(name: string, text: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const SOL = '<think>Hence, the correct answer is A</think> <answer>A</answer>';
const entry = (ts: string, reward: string, content: string, sol = SOL) =>
  `------------- ${ts} Accuracy reward: ${reward} -------------\nContent: ${content}\nSolution: ${sol}\n`;

/** Metrics entries with their values as own properties (a printed dict's values are a getter, read on first use). */
const withValues = (ms: readonly MetricEntry[]) => ms.map((m) => ({ ...m, values: m.values }));

async function readLog(file: string, chunkSize?: number, deferDicts?: boolean): Promise<TrainingLogReader> {
  const r = new TrainingLogReader(file, { chunkSize, deferDicts });
  await r.read();
  return r;
}

describe('Python literals (printed trainer dicts)', () => {
  test('floats as repr writes them, nan and inf, strings with escapes, nesting', () => {
    const text =
      "{'loss': 0.0, 'learning_rate': 1e-06, 'kl': -2.5E+3, 'grad_norm': nan, 'a': inf, 'b': -inf, 'n': 10, " +
      "'s': 'it\\'s \"x\"\\n\\x41\\u00e9', \"d\": \"q'\", 't': (1, 2), 'l': [True, False, None], 'e': {}}";
    const { value, end } = parsePyLiteral(text + ' trailing');
    const v = value as Record<string, unknown>;
    assert.equal(v.loss, 0);
    assert.equal(v.learning_rate, 1e-6);
    assert.equal(v.kl, -2500);
    assert.ok(Number.isNaN(v.grad_norm));
    assert.equal(v.a, Infinity);
    assert.equal(v.b, -Infinity);
    assert.equal(v.n, 10);
    assert.equal(v.s, 'it\'s "x"\nAé');
    assert.equal(v.d, "q'");
    assert.deepEqual(v.t, [1, 2]);
    assert.deepEqual(v.l, [true, false, null]);
    assert.deepEqual(v.e, {});
    assert.equal(end, text.length);
  });

  test('numbers wrapped as numpy 2 and torch print them', () => {
    const v = parsePyLiteral("{'loss': np.float64(0.25), 'grad_norm': tensor(1.5, device='cuda:0'), 'x': np.int64(3)}").value;
    assert.deepEqual(v, { loss: 0.25, grad_norm: 1.5, x: 3 });
  });

  test('bad input says what and where', () => {
    assert.throws(
      () => parsePyLiteral("{'loss': 0.0,, 'x': 1}"),
      (e: PyLiteralError) => e instanceof PyLiteralError && e.at === 13,
    );
    assert.throws(() => parsePyLiteral("{'loss': os.system('x')}"), /unknown name 'os.system'/);
    assert.throws(() => parsePyLiteral("{'loss': 0.0"), /end of the line/);
    assert.throws(() => parsePyLiteral("{'loss: 0.0}"), /unterminated string/);
  });
});

describe('trainer_state.json', () => {
  test("Python's json words NaN and Infinity, but not inside strings", () => {
    const v = parsePythonJson('{"a": NaN, "b": -Infinity, "c": Infinity, "s": "NaN Infinity"}') as Record<string, unknown>;
    assert.ok(Number.isNaN(v.a));
    assert.equal(v.b, -Infinity);
    assert.equal(v.c, Infinity);
    assert.equal(v.s, 'NaN Infinity');
  });

  test('log_history: training and eval entries with their steps and lines; top-level fields', () => {
    const file = fixture('training/run/checkpoint-4/trainer_state.json');
    const st = readTrainerState(file, fs.readFileSync(file, 'utf8'));
    assert.deepEqual(st.problems, []);
    assert.equal(st.truncated, false);
    assert.deepEqual(
      st.entries.map((e) => [e.kind, e.step]),
      [
        ['train', 1],
        ['train', 2],
        ['eval', 2],
        ['train', 3],
        ['train', 4],
        ['eval', 4],
      ],
    );
    assert.equal(st.entries[0].line, 11);
    assert.equal(st.entries[0].values['rewards/accuracy_reward'], 0.25);
    assert.equal(st.entries[0].values.learning_rate, 8.750000000000001e-6);
    assert.ok(Number.isNaN(st.entries[3].values.grad_norm), 'grad_norm NaN in step 3');
    assert.equal(st.entries[2].values.eval_loss, 0.002);
    assert.equal(st.fields.global_step, 4);
    assert.equal(st.fields.logging_steps, 1);
  });

  test('the whole-document fast path gives what the entry-by-entry scan gives (lines included)', () => {
    for (const name of ['training/run/checkpoint-2/trainer_state.json', 'training/run/checkpoint-4/trainer_state.json']) {
      const text = fs.readFileSync(fixture(name), 'utf8');
      const fast = readTrainerState(name, text);
      const scanned = scanTrainerState(name, text);
      assert.deepEqual(fast, scanned, name);
      assert.ok(fast.entries.length >= 3);
    }
    // Another layout (one line): the scan reads it, with the same values.
    const text = fs.readFileSync(fixture('training/run/checkpoint-4/trainer_state.json'), 'utf8');
    const oneLine = text.replace(/\n\s*/g, ' ');
    assert.deepEqual(
      readTrainerState('x', oneLine).entries.map((e) => [e.step, e.kind, e.line]),
      readTrainerState('x', text).entries.map((e) => [e.step, e.kind, 1]),
    );
  });

  test("the fast path's entries with and without `step` last (sorted keys): values as the scan reads them, no step among them", () => {
    const history = [
      { epoch: 0.1, loss: 0.5, reward: 'NaN', step: 1 },
      { epoch: 0.1, eval_loss: 0.25, step: 1 },
      { epoch: 0.2, loss: 0.4, note: 'warm-up', step: 2 },
      { __proto__: 3, epoch: 0.2, loss: 0.3, step: 2 },
      { epoch: 0.2, step: 2, total_flos: 12, train_loss: 0.45, train_runtime: 9.5 },
      { epoch: 0.3, flag: true, loss: 0.2, step: 3 },
    ];
    const json = JSON.stringify({ global_step: 3, log_history: history, logging_steps: 1 }, null, 2);
    // Python's json writes NaN bare; the __proto__ key as an own key of the parsed entry.
    const text = json
      .replace('"NaN"', 'NaN')
      .replace('"epoch": 0.2,\n      "loss": 0.3', '"__proto__": 3,\n      "epoch": 0.2,\n      "loss": 0.3');
    assert.match(text, /"__proto__": 3/);
    const fast = readTrainerState('s.json', text);
    assert.deepEqual(fast, scanTrainerState('s.json', text));
    assert.deepEqual(
      fast.entries.map((e) => [e.kind, e.step, Object.keys(e.values).join(' ')]),
      [
        ['train', 1, 'epoch loss reward'],
        ['eval', 1, 'epoch eval_loss'],
        ['train', 2, 'epoch loss'],
        ['train', 2, 'epoch loss'],
        ['summary', 2, 'epoch total_flos train_loss train_runtime'],
        ['train', 3, 'epoch loss'],
      ],
    );
    assert.ok(Number.isNaN(fast.entries[0].values.reward));
    assert.ok(fast.entries.every((e) => !('step' in e.values)));
  });

  test('a file cut short keeps the entries before the cut and says where', () => {
    const text = fs.readFileSync(fixture('training/run/checkpoint-4/trainer_state.json'), 'utf8');
    const cutAt = text.indexOf('"step": 3');
    const st = readTrainerState('cut.json', text.slice(0, cutAt));
    assert.equal(st.truncated, true);
    assert.equal(st.entries.length, 3);
    assert.equal(st.problems.length, 1);
    assert.match(st.problems[0].message, /ends inside the JSON document/);
    assert.equal(st.problems[0].line, text.slice(0, text.lastIndexOf('{', cutAt)).split('\n').length);
  });

  test('a bad entry is one problem with its line; the others are read', () => {
    const text =
      '{\n  "log_history": [\n    {"loss": 1, "step": 1},\n    {"loss": 2},\n' +
      '    {"loss": tru, "step": 3},\n    {"loss": 4, "step": 4}\n  ]\n}\n';
    const st = readTrainerState('s.json', text);
    assert.deepEqual(
      st.entries.map((e) => e.step),
      [1, 4],
    );
    assert.deepEqual(
      st.problems.map((p) => [p.line, p.message.split(':')[0]]),
      [
        [4, 'log_history entry has no integer "step"'],
        [5, 'log_history entry is not valid JSON'],
      ],
    );
  });
});

describe('reward debug log', () => {
  test('completions with raw multi-line contents, interleaved output left out, a partial last entry pending', async () => {
    const file = fixture('training/reward-debug.log');
    const r = await readLog(file);
    assert.deepEqual(r.problems, []);
    assert.equal(r.completions.length, 16);
    assert.deepEqual(r.pending, { line: 59, reason: 'the last entry has no "Solution: " line yet' });
    const c0 = r.completions.get(0);
    assert.equal(c0.line, 1);
    assert.equal(c0.timestamp, '03-10-00-01-123456');
    assert.equal(c0.accuracy, 1);
    assert.equal(
      await readRange(file, c0.contentOffset, c0.contentLength),
      '<think>I passed the sofa.\nThen the door.\n\nSo A.</think>\n<answer>A</answer>',
    );
    // A completion that itself writes a line starting "Solution: ": the entry's last such line is the solution.
    const c3 = r.completions.get(3);
    assert.equal(
      await readRange(file, c3.contentOffset, c3.contentLength),
      '<think>left, then\nSolution: go left\n</think><answer>C</answer>',
    );
    assert.match(
      await readRange(file, c3.solutionOffset, c3.solutionLength),
      /^<think>Let's start by thinking forward .*<answer>C<\/answer>$/,
    );
    // The tqdm bar and the trainer's dict after it, and print(contents[:2])'s list, are not part of a solution.
    assert.equal(r.completions.get(4).line, 20);
    assert.equal(r.metrics.length, 1);
    assert.equal(r.metrics[0].line, 19);
    assert.equal(r.metrics[0].values['rewards/accuracy_reward'], 0.25);
    const c9 = r.completions.get(9);
    assert.doesNotMatch(await readRange(file, c9.solutionOffset, c9.solutionLength), /\n/);
    assert.equal(r.otherLines, 1);
    // Format check (grpo.py's format_reward) and lengths in code points.
    assert.deepEqual(
      r.completions.toArray().map((c) => c.format),
      [1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0],
    );
    assert.equal(r.completions.get(7).chars, 44, 'the emoji is one character');
    assert.equal(r.completions.get(7).answer, 'C');
    assert.equal(r.completions.get(15).chars, 0);
  });

  test('the same result for any chunk size (entries and lines across chunk boundaries)', async () => {
    const file = fixture('training/reward-debug.log');
    const whole = await readLog(file);
    for (const size of [1, 7, 64, 333]) {
      const r = await readLog(file, size);
      assert.deepEqual(r.completions.toArray(), whole.completions.toArray(), `chunk size ${size}`);
      assert.deepEqual(withValues(r.metrics), withValues(whole.metrics), `chunk size ${size}`);
      assert.deepEqual(r.pending, whole.pending, `chunk size ${size}`);
      assert.equal(r.otherLines, whole.otherLines, `chunk size ${size}`);
    }
  });

  test('a log being written: a second read takes the rest, nothing counted twice', async () => {
    const text = fs.readFileSync(fixture('training/reward-debug.log'), 'utf8');
    const cut = text.indexOf('Solution:', text.indexOf('03-10-00-11-000001')) + 4;
    const file = temp('growing.log', text.slice(0, cut));
    const r = new TrainingLogReader(file);
    await r.read();
    assert.equal(r.completions.length, 8);
    assert.match(r.pending!.reason, /no "Solution: " line yet/);
    fs.appendFileSync(file, text.slice(cut));
    await r.read();
    const whole = await readLog(fixture('training/reward-debug.log'));
    assert.equal(r.completions.length, 16);
    assert.deepEqual(
      r.completions.toArray().map((c) => [c.line, c.contentOffset, c.solutionLength]),
      whole.completions.toArray().map((c) => [c.line, c.contentOffset, c.solutionLength]),
    );
    assert.equal(r.metrics.length, 1);
    assert.equal(r.otherLines, whole.otherLines);
  });

  test('a last entry with no final line break waits; once ended it counts', async () => {
    const file = temp('nolf.log', entry('01-00-00-00-000001', '1.0', 'x').slice(0, -1));
    const r = new TrainingLogReader(file);
    await r.read();
    assert.equal(r.completions.length, 0);
    assert.deepEqual(r.pending, { line: 1, reason: 'the last entry has no final line break yet' });
    fs.appendFileSync(file, '\n');
    await r.read();
    assert.equal(r.completions.length, 1);
    assert.equal(r.pending, undefined);
  });

  test('bad entries are reported with file, line and reason; the others are read', async () => {
    const text =
      entry('01-00-00-00-000001', '1.0', 'ok') +
      entry('01-00-00-00-000001', 'abc', 'bad reward') +
      '------------- 01-00-00-00-000002 Accuracy reward: 0.0 -------------\nno content line\n' +
      '------------- 01-00-00-00-000003 Accuracy reward: 0.0 -------------\nContent: no solution\n' +
      entry('01-00-00-00-000004', '0.0', 'last');
    const file = temp('bad.log', text);
    const r = await readLog(file);
    assert.deepEqual(
      r.problems.map((p) => [path.basename(p.file), p.line, p.message]),
      [
        ['bad.log', 4, 'accuracy reward "abc" is not a number; entry skipped'],
        ['bad.log', 7, 'entry has no "Content: " line; skipped'],
        ['bad.log', 9, 'entry has no "Solution: " line; skipped'],
      ],
    );
    assert.deepEqual(
      r.completions.toArray().map((c) => c.line),
      [1, 11],
    );
  });

  test("a completion's answer letter, format check and length as answerTag, pyStrip, formatValid and Python's len give them", async () => {
    const contents = [
      '<think>a</think> <answer> B </answer>',
      '<think>a</think>\u3000<answer>\u3000\ud83d\ude00x</answer>',
      '<answer> </answer>',
      '<answer>A',
      '<answer>\u00a0Z\n</answer>',
      '<answer>\ud83d\ude00</answer><answer>C</answer>',
      '<think>x</think><answer>\x1cD</answer> tail',
      'no tag <think></think>',
      '<think>x</think>\n<answer>é</answer>',
    ];
    const text = contents.map((c, i) => entry(`01-00-00-00-00000${i}`, '1.0', c)).join('');
    const r = await readLog(temp('answers.log', text));
    assert.deepEqual(
      r.completions.toArray().map((c) => [c.answer, c.format, c.chars, c.hasThink]),
      contents.map((c) => {
        const stripped = pyStrip(answerTag(c) ?? '');
        return [
          stripped ? String.fromCodePoint(stripped.codePointAt(0)!) : '',
          formatValid(c) ? 1 : 0,
          [...c].length,
          c.includes('<think>') && c.includes('</think>'),
        ];
      }),
    );
    assert.deepEqual(
      r.completions.toArray().map((c) => c.answer),
      ['B', '\ud83d\ude00', '', '', 'Z', '\ud83d\ude00', 'D', '', 'é'],
    );
  });

  test('invalid UTF-8 in a content is reported; a binary file is refused', async () => {
    const bytes = Buffer.concat([
      Buffer.from(entry('01-00-00-00-000001', '0.0', 'a').slice(0, -1 - SOL.length - 11)),
      Buffer.from([0xff, 0xfe, 0x41]),
    ]);
    const file = temp('utf8.log', Buffer.concat([bytes, Buffer.from(`\nSolution: ${SOL}\n`)]));
    const r = await readLog(file);
    assert.equal(r.completions.length, 1);
    assert.deepEqual(
      r.problems.map((p) => [p.line, p.message]),
      [[1, 'content is not valid UTF-8 (its bad bytes read as U+FFFD)']],
    );
    // U+FFFD written as such (valid UTF-8) is text like any other.
    const replacement = await readLog(temp('fffd.log', entry('01-00-00-00-000001', '0.0', 'a \ufffd b')));
    assert.deepEqual([replacement.completions.length, replacement.problems], [1, []]);
    assert.equal(replacement.completions.get(0).chars, 5);
    const bin = temp('bin.log', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    await assert.rejects(readLog(bin), (e: Error) => e instanceof NotTrainingRunError && /binary content \(a PNG image/.test(e.message));
  });

  test('an entry over the size limit is skipped and reported; the next one is read', async () => {
    const text = entry('01-00-00-00-000001', '0.0', 'x'.repeat(5000)) + entry('01-00-00-00-000002', '1.0', 'short');
    const r = new TrainingLogReader(temp('big.log', text), { maxEntryBytes: 1000, chunkSize: 256 });
    await r.read();
    assert.deepEqual(
      r.problems.map((p) => [p.line, p.message]),
      [[1, 'entry is longer than 1000 bytes; skipped']],
    );
    assert.deepEqual(
      r.completions.toArray().map((c) => c.line),
      [4],
    );
  });
});

describe('training log (printed dicts)', () => {
  test('dict lines among other output, after tqdm bars; steps by order; the partial last line pending', async () => {
    const file = fixture('training/run/output_log.txt');
    const r = await readLog(file);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.metrics.map((m) => [m.kind, m.line]),
      [
        ['train', 5],
        ['train', 8],
        ['eval', 9],
        ['train', 12],
        ['train', 15],
        ['eval', 16],
        ['train', 19],
        ['train', 22],
        ['eval', 23],
      ],
    );
    assert.ok(Number.isNaN(r.metrics[3].values.grad_norm));
    assert.equal(r.metrics[0].values.learning_rate, 8.750000000000001e-6);
    assert.deepEqual(r.pending, { line: 24, reason: 'the last line has no line break yet' });
  });

  test('every printed dict reads as the Python parser reads it (JSON.parse and the flat reader are only quicker ways)', async () => {
    const lines = [
      "{'loss': 0.5, 'grad_norm': 1e-06, 'kl': -0.0, 'epoch': 0.1}",
      "{'loss': 0.5, 'flag': true, 'epoch': 0.1}", // JSON's true is no Python name: a problem
      "{'loss': 0.5, 'ok': True, 'epoch': 0.1}", // Python's True: not a metric
      "{'loss': nan, 'epoch': -inf}",
      "{'loss': 1., 'epoch': 01}",
      "{'2': 0.5, 'loss': 0.25, '1': 0.75, 'loss': 0.125, 'epoch': 1}", // key order and duplicates
      "{'__proto__': 1, 'loss': 0.5, 'epoch': 0.1}",
      "{'lr': 0.5, 'x': 0.1}", // not the trainer's: other output
      "{'loss': 0.5, \"it's\": 0.25, 'epoch': 0.1}",
      "{'loss': 0.5, 'epoch': 0.1}  \r",
      "{'loss': 0.5,\t'epoch': 0.1}",
      "{'loss': 0.5, 'epoch': 0.1} trailing",
      "{'loss': [0.5], 'epoch': 0.1}",
    ];
    const file = temp('dicts.log', lines.join('\n') + '\n');
    // Small chunks too: each chunk's bytes start at a line start, where a dict's line may start.
    const small = await readLog(file, 64);
    const r = await readLog(file);
    const want = lines.flatMap((text, i) => {
      try {
        const { value, end } = parsePyLiteral(text);
        if (text.slice(end).trim()) return [];
        const values = Object.fromEntries(Object.entries(value as object).filter(([, x]) => typeof x === 'number'));
        return 'loss' in values || 'epoch' in values ? [{ line: i + 1, values }] : [];
      } catch {
        return [];
      }
    });
    assert.deepEqual(
      r.metrics.map((m) => ({ line: m.line, values: { ...m.values } })),
      want,
    );
    assert.deepEqual(
      r.metrics.map((m) => m.line),
      [1, 3, 4, 5, 6, 7, 9, 10, 11, 13],
    );
    assert.deepEqual(Object.keys(r.metrics[4].values), ['1', '2', 'loss', 'epoch']);
    assert.equal(r.metrics[4].values.loss, 0.125);
    assert.ok(Object.is(r.metrics[0].values.kl, -0));
    assert.equal(Object.getPrototypeOf(r.metrics[5].values), Object.prototype);
    assert.deepEqual(
      r.problems.map((p) => p.line),
      [2, 12],
    );
    assert.deepEqual(withValues(small.metrics), withValues(r.metrics));
    assert.deepEqual(small.problems, r.problems);
  });

  test("the trainer's usual dicts known without being built, their values read on first use as the parsers read them", async () => {
    // [line, read on first use]: JSON's own `{"key": number}` once its quotes are swapped (lazy), else read at once.
    const lines: [string, boolean][] = [
      ["{'loss': 0.5, 'grad_norm': 1.5e-07, 'kl': -0.0, 'epoch': 0.1}", true],
      ["{'eval_loss': 0.5, 'train_runtime': 2, 'epoch': 1}", true], // eval: its first such key decides
      ["{'train_runtime': 20.5, 'eval_x': 1, 'train_loss': 0.25, 'epoch': 1}", true], // summary
      ["{'2': 1, 'train_runtime': 3, 'eval_b': 4}", true],
      ["{'loss' :0.5 ,'epoch':1E+2}", true],
      ["{'loss': 0.5, 'loss': 0.25, 'é': 2, 'epoch': 0}", true],
      ["{'loss': 0.5, 'epoch': 0.1}  \r", true],
      ["{'lr': 0.5, 'x': 0.1}", false], // not the trainer's: other output
      ["{'loss': 0.5, 'epoch': 01}", false],
      ["{'loss': 0.5, 'epoch': 1.}", false],
      ["{'loss': 0.5, 'epoch': .5}", false],
      ["{'loss': 0.5, 'epoch': 1e}", false],
      ["{'loss': nan, 'epoch': 1}", false],
      ["{'loss': 0.5, 'a\tb': 1, 'epoch': 1}", false], // a control character: JSON refuses it, the flat reader takes it
      ["{'__proto__': 1, 'loss': 0.5}", false],
      ["{'loss': 0.5, 'epoch': 1},", false],
      ["{'loss': 0.5, 'epoch': 1", false],
    ];
    const file = temp('lazy-dicts.log', lines.map(([t]) => t).join('\n') + '\n');
    const r = await readLog(file, undefined, true);
    const eager = await readLog(file);
    assert.ok(
      eager.metrics.every((m) => Object.prototype.hasOwnProperty.call(m, 'values')),
      'without deferDicts every dict is parsed',
    );
    assert.deepEqual(withValues(eager.metrics), withValues(r.metrics));
    assert.deepEqual(eager.problems, r.problems);
    const lazy = r.metrics.map((m) => !Object.prototype.hasOwnProperty.call(m, 'values')); // a getter of its class
    const want = lines.flatMap(([text, isLazy], i) => {
      try {
        const { value, end } = parsePyLiteral(text);
        if (text.slice(end).trim()) return [];
        const values = Object.fromEntries(Object.entries(value as object).filter(([, x]) => typeof x === 'number'));
        const trainer = Object.keys(values).some((k) => k === 'loss' || k === 'epoch' || k === 'train_runtime' || k.startsWith('eval_'));
        return trainer ? [{ line: i + 1, kind: entryKind(values), values, lazy: isLazy }] : [];
      } catch {
        return [];
      }
    });
    assert.deepEqual(
      r.metrics.map((m, i) => ({ line: m.line, kind: m.kind, values: { ...m.values }, lazy: lazy[i] })),
      want,
    );
    assert.deepEqual(
      r.metrics.map((m) => m.kind),
      ['train', 'eval', 'summary', 'summary', ...Array(r.metrics.length - 4).fill('train')],
    );
    assert.equal(r.metrics[0].values, r.metrics[0].values, 'read once');
    assert.deepEqual(
      r.problems.map((p) => p.line),
      [9, 10, 11, 12, 16, 17].filter((l) => !want.some((w) => w.line === l)),
    );
  });

  test('a line that starts like a metrics dict and does not parse is a problem with its line', async () => {
    const file = temp('train.log', "starting\n{'loss': 0.5, 'epoch': 0.1}\n{'loss': 0.4,, 'epoch': 0.2}\n{'loss': 0.3, 'epoch': 0.3}\n");
    const r = await readLog(file);
    assert.equal(r.metrics.length, 2);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0].line, 3);
    assert.match(r.problems[0].message, /does not parse: expected a value, found ',' at column 14/);
  });
});

describe('groups and advantages (grpo_trainer.py compute_loss)', () => {
  test('(reward − mean) / (std + 1e-4), float32, std over n − 1', () => {
    const a = groupAdvantages([1, 0, 0, 1]);
    assert.equal(a.mean, 0.5);
    assert.equal(a.std, Math.fround(Math.sqrt(1 / 3)));
    assert.equal(a.advantages[0], Math.fround(Math.fround(0.5) / Math.fround(Math.fround(Math.sqrt(1 / 3)) + Math.fround(1e-4))));
    assert.equal(a.advantages[0], 0.8658754229545593);
    assert.equal(a.advantages[1], -0.8658754229545593);
    const eight = groupAdvantages([1, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(eight.mean, 0.125);
    assert.equal(eight.std, Math.fround(Math.sqrt(0.125)));
    assert.equal(eight.advantages[0], Math.fround(Math.fround(0.875) / Math.fround(eight.std + Math.fround(1e-4))));
    const same = groupAdvantages([1, 1, 1]);
    assert.deepEqual([same.std, ...same.advantages], [0, 0, 0, 0]);
    const one = groupAdvantages([1]);
    assert.ok(Number.isNaN(one.std) && Number.isNaN(one.advantages[0]), 'torch: std of one value with n − 1 is NaN');
  });

  test("the std is within 3 float32 ulps of a float32 Welford (CUDA's accumulation) on every 0/1 group of up to 12", () => {
    const f = Math.fround;
    let worst = 0;
    for (let n = 2; n <= 12; n++) {
      for (let m = 0; m < 1 << n; m++) {
        const xs = Array.from({ length: n }, (_, i) => (m >> i) & 1);
        let mean = 0;
        let m2 = 0;
        xs.forEach((x, i) => {
          const d = f(x - mean);
          mean = f(mean + f(d / (i + 1)));
          m2 = f(m2 + f(d * f(x - mean)));
        });
        const w = f(Math.sqrt(f(m2 / (n - 1))));
        const s = groupAdvantages(xs).std;
        if (s > 0) worst = Math.max(worst, Math.abs(w - s) / s);
      }
    }
    assert.ok(worst < 3 * 2 ** -23, `worst relative difference ${worst}`);
  });

  test('grouped by reward call (shared timestamp), calls of two processes interleaved; flags and filters', async () => {
    const run = await TrainingRun.open(fixture('training/reward-debug.log'));
    assert.equal(run.groups.length, 4);
    assert.deepEqual(
      run.groups.map((g) => [g.timestamp, g.completions.length, g.rewards.join('')]),
      [
        ['03-10-00-01-123456', 4, '1001'],
        ['03-10-00-01-654321', 4, '0101'],
        ['03-10-00-11-000001', 4, '1111'],
        ['03-10-00-11-500000', 4, '0000'],
      ],
    );
    assert.deepEqual(run.rewardFuncs, ['accuracy']);
    assert.deepEqual(
      run.groups.map((g) => [g.zeroVariance, g.allWrong, g.allFormatBroken]),
      [
        [false, false, false],
        [false, false, false],
        [true, false, false],
        [true, true, true],
      ],
    );
    assert.deepEqual(
      filterGroups(run.groups, 'longest').map((g) => g.call),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      filterGroups(run.groups, 'zero-variance').map((g) => g.call),
      [3, 4],
    );
    assert.equal(run.completions.get(2).group, 0);
    assert.equal(run.completions.get(3).group, 1);
    const s = run.summary();
    assert.deepEqual([s.completions, s.groups, s.zeroVarianceGroups, s.meanAccuracyReward], [16, 4, 2, 0.5]);
  });

  test('with the format reward summed, each reward is accuracy + format (recomputed from the content)', async () => {
    const run = await TrainingRun.open(fixture('training/reward-debug.log'), { rewardFuncs: ['accuracy', 'format'] });
    assert.deepEqual(
      run.groups.map((g) => g.rewards),
      [
        [2, 1, 0, 1],
        [1, 2, 1, 2],
        [2, 2, 2, 2],
        [0, 0, 0, 0],
      ],
    );
    assert.deepEqual(
      run.groups.map((g) => g.zeroVariance),
      [false, false, true, true],
    );
    assert.deepEqual(run.groups[0].advantages, groupAdvantages([2, 1, 0, 1]).advantages);
  });
});

describe('run folders', () => {
  test("the latest checkpoint's state, log lines after its last step, and the logs' completions", async () => {
    const run = await TrainingRun.open(fixture('training/run'));
    assert.equal(path.basename(path.dirname(run.trainerStateFile!)), 'checkpoint-4');
    assert.deepEqual(run.logFiles.map((f) => path.basename(f)).sort(), ['debug_log.txt', 'output_log.txt']);
    const s = run.summary();
    assert.deepEqual(s.metrics.reward, { points: 6, firstStep: 1, lastStep: 6, first: 0.25, last: 0.875, min: 0.25, max: 0.875 });
    assert.deepEqual(s.metrics.eval_loss, { points: 3, firstStep: 2, lastStep: 6, first: 0.002, last: 0.006, min: 0.002, max: 0.006 });
    // Step 3's grad_norm is NaN: a point, left out of min and max.
    assert.deepEqual(s.metrics.grad_norm, { points: 6, firstStep: 1, lastStep: 6, first: 1.5, last: 0.25, min: 0.25, max: 1.5 });
    assert.equal(
      run.entries
        .filter((e) => e.stepFrom === 'order')
        .map((e) => e.step)
        .join(','),
      '5,6,6',
    );
    assert.deepEqual([s.completions, s.groups], [8, 2]);
  });

  test('log steps: k-th training dict at k × logging_steps, others at the step before; only those after the state built', () => {
    const unread = (kind: MetricEntry['kind'], line: number): MetricEntry => ({
      kind,
      step: 0,
      stepFrom: 'order',
      get values(): Record<string, number> {
        throw new Error(`line ${line}'s values read`);
      },
      file: 'log',
      line,
    });
    const read = (kind: MetricEntry['kind'], line: number): MetricEntry => ({
      kind,
      step: 0,
      stepFrom: 'order',
      values: { line },
      file: 'log',
      line,
    });
    const entries = [unread('eval', 1), unread('train', 2), unread('eval', 3), unread('train', 4), unread('summary', 5)];
    entries.push(read('train', 6), read('eval', 7), read('train', 8), read('summary', 9));
    const kept = assignLogSteps(entries, 2, 4);
    assert.deepEqual(
      kept.map((e) => [e.kind, e.step, e.line, e.values.line]),
      [
        ['train', 6, 6, 6],
        ['eval', 6, 7, 7],
        ['train', 8, 8, 8],
        ['summary', 8, 9, 9],
      ],
    );
    assert.deepEqual(
      assignLogSteps(entries.slice(5), 1).map((e) => e.step),
      [1, 1, 2, 2],
    );
    assert.throws(() => assignLogSteps(entries, 2, 3), /line 4's values read/);
  });

  test('a training log that runs past the last checkpoint: its dicts after the state kept, in steps by logging_steps', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'past-'));
    fs.mkdirSync(path.join(folder, 'checkpoint-4'));
    const history: Record<string, number>[] = [1, 2, 3, 4].map((k) => ({ loss: k / 8, epoch: k / 10, step: 2 * k }));
    history.push({ eval_loss: 0.5, epoch: 0.4, step: 8 });
    const state = { global_step: 8, logging_steps: 2, log_history: history };
    fs.writeFileSync(path.join(folder, 'checkpoint-4', 'trainer_state.json'), JSON.stringify(state, null, 2));
    const dicts = [1, 2, 3, 4, 5, 6].map((k) => `{'loss': ${k / 4}, 'rewards/format_reward': 1.0, 'epoch': ${k / 10}}`);
    dicts.splice(4, 0, "{'eval_loss': 0.75, 'epoch': 0.4}"); // after the 4th training dict (step 8): the state has step 8
    dicts.splice(6, 0, "{'eval_loss': 0.25, 'epoch': 0.5}", "{'loss': nan, 'epoch': 0.5}"); // after the 5th (step 10)
    fs.writeFileSync(path.join(folder, 'output_log.txt'), dicts.map((d) => `10%|#| 1/10 [00:01<00:09]\n${d}\n`).join(''));
    const run = await TrainingRun.open(folder);
    assert.deepEqual(
      run.entries.filter((e) => e.stepFrom === 'order').map((e) => [e.kind, e.step, e.line, e.values.loss ?? e.values.eval_loss]),
      [
        ['train', 10, 12, 1.25],
        ['eval', 10, 14, 0.25],
        ['train', 12, 16, NaN],
        ['train', 14, 18, 1.5],
      ],
    );
    assert.equal(run.entries.length, 5 + 4);
    // The format reward is in the log's kept dicts only: the run summed it.
    assert.deepEqual(run.rewardFuncs, ['accuracy', 'format']);
  });

  test('a folder or file with nothing of a run is refused with one message', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'hello\n');
    await assert.rejects(TrainingRun.open(empty), NotTrainingRunError);
    await assert.rejects(
      TrainingRun.open(temp('plain.log', 'just text\n')),
      /not a training run: no metrics and no reward log entries found/,
    );
    await assert.rejects(TrainingRun.open(temp('x.json', '[1, 2]')), /not a trainer state/);
  });
});
