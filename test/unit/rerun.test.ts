/**
 * Re-running a question end to end on the CPU with the real onnxruntime-node and
 * @huggingface/transformers, against the tiny random-weight model written at test time: forward
 * and reverse prompts, streaming, greedy and seeded sampling, Stop, the CUDA fallback; and the
 * library's video input checked against Qwen2-VL's video formula (src/core/model/video.ts).
 * There is no GPU here: the CUDA path itself is not run (only its fallback).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { inspectModelFolder, type ModelFolder } from '../../src/core/model/folder';
import { buildPrompt } from '../../src/core/model/prompt';
import { INPUT_PATH, loadRerunner, type Rerunner } from '../../src/core/model/runner';
import {
  DEFAULT_GENERATION,
  applyTopK,
  applyTopP,
  checkGeneration,
  decodingSteps,
  describeGeneration,
  pickToken,
  processLogits,
  resolveGeneration,
  seededRandom,
} from '../../src/core/model/sampling';
import { normaliseFrame, videoPatches } from '../../src/core/model/video';
import { appendJsonLine, rerunKey, rerunKeys, rerunsPath, runAndSave, type RerunContext } from '../../src/core/model/reruns';
import { ResultsIndex } from '../../src/core/index';
import { createHash } from 'node:crypto';
import { normalise } from '../../src/core/normalize';
import { writeTinyQwen2vlModel } from '../support/tinyModel';
import { makeTempDir, realDataFile, removeDir, repoRoot } from './helpers';

const tmp = makeTempDir('st-think-rerun-');
after(() => removeDir(tmp));

describe('seeded sampling', () => {
  test('the same seed draws the same tokens; top-p near 0 is greedy; temperature spreads the draws', () => {
    const logits = Float32Array.from([1, 3, 2, 0.5, 2.9]);
    const draw = (seed: number, t: number, p: number) => {
      const r = seededRandom(seed);
      const g = { ...DEFAULT_GENERATION, doSample: true, temperature: t, topP: p, topK: 0 };
      return Array.from({ length: 200 }, () => {
        const row = Float32Array.from(logits);
        processLogits(row, [], g);
        return pickToken(row, true, r);
      });
    };
    assert.deepEqual(draw(7, 1, 1), draw(7, 1, 1));
    assert.notDeepEqual(draw(7, 1, 1), draw(8, 1, 1));
    assert.ok(
      draw(3, 1, 1e-6).every((x) => x === 1),
      'top-p ~0 keeps only the most likely token',
    );
    // top-p 0.6: the two most likely (3 and 2.9 hold ~0.66 of the mass) and nothing else.
    assert.deepEqual([...new Set(draw(5, 1, 0.6))].sort(), [1, 4]);
    const cold = new Set(draw(1, 0.05, 1)).size;
    const hot = new Set(draw(1, 5, 1)).size;
    assert.ok(cold <= 2 && hot === 5, `cold ${cold}, hot ${hot}`);
  });

  test('settings are checked with the field named', () => {
    assert.equal(checkGeneration(DEFAULT_GENERATION), undefined);
    assert.match(checkGeneration({ ...DEFAULT_GENERATION, maxNewTokens: 0 }) ?? '', /^maxNewTokens must be/);
    assert.match(checkGeneration({ ...DEFAULT_GENERATION, doSample: true, topP: 1.5 }) ?? '', /^topP must be/);
    assert.match(checkGeneration({ ...DEFAULT_GENERATION, doSample: true, temperature: 0 }) ?? '', /^temperature must be/);
    assert.match(checkGeneration({ ...DEFAULT_GENERATION, doSample: true, topK: 1.5 }) ?? '', /^topK must be/);
    assert.match(checkGeneration({ ...DEFAULT_GENERATION, repetitionPenalty: 0 }) ?? '', /^repetitionPenalty must be above 0/);
    // Greedy decoding uses no sampling setting, so they are not checked then.
    assert.equal(checkGeneration({ ...DEFAULT_GENERATION, temperature: 0, topK: -1 }), undefined);
  });
});

describe("generation: transformers' logits processors", () => {
  test('repetition penalty, temperature, top-k, top-p in that order, on float32 logits', () => {
    // Expected values: python3 with numpy float32 doing what transformers does with torch on CUDA
    // (s < 0 ? s * f32(p) : s * f32(1 / f32(p)) on the seen tokens; * f32(1 / f32(t)); < k-th
    // largest → -inf; stable ascending sort, float32 softmax, cumsum accumulated in double,
    // ≤ f32(1 − top_p) → -inf). On these values CUDA's and the CPU's division agree.
    const g = { ...DEFAULT_GENERATION, doSample: true, repetitionPenalty: 1.3, temperature: 0.7, topK: 3, topP: 0.9 };
    // Greedy: the penalty alone (on tokens 0, 1, 3 and 7).
    const penalised = Float32Array.from([2.0, -1.5, 0.5, 3.0, 3.0, -2.25, 1.0, 0.0]);
    processLogits(penalised, [0, 1, 3, 7], { ...g, doSample: false });
    assert.deepEqual([...penalised], [1.5384615659713745, -1.9499999284744263, 0.5, 2.307692289352417, 3.0, -2.25, 1.0, 0.0]);
    const full = Float32Array.from([2.0, -1.5, 0.5, 3.0, 3.0, -2.25, 1.0, 0.0]);
    processLogits(full, [0, 1, 3, 7], g);
    // After temperature: [2.1978023052215576, -2.7857141494750977, 0.7142857313156128, 3.296703338623047,
    // 4.285714149475098, -3.2142858505249023, 1.4285714626312256, 0.0]; top-k 3 keeps 0, 3, 4; top-p
    // 0.9 then drops 0 (its cumulative probability 0.08285748 is ≤ 0.1).
    assert.deepEqual([...full], [-Infinity, -Infinity, -Infinity, 3.296703338623047, 4.285714149475098, -Infinity, -Infinity, -Infinity]);
  });

  test("dividing by the penalty or the temperature is CUDA's: times the float32 reciprocal, as upstream ran", () => {
    // numpy float32: 0.40973523 / f32(1.05) = 0.39022404 (torch on the CPU), while
    // 0.40973523 * f32(1 / f32(1.05)) = 0.39022407 (torch on CUDA, upstream's "cuda:0").
    const row = Float32Array.from([0.40973523259162903, -1]);
    processLogits(row, [0, 0, 1], { ...DEFAULT_GENERATION, repetitionPenalty: 1.05 });
    assert.deepEqual([...row], [0.39022406935691833, Math.fround(-1 * Math.fround(1.05))]);
    const t = Float32Array.from([2.544111490249634]);
    processLogits(t, [], { ...DEFAULT_GENERATION, doSample: true, temperature: 0.7, topK: 0 });
    assert.deepEqual([...t], [3.6344451904296875]); // the CPU's division: 3.6344449520111084
  });

  const bitForBit =
    "bit for bit what transformers' generate computed on an H100 from each generation_config.json " +
    '(test/support/transformers-logits-cuda.json)';
  test(bitForBit, () => {
    const data = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test/support/transformers-logits-cuda.json'), 'utf8')) as {
      vocab: number;
      runs: { name: string; config: Record<string, unknown>; sequence: number[]; next: number; raw: string; scores: string }[];
    };
    const floats = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    };
    assert.deepEqual(
      data.runs.map((r) => r.name),
      ['qwen2vl_like', 'sample_all', 'greedy_penalty', 'sample_default_topk', 'top_p_only', 'temp_topk'],
    );
    for (const r of data.runs) {
      const { settings } = resolveGeneration({}, r.config);
      const mine = floats(r.raw);
      assert.equal(mine.length, data.vocab);
      // The sequence holds the prompt's repeated token twice: penalised once, as transformers does.
      assert.notEqual(new Set(r.sequence).size, r.sequence.length);
      processLogits(mine, r.sequence, settings);
      const theirs = floats(r.scores);
      for (let i = 0; i < data.vocab; i++)
        assert.ok(Object.is(mine[i], theirs[i]), `${r.name}, token ${i}: ${mine[i]} vs transformers' ${theirs[i]}`);
      // The token generate took is the argmax (greedy) or one the processors kept (sampling).
      if (settings.doSample) assert.ok(mine[r.next] > -Infinity, r.name);
      else
        assert.equal(
          pickToken(mine, false, () => 0),
          r.next,
          r.name,
        );
    }
    // transformers' default top_k (50) applied where the file names none: top-p alone would keep more.
    const dflt = data.runs.find((r) => r.name === 'sample_default_topk')!;
    const onlyTopP = floats(dflt.raw);
    processLogits(onlyTopP, dflt.sequence, { ...resolveGeneration({}, dflt.config).settings, topK: 0 });
    const kept = (a: Float32Array) => a.filter((v) => v > -Infinity).length;
    assert.ok(kept(onlyTopP) > kept(floats(dflt.scores)), `${kept(onlyTopP)} vs ${kept(floats(dflt.scores))}`);
  });

  test('top-k keeps ties with the k-th; top-p always keeps the most likely; greedy takes the first largest', () => {
    const k = (xs: number[], n: number) => {
      const r = Float32Array.from(xs);
      applyTopK(r, n);
      return [...r].map((v, i) => (v > -Infinity ? i : -1)).filter((i) => i >= 0);
    };
    assert.deepEqual(k([1, 3, 3, 2], 2), [1, 2]);
    assert.deepEqual(k([1, 3, 3, 2], 3), [1, 2, 3]);
    assert.deepEqual(k([3, 3, 3, 1], 2), [0, 1, 2]); // three kept: all equal the 2nd largest
    assert.deepEqual(k([3, 1], 10), [0, 1]);
    const p = Float32Array.from([0, 5, 1]);
    applyTopP(p, 0);
    assert.deepEqual([...p], [-Infinity, 5, -Infinity]);
    assert.equal(
      pickToken(Float32Array.from([1, 4, 4, 2]), false, () => 0.99),
      1,
    );
  });

  test('the penalty applies in greedy decoding too, and before top-k', () => {
    // 2 / 1.2 ≈ 1.667 falls below 1.9: greedy and top-k 1 both take token 1.
    const greedy = Float32Array.from([2.0, 1.9, 0.0]);
    processLogits(greedy, [0], { ...DEFAULT_GENERATION, repetitionPenalty: 1.2 });
    assert.equal(
      pickToken(greedy, false, () => 0),
      1,
    );
    const sampled = Float32Array.from([2.0, 1.9, 0.0]);
    processLogits(sampled, [0], { ...DEFAULT_GENERATION, doSample: true, repetitionPenalty: 1.2, topK: 1 });
    assert.deepEqual(
      [...sampled].map((v) => v > -Infinity),
      [false, true, false],
    );
    assert.equal(pickToken(sampled, true, Math.random), 1);
  });

  test('decoding steps: every token of the sequence so far counts (the prompt too), image pads as video pads, per batch row', () => {
    const step = decodingSteps({ ...DEFAULT_GENERATION, repetitionPenalty: 2 }, { from: 3, to: 2 });
    // Row 0 has seen token 0 and (as 3 → 2) token 2; row 1 has seen token 1.
    const a = Float32Array.from([4, 4, 4, 4]);
    assert.equal(step(0, [0n, 3n], a), 1);
    assert.deepEqual([...a], [2, 4, 2, 4]);
    const b = Float32Array.from([4, 4, 4, 4]);
    assert.equal(step(1, [1n], b), 0);
    // The next step of row 0 adds its new token (1) to what it has seen.
    const c = Float32Array.from([4, 4, 4, 4]);
    assert.equal(step(0, [0n, 3n, 1n], c), 3);
    assert.deepEqual([...c], [2, 2, 2, 4]);
  });

  test("settings: the user's, else generation_config.json's, else upstream's 512 and transformers' defaults; each with its source", () => {
    const none = resolveGeneration({});
    assert.deepEqual(none.settings, {
      maxNewTokens: 512,
      doSample: false,
      temperature: 1,
      topK: 50,
      topP: 1,
      repetitionPenalty: 1,
      seed: 0,
    });
    assert.deepEqual(none.sources, {
      maxNewTokens: 'upstream script',
      doSample: 'transformers default',
      temperature: 'transformers default',
      topK: 'transformers default',
      topP: 'transformers default',
      repetitionPenalty: 'transformers default',
      seed: 'inspector default',
    });
    // A Qwen2-VL-style file; its max_new_tokens is not used (upstream passes 512).
    const cfg = {
      do_sample: true,
      temperature: 0.01,
      top_p: 0.001,
      top_k: 1,
      repetition_penalty: 1.05,
      max_new_tokens: 2048,
      eos_token_id: [2, 0],
    };
    const mixed = resolveGeneration({ temperature: 0.5, seed: 7 }, cfg);
    assert.deepEqual(mixed.settings, {
      maxNewTokens: 512,
      doSample: true,
      temperature: 0.5,
      topK: 1,
      topP: 0.001,
      repetitionPenalty: 1.05,
      seed: 7,
    });
    assert.deepEqual(mixed.sources, {
      maxNewTokens: 'upstream script',
      doSample: 'generation_config.json',
      temperature: 'user',
      topK: 'generation_config.json',
      topP: 'generation_config.json',
      repetitionPenalty: 'generation_config.json',
      seed: 'user',
    });
    assert.equal(
      describeGeneration(mixed.settings, mixed.sources),
      'sampling [generation_config.json], repetition penalty 1.05 [generation_config.json], temperature 0.5 [setting], ' +
        'top-k 1 [generation_config.json], top-p 0.001 [generation_config.json], seed 7 [setting], up to 512 tokens',
    );
    // null in the file turns a processor off, as transformers reads it.
    assert.deepEqual(resolveGeneration({}, { top_k: null, top_p: null }).settings, { ...DEFAULT_GENERATION, topK: 0 });
    assert.throws(
      () => resolveGeneration({}, { top_k: 'ten' }, '/m/generation_config.json'),
      /^Error: \/m\/generation_config\.json: top_k must be a number \(got "ten"\)$/,
    );
    assert.throws(() => resolveGeneration({}, { do_sample: 1 }), /generation_config\.json: do_sample must be true or false \(got 1\)/);
    assert.throws(() => resolveGeneration({}, { top_k: 2.5 }), /top_k must be a whole number of at least 0 \(got 2\.5\)/);
  });
});

describe('video patches (Qwen2-VL formula)', () => {
  test('every value lands where the formula puts it', () => {
    const cfg = { temporalPatchSize: 2, patchSize: 2, mergeSize: 2, mean: [0, 0, 0], std: [1, 1, 1] };
    const W = 8;
    const H = 4;
    const T = 4;
    // Frame f, channel c, pixel (y, x) holds a value that names them.
    const code = (f: number, c: number, y: number, x: number) => f * 1000 + c * 100 + y * 10 + x;
    const frames = Array.from({ length: T }, (_, f) =>
      Float32Array.from({ length: 3 * H * W }, (_, i) => code(f, Math.floor(i / (H * W)), Math.floor((i % (H * W)) / W), i % W)),
    );
    const { data, grid, rowLength } = videoPatches(frames, W, H, cfg);
    assert.deepEqual(grid, [2, 2, 4]);
    assert.equal(rowLength, 3 * 2 * 2 * 2);
    let checked = 0;
    for (let t = 0; t < 2; t++)
      for (let ph = 0; ph < 2; ph++)
        for (let pw = 0; pw < 4; pw++) {
          // Patches come in merge groups: 2×2 neighbours together, groups in row-major order.
          const row = ((t * 1 + Math.floor(ph / 2)) * 2 + Math.floor(pw / 2)) * 4 + (ph % 2) * 2 + (pw % 2);
          for (let c = 0; c < 3; c++)
            for (let k = 0; k < 2; k++)
              for (let y = 0; y < 2; y++)
                for (let x = 0; x < 2; x++) {
                  const col = ((c * 2 + k) * 2 + y) * 2 + x;
                  assert.equal(data[row * rowLength + col], code(t * 2 + k, c, ph * 2 + y, pw * 2 + x));
                  checked++;
                }
        }
    assert.equal(checked, data.length);
  });

  test("the library's processor gives the same input for 8 frames as the video formula", async () => {
    const dir = writeTinyQwen2vlModel(path.join(tmp, 'm-proc'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const t = require('@huggingface/transformers');
    t.env.allowRemoteModels = false;
    t.env.localModelPath = tmp + path.sep;
    const processor = await t.AutoProcessor.from_pretrained('m-proc', { local_files_only: true });
    const pre = JSON.parse(fs.readFileSync(path.join(dir, 'preprocessor_config.json'), 'utf8'));
    const W = 84;
    const H = 56;
    let seed = 9;
    const bytes = () => Uint8ClampedArray.from({ length: W * H * 3 }, () => (seed = (seed * 69069 + 1) >>> 0) >>> 24);
    const rgb = Array.from({ length: 8 }, bytes);
    const inputs = await processor(
      '<|vision_start|><|image_pad|><|vision_end|>hi',
      rgb.map((d) => new t.RawImage(d, W, H, 3)),
    );
    const mine = videoPatches(
      rgb.map((d) => normaliseFrame(d, W, H, { mean: pre.image_mean, std: pre.image_std })),
      W,
      H,
      {
        temporalPatchSize: pre.temporal_patch_size,
        patchSize: pre.patch_size,
        mergeSize: pre.merge_size,
        mean: pre.image_mean,
        std: pre.image_std,
      },
    );
    assert.deepEqual(inputs.image_grid_thw.tolist()[0].map(Number), mine.grid);
    assert.deepEqual(inputs.pixel_values.dims, [mine.grid[0] * mine.grid[1] * mine.grid[2], mine.rowLength]);
    const theirs = inputs.pixel_values.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < mine.data.length; i++) worst = Math.max(worst, Math.abs(theirs[i] - mine.data[i]));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    // One placeholder token per merged patch: t·h·w / merge².
    const pads = (inputs.input_ids.tolist()[0] as bigint[]).filter((x) => Number(x) === 6).length;
    assert.equal(pads, (mine.grid[0] * mine.grid[1] * mine.grid[2]) / 4);
  });
});

describe('re-run through the tiny model (CPU)', () => {
  let model: ModelFolder;
  let runner: Rerunner;
  const frames: { file: string }[] = [];
  const record = (() => {
    const row = JSON.parse(fs.readFileSync(realDataFile, 'utf8').split('\n')[0]);
    const n = normalise(row, { line: 1 });
    if (!n.ok) throw new Error(n.error);
    return n.record;
  })();
  const size = { width: 56, height: 56 };

  before(async () => {
    const dir = writeTinyQwen2vlModel(path.join(tmp, 'model'), { externalData: true });
    const r = inspectModelFolder(dir);
    if (!r.ok) throw new Error(r.problems.join('; '));
    model = r.model;
    const framesDir = path.join(tmp, 'frames');
    fs.mkdirSync(framesDir);
    const made = spawnSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x72:rate=8',
      '-frames:v',
      '8',
      path.join(framesDir, 'f%02d.jpg'),
    ]);
    assert.equal(made.status, 0, String(made.stderr));
    for (let i = 1; i <= 8; i++) frames.push({ file: path.join(framesDir, `f${String(i).padStart(2, '0')}.jpg`) });
    runner = await loadRerunner(model, 'cpu');
  });
  after(async () => runner?.dispose());

  test('forward: the upstream prompt, text streamed in order, timings, the input path stated', async () => {
    const chunks: string[] = [];
    const prompt = buildPrompt(record, 'forward');
    const out = await runner.run({
      frames,
      size,
      prompt,
      generation: { ...DEFAULT_GENERATION, maxNewTokens: 12 },
      onText: (s) => chunks.push(s),
    });
    assert.equal(runner.provider, 'cpu');
    assert.equal(chunks.join(''), out.generated);
    assert.ok(out.generated.length > 0);
    assert.equal(out.response, out.generated);
    assert.ok(out.timings.newTokens >= 1 && out.timings.newTokens <= 12, String(out.timings.newTokens));
    assert.equal(out.stopped === 'length', out.timings.newTokens === 12);
    assert.deepEqual(out.videoGrid, [4, 4, 4]);
    assert.equal(out.inputPath, INPUT_PATH);
    assert.ok(out.inputText.includes('<|vision_start|><|image_pad|><|vision_end|>Please take a egocentric view'));
    const tm = out.timings;
    assert.ok(tm.framesMs > 0 && tm.preprocessMs > 0 && tm.visionMs > 0 && tm.prefillMs > 0, JSON.stringify(tm));
    assert.ok(tm.firstTokenMs >= tm.framesMs + tm.preprocessMs && tm.totalMs >= tm.firstTokenMs, JSON.stringify(tm));
    // Greedy is deterministic.
    const again = await runner.run({ frames, size, prompt, generation: { ...DEFAULT_GENERATION, maxNewTokens: 12 } });
    assert.equal(again.generated, out.generated);
  });

  test('reverse: the assistant turn opens with the counterpart question and the model continues', async () => {
    const prompt = buildPrompt(record, 'reverse');
    assert.equal(record.direction, 'reverse');
    const out = await runner.run({ frames, size, prompt, generation: { ...DEFAULT_GENERATION, maxNewTokens: 8 } });
    assert.ok(
      out.response.startsWith(
        "<think>Let's start by thinking forward what directions do you need to go through to get to your destination?",
      ),
      out.response,
    );
    assert.equal(out.response, prompt.assistantPrefix + out.generated);
    assert.ok(out.inputText.endsWith(`<|im_start|>assistant\n${prompt.assistantPrefix}`));
  });

  test('sampling with a seed repeats; another seed differs', async () => {
    const prompt = buildPrompt(record, 'forward');
    const sample = async (seed: number) =>
      (
        await runner.run({
          frames,
          size,
          prompt,
          generation: { ...DEFAULT_GENERATION, maxNewTokens: 10, doSample: true, temperature: 3, topK: 0, topP: 1, seed },
        })
      ).generated;
    const a = await sample(1);
    assert.equal(await sample(1), a);
    const others = [await sample(2), await sample(3), await sample(4)];
    assert.ok(
      others.some((o) => o !== a),
      `${a} / ${others.join(' / ')}`,
    );
  });

  test('Stop: the run ends at the next token and says it was cancelled', async () => {
    const stop = new AbortController();
    let pieces = 0;
    const out = await runner.run({
      frames,
      size,
      prompt: buildPrompt(record, 'forward'),
      generation: { ...DEFAULT_GENERATION, maxNewTokens: 200 },
      signal: stop.signal,
      onText: () => {
        if (++pieces === 2) stop.abort();
      },
    });
    assert.equal(out.stopped, 'cancelled');
    assert.ok(out.timings.newTokens < 10, String(out.timings.newTokens));
  });

  test('finished runs are saved as canonical records the index reads; a stopped run writes nothing; the source is untouched', async () => {
    const source = path.join(tmp, 'source.jsonl');
    fs.copyFileSync(realDataFile, source);
    const before = createHash('sha1').update(fs.readFileSync(source)).digest('hex');
    const out = rerunsPath(source);
    const ctx = (mode: 'forward' | 'reverse', maxNewTokens: number): RerunContext => ({
      source: record,
      sourceFile: source,
      mode,
      prompt: buildPrompt(record, mode),
      frames: { sampler: 'qwen2vl', indices: [0, 1, 2, 3, 4, 5, 6, 7], width: 56, height: 56, video: '/videos/walk.mp4' },
      model: { path: model.dir, name: model.name, dtype: model.dtype },
      provider: runner.provider,
      generation: { ...DEFAULT_GENERATION, maxNewTokens },
    });
    const files = frames.map((f) => f.file);
    const fwd = await runAndSave(runner, { ...ctx('forward', 6), frameFiles: files, outFile: out });
    const rev = await runAndSave(runner, { ...ctx('reverse', 6), frameFiles: files, outFile: out });
    assert.ok(fwd.record && rev.record);
    // Stopped mid-stream: nothing written, whole lines only.
    const stop = new AbortController();
    const cancelled = await runAndSave(runner, {
      ...ctx('forward', 300),
      frameFiles: files,
      outFile: out,
      signal: stop.signal,
      onText: () => stop.abort(),
    });
    assert.equal(cancelled.record, undefined);
    assert.equal(cancelled.output.stopped, 'cancelled');
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 2);
    for (const l of lines) JSON.parse(l);
    // The index reads them as canonical records of the same question, pointing at their source.
    const idx = await ResultsIndex.build(out);
    assert.equal(idx.problemCount, 0);
    assert.deepEqual(
      idx.entries.map((e) => e.shape),
      ['canonical', 'canonical'],
    );
    const { record: r0 } = await idx.readRecord(idx.entries[0]);
    assert.equal(r0.sourceId, record.id);
    assert.equal(r0.sourceFile, source);
    assert.equal(r0.question, record.question);
    // The source's options were parsed from its question: saved as "A. text", read back with that as raw.
    assert.deepEqual(
      r0.options.map(({ letter, text }) => ({ letter, text })),
      record.options,
    );
    assert.equal(r0.model, model.name);
    assert.equal(r0.mode, 'forward thinking');
    assert.equal(r0.response, fwd.output.response);
    const raw = JSON.parse(lines[1]);
    assert.equal(raw.prompt.assistantPrefix, buildPrompt(record, 'reverse').assistantPrefix);
    assert.deepEqual(raw.model, { path: model.dir, name: model.name, dtype: 'fp32' });
    assert.equal(raw.provider, 'cpu');
    assert.deepEqual(raw.frames.indices, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(raw.generation.maxNewTokens, 6);
    assert.ok(raw.timings.newTokens >= 1);
    // Resume: the keys of what is saved.
    assert.deepEqual(await rerunKeys(out), new Set([rerunKey(ctx('forward', 6)), rerunKey(ctx('reverse', 6))]));
    assert.notEqual(rerunKey(ctx('forward', 6)), rerunKey(ctx('forward', 7)));
    assert.equal(createHash('sha1').update(fs.readFileSync(source)).digest('hex'), before);
  });

  const followsConfig =
    "generation follows the folder's generation_config.json, its repetition penalty applied once; " +
    "the saved re-run records each setting's source";
  test(followsConfig, async () => {
    // The same tiny weights (same seed), with a generation_config.json that samples as Qwen2-VL's
    // does: top_k 1 leaves one token, so the draw is the argmax after the repetition penalty.
    const dir = writeTinyQwen2vlModel(path.join(tmp, 'model-gencfg'), { externalData: true });
    const genFile = path.join(dir, 'generation_config.json');
    const written = {
      ...JSON.parse(fs.readFileSync(genFile, 'utf8')),
      do_sample: true,
      temperature: 0.7,
      top_k: 1,
      top_p: 0.9,
      repetition_penalty: 1.2,
    };
    fs.writeFileSync(genFile, JSON.stringify(written));
    const folder = inspectModelFolder(dir);
    assert.ok(folder.ok, folder.ok ? '' : folder.problems.join('; '));
    assert.deepEqual(folder.model.generationConfig, written);
    const eff = resolveGeneration({ maxNewTokens: 10 }, folder.model.generationConfig);
    assert.deepEqual(eff.settings, {
      maxNewTokens: 10,
      doSample: true,
      temperature: 0.7,
      topK: 1,
      topP: 0.9,
      repetitionPenalty: 1.2,
      seed: 0,
    });
    const withFile = await loadRerunner(folder.model, 'cpu');
    try {
      const prompt = buildPrompt(record, 'forward');
      const run = (r: Rerunner, g: typeof eff.settings) => r.run({ frames, size, prompt, generation: g });
      const a = (await run(withFile, eff.settings)).generated;
      assert.equal((await run(withFile, { ...eff.settings, seed: 99 })).generated, a, 'top_k 1: the same text whatever the seed');
      // The default folder (no penalty in its file) with the penalty as the user's setting, greedy:
      // the same text, so the library did not apply the file's penalty a second time ...
      const greedy = (p: number) => run(runner, { ...DEFAULT_GENERATION, maxNewTokens: 10, repetitionPenalty: p });
      const once = (await greedy(1.2)).generated;
      assert.equal(a, once);
      // ... which would have shown: this model's text changes with the penalty, and differs at 1.2 and 1.2² (applied twice).
      const [none, twice] = [(await greedy(1)).generated, (await greedy(1.44)).generated];
      assert.notEqual(none, once);
      assert.notEqual(twice, once);

      const out = path.join(tmp, 'gencfg.reruns.jsonl');
      const saved = await runAndSave(withFile, {
        source: record,
        sourceFile: path.join(tmp, 'gencfg.jsonl'),
        mode: 'forward',
        prompt,
        frames: { sampler: 'qwen2vl', indices: [0, 1, 2, 3, 4, 5, 6, 7], width: 56, height: 56, video: '/videos/walk.mp4' },
        model: { path: folder.model.dir, name: folder.model.name, dtype: folder.model.dtype },
        provider: withFile.provider,
        generation: eff.settings,
        generationSources: eff.sources,
        frameFiles: frames.map((f) => f.file),
        outFile: out,
      });
      assert.equal(saved.output.generated, a);
      const raw = JSON.parse(fs.readFileSync(out, 'utf8').trim());
      assert.deepEqual(raw.generation, {
        maxNewTokens: 10,
        doSample: true,
        temperature: 0.7,
        topK: 1,
        topP: 0.9,
        repetitionPenalty: 1.2,
        seed: 0,
      });
      assert.deepEqual(raw.generationSources, {
        maxNewTokens: 'user',
        doSample: 'generation_config.json',
        temperature: 'generation_config.json',
        topK: 'generation_config.json',
        topP: 'generation_config.json',
        repetitionPenalty: 'generation_config.json',
        seed: 'inspector default',
      });
      assert.equal(raw.prompt.optionsFrom, 'embedded');
    } finally {
      await withFile.dispose();
    }
  });

  test('asking for CUDA without its provider library loads on the CPU and says why', async () => {
    const r = await loadRerunner(model, 'cuda');
    try {
      assert.equal(r.provider, 'cpu');
      assert.match(r.fallback ?? '', /^CUDA provider unavailable: \S/);
      const out = await r.run({
        frames,
        size,
        prompt: buildPrompt(record, 'forward'),
        generation: { ...DEFAULT_GENERATION, maxNewTokens: 3 },
      });
      assert.ok(out.timings.newTokens >= 1);
    } finally {
      await r.dispose();
    }
  });
});

describe('saving re-runs', () => {
  test('the re-runs file sits beside the results file, or in the fallback folder when that is read-only', () => {
    assert.equal(rerunsPath('/data/run-a.jsonl'), '/data/run-a.reruns.jsonl');
    assert.equal(
      rerunsPath('/data/run-a.json', '/elsewhere', () => true),
      '/data/run-a.reruns.jsonl',
    );
    assert.equal(rerunsPath(path.join(tmp, 'x.jsonl'), '/elsewhere'), path.join(tmp, 'x.reruns.jsonl'));
    // (The tests run as root, for whom every folder is writable: the check is passed in.)
    const p = rerunsPath('/data/run-a.jsonl', '/elsewhere', () => false);
    assert.match(p, /^\/elsewhere\/run-a-[0-9a-f]{8}\.reruns\.jsonl$/);
    assert.notEqual(
      p,
      rerunsPath('/other/run-a.jsonl', '/elsewhere', () => false),
    );
  });

  test('one line per write; a partial last line left by someone else is not joined: it is moved aside and reported', async () => {
    const file = path.join(tmp, 'append.jsonl');
    assert.deepEqual(await appendJsonLine(file, { a: 1 }), {});
    fs.appendFileSync(file, '{"broken": tr');
    const { movedAside } = await appendJsonLine(file, { b: 'x\ny' });
    assert.deepEqual(fs.readFileSync(file, 'utf8').split('\n'), ['{"a":1}', '{"b":"x\\ny"}', '']);
    assert.ok(movedAside && path.basename(movedAside).startsWith('append.jsonl.partial-'), movedAside);
    assert.equal(fs.readFileSync(movedAside, 'utf8'), '{"broken": tr');
  });

  test('a planted re-runs file linking to its results file (or elsewhere) is refused, the target unchanged', async () => {
    const results = path.join(tmp, 'linked.jsonl');
    const other = path.join(tmp, 'bashrc');
    fs.writeFileSync(results, '{"id":"q1"}\n');
    fs.writeFileSync(other, 'export A=1\n');
    const out = rerunsPath(results);
    for (const target of [results, other]) {
      fs.rmSync(out, { force: true });
      fs.symlinkSync(target, out);
      const before = fs.readFileSync(target, 'utf8');
      await assert.rejects(appendJsonLine(out, { x: '$(touch /tmp/pwned)' }, { protect: [results] }), /is a symbolic link/);
      assert.equal(fs.readFileSync(target, 'utf8'), before);
    }
    fs.rmSync(out);
  });
});
