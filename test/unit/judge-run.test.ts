/**
 * Judging route records against the local chat server: the exact prompts upstream sends, the skip
 * and failure rules, the judgments file (nothing judged twice, resume after a cancel, a failed call
 * tried again), upstream's output file, and the results file left as it was.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResultsIndex } from '../../src/core/index';
import { ChatClient } from '../../src/core/http/chat';
import { judgeRoutes, routeItem, type RouteItem } from '../../src/core/judge/run';
import { judgmentsPath, readJudgments } from '../../src/core/judge/store';
import { judgmentsFor, readUpstreamJudgeFile, summariseScores, upstreamOutput } from '../../src/core/judge/summary';
import { UPSTREAM_TEMPLATES } from '../../src/core/judge/templates';
import { startChatServer, type ChatServer } from '../support/chatServer';
import { makeTempDir, removeDir } from './helpers';

const Q_FWD = 'Based on this video, Please describe in detail how to get to the final location.';
const Q_REV = 'Based on this video, how to get from the last position back to the starting point?';
const SAMPLES: Record<string, Record<string, string>> = {
  '0_a': {
    video: '/v/a.mp4',
    question: Q_FWD,
    forward_answer: 'Go straight, turn left at the sofa.',
    predict: 'Walk ahead and turn left by the sofa.',
  },
  '0_b': { video: '/v/b.mp4', question: Q_FWD, forward_answer: 'Turn right at the door {reference}.', predict: 'Turn right.' },
  '0_c': { video: '/v/c.mp4', question: Q_FWD, forward_answer: 'Up the stairs.', predict: '  \n ' },
  '1_a': {
    video: '/v/a.mp4',
    question: Q_REV,
    reverse_answer: 'Turn around, pass the sofa, go straight.',
    predict: 'Go back past the sofa.',
  },
  '1_b': { video: '/v/b.mp4', question: Q_REV, reverse_answer: '', predict: 'Back out.' },
  '1_c': { video: '/v/c.mp4', question: Q_REV, reverse_answer: 'Down the stairs.', predict: 'Go down.' },
};

/** Upstream's forward user prompt for 0_a, written out. */
const USER_0A =
  'Please evaluate the following video navigation task (Forward: from point A to point B):\n\n' +
  `Forward Question: ${Q_FWD}\n` +
  'Forward Correct Answer: Go straight, turn left at the sofa.\n' +
  'Forward Predicted Answer: Walk ahead and turn left by the sofa.\n\n' +
  'Provide your evaluation strictly as a Python dictionary string with the following keys:\n' +
  "  'direction': integer score (0-5),\n" +
  "  'landmark': integer score (0-5),\n" +
  "  'semantic and logic': integer score (0-5).\n" +
  'Do not include any additional text or explanation.';

const REPLIES: Record<string, string> = {
  '0_a': "{'direction': 4, 'landmark': 5, 'semantic and logic': 4}",
  '0_b': 'Sure! {"direction": 3, "landmark": 2, "semantic and logic": 3,}',
  '1_a': 'I cannot judge this.',
  '1_c': "{'direction': 5, 'landmark': 5, 'semantic and logic': 5}",
};

let dir = '';
let server: ChatServer;
let results = '';
before(async () => {
  dir = makeTempDir('judge');
  server = await startChatServer();
  results = path.join(dir, 'Part1_route_qa.json');
  fs.writeFileSync(results, JSON.stringify(SAMPLES, null, 2));
});
after(async () => {
  await server.close();
  removeDir(dir);
});

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

async function items(): Promise<RouteItem[]> {
  const index = await ResultsIndex.build(results);
  const out: RouteItem[] = [];
  for await (const { entry, record } of index.records(index.entries.filter((e) => e.category === 'route')))
    out.push(routeItem(record, entry.line)!);
  return out;
}

/** Which sample a request is about: its predicted answer. */
function sampleOf(body: ChatServer['requests'][number]['body']): string {
  const user = String(body.messages?.[1]?.content ?? '');
  return Object.keys(SAMPLES).find((k) => user.includes(`Predicted Answer: ${SAMPLES[k].predict}\n`))!;
}

function run(list: RouteItem[], signal?: AbortSignal) {
  const client = new ChatClient({ baseUrl: server.baseUrl, concurrency: 2, backoffMs: 1, maxRetries: 1, timeoutMs: 5000 });
  return judgeRoutes(list, {
    client,
    model: 'gpt-4o',
    endpoint: client.url,
    templates: UPSTREAM_TEMPLATES,
    store: judgmentsPath(results),
    protect: [results],
    signal,
  });
}

describe('judging route records', () => {
  test('route records are first-class: key, reference, prediction, direction', async () => {
    const list = await items();
    assert.deepEqual(
      list.map((i) => [i.id, i.direction, i.reference, i.prediction]),
      Object.entries(SAMPLES).map(([k, s]) => [
        k,
        k.startsWith('0') ? 'forward' : 'reverse',
        s.forward_answer ?? s.reverse_answer,
        s.predict,
      ]),
    );
  });

  test('first run: exact prompts, skips, a failed call as zeros; the results file untouched', async () => {
    const before = sha(results);
    server.requests.length = 0;
    // 1_c fails every time (500), the others answer.
    server.setHandler((r) => {
      const k = sampleOf(r.body);
      return k === '1_c' ? { status: 500 } : { content: REPLIES[k] };
    });
    const list = await items();
    const r = await run(list);
    assert.equal(sha(results), before, 'the results file is unchanged');
    assert.deepEqual([r.judged, r.reused, r.skipped, r.failed, r.cancelled], [4, 0, 2, 1, false]);
    const kinds = Object.fromEntries(r.outcomes.map((o) => [o.item.id, o.kind === 'judged' ? o.judgment.status : o.kind]));
    assert.deepEqual(kinds, { '0_a': 'scored', '0_b': 'scored', '0_c': 'skipped', '1_a': 'unparsed', '1_b': 'skipped', '1_c': 'failed' });
    const a = server.requests.find((q) => sampleOf(q.body) === '0_a')!;
    assert.deepEqual(a.body, {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: UPSTREAM_TEMPLATES.system },
        { role: 'user', content: USER_0A },
      ],
    });
    assert.match(
      UPSTREAM_TEMPLATES.system,
      /^You are an intelligent chatbot specialized in evaluating egocentric video route description tasks\. /,
    );
    assert.match(UPSTREAM_TEMPLATES.system, /correct answer\. {4}If the prediction/);
    const rev = server.requests.find((q) => sampleOf(q.body) === '1_a')!;
    assert.match(
      String(rev.body.messages![1].content),
      /^Please evaluate the following video navigation task \(Reverse: from point B to point A\):\n\nReverse Question: /,
    );
    // A placeholder inside a sample's text stays as it is.
    const b = server.requests.find((q) => sampleOf(q.body) === '0_b')!;
    assert.match(String(b.body.messages![1].content), /Forward Correct Answer: Turn right at the door \{reference\}\.\n/);
    // 1_c: two attempts (one retry), no other sample asked twice.
    const asked = server.requests.map((q) => sampleOf(q.body)).sort();
    assert.deepEqual(asked, ['0_a', '0_b', '1_a', '1_c', '1_c']);
    const stored = await readJudgments(judgmentsPath(results));
    assert.equal(stored.length, 4);
    const failed = stored.find((j) => j.record === '1_c')!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.note ?? '', /HTTP 500/);
    assert.equal(failed.total, 0);
    for (const j of stored) {
      assert.equal(j.model, 'gpt-4o');
      assert.equal(j.endpoint, `${server.baseUrl}/chat/completions`);
      assert.match(j.templateHash, /^[0-9a-f]{64}$/);
    }
    assert.notEqual(stored[0].templateHash, stored.find((j) => j.direction === 'reverse')!.templateHash);
  });

  test("upstream's output file and the summary: failed and unreadable count as 0", async () => {
    const list = await items();
    const stored = await readJudgments(judgmentsPath(results));
    const { byId } = judgmentsFor(list, stored);
    const rows = list.filter((i) => byId.has(i.id)).map((i) => ({ key: i.id, judgment: byId.get(i.id)! }));
    const out = JSON.parse(upstreamOutput(rows)) as { evaluations: Record<string, Record<string, number>>; average_total_score: number };
    assert.deepEqual(out.evaluations['0_a'], { direction: 4, landmark: 5, 'semantic and logic': 4, total: 13 / 3 });
    assert.deepEqual(out.evaluations['1_a'], { total: 0 });
    assert.deepEqual(out.evaluations['1_c'], { direction: 0, landmark: 0, semantic: 0, total: 0 });
    // (13/3 + 8/3 + 0 + 0) / 4, summed in file order as upstream's loop does.
    assert.equal(out.average_total_score, (0 + 13 / 3 + 8 / 3 + 0 + 0) / 4);
    assert.match(upstreamOutput(rows), /"total": 0\.0\n/);
    const s = summariseScores(list, (i) => byId.get(i.id), { kind: 'judgments', file: 'x', model: 'gpt-4o', endpoint: null });
    assert.deepEqual([s.judged, s.skipped, s.failed, s.unparsed, s.notJudged], [4, 2, 1, 1, 0]);
    assert.equal(s.mean, out.average_total_score);
    assert.deepEqual(s.byDirection, { forward: { judged: 2, mean: (13 / 3 + 8 / 3) / 2 }, reverse: { judged: 2, mean: 0 } });
    assert.deepEqual(s.parts, { direction: 7 / 4, landmark: 7 / 4, semantic: 7 / 4 });
  });

  test('second run: only the failed call is tried again; nothing judged twice', async () => {
    server.requests.length = 0;
    server.setHandler((r) => ({ content: REPLIES[sampleOf(r.body)] }));
    const r = await run(await items());
    assert.deepEqual(
      server.requests.map((q) => sampleOf(q.body)),
      ['1_c'],
    );
    assert.deepEqual([r.judged, r.reused, r.failed], [1, 3, 0]);
    const again = await run(await items());
    assert.deepEqual([again.judged, again.reused], [0, 4]);
    assert.equal(server.requests.length, 1);
  });

  test('a changed prediction, model or template is judged again', async () => {
    server.requests.length = 0;
    const list = await items();
    const changed = list.map((i) => (i.id === '0_a' ? { ...i, prediction: i.prediction + ' Then stop.' } : i));
    const r = await run(changed);
    assert.equal(r.judged, 1);
    assert.equal(server.requests.length, 1);
  });

  test('cancel mid-run, then resume: each sample judged once in all', async () => {
    const many = path.join(dir, 'many.json');
    const big: Record<string, Record<string, string>> = {};
    for (let i = 0; i < 12; i++) big[`k${i}`] = { video: '/v.mp4', question: Q_FWD, forward_answer: `ref ${i}`, predict: `pred ${i}` };
    fs.writeFileSync(many, JSON.stringify(big));
    const index = await ResultsIndex.build(many);
    const list: RouteItem[] = [];
    for await (const { entry, record } of index.records(index.entries)) list.push(routeItem(record, entry.line)!);
    server.requests.length = 0;
    server.setHandler(async () => {
      await new Promise((r) => setTimeout(r, 60));
      return { content: "{'direction': 1, 'landmark': 2, 'semantic and logic': 3}" };
    });
    const client = new ChatClient({ baseUrl: server.baseUrl, concurrency: 2 });
    const opts = { client, model: 'm', endpoint: client.url, templates: UPSTREAM_TEMPLATES, store: judgmentsPath(many), protect: [many] };
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 150);
    const first = await judgeRoutes(list, { ...opts, signal: ctl.signal });
    assert.ok(first.cancelled);
    assert.ok(first.judged >= 1 && first.judged < 12, `judged ${first.judged} before the cancel`);
    const saved = (await readJudgments(judgmentsPath(many))).length;
    assert.equal(saved, first.judged, 'a cancelled call records nothing');
    const second = await judgeRoutes(list, opts);
    assert.deepEqual([second.judged + second.reused, second.reused], [12, first.judged]);
    const all = await readJudgments(judgmentsPath(many));
    assert.equal(all.length, 12);
    assert.equal(new Set(all.map((j) => j.record)).size, 12, 'no record judged twice');
  });

  test('a judgments file planted as a link to the results file is refused; the results file stays as it was', async () => {
    const client = new ChatClient({ baseUrl: server.baseUrl });
    server.setHandler(() => ({ content: '{}' }));
    const before = sha(results);
    const list = (await items()).slice(0, 1).map((i) => ({ ...i, prediction: 'new text' }));
    assert.notEqual(judgmentsPath(results), results);
    for (const plant of [(p: string) => fs.symlinkSync(results, p), (p: string) => fs.linkSync(results, p)]) {
      const store = path.join(dir, `planted-${Math.random()}.judgments.jsonl`);
      plant(store);
      await assert.rejects(
        judgeRoutes(list, { client, model: 'm2', endpoint: client.url, templates: UPSTREAM_TEMPLATES, store, protect: [results] }),
        /symbolic link|other names|results file/,
      );
    }
    assert.equal(sha(results), before);
  });

  test('an upstream judge output attaches by key; failed and unparsed told apart', () => {
    const file = path.join(dir, 'eval.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        evaluations: {
          '0_a': { direction: 4, landmark: 5, 'semantic and logic': 4, total: 13 / 3 },
          '1_a': { total: 0.0 },
          '1_c': { direction: 0, landmark: 0, semantic: 0, total: 0.0 },
          other: { direction: 1, landmark: 1, 'semantic and logic': 1, total: 1 },
        },
        average_total_score: 1.333,
      }),
    );
    const f = readUpstreamJudgeFile(file);
    assert.deepEqual(
      f.evaluations.map((e) => [e.key, e.status]),
      [
        ['0_a', 'scored'],
        ['1_a', 'unparsed'],
        ['1_c', 'failed'],
        ['other', 'scored'],
      ],
    );
    assert.equal(f.average, 1.333);
  });
});
