/**
 * A local Qwen2-VL-family model exported to ONNX, in the layout of the Hugging Face ONNX exports:
 *   config.json, generation_config.json, tokenizer.json (+ tokenizer_config.json),
 *   preprocessor_config.json, onnx/{vision_encoder,embed_tokens,decoder_model_merged}[_dtype].onnx
 *   (+ external data files such as decoder_model_merged.onnx_data).
 * inspectModelFolder says exactly what is missing or mismatched, so the setting can be checked when
 * it is chosen rather than when a run fails halfway.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const MODEL_PARTS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
export type ModelPart = (typeof MODEL_PARTS)[number];

/** Precision suffixes of the exports ('fp32' is the file without a suffix), in the order `auto` prefers them. */
export const DTYPES = ['fp32', 'fp16', 'q4f16', 'q4', 'int8', 'uint8', 'quantized', 'bnb4'] as const;
export type ModelDtype = (typeof DTYPES)[number];

/** Model types whose ONNX exports this layout describes. */
export const SUPPORTED_MODEL_TYPES = ['qwen2_vl'];

export interface ModelFolder {
  dir: string;
  /** The precision used for all three parts. */
  dtype: ModelDtype;
  files: Record<ModelPart, string>;
  /** External data files the chosen parts refer to (they must sit beside them). */
  externalData: string[];
  modelType: string;
  /** The name to show and save: the folder's name, and config's `_name_or_path` when present. */
  name: string;
  videoTokenId: number;
  /** `<|image_pad|>`'s id (config.json image_token_id), when the config names it. */
  imageTokenId?: number;
  temporalPatchSize: number;
  patchSize: number;
  mergeSize: number;
  /** Token ids that end generation (generation_config.json, else config.json). */
  eosTokenIds: number[];
  /** generation_config.json as parsed: what `model.generate` follows upstream (see ./sampling.ts resolveGeneration). */
  generationConfig: Record<string, unknown>;
  /** The dtypes found for each part (shown when the asked-for one is missing). */
  available: Record<ModelPart, ModelDtype[]>;
}

export type ModelFolderResult = { ok: true; model: ModelFolder } | { ok: false; problems: string[] };

/** File name of a part at a dtype. */
export function partFile(part: ModelPart, dtype: ModelDtype): string {
  return dtype === 'fp32' ? `${part}.onnx` : `${part}_${dtype}.onnx`;
}

/** Reads and parses a JSON file of the folder, or records why it could not. */
function readJson(dir: string, name: string, problems: string[]): Record<string, unknown> | undefined {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    problems.push(
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${name} is missing` : `${name} cannot be read: ${(e as Error).message}`,
    );
    return undefined;
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    problems.push(`${name} is not a JSON object`);
  } catch (e) {
    problems.push(`${name} is not valid JSON: ${(e as Error).message}`);
  }
  return undefined;
}

/**
 * A model folder's generation_config.json alone (the re-run plan and `st-think prompt --model` read
 * it without checking the whole folder): the parsed object, or why it cannot be used.
 */
export function readGenerationConfig(
  dir: string,
): { ok: true; config: Record<string, unknown>; file: string } | { ok: false; problem: string } {
  const problems: string[] = [];
  const config = readJson(dir, 'generation_config.json', problems);
  return config
    ? { ok: true, config, file: path.join(dir, 'generation_config.json') }
    : { ok: false, problem: `${path.join(dir, 'generation_config.json')}: ${problems[0].replace(/^generation_config\.json /, '')}` };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * External data an .onnx file refers to: initializers stored outside the graph name their file in a
 * `location` entry. Exports that use it keep the .onnx small, so only files under 64 MiB are read.
 */
export function externalDataRefs(onnxFile: string): string[] {
  const size = fs.statSync(onnxFile).size;
  if (size > 64 * 1024 * 1024) return [];
  const text = fs.readFileSync(onnxFile).toString('latin1');
  const refs = new Set<string>();
  // The protobuf StringStringEntryProto { key: "location", value: "<file>" }: the key, then a
  // length-prefixed value (field 2, wire type 2 = 0x12).
  for (let at = text.indexOf('location'); at >= 0; at = text.indexOf('location', at + 8)) {
    if (text.charCodeAt(at + 8) !== 0x12) continue;
    const len = text.charCodeAt(at + 9);
    if (len > 0 && len < 128) {
      const name = text.slice(at + 10, at + 10 + len);
      if (/^[\w.\-/]+$/.test(name)) refs.add(name);
    }
  }
  return [...refs];
}

/** The three ONNX parts of a model folder by precision, the precision chosen and the external data files they name. */
function onnxParts(
  dir: string,
  dtype: ModelDtype | 'auto',
  problems: string[],
): {
  available: Record<ModelPart, ModelDtype[]>;
  chosen: ModelDtype | undefined;
  files: Record<ModelPart, string> | undefined;
  externalData: string[];
} {
  const onnxDir = path.join(dir, 'onnx');
  let names: string[] = [];
  try {
    names = fs.readdirSync(onnxDir);
  } catch {
    problems.push('onnx/ is missing (it should hold vision_encoder, embed_tokens and decoder_model_merged .onnx files)');
  }
  const available = Object.fromEntries(
    MODEL_PARTS.map((part) => [part, DTYPES.filter((d) => names.includes(partFile(part, d)))]),
  ) as Record<ModelPart, ModelDtype[]>;
  let chosen: ModelDtype | undefined;
  if (names.length || fs.existsSync(onnxDir)) {
    if (dtype === 'auto') {
      chosen = DTYPES.find((d) => MODEL_PARTS.every((p) => available[p].includes(d)));
      if (!chosen) {
        for (const p of MODEL_PARTS) if (!available[p].length) problems.push(`onnx/${p}.onnx (or a ${p}_<dtype>.onnx) is missing`);
        if (MODEL_PARTS.every((p) => available[p].length)) {
          problems.push(`no precision has all three parts: ${MODEL_PARTS.map((p) => `${p}: ${available[p].join(', ')}`).join('; ')}`);
        }
      }
    } else {
      const missing = MODEL_PARTS.filter((p) => !available[p].includes(dtype));
      for (const p of missing) {
        problems.push(
          `onnx/${partFile(p, dtype)} is missing ` +
            `(${dtype} asked for; ${p} has ${available[p].length ? available[p].join(', ') : 'no .onnx file'})`,
        );
      }
      if (!missing.length) chosen = dtype;
    }
  }
  const files = chosen
    ? (Object.fromEntries(MODEL_PARTS.map((p) => [p, path.join(onnxDir, partFile(p, chosen!))])) as Record<ModelPart, string>)
    : undefined;
  const externalData: string[] = [];
  if (files) {
    for (const p of MODEL_PARTS) {
      for (const ref of externalDataRefs(files[p])) {
        const f = path.join(onnxDir, ref);
        if (fs.existsSync(f)) externalData.push(f);
        else problems.push(`onnx/${path.basename(files[p])} stores its weights in onnx/${ref}, which is missing`);
      }
    }
  }
  return { available, chosen, files, externalData };
}

/** The patch sizes of the preprocessor (else of config.json's vision_config), which must agree where both give one. */
function patchSizes(
  vision: Record<string, unknown>,
  preprocessor: Record<string, unknown> | undefined,
  problems: string[],
): { temporalPatchSize: number | undefined; patchSize: number | undefined; mergeSize: number | undefined } {
  const temporalPatchSize = num(preprocessor?.temporal_patch_size) ?? num(vision.temporal_patch_size);
  const patchSize = num(preprocessor?.patch_size) ?? num(vision.patch_size);
  const mergeSize = num(preprocessor?.merge_size) ?? num(vision.spatial_merge_size);
  if (preprocessor) {
    for (const [k, v] of [
      ['temporal_patch_size', temporalPatchSize],
      ['patch_size', patchSize],
      ['merge_size', mergeSize],
    ] as const) {
      if (v === undefined) problems.push(`preprocessor_config.json has no ${k}`);
    }
    const pairs: [string, unknown, unknown][] = [
      ['temporal_patch_size', preprocessor.temporal_patch_size, vision.temporal_patch_size],
      ['patch_size', preprocessor.patch_size, vision.patch_size],
      ['merge_size', preprocessor.merge_size, vision.spatial_merge_size],
    ];
    for (const [k, pre, cfg] of pairs) {
      if (pre !== undefined && cfg !== undefined && pre !== cfg) {
        problems.push(`preprocessor_config.json ${k} is ${JSON.stringify(pre)} but config.json vision_config says ${JSON.stringify(cfg)}`);
      }
    }
  }
  return { temporalPatchSize, patchSize, mergeSize };
}

/** The tokenizer's <|video_pad|> must have config.json's video_token_id. */
function checkVideoPad(tokenizer: Record<string, unknown>, videoTokenId: number, problems: string[]): void {
  const added = Array.isArray(tokenizer.added_tokens) ? (tokenizer.added_tokens as { id?: unknown; content?: unknown }[]) : [];
  const vocab = ((tokenizer.model as Record<string, unknown> | undefined)?.vocab ?? {}) as Record<string, unknown>;
  const id = added.find((t) => t.content === '<|video_pad|>')?.id ?? vocab['<|video_pad|>'];
  if (id === undefined) problems.push('tokenizer.json has no <|video_pad|> token');
  else if (id !== videoTokenId)
    problems.push(`tokenizer.json gives <|video_pad|> the id ${JSON.stringify(id)} but config.json video_token_id is ${videoTokenId}`);
}

/** Checks a model folder; `dtype` 'auto' picks the first precision of DTYPES that all three parts have. */
export function inspectModelFolder(dir: string, dtype: ModelDtype | 'auto' = 'auto'): ModelFolderResult {
  const problems: string[] = [];
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return { ok: false, problems: [`${dir} does not exist`] };
  }
  if (!stat.isDirectory()) return { ok: false, problems: [`${dir} is not a folder`] };

  const config = readJson(dir, 'config.json', problems);
  const generation = readJson(dir, 'generation_config.json', problems);
  const preprocessor = readJson(dir, 'preprocessor_config.json', problems);
  const tokenizer = readJson(dir, 'tokenizer.json', problems);
  if (!fs.existsSync(path.join(dir, 'tokenizer_config.json'))) problems.push('tokenizer_config.json is missing');

  const { available, chosen, files, externalData } = onnxParts(dir, dtype, problems);

  // What the parts must agree on.
  const modelType = typeof config?.model_type === 'string' ? config.model_type : undefined;
  if (config && !modelType) problems.push('config.json has no model_type');
  else if (modelType && !SUPPORTED_MODEL_TYPES.includes(modelType))
    problems.push(`config.json: model_type is "${modelType}"; a Qwen2-VL model ("qwen2_vl") is needed`);
  const vision = (config?.vision_config ?? {}) as Record<string, unknown>;
  const videoTokenId = num(config?.video_token_id);
  if (config && videoTokenId === undefined) problems.push('config.json has no video_token_id');
  const { temporalPatchSize, patchSize, mergeSize } = patchSizes(vision, preprocessor, problems);
  if (tokenizer && videoTokenId !== undefined) checkVideoPad(tokenizer, videoTokenId, problems);
  const eosRaw = generation?.eos_token_id ?? config?.eos_token_id;
  const eosTokenIds = (Array.isArray(eosRaw) ? eosRaw : [eosRaw]).filter((v): v is number => typeof v === 'number');
  if ((generation || config) && !eosTokenIds.length) problems.push('neither generation_config.json nor config.json names an eos_token_id');

  if (problems.length || !files || !chosen) return { ok: false, problems };
  const nameOrPath = typeof config?._name_or_path === 'string' && config._name_or_path ? config._name_or_path : undefined;
  return {
    ok: true,
    model: {
      dir,
      dtype: chosen,
      files,
      externalData,
      modelType: modelType!,
      name: nameOrPath && nameOrPath !== path.basename(dir) ? `${path.basename(dir)} (${nameOrPath})` : path.basename(dir),
      videoTokenId: videoTokenId!,
      imageTokenId: num(config?.image_token_id),
      temporalPatchSize: temporalPatchSize!,
      patchSize: patchSize!,
      mergeSize: mergeSize!,
      eosTokenIds,
      generationConfig: generation!,
      available,
    },
  };
}
