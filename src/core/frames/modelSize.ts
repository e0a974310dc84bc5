/**
 * The size a frame had when the model saw it. Qwen2-VL (qwen_vl_utils smart_resize): sides rounded
 * to multiples of 28, the area kept between min_pixels and max_pixels (ST-R1's inference passes
 * max_pixels = 360×420 = 151200, GRPO training used 196·28·28 = 153664: see presets.ts; videos'
 * min_pixels is 128×28×28). InternVL: 448×448.
 */
import { roundHalfEven, type SamplerName } from './samplers';

export function smartResize(
  height: number,
  width: number,
  factor = 28,
  minPixels = 128 * 28 * 28,
  maxPixels = 360 * 420,
): { width: number; height: number } {
  const roundBy = (x: number) => roundHalfEven(x / factor) * factor;
  const floorBy = (x: number) => Math.floor(x / factor) * factor;
  const ceilBy = (x: number) => Math.ceil(x / factor) * factor;
  let h = Math.max(factor, roundBy(height));
  let w = Math.max(factor, roundBy(width));
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = floorBy(height / beta);
    w = floorBy(width / beta);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = ceilBy(height * beta);
    w = ceilBy(width * beta);
  }
  return { width: w, height: h };
}

/**
 * The frame size a sampler's model works on, or undefined for `uniform` (no model implied).
 * `maxPixels`: the qwen2vl pixel budget (a frame preset's; default 360·420, as at inference).
 */
export function modelFrameSize(
  sampler: SamplerName,
  source: { width: number; height: number },
  maxPixels = 360 * 420,
): { width: number; height: number } | undefined {
  if (sampler === 'qwen2vl') return smartResize(source.height, source.width, 28, 128 * 28 * 28, maxPixels);
  if (sampler === 'internvl') return { width: 448, height: 448 };
  return undefined;
}
