/**
 * Writes a tiny random-weight model in the folder layout of a Qwen2-VL ONNX export (config,
 * generation config, tokenizer, preprocessor config, onnx/{vision_encoder,embed_tokens,
 * decoder_model_merged}.onnx), built here from JavaScript with onnx-proto at test time.
 *
 * The graphs keep the export's input and output names and shapes (a KV cache per layer that grows
 * by the new tokens, logits over the vocabulary, video patches merged 2×2) with a few matrix
 * products inside instead of a transformer: enough to drive the generation path for real.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';

export interface TinyModelOptions {
  /** Store the decoder's weights in onnx/decoder_model_merged.onnx_data (as large exports do). */
  externalData?: boolean;
  seed?: number;
  /** Bias the end-of-turn tokens far down, so greedy generation runs to max_new_tokens (for Stop tests). */
  neverEnd?: boolean;
}

export const TINY = {
  hidden: 16,
  layers: 2,
  kvHeads: 2,
  headDim: 8,
  patchSize: 14,
  temporalPatchSize: 2,
  mergeSize: 2,
  channels: 3,
};

/** The tokenizer's vocabulary: special tokens first (their ids are fixed in config.json), then words. */
export const TINY_SPECIAL = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|video_pad|>',
  '<|image_pad|>',
  '[UNK]',
];
const WORDS = [
  '<think>',
  '</think>',
  '<answer>',
  '</answer>',
  'A',
  'B',
  'C',
  'D',
  'Let',
  "'s",
  'start',
  'by',
  'thinking',
  'reverse',
  'forward',
  'the',
  'answer',
  'is',
  'Hence',
  ',',
  '.',
  '?',
  'turn',
  'left',
  'right',
  'walk',
  'straight',
  'return',
  'to',
  'starting',
  'point',
  'destination',
  'which',
  'what',
  'directions',
  'landmarks',
  'actions',
  'did',
  'you',
  'system',
  'user',
  'assistant',
];
export const TINY_VOCAB = [...TINY_SPECIAL, ...WORDS];
export const TINY_IDS = Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])) as Record<string, number>;

type Node = onnx.INodeProto;
const F = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296) * 2 - 1;
  };
}

function valueInfo(name: string, type: number, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function node(op: string, inputs: string[], outputs: string[], attrs: onnx.IAttributeProto[] = []): Node {
  return { opType: op, input: inputs, output: outputs, name: `${op}_${outputs[0]}`, attribute: attrs };
}
const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
const int = (name: string, v: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });

/** Collects initializers, inline or into one external data file. */
class Weights {
  readonly list: onnx.ITensorProto[] = [];
  private chunks: Buffer[] = [];
  private offset = 0;
  constructor(
    private readonly random: () => number,
    private readonly external?: string,
  ) {}

  random2d(name: string, rows: number, cols: number, scale = 0.5): string {
    const a = new Float32Array(rows * cols);
    for (let i = 0; i < a.length; i++) a[i] = this.random() * scale;
    return this.float(name, [rows, cols], a);
  }

  float(name: string, dims: number[], data: Float32Array): string {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.external) {
      this.list.push({
        name,
        dims,
        dataType: F,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: this.external },
          { key: 'offset', value: String(this.offset) },
          { key: 'length', value: String(bytes.length) },
        ],
      });
      this.chunks.push(bytes);
      this.offset += bytes.length;
    } else this.list.push({ name, dims, dataType: F, rawData: bytes });
    return name;
  }

  int64(name: string, values: number[]): string {
    this.list.push({ name, dims: [values.length], dataType: I64, int64Data: values });
    return name;
  }

  scalar(name: string, v: number): string {
    this.list.push({ name, dims: [], dataType: F, floatData: [v] });
    return name;
  }

  writeExternal(dir: string): void {
    if (this.external) fs.writeFileSync(path.join(dir, this.external), Buffer.concat(this.chunks));
  }
}

function save(file: string, graph: onnx.IGraphProto): void {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'st-think-inspector tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph,
  });
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
}

/** input_ids [batch, seq] → inputs_embeds [batch, seq, hidden]: a row of the embedding table per token. */
function embedTokens(file: string, random: () => number): void {
  const w = new Weights(random);
  const table = w.random2d('embed.weight', TINY_VOCAB.length, TINY.hidden);
  save(file, {
    name: 'embed_tokens',
    node: [node('Gather', [table, 'input_ids'], ['inputs_embeds'], [int('axis', 0)])],
    input: [valueInfo('input_ids', I64, ['batch_size', 'sequence_length'])],
    output: [valueInfo('inputs_embeds', F, ['batch_size', 'sequence_length', TINY.hidden])],
    initializer: w.list,
  });
}

/** pixel_values [patches, C·T·P·P], grid_thw [n, 3] → image_features [patches / merge², hidden]. */
function visionEncoder(file: string, random: () => number): void {
  const w = new Weights(random);
  const dim = TINY.channels * TINY.temporalPatchSize * TINY.patchSize * TINY.patchSize;
  const m2 = TINY.mergeSize * TINY.mergeSize;
  save(file, {
    name: 'vision_encoder',
    node: [
      node('MatMul', ['pixel_values', w.random2d('patch.weight', dim, TINY.hidden, 0.05)], ['patches']),
      node('Reshape', ['patches', w.int64('merge.shape', [-1, m2, TINY.hidden])], ['grouped']),
      node('ReduceMean', ['grouped'], ['merged'], [ints('axes', [1]), int('keepdims', 0)]),
      // grid_thw takes part (as in the export) through a vanishing bias.
      node('Cast', ['grid_thw'], ['grid_f'], [int('to', F)]),
      node('ReduceMean', ['grid_f'], ['grid_mean'], [int('keepdims', 0)]),
      node('Mul', ['grid_mean', w.scalar('tiny', 1e-6)], ['grid_bias']),
      node('Add', ['merged', 'grid_bias'], ['image_features']),
    ],
    input: [valueInfo('pixel_values', F, ['num_patches', dim]), valueInfo('grid_thw', I64, ['num_grids', 3])],
    output: [valueInfo('image_features', F, ['num_features', TINY.hidden])],
    initializer: w.list,
  });
}

/**
 * inputs_embeds, attention_mask, position_ids [3, batch, seq] and past_key_values.N.key/value
 * [batch, kv_heads, past, head_dim] → logits [batch, seq, vocab] and present.N.key/value
 * [batch, kv_heads, past + seq, head_dim]. The last layer's cached values feed the logits, so the
 * cache matters to what comes out.
 */
function decoder(dir: string, file: string, random: () => number, external: boolean, neverEnd: boolean): void {
  const w = new Weights(random, external ? `${path.basename(file)}_data` : undefined);
  const { hidden, layers, kvHeads, headDim } = TINY;
  const nodes: Node[] = [];
  const inputs = [
    valueInfo('inputs_embeds', F, ['batch_size', 'sequence_length', hidden]),
    valueInfo('attention_mask', I64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', I64, [3, 'batch_size', 'sequence_length']),
  ];
  const outputs = [valueInfo('logits', F, ['batch_size', 'sequence_length', TINY_VOCAB.length])];
  const split = w.int64('heads.shape', [0, 0, kvHeads, headDim]);
  for (let l = 0; l < layers; l++) {
    for (const kv of ['key', 'value']) {
      const past = `past_key_values.${l}.${kv}`;
      const present = `present.${l}.${kv}`;
      inputs.push(valueInfo(past, F, ['batch_size', kvHeads, 'past_sequence_length', headDim]));
      outputs.push(valueInfo(present, F, ['batch_size', kvHeads, 'total_sequence_length', headDim]));
      nodes.push(
        node('MatMul', ['inputs_embeds', w.random2d(`layers.${l}.${kv}.weight`, hidden, kvHeads * headDim)], [`${kv}${l}_flat`]),
        node('Reshape', [`${kv}${l}_flat`, split], [`${kv}${l}_heads`]),
        node('Transpose', [`${kv}${l}_heads`], [`${kv}${l}_new`], [ints('perm', [0, 2, 1, 3])]),
        node('Concat', [past, `${kv}${l}_new`], [present], [int('axis', 2)]),
      );
    }
  }
  nodes.push(
    node('ReduceMean', [`present.${layers - 1}.value`], ['context'], [ints('axes', [1, 2]), int('keepdims', 0)]),
    node('Unsqueeze', ['context', w.int64('axis1', [1])], ['context_1']),
    node('MatMul', ['context_1', w.random2d('context.weight', headDim, hidden)], ['context_h']),
    node('Tanh', ['inputs_embeds'], ['embeds_t']),
    node('Add', ['embeds_t', 'context_h'], ['hidden_0']),
    node('Cast', ['position_ids'], ['pos_f'], [int('to', F)]),
    node('ReduceMean', ['pos_f'], ['pos_mean'], [int('keepdims', 0)]),
    node('Cast', ['attention_mask'], ['mask_f'], [int('to', F)]),
    node('ReduceMean', ['mask_f'], ['mask_mean'], [int('keepdims', 0)]),
    node('Add', ['pos_mean', 'mask_mean'], ['pos_mask']),
    node('Mul', ['pos_mask', w.scalar('small', 1e-3)], ['bias']),
    node('Add', ['hidden_0', 'bias'], ['hidden_1']),
    node('MatMul', ['hidden_1', w.random2d('lm_head.weight', hidden, TINY_VOCAB.length, 2)], ['logits_raw']),
    node('Add', ['logits_raw', w.float('lm_head.bias', [TINY_VOCAB.length], lmBias(neverEnd))], ['logits']),
  );
  w.writeExternal(dir);
  save(file, { name: 'decoder_model_merged', node: nodes, input: inputs, output: outputs, initializer: w.list });
}

function lmBias(neverEnd: boolean): Float32Array {
  const b = new Float32Array(TINY_VOCAB.length);
  if (neverEnd) for (const t of ['<|im_end|>', '<|endoftext|>']) b[TINY_IDS[t]] = -1e4;
  return b;
}

function json(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes the whole folder; returns its path. */
export function writeTinyQwen2vlModel(dir: string, opts: TinyModelOptions = {}): string {
  const random = rng(opts.seed ?? 20260325);
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const ids = TINY_IDS;
  json(path.join(dir, 'config.json'), {
    _name_or_path: 'tiny-random-qwen2vl',
    architectures: ['Qwen2VLForConditionalGeneration'],
    model_type: 'qwen2_vl',
    hidden_size: TINY.hidden,
    num_hidden_layers: TINY.layers,
    num_attention_heads: TINY.kvHeads,
    num_key_value_heads: TINY.kvHeads,
    vocab_size: TINY_VOCAB.length,
    bos_token_id: ids['<|endoftext|>'],
    eos_token_id: ids['<|im_end|>'],
    vision_start_token_id: ids['<|vision_start|>'],
    vision_end_token_id: ids['<|vision_end|>'],
    video_token_id: ids['<|video_pad|>'],
    image_token_id: ids['<|image_pad|>'],
    rope_scaling: { type: 'mrope', mrope_section: [2, 1, 1] },
    vision_config: {
      in_chans: TINY.channels,
      patch_size: TINY.patchSize,
      temporal_patch_size: TINY.temporalPatchSize,
      spatial_merge_size: TINY.mergeSize,
      hidden_size: TINY.hidden,
    },
  });
  json(path.join(dir, 'generation_config.json'), {
    bos_token_id: ids['<|endoftext|>'],
    eos_token_id: [ids['<|im_end|>'], ids['<|endoftext|>']],
    do_sample: false,
  });
  json(path.join(dir, 'preprocessor_config.json'), {
    image_processor_type: 'Qwen2VLImageProcessor',
    processor_class: 'Qwen2VLProcessor',
    do_resize: true,
    do_rescale: true,
    do_normalize: true,
    do_convert_rgb: true,
    rescale_factor: 1 / 255,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    min_pixels: 3136,
    max_pixels: 12845056,
    patch_size: TINY.patchSize,
    temporal_patch_size: TINY.temporalPatchSize,
    merge_size: TINY.mergeSize,
  });
  json(path.join(dir, 'tokenizer.json'), {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: TINY_SPECIAL.map((content) => ({
      id: ids[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: ids, unk_token: '[UNK]' },
  });
  json(path.join(dir, 'tokenizer_config.json'), {
    tokenizer_class: 'PreTrainedTokenizerFast',
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: '[UNK]',
    model_max_length: 4096,
  });
  embedTokens(path.join(dir, 'onnx/embed_tokens.onnx'), random);
  visionEncoder(path.join(dir, 'onnx/vision_encoder.onnx'), random);
  decoder(
    path.join(dir, 'onnx'),
    path.join(dir, 'onnx/decoder_model_merged.onnx'),
    random,
    opts.externalData ?? false,
    opts.neverEnd ?? false,
  );
  return dir;
}
