#!/usr/bin/env node
// Runs VS Code extension integration tests (mocha, real `vscode` API) inside a real VS Code
// extension host, and drives the VS Code workbench UI for checks, with no desktop VS Code:
// code-server 4.100.3 (VS Code 1.100, Node extension host) + Debian Chromium via playwright-core.
// Install the tools first: scripts/install-test-deps.sh
//
// CLI:
//   node test/harness/vscode-host.mjs test --extension <dir> --tests <abs path to compiled mocha index.js>
//        --workspace <dir> [--timeout 300000]          exits with the tests' exit code (0 pass, 1 fail)
//   node test/harness/vscode-host.mjs open --extension <dir> --workspace <dir> [--port N]
//        starts code-server for a person with the extension loaded; prints the URL; Ctrl-C stops it.
//
// Environment: HARNESS_TOOLS_DIR (default <repo>/.tools), CHROMIUM_PATH (default /usr/bin/chromium),
// HARNESS_VERBOSE=1 (echo code-server's own output and the browser console).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { format, parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const TOOLS_DIR = process.env.HARNESS_TOOLS_DIR ? path.resolve(process.env.HARNESS_TOOLS_DIR) : path.join(REPO_ROOT, '.tools');
export const CODE_SERVER_DIR = path.join(TOOLS_DIR, 'code-server', 'node_modules', 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'out', 'node', 'entry.js');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const VERBOSE = /^(1|true|yes)$/i.test(process.env.HARNESS_VERBOSE || '');
const DEFAULT_USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'security.workspace.trust.enabled': false,
  // No slide-in animations, so screenshots taken right after an element appears are stable.
  'workbench.reduceMotion': 'on',
};

// Resources to release if the process is interrupted.
const live = new Set();
let interrupted = false;

function log(...args) {
  process.stdout.write(`[vscode-host] ${format(...args)}\n`);
}

function requireTool(name) {
  const req = createRequire(path.join(TOOLS_DIR, 'harness', 'package.json'));
  try {
    return req(name);
  } catch (err) {
    throw new Error(`${name} not found under ${path.join(TOOLS_DIR, 'harness')}: run scripts/install-test-deps.sh (${err.message})`, {
      cause: err,
    });
  }
}

export async function getFreePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** A fresh temp folder with user data (settings), extensions, code-server's config and the smoke-test-driver preload. */
async function prepareServerFolder(userSettings, extensionsDir, machineSettings) {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'vscode-host-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extDir = extensionsDir ? path.resolve(extensionsDir) : path.join(tmp, 'extensions');
  await fsp.mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await fsp.mkdir(extDir, { recursive: true });
  await fsp.writeFile(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...userSettings }, null, 2),
  );
  // Machine-scoped settings (executables, model paths, URLs): a remote window, as code-server's,
  // reads them from the server's machine settings only, never from the user settings above.
  if (machineSettings) {
    await fsp.mkdir(path.join(userDataDir, 'Machine'), { recursive: true });
    await fsp.writeFile(path.join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(machineSettings, null, 2));
  }
  // Our own config file, so nothing is written to ~/.config/code-server.
  const configFile = path.join(tmp, 'config.yaml');
  await fsp.writeFile(configFile, 'auth: none\ncert: false\n');
  // code-server 4.100.3 rejects unknown flags (there is no --vscode-option and no
  // --enable-smoke-test-driver in its CLI), although the VS Code server inside it reads
  // args["enable-smoke-test-driver"]. The parent process parses the CLI and hands the parsed
  // args to the forked server, so declaring the option before entry.js runs is enough.
  // The preload also drops itself from execArgv, so the processes code-server forks (server,
  // extension host, file watcher) do not inherit it.
  const preload = path.join(tmp, 'enable-smoke-test-driver.cjs');
  await fsp.writeFile(
    preload,
    [
      `const i = process.execArgv.indexOf(${JSON.stringify(preload)});`,
      `if (i > 0 && process.execArgv[i - 1] === '-r') process.execArgv.splice(i - 1, 2);`,
      `require(${JSON.stringify(path.join(CODE_SERVER_DIR, 'out', 'node', 'cli.js'))})` +
        `.options['enable-smoke-test-driver'] = { type: 'boolean', description: 'Enable the smoke test driver.' };`,
      '',
    ].join('\n'),
  );
  return { tmp, userDataDir, extDir, configFile, preload };
}

/** The environment code-server runs in: its logs in the temp folder, no VS Code or password variables, no marketplace. */
function serverEnv(tmp) {
  // code-server keeps its own logs under $XDG_DATA_HOME/code-server: keep them in the temp folder.
  const env = { ...process.env, XDG_DATA_HOME: path.join(tmp, 'xdg-data') };
  // Started from a VS Code terminal, code-server would hand the folder to that instance instead.
  for (const key of Object.keys(env)) if (key.startsWith('VSCODE_')) delete env[key];
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  // No extension marketplace (offline machines): an empty gallery config disables it, so the
  // workbench does not log failed lookups of open-vsx.org. Set EXTENSIONS_GALLERY to override.
  if (env.EXTENSIONS_GALLERY === undefined) env.EXTENSIONS_GALLERY = '{}';
  return env;
}

/** code-server's command line (after node): the preload, the entry point and its flags. */
function serverArgs({ preload, configFile, port, userDataDir, extDir }) {
  return [
    '-r',
    preload,
    CODE_SERVER_ENTRY,
    '--config',
    configFile,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--enable-smoke-test-driver',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extDir,
  ];
}

/** SIGTERM to the server's process group, SIGKILL if it has not exited 5 s later. */
async function killGroup(child, exitPromise, exited) {
  if (exited()) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  await Promise.race([exitPromise, sleep(5000)]);
  if (!exited()) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await Promise.race([exitPromise, sleep(2000)]);
  }
}

/** Polls `healthz` every 200 ms until it answers 200 (true), the server exits or the deadline passes (false). */
async function waitForHealth(healthz, deadline, exited) {
  while (!exited() && Date.now() < deadline) {
    if ((await httpStatus(healthz)) === 200) return true;
    await sleep(200);
  }
  return false;
}

/**
 * Starts code-server on a free 127.0.0.1 port (or `port`) with fresh temp user-data and
 * extensions folders. `enable-smoke-test-driver` is on, so the workbench honours the
 * extensionTestsPath payload and reports results through window.codeAutomation*.
 * @returns {Promise<{port:number,url:string,userDataDir:string,extensionsDir:string,stop:()=>Promise<void>}>}
 */
export async function startCodeServer({
  workspaceFolder,
  userSettings = {},
  machineSettings,
  extensionsDir,
  port,
  startTimeoutMs = 60_000,
  verbose = VERBOSE,
} = {}) {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(`code-server not found at ${CODE_SERVER_ENTRY}: run scripts/install-test-deps.sh`);
  }
  const { tmp, userDataDir, extDir, configFile, preload } = await prepareServerFolder(userSettings, extensionsDir, machineSettings);
  const env = serverEnv(tmp);

  const fixedPort = port != null;
  for (let attempt = 1; ; attempt++) {
    const usePort = fixedPort ? Number(port) : await getFreePort();
    const args = serverArgs({ preload, configFile, port: usePort, userDataDir, extDir });
    if (workspaceFolder) args.push(path.resolve(workspaceFolder));
    const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk) => {
      const s = chunk.toString();
      output = (output + s).slice(-20_000);
      if (verbose) process.stdout.write(s.replace(/^/gm, '[code-server] '));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let exited = null;
    const exitPromise = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        exited = { code, signal };
        resolve();
      }),
    );

    const killProcessGroup = () => killGroup(child, exitPromise, () => exited);
    let stopping;
    // Idempotent: every caller waits for the same shutdown (process group, then temp folders).
    const stop = () =>
      (stopping ??= (async () => {
        await killProcessGroup();
        await fsp.rm(tmp, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
        live.delete(server);
      })());
    const url = `http://127.0.0.1:${usePort}/`;
    const server = { port: usePort, url, userDataDir, extensionsDir: extDir, process: child, stop, output: () => output };
    live.add(server);

    const ready = await waitForHealth(`${url}healthz`, Date.now() + startTimeoutMs, () => exited);
    if (ready) return server;
    const inUse = /EADDRINUSE/.test(output);
    if (inUse && !fixedPort && attempt < 5) {
      // Another process took the port between getFreePort() and listen(): try another one.
      await killProcessGroup();
      live.delete(server);
      continue;
    }
    await stop();
    throw new Error(
      exited
        ? `code-server exited (${exited.code ?? exited.signal}) before answering HTTP:\n${output}`
        : `code-server did not answer on ${url} within ${startTimeoutMs} ms:\n${output}`,
    );
  }
}

/** Debian Chromium, headless, driven by playwright-core (no browser download). */
export async function launchChromium({ headless = true, args = [] } = {}) {
  const { chromium } = requireTool('playwright-core');
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} not found: run scripts/install-test-deps.sh`);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless, args: [...CHROMIUM_ARGS, ...args] });
  live.add(browser);
  browser.on('disconnected', () => live.delete(browser));
  return browser;
}

function remoteUri(port, absPath) {
  const p = path.resolve(absPath).split(path.sep).map(encodeURIComponent).join('/');
  return `vscode-remote://127.0.0.1:${port}${p}`;
}

/** Workbench URL opening `workspaceFolder`, with optional extension development/test paths. */
export function workbenchUrl(server, { workspaceFolder, extensionPath, testsPath } = {}) {
  const params = new URLSearchParams();
  if (workspaceFolder) params.set('folder', path.resolve(workspaceFolder));
  const payload = [];
  if (extensionPath) payload.push(['extensionDevelopmentPath', remoteUri(server.port, extensionPath)]);
  if (testsPath) payload.push(['extensionTestsPath', remoteUri(server.port, testsPath)]);
  if (payload.length) params.set('payload', JSON.stringify(payload));
  const q = params.toString();
  return q ? `${server.url}?${q}` : server.url;
}

function attachPageDiagnostics(page, verbose) {
  if (!verbose) return;
  page.on('console', (msg) => process.stdout.write(`[browser:${msg.type()}] ${msg.text()}\n`));
  page.on('pageerror', (err) => process.stdout.write(`[browser:pageerror] ${err.message}\n`));
}

// The workbench passes console-style arguments (mocha's reporter uses printf-style '%s'/'%d').
function formatAutomationArgs(args) {
  return Array.isArray(args) ? format(...args) : format(args);
}

/**
 * Runs the mocha entry `testsPath` (must export run(): Promise<void>) in the extension host of
 * code-server with `extensionPath` loaded for development. Resolves with the exit code the
 * workbench reports (0 pass, 1 fail); 124 on timeout; 2 when the harness itself failed.
 */
export async function runExtensionTests({
  extensionPath,
  testsPath,
  workspaceFolder,
  timeoutMs = 300_000,
  userSettings = {},
  logsDir,
  verbose = VERBOSE,
} = {}) {
  if (!extensionPath || !testsPath) throw new Error('runExtensionTests: extensionPath and testsPath are required');
  if (!path.isAbsolute(testsPath)) testsPath = path.resolve(testsPath);
  const started = Date.now();
  let server;
  let browser;
  let timer;
  try {
    server = await startCodeServer({ workspaceFolder, userSettings, verbose });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    attachPageDiagnostics(page, verbose);
    let resolveExit;
    const exited = new Promise((r) => {
      resolveExit = r;
    });
    // Both must exist before the workbench loads: it checks for them when it starts.
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = formatAutomationArgs(args);
      process.stdout.write(type === 'error' || type === 'warn' ? `[${type}] ${text}\n` : `${text}\n`);
    });
    await page.exposeFunction('codeAutomationExit', async (code, logs) => {
      if (logsDir && Array.isArray(logs)) {
        for (const f of logs) {
          const dest = path.join(logsDir, f.relativePath);
          await fsp.mkdir(path.dirname(dest), { recursive: true });
          await fsp.writeFile(dest, f.contents);
        }
      }
      resolveExit(typeof code === 'number' ? code : 1);
    });
    const url = workbenchUrl(server, { workspaceFolder, extensionPath, testsPath });
    if (verbose) log('opening', url);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    const timedOut = new Promise((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    const result = await Promise.race([exited, timedOut]);
    if (result === 'timeout') {
      log(`TIMEOUT: extension tests did not finish within ${timeoutMs} ms (${testsPath}); failing with exit code 124`);
      return 124;
    }
    log(`extension tests exited with code ${result} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } catch (err) {
    log(`ERROR: ${err && err.stack ? err.stack : err}`);
    return 2;
  } finally {
    clearTimeout(timer);
    const t0 = Date.now();
    if (browser) await browser.close().catch(() => {});
    const t1 = Date.now();
    if (server) await server.stop();
    if (verbose) log(`cleanup: browser ${t1 - t0} ms, code-server ${Date.now() - t1} ms`);
  }
}

/**
 * Opens the workbench in headless Chromium with `extensionPath` loaded for development (no tests),
 * or, without `extensionPath`, only the extensions installed in `extensionsDir` (as a user runs them),
 * for UI checks (keyboard, screenshots). Resolves once the workbench is restored.
 * @returns {Promise<{page:any,browser:any,server:any,close:()=>Promise<void>}>}
 */
export async function openWorkbench({
  extensionPath,
  extensionsDir,
  workspaceFolder,
  userSettings = {},
  machineSettings,
  viewport = { width: 1280, height: 800 },
  timeoutMs = 60_000,
  verbose = VERBOSE,
} = {}) {
  const server = await startCodeServer({ workspaceFolder, userSettings, machineSettings, extensionsDir, verbose });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport });
    attachPageDiagnostics(page, verbose);
    await page.goto(workbenchUrl(server, { workspaceFolder, extensionPath }), { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: timeoutMs });
    // The smoke-test driver (enabled by startCodeServer) knows when the workbench is restored.
    await page.waitForFunction(() => !!window.driver, null, { timeout: timeoutMs }).catch(() => {});
    await page.evaluate(() => window.driver?.whenWorkbenchRestored?.()).catch(() => {});
    // Extension contributions (commands in the palette, views) appear only once the remote
    // extension host is up; "restored" can come several seconds earlier on a slow machine.
    const deadline = Date.now() + timeoutMs;
    while (!/Launched Extension Host Process/.test(server.output()) && Date.now() < deadline) await sleep(200);
    await sleep(500);
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await browser.close().catch(() => {});
      await server.stop();
    };
    return { page, browser, server, close };
  } catch (err) {
    if (browser) await browser.close().catch(() => {});
    await server.stop();
    throw err;
  }
}

/**
 * Opens the command palette with F1 (Ctrl+Shift+P may be taken by the browser), types `label`
 * and runs the first entry whose text contains it. Retries while the entry is missing, since the
 * palette lists extension commands only once the extension host has registered them, and while the
 * palette does not open or closes again before the label is typed.
 */
export async function runCommand(page, label, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input');
  for (;;) {
    try {
      // A view that takes the focus while it loads (a webview) can close the palette between these
      // steps, or keep F1 from opening it: each step fails fast and the whole attempt is made again.
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${label}`, { timeout: 5_000 });
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: 3_000 });
      await page.keyboard.press('Enter');
      return;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline)
        throw new Error(`command "${label}" not found in the command palette within ${timeoutMs} ms`, { cause: err });
    }
  }
}

/**
 * For `open`: an extensions folder holding a symlink `publisher.name-version` -> extensionPath,
 * so the extension loads as an installed one (no URL payload needed).
 */
async function makeExtensionsDirWith(extensionPath) {
  const pkg = readJson(path.join(extensionPath, 'package.json'));
  const id = `${pkg.publisher || 'undefined_publisher'}.${pkg.name}-${pkg.version}`;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vscode-host-ext-'));
  await fsp.symlink(path.resolve(extensionPath), path.join(dir, id), 'dir');
  return { dir, id };
}

async function cleanupAll() {
  for (const r of [...live]) {
    try {
      if (typeof r.stop === 'function') await r.stop();
      else if (typeof r.close === 'function') await r.close();
    } catch {
      /* ignore */
    }
  }
}

function usage() {
  const testArgs = 'test --extension <dir> --tests <abs path to mocha index.js> --workspace <dir> [--timeout ms] [--logs dir]';
  return `usage:
  node test/harness/vscode-host.mjs ${testArgs}
  node test/harness/vscode-host.mjs open --extension <dir> --workspace <dir> [--port N]`;
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      extension: { type: 'string' },
      tests: { type: 'string' },
      workspace: { type: 'string' },
      timeout: { type: 'string' },
      port: { type: 'string' },
      logs: { type: 'string' },
    },
    strict: true,
  });
  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping`);
    cleanupAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (cmd === 'test') {
    if (!values.extension || !values.tests) throw new Error(`test needs --extension and --tests\n${usage()}`);
    const code = await runExtensionTests({
      extensionPath: path.resolve(values.extension),
      testsPath: path.resolve(values.tests),
      workspaceFolder: values.workspace ? path.resolve(values.workspace) : undefined,
      timeoutMs: values.timeout ? Number(values.timeout) : 300_000,
      logsDir: values.logs ? path.resolve(values.logs) : undefined,
    });
    return code;
  }
  if (cmd === 'open') {
    if (!values.extension) throw new Error(`open needs --extension\n${usage()}`);
    const extensionPath = path.resolve(values.extension);
    const { dir, id } = await makeExtensionsDirWith(extensionPath);
    const server = await startCodeServer({
      workspaceFolder: values.workspace ? path.resolve(values.workspace) : undefined,
      extensionsDir: dir,
      port: values.port ? Number(values.port) : undefined,
    });
    live.add({ stop: () => fsp.rm(dir, { recursive: true, force: true }) });
    log(`code-server is running with ${id} installed from ${extensionPath}`);
    log(`open: ${server.url}`);
    log(`(as an extension in development instead: ${workbenchUrl(server, { extensionPath })})`);
    log('Ctrl-C to stop');
    await new Promise((resolve) => server.process.on('exit', resolve));
    if (interrupted) return new Promise(() => {}); // the signal handler finishes and exits
    log('code-server exited unexpectedly');
    await cleanupAll();
    return 1;
  }
  process.stderr.write(`${usage()}\n`);
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    async (code) => {
      await cleanupAll();
      process.exit(code);
    },
    async (err) => {
      process.stderr.write(`${err && err.message ? err.message : err}\n`);
      await cleanupAll();
      process.exit(2);
    },
  );
}
