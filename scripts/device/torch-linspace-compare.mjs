// Compares the device check's real-torch frames (scripts/device/torch-linspace.py) with the product's
// emulation: each file's cases against qwen2vlIndices with the lane width of the capability torch
// reported (avx2: 8, avx512: 16). Usage: node scripts/device/torch-linspace-compare.mjs DIR
// (after npm run build && npm run compile-tests, which builds out/src/core/frames/samplers.js).
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { qwen2vlIndices } = require(path.resolve('out/src/core/frames/samplers.js'));
const dir = process.argv[2];
for (const f of readdirSync(dir).filter((n) => /^linspace-.*\.json$/.test(n))) {
  const j = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
  const cap = String(j.capability).toLowerCase();
  // DEFAULT: ATen's generic Vectorized<float>, 32 bytes (8 lanes) like AVX2, computed without SIMD.
  const lanes = cap.includes('512') ? 16 : 8;
  const other = lanes === 16 ? 8 : 16;
  let same = 0,
    sameOther = 0,
    scalarSame = 0;
  const diffs = [];
  for (const [T, vfps, fps, want] of j.cases) {
    const got = qwen2vlIndices({ totalFrames: T, fps: vfps }, fps, 8, lanes);
    if (JSON.stringify(got) === JSON.stringify(want)) same++;
    else if (diffs.length < 5) diffs.push({ T, vfps, fps, want, got });
    if (JSON.stringify(qwen2vlIndices({ totalFrames: T, fps: vfps }, fps, 8, other)) === JSON.stringify(want)) sameOther++;
    if (JSON.stringify(qwen2vlIndices({ totalFrames: T, fps: vfps }, fps, 8, 1)) === JSON.stringify(want)) scalarSame++;
  }
  console.log(
    `${f}: torch ${j.torch}, capability ${j.capability} → ${lanes} lanes: ${same}/${j.cases.length} equal; ` +
      `with ${other} lanes ${sameOther}; scalar ${scalarSame}`,
  );
  for (const d of diffs) console.log('  differs:', JSON.stringify(d));
}
