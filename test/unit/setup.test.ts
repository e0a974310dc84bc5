/**
 * Set-up: npm runs in this project without warnings, and `npm ci` never runs onnxruntime-node's
 * install script (it downloads the CUDA provider from NuGet on Linux x64, which fails offline).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './helpers';

const readJson = (name: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, name), 'utf8'));

describe('npm set-up', () => {
  test('npm reads no config it does not know (no "Unknown project config" on every command)', () => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (/^npm_/i.test(k)) delete env[k]; // what `npm test` exports is not the project's config
    const r = spawnSync('npm', ['config', 'list'], { cwd: repoRoot, encoding: 'utf8', env, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Unknown (project|user|global|env|cli) config/);
  });

  test("package.json's allowScripts denies onnxruntime-node's install script", () => {
    assert.equal(readJson('package.json').allowScripts?.['onnxruntime-node'], false);
  });

  test('every package with an install script in the lockfile is allowed or denied, so npm ci lists none as unreviewed', () => {
    const allow: Record<string, boolean> = readJson('package.json').allowScripts ?? {};
    const lock = readJson('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length));
    assert.ok(withScripts.includes('onnxruntime-node'));
    const missing = [...new Set(withScripts)].filter((name) => !(name in allow));
    assert.deepEqual(missing, []);
  });
});
