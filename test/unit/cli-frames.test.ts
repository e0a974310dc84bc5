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
    assert.deepEqual(JSON.parse(q.stdout), {
      indices: [0, 33, 66, 100, 166, 199, 233, 299],
      alternatives: [],
      preset: { name: 'inference', fps: 1, maxPixels: 151200 },
    });
    const i = st('frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--sampler', 'internvl', '--json');
    assert.deepEqual(JSON.parse(i.stdout).indices, [18, 55, 93, 130, 168, 205, 242, 280]);
    const u = st('frames', 'plan', '--total-frames', '11', '--video-fps', '30', '--sampler', 'uniform', '--count', '6', '--json');
    assert.deepEqual(JSON.parse(u.stdout).indices, [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(JSON.parse(u.stdout).alternatives, []);
    assert.equal(JSON.parse(u.stdout).preset, undefined);
  });

  test("plan: the issue's clips come out as real torch picks them", () => {
    // Issue 8, point 1 (measured against real torch's AVX2 kernel).
    const a = st('frames', 'plan', '--total-frames', '37053', '--video-fps', '60', '--json');
    assert.deepEqual(JSON.parse(a.stdout).indices, [0, 5242, 10543, 15845, 21147, 26449, 31750, 37052]);
    const b = st('frames', 'plan', '--total-frames', '12721', '--video-fps', '10', '--fps', '2', '--json');
    assert.deepEqual(JSON.parse(b.stdout).indices, [0, 1808, 3632, 5440, 7264, 9071, 10896, 12720]);
    // The GRPO preset is fps 2: the same plan without --fps.
    const c = st('frames', 'plan', '--total-frames', '12721', '--video-fps', '10', '--preset', 'grpo-training', '--json');
    assert.equal(c.status, 0, c.stderr);
    assert.deepEqual(JSON.parse(c.stdout).indices, [0, 1808, 3632, 5440, 7264, 9071, 10896, 12720]);
    assert.deepEqual(JSON.parse(c.stdout).preset, { name: 'grpo-training', fps: 2, maxPixels: 153664 });
    // An explicit --fps wins over the preset's.
    const d = st('frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--preset', 'grpo-training', '--fps', '1', '--json');
    assert.deepEqual(JSON.parse(d.stdout).indices, [0, 33, 66, 100, 166, 199, 233, 299]);
  });

  test('plan lists the frames AVX-512 or scalar linspace would pick instead', () => {
    // 17368 frames at 30 fps: the 16-lane kernel's first stage gives 9902.5 at sample 329 (rounds to
    // 9902), AVX2 9902.5009765625 (see samplers.test.ts and scripts/torch-linspace-reference.py).
    const j = st('frames', 'plan', '--total-frames', '17368', '--video-fps', '30', '--json');
    const out = JSON.parse(j.stdout);
    assert.deepEqual(out.indices, [0, 2468, 4936, 7434, 9903, 12401, 14869, 17367]);
    assert.deepEqual(
      out.alternatives.map((a: { position: number; frame: number; alternative: number; kernel: string }) => [
        a.position,
        a.frame,
        a.alternative,
        a.kernel,
      ]),
      [[4, 9903, 9902, 'avx512']],
    );
    assert.match(out.alternatives[0].why, /9902\.5 at sample 329/);
    const t = st('frames', 'plan', '--total-frames', '17368', '--video-fps', '30');
    const lines = t.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, t.stdout);
    assert.equal(lines[0], '0 2468 4936 7434 9903 12401 14869 17367');
    assert.match(
      lines[1],
      /^could differ: torch builds using AVX-512 \(16-lane\) linspace would pick frame 9902 instead of 9903 at position 5 of 8: /,
    );
    // None: one line only.
    assert.equal(st('frames', 'plan', '--total-frames', '300', '--video-fps', '30').stdout, '0 33 66 100 166 199 233 299\n');
  });

  test('plan refuses bad input with exit status 2', () => {
    assert.equal(st('frames', 'plan', '--total-frames', '300').status, 2);
    assert.equal(st('frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--sampler', 'nope').status, 2);
    assert.match(st('frames', 'plan', '--total-frames', 'x', '--video-fps', '30').stderr, /--total-frames needs a number/);
    const bad = st('frames', 'plan', '--total-frames', '300', '--video-fps', '30', '--preset', 'training');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--preset must be one of inference, grpo-training/);
  });

  test('extract writes the frames to --out and prints index, time and path', () => {
    const video = path.join(dir, 'clip.mp4');
    const mk = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=10',
      '-frames:v',
      '40',
      '-pix_fmt',
      'yuv420p',
      video,
    ]);
    assert.equal(mk.status, 0, String(mk.stderr));
    const out = path.join(dir, 'out');
    const r = st('frames', 'extract', video, '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    // 40 frames at 10 fps: 4 s → n = 4 → linspace(0, 39, 4) = 0, 13, 26, 39.
    assert.deepEqual(res.indices, [0, 0, 0, 13, 13, 26, 26, 39]);
    assert.deepEqual(
      res.frames.map((f: { index: number }) => f.index),
      [0, 13, 26, 39],
    );
    for (const f of res.frames) assert.ok(fs.statSync(f.path).size > 0 && path.dirname(f.path) === out);
    assert.equal(res.probe.totalFrames, 40);
    assert.deepEqual(res.alternatives, []);
    assert.deepEqual(res.preset, { name: 'inference', fps: 1, maxPixels: 151200 });
    // smart_resize(48, 64): rounded to 56×56 = 3136 < 100352 → beta = √(100352/3072) = 5.7155 →
    // ceil(48β/28)·28 = 280, ceil(64β/28)·28 = 392.
    assert.deepEqual(res.modelSize, { width: 392, height: 280 });
    // The GRPO preset reads at 2 fps: 4 s → n = 8 → linspace(0, 39, 8): 0, 5.57, 11.14, 16.71,
    // 22.29, 27.86, 33.43, 39 → 0, 6, 11, 17, 22, 28, 33, 39; all 8 kept.
    const g = st('frames', 'extract', video, '--out', path.join(dir, 'out-grpo'), '--preset', 'grpo-training', '--json');
    assert.equal(g.status, 0, g.stderr);
    assert.deepEqual(JSON.parse(g.stdout).indices, [0, 6, 11, 17, 22, 28, 33, 39]);
  });
});
