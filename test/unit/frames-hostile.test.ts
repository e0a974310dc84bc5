/**
 * Hostile video paths and frame caches (issue 10, security points 2 and 3), with the real ffmpeg:
 * a video named like an option or a protocol is read as the plain file it is, and a planted cache
 * manifest never hands out a file outside its cache folder (nor does the CLI copy one into --out).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cacheKey, extractFrames, findFfmpeg, probeVideo, readCachedFrames, type FfmpegPaths } from '../../src/core/frames/extract';
import { samplerParamsSchema } from '../../src/core/frames/samplers';

const cli = path.resolve(__dirname, '../../../dist/cli.js');
let dir = '';
let paths: FfmpegPaths;

function clip(file: string, frames: number): string {
  const r = spawnSync(
    paths.ffmpeg,
    [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=64x48:r=10',
      '-frames:v',
      String(frames),
      '-pix_fmt',
      'yuv420p',
      '-f',
      'mp4',
      `file:${file}`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return file;
}

/** Runs `fn` with the working directory at `cwd`. */
async function inDir<T>(cwd: string, fn: () => Promise<T>): Promise<T> {
  const was = process.cwd();
  process.chdir(cwd);
  try {
    return await fn();
  } finally {
    process.chdir(was);
  }
}

before(() => {
  paths = findFfmpeg();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-think-frames-hostile-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('hostile video paths reach ffmpeg as plain files', () => {
  test('a video named -report is extracted, and no ffreport log appears in the working directory', async () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'report-'));
    clip(path.join(cwd, '-report'), 20);
    const set = await inDir(cwd, () => extractFrames('-report', { sampler: 'uniform', count: 3 }, { paths, cacheDir: 'cache' }));
    assert.equal(set.probe.totalFrames, 20);
    assert.ok(set.frames.every((f) => f.file && fs.statSync(f.file).size > 0));
    assert.deepEqual(
      fs.readdirSync(cwd).filter((n) => n.endsWith('.log')),
      [],
    );
  });

  test('a path like concat:a.mp4|b.mp4 is the file of that name, not the concat protocol', async () => {
    const cwd = fs.mkdtempSync(path.join(dir, 'concat-'));
    clip(path.join(cwd, 'a.mp4'), 30);
    clip(path.join(cwd, 'b.mp4'), 40);
    clip(path.join(cwd, 'concat:a.mp4|b.mp4'), 7);
    const probe = await inDir(cwd, () => probeVideo('concat:a.mp4|b.mp4', paths));
    assert.equal(probe.totalFrames, 7);
    const set = await inDir(cwd, () => extractFrames('concat:a.mp4|b.mp4', { sampler: 'uniform', count: 2 }, { paths, cacheDir: 'c' }));
    assert.deepEqual(set.indices, [0, 6]);
  });
});

describe('the frame cache manifest is validated', () => {
  const params = samplerParamsSchema.parse({ sampler: 'uniform', count: 2 });

  async function planted(name: string, edit: (m: { frames: { file?: string }[] }) => void) {
    const video = clip(path.join(dir, `${name}.mp4`), 12);
    const cacheDir = path.join(dir, `cache-${name}`);
    const first = await extractFrames(video, params, { paths, cacheDir });
    const entry = path.join(cacheDir, cacheKey(video, fs.statSync(video), params));
    const manifest = JSON.parse(fs.readFileSync(path.join(entry, 'frames.json'), 'utf8'));
    edit(manifest);
    fs.writeFileSync(path.join(entry, 'frames.json'), JSON.stringify(manifest));
    return { video, cacheDir, entry, first };
  }

  test(
    'an entry naming ../../x, ' + 'an absolute path or another name is not a cache hit; extraction redoes the set inside the cache',
    async () => {
      const secret = path.join(dir, 'secret.txt');
      fs.writeFileSync(secret, 'do not copy');
      for (const [name, file] of [
        ['dotdot', '../../secret.txt'],
        ['absolute', secret],
        ['other', 'frames.json'],
        ['renamed', 'frame-000099.jpg'],
      ]) {
        const { video, cacheDir, entry } = await planted(name, (m) => (m.frames[0].file = file));
        assert.equal(await readCachedFrames(entry), undefined, name);
        const again = await extractFrames(video, params, { paths, cacheDir });
        assert.equal(again.cached, false, name);
        for (const f of again.frames) assert.equal(path.dirname(f.file!), entry, name);
        assert.ok((await readCachedFrames(entry))?.cached, name);
      }
    },
  );

  test('a frame file that is a link (to a file outside) is not a cache hit', async () => {
    const secret = path.join(dir, 'secret2.txt');
    fs.writeFileSync(secret, 'do not copy');
    const { entry, first } = await planted('link', () => undefined);
    const frame = first.frames[0].file!;
    fs.rmSync(frame);
    fs.symlinkSync(secret, frame);
    assert.equal(await readCachedFrames(entry), undefined);
  });

  test('frames extract copies nothing from a planted manifest into --out', () => {
    assert.ok(fs.existsSync(cli), `${cli} is missing: run \`npm run build\` first`);
    const work = fs.mkdtempSync(path.join(dir, 'cli-'));
    const video = clip(path.join(work, 'v.mp4'), 12);
    const out = path.join(work, 'out');
    fs.writeFileSync(path.join(work, 'secret.txt'), 'do not copy');
    const run = () =>
      spawnSync(process.execPath, [cli, 'frames', 'extract', video, '--out', out, '--sampler', 'uniform', '--count', '2', '--json'], {
        encoding: 'utf8',
      });
    assert.equal(run().status, 0);
    const entry = path.join(out, '.st-think-cache', cacheKey(video, fs.statSync(video), params));
    const manifest = JSON.parse(fs.readFileSync(path.join(entry, 'frames.json'), 'utf8'));
    manifest.frames[0].file = '../../../secret.txt';
    fs.writeFileSync(path.join(entry, 'frames.json'), JSON.stringify(manifest));
    for (const n of fs.readdirSync(out)) if (n !== '.st-think-cache') fs.rmSync(path.join(out, n));
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(out).sort(), ['.st-think-cache', 'frame-000000.jpg', 'frame-000011.jpg']);
    assert.equal(JSON.parse(r.stdout).cached, false);
  });
});
