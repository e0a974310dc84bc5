/**
 * Exact frame extraction with the real ffmpeg: test videos whose every frame encodes its own index
 * (three grey bands, base 16, losslessly encoded) are sampled and extracted, and each extracted
 * image is decoded back to the index it shows. Needs ffmpeg and ffprobe (npm test installs them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { extractFrames, findFfmpeg, probeVideo, type FfmpegPaths } from '../../src/core/frames/extract';
import { planFrames } from '../../src/core/frames/samplers';

const W = 96;
const H = 48;
let dir = '';
let paths: FfmpegPaths;

/** A luma level per band: the index's digits in base 16, each as 16 + 12·d (inside video range). */
const BANDS =
  `format=yuv420p,geq=lum='if(lt(X,${W / 3}),16+12*mod(N,16),` +
  `if(lt(X,${(2 * W) / 3}),16+12*mod(floor(N/16),16),16+12*mod(floor(N/256),16)))':cb=128:cr=128`;

function ffmpegRun(args: string[]): void {
  const r = spawnSync(paths.ffmpeg, ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/** A clip of `frames` frames; `setpts` shapes its timestamps (variable frame rate). */
function makeClip(name: string, frames: number, rate: string, extra: string[] = [], setpts?: string): string {
  const out = path.join(dir, name);
  const vf = setpts ? `${BANDS},setpts=${setpts}` : BANDS;
  ffmpegRun([
    '-f',
    'lavfi',
    '-i',
    `color=c=black:s=${W}x${H}:r=${rate}`,
    '-frames:v',
    String(frames),
    '-vf',
    vf,
    '-c:v',
    'libx264',
    '-qp',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '24',
    '-bf',
    '2',
    ...(setpts ? ['-fps_mode', 'passthrough'] : []),
    ...extra,
    out,
  ]);
  return out;
}

/** The index an extracted image shows. */
function shownIndex(image: string): number {
  const r = spawnSync(paths.ffmpeg, ['-v', 'error', '-i', image, '-vf', `scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], {
    maxBuffer: 1 << 24,
  });
  assert.equal(r.status, 0, String(r.stderr));
  const px = r.stdout as Buffer;
  const at = (x: number) => px[Math.floor(H / 2) * W + x];
  // Grey output is full range: undo the video-range expansion, then read the digit.
  const digit = (v: number) => Math.round(((v * 219) / 255 + 16 - 16) / 12);
  return digit(at(W / 6)) + 16 * digit(at(W / 2)) + 256 * digit(at((5 * W) / 6));
}

before(() => {
  paths = findFfmpeg();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-frames-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('frame extraction (real ffmpeg)', () => {
  test('finds ffmpeg on PATH, and a configured path first', () => {
    assert.equal(paths.source, 'PATH');
    assert.deepEqual(findFfmpeg({ ffmpeg: paths.ffmpeg, ffprobe: paths.ffprobe }).source, 'setting');
  });

  test('with nothing on PATH, the binaries shipped in npm packages, still exact', async () => {
    const shipped = findFfmpeg({ ffmpeg: '/nope/ffmpeg' }, { PATH: '' });
    assert.equal(shipped.source, 'npm');
    assert.match(shipped.ffmpeg, /node_modules\/@ffmpeg-installer\//);
    const video = makeClip('npm-bin.mp4', 90, '30');
    const set = await extractFrames(video, { sampler: 'internvl' }, { paths: shipped, cacheDir: path.join(dir, 'cache-npm') });
    for (const f of set.frames) assert.equal(shownIndex(f.file!), f.index);
  });

  const clips: [string, () => string, number][] = [
    ['30 fps, B-frames', () => makeClip('cfr30.mp4', 300, '30'), 300],
    ['23.976 fps', () => makeClip('ntsc.mp4', 120, '24000/1001'), 120],
    ['25 frames (a short clip that repeats frames)', () => makeClip('short.mp4', 25, '25'), 25],
    ['variable frame rate', () => makeClip('vfr.mp4', 90, '30', [], "'(N+N*N/40)/30/TB'"), 90],
  ];
  for (const [label, make, T] of clips) {
    test(`every sampler gets exactly the frames it asks for: ${label}`, async () => {
      const video = make();
      const probe = await probeVideo(video, paths);
      assert.equal(probe.totalFrames, T);
      assert.equal(probe.estimated, false);
      for (const sampler of ['qwen2vl', 'internvl', 'uniform'] as const) {
        const set = await extractFrames(video, { sampler }, { paths, cacheDir: path.join(dir, 'cache') });
        assert.deepEqual(set.indices, planFrames(probe, { sampler }));
        assert.deepEqual(
          set.frames.map((f) => f.index),
          [...new Set(set.indices)].sort((a, b) => a - b),
        );
        for (const f of set.frames) {
          assert.ok(f.file, `${label} ${sampler} frame ${f.index}: ${f.error}`);
          assert.equal(shownIndex(f.file!), f.index, `${label} ${sampler}: asked for frame ${f.index}`);
        }
      }
    });
  }

  test('a cached set opens without running ffmpeg', async () => {
    const video = makeClip('cache.mp4', 60, '30');
    const cacheDir = path.join(dir, 'cache2');
    const first = await extractFrames(video, {}, { paths, cacheDir });
    assert.equal(first.cached, false);
    const broken: FfmpegPaths = { ffmpeg: '/nonexistent/ffmpeg', ffprobe: '/nonexistent/ffprobe', source: 'setting' };
    const again = await extractFrames(video, {}, { paths: broken, cacheDir });
    assert.equal(again.cached, true);
    assert.deepEqual(again.frames, first.frames);
    // Another sampler is another cache entry, and needs ffmpeg.
    await assert.rejects(extractFrames(video, { sampler: 'internvl' }, { paths: broken, cacheDir }), /ffprobe/);
  });

  test('a truncated video: the frames before the cut are exact, the others reported', async () => {
    const whole = makeClip('whole.mp4', 240, '30', ['-movflags', '+faststart']);
    const cut = path.join(dir, 'cut.mp4');
    const bytes = fs.readFileSync(whole);
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.55)));
    const set = await extractFrames(cut, { sampler: 'uniform', count: 8 }, { paths, cacheDir: path.join(dir, 'cache3') });
    const good = set.frames.filter((f) => f.file);
    const bad = set.frames.filter((f) => !f.file);
    assert.ok(good.length >= 2, JSON.stringify(set.frames));
    assert.ok(bad.length >= 1, 'frames past the cut cannot be decoded');
    for (const f of good) assert.equal(shownIndex(f.file!), f.index);
    for (const f of bad) assert.match(f.error!, /could not be decoded/);
  });

  test('a missing or unreadable video says so', async () => {
    await assert.rejects(extractFrames(path.join(dir, 'nope.mp4'), {}, { paths, cacheDir: dir }), /nope\.mp4: no such file/);
    const junk = path.join(dir, 'junk.mp4');
    fs.writeFileSync(junk, 'not a video at all');
    await assert.rejects(extractFrames(junk, {}, { paths, cacheDir: dir }), /ffprobe: .*junk\.mp4/);
  });
});
