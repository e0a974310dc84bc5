// UI check of the Training view and the completion-group view (issue 13) in Debian Chromium against
// code-server: Open Training Run… through the palette and the path dialog, expand the run's groups,
// open a group, and check the view's completions (hostile completion text stays text) in the dark
// and the light theme. Screenshots go to test-results/ui/ (git-ignored), to be looked at.
// Prints "ok N - …" / "not ok N - …" per step and exits non-zero when any step fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkbench, runCommand } from '../harness/vscode-host.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shots = path.join(root, 'test-results/ui');
fs.mkdirSync(shots, { recursive: true });
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

let n = 0;
let failed = 0;
const wb = await openWorkbench({
  extensionPath: root,
  workspaceFolder: ws,
  userSettings: {
    'window.autoDetectColorScheme': true,
    'workbench.preferredDarkColorTheme': 'Default Dark Modern',
    'files.dialog.defaultPath': ws,
  },
});
const { page } = wb;
await page.emulateMedia({ colorScheme: 'dark' });
const dialogs = [];
page.on('dialog', (d) => {
  dialogs.push(d.message());
  void d.dismiss();
});
const step = async (name, fn) => {
  n++;
  try {
    await fn();
    console.log(`ok ${n} - ${name}`);
  } catch (e) {
    failed++;
    await page.screenshot({ path: path.join(shots, `training-failed-${n}.png`) }).catch(() => {});
    console.log(
      `not ok ${n} - ${name}\n  # ${String(e?.message ?? e)
        .split('\n')
        .join('\n  # ')}`,
    );
  }
};
const row = (text) => page.locator('.pane-body .monaco-list-row', { hasText: text }).first();
async function groupFrame(timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of page.frames())
      if (
        await f
          .locator('.training .completions')
          .count()
          .catch(() => 0)
      )
        return f;
    await page.waitForTimeout(250);
  }
  throw new Error('no webview frame shows a completion group');
}

await step('Open Training Run… through the palette: the Training view lists the run, its metrics and groups', async () => {
  const input = page.locator('.quick-input-widget input');
  // As in ui-check.mjs: on the loaded 2-core machine the first quick input of a command may not show; retried.
  for (let attempt = 1; ; attempt++) {
    try {
      await runCommand(page, 'ST-Think: Open Training Run');
      await page.waitForFunction(() => /^\//.test(document.querySelector('.quick-input-widget input')?.value ?? ''), null, {
        timeout: 10_000,
      });
      await page.waitForTimeout(500);
      await input.fill(run, { timeout: 5_000 });
      await page.keyboard.press('Enter');
      await page.waitForTimeout(700);
      if (await input.isVisible()) await page.keyboard.press('Enter');
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (attempt === 3) throw e;
      console.log(`  # retried Open Training Run: ${String(e?.message ?? e).split('\n')[0]}`);
    }
  }
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

await wb.close();
fs.rmSync(ws, { recursive: true, force: true });
console.log(`ui training: ${n - failed} passed, ${failed} failed; screenshots in ${path.relative(root, shots)}/`);
process.exit(failed ? 1 : 0);
