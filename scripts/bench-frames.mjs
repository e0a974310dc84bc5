// Frame extraction benchmark (issue 3): a generated 60 s 1920×1080 H.264 clip at 30 fps; time to
// extract the 8 qwen2vl frames cold (empty cache), against one full decode of the clip
// (`ffmpeg -i clip -f null -`) in the same run; and the time to open a cached record's frames.
// Usage: node scripts/bench-frames.mjs [--runs 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
const require = createRequire(import.meta.url);
const { extractFrames, findFfmpeg, readCachedFrames, cacheKey } = require(path.join(root, 'out/src/core/frames/extract.js'));
const paths = findFfmpeg();

const dataDir = path.join(root, 'bench-data');
mkdirSync(dataDir, { recursive: true });
const clip = path.join(dataDir, 'clip-60s-1080p30.mp4');
if (!existsSync(clip)) {
  const tmp = `${clip}.tmp.mp4`;
  const t = Date.now();
  const r = spawnSync(paths.ffmpeg, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=30',
    '-t',
    '60',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    tmp,
  ]);
  if (r.status !== 0) throw new Error(String(r.stderr));
  renameSync(tmp, clip);
  console.error(`generated ${clip} in ${Date.now() - t} ms`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fullDecode = [];
const cold = [];
const cached = [];
let indices = [];
for (let k = 0; k < runs; k++) {
  let t = performance.now();
  const d = spawnSync(paths.ffmpeg, ['-v', 'error', '-i', clip, '-f', 'null', '-']);
  if (d.status !== 0) throw new Error(String(d.stderr));
  fullDecode.push(performance.now() - t);

  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'st-think-bench-frames-'));
  t = performance.now();
  const set = await extractFrames(clip, { sampler: 'qwen2vl' }, { paths, cacheDir });
  cold.push(performance.now() - t);
  indices = set.indices;
  if (set.frames.some((f) => !f.file)) throw new Error('a frame failed');

  // A cached record: what the trace view does before posting frames (stat, key, manifest, files).
  const times = [];
  for (let j = 0; j < 20; j++) {
    t = performance.now();
    const again = await extractFrames(clip, { sampler: 'qwen2vl' }, { paths, cacheDir });
    times.push(performance.now() - t);
    if (!again.cached) throw new Error('not cached');
  }
  cached.push(median(times));
  rmSync(cacheDir, { recursive: true, force: true });
}
void readCachedFrames;
void cacheKey;
const fd = median(fullDecode);
const c = median(cold);
const ffmpegVersion = spawnSync(paths.ffmpeg, ['-version']).stdout.toString().split('\n')[0];
const memoryGiB = Math.round(os.totalmem() / 2 ** 30);
const result = {
  machine: `${os.cpus()[0].model}, ${os.cpus().length} cores, ${memoryGiB} GiB, Node ${process.version}, ${ffmpegVersion}`,
  clip: '60 s, 1920×1080, H.264 (x264 veryfast, default GOP), 30 fps, 1800 frames',
  runs,
  indices,
  fullDecodeMs: Math.round(fd),
  extractColdMs: Math.round(c),
  ratio: +(c / fd).toFixed(2),
  cachedOpenMs: +median(cached).toFixed(1),
};
console.log(JSON.stringify(result, null, 2));
console.log(`cold extraction ${result.ratio}× one full decode (target < 0.5×); cached record ${result.cachedOpenMs} ms (target < 50 ms)`);
