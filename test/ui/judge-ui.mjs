// UI check of the route judge in Debian Chromium against code-server: the demo's route records
// (samples/route-qa-demo.json with its hand-written judgments) open at start-up; the Route bucket
// shows the judge's mean, a judged record its total, and its trace view both routes with their
// diff, the three parts and the judge's raw reply. Screenshots under test-results/ui/ (git-ignored),
// to be looked at. Prints "ok N - …" / "not ok N - …" per step; exits non-zero when one fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, runCommand, shots, startWorkbench, stepRunner } from './lib.mjs';

const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-judge-ui-'));
fs.mkdirSync(path.join(ws, '.vscode'));
for (const f of ['route-qa-demo.json', 'route-qa-demo.judgments.jsonl']) fs.copyFileSync(path.join(root, 'samples', f), path.join(ws, f));
// The demo's judgments file holds a second judge of the same answers (second-judge-demo, written by
// hand as gpt-4o's were) for Judge Agreement….
const second = fs
  .readFileSync(path.join(ws, 'route-qa-demo.judgments.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
  .filter((j) => j.model === 'second-judge-demo');
if (second.length !== 4) throw new Error(`the demo's judgments file has ${second.length} judgments by second-judge-demo, not 4`);
// Run B for Compare With…: the same answers, judged by gpt-4o as the second judge scored them.
const runB = path.join(ws, 'route-qa-demo-b.json');
fs.copyFileSync(path.join(root, 'samples/route-qa-demo.json'), runB);
fs.writeFileSync(
  path.join(ws, 'route-qa-demo-b.judgments.jsonl'),
  second.map((j) => JSON.stringify({ ...j, model: 'gpt-4o' }) + '\n').join(''),
);
fs.writeFileSync(
  path.join(ws, '.vscode', 'settings.json'),
  JSON.stringify({ 'stThink.autoOpen': ['route-qa-demo.json'], 'workbench.startupEditor': 'none' }, null, 2),
);

const run = stepRunner({ failedShot: 'judge-failed' });
const step = run.step;
const wb = await startWorkbench({ workspaceFolder: ws, dark: true });
const { page, labelled, treeRow: row, twice, webviewFrame } = wb;
run.page = page;

try {
  await step('the Route bucket shows the judge mean and how many were judged', async () => {
    await row('route-qa-demo.json').waitFor({ state: 'visible', timeout: 60_000 });
    const route = page.locator('.pane-body .monaco-list-row', { hasText: /judge 2\.67/ }).first();
    await route.waitFor({ state: 'visible', timeout: 30_000 });
    const text = await route.innerText();
    if (!/^Route[\s\S]*judge 2\.67 \(4 judged\)/.test(text)) throw new Error(`the Route row reads "${text}"`);
  });

  await step("the summary view (opened at start-up) shows the route answers' judge scores", async () => {
    const frame = await webviewFrame('.judge-summary', 30_000);
    const text = await frame.locator('.judge-summary').first().innerText();
    if (!/Mean 2\.67 over 4 judged: forward 3\.00 \(2 judged, 1 skipped\), reverse 2\.33 \(2 judged, 1 unreadable\)/.test(text))
      throw new Error(`the summary's judge section reads "${text}"`);
    if (!/1 skipped .*0 failed calls and 1 unreadable replies counted as 0.*1 not judged yet/s.test(text))
      throw new Error(`the summary's judge counts read "${text}"`);
    // The section is below the accuracy table and the charts: in view for the screenshot.
    await frame.locator('.judge-summary').first().scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shots, 'judge-summary.png'), timeout: 20_000 });
  });

  await step('a judged record shows its total; its trace view shows the routes, the parts and the raw reply', async () => {
    // Expand Forward, then its Unscored bucket, by their twisties.
    await labelled('Forward').locator('.monaco-tl-twistie').click();
    await labelled('Unscored').waitFor({ state: 'visible', timeout: 10_000 });
    if ((await labelled('Unscored').getAttribute('aria-expanded')) !== 'true')
      await labelled('Unscored').locator('.monaco-tl-twistie').click();
    const rec = row('judge 4.33/5');
    await rec.waitFor({ state: 'visible', timeout: 20_000 });
    await rec.click();
    const frame = await webviewFrame('.judge-total', 30_000);
    const total = await frame.locator('.judge-total').innerText();
    if (!/Total 4\.33 \/ 5/.test(total)) throw new Error(`the judge total reads "${total}"`);
    const reply = await frame.locator('.judge-reply').innerText();
    if (!reply.includes("{'direction': 5, 'landmark': 4, 'semantic and logic': 4}")) throw new Error(`the raw reply reads "${reply}"`);
    if (!(await frame.locator('.route-prediction ins.added').count())) throw new Error('no added words marked in the predicted route');
    if (!(await frame.locator('.route-reference del.removed').count())) throw new Error('no removed words marked in the reference route');
    await frame.locator('.route-pair').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shots, 'judge-trace.png'), timeout: 20_000 });
  });

  await step('Judge Agreement… of gpt-4o and a second judge: the agreement per part and each judge per direction', async () => {
    const input = page.locator('.quick-input-widget input');
    const title = page.locator('.quick-input-widget .quick-input-title');
    const choose = async (which, model) => {
      await title.filter({ hasText: `Judge Agreement (${which}/2)` }).waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(model, { timeout: 5_000 });
      await page.locator('.quick-input-list .monaco-list-row', { hasText: model }).first().waitFor({ state: 'visible', timeout: 5_000 });
      await page.keyboard.press('Enter');
    };
    await twice(
      'Judge Agreement',
      async () => {
        await runCommand(page, 'ST-Think: Judge Agreement');
        await choose(1, 'gpt-4o');
        await choose(2, 'second-judge-demo');
      },
      3,
    );
    const frame = await webviewFrame('.judge-agreement', 30_000);
    const table = await frame.locator('.judge-agreement').innerText();
    // 3 pairs (1_route_002's reply was unreadable to gpt-4o): direction 5/4, 1/2, 5/5; landmark 4/4, 2/2, 4/3.
    if (!/direction\s+33\.3%\s+0\.667/.test(table) || !/landmark\s+66\.7%\s+0\.333/.test(table))
      throw new Error(`the agreement table reads "${table}"`);
    const scores = await frame.locator('.judge-compare').innerText();
    if (!/forward\s+3\.00\s+2 judged[\s\S]*reverse\s+2\.33\s+2 judged/.test(scores)) throw new Error(`the scores table reads "${scores}"`);
    // Away from the tree, whose hover would cover the view.
    await page.mouse.move(1100, 760);
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(shots, 'judge-agreement.png'), timeout: 20_000 });
  });

  await step("Compare With… a second judged run: the comparison view's route answers per direction, B − A and Wilcoxon", async () => {
    const input = page.locator('.quick-input-widget input');
    const title = page.locator('.quick-input-widget .quick-input-title');
    const choose = async (heading, text) => {
      await title.filter({ hasText: heading }).waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(text, { timeout: 5_000 });
      await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ state: 'visible', timeout: 5_000 });
      await page.keyboard.press('Enter');
    };
    await twice(
      'Compare With',
      async () => {
        await runCommand(page, 'ST-Think: Compare With');
        await choose('Compare (1/2)', 'route-qa-demo.json');
        await choose('(2/2)', 'Open Another Results File');
        // code-server's own open dialog: a quick input holding a path.
        await page.waitForFunction(() => /^\//.test(document.querySelector('.quick-input-widget input')?.value ?? ''), null, {
          timeout: 10_000,
        });
        await page.waitForTimeout(500);
        await input.fill(runB, { timeout: 5_000 });
        await page.keyboard.press('Enter');
        await page.waitForTimeout(700);
        if (await input.isVisible()) await page.keyboard.press('Enter');
      },
      3,
    );
    const frame = await webviewFrame('.judge-section', 60_000);
    const text = await frame.locator('.judge-section').innerText();
    if (!/forward\s+3\.00\s+2 judged\s+1 skipped\s+2\.83\s+2 judged\s+1 skipped\s+2\s+-0\.17/.test(text))
      throw new Error(`the forward row reads "${text}"`);
    if (!/Wilcoxon signed-rank test \(permutation, two-sided\) on 3 pairs/.test(text)) throw new Error(`the test reads "${text}"`);
    await frame.locator('.judge-section').scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    // Away from the tree, whose hover would cover the view.
    await page.mouse.move(1100, 760);
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(shots, 'judge-compare.png'), timeout: 20_000 });
  });
} finally {
  await wb.close();
  fs.rmSync(ws, { recursive: true, force: true });
}
process.exit(run.finish('judge ui'));
