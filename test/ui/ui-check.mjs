// UI check in Debian Chromium against code-server: a person's path through the extension.
// Opens a results file through the command palette, expands the tree, selects a record, opens
// the summary, and saves screenshots under test-results/ui/ (git-ignored) to be looked at.
// Prints "ok N - …" / "not ok N - …" per step and exits non-zero when any step fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { root, runCommand, shots, startWorkbench, stepRunner } from './lib.mjs';

const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-ui-'));
const sample = path.join(ws, 'st-r1-demo-run.jsonl');
fs.copyFileSync(path.join(root, 'samples/st-r1-demo-run.jsonl'), sample);
// A results file whose one record has a real video (found through "Locate Video Folder…") and hostile text.
const videos = path.join(ws, 'videos', 'r1_video');
fs.mkdirSync(videos, { recursive: true });
const made = spawnSync('ffmpeg', [
  '-v',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=480x270:rate=30',
  '-frames:v',
  '300',
  '-pix_fmt',
  'yuv420p',
  path.join(videos, 'walk.mp4'),
]);
if (made.status !== 0) throw new Error(`ffmpeg could not make the test video: ${made.stderr}`);
const hostile = path.join(ws, 'hostile-run.jsonl');
fs.writeFileSync(
  hostile,
  JSON.stringify({
    id: 'hostile-1',
    video: '/vi-lab/Ego-ST-bench/r1_video/walk.mp4',
    question:
      'Please take a egocentric view to understand the following questions. ' +
      'Based on this video, which landmarks (objects or scenery changes) did you pass by to reach your destination? ' +
      'Options: A. <img src=x onerror=alert(1)>, B. sofa then window, C. <script>alert(2)</script>, D. kitchen',
    gold: 'B',
    response:
      "<think>Let's start by thinking reverse which landmarks did you pass by to return to the starting point? " +
      '<img src=x onerror=alert(3)> And then think about which landmarks did you pass by to reach your destination? ' +
      '<script>alert(4)</script> ' +
      'Hence, the correct answer is C</think><answer>C</answer>',
    model: 'ui-check',
  }) + '\n',
);

// A record whose gold is a lowercase "b": mcq_infer leaves it unscored (no option letter), and says why.
const lowerGold = path.join(ws, 'lower-gold.jsonl');
fs.writeFileSync(
  lowerGold,
  JSON.stringify({
    id: 'lower-gold-1',
    video: '/nowhere/lower.mp4',
    question: 'Based on this video, what directions do you need to go through to reach the lowercase gold? Options: A. left, B. right',
    gold: 'b',
    response: '<think>Turn right.</think><answer>B</answer>',
  }) + '\n',
);

// Run B: the demo run with six answers flipped (right → wrong or wrong → right) and a sentence
// added to each of those chains, to compare with run A (the demo run itself). In the first, the
// concluding sentence also has its letter changed and a clause appended (issue 11, item 13: once
// shown as the whole sentence added above the whole sentence removed).
const runB = path.join(ws, 'run-b.jsonl');
const appendedClause = ', since the door I passed comes after the window when the walk is replayed backwards.';
let editedSentence;
let flipped = 0;
fs.writeFileSync(
  runB,
  fs
    .readFileSync(sample, 'utf8')
    .split('\n')
    .map((line) => {
      let r;
      try {
        r = JSON.parse(line);
      } catch {
        return line;
      }
      if (flipped >= 6 || typeof r.gold !== 'string' || typeof r.response !== 'string') return line;
      const gold = r.gold.trim()[0];
      const was = /<answer>\s*([A-D])/.exec(r.response)?.[1];
      if (!was) return line;
      flipped++;
      const now = was === gold ? (gold === 'A' ? 'B' : 'A') : gold;
      if (flipped === 1) {
        const hence = /Hence, the correct answer is ([A-D])(?=<\/think>)/.exec(r.response);
        if (!hence) throw new Error(`the first flipped record's chain has no concluding sentence: ${r.response}`);
        editedSentence = { old: hence[1], now, id: r.id, video: r.video };
        r.response = r.response.replace(hence[0], `Hence, the correct answer is ${now}${appendedClause}`);
      }
      r.response = r.response
        .replace(/<answer>[\s\S]*<\/answer>/, `<answer>${now}</answer>`)
        .replace('</think>', ' On a second look the frames say otherwise.</think>');
      return JSON.stringify(r);
    })
    .join('\n'),
);

// Three small runs to compare at once (test/fixtures/runs, derived from the demo run).
const severalRuns = ['run-1.jsonl', 'run-2.jsonl', 'run-3.jsonl'].map((f) => {
  const to = path.join(ws, f);
  fs.copyFileSync(path.join(root, 'test/fixtures/runs', f), to);
  return to;
});

// A tiny random-weight model in the Qwen2-VL ONNX layout, for Re-run Question… (built by the tests' fixture).
const { writeTinyQwen2vlModel } = createRequire(import.meta.url)(path.join(root, 'out/test/support/tinyModel.js'));
const modelDir = writeTinyQwen2vlModel(path.join(ws, 'tiny-qwen2vl'));

/**
 * The flips table: a video column (the file name, the path in its tooltip), each id on one line
 * (an ellipsis when it does not fit, the whole id in its tooltip) and each row's buttons on one line.
 */
async function checkFlipsTable(frame, fits) {
  const heads = await frame.locator('table.flips thead th').allInnerTexts();
  if (!heads.includes('Video')) throw new Error(`the flips table's columns: ${heads.join(' | ')}`);
  const rows = frame.locator('table.flips tbody tr');
  const first = rows.first();
  const video = await first.locator('td.video').innerText();
  const videoTitle = await first.locator('td.video span').getAttribute('title');
  if (video !== path.basename(editedSentence.video) || videoTitle !== editedSentence.video)
    throw new Error(`the first flip's video cell reads "${video}" (tooltip "${videoTitle}")`);
  const lines = await rows.evaluateAll((trs) =>
    trs.map((tr) => {
      const lineHeight = (e) => parseFloat(getComputedStyle(e).lineHeight) || 20;
      const ids = [...tr.querySelectorAll('.flip-id')].map((e) => ({
        id: e.textContent,
        title: e.title,
        oneLine: e.getBoundingClientRect().height < 1.6 * lineHeight(e),
        nowrap: getComputedStyle(e).whiteSpace === 'nowrap',
      }));
      const tops = [...tr.querySelectorAll('td.actions vscode-button')].map((b) => Math.round(b.getBoundingClientRect().top));
      return { ids, buttons: tops.length, buttonRows: new Set(tops).size };
    }),
  );
  for (const r of lines) {
    if (r.buttons !== 4 || r.buttonRows !== 1) throw new Error(`a row's ${r.buttons} buttons lie on ${r.buttonRows} lines`);
    for (const i of r.ids)
      if (!i.oneLine || !i.nowrap || !i.title.includes(i.id))
        throw new Error(`an id cell wraps or lacks its tooltip: ${JSON.stringify(i)}`);
  }
  if (!lines.length || lines[0].ids.length !== 1) throw new Error(`the flips table's rows: ${JSON.stringify(lines)}`);
  if (fits) {
    const [scroll, client, cells] = await frame.locator('.flips-scroll').evaluate((e) => [
      e.scrollWidth,
      e.clientWidth,
      [
        ...[...e.querySelectorAll('tbody tr:first-child td')].map((td) => td.offsetWidth),
        e.firstElementChild.offsetWidth,
        ...[...e.querySelectorAll('*')]
          .filter((x) => x.getBoundingClientRect().right > e.getBoundingClientRect().right + 1)
          .slice(0, 5)
          .map((x) => `${x.tagName}.${x.className}:${Math.round(x.getBoundingClientRect().right - e.getBoundingClientRect().right)}`),
      ],
    ]);
    if (scroll > client + 1) throw new Error(`the flips table is ${scroll} px wide in ${client} px (cells ${cells.join(', ')} px)`);
    const [right, edge] = await frame
      .locator('.flips-scroll')
      .evaluate((e) => [
        Math.max(...[...e.querySelectorAll('vscode-button')].map((b) => b.getBoundingClientRect().right)),
        e.getBoundingClientRect().right,
      ]);
    if (right > edge + 1) throw new Error(`the rows' buttons end at ${right} px, past the view's ${edge} px`);
  }
}

/**
 * The first flip's concluding sentence, its letter changed and a clause appended: one changed row,
 * the old letter struck through on A's side, the new letter and the clause underlined on B's.
 */
async function checkEditedSentence(pair) {
  const rows = await pair.locator('.chain-row').evaluateAll((els) =>
    els.map((r) => ({
      cls: r.className,
      a: r.children[0]?.textContent ?? '',
      del: [...r.querySelectorAll('del.removed')].map((e) => [e.textContent, getComputedStyle(e).textDecorationLine]),
      ins: [...r.querySelectorAll('ins.added')].map((e) => [e.textContent, getComputedStyle(e).textDecorationLine]),
    })),
  );
  const hence = rows.filter((r) => /Hence, the correct answer/.test(r.a) || r.ins.some(([t]) => /Hence/.test(t)));
  const summary = JSON.stringify(rows.slice(-4));
  if (hence.length !== 1 || !/\bchanged\b/.test(hence[0].cls)) throw new Error(`the concluding sentence's rows: ${summary}`);
  const [row] = hence;
  const expectIns = `${editedSentence.now}${appendedClause.slice(0, -1)}`;
  if (row.del.length !== 1 || row.del[0][0] !== editedSentence.old || !row.del[0][1].includes('line-through'))
    throw new Error(`removed in the concluding sentence: ${JSON.stringify(row.del)}`);
  if (row.ins.length !== 1 || row.ins[0][0].trim().replace(/\.$/, '') !== expectIns || !row.ins[0][1].includes('underline'))
    throw new Error(`added in the concluding sentence: ${JSON.stringify(row.ins)} (expected "${expectIns}")`);
  // Rows with only A's sentence come before rows with only B's.
  const firstOnlyB = rows.findIndex((r) => /only-b/.test(r.cls));
  if (firstOnlyB >= 0 && rows.slice(firstOnlyB).some((r) => /only-a/.test(r.cls))) throw new Error(`added above removed: ${summary}`);
}

const run = stepRunner();
const step = run.step;

const wb = await startWorkbench({ workspaceFolder: ws, dark: true, userSettings: { 'files.dialog.defaultPath': ws } });
const { page, dialogs, webviewFrame, twice, traceFrame, shot, treeRow, pickPath: pickFolder } = wb;
run.page = page;

/** The id and the facts line of the record the trace view shows ('' when none). */
async function shownRecord() {
  for (const f of page.frames()) {
    const meta = await f
      .locator('.trace-text .meta')
      .first()
      .innerText({ timeout: 500 })
      .catch(() => '');
    const id = /\bid\s+(\S+)/.exec(meta)?.[1];
    if (id) return { id, meta };
  }
  return { id: '', meta: '' };
}
const shownId = async () => (await shownRecord()).id;
/** Waits until the record shown passes `ok(id, meta)`; returns its id. */
async function waitForShown(ok, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { id, meta } = await shownRecord();
    if (ok(id, meta)) return id;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (shows "${id}")`);
    await page.waitForTimeout(200);
  }
}

/** Open Results File… through the palette and code-server's path dialog; retried, as a person would. */
async function openThroughPalette(file) {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand(page, 'ST-Think: Open Results File');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      // The dialog fills in its folder first; type the path once it has.
      await page.waitForTimeout(500);
      await input.fill(file, { timeout: 5_000 });
      await page.waitForFunction((f) => document.querySelector('.quick-input-widget input')?.value === f, file, { timeout: 5_000 });
      await page.keyboard.press('Enter');
      await treeRow(path.basename(file)).waitFor({ state: 'visible', timeout: 15_000 });
      return;
    } catch (e) {
      // The dialog can close before the path is typed (a view that takes the focus): try again.
      await page.keyboard.press('Escape');
      if (attempt === 3) throw e;
    }
  }
}

try {
  await step('opens a results file through the command palette', async () => {
    // The Training view shares the sidebar: collapse it so the Results list keeps its height (its
    // rows out of view are not rendered, and later steps click them).
    await page
      .locator('.pane-header[aria-expanded="true"]', { hasText: 'Training' })
      .first()
      .click({ timeout: 5_000 })
      .catch(() => {});
    // code-server's own file dialog is a quick input that takes a path.
    await openThroughPalette(sample);
    await treeRow('Direction').waitFor({ state: 'visible', timeout: 30_000 });
    const desc = await treeRow('st-r1-demo-run.jsonl').innerText();
    if (!/126 records · 75\.4% · 2 invalid/.test(desc)) throw new Error(`file row reads "${desc}"`);
    await shot('1-opened');
  });

  await step('expands category → direction → outcome', async () => {
    await treeRow('Forward').click();
    await treeRow('Incorrect').waitFor({ state: 'visible', timeout: 10_000 });
    await treeRow('Incorrect').click();
    await page
      .locator('.pane-body .monaco-list-row', { hasText: /[A-D] → [A-D] · What/ })
      .first()
      .waitFor({ timeout: 10_000 });
    await shot('2-expanded');
  });

  await step('selecting a record opens the trace view; its missing video shows the paths tried', async () => {
    const rec = page.locator('.pane-body .monaco-list-row', { hasText: /[A-D] → [A-D] · What/ }).first();
    await rec.click();
    const frame = await webviewFrame('.frames-error');
    const err = await frame.locator('.frames-error').innerText();
    if (!/Video not found/.test(err) || !/\/vi-lab\/Ego-ST-bench\/r1_video\//.test(err)) throw new Error(`placeholder reads "${err}"`);
    const verdict = await frame.locator('.verdict').innerText();
    if (!/mcq_infer: incorrect/.test(verdict)) throw new Error(`verdict reads "${verdict}"`);
    await shot('3-trace-missing-video');
  });

  await step('the arrow keys in the tree preview the next record; the trace view has its own keys, not while typing', async () => {
    // Record rows lead with the line and the video's short name (issue 11, item 7).
    const rec = page.locator('.pane-body .monaco-list-row', { hasText: /[A-D] → [A-D] · What/ }).first();
    const rowText = await rec.innerText();
    if (!/^line \d+ · \S+/.test(rowText)) throw new Error(`the record row reads "${rowText}"`);
    const before = await shownId();
    await rec.click();
    await page.keyboard.press('ArrowDown');
    const after = await waitForShown((id) => id && id !== before, 'the trace view to preview the next row');
    // The focus stays in the tree, as the Explorer's preview does: a second ArrowDown moves on again.
    await page.keyboard.press('ArrowDown');
    const third = await waitForShown((id) => id && id !== after, 'a second ArrowDown to preview the row after');
    await shot(`${run.n}-arrow-preview`);
    const frame = await traceFrame(third, '.trace-nav .position');
    const position = () => frame.locator('.trace-nav .position').innerText();
    const at = await position();
    // Into the trace view: ? opens the keys' help, Esc closes it, J goes to the next record.
    await frame.locator('.trace-text h2').first().click();
    await page.keyboard.press('?');
    await frame.locator('.keys-help:not([hidden])').waitFor({ state: 'visible', timeout: 5_000 });
    const help = await frame.locator('.keys-help').innerText();
    if (!/Next record/.test(help) || !/Next incorrect/.test(help) || !/frame/.test(help)) throw new Error(`the help reads "${help}"`);
    await shot(`${run.n}-trace-keys-help`);
    await page.keyboard.press('Escape');
    await frame.locator('.keys-help').waitFor({ state: 'hidden', timeout: 5_000 });
    await page.keyboard.press('j');
    const next = await waitForShown((id) => id && id !== third, 'J to show the next record');
    const f2 = await traceFrame(next, '.trace-nav .position');
    const at2 = await f2.locator('.trace-nav .position').innerText();
    if (at2 === at) throw new Error(`the position stayed "${at}" after J`);
    // Typing in a field (the sampler dropdown) is not a key of the trace view.
    await f2.locator('vscode-dropdown').focus();
    await page.keyboard.press('k');
    await page.waitForTimeout(800);
    if ((await shownId()) !== next) throw new Error('K in the sampler dropdown moved the trace view');
    await page.keyboard.press('Escape');
  });

  await step('tags two records from a multi-selection in the tree; the trace view shows the tags, T / E tag and note', async () => {
    // Issue 11, item 10: Ctrl+click selects a second record row; the row menu tags both at once.
    const rows = page.locator('.pane-body .monaco-list-row', { hasText: /[A-D] → [A-D] · What/ });
    const first = rows.nth(0);
    const second = rows.nth(1);
    const firstLine = /^line \d+/.exec(await first.innerText())?.[0];
    const secondLine = /^line \d+/.exec(await second.innerText())?.[0];
    if (!firstLine || !secondLine) throw new Error('two record rows to tag');
    await first.click();
    await second.click({ modifiers: ['Control'] });
    await page.waitForFunction(() => document.querySelectorAll('.pane-body .monaco-list-row.selected').length === 2, undefined, {
      timeout: 5_000,
    });
    const input = page.locator('.quick-input-widget input');
    await twice('Tag Record(s)… from the row menu', async () => {
      await second.click({ button: 'right', modifiers: [] }).catch(() => {});
      // The row menu has grown (Judge Route Answers…): let it settle before clicking an entry in it.
      const entry = page.locator('.context-view .action-label', { hasText: 'Tag Record(s)…' }).first();
      await entry.waitFor({ state: 'visible', timeout: 5_000 });
      await page.waitForTimeout(500);
      await entry.click({ timeout: 5_000 });
      await input.waitFor({ state: 'visible', timeout: 10_000 });
    });
    const title = await page.locator('.quick-input-widget .quick-input-title').innerText();
    if (!/Tag 2 records/.test(title)) throw new Error(`the tag picker's title reads "${title}"`);
    await input.fill('wrong direction');
    await page.keyboard.press('Enter');
    const tagged = page.locator('.pane-body .monaco-list-row', { hasText: '#wrong-direction' });
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('.pane-body .monaco-list-row')].filter((r) => r.textContent.includes('#wrong-direction')).length ===
        2,
      undefined,
      { timeout: 10_000 },
    );
    const taggedRows = (await tagged.allInnerTexts()).map((t) => /^line \d+/.exec(t)?.[0]).sort();
    if (taggedRows.join() !== [firstLine, secondLine].sort().join()) throw new Error(`tagged rows: ${taggedRows.join(', ')}`);
    const notes = fs.readFileSync(path.join(ws, 'st-r1-demo-run.notes.jsonl'), 'utf8').trim().split('\n');
    if (notes.length !== 2 || !notes.every((l) => JSON.parse(l).tag === 'wrong-direction'))
      throw new Error(`notes file: ${notes.join(' / ')}`);
    // One record alone: its trace view shows the tag; E writes a note, shown under the tags.
    await tagged.first().click();
    const id = await waitForShown((i) => !!i, 'the tagged record in the trace view');
    const frame = await traceFrame(id, '.record-notes .tag-chip');
    const chip = await frame.locator('.record-notes .tag-chip').innerText();
    if (!/wrong-direction/.test(chip)) throw new Error(`the tag chip reads "${chip}"`);
    await frame.locator('.trace-text h2').first().click();
    await page.keyboard.press('e');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('The chain turns left at the door; the frames show a right turn.');
    await page.keyboard.press('Enter');
    await frame.locator('.record-notes .record-note').waitFor({ state: 'visible', timeout: 10_000 });
    await shot(`${run.n}-tagged`);
  });

  await step('Show Summary opens a table under both rules', async () => {
    await runCommand(page, 'ST-Think: Show Summary');
    let frame;
    const deadline = Date.now() + 20_000;
    while (!frame && Date.now() < deadline) {
      for (const f of page.frames()) {
        if (
          await f
            .locator('table caption')
            .count()
            .catch(() => 0)
        )
          frame = f;
      }
      if (!frame) await page.waitForTimeout(250);
    }
    if (!frame) throw new Error('no summary table in any webview frame');
    const head = await frame.locator('#app > table:not(.tags-table) thead').innerText();
    if (!/mcq_infer/.test(head) || !/grpo_reward/.test(head)) throw new Error(`table head reads "${head}"`);
    const total = await frame.locator('tr.total').innerText();
    if (!/75\.4%/.test(total) || !/74\.6%/.test(total)) throw new Error(`total row reads "${total}"`);
    // The two records tagged above, counted per category and direction.
    const tags = await frame.locator('table.tags-table').innerText();
    if (!/wrong-direction\s+direction\s+2\s+0\s+2/.test(tags)) throw new Error(`the tags table reads "${tags}"`);
    await shot('4-summary');
    // The charts under the table (test/ui/charts-check.mjs checks them in light and high contrast too).
    await frame.locator('.summary-charts .chart-accuracy canvas').waitFor({ timeout: 10_000 });
    const matrix = await frame.locator('.summary-charts table.matrix tbody').innerText();
    if (!/^A\s+36\s+0\s+9\s+0\s+0\s+0/.test(matrix)) throw new Error(`the confusion matrix reads "${matrix}"`);
    await frame.locator('.summary-charts').scrollIntoViewIfNeeded();
    await shot('4-summary-charts-dark');
  });

  await step('Go to Record… finds a video by name and opens its record; grouped by video, its questions sit together', async () => {
    const input = page.locator('.quick-input-widget input');
    await twice('Go to Record…', async () => {
      await runCommand(page, 'ST-Think: Go to Record…');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('sun3d_3 ·', { timeout: 5_000 });
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'sun3d_3 · line' })
        .first()
        .waitFor({ state: 'visible', timeout: 5_000 });
    });
    const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    // sun3d_3's three questions first, then names that start with it (sun3d_30…).
    const hits = rows.map((r) => /sun3d_3 · line/.test(r));
    if (hits.filter(Boolean).length !== 3 || !hits.slice(0, 3).every(Boolean))
      throw new Error(`Go to Record… lists for "sun3d_3": ${rows.join(' | ')}`);
    await shot(`${run.n}-go-to-record`);
    await page.keyboard.press('Enter');
    await waitForShown((id, meta) => /sun3d_3\.mp4/.test(meta), 'the trace view to show a sun3d_3 record');
    await treeRow(/line \d+ · sun3d_3/).waitFor({ state: 'visible', timeout: 10_000 });
    await twice('Group Records By…', async () => {
      await runCommand(page, 'ST-Think: Group Records By');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('Video', { timeout: 5_000 });
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Video' }).first().waitFor({ state: 'visible', timeout: 5_000 });
      await page.keyboard.press('Enter');
    });
    await page
      .locator('.pane-body .monaco-list-row', { hasText: /^ADT_|^sun3d_|^Aria/ })
      .first()
      .waitFor({ timeout: 10_000 });
    // Go to Record… again reveals the record under its video: the video's three questions together.
    await twice('Go to Record… (by video)', async () => {
      await runCommand(page, 'ST-Think: Go to Record…');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('sun3d_3 · line 16', { timeout: 5_000 });
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'sun3d_3 · line 16' })
        .first()
        .waitFor({ state: 'visible', timeout: 5_000 });
      await page.keyboard.press('Enter');
    });
    for (const label of ['line 53 · Direction forward', 'line 105 · Direction reverse', 'line 16 · Landmark forward'])
      await treeRow(label).waitFor({ state: 'visible', timeout: 10_000 });
    await shot(`${run.n}-grouped-by-video`);
    await twice('Group Records By… (back)', async () => {
      await runCommand(page, 'ST-Think: Group Records By');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('Category', { timeout: 5_000 });
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Category' })
        .first()
        .waitFor({ state: 'visible', timeout: 5_000 });
      await page.keyboard.press('Enter');
    });
    await treeRow('Direction').waitFor({ state: 'visible', timeout: 10_000 });
  });

  await step('the trace view shows the 8 frames and the trace; hostile text stays text (dark theme)', async () => {
    await runCommand(page, 'ST-Think: Close Results File');
    await treeRow('st-r1-demo-run.jsonl').waitFor({ state: 'detached', timeout: 10_000 });
    await openThroughPalette(hostile);
    await treeRow('Forward').click();
    await treeRow('Incorrect').click();
    const row = page.locator('.pane-body .monaco-list-row', { hasText: /B → C/ }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    // The video is not under any root yet: the placeholder offers "Locate Video Folder…", which
    // opens code-server's folder dialog (a quick input); the folder is remembered for this file.
    // (This goes through the UI rather than the videoRoots setting: code-server sometimes delivers
    // user settings to the extension host late, and a person would locate the folder this way.)
    let frame = await traceFrame('hostile-1', '.frames-error');
    await frame.locator('vscode-button', { hasText: 'Locate Video Folder' }).click();
    await pickFolder(path.join(ws, 'videos'));
    frame = await traceFrame('hostile-1', '.strip img', 30_000);
    await frame.locator('.strip img').nth(7).waitFor({ state: 'attached', timeout: 30_000 });
    const captions = await frame.locator('.strip .caption').allInnerTexts();
    if (captions.length !== 8 || !/^#0 · 0\.00 s$/.test(captions[0]) || !/^#299 /.test(captions[7]))
      throw new Error(`captions: ${captions.join(' | ')}`);
    const text = await frame.locator('.trace-text').innerText();
    for (const needle of [
      '<img src=x onerror=alert(1)>',
      '<script>alert(2)</script>',
      '<img src=x onerror=alert(3)>',
      '<script>alert(4)</script>',
      'Thinking reverse',
      'And then',
      'Hence',
    ]) {
      if (!text.includes(needle)) throw new Error(`the trace text lacks ${needle}`);
    }
    const injected = await frame.locator('.trace-text img, .trace-text script').count();
    if (injected) throw new Error(`${injected} element(s) injected from trace text`);
    await frame.locator('.strip').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const fig = await frame.locator('.enlarged figcaption').innerText();
    if (!/^Frame 3 of 8: index 66 /.test(fig)) throw new Error(`after two ArrowRight the enlarged frame reads "${fig}"`);
    // Once a thumbnail is clicked, ← / → move through the frames with the focus anywhere in the view.
    await frame.locator('.strip .thumb').nth(5).click();
    await frame.locator('.trace-text h2').first().click();
    await page.keyboard.press('ArrowLeft');
    const fig2 = await frame.locator('.enlarged figcaption').innerText();
    if (!/^Frame 5 of 8: /.test(fig2)) throw new Error(`after a click on frame 6 and ArrowLeft the enlarged frame reads "${fig2}"`);
    await page.waitForTimeout(500);
    if (dialogs.length) throw new Error(`script ran: dialogs ${dialogs.join(', ')}`);
    await shot('5-trace-dark');
  });

  await step('the trace panel comes back after a window reload', async () => {
    // Mark the window's document, so the step waits for the new one: right after the command the
    // old workbench (and its trace view) is still there until the reload navigates (seen in CI: the
    // old frame was found, then detached).
    await page.evaluate(() => {
      window.__stThinkBeforeReload = true;
    });
    await runCommand(page, 'Developer: Reload Window');
    const reloadBy = Date.now() + 60_000;
    while (await page.evaluate(() => window.__stThinkBeforeReload === true).catch(() => true)) {
      if (Date.now() > reloadBy) throw new Error('the window did not reload within 60 s');
      await page.waitForTimeout(250);
    }
    await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60_000 });
    const frame = await traceFrame('hostile-1', '.trace-text .meta', 60_000).catch(async (e) => {
      const metas = [];
      for (const f of page.frames())
        metas.push(
          await f
            .locator('.trace-text .meta')
            .innerText()
            .catch(() => ''),
        );
      throw new Error(`${e.message}; restored panels show: ${metas.filter(Boolean).join(' | ').replace(/\s+/g, ' ')}`);
    });
    await frame.locator('.strip img').nth(7).waitFor({ state: 'attached', timeout: 30_000 });
    await shot('6-restored');
  });

  await step('Re-run Question… shows the reverse-thinking prompt, streams the run into the trace view and saves it', async () => {
    await twice('Choose Model Folder…', async () => {
      await runCommand(page, 'ST-Think: Choose Model Folder');
      await pickFolder(modelDir);
      await page.locator('.notifications-toasts', { hasText: 're-runs will use' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    });
    await twice('Re-run Question…', async () => {
      await runCommand(page, 'ST-Think: Re-run Question');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('Reverse thinking', { timeout: 5_000 });
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Reverse thinking' })
        .first()
        .waitFor({ state: 'visible', timeout: 5_000 });
      await page.keyboard.press('Enter');
    });
    const frame = await traceFrame('hostile-1', '.rerun .prompt-text', 20_000);
    const prompt = (await frame.locator('.rerun .prompt-text').allInnerTexts()).join('\n');
    const opening =
      "<think>Let's start by thinking reverse " +
      'which landmarks (objects or scenery changes) did you pass by to return to the starting point?';
    if (!prompt.includes(opening)) throw new Error(`the planned prompt lacks the reverse opening: ${prompt.slice(-300)}`);
    if (!prompt.includes('<img src=x onerror=alert(1)>')) throw new Error('the prompt does not show the options as text');
    await shot(`${run.n}-rerun-plan`);
    await frame.locator('.rerun vscode-button[title^="Send this prompt"]').click();
    await frame.locator('.rerun-run.done').waitFor({ state: 'attached', timeout: 90_000 });
    const speed = await frame.locator('.rerun-speed').innerText();
    if (!/\d+ tokens · first token [\d.]+ s · [\d.]+ tokens\/s/.test(speed)) throw new Error(`speed line reads "${speed}"`);
    const text = await frame.locator('.rerun-text').innerText();
    if (!text.startsWith(opening)) throw new Error(`the re-run's text starts "${text.slice(0, 120)}"`);
    const saved = await frame.locator('.rerun-run.done').innerText();
    if (!/Saved to .*hostile-run\.reruns\.jsonl/.test(saved)) throw new Error(`no "Saved to" in "${saved.slice(-300)}"`);
    const lines = fs.readFileSync(path.join(ws, 'hostile-run.reruns.jsonl'), 'utf8').trim().split('\n');
    if (lines.length !== 1 || JSON.parse(lines[0]).sourceId !== 'hostile-1')
      throw new Error(`the re-runs file holds ${lines.length} lines`);
    await treeRow('hostile-run.reruns.jsonl').waitFor({ state: 'visible', timeout: 10_000 });
    if (dialogs.length) throw new Error(`script ran: dialogs ${dialogs.join(', ')}`);
    await shot(`${run.n}-rerun-done`);
  });

  await step('Compare With… opens the comparison view; a flip opens the inline diff and the diff editor', async () => {
    await openThroughPalette(sample);
    await openThroughPalette(runB);
    const input = page.locator('.quick-input-widget input');
    // Run A, then run B, in the command's two quick picks.
    await twice('Compare With…', async () => {
      await runCommand(page, 'ST-Think: Compare With');
      for (const name of ['st-r1-demo-run.jsonl', 'run-b.jsonl']) {
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill(name.replace('.jsonl', ''), { timeout: 5_000 });
        await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 5_000 });
        await page.keyboard.press('Enter');
        await page.waitForTimeout(300);
      }
    });
    const frame = await webviewFrame('vscode-button:has-text("Diff Editor")', 30_000);
    const body = await frame.locator('body').innerText();
    if (!/Flips/.test(body) || !/McNemar/.test(body) || !/Flipped records \(6\)/.test(body))
      throw new Error(`the comparison view reads "${body.slice(0, 600)}"`);
    await checkFlipsTable(frame, true);
    await frame.locator('table.flips').scrollIntoViewIfNeeded();
    await shot(`${run.n}-compare`);
    // Narrower, the question column gives way: ids, video names and buttons still keep to one line.
    await page.setViewportSize({ width: 960, height: 800 });
    await page.waitForTimeout(500);
    await checkFlipsTable(frame, false);
    await frame.locator('table.flips').scrollIntoViewIfNeeded();
    await shot(`${run.n}-compare-narrow`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForTimeout(300);
    // A flipped row's "Diff" button (its title says what it opens).
    await frame.locator('vscode-button[title^="The two traces side by side"]').first().click();
    const pair = await webviewFrame('.chain-table', 20_000);
    const added = await pair.locator('.chain-table ins.added').allInnerTexts();
    if (!added.some((t) => /On a second look/.test(t))) throw new Error(`added text: ${added.join(' | ')}`);
    await checkEditedSentence(pair);
    const removed = await pair.locator('.chain-table del.removed').count();
    const stats = await pair.locator('.diff-stats').innerText();
    await pair.locator('.chain-row.changed').last().scrollIntoViewIfNeeded();
    await shot(`${run.n}-pair-inline-diff`);
    await pair.locator('vscode-button', { hasText: 'Open in Diff Editor' }).click();
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'visible', timeout: 20_000 });
    const tab = await page.locator('.tabs-container .tab.active').innerText();
    if (!/↔/.test(tab)) throw new Error(`the diff editor's tab reads "${tab}" (stats: ${stats}, ${removed} removed)`);
    await page.waitForTimeout(500);
    await shot(`${run.n}-diff-editor`);
  });
  await step('Compare With… a results file and its re-runs: accuracies over the paired records only, and said so', async () => {
    const input = page.locator('.quick-input-widget input');
    await twice('Compare With… (re-runs)', async () => {
      await runCommand(page, 'ST-Think: Compare With');
      for (const name of ['hostile-run.jsonl', 'hostile-run.reruns.jsonl']) {
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill(name.replace('.jsonl', ''), { timeout: 5_000 });
        await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 5_000 });
        await page.keyboard.press('Enter');
        await page.waitForTimeout(300);
      }
    });
    const frame = await webviewFrame('.paired-only', 30_000);
    const note = await frame.locator('.paired-only').innerText();
    if (!/^Paired records only: 1\./.test(note)) throw new Error(`the note reads "${note}"`);
    const caption = await frame.locator('caption').first().innerText();
    if (!/paired records only: 1/.test(caption)) throw new Error(`the table's caption reads "${caption}"`);
    // The overall row: the one paired record on each side.
    const total = await frame.locator('tr.total').innerText();
    if (!/\/1\b[\s\S]*\/1\b/.test(total)) throw new Error(`the overall row reads "${total}"`);
    await shot(`${run.n}-compare-reruns`);
  });

  await step('an unscored verdict says why in the trace view (a lowercase gold "b")', async () => {
    // Collapse what earlier steps expanded (Results' Collapse All): the list renders only the rows in
    // view, and the new file's rows come below the others.
    await page
      .locator('.pane-header', { hasText: /results/i })
      .first()
      .hover();
    await page
      .locator('.pane-header .codicon-collapse-all')
      .first()
      .click({ force: true, timeout: 5_000 })
      .catch(() => {});
    await page.keyboard.press('Escape');
    await openThroughPalette(lowerGold);
    await page
      .locator('.pane-body .monaco-list-row', { hasText: /Forward\s*1 · unscored/ })
      .first()
      .click();
    // The outcome row itself ("Unscored 1"), not the groups whose descriptions read "1 · unscored".
    const outcome = page.locator('.pane-body .monaco-list-row', { hasText: /^\s*Unscored\s*1\s*$/ }).first();
    await outcome.waitFor({ state: 'visible', timeout: 10_000 });
    await outcome.click();
    await treeRow('lowercase gold').waitFor({ state: 'visible', timeout: 10_000 });
    await treeRow('lowercase gold').click();
    const frame = await traceFrame('lower-gold-1', '.verdict .rule.unscored', 20_000);
    const why = frame.locator('.verdict .rule.unscored');
    const text = await why.innerText();
    if (!/^– mcq_infer: unscored: gold is not an option letter \(B\)$/.test(text)) throw new Error(`the unscored verdict reads "${text}"`);
    const title = (await why.getAttribute('title')) ?? '';
    if (!/does not start with an option letter A–Z \(case-sensitive\)/.test(title)) throw new Error(`its hover reads "${title}"`);
    const verdict = await frame.locator('.verdict').innerText();
    if (!/grpo_reward: incorrect \(B\)/.test(verdict)) throw new Error(`the verdicts read "${verdict}"`);
    await shot(`${run.n}-unscored-reason`);
  });

  await step('Run is refused up front when the video is missing: the plan says why and nothing starts', async () => {
    await twice('Re-run Question…', async () => {
      await runCommand(page, 'ST-Think: Re-run Question');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill('Forward thinking', { timeout: 5_000 });
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Forward thinking' })
        .first()
        .waitFor({ state: 'visible', timeout: 5_000 });
      await page.keyboard.press('Enter');
    });
    const frame = await traceFrame('lower-gold-1', '.rerun .prompt-text', 20_000);
    const head = () => frame.locator('.rerun').innerText();
    if (!/Run is not possible: the video was not found/.test(await head()))
      throw new Error(`the plan reads "${(await head()).slice(0, 300)}"`);
    await frame.locator('.rerun vscode-button[title^="Send this prompt"]').click();
    await page
      .locator('.notifications-toasts', { hasText: 'cannot re-run lower-gold-1' })
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
    const after = await head();
    if (!/Run is not possible/.test(after)) throw new Error(`after Run the section reads "${after.slice(0, 400)}"`);
    // No made-up result: no text, verdicts or token count for a run that never happened.
    const madeUp = await frame.locator('.rerun-run .verdict, .rerun-run .rerun-speed, .rerun-run .rerun-text').count();
    if (madeUp) throw new Error(`${madeUp} result elements shown for a run that never started`);
    if ((await frame.locator('.rerun vscode-button[title^="Send this prompt"]').count()) !== 1) throw new Error('Run is no longer offered');
    await shot(`${run.n}-rerun-refused`);
  });

  await step(
    'Compare Runs… checks three files in one quick pick: a table per bucket, the best starred, McNemar of every pair',
    async () => {
      for (const f of severalRuns) await openThroughPalette(f);
      const input = page.locator('.quick-input-widget input');
      await twice('Compare Runs…', async () => {
        await runCommand(page, 'ST-Think: Compare Runs');
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        for (const f of severalRuns) {
          const name = path.basename(f);
          await input.fill(name.replace('.jsonl', ''), { timeout: 5_000 });
          const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
          await row.waitFor({ state: 'visible', timeout: 5_000 });
          await row.locator('.monaco-checkbox').first().click();
          await page.waitForFunction(
            (n) =>
              [...document.querySelectorAll('.quick-input-list .monaco-list-row')].some(
                (r) => r.textContent.includes(n) && r.getAttribute('aria-checked') === 'true',
              ),
            name,
            { timeout: 5_000 },
          );
        }
        await input.fill('', { timeout: 5_000 });
        await page.keyboard.press('Enter');
      });
      const frame = await webviewFrame('table.runs', 30_000);
      const note = await frame.locator('.note.common').innerText();
      if (!/over the 10 records common to all 3 runs/.test(note) || !/left out: R1 2, R2 2, R3 1/.test(note))
        throw new Error(`the note reads "${note}"`);
      const heads = await frame.locator('table.runs thead th').allInnerTexts();
      if (heads.slice(3).join(' | ') !== 'R1 · run-1.jsonl | R2 · run-2.jsonl | R3 · run-3.jsonl')
        throw new Error(`columns: ${heads.join(' | ')}`);
      // The overall row: R3 alone is best, bold and starred; a tie (direction reverse) stars both.
      const total = await frame.locator('tr.total td.best').allInnerTexts();
      if (total.length !== 1 || !/^★ 100\.0% 10\/10/.test(total[0])) throw new Error(`the best overall cell(s): ${total.join(' | ')}`);
      const weight = await frame.locator('tr.total td.best').evaluate((e) => getComputedStyle(e).fontWeight);
      if (Number(weight) < 700) throw new Error(`the best cell's weight is ${weight}`);
      const tie = await frame.locator('tbody tr', { hasText: 'reverse' }).first().locator('td.best').count();
      if (tie !== 2) throw new Error(`the direction / reverse row has ${tie} best cells`);
      // The rule's buttons take the keyboard: Tab to grpo_reward, Enter switches the table.
      await frame.locator('.rule-switch button', { hasText: 'mcq_infer' }).focus();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await frame.locator('caption', { hasText: 'under grpo_reward' }).waitFor({ timeout: 5_000 });
      const pressed = await frame.locator('.rule-switch button[aria-pressed="true"]').innerText();
      if (pressed !== 'grpo_reward') throw new Error(`the pressed rule is ${pressed}`);
      await frame.locator('vscode-button', { hasText: 'All Pairs' }).click();
      await frame.locator('table.p-matrix').waitFor({ timeout: 20_000 });
      const tests = await frame.locator('table.runs-tests-table tbody tr').allInnerTexts();
      if (tests.length !== 3 || !/^R1\s+R3\s+11 \(by id\)\s+0\s+3\s+3\s+0\.2500/.test(tests[1]))
        throw new Error(`the tests read ${tests.join(' / ')}`);
      await shot(`${run.n}-compare-runs`);
      await frame.locator('table.p-matrix').scrollIntoViewIfNeeded();
      await shot(`${run.n}-compare-runs-tests`);
    },
  );
} finally {
  await wb.close();
  fs.rmSync(ws, { recursive: true, force: true });
}

// npm start's first view: its demo workspace auto-opens the sample (scripts/start.sh writes these settings).
const demo = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-ui-demo-'));
fs.mkdirSync(path.join(demo, '.vscode'));
fs.copyFileSync(path.join(root, 'samples/st-r1-demo-run.jsonl'), path.join(demo, 'st-r1-demo-run.jsonl'));
const demoSettings = { 'stThink.autoOpen': ['st-r1-demo-run.jsonl'], 'workbench.startupEditor': 'none' };
fs.writeFileSync(path.join(demo, '.vscode', 'settings.json'), JSON.stringify(demoSettings, null, 2));
const first = await startWorkbench({ workspaceFolder: demo, userSettings: { 'workbench.startupEditor': 'none' } });
run.page = first.page;
try {
  await step("npm start's first view: the demo file in the Results view, its summary in the editor area", async () => {
    const p = first.page;
    await p
      .locator('.pane-body .monaco-list-row', { hasText: 'st-r1-demo-run.jsonl' })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });
    const tab = p.locator('.tabs-container .tab.active', { hasText: 'Summary: st-r1-demo-run.jsonl' });
    await tab.waitFor({ state: 'visible', timeout: 30_000 });
    const total = await (async () => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        for (const f of p.frames()) {
          const text = await f
            .locator('tr.total')
            .first()
            .innerText({ timeout: 500 })
            .catch(() => '');
          if (text) return text;
        }
        await p.waitForTimeout(250);
      }
      return '';
    })();
    if (!/126[\s\S]*75\.4%/.test(total)) throw new Error(`the summary's overall row reads "${total}"`);
    await p.waitForTimeout(500);
    await p.screenshot({ path: path.join(shots, `${run.n}-first-view.png`), timeout: 20_000 });
  });
} finally {
  await first.close();
  fs.rmSync(demo, { recursive: true, force: true });
}
process.exit(run.finish('ui'));
