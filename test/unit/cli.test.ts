/**
 * The st-think CLI, as shipped: the compiled bundle dist/cli.js (written by `npm run build`).
 * ST_THINK_CLI may point at another bundle for manual checks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture, makeTempDir, removeDir, repoRoot } from './helpers';

const cli = process.env.ST_THINK_CLI ? path.resolve(process.env.ST_THINK_CLI) : path.join(repoRoot, 'dist/cli.js');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!fs.existsSync(cli)) {
    assert.fail(`${cli} not found: run \`npm run build\` first (the CLI tests run the compiled bundle)`);
  }
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir = '';
before(() => {
  dir = makeTempDir('cli');
});
after(() => removeDir(dir));

const BUCKET_KEYS = ['total', 'correct', 'accuracy'];

function checkBucket(b: unknown, where: string) {
  assert.ok(b && typeof b === 'object', `${where} is an object`);
  for (const k of BUCKET_KEYS) assert.ok(k in (b as object), `${where} has ${k}`);
}

describe('st-think CLI (dist/cli.js)', () => {
  test('the bundle exists (run `npm run build` first)', () => {
    assert.ok(fs.existsSync(cli), `${cli} not found: run \`npm run build\` first`);
  });

  test('summary FILE --json', () => {
    const r = run('summary', fixture('canonical.jsonl'), '--json');
    assert.equal(r.code, 0, r.stderr);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON, read field by field in the assertions
    const s = JSON.parse(r.stdout) as Record<string, any>;
    for (const k of ['records', 'invalid', 'formatValid', 'overall', 'byCategory', 'byDirection']) {
      assert.ok(k in s, `summary JSON has ${k}`);
    }
    assert.equal(s.rule, 'mcq_infer');
    assert.equal(s.records, 4);
    assert.equal(s.invalid, 0);
    assert.equal(s.formatValid, 3);
    checkBucket(s.overall, 'overall');
    // c1 correct, c2 incorrect, 7 incorrect ("Based…" → B), c4 route (unscored).
    assert.deepEqual([s.overall.total, s.overall.correct, s.overall.accuracy], [3, 1, 1 / 3]);
    assert.deepEqual(Object.keys(s.byCategory), ['route', 'direction', 'landmark', 'action']);
    for (const [k, b] of Object.entries(s.byCategory)) checkBucket(b, `byCategory.${k}`);
    for (const [k, b] of Object.entries(s.byDirection)) checkBucket(b, `byDirection.${k}`);
    assert.deepEqual(Object.keys(s.byDirection), ['forward', 'reverse']);
    assert.equal(s.byCategory.route.accuracy, null);
    assert.equal(s.byCategory.landmark.accuracy, 1);
  });

  test(
    'started as `st-think` (the bundle run by its first line, with the runtime options it names): the same summary',
    {
      skip: process.platform === 'win32' ? 'a first line (#!) starts a program only on POSIX systems' : false,
    },
    () => {
      // `env -S` and every option on the line must be accepted (node refuses an unknown option), and
      // the summary made under them must be the one `node dist/cli.js` makes.
      const firstLine = fs.readFileSync(cli, 'utf8').split('\n')[0];
      assert.match(firstLine, /^#!\/usr\/bin\/env -S .*\bnode\b/);
      for (const file of [fixture('canonical.jsonl'), fixture('benchmark-predict.json')]) {
        const direct = spawnSync(cli, ['summary', file, '--json'], { encoding: 'utf8', timeout: 20_000 });
        if (direct.error) throw direct.error;
        assert.equal(direct.status, 0, direct.stderr);
        assert.equal(direct.stderr, '');
        assert.deepEqual(JSON.parse(direct.stdout), JSON.parse(run('summary', file, '--json').stdout));
      }
    },
  );

  test('--rule grpo_reward changes the rule and the counts', () => {
    const file = fixture('benchmark-predict.json');
    const a = JSON.parse(run('summary', file, '--json').stdout);
    const r = run('summary', file, '--rule', 'grpo_reward', '--json');
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(r.stdout);
    assert.equal(a.rule, 'mcq_infer');
    assert.equal(b.rule, 'grpo_reward');
    // Two predicts hold only the letter: mcq_infer scores them; grpo_reward does not apply (n/a).
    // The third ("Error during model inference.") has no answer tag: unanswered under both.
    assert.deepEqual([a.overall.correct, a.overall.total], [1, 3]);
    assert.deepEqual([b.overall.correct, b.overall.total, b.overall.unanswered, b.overall.na], [0, 1, 1, 2]);
    assert.deepEqual([b.formatValid, b.formatChecked, b.na], [0, 1, { 'letter-only': 2 }]);
    const eq = JSON.parse(run('summary', file, '--rule=grpo_reward', '--json').stdout);
    assert.equal(eq.rule, 'grpo_reward');
  });

  test('summary without --json prints the table with both rules', () => {
    const r = run('summary', fixture('ego-st-r1-sample.jsonl'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /12 records, 0 invalid, 12 with valid format/);
    assert.match(r.stdout, /mcq_infer/);
    assert.match(r.stdout, /grpo_reward/);
    assert.match(r.stdout, /all\s+both\s+12\s+12\/12 100\.0%\s+12\/12 100\.0%/);
  });

  test('validate: exit 1 and one FILE:LINE: reason line per invalid record', () => {
    const file = path.join(dir, 'some-bad.jsonl');
    const good = JSON.stringify({ id: 'a', video: '/v.mp4', question: 'q', response: 'r' });
    fs.writeFileSync(file, [good, '{not json', good, '', '42', JSON.stringify({ foo: 1 }), good].join('\n') + '\n');
    const r = run('validate', file);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    const re = /^(.+):(\d+): (.+)$/;
    const parsed = lines.map((l) => re.exec(l));
    assert.ok(
      parsed.every((m) => m !== null),
      r.stdout,
    );
    assert.deepEqual(
      parsed.map((m) => m![1]),
      [file, file, file],
    );
    assert.deepEqual(
      parsed.map((m) => Number(m![2])),
      [2, 5, 6],
    );
    assert.match(parsed[0]![3], /invalid JSON/);
    assert.match(parsed[1]![3], /expected a JSON object/);
    assert.match(parsed[2]![3], /no known shape/);
    assert.match(r.stderr, /3 valid, 3 invalid/);
  });

  test('validate: exit 0 and no output on a clean file', () => {
    const r = run('validate', fixture('mixed.jsonl'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
  });

  test('unknown options and bad usage exit 2', () => {
    for (const args of [
      ['summary', fixture('canonical.jsonl'), '--bogus'],
      ['validate', fixture('canonical.jsonl'), '--json'],
      ['summary', fixture('canonical.jsonl'), '--rule', 'majority'],
      ['summary'],
      ['frobnicate'],
    ]) {
      const r = run(...args);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, /usage:/);
      if (args[2] === '--bogus') assert.match(r.stderr, /unknown option --bogus/);
    }
  });

  test('missing file and non-results file exit 1 with a message', () => {
    const missing = run('summary', path.join(dir, 'nope.jsonl'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.jsonl/);
    const bin = path.join(dir, 'bin.jsonl');
    fs.writeFileSync(bin, Buffer.from([1, 2, 0, 3]));
    const r = run('validate', bin);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a results file/);
  });
});
