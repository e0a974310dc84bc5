// UI check in Debian Chromium against code-server: a person's path through the extension.
// Opens a results file through the command palette, expands the tree, selects a record, opens
// the summary, and saves screenshots under test-results/ui/ (git-ignored) to be looked at.
// Prints "ok N - …" / "not ok N - …" per step and exits non-zero when any step fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkbench, runCommand } from '../harness/vscode-host.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shots = path.join(root, 'test-results/ui');
fs.mkdirSync(shots, { recursive: true });
const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-ui-'));
const sample = path.join(ws, 'st-r1-demo-run.jsonl');
fs.copyFileSync(path.join(root, 'samples/st-r1-demo-run.jsonl'), sample);

let n = 0;
let failed = 0;
const step = async (name, fn) => {
  n++;
  try {
    await fn();
    console.log(`ok ${n} - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${n} - ${name}\n  # ${String(e?.message ?? e).split('\n').join('\n  # ')}`);
  }
};

const wb = await openWorkbench({
  extensionPath: root,
  workspaceFolder: ws,
  userSettings: { 'workbench.colorTheme': 'Default Dark Modern', 'files.dialog.defaultPath': ws },
});
const { page } = wb;
const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
const treeRow = (text) => page.locator('.pane-body .monaco-list-row', { hasText: text }).first();

try {
  await step('opens a results file through the command palette', async () => {
    await runCommand(page, 'ST-Think: Open Results File');
    // code-server's own file dialog is a quick input that takes a path.
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(sample);
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    await treeRow('st-r1-demo-run.jsonl').waitFor({ state: 'visible', timeout: 30_000 });
    await treeRow('Direction').waitFor({ state: 'visible', timeout: 30_000 });
    const desc = await treeRow('st-r1-demo-run.jsonl').innerText();
    if (!/126 records · 75\.4% · 2 invalid/.test(desc)) throw new Error(`file row reads "${desc}"`);
    await shot('1-opened');
  });

  await step('expands category → direction → outcome', async () => {
    await treeRow('Forward').click();
    await treeRow('Incorrect').waitFor({ state: 'visible', timeout: 10_000 });
    await treeRow('Incorrect').click();
    await page.locator('.pane-body .monaco-list-row', { hasText: /[A-D] → [A-D]\s+What/ }).first().waitFor({ timeout: 10_000 });
    await shot('2-expanded');
  });

  await step('selecting a record opens its read-only view', async () => {
    const rec = page.locator('.pane-body .monaco-list-row', { hasText: /[A-D] → [A-D]\s+What/ }).first();
    await rec.click();
    const editor = page.locator('.editor-instance .view-lines');
    // Monaco renders spaces as no-break spaces: \s matches both.
    await page.waitForFunction(() => [...document.querySelectorAll('.editor-instance .view-lines')].some((e) => /──\sQuestion\s──/.test(e.textContent ?? '')), null, { timeout: 15_000 });
    const texts = await editor.allInnerTexts();
    if (!texts.some((t) => /mcq_infer\s+predicted\s[A-D]\s+→\s+incorrect/.test(t))) throw new Error('the record view does not show the outcome');
    await shot('3-record');
  });

  await step('Show Summary opens a table under both rules', async () => {
    await runCommand(page, 'ST-Think: Show Summary');
    let frame;
    const deadline = Date.now() + 20_000;
    while (!frame && Date.now() < deadline) {
      for (const f of page.frames()) {
        if (await f.locator('table caption').count().catch(() => 0)) frame = f;
      }
      if (!frame) await page.waitForTimeout(250);
    }
    if (!frame) throw new Error('no summary table in any webview frame');
    const head = await frame.locator('thead').innerText();
    if (!/mcq_infer/.test(head) || !/grpo_reward/.test(head)) throw new Error(`table head reads "${head}"`);
    const total = await frame.locator('tr.total').innerText();
    if (!/75\.4%/.test(total) || !/74\.6%/.test(total)) throw new Error(`total row reads "${total}"`);
    await shot('4-summary');
  });
} finally {
  await wb.close();
  fs.rmSync(ws, { recursive: true, force: true });
}
console.log(`ui: ${n - failed} passed, ${failed} failed; screenshots in ${path.relative(root, shots)}/`);
process.exit(failed ? 1 : 0);
