/** What the extension-host suites share: the repository's paths, the extension's API, waiting, a test video. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StThinkApi } from '../../src/extension/extension';

export const repo = path.resolve(__dirname, '../../..');
export const sample = path.join(repo, 'samples/st-r1-demo-run.jsonl');

/** The extension's API, activating it if it is not yet. */
export async function api(): Promise<StThinkApi> {
  const ext = vscode.extensions.getExtension<StThinkApi>('st-think.st-think-inspector');
  assert.ok(ext, 'the extension is installed in this host');
  return ext.isActive ? ext.exports : ext.activate();
}

/** Poll `probe` until it gives a value, or fail after `ms`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A 10 s, 30 fps test-pattern video of `size` (WxH) made with ffmpeg at `file`. */
export function makeTestVideo(file: string, size = '160x120'): void {
  const mk = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${size}:rate=30`,
    '-frames:v',
    '300',
    '-pix_fmt',
    'yuv420p',
    file,
  ]);
  assert.equal(mk.status, 0, String(mk.stderr));
}
