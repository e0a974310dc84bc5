/**
 * Settings a workspace could set against its user (issue 10, security point 4): the record size
 * limit is clamped, `stThink.autoOpen` opens only files inside the workspace folder, an untrusted
 * workspace's own values of restricted settings are ignored, and package.json says so.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { autoOpenPath, clampRecordSizeMiB, MAX_RECORD_SIZE_MIB, trustedSettingValue } from '../../src/core/settingsLimits';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));
const props: Record<string, { scope?: string; maximum?: number }> = pkg.contributes.configuration.properties;
const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;

let dir = '';
before(() => (dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-settings-')))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('settings limits', () => {
  test('the record size limit is a whole number of MiB from 1 to 256, whatever the setting says', () => {
    assert.equal(MAX_RECORD_SIZE_MIB, 256);
    assert.equal(clampRecordSizeMiB(1024), 256);
    assert.equal(clampRecordSizeMiB(1e12), 256);
    assert.equal(clampRecordSizeMiB(256), 256);
    assert.equal(clampRecordSizeMiB(16.9), 16);
    assert.equal(clampRecordSizeMiB(0), 1);
    assert.equal(clampRecordSizeMiB(-5), 1);
    for (const v of [undefined, null, NaN, Infinity, '1024', {}]) assert.equal(clampRecordSizeMiB(v), 16, String(v));
    assert.equal(props['stThink.maxRecordSizeMiB'].maximum, 256);
  });

  test("an untrusted workspace's own values are ignored; a trusted one's most specific scope wins", () => {
    const scopes = { globalValue: 512, workspaceValue: 32768, workspaceFolderValue: 4096 };
    assert.equal(trustedSettingValue(scopes, true), 4096);
    assert.equal(trustedSettingValue({ globalValue: 512, workspaceValue: 32768 }, true), 32768);
    assert.equal(trustedSettingValue(scopes, false), 512);
    assert.equal(trustedSettingValue({ workspaceValue: ['/etc/passwd'] }, false), undefined);
    assert.equal(trustedSettingValue(undefined, true), undefined);
  });

  test('autoOpen opens paths inside the workspace folder only', () => {
    const ws = path.join(dir, 'ws');
    fs.mkdirSync(path.join(ws, 'runs'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'runs', 'a.jsonl'), '{}\n');
    fs.writeFileSync(path.join(dir, 'outside.jsonl'), '{}\n');
    fs.symlinkSync(path.join(dir, 'outside.jsonl'), path.join(ws, 'escape.jsonl'));
    fs.symlinkSync(path.join(ws, 'runs', 'a.jsonl'), path.join(ws, 'alias.jsonl'));
    assert.deepEqual(autoOpenPath('runs/a.jsonl', ws), { ok: true, path: path.join(ws, 'runs', 'a.jsonl') });
    assert.deepEqual(autoOpenPath('./runs/../runs/a.jsonl', ws), { ok: true, path: path.join(ws, 'runs', 'a.jsonl') });
    assert.deepEqual(autoOpenPath('alias.jsonl', ws), { ok: true, path: path.join(ws, 'alias.jsonl') });
    assert.deepEqual(autoOpenPath('..not-a-parent.jsonl', ws), { ok: true, path: path.join(ws, '..not-a-parent.jsonl') });
    assert.deepEqual(autoOpenPath('missing.jsonl', ws), { ok: true, path: path.join(ws, 'missing.jsonl') });
    const refused: [unknown, RegExp][] = [
      ['/etc/passwd', /absolute/],
      [path.join(ws, 'runs', 'a.jsonl'), /absolute/],
      ['C:\\Users\\me\\secret.jsonl', /absolute/],
      ['~/.ssh/id_rsa', /absolute/],
      ['../outside.jsonl', /outside the workspace/],
      ['runs/../../outside.jsonl', /outside the workspace/],
      ['..', /outside the workspace/],
      ['.', /outside the workspace/],
      ['escape.jsonl', /link to a file outside/],
      ['', /not a path/],
      [42, /not a path/],
    ];
    for (const [entry, why] of refused) {
      const r = autoOpenPath(entry, ws);
      assert.equal(r.ok, false, String(entry));
      if (!r.ok) assert.match(r.why, why, String(entry));
    }
  });

  test(
    'package.json: the settings a workspace could turn against its user are restricted; ' + 'executables and models are machine settings',
    () => {
      for (const k of [
        'stThink.autoOpen',
        'stThink.maxRecordSizeMiB',
        'stThink.rerun.maxNewTokens',
        'stThink.rerun.doSample',
        'stThink.rerun.temperature',
        'stThink.rerun.topK',
        'stThink.rerun.topP',
        'stThink.rerun.repetitionPenalty',
        'stThink.rerun.seed',
        'stThink.ffmpegPath',
        'stThink.videoRoots',
        'stThink.rerun.provider',
        'stThink.served.baseUrl',
        'stThink.served.model',
        'stThink.served.concurrency',
        'stThink.served.timeoutMs',
      ])
        assert.ok(restricted.includes(k), `${k} is restricted`);
      for (const k of restricted) assert.ok(props[k], `${k} is a setting`);
      for (const k of [
        'stThink.ffmpegPath',
        'stThink.modelPath',
        'stThink.modelDtype',
        'stThink.executionProvider',
        'stThink.rerun.outputFolder',
        'stThink.rerun.provider',
        'stThink.served.baseUrl',
        'stThink.served.model',
        'stThink.served.concurrency',
        'stThink.served.timeoutMs',
      ])
        assert.equal(props[k].scope, 'machine', k);
      assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    },
  );
});
