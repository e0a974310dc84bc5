/**
 * Qwen2-VL's video input, from the formula (transformers' Qwen2VLImageProcessor._preprocess on a
 * stack of frames): each frame rescaled by 1/255 and normalised per channel; frames [T, C, H, W]
 * viewed as (t, tp, C, h/m, m, p, w/m, m, p) with t = T / tp, permuted to
 * (t, h/m, w/m, m, m, C, tp, p, p) and flattened to rows of C·tp·p·p, one per patch, in the order
 * the merger groups them (m×m neighbours together). Used to check the library's input path.
 */

export interface PatchConfig {
  temporalPatchSize: number;
  patchSize: number;
  mergeSize: number;
  mean: readonly number[];
  std: readonly number[];
}

/** RGB bytes (H·W·3, row-major) → normalised CHW floats. */
export function normaliseFrame(
  rgb: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  cfg: Pick<PatchConfig, 'mean' | 'std'>,
): Float32Array {
  const plane = width * height;
  if (rgb.length !== plane * 3) throw new Error(`a ${width}×${height} RGB frame has ${plane * 3} bytes, not ${rgb.length}`);
  const out = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (rgb[i * 3 + c] / 255 - cfg.mean[c]) / cfg.std[c];
  }
  return out;
}

/** Normalised CHW frames of one size → the flattened patches and the grid (t, h, w) in patches. */
export function videoPatches(
  frames: readonly Float32Array[],
  width: number,
  height: number,
  cfg: PatchConfig,
): { data: Float32Array; grid: [number, number, number]; rowLength: number } {
  const { temporalPatchSize: tp, patchSize: p, mergeSize: m } = cfg;
  const C = 3;
  if (!frames.length || frames.length % tp) throw new Error(`${frames.length} frames do not fill temporal patches of ${tp}`);
  if (width % (p * m) || height % (p * m)) throw new Error(`${width}×${height} is not a multiple of ${p * m} (patch ${p} × merge ${m})`);
  const t = frames.length / tp;
  const gh = height / p;
  const gw = width / p;
  const rowLength = C * tp * p * p;
  const data = new Float32Array(t * gh * gw * rowLength);
  let o = 0;
  for (let ti = 0; ti < t; ti++)
    for (let bh = 0; bh < gh / m; bh++)
      for (let bw = 0; bw < gw / m; bw++)
        for (let mh = 0; mh < m; mh++)
          for (let mw = 0; mw < m; mw++)
            for (let c = 0; c < C; c++)
              for (let k = 0; k < tp; k++) {
                const frame = frames[ti * tp + k];
                const y0 = (bh * m + mh) * p;
                const x0 = (bw * m + mw) * p;
                for (let y = 0; y < p; y++) {
                  const base = c * width * height + (y0 + y) * width + x0;
                  for (let x = 0; x < p; x++) data[o++] = frame[base + x];
                }
              }
  return { data, grid: [t, gh, gw], rowLength };
}
