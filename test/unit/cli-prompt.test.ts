/**
 * `st-think prompt`, as shipped (dist/cli.js, written by `npm run build`): what a re-run would send,
 * without a model. Expected texts come from the data files themselves (a row's reference chain, its
 * problem) and from the upstream scripts' strings, not from the code under test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture, makeTempDir, realDataFile, removeDir, repoRoot } from './helpers';

const cli = process.env.ST_THINK_CLI ? path.resolve(process.env.ST_THINK_CLI) : path.join(repoRoot, 'dist/cli.js');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!fs.existsSync(cli)) assert.fail(`${cli} not found: run \`npm run build\` first (the CLI tests run the compiled bundle)`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const json = (...args: string[]) => {
  const r = run('prompt', ...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON, read field by field in the assertions
  return JSON.parse(r.stdout) as Record<string, any>;
};

interface R1Row {
  problem: string;
  solution: string;
}
const rows: R1Row[] = fs
  .readFileSync(realDataFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
// grpo.py's QUESTION_TEMPLATE after "{Question}", and mcq_infer.py's text after the options.
const GRPO_TAIL =
  ' Please answer in English. Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, ' +
  'i.e., <think> reasoning process here </think><answer> answer here </answer>. ';
const INFER_TAIL =
  '\n\nInstructions: Please select the most appropriate answer from the options above ' +
  'and return only the option number (e.g. A, B, C or D).' +
  'Output the thinking process in <think> </think> and final answer in <answer> </answer> tags, ' +
  'i.e., <think> reasoning process here </think><answer> answer here </answer>.';

let dir = '';
before(() => {
  dir = makeTempDir('cli-prompt');
});
after(() => removeDir(dir));

describe('st-think prompt (dist/cli.js)', () => {
  test("reverse, as trained: the row's own chain opening; the GRPO prompt around the problem; defaults with their sources", () => {
    // Line 2 is a forward direction question: its chain opens with the landmark question of the way back.
    const out = json(realDataFile, '--line', '2', '--mode', 'reverse');
    const row = rows[1];
    assert.equal(out.line, 2);
    assert.equal(out.id, 'line-2');
    assert.deepEqual(
      [out.category, out.direction, out.mode, out.prefixStyle, out.optionsFrom],
      ['direction', 'forward', 'reverse', 'as-trained', 'embedded'],
    );
    assert.equal(out.assistantPrefix, row.solution.slice(0, row.solution.indexOf('?') + 1));
    assert.equal(out.counterpart.method, 'trained');
    assert.equal(out.system, 'You are a helpful assistant.');
    assert.equal(out.user, row.problem + GRPO_TAIL);
    assert.equal(
      out.chat,
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
        `<|im_start|>user\n<|vision_start|><|video_pad|><|vision_end|>${out.user}<|im_end|>\n<|im_start|>assistant\n${out.assistantPrefix}`,
    );
    assert.equal(out.input, out.chat.replace('<|video_pad|>', '<|image_pad|>'));
    assert.deepEqual(out.generation, {
      maxNewTokens: 512,
      doSample: false,
      temperature: 1,
      topK: 50,
      topP: 1,
      repetitionPenalty: 1,
      seed: 0,
    });
    assert.equal(out.generationSources.maxNewTokens, 'upstream script');
    assert.equal(out.generationSources.topK, 'transformers default');
    assert.equal(out.generationConfig, null);
  });

  test("--prefix as-worded: the question's own opposite; forward mode has no prefix", () => {
    const worded = json(realDataFile, '--line', '2', '--mode', 'reverse', '--prefix', 'as-worded');
    assert.equal(
      worded.assistantPrefix,
      "<think>Let's start by thinking reverse what directions do you need to go through to get to starting point ?",
    );
    assert.equal(worded.prefixStyle, 'as-worded');
    const fwd = json(realDataFile, '--line', '2');
    assert.equal(fwd.mode, 'forward');
    assert.equal(fwd.assistantPrefix, '');
    assert.equal(fwd.prefixStyle, undefined);
    assert.equal(fwd.counterpart, null);
  });

  test('options stored as a list go in as stored, joined by line breaks (a multi-line JSON file, the record on its first line)', () => {
    // "0_13" starts on line 11 of the fixture; its options are bare strings.
    const out = json(fixture('benchmark-predict.json'), '--line', '11');
    assert.equal(out.id, '0_13');
    assert.equal(out.optionsFrom, 'list');
    assert.equal(
      out.user,
      'Based on this video, which landmarks (objects or scenery changes) did you pass by to return to the starting point?' +
        'Options:a bench\na fountain\na statue' +
        INFER_TAIL,
    );
  });

  test("--model DIR: the folder's generation_config.json, each setting's source named", () => {
    const model = path.join(dir, 'model');
    fs.mkdirSync(model);
    fs.writeFileSync(
      path.join(model, 'generation_config.json'),
      JSON.stringify({
        do_sample: true,
        temperature: 0.01,
        top_p: 0.001,
        top_k: 1,
        repetition_penalty: 1.05,
        max_new_tokens: 99,
        eos_token_id: [1, 2],
      }),
    );
    const out = json(realDataFile, '--line', '1', '--model', model);
    assert.deepEqual(out.generation, {
      maxNewTokens: 512,
      doSample: true,
      temperature: 0.01,
      topK: 1,
      topP: 0.001,
      repetitionPenalty: 1.05,
      seed: 0,
    });
    assert.deepEqual(out.generationSources, {
      maxNewTokens: 'upstream script',
      doSample: 'generation_config.json',
      temperature: 'generation_config.json',
      topK: 'generation_config.json',
      topP: 'generation_config.json',
      repetitionPenalty: 'generation_config.json',
      seed: 'inspector default',
    });
    assert.equal(out.generationConfig, path.join(model, 'generation_config.json'));
    // The text output: every section, and the settings table with sources.
    const text = run('prompt', realDataFile, '--line', '1', '--mode', 'reverse', '--model', model);
    assert.equal(text.code, 0, text.stderr);
    for (const h of [
      '=== system ===',
      '=== user (after the video) ===',
      '=== assistant prefix ===',
      '=== chat text',
      `=== generation (following ${path.join(model, 'generation_config.json')}) ===`,
    ]) {
      assert.ok(text.stdout.includes(h), h);
    }
    assert.match(text.stdout, /^repetition_penalty +1\.05 +generation_config\.json$/m);
    assert.match(text.stdout, /^max_new_tokens +512 +upstream script$/m);
    assert.ok(text.stdout.includes(`=== assistant prefix ===\n${rows[0].solution.slice(0, rows[0].solution.indexOf('?') + 1)}\n`));
    // A folder without the file, or with a bad value: exit 1, the file and the reason named.
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    const missing = run('prompt', realDataFile, '--line', '1', '--model', empty);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `st-think: ${path.join(empty, 'generation_config.json')}: is missing\n`);
    fs.writeFileSync(path.join(model, 'generation_config.json'), '{"top_k": "many"}');
    const wrong = run('prompt', realDataFile, '--line', '1', '--model', model);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, `st-think: ${path.join(model, 'generation_config.json')}: top_k must be a number (got "many")\n`);
  });

  test('bad input: exit 1 with file, line and reason', () => {
    const file = path.join(dir, 'mixed.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ id: 'q1', video: 'v.mp4', question: 'What colour is the sofa?', options: ['A. red', 'B. blue'], response: '' }),
        '{"not": "a record"}',
        JSON.stringify({
          id: 'r1',
          video: 'v.mp4',
          question: 'Based on this video, Please describe in detail how to get to the final location.',
          response: '',
        }),
      ].join('\n') + '\n',
    );
    const cases: [string[], RegExp][] = [
      [['--line', '9'], /:9: no record starts on line 9 \(2 records start on lines 1 to 3\)$/],
      [['--line', '2'], /:2: not a valid record: /],
      [['--line', '3'], /:3: record r1 has no options: only multiple-choice questions can be re-run/],
      [['--line', '1', '--mode', 'reverse'], /:1: record q1: no counterpart question can be derived from its wording/],
    ];
    for (const [args, re] of cases) {
      const r = run('prompt', file, ...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.ok(r.stderr.startsWith(`st-think: ${file}:`), r.stderr);
      assert.match(r.stderr.trim(), re);
      assert.equal(r.stdout, '');
    }
    // A forward prompt of the same record is fine: it needs no counterpart.
    assert.equal(run('prompt', file, '--line', '1').code, 0);
    // Several records on one line cannot be told apart by the line.
    const oneLine = path.join(dir, 'one-line.json');
    fs.writeFileSync(
      oneLine,
      JSON.stringify([
        { id: 'a', video: 'v', question: 'q? Options: A. x, B. y', response: '' },
        { id: 'b', video: 'v', question: 'q? Options: A. x, B. y', response: '' },
      ]),
    );
    const two = run('prompt', oneLine, '--line', '1');
    assert.equal(two.code, 1);
    assert.match(two.stderr, /:1: 2 records start on this line \(a, b\)/);
    const gone = run('prompt', path.join(dir, 'nope.jsonl'), '--line', '1');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /nope\.jsonl/);
  });

  test('usage errors: exit 2 with the usage', () => {
    for (const args of [
      [realDataFile],
      [realDataFile, '--line', 'x'],
      [realDataFile, '--line', '0'],
      [realDataFile, '--line', '1', '--mode', 'sideways'],
      [realDataFile, '--line', '1', '--prefix', 'backwards'],
      [realDataFile, '--line', '1', '--temperature', '2'],
      ['--line', '1'],
    ]) {
      const r = run('prompt', ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^st-think: .+\nusage:/);
    }
    const help = run('help');
    assert.match(
      help.stdout,
      /st-think prompt FILE --line N \[--mode forward\|reverse\] \[--prefix as-trained\|as-worded\] \[--model DIR\] \[--json\]/,
    );
  });
});
