// The installed product re-runs: installs a packaged .vsix (default dist/st-think-inspector-linux-x64.vsix)
// with code-server's --install-extension into a fresh extensions folder, starts code-server on it WITHOUT
// an extension development path, and drives a re-run on the tiny test model through the UI (open a results
// file, select its record, Choose Model Folder…, Re-run Question…, Run) until the run is saved.
// Nothing is installed beside the extension: the runtime must come from the .vsix itself.
//
//   node test/ui/vsix-check.mjs [path/to.vsix]     (after npm run package and npm run compile-tests)
//
// Prints "ok N - …" / "not ok N - …" and exits non-zero when a step fails; screenshots in test-results/vsix/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { CODE_SERVER_ENTRY } from '../harness/vscode-host.mjs';
import { root, runCommand, startWorkbench, stepRunner } from './lib.mjs';

const vsix = path.resolve(process.argv[2] ?? path.join(root, 'dist/st-think-inspector-linux-x64.vsix'));
const shots = path.join(root, 'test-results/vsix');
fs.mkdirSync(shots, { recursive: true });
if (!fs.existsSync(vsix)) throw new Error(`${vsix} not found: run npm run package first`);
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

// Outside the repository, so nothing can resolve the checkout's node_modules.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-vsix-check-'));
const extensionsDir = path.join(tmp, 'extensions');
const ws = path.join(tmp, 'workspace');
fs.mkdirSync(path.join(ws, 'videos'), { recursive: true });

// A results file whose one record has a real video (its absolute path, found as it is) and the tiny model.
const video = path.join(ws, 'videos', 'walk.mp4');
const made = spawnSync('ffmpeg', [
  ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=30'],
  ...['-frames:v', '300', '-pix_fmt', 'yuv420p', video],
]);
if (made.status !== 0) throw new Error(`ffmpeg could not make the test video: ${made.stderr}`);
const results = path.join(ws, 'walk-run.jsonl');
fs.writeFileSync(
  results,
  JSON.stringify({
    id: 'walk-1',
    video,
    question:
      'Please take a egocentric view to understand the following questions. ' +
      'Based on this video, which landmarks (objects or scenery changes) did you pass by to reach your destination? ' +
      'Options: A. door then sofa, B. sofa then window, C. window then door, D. kitchen',
    gold: 'B',
    response: '<think>I passed the window, then the door. Hence, the correct answer is C</think><answer>C</answer>',
    model: 'vsix-check',
  }) + '\n',
);
const { writeTinyQwen2vlModel } = createRequire(import.meta.url)(path.join(root, 'out/test/support/tinyModel.js'));
const modelDir = writeTinyQwen2vlModel(path.join(ws, 'tiny-qwen2vl'));

const run = stepRunner({ dir: shots });
const step = run.step;

let installedDir;
await step(`code-server --install-extension ${path.relative(root, vsix)} into a fresh extensions folder`, async () => {
  const env = { ...process.env, XDG_DATA_HOME: path.join(tmp, 'xdg-data'), EXTENSIONS_GALLERY: '{}' };
  for (const key of Object.keys(env)) if (key.startsWith('VSCODE_')) delete env[key];
  const args = [CODE_SERVER_ENTRY, '--user-data-dir', path.join(tmp, 'install-user-data'), '--extensions-dir', extensionsDir];
  const r = spawnSync(process.execPath, [...args, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`--install-extension exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  const id = `${pkg.publisher}.${pkg.name}-${pkg.version}`;
  const dirs = fs.readdirSync(extensionsDir).filter((d) => d.startsWith(id));
  if (dirs.length !== 1) throw new Error(`the extensions folder holds ${fs.readdirSync(extensionsDir).join(', ')}`);
  installedDir = path.join(extensionsDir, dirs[0]);
  // The runtime came with the .vsix: the binding onnxruntime-node loads on this platform is in the installed folder.
  const binding = path.join(installedDir, 'dist/node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch);
  if (!fs.existsSync(path.join(binding, 'onnxruntime_binding.node'))) throw new Error(`${binding}/onnxruntime_binding.node is missing`);
  console.log(`  # installed ${dirs[0]}`);
});

if (!installedDir) {
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`vsix: 0 passed, ${run.failed} failed`);
  process.exit(1);
}
// No development path: only the extension installed in extensionsDir.
const wb = await startWorkbench({
  extensionPath: null,
  extensionsDir,
  workspaceFolder: ws,
  userSettings: { 'files.dialog.defaultPath': ws },
});
const { page, twice, pickPath, pickItem, traceFrame, treeRow } = wb;
run.page = page;
try {
  await step('the installed extension (no development path) opens a results file', async () => {
    await twice('Open Results File…', async () => {
      await runCommand(page, 'ST-Think: Open Results File', { timeoutMs: 60_000 });
      await pickPath(results);
      await treeRow(path.basename(results)).waitFor({ state: 'visible', timeout: 15_000 });
    });
    await treeRow('Forward').click();
    await treeRow('Incorrect').click();
    const row = page.locator('.pane-body .monaco-list-row', { hasText: /B → C/ }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    const frame = await traceFrame('walk-1', '.strip img', 60_000);
    await frame.locator('.strip img').nth(7).waitFor({ state: 'attached', timeout: 60_000 });
    await page.screenshot({ path: path.join(shots, `${run.n}-trace.png`) });
  });

  await step('Re-run Question… runs the tiny model from the installed .vsix and saves the run', async () => {
    await twice('Choose Model Folder…', async () => {
      await runCommand(page, 'ST-Think: Choose Model Folder');
      await pickPath(modelDir);
      await page.locator('.notifications-toasts', { hasText: 're-runs will use' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    });
    await twice('Re-run Question…', async () => {
      await runCommand(page, 'ST-Think: Re-run Question');
      await pickItem('Forward thinking');
    });
    const frame = await traceFrame('walk-1', '.rerun .prompt-text', 20_000);
    await frame.locator('.rerun vscode-button[title^="Send this prompt"]').click();
    const done = frame.locator('.rerun-run.done');
    const error = frame.locator('.rerun-run .rerun-error, .rerun-run.failed');
    const deadline = Date.now() + 120_000;
    while (!(await done.count()) && Date.now() < deadline) {
      const toast = await page
        .locator('.notifications-toasts', { hasText: /could not be loaded|cannot re-run/ })
        .first()
        .innerText({ timeout: 200 })
        .catch(() => '');
      const section = await frame
        .locator('.rerun')
        .first()
        .innerText({ timeout: 200 })
        .catch(() => '');
      const loadError = /[^\n]*could not be loaded[^\n]*/.exec(section)?.[0];
      if (toast || loadError || (await error.count()))
        throw new Error(`the re-run failed: ${toast || loadError || (await error.first().innerText())}`);
      await page.waitForTimeout(500);
    }
    if (!(await done.count())) throw new Error(`no finished run after 120 s: ${(await frame.locator('.rerun').innerText()).slice(-400)}`);
    const speed = await frame.locator('.rerun-speed').innerText();
    if (!/\d+ tokens · first token [\d.]+ s · [\d.]+ tokens\/s/.test(speed)) throw new Error(`speed line reads "${speed}"`);
    const saved = await done.innerText();
    if (!/Saved to .*walk-run\.reruns\.jsonl/.test(saved)) throw new Error(`no "Saved to" in "${saved.slice(-300)}"`);
    const lines = fs.readFileSync(path.join(ws, 'walk-run.reruns.jsonl'), 'utf8').trim().split('\n');
    const rec = JSON.parse(lines[0]);
    if (lines.length !== 1 || rec.sourceId !== 'walk-1') throw new Error(`the re-runs file holds ${lines.length} lines: ${lines[0]}`);
    await page.screenshot({ path: path.join(shots, `${run.n}-rerun-done.png`) });
  });
} finally {
  await wb.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(run.finish('vsix'));
