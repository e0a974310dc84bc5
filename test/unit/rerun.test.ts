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
import { DEFAULT_GENERATION, checkGeneration, sampleToken, seededRandom } from '../../src/core/model/sampling';
import { normaliseFrame, videoPatches } from '../../src/core/model/video';
import { appendJsonLine, rerunKey, rerunKeys, rerunsPath, runAndSave, type RerunContext } from '../../src/core/model/reruns';
import { ResultsIndex } from '../../src/core/indexer';
import { createHash } from 'node:crypto';
import { normalise } from '../../src/core/normalize';
import { writeTinyQwen2vlModel } from '../support/tinyModel';
import { makeTempDir, realDataFile, removeDir } from './helpers';

const tmp = makeTempDir('st-think-rerun-');
after(() => removeDir(tmp));

describe('seeded sampling', () => {
  test('the same seed draws the same tokens; top-p near 0 is greedy; temperature spreads the draws', () => {
    const logits = Float32Array.from([1, 3, 2, 0.5, 2.9]);
    const draw = (seed: number, t: number, p: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 200 }, () => sampleToken(logits, t, p, r));
    };
    assert.deepEqual(draw(7, 1, 1), draw(7, 1, 1));
    assert.notDeepEqual(draw(7, 1, 1), draw(8, 1, 1));
    assert.ok(draw(3, 1, 1e-6).every((x) => x === 1), 'top-p ~0 keeps only the most likely token');
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
    const frames = Array.from({ length: T }, (_, f) => Float32Array.from({ length: 3 * H * W }, (_, i) => code(f, Math.floor(i / (H * W)), Math.floor((i % (H * W)) / W), i % W)));
    const { data, grid, rowLength } = videoPatches(frames, W, H, cfg);
    assert.deepEqual(grid, [2, 2, 4]);
    assert.equal(rowLength, 3 * 2 * 2 * 2);
    let checked = 0;
    for (let t = 0; t < 2; t++) for (let ph = 0; ph < 2; ph++) for (let pw = 0; pw < 4; pw++) {
      // Patches come in merge groups: 2×2 neighbours together, groups in row-major order.
      const row = ((t * 1 + Math.floor(ph / 2)) * 2 + Math.floor(pw / 2)) * 4 + (ph % 2) * 2 + (pw % 2);
      for (let c = 0; c < 3; c++) for (let k = 0; k < 2; k++) for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) {
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
    const inputs = await processor('<|vision_start|><|image_pad|><|vision_end|>hi', rgb.map((d) => new t.RawImage(d, W, H, 3)));
    const mine = videoPatches(rgb.map((d) => normaliseFrame(d, W, H, { mean: pre.image_mean, std: pre.image_std })), W, H, {
      temporalPatchSize: pre.temporal_patch_size, patchSize: pre.patch_size, mergeSize: pre.merge_size, mean: pre.image_mean, std: pre.image_std,
    });
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
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=96x72:rate=8', '-frames:v', '8', path.join(framesDir, 'f%02d.jpg')]);
    assert.equal(made.status, 0, String(made.stderr));
    for (let i = 1; i <= 8; i++) frames.push({ file: path.join(framesDir, `f${String(i).padStart(2, '0')}.jpg`) });
    runner = await loadRerunner(model, 'cpu');
  });
  after(async () => runner?.dispose());

  test('forward: the upstream prompt, text streamed in order, timings, the input path stated', async () => {
    const chunks: string[] = [];
    const prompt = buildPrompt(record, 'forward');
    const out = await runner.run({ frames, size, prompt, generation: { ...DEFAULT_GENERATION, maxNewTokens: 12 }, onText: (s) => chunks.push(s) });
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
    assert.ok(out.response.startsWith("<think>Let's start by thinking forward what directions do you need to go through to get to your destination?"), out.response);
    assert.equal(out.response, prompt.assistantPrefix + out.generated);
    assert.ok(out.inputText.endsWith(`<|im_start|>assistant\n${prompt.assistantPrefix}`));
  });

  test('sampling with a seed repeats; another seed differs', async () => {
    const prompt = buildPrompt(record, 'forward');
    const sample = async (seed: number) => (await runner.run({ frames, size, prompt, generation: { maxNewTokens: 10, doSample: true, temperature: 3, topP: 1, seed } })).generated;
    const a = await sample(1);
    assert.equal(await sample(1), a);
    const others = [await sample(2), await sample(3), await sample(4)];
    assert.ok(others.some((o) => o !== a), `${a} / ${others.join(' / ')}`);
  });

  test('Stop: the run ends at the next token and says it was cancelled', async () => {
    const stop = new AbortController();
    let pieces = 0;
    const out = await runner.run({
      frames, size, prompt: buildPrompt(record, 'forward'), generation: { ...DEFAULT_GENERATION, maxNewTokens: 200 }, signal: stop.signal,
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
      source: record, sourceFile: source, mode, prompt: buildPrompt(record, mode),
      frames: { sampler: 'qwen2vl', indices: [0, 1, 2, 3, 4, 5, 6, 7], width: 56, height: 56, video: '/videos/walk.mp4' },
      model: { path: model.dir, name: model.name, dtype: model.dtype }, provider: runner.provider, generation: { ...DEFAULT_GENERATION, maxNewTokens },
    });
    const files = frames.map((f) => f.file);
    const fwd = await runAndSave(runner, { ...ctx('forward', 6), frameFiles: files, outFile: out });
    const rev = await runAndSave(runner, { ...ctx('reverse', 6), frameFiles: files, outFile: out });
    assert.ok(fwd.record && rev.record);
    // Stopped mid-stream: nothing written, whole lines only.
    const stop = new AbortController();
    const cancelled = await runAndSave(runner, { ...ctx('forward', 300), frameFiles: files, outFile: out, signal: stop.signal, onText: () => stop.abort() });
    assert.equal(cancelled.record, undefined);
    assert.equal(cancelled.output.stopped, 'cancelled');
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 2);
    for (const l of lines) JSON.parse(l);
    // The index reads them as canonical records of the same question, pointing at their source.
    const idx = await ResultsIndex.build(out);
    assert.equal(idx.problemCount, 0);
    assert.deepEqual(idx.entries.map((e) => e.shape), ['canonical', 'canonical']);
    const { record: r0 } = await idx.readRecord(idx.entries[0]);
    assert.equal(r0.sourceId, record.id);
    assert.equal(r0.sourceFile, source);
    assert.equal(r0.question, record.question);
    assert.deepEqual(r0.options, record.options);
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

  test('asking for CUDA without its provider library loads on the CPU and says why', async () => {
    const r = await loadRerunner(model, 'cuda');
    try {
      assert.equal(r.provider, 'cpu');
      assert.match(r.fallback ?? '', /^CUDA provider unavailable: \S/);
      const out = await r.run({ frames, size, prompt: buildPrompt(record, 'forward'), generation: { ...DEFAULT_GENERATION, maxNewTokens: 3 } });
      assert.ok(out.timings.newTokens >= 1);
    } finally {
      await r.dispose();
    }
  });
});

describe('saving re-runs', () => {
  test('the re-runs file sits beside the results file, or in the fallback folder when that is read-only', () => {
    assert.equal(rerunsPath('/data/run-a.jsonl'), '/data/run-a.reruns.jsonl');
    assert.equal(rerunsPath('/data/run-a.json', '/elsewhere', () => true), '/data/run-a.reruns.jsonl');
    assert.equal(rerunsPath(path.join(tmp, 'x.jsonl'), '/elsewhere'), path.join(tmp, 'x.reruns.jsonl'));
    // (The tests run as root, for whom every folder is writable: the check is passed in.)
    const p = rerunsPath('/data/run-a.jsonl', '/elsewhere', () => false);
    assert.match(p, /^\/elsewhere\/run-a-[0-9a-f]{8}\.reruns\.jsonl$/);
    assert.notEqual(p, rerunsPath('/other/run-a.jsonl', '/elsewhere', () => false));
  });

  test('one line per write; a partial last line left by someone else is not joined', async () => {
    const file = path.join(tmp, 'append.jsonl');
    await appendJsonLine(file, { a: 1 });
    fs.appendFileSync(file, '{"broken": tr');
    await appendJsonLine(file, { b: 'x\ny' });
    assert.deepEqual(fs.readFileSync(file, 'utf8').split('\n'), ['{"a":1}', '{"broken": tr', '{"b":"x\\ny"}', '']);
  });
});
