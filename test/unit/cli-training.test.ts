/** `st-think training FILE_OR_DIR [--json]` (issue 13), run from the shipped bundle dist/cli.js. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture, repoRoot } from './helpers';

const cli = process.env.ST_THINK_CLI ? path.resolve(process.env.ST_THINK_CLI) : path.join(repoRoot, 'dist/cli.js');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!fs.existsSync(cli)) assert.fail(`${cli} not found: run \`npm run build\` first (the CLI tests run the compiled bundle)`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SERIES_KEYS = ['points', 'firstStep', 'lastStep', 'first', 'last', 'min', 'max'];

describe('st-think training', () => {
  test("--json on a run folder: exactly the issue's shape", () => {
    const r = run('training', fixture('training/run'), '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, unknown> & { metrics: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(s), ['metrics', 'completions', 'groups', 'zeroVarianceGroups', 'meanAccuracyReward']);
    for (const [name, m] of Object.entries(s.metrics)) assert.deepEqual(Object.keys(m), SERIES_KEYS, name);
    assert.deepEqual(s.metrics['rewards/accuracy_reward'], {
      points: 6,
      firstStep: 1,
      lastStep: 6,
      first: 0.25,
      last: 0.875,
      min: 0.25,
      max: 0.875,
    });
    assert.deepEqual(s.metrics.eval_loss, { points: 3, firstStep: 2, lastStep: 6, first: 0.002, last: 0.006, min: 0.002, max: 0.006 });
    assert.deepEqual([s.completions, s.groups, s.zeroVarianceGroups, s.meanAccuracyReward], [8, 2, 0, 0.5]);
    // The training log's last line is tqdm's bar with no line break: said on stderr, not an error.
    assert.match(r.stderr, /output_log\.txt:24: not read yet: the last line has no line break yet/);
  });

  test('a reward debug log: groups, zero variance, the pending last entry on stderr', () => {
    const file = fixture('training/reward-debug.log');
    const r = run('training', file, '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual([s.completions, s.groups, s.zeroVarianceGroups, s.meanAccuracyReward], [16, 4, 2, 0.5]);
    assert.equal(r.stderr, `${file}:59: not read yet: the last entry has no "Solution: " line yet\n`);
    const f = JSON.parse(run('training', file, '--json', '--reward-funcs', 'accuracy,format').stdout);
    assert.equal(f.zeroVarianceGroups, 2);
  });

  test('text: the metrics table and one line per group with rewards, advantages and flags', () => {
    const r = run('training', fixture('training/reward-debug.log'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      // eslint-disable-next-line max-len -- one sentence of the output
      /16 completions in 4 groups \(reward calls\); 2 with zero reward variance, 1 all wrong, 1 all format-broken; mean accuracy reward 0\.5/,
    );
    assert.match(r.stdout, /#1 03-10-00-01-123456 .*reward-debug\.log:1: 4 completions, rewards \[1, 0, 0, 1\], /);
    assert.match(r.stdout, /reward-debug\.log:1: .*, advantages \[0\.8659, -0\.8659, -0\.8659, 0\.8659\], longest 74 chars\n/);
    assert.match(r.stdout, /#4 03-10-00-11-500000 .*\(zero variance, all wrong, all format-broken\)/);
    const t = run('training', fixture('training/run/checkpoint-4/trainer_state.json'));
    assert.match(t.stdout, /^grad_norm\s+4\s+1–4\s+1\.5\s+0\.375\s+0\.375\s+1\.5$/m);
  });

  test('problems: FILE:LINE: reason on stderr; no run at all: exit 1; bad flags: exit 2', () => {
    const bad = run('training', fixture('canonical.jsonl'));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^st-think: .*canonical\.jsonl: not a training run: no metrics and no reward log entries found\n$/);
    const missing = run('training', path.join(repoRoot, 'no-such-run'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-run: no such file or directory \(ENOENT\)/);
    assert.equal(run('training', fixture('training/run'), '--reward-funcs', 'bleu').code, 2);
    assert.equal(run('training').code, 2);
    assert.equal(run('training', fixture('training/run'), '--frobnicate').code, 2);
  });
});
