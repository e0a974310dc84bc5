// What the UI checks (test/ui/*.mjs) share: the step runner and its "ok N - …" / "not ok N - …"
// lines (counted by scripts/test.sh), the workbench start (code-server with this checkout's
// extension, headless Chromium, optionally the dark theme) and the palette and webview helpers a
// person's path goes through (quick inputs, code-server's path dialog, the trace view's frame,
// screenshots under test-results/ui/, git-ignored, to be looked at).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkbench, runCommand } from '../harness/vscode-host.mjs';

export { runCommand };
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const shots = path.join(root, 'test-results/ui');
fs.mkdirSync(shots, { recursive: true });

/**
 * Numbered steps: each prints "ok N - name" or "not ok N - name" with the error as "  # " lines, and
 * a failed step leaves a screenshot `${failedShot}-N.png` of `runner.page` (set once a workbench is open).
 */
export function stepRunner({ failedShot = 'failed', dir = shots } = {}) {
  const runner = {
    n: 0,
    failed: 0,
    /** @type {any} */
    page: undefined,
    async step(name, fn) {
      const n = ++runner.n;
      try {
        await fn();
        console.log(`ok ${n} - ${name}`);
      } catch (e) {
        runner.failed++;
        await runner.page?.screenshot({ path: path.join(dir, `${failedShot}-${n}.png`) }).catch(() => {});
        console.log(
          `not ok ${n} - ${name}\n  # ${String(e?.message ?? e)
            .split('\n')
            .join('\n  # ')}`,
        );
      }
    },
    /** Prints "`label`: P passed, F failed; screenshots in …/" and returns the exit code. */
    finish(label) {
      console.log(`${label}: ${runner.n - runner.failed} passed, ${runner.failed} failed; screenshots in ${path.relative(root, dir)}/`);
      return runner.failed ? 1 : 0;
    },
  };
  return runner;
}

/**
 * The workbench with this checkout's extension loaded for development: code-server on `workspaceFolder`
 * with `userSettings` (and `machineSettings`: the machine-scoped ones, which a remote window reads only
 * from there), in headless Chromium; `dark` emulates a browser that prefers dark and follows it with
 * Default Dark Modern. Dialogs (a script that ran) are collected in `dialogs`, dismissed. Returns the
 * harness's { page, browser, server, close } and the helpers of `ui(page)`.
 */
export async function startWorkbench({ workspaceFolder, userSettings = {}, machineSettings, dark = false, extensionPath = root, ...rest }) {
  const themed = dark ? { 'window.autoDetectColorScheme': true, 'workbench.preferredDarkColorTheme': 'Default Dark Modern' } : {};
  const wb = await openWorkbench({
    ...(extensionPath ? { extensionPath } : {}),
    workspaceFolder,
    userSettings: { ...themed, ...userSettings },
    machineSettings,
    ...rest,
  });
  if (dark) await wb.page.emulateMedia({ colorScheme: 'dark' });
  const dialogs = [];
  wb.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { ...wb, dialogs, ...ui(wb.page) };
}

/** The palette, dialog, tree and webview helpers on `page`. */
export function ui(page) {
  const input = page.locator('.quick-input-widget input');

  /**
   * A palette flow tried a second time when its quick input does not show or closes early, as a
   * person would; the retry is printed. (Seen in CI on the 2-core machine, right after a window
   * reload: the first quick input of a command never showed.)
   */
  async function twice(what, fn, times = 2) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        await page.keyboard.press('Escape');
        if (attempt === times) throw e;
        console.log(`  # retried ${what}${times === 2 ? ' once' : ''}: ${String(e?.message ?? e).split('\n')[0]}`);
      }
    }
  }

  /** code-server's file or folder dialog (a quick input): type the path and pick it. */
  async function pickPath(p) {
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(500);
    await input.fill(p, { timeout: 5_000 });
    await page.waitForFunction((f) => document.querySelector('.quick-input-widget input')?.value === f, p, { timeout: 5_000 });
    await page.keyboard.press('Enter');
    // Enter on a folder's path may first open the folder in the dialog; a second Enter picks it.
    await page.waitForTimeout(700);
    if (await input.isVisible()) await page.keyboard.press('Enter');
  }

  /** In an open quick pick: type `text` and pick the first row that has it. */
  async function pickItem(text) {
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(text, { timeout: 5_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ state: 'visible', timeout: 5_000 });
    await page.keyboard.press('Enter');
  }

  /** The webview frame that has `selector`, searched through the nested iframes. */
  async function webviewFrame(selector, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const f of page.frames()) {
        if (
          await f
            .locator(selector)
            .count()
            .catch(() => 0)
        )
          return f;
      }
      await page.waitForTimeout(250);
    }
    throw new Error(`no webview frame has ${selector}`);
  }

  /** The trace view's frame once it shows record `id` and has `selector`. */
  async function traceFrame(id, selector, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const f of page.frames()) {
        const ok = await f
          .evaluate(
            ([i, sel]) => !!document.querySelector(sel) && (document.querySelector('.trace-text .meta')?.textContent ?? '').includes(i),
            [id, selector],
          )
          .catch(() => false);
        if (ok) return f;
      }
      await page.waitForTimeout(250);
    }
    throw new Error(`no trace view shows ${id} with ${selector}`);
  }

  /**
   * A screenshot to look at, test-results/ui/`name`.png. Right after a window reload a busy renderer
   * can stall one (seen on a loaded 2-core machine): try again before calling the step failed.
   */
  async function shot(name) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await page.screenshot({ path: path.join(shots, `${name}.png`), timeout: 20_000 });
      } catch (e) {
        if (attempt === 3) throw e;
        await page.waitForTimeout(1_000);
      }
    }
  }

  /** A row of a tree view (the Results view…) that has `text`. */
  const treeRow = (text) => page.locator('.pane-body .monaco-list-row', { hasText: text }).first();
  /** A tree row by its label exactly ("Forward", "Unscored"), not by its description. */
  const labelled = (label) =>
    page
      .locator('.pane-body .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) })
      .first();

  return {
    twice,
    pickPath,
    pickItem,
    webviewFrame,
    traceFrame,
    shot,
    treeRow,
    labelled,
    runCommand: (label, o) => runCommand(page, label, o),
  };
}
