/**
 * `st-think judge` and the judge part of `st-think summary`, run as shipped (dist/cli.js) against
 * the local chat server; and the summary of a multiple-choice file still starting without the
 * commands bundle (so without zod and without the judge's code).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startChatServer, type ChatServer } from '../support/chatServer';
import { fixture, makeTempDir, removeDir, repoRoot } from './helpers';

const cli = path.join(repoRoot, 'dist/cli.js');

/** Runs the CLI without blocking this process (the chat server answers from it). */
function run(
  args: string[],
  env: Record<string, string | undefined> = {},
  nodeArgs: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assert.ok(fs.existsSync(cli), `${cli} not found: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { env: { ...process.env, OPENAI_API_KEY: undefined, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const Q = 'Based on this video, Please describe in detail how to get to the final location.';
const SAMPLES = {
  '3_x': { video: '/v/x.mp4', question: Q, forward_answer: 'Left at the lamp.', predict: 'Turn left near the lamp.' },
  '3_y': { video: '/v/y.mp4', question: Q, forward_answer: 'Right at the bed.', predict: '' },
  '4_x': {
    video: '/v/x.mp4',
    question: 'Based on this video, how to get from the last position back to the starting point?',
    reverse_answer: 'Back past the lamp.',
    predict: 'Return by the lamp.',
  },
};

let dir = '';
let server: ChatServer;
let file = '';
before(async () => {
  dir = makeTempDir('cli-judge');
  server = await startChatServer((r) => ({
    content: String(r.body.messages?.[1]?.content).includes('Forward')
      ? "{'direction': 5, 'landmark': 4, 'semantic and logic': 4}"
      : "```python\n{'direction': 2, 'landmark': 3, 'semantic and logic': 2}\n```",
  }));
  file = path.join(dir, 'route_qa.json');
  fs.writeFileSync(file, JSON.stringify(SAMPLES, null, 2));
});
after(async () => {
  await server.close();
  removeDir(dir);
});

describe('st-think judge / summary --judge-file', () => {
  test("judge --json: upstream's output file; judgments beside the results; a second run asks nothing", async () => {
    const before = fs.readFileSync(file);
    server.requests.length = 0;
    const r = await run(['judge', file, '--base-url', server.baseUrl, '--json'], { OPENAI_API_KEY: 'sk-local' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '{',
        '  "evaluations": {',
        '    "3_x": {',
        '      "direction": 5,',
        '      "landmark": 4,',
        '      "semantic and logic": 4,',
        '      "total": 4.333333333333333',
        '    },',
        '    "4_x": {',
        '      "direction": 2,',
        '      "landmark": 3,',
        '      "semantic and logic": 2,',
        '      "total": 2.3333333333333335',
        '    }',
        '  },',
        '  "average_total_score": 3.333333333333333',
        '}',
        '',
      ].join('\n'),
    );
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0].headers.authorization, 'Bearer sk-local');
    assert.equal(server.requests[0].body.model, 'gpt-4o');
    assert.match(r.stderr, /3_y: skipped/);
    assert.ok(fs.existsSync(path.join(dir, 'route_qa.judgments.jsonl')));
    assert.deepEqual(fs.readFileSync(file), before, 'the results file is unchanged');
    const again = await run(['judge', file, '--base-url', server.baseUrl, '--model', 'gpt-4o'], { OPENAI_API_KEY: 'sk-local' });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(server.requests.length, 2, 'nothing judged twice');
    assert.match(again.stdout, /0 judged now, 2 already judged, 1 skipped/);
  });

  test('summary --json gains "judge" from the judgments file', async () => {
    const r = await run(['summary', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { judge: Record<string, unknown> };
    assert.deepEqual(
      { ...j.judge, source: undefined },
      {
        judged: 2,
        skipped: 1,
        failed: 0,
        unparsed: 0,
        notJudged: 0,
        mean: (13 / 3 + 7 / 3) / 2,
        byDirection: { forward: { judged: 1, mean: 13 / 3 }, reverse: { judged: 1, mean: 7 / 3 } },
        parts: { direction: 3.5, landmark: 3.5, semantic: 3 },
        source: undefined,
      },
    );
    const text = await run(['summary', file]);
    assert.match(text.stdout, /route answers judged \(0-5\): mean 3\.33 over 2 \(forward 4\.33 over 1, reverse 2\.33 over 1\); 1 skipped/);
  });

  test('summary --judge-file: attaches an upstream judge output by key and counts what did not match', async () => {
    const evalFile = path.join(dir, 'eval.json');
    fs.writeFileSync(
      evalFile,
      JSON.stringify({
        evaluations: {
          '3_x': { direction: 1, landmark: 1, 'semantic and logic': 1, total: 1.0 },
          '9_z': { total: 0.0 },
          '4_x': { direction: 0, landmark: 0, semantic: 0, total: 0.0 },
        },
        average_total_score: 0.3333333333333333,
      }),
    );
    const r = await run(['summary', file, '--judge-file', evalFile, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = (
      JSON.parse(r.stdout) as {
        judge: { judged: number; failed: number; mean: number; source: { kind: string; unmatched: number; fileAverage: number } };
      }
    ).judge;
    assert.deepEqual(
      [j.judged, j.failed, j.mean, j.source.kind, j.source.unmatched, j.source.fileAverage],
      [2, 1, 0.5, 'judge-file', 1, 0.3333333333333333],
    );
    const bad = await run(['summary', file, '--judge-file', fixture('canonical.jsonl')]);
    assert.equal(bad.code, 1);
  });

  test('agreement A B: two judge outputs of the same samples, paired by key', async () => {
    const ev = (totals: Record<string, [number, number, number]>) => ({
      evaluations: Object.fromEntries(
        Object.entries(totals).map(([k, [d, l, sl]]) => [
          k,
          { direction: d, landmark: l, 'semantic and logic': sl, total: (d + l + sl) / 3 },
        ]),
      ),
      average_total_score: 0,
    });
    const fa = path.join(dir, 'judge-a.json');
    const fb = path.join(dir, 'judge-b.json');
    fs.writeFileSync(fa, JSON.stringify(ev({ k1: [5, 4, 4], k2: [3, 3, 3], k3: [2, 2, 1], onlyA: [1, 1, 1] })));
    const b = ev({ k1: [5, 4, 3], k2: [3, 3, 3], k3: [4, 2, 2], onlyB: [0, 0, 0] });
    (b.evaluations as Record<string, unknown>).failedB = { direction: 0, landmark: 0, semantic: 0, total: 0.0 };
    fs.writeFileSync(fb, JSON.stringify(b));
    const r = await run(['agreement', fa, fb, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as {
      pairs: number;
      onlyA: number;
      onlyB: number;
      meanDiff: number;
      agreement: Record<string, { n: number; exactMatch: number; meanAbsDiff: number; kappaN: number }>;
      wilcoxon: { n: number; method: string };
    };
    assert.deepEqual([c.pairs, c.onlyA, c.onlyB], [3, 1, 1], 'a failed call is no pair');
    assert.equal(c.meanDiff, (-1 / 3 + 0 + 3 / 3) / 3);
    assert.deepEqual(c.agreement.direction, { ...c.agreement.direction, n: 3, exactMatch: 2 / 3, meanAbsDiff: 2 / 3, kappaN: 3 });
    assert.deepEqual([c.wilcoxon.n, c.wilcoxon.method], [3, 'permutation']);
    const text = await run(['agreement', fa, fb]);
    assert.match(text.stdout, /3 pairs; judged in A only 1, in B only 1/);
    assert.match(text.stdout, /direction: exact match 0\.667, mean \|difference\| 0\.667, quadratic kappa/);
  });

  test('compare A B adds the judge scores of the route answers, paired by key', async () => {
    const b = path.join(dir, 'route_qa_b.json');
    fs.copyFileSync(file, b);
    fs.copyFileSync(path.join(dir, 'route_qa.judgments.jsonl'), path.join(dir, 'route_qa_b.judgments.jsonl'));
    const r = await run(['compare', file, b, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = (JSON.parse(r.stdout) as { judge: { pairs: number; meanDiff: number; agreement: { landmark: { exactMatch: number } } } })
      .judge;
    assert.deepEqual([j.pairs, j.meanDiff, j.agreement.landmark.exactMatch], [2, 0, 1]);
    // Per direction, each side as the summary counts it (3_y's empty prediction skipped), and the pairs.
    const d = (
      JSON.parse(r.stdout) as { judge: { byDirection: Record<string, { pairs: number; a: { judged: number; skipped: number } }> } }
    ).judge.byDirection;
    assert.deepEqual([d.forward.pairs, d.forward.a.judged, d.forward.a.skipped], [1, 1, 1]);
    assert.deepEqual([d.reverse.pairs, d.reverse.a.judged, d.reverse.a.skipped], [1, 1, 0]);
    const text = await run(['compare', file, b]);
    assert.match(
      text.stdout,
      /\n {2}forward: A 4\.333 over 1 \(1 skipped, 0 failed, 0 unreadable\); B 4\.333 over 1 .*; 1 pairs, B-A 0\.000/,
    );
  });

  test('errors: no key for OpenAI, 401 from the server, a bad --concurrency', async () => {
    const noKey = await run(['judge', file]);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /set OPENAI_API_KEY/);
    server.setHandler(() => ({ status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided' } }) }));
    const other = path.join(dir, 'other.json');
    fs.writeFileSync(other, JSON.stringify({ a: SAMPLES['3_x'] }));
    const denied = await run(['judge', other, '--base-url', server.baseUrl], { OPENAI_API_KEY: 'bad' });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /failed, counted as 0: .*HTTP 401.*Incorrect API key provided \(check the API key\)/);
    const usage = await run(['judge', file, '--concurrency', '0']);
    assert.equal(usage.code, 2);
  });

  test('summary of a multiple-choice file loads neither the commands bundle nor zod', async () => {
    const probe = path.join(dir, 'probe.js');
    fs.writeFileSync(
      probe,
      "const M = require('module'); const seen = []; const load = M._load;\n" +
        'M._load = function (r) { seen.push(r); return load.apply(this, arguments); };\n' +
        'const ours = () => seen.filter((s) => /commands|schemas|zod/.test(s));\n' +
        "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(ours()) + '\\n'));\n",
    );
    const r = await run(['summary', path.join(repoRoot, 'samples/st-r1-demo-run.jsonl'), '--json'], {}, ['-r', probe]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /LOADED \[\]/);
    assert.ok(!('judge' in (JSON.parse(r.stdout) as object)));
    const routes = await run(['summary', file], {}, ['-r', probe]);
    assert.match(routes.stderr, /LOADED \[.*commands\.js/, 'a file with route records does load it');
  });
});
