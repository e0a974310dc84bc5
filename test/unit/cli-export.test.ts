/** `st-think summary FILE --format …` and `st-think compare A B --format …`, run as shipped (dist/cli.js). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixture, makeTempDir, removeDir, repoRoot } from './helpers';

const cli = process.env.ST_THINK_CLI ? path.resolve(process.env.ST_THINK_CLI) : path.join(repoRoot, 'dist/cli.js');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  assert.ok(fs.existsSync(cli), `${cli} not found: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir = '';
before(() => (dir = makeTempDir('cli-export')));
after(() => removeDir(dir));

describe('st-think --format', () => {
  test('summary --format csv: a header and one CRLF-ended row per bucket, the same numbers as --json', () => {
    const file = fixture('canonical.jsonl');
    const r = run('summary', file, '--format', 'csv');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\r\n');
    assert.equal(lines.pop(), '', 'ends with CRLF');
    assert.equal(lines[0].split(',').length, 10);
    assert.match(lines[0], /^category,direction,records,mcq_infer correct,mcq_infer scored,mcq_infer accuracy \(%\),/);
    const json = JSON.parse(run('summary', file, '--json').stdout);
    const all = lines.at(-1)!.split(',');
    assert.deepEqual(all.slice(0, 6), [
      'all',
      'both',
      String(json.records),
      String(json.overall.correct),
      String(json.overall.total),
      '33.3',
    ]);
  });

  test('summary --format markdown and latex', () => {
    const file = fixture('canonical.jsonl');
    const md = run('summary', file, '--format=markdown');
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^\| category \| direction \| records \|/);
    assert.match(md.stdout, /\n\| --- \| --- \| ---: \|/);
    const tex = run('summary', file, '--format', 'latex', '--rule', 'grpo_reward');
    assert.equal(tex.code, 0, tex.stderr);
    assert.match(tex.stdout, /^\\begin\{tabular\}\{llrrrrrrrr\}\n {2}\\toprule\n/);
    assert.match(tex.stdout, /mcq\\_infer accuracy \(\\%\)/);
    assert.match(tex.stdout, /\\end\{tabular\}\n$/);
  });

  test('compare A B --format: the per-bucket table; markdown adds flips and McNemar', () => {
    const q = 'Based on this video, which landmarks did you pass by to reach your destination? Options: A. a, B. b';
    const write = (name: string, answers: string[]) => {
      const f = path.join(dir, name);
      const rows = answers.map((x, i) =>
        JSON.stringify({ id: `q${i}`, video: `/v/${i}.mp4`, question: q, gold: 'A', response: `<answer>${x}</answer>` }),
      );
      fs.writeFileSync(f, rows.join('\n') + '\n');
      return f;
    };
    const a = write('a.jsonl', ['A', 'A', 'B']);
    const b = write('b.jsonl', ['A', 'B', 'B']);
    const csv = run('compare', a, b, '--format', 'csv');
    assert.equal(csv.code, 0, csv.stderr);
    assert.ok(
      csv.stdout.startsWith('category,direction,A correct,A scored,A accuracy (%),B correct,B scored,B accuracy (%),B-A (pts)\r\n'),
    );
    assert.match(csv.stdout, /\r\nall,both,2,3,66\.7,1,3,33\.3,-33\.3\r\n$/);
    const md = run('compare', a, b, '--format', 'markdown');
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /\| right to wrong \| 1 \|/);
    assert.match(md.stdout, /\| McNemar discordant pairs \| 1 \|/);
  });

  test('--format with --json, or an unknown format: a usage error, exit 2', () => {
    const file = fixture('canonical.jsonl');
    for (const args of [
      ['summary', file, '--format', 'csv', '--json'],
      ['summary', file, '--json', '--format=latex'],
      ['summary', file, '--format', 'html'],
      ['summary', file, '--format'],
      ['compare', file, file, '--format', 'markdown', '--json'],
    ]) {
      const r = run(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /--format/);
    }
  });
});
