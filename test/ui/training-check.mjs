// UI check of the Training view and the completion-group view (issue 13) in Debian Chromium against
// code-server: Open Training Run… through the palette and the path dialog, expand the run's groups,
// open a group, and check the view's completions (hostile completion text stays text) in the dark
// and the light theme; then the training curves (a chart per metric, eval marks, zoom followed by every
// chart, reset, log scale, the steps table), a step opening its completion group under the stated
// mapping, and the first paint of the curves of a generated 10k-step run (a printed figure).
// Screenshots go to test-results/ui/ (git-ignored), to be looked at.
// Prints "ok N - …" / "not ok N - …" per step and exits non-zero when any step fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateTrainingRun } from '../../scripts/gen-training-run.mjs';
import { root, runCommand, shots, startWorkbench, stepRunner } from './lib.mjs';

const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-ui-training-'));
const run = path.join(ws, 'grpo-run');
fs.cpSync(path.join(root, 'test/fixtures/training/run'), run, { recursive: true });
// One more reward call whose completions hold markup: it must show as text.
const header = (r) => `------------- 03-10-00-31-000001 Accuracy reward: ${r} -------------\n`;
const sol = "<think>Let's start by thinking reverse … Hence, the correct answer is A</think> <answer>A</answer>";
fs.appendFileSync(
  path.join(run, 'debug_log.txt'),
  header('1.0') +
    'Content: <think><img src=x onerror=alert(1)> the sofa\nthen the door</think><answer>A</answer>\n' +
    `Solution: ${sol}\n` +
    header('0.0') +
    'Content: <think><script>alert(2)</script> the window</think><answer>B</answer>\n' +
    `Solution: ${sol}\n`,
);
// Three more calls: 6 calls over the run's 6 steps, so the curves map step s to call #s (one call per step).
for (const [ts, r, ans] of [
  ['03-10-00-41-000001', '1.0', 'A'],
  ['03-10-00-51-000001', '0.0', 'C'],
  ['03-10-01-01-000001', '1.0', 'A'],
])
  fs.appendFileSync(
    path.join(run, 'debug_log.txt'),
    `------------- ${ts} Accuracy reward: ${r} -------------\nContent: <think>the sofa, then the door</think><answer>${ans}</answer>\n` +
      `Solution: ${sol}\n`,
  );
// A long run for the first paint: trainer_state.json and the printed log of 10k steps (no completions).
const longRun = generateTrainingRun({ dir: path.join(ws, 'long-run'), steps: 10_000, completions: 0 });

const runner = stepRunner({ failedShot: 'training-failed' });
const step = runner.step;
const wb = await startWorkbench({ workspaceFolder: ws, dark: true, userSettings: { 'files.dialog.defaultPath': ws } });
const { page, dialogs, twice, webviewFrame, treeRow: row } = wb;
runner.page = page;
const groupFrame = (timeoutMs = 30_000) => webviewFrame('.training .completions', timeoutMs);
const curvesFrame = (timeoutMs = 30_000) => webviewFrame('.training-curves .curve-grid canvas', timeoutMs);
/** Pixels of a chart's canvas that differ from its first pixel (drawn ink); the chart scrolled into view first (drawn then). */
async function inkOf(chart) {
  await chart.scrollIntoViewIfNeeded();
  await chart.locator('canvas').waitFor({ timeout: 10_000 });
  return chart.locator('canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3]) n++;
    return n;
  });
}

async function openRun(dir) {
  const input = page.locator('.quick-input-widget input');
  // As in ui-check.mjs: on the loaded 2-core machine the first quick input of a command may not show; retried.
  await twice(
    'Open Training Run',
    async () => {
      await runCommand(page, 'ST-Think: Open Training Run');
      await page.waitForFunction(() => /^\//.test(document.querySelector('.quick-input-widget input')?.value ?? ''), null, {
        timeout: 10_000,
      });
      await page.waitForTimeout(500);
      await input.fill(dir, { timeout: 5_000 });
      await page.keyboard.press('Enter');
      await page.waitForTimeout(700);
      if (await input.isVisible()) await page.keyboard.press('Enter');
    },
    3,
  );
}

await step('Open Training Run… through the palette: the Training view lists the run, its metrics and groups', async () => {
  await openRun(run);
  await page.locator('.activitybar .action-item a[aria-label^="ST-Think"]').first().click();
  await row('grpo-run').waitFor({ timeout: 20_000 });
  await row('Completion groups').click();
  await row('All groups').click();
  await row('#3 03-10-00-31-000001').waitFor({ timeout: 10_000 });
});

await step('a group opens the completion-group view: completions side by side, hostile text stays text (dark theme)', async () => {
  await row('#3 03-10-00-31-000001').click();
  const f = await groupFrame();
  const cards = await f.locator('.completion').count();
  if (cards !== 2) throw new Error(`${cards} completion cards`);
  const think = await f.locator('.completion pre.think').first().textContent();
  if (!think.includes('<img src=x onerror=alert(1)>')) throw new Error(`the think text: ${think}`);
  if (await f.locator('.completion img, .completion script').count()) throw new Error('markup from a completion became elements');
  const diff = await f.locator('.inline-diff del.removed, .inline-diff ins.added').count();
  if (!diff) throw new Error('no inline diff between completions 1 and 2');
  if (dialogs.length) throw new Error(`dialogs opened: ${dialogs.join(', ')}`);
  await page.screenshot({ path: path.join(shots, 'training-group-dark.png') });
});

await step('Previous steps to group #2; the view follows the light theme', async () => {
  const f = await groupFrame();
  await f.locator('button', { hasText: 'Previous' }).click();
  await f.locator('h1', { hasText: 'Completion group #2' }).waitFor({ timeout: 10_000 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(shots, 'training-group-light.png') });
});

/** The chart of `metric` in the curves frame. */
const curve = (f, metric) => f.locator('.curve', { has: f.locator('figcaption', { hasText: new RegExp(`^${metric}$`) }) });

await step(
  'Show Training Curves (light theme): a chart per metric, eval marks, hover read-out, the mapping stated, the steps table',
  async () => {
    await runCommand(page, 'ST-Think: Show Training Curves');
    const f = await curvesFrame();
    await page.waitForTimeout(800);
    const charts = await f.locator('.curve figure.chart').count();
    if (charts < 10) throw new Error(`${charts} charts`);
    const captions = await f.locator('.curve figcaption').allTextContents();
    for (const m of ['reward', 'rewards/accuracy_reward', 'reward_std', 'completion_length', 'kl', 'loss', 'learning_rate'])
      if (!captions.includes(m)) throw new Error(`no chart of ${m}: ${captions.join(', ')}`);
    const mapping = await f.locator('.curve-run .note').first().textContent();
    if (!/1 reward call per step \(6 calls over 6 steps\)/.test(mapping)) throw new Error(`the mapping reads: ${mapping}`);
    const rows = await f.locator('.steps-table tbody tr').count();
    if (rows !== 6) throw new Error(`${rows} rows in the steps table`);
    for (const m of ['reward', 'loss', 'learning_rate']) {
      const ink = await inkOf(curve(f, m));
      if (ink < 300) throw new Error(`the ${m} chart drew ${ink} pixels`);
    }
    await curve(f, 'loss').scrollIntoViewIfNeeded();
    const legend = await curve(f, 'loss').locator('.u-legend').innerText();
    if (!legend.includes('grpo-run eval_loss')) throw new Error(`no eval marks in the loss chart's legend: ${legend}`);
    await f.locator('h1').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    const over = await curve(f, 'reward').locator('.u-over').boundingBox();
    await page.mouse.move(over.x + 5, over.y + 5);
    await page.mouse.move(over.x + over.width * 0.5, over.y + over.height * 0.5, { steps: 4 });
    await page.waitForTimeout(300);
    const read = await curve(f, 'reward').locator('.u-legend').innerText();
    if (!/grpo-run \(logged\):?\s*0\.(375|75)(?!\d)/.test(read) || !/grpo-run:?\s*0\.\d+/.test(read))
      throw new Error(`the hover read-out: ${read}`);
    await page.screenshot({ path: path.join(shots, 'training-curves-light.png') });
  },
);

await step('a drag zooms to a step range (the steps table follows); Reset zoom shows every step; the log scale toggles', async () => {
  const f = await curvesFrame();
  await f.locator('h1').scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  const over = await curve(f, 'reward').locator('.u-over').boundingBox();
  await page.mouse.move(over.x + over.width * 0.45, over.y + 20);
  await page.mouse.down();
  await page.mouse.move(over.x + over.width * 0.95, over.y + 20, { steps: 6 });
  await page.mouse.up();
  await page.waitForTimeout(400);
  const zoomed = await f.locator('.steps-table tbody tr').count();
  if (!(zoomed > 0 && zoomed < 6)) throw new Error(`${zoomed} rows after zooming to about steps 3.3–5.8`);
  const caption = await f.locator('.steps-table caption').textContent();
  if (!/logged steps \d–\d/.test(caption)) throw new Error(`the table's caption: ${caption}`);
  await f.locator('button.reset-zoom').click();
  await page.waitForTimeout(300);
  const all = await f.locator('.steps-table tbody tr').count();
  if (all !== 6) throw new Error(`${all} rows after Reset zoom`);
  const kl = curve(f, 'kl');
  const box = kl.locator('.log-toggle input');
  if (!(await box.isChecked())) throw new Error('kl does not start on a log scale');
  await box.uncheck();
  await page.waitForTimeout(300);
  if ((await inkOf(kl)) < 300) throw new Error('kl drew nothing on a linear scale');
  await box.check();
});

await step('a step of the steps table opens its completion group under the stated mapping: step 3 is call #3 (dark theme)', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  const f = await curvesFrame();
  await f.locator('.steps-table button.step-link', { hasText: /^3$/ }).click();
  const g = await groupFrame();
  await g.locator('h1', { hasText: 'Completion group #3' }).waitFor({ timeout: 10_000 });
  const scope = await g.locator('.step-scope').innerText();
  if (!/Groups of step 3: reward call #3\./.test(scope) || !/1 reward call per step/.test(scope))
    throw new Error(`the step scope: ${scope}`);
  if ((await g.locator('.completion').count()) !== 2) throw new Error('not the 2 completions of call #3');
  await page.waitForTimeout(800);
  await page.screenshot({ path: path.join(shots, 'training-step-group-dark.png') });
  await g.locator('button', { hasText: 'All steps' }).click();
  await g.locator('.position', { hasText: '3 of 6' }).waitFor({ timeout: 10_000 });
});

await step('the curves in the dark theme, hovered', async () => {
  await runCommand(page, 'ST-Think: Show Training Curves');
  const f = await curvesFrame();
  await page.waitForTimeout(800);
  await f.locator('h1').scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  const over = await curve(f, 'reward').locator('.u-over').boundingBox();
  await page.mouse.move(over.x + over.width * 0.62, over.y + over.height * 0.5);
  await page.waitForTimeout(300);
  if ((await inkOf(curve(f, 'reward'))) < 300) throw new Error('the reward chart drew nothing in the dark theme');
  await page.screenshot({ path: path.join(shots, 'training-curves-dark.png') });
});

// The high-contrast themes as VS Code picks them for a system in high contrast (window.autoDetectHighContrast):
// Default High Contrast under a dark colour scheme, Default High Contrast Light under a light one.
for (const [theme, cls, file] of [
  ['Default High Contrast', 'vscode-high-contrast', 'dark'],
  ['Default High Contrast Light', 'vscode-high-contrast-light', 'light'],
])
  await step(`the curves in ${theme}: lines, eval marks, hover read-out and a drag's selection drawn in the theme's colours`, async () => {
    await page.emulateMedia({ colorScheme: file, forcedColors: 'active' });
    await page.waitForTimeout(1500);
    const f = await curvesFrame();
    const body = await f.locator('body').getAttribute('class');
    if (!body.includes(cls)) throw new Error(`the webview's body is "${body}", not ${cls}`);
    await f.locator('h1').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    for (const m of ['reward', 'loss']) if ((await inkOf(curve(f, m))) < 300) throw new Error(`the ${m} chart drew nothing`);
    // The selection and the cursor: not uPlot's own greys (invisible on black), the theme's contrast border.
    const sel = await curve(f, 'reward')
      .locator('.u-select')
      .evaluate((e) => ({ outline: getComputedStyle(e).outlineStyle, colour: getComputedStyle(e).outlineColor }));
    if (sel.outline === 'none') throw new Error(`the zoom selection has no outline in ${theme}`);
    await f.locator('h1').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    const over = await curve(f, 'reward').locator('.u-over').boundingBox();
    await page.mouse.move(over.x + over.width * 0.62, over.y + over.height * 0.5);
    await page.waitForTimeout(300);
    const read = await curve(f, 'reward').locator('.u-legend').innerText();
    if (!/grpo-run:?\s*0\.\d+/.test(read)) throw new Error(`the hover read-out: ${read}`);
    await page.screenshot({ path: path.join(shots, `training-curves-hc-${file}.png`) });
    // A drag, held: its selection shows over the lines.
    await page.mouse.move(over.x + over.width * 0.3, over.y + 20);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.7, over.y + 20, { steps: 5 });
    await page.waitForTimeout(200);
    await curve(f, 'reward').screenshot({ path: path.join(shots, `training-curves-hc-${file}-zooming.png`) });
    await page.mouse.up();
    await page.waitForTimeout(300);
    await f.locator('button.reset-zoom').click();
    await curve(f, 'loss').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await curve(f, 'loss').screenshot({ path: path.join(shots, `training-curves-hc-${file}-eval.png`) });
  });
await step('back to the dark theme', async () => {
  await page.emulateMedia({ colorScheme: 'dark', forcedColors: 'none' });
  await page.waitForTimeout(1000);
});

await step('first paint of the curves of a 10k-step run (12 charts × 10k points, two runs overlaid): a printed figure', async () => {
  await runCommand(page, 'View: Close All Editors');
  const t0 = Date.now();
  await openRun(longRun);
  await row('long-run').waitFor({ timeout: 60_000 });
  const opened = Date.now() - t0;
  const t1 = Date.now();
  await runCommand(page, 'ST-Think: Show Training Curves');
  const deadline = Date.now() + 60_000;
  let paint;
  let frame;
  while (!paint && Date.now() < deadline) {
    for (const f of page.frames()) {
      const v = await f
        .locator('.training-curves[data-first-paint-ms]')
        .getAttribute('data-first-paint-ms', { timeout: 50 })
        .catch(() => null);
      if (v !== null && (await f.locator('.curve-run').count()) === 2) [paint, frame] = [Number(v), f];
    }
    if (!paint) await page.waitForTimeout(50);
  }
  const wall = Date.now() - t1;
  if (paint === undefined) throw new Error('the curves of the long run did not report their first paint');
  const points = await frame.locator('.curve figure.chart').count();
  console.log(
    `  # training curves, 10,000 steps + the 6-step run: webview first paint ${paint} ms (message in → charts on screen); ` +
      `command to charts on screen ${wall} ms (palette included); opening the run ${opened} ms (palette included); ${points} charts`,
  );
  if ((await inkOf(curve(frame, 'reward'))) < 300) throw new Error('the long run drew nothing');
  await page.screenshot({ path: path.join(shots, 'training-curves-long-dark.png') });
});

await wb.close();
fs.rmSync(ws, { recursive: true, force: true });
process.exit(runner.finish('ui training'));
