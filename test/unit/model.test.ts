/**
 * The model folder check and ONNX Runtime sessions, against a tiny random-weight model in the
 * Qwen2-VL ONNX export layout written at test time (test/support/tinyModel.ts), with the real
 * onnxruntime-node. This machine has no CUDA provider library, so asking for CUDA exercises the
 * fallback for real; the CUDA path itself is not run here.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { externalDataRefs, inspectModelFolder } from '../../src/core/model/folder';
import { openOnProvider, type ProviderPreference } from '../../src/core/model/session';
import { TINY, TINY_IDS, TINY_VOCAB, writeTinyQwen2vlModel } from '../support/tinyModel';
import { makeTempDir, removeDir } from './helpers';

const tmp = makeTempDir('st-think-model-');
after(() => removeDir(tmp));
let n = 0;
const fresh = (opts = {}) => writeTinyQwen2vlModel(path.join(tmp, `m${n++}`), opts);
const problemsOf = (dir: string, dtype?: Parameters<typeof inspectModelFolder>[1]) => {
  const r = inspectModelFolder(dir, dtype);
  assert.equal(r.ok, false, 'expected problems');
  return (r as { problems: string[] }).problems;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON, read field by field in the assertions
const editJson = (file: string, f: (v: Record<string, any>) => void) => {
  const v = JSON.parse(fs.readFileSync(file, 'utf8'));
  f(v);
  fs.writeFileSync(file, JSON.stringify(v));
};

describe('model folder', () => {
  test('a complete folder: the three parts at fp32, the ids and patch sizes read from it', () => {
    const dir = fresh();
    const r = inspectModelFolder(dir);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.model.dtype, 'fp32');
    assert.equal(r.model.files.decoder_model_merged, path.join(dir, 'onnx/decoder_model_merged.onnx'));
    assert.equal(r.model.videoTokenId, TINY_IDS['<|video_pad|>']);
    assert.deepEqual([r.model.temporalPatchSize, r.model.patchSize, r.model.mergeSize], [2, 14, 2]);
    assert.deepEqual(r.model.eosTokenIds, [TINY_IDS['<|im_end|>'], TINY_IDS['<|endoftext|>']]);
    assert.equal(r.model.name, `${path.basename(dir)} (tiny-random-qwen2vl)`);
    assert.deepEqual(r.model.externalData, []);
  });

  test('precision suffixes: auto prefers fp32, an asked-for dtype must exist for all three parts', () => {
    const dir = fresh();
    for (const p of ['vision_encoder', 'embed_tokens', 'decoder_model_merged']) {
      fs.renameSync(path.join(dir, `onnx/${p}.onnx`), path.join(dir, `onnx/${p}_q4.onnx`));
    }
    fs.copyFileSync(path.join(dir, 'onnx/embed_tokens_q4.onnx'), path.join(dir, 'onnx/embed_tokens_fp16.onnx'));
    const r = inspectModelFolder(dir);
    assert.ok(r.ok);
    assert.equal(r.model.dtype, 'q4');
    assert.equal(r.model.files.vision_encoder, path.join(dir, 'onnx/vision_encoder_q4.onnx'));
    assert.deepEqual(problemsOf(dir, 'fp16'), [
      'onnx/vision_encoder_fp16.onnx is missing (fp16 asked for; vision_encoder has q4)',
      'onnx/decoder_model_merged_fp16.onnx is missing (fp16 asked for; decoder_model_merged has q4)',
    ]);
  });

  test('missing files are named', () => {
    const dir = fresh();
    fs.rmSync(path.join(dir, 'preprocessor_config.json'));
    fs.rmSync(path.join(dir, 'tokenizer_config.json'));
    fs.rmSync(path.join(dir, 'onnx/embed_tokens.onnx'));
    assert.deepEqual(problemsOf(dir), [
      'preprocessor_config.json is missing',
      'tokenizer_config.json is missing',
      'onnx/embed_tokens.onnx (or a embed_tokens_<dtype>.onnx) is missing',
    ]);
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    assert.deepEqual(problemsOf(empty), [
      'config.json is missing',
      'generation_config.json is missing',
      'preprocessor_config.json is missing',
      'tokenizer.json is missing',
      'tokenizer_config.json is missing',
      'onnx/ is missing (it should hold vision_encoder, embed_tokens and decoder_model_merged .onnx files)',
    ]);
    assert.deepEqual(problemsOf(path.join(tmp, 'nowhere')), [`${path.join(tmp, 'nowhere')} does not exist`]);
    assert.deepEqual(problemsOf(path.join(dir, 'config.json')), [`${path.join(dir, 'config.json')} is not a folder`]);
  });

  test('mismatches are named: model type, patch sizes, the video token, bad JSON', () => {
    const dir = fresh();
    editJson(path.join(dir, 'config.json'), (c) => {
      c.model_type = 'llava';
      c.video_token_id = 3;
    });
    editJson(path.join(dir, 'preprocessor_config.json'), (p) => (p.temporal_patch_size = 1));
    fs.writeFileSync(path.join(dir, 'generation_config.json'), '{"eos_token_id": [1,');
    const problems = problemsOf(dir);
    assert.equal(problems[0].startsWith('generation_config.json is not valid JSON: '), true, problems[0]);
    assert.deepEqual(problems.slice(1), [
      'config.json: model_type is "llava"; a Qwen2-VL model ("qwen2_vl") is needed',
      'preprocessor_config.json temporal_patch_size is 1 but config.json vision_config says 2',
      `tokenizer.json gives <|video_pad|> the id ${TINY_IDS['<|video_pad|>']} but config.json video_token_id is 3`,
    ]);
  });

  test('external data: found beside the part, or named when missing', () => {
    const dir = fresh({ externalData: true });
    const decoder = path.join(dir, 'onnx/decoder_model_merged.onnx');
    assert.deepEqual(externalDataRefs(decoder), ['decoder_model_merged.onnx_data']);
    const r = inspectModelFolder(dir);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.model.externalData, [path.join(dir, 'onnx/decoder_model_merged.onnx_data')]);
    fs.rmSync(path.join(dir, 'onnx/decoder_model_merged.onnx_data'));
    assert.deepEqual(problemsOf(dir), [
      'onnx/decoder_model_merged.onnx stores its weights in onnx/decoder_model_merged.onnx_data, which is missing',
    ]);
  });
});

describe('ONNX Runtime sessions (onnxruntime-node, CPU)', () => {
  test('one copy of onnxruntime-node: @huggingface/transformers resolves the same one', () => {
    const ours = require.resolve('onnxruntime-node');
    const theirs = require.resolve('onnxruntime-node', { paths: [path.dirname(require.resolve('@huggingface/transformers'))] });
    assert.equal(theirs, ours);
  });

  const f32 = (dims: number[], fill = 0) => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(fill), dims);
  const i64 = (dims: number[], values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

  /** A session opened the way the runner opens the model: CUDA when asked and available, else the CPU. */
  const openSession = async (file: string, opts: { provider?: ProviderPreference } = {}) => {
    const r = await openOnProvider(opts.provider ?? 'auto', (p) =>
      ort.InferenceSession.create(file, {
        graphOptimizationLevel: 'all',
        executionProviders: [p],
        ...(p === 'cuda' ? { logSeverityLevel: 4 as const } : {}),
      }),
    );
    return { session: r.value, provider: r.provider, fallback: r.fallback };
  };

  test('openOnProvider: CUDA when it opens, the CPU only when CUDA is not wanted or fails', async () => {
    const tried: string[] = [];
    const open = async (p: string) => (tried.push(p), p);
    assert.deepEqual(await openOnProvider('auto', open), { value: 'cuda', provider: 'cuda' });
    assert.deepEqual(await openOnProvider('cpu', open), { value: 'cpu', provider: 'cpu', fallback: undefined });
    assert.deepEqual(tried, ['cuda', 'cpu']);
    const failing = async (p: string) => {
      if (p === 'cuda') throw new Error('libcudart.so.12: cannot open\nmore');
      return p;
    };
    assert.deepEqual(await openOnProvider('cuda', failing), {
      value: 'cpu',
      provider: 'cpu',
      fallback: 'CUDA provider unavailable: libcudart.so.12: cannot open',
    });
  });

  test('asking for CUDA without its provider library falls back to the CPU and says why', async () => {
    const dir = fresh();
    const s = await openSession(path.join(dir, 'onnx/embed_tokens.onnx'), { provider: 'cuda' });
    assert.equal(s.provider, 'cpu');
    assert.match(s.fallback ?? '', /^CUDA provider unavailable: \S/);
    const auto = await openSession(path.join(dir, 'onnx/embed_tokens.onnx'));
    assert.equal(auto.provider, 'cpu');
    assert.ok(auto.fallback);
    const cpu = await openSession(path.join(dir, 'onnx/embed_tokens.onnx'), { provider: 'cpu' });
    assert.deepEqual([cpu.provider, cpu.fallback], ['cpu', undefined]);
    const out = await cpu.session.run({ input_ids: i64([1, 3], [1, 2, 3]) });
    assert.deepEqual(out.inputs_embeds.dims, [1, 3, TINY.hidden]);
  });

  test("the three parts run with the export's names and shapes; the decoder's cache grows", async () => {
    for (const external of [false, true]) {
      const dir = fresh({ externalData: external });
      const vision = (await openSession(path.join(dir, 'onnx/vision_encoder.onnx'), { provider: 'cpu' })).session;
      // 2 frames of 56×56: one temporal patch, a 4×4 grid of 14-pixel patches, merged 2×2 → 4 features.
      const dim = TINY.channels * TINY.temporalPatchSize * TINY.patchSize ** 2;
      const feats = await vision.run({ pixel_values: f32([16, dim], 0.5), grid_thw: i64([1, 3], [1, 4, 4]) });
      assert.deepEqual(feats.image_features.dims, [4, TINY.hidden]);

      const decoder = (await openSession(path.join(dir, 'onnx/decoder_model_merged.onnx'), { provider: 'cpu' })).session;
      assert.deepEqual(decoder.outputNames.slice(0, 3), ['logits', 'present.0.key', 'present.0.value']);
      const past: Record<string, ort.Tensor> = {};
      for (let l = 0; l < TINY.layers; l++)
        for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = f32([1, TINY.kvHeads, 0, TINY.headDim]);
      const step = async (seq: number, total: number) =>
        decoder.run({
          inputs_embeds: f32([1, seq, TINY.hidden], 0.1),
          attention_mask: i64([1, total], new Array(total).fill(1)),
          position_ids: i64(
            [3, 1, seq],
            new Array(3 * seq).fill(0).map((_, i) => total - seq + (i % seq)),
          ),
          ...past,
        });
      const first = await step(5, 5);
      assert.deepEqual(first.logits.dims, [1, 5, TINY_VOCAB.length]);
      assert.deepEqual(first['present.1.value'].dims, [1, TINY.kvHeads, 5, TINY.headDim]);
      for (let l = 0; l < TINY.layers; l++)
        for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = first[`present.${l}.${kv}`] as ort.Tensor;
      const second = await step(1, 6);
      assert.deepEqual(second['present.0.key'].dims, [1, TINY.kvHeads, 6, TINY.headDim]);
      assert.deepEqual(second.logits.dims, [1, 1, TINY_VOCAB.length]);
      const logits = second.logits.data as Float32Array;
      assert.ok(logits.every(Number.isFinite) && new Set(logits).size > 1, 'logits are finite and not constant');
    }
  });
});
