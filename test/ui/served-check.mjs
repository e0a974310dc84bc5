// UI check of re-runs through a served checkpoint (issue 14) in Debian Chromium against code-server:
// the machine settings select the OpenAI-compatible provider (stThink.rerun.provider = openai) and
// point stThink.served.baseUrl at the tests' chat-completions server (test/support/chatServer.ts),
// started here on 127.0.0.1 and streaming as vLLM does (refusing continuation fields vLLM refuses).
// A results record's trace view runs Re-run Question… (both: forward, then reverse) through the
// palette: the streamed text arrives in the view piece by piece, the runs are saved, and what the
// server received is checked (the prompt shown, the frames the trace view shows, the reverse prefix as
// a continued final assistant message). Then Stop on a slow-token reply: the text stops, nothing is
// saved, Run is offered again. Screenshots under test-results/ui/served-*.png, to be looked at.
// Prints "ok N - …" / "not ok N - …" per step; exits non-zero when one fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { root, startWorkbench, stepRunner } from './lib.mjs';

const { startChatServer, continuationProblem } = createRequire(import.meta.url)(path.join(root, 'out/test/support/chatServer.js'));

const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-ui-served-'));
fs.mkdirSync(path.join(ws, '.vscode'));
fs.mkdirSync(path.join(ws, 'videos', 'r1_video'), { recursive: true });
const made = spawnSync('ffmpeg', [
  ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30'],
  ...['-frames:v', '240', '-pix_fmt', 'yuv420p', path.join(ws, 'videos', 'r1_video', 'walk.mp4')],
]);
if (made.status !== 0) throw new Error(`ffmpeg could not make the test video: ${made.stderr}`);
const results = path.join(ws, 'served-run.jsonl');
fs.writeFileSync(
  results,
  JSON.stringify({
    id: 'served-1',
    video: '/vi-lab/Ego-ST-bench/r1_video/walk.mp4',
    question:
      'Please take a egocentric view to understand the following questions. ' +
      'Based on this video, which landmarks (objects or scenery changes) did you pass by to reach your destination? ' +
      'Options: A. door then sofa, B. sofa then <b>window</b>, C. window then door, D. kitchen',
    gold: 'B',
    response: '<think>I passed the window, then the door. Hence, the correct answer is C</think><answer>C</answer>',
    model: 'served-check',
  }) + '\n',
);
const rerunsFile = path.join(ws, 'served-run.reruns.jsonl');
const saved = () => (fs.existsSync(rerunsFile) ? fs.readFileSync(rerunsFile, 'utf8').split('\n').filter(Boolean).map(JSON.parse) : []);
fs.writeFileSync(
  path.join(ws, '.vscode', 'settings.json'),
  JSON.stringify({ 'stThink.autoOpen': ['served-run.jsonl'], 'stThink.videoRoots': [path.join(ws, 'videos')] }, null, 2),
);

const ANSWER = '<think>I passed the sofa, then the window on my left. Hence, the correct answer is B</think><answer>B</answer>';
/** What the server adds to the reverse prefix it continues (the think block is already open). */
const CONTINUED = ' I passed the sofa, then the window on my left. Hence, the correct answer is B</think><answer>B</answer>';
/** As vLLM answers: 400 to continuation fields it would refuse, else `reply` streamed (a few characters a piece). */
const vllmLike =
  (reply = {}) =>
  (req) => {
    const bad = continuationProblem(req.body);
    if (bad) return { status: 400, body: JSON.stringify({ error: { message: bad } }) };
    return {
      content: req.body.continue_final_message ? CONTINUED : ANSWER,
      chunkSize: 3,
      chunkDelayMs: 40,
      usage: { prompt_tokens: 900, completion_tokens: 30 },
      ...reply,
    };
  };
const server = await startChatServer(vllmLike());

const run = stepRunner({ failedShot: 'served-failed' });
const step = run.step;
const wb = await startWorkbench({
  workspaceFolder: ws,
  dark: true,
  userSettings: { 'workbench.startupEditor': 'none' },
  // Machine-scoped: a remote window (code-server's) reads them from the machine settings only.
  machineSettings: { 'stThink.rerun.provider': 'openai', 'stThink.served.baseUrl': server.baseUrl, 'stThink.served.model': 'st-r1-served' },
});
const { page, shot, treeRow, traceFrame, twice, pickItem } = wb;
run.page = page;

/** Re-run Question… through the palette, picking `mode` ("Both", "Forward thinking"). */
async function rerunQuestion(mode) {
  await twice(`Re-run Question… (${mode})`, async () => {
    await wb.runCommand('ST-Think: Re-run Question');
    await pickItem(mode);
  });
}

/**
 * Polls the re-run section until `done()`: the distinct texts each column showed while running, every
 * text the section showed, and a screenshot `midShot` once a column is half way.
 */
async function watchStream(frame, done, midShot) {
  const seen = [new Set(), new Set()];
  const texts = new Set();
  let shotTaken = false;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const now = await frame
      .evaluate(() => {
        const r = document.querySelector('.rerun');
        if (!r) return { all: '', cols: [] };
        return {
          all: r.textContent,
          cols: [...r.querySelectorAll('.rerun-run')].map((e) => ({
            cls: e.className,
            text: e.querySelector('.rerun-text')?.textContent ?? '',
          })),
        };
      })
      .catch(() => ({ all: '', cols: [] }));
    if (now.all) texts.add(now.all);
    now.cols.forEach((c, i) => {
      if (/\brunning\b/.test(c.cls) && c.text && c.text !== '(waiting)') seen[i]?.add(c.text);
    });
    if (midShot && !shotTaken && now.cols.some((c) => /\brunning\b/.test(c.cls) && c.text.length > 40)) {
      shotTaken = true;
      await shot(midShot);
    }
    if (await done(now.cols)) return { seen, texts: [...texts] };
    if (Date.now() > deadline) throw new Error(`the re-run did not end within 60 s: ${JSON.stringify(now.cols)}`);
    await page.waitForTimeout(50);
  }
}

/** The file a webview image's resource URL names (code-server serves it through vscode-remote-resource?path=…). */
function frameFile(src) {
  const u = new URL(src);
  const p = u.searchParams.get('path') ?? decodeURIComponent(u.pathname);
  if (!fs.existsSync(p)) throw new Error(`the view's image ${src} names no file`);
  return p;
}

try {
  await step("the results file opens at start-up; its record's trace view shows the 8 frames", async () => {
    await treeRow('served-run.jsonl').waitFor({ state: 'visible', timeout: 60_000 });
    await treeRow('Forward').click();
    await treeRow('Incorrect').click();
    await treeRow('B → C').click();
    // The first webview of a fresh workbench, then ffmpeg's frames: slow on a loaded 2-core machine.
    await traceFrame('served-1', '.trace-text .meta', 60_000);
    const frame = await traceFrame('served-1', '.strip img', 60_000);
    await frame.locator('.strip img').nth(7).waitFor({ state: 'attached', timeout: 30_000 });
    const n = await frame.locator('.strip img').count();
    if (n !== 8) throw new Error(`the strip shows ${n} frames`);
  });

  let shownFrames = [];
  let shownPrompts = [];
  await step('Re-run Question… (both) through the served provider: the plan names the served model and shows the prompts', async () => {
    await rerunQuestion('Both');
    const frame = await traceFrame('served-1', '.rerun .prompt-text', 20_000);
    const facts = await frame.locator('.rerun-facts').innerText();
    if (!/^st-r1-served · /.test(facts) || !/sent with each request to the served model/.test(facts))
      throw new Error(`the plan's facts read "${facts}"`);
    const heading = await frame.locator('.rerun-head h2').innerText();
    if (heading !== 'Re-run: forward and reverse thinking') throw new Error(`the plan's heading reads "${heading}"`);
    // Each column's prompt as the view shows it: system, user, and (reverse) the assistant's opening.
    shownPrompts = await frame
      .locator('.rerun-run details.prompt')
      .evaluateAll((ds) => ds.map((d) => [...d.querySelectorAll('pre.prompt-text')].map((p) => p.textContent)));
    if (shownPrompts.length !== 2 || shownPrompts[1].length !== 3) throw new Error(`the prompts shown: ${JSON.stringify(shownPrompts)}`);
    // The frames the view shows, as files on disk (each image's resource URL names its file).
    shownFrames = (await frame.locator('.strip img').evaluateAll((imgs) => imgs.map((i) => i.src))).map(frameFile);
    if (shownFrames.length !== 8) throw new Error(`${shownFrames.length} frames in the view`);
    await shot('served-1-plan');
  });

  await step('Run: the text streams into the trace view piece by piece; both runs saved; the forward vs reverse pair opens', async () => {
    server.requests.length = 0;
    const frame = await traceFrame('served-1', '.rerun .prompt-text', 20_000);
    await frame.locator('.rerun vscode-button[title^="Send this prompt"]').click();
    // Streamed until the pair replaces the re-run in the view (once both runs are saved).
    const pairShown = async () => {
      for (const f of page.frames()) {
        const title = await f.evaluate(() => document.querySelector('h1.pair-title')?.textContent ?? '').catch(() => '');
        if (title === 'Re-run of served-1: forward vs reverse thinking') return true;
      }
      return false;
    };
    const { seen, texts } = await watchStream(frame, pairShown, 'served-2-streaming');
    const records = saved();
    if (records.length !== 2) throw new Error(`the re-runs file holds ${records.length} records`);
    const [fwd, rev] = records.map((r) => r.response);
    if (fwd !== ANSWER) throw new Error(`the forward run reads "${fwd}"`);
    if (rev !== shownPrompts[1][2] + CONTINUED) throw new Error(`the reverse run reads "${rev}"`);
    // Streamed: several growing partial texts of each run were on screen before it finished.
    for (const [i, s] of seen.entries()) {
      const partial = [...s].filter((t) => t.length < [fwd, rev][i].length && [fwd, rev][i].startsWith(t));
      if (partial.length < 3) throw new Error(`run ${i + 1}: ${partial.length} partial texts seen while streaming`);
    }
    // While the reverse run streamed, the forward one showed its whole text, its speed and where it was saved.
    const shown = texts.join('\n');
    if (!shown.includes(ANSWER)) throw new Error('the forward run never showed its whole text');
    if (!/30 tokens · first token [\d.]+ s · [\d.]+ tokens\/s/.test(shown)) throw new Error('no speed line was shown');
    if (!/Saved to .*served-run\.reruns\.jsonl/.test(shown)) throw new Error('no "Saved to" was shown');
    if (!/provider OPENAI/.test(shown) || !/Input: openai-chat:/.test(shown))
      throw new Error('the provider and its input path were not shown');
    const got = records.map((r) => [r.sourceId, r.mode, r.provider, r.model.name]);
    const want = [
      ['served-1', 'forward thinking', 'openai', 'st-r1-served'],
      ['served-1', 'reverse thinking', 'openai', 'st-r1-served'],
    ];
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`saved: ${JSON.stringify(got)}`);
    await treeRow('served-run.reruns.jsonl').waitFor({ state: 'visible', timeout: 10_000 });
    if (wb.dialogs.length) throw new Error(`script ran: dialogs ${wb.dialogs.join(', ')}`);
    await page.mouse.move(1100, 760);
    await page.waitForTimeout(500);
    await shot('served-3-pair');
  });

  await step('the server received the prompt shown, the 8 frames the view shows, and the reverse prefix to continue', async () => {
    const reqs = server.requests;
    if (reqs.length !== 2) throw new Error(`the server received ${reqs.length} requests`);
    const expected = shownFrames.map((f) => `data:image/jpeg;base64,${fs.readFileSync(f).toString('base64')}`);
    for (const [i, q] of reqs.entries()) {
      const b = q.body;
      if (b.model !== 'st-r1-served' || b.stream !== true) throw new Error(`request ${i + 1}: model ${b.model}, stream ${b.stream}`);
      const [system, user, prefix] = shownPrompts[i];
      if (b.messages[0].role !== 'system' || b.messages[0].content !== system) throw new Error(`request ${i + 1}'s system message differs`);
      const parts = b.messages[1].content;
      const text = parts.filter((p) => p.type === 'text').map((p) => p.text);
      if (text.length !== 1 || text[0] !== user) throw new Error(`request ${i + 1}'s user text: ${JSON.stringify(text)}`);
      if (!user.includes('B. sofa then <b>window</b>')) throw new Error('the prompt does not carry the options as text');
      const images = parts.filter((p) => p.type === 'image_url').map((p) => p.image_url.url);
      if (images.length !== 8 || parts.findIndex((p) => p.type === 'text') !== 8)
        throw new Error(`request ${i + 1}: ${images.length} frames`);
      const differ = images.map((u, k) => (u === expected[k] ? -1 : k)).filter((k) => k >= 0);
      if (differ.length) throw new Error(`request ${i + 1}: frames ${differ.join(' ')} differ from the files the view shows`);
      if (i === 0) {
        if (b.messages.length !== 2 || b.continue_final_message !== undefined) throw new Error('the forward request continues a message');
      } else {
        const last = b.messages[2];
        if (b.messages.length !== 3 || last.role !== 'assistant' || last.content !== prefix)
          throw new Error(`the reverse request's last message: ${JSON.stringify(last)} (the view shows "${prefix}")`);
        if (b.continue_final_message !== true || b.add_generation_prompt !== false)
          throw new Error(`continue_final_message ${b.continue_final_message}, add_generation_prompt ${b.add_generation_prompt}`);
      }
    }
    const kinds = new Set(saved().map((r) => r.frames.inputPath));
    console.log(`  # frames sent as ${[...kinds].join(', ')}; reverse prefix "${shownPrompts[1][2]}"`);
  });

  await step('Stop on a slow-token reply: the text stops arriving, nothing is saved, Run is offered again', async () => {
    server.setHandler(vllmLike({ content: 'slow '.repeat(400), chunkSize: 1, chunkDelayMs: 40 }));
    server.requests.length = 0;
    const before = saved().length;
    await rerunQuestion('Forward thinking');
    const frame = await traceFrame('served-1', '.rerun .prompt-text', 20_000);
    await frame.locator('.rerun-head h2', { hasText: 'Re-run: forward thinking' }).waitFor({ state: 'visible', timeout: 10_000 });
    await frame.locator('.rerun vscode-button[title^="Send this prompt"]').click();
    await watchStream(frame, async (c) => c.some((x) => /\brunning\b/.test(x.cls) && x.text.length > 60));
    await shot('served-4-slow');
    await frame.locator('.rerun vscode-button', { hasText: 'Stop' }).click();
    await frame.locator('.rerun-run.cancelled').waitFor({ state: 'attached', timeout: 10_000 });
    const stoppedAt = await frame.locator('.rerun-text').innerText();
    await page.waitForTimeout(1_500);
    const later = await frame.locator('.rerun-text').innerText();
    if (later !== stoppedAt) throw new Error(`the text grew after Stop: ${stoppedAt.length} → ${later.length} characters`);
    if (stoppedAt.length >= 2000) throw new Error('the whole reply arrived before Stop');
    const message = await frame.locator('.rerun').innerText();
    if (!/Stopped: the stopped run was not saved/.test(message)) throw new Error(`the view says "${message.slice(0, 300)}"`);
    if (saved().length !== before) throw new Error(`${saved().length - before} records saved after Stop`);
    if (server.requests.length !== 1) throw new Error(`${server.requests.length} requests sent`);
    if ((await frame.locator('.rerun vscode-button', { hasText: 'Run' }).count()) !== 1) throw new Error('Run is not offered again');
    await shot('served-5-stopped');
  });
} finally {
  await wb.close();
  await server.close();
  fs.rmSync(ws, { recursive: true, force: true });
}
process.exit(run.finish('served ui'));
