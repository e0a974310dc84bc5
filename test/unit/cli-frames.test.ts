/** `st-think frames plan` and `frames extract`, run as the built CLI (npm run build first). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

const cli = path.resolve(__dirname, '../../../dist/cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-cli-frames-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function st(...args: string[]) {
  assert.ok(fs.existsSync(cli), `${cli} is missing: run \`npm run build\` first`);
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

describe('st-think frames', () => {
  test('plan --json prints the indices of each sampler', () => {
    const q = st('frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--json');
    assert.equal(q.status, 0, q.stderr);
    assert.deepEqual(JSON.parse(q.stdout), { indices: [0, 33, 66, 100, 166, 199, 233, 299] });
    const i = st('frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--sampler', 'internvl', '--json');
    assert.deepEqual(JSON.parse(i.stdout).indices, [18, 55, 93, 130, 168, 205, 242, 280]);
    const u = st('frames', 'plan', '--total-frames', '11', '--video-fps', '30', '--sampler', 'uniform', '--count', '6', '--json');
    assert.deepEqual(JSON.parse(u.stdout).indices, [0, 2, 4, 6, 8, 10]);
  });

  test('plan refuses bad input with exit status 2', () => {
    assert.equal(st('frames', 'plan', '--total-frames', '300').status, 2);
    assert.equal(st('frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--sampler', 'nope').status, 2);
    assert.match(st('frames', 'plan', '--total-frames', 'x', '--video-fps', '30').stderr, /--total-frames needs a number/);
  });

  test('extract writes the frames to --out and prints index, time and path', () => {
    const video = path.join(dir, 'clip.mp4');
    const mk = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-frames:v', '40', '-pix_fmt', 'yuv420p', video]);
    assert.equal(mk.status, 0, String(mk.stderr));
    const out = path.join(dir, 'out');
    const r = st('frames', 'extract', video, '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    // 40 frames at 10 fps: 4 s → n = 4 → linspace(0, 39, 4) = 0, 13, 26, 39.
    assert.deepEqual(res.indices, [0, 0, 0, 13, 13, 26, 26, 39]);
    assert.deepEqual(res.frames.map((f: { index: number }) => f.index), [0, 13, 26, 39]);
    for (const f of res.frames) assert.ok(fs.statSync(f.path).size > 0 && path.dirname(f.path) === out);
    assert.equal(res.probe.totalFrames, 40);
  });
});
