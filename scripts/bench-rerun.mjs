// Re-run benchmark (issue 5), on the CPU with the tiny random-weight model of the tests (a model
// that never ends its turn, so every run generates exactly N tokens):
//   - per-token time of the whole generation path (Rerunner.run: @huggingface/transformers'
//     generate with our streamer, stopping criterion and timing) against a bare onnxruntime-node
//     loop over the SAME decoder and embedding sessions with inputs of the same shapes (prompt of
//     the same length, then one token at a time with the KV cache, greedy argmax in JS);
//   - a breakdown of the time to first token: frame extraction (ffmpeg, cold), reading and
//     resizing the frames, preprocessing, vision encoder, prefill.
// Needs `npm run build && npm run compile-tests`. Usage: node scripts/bench-rerun.mjs [--runs 5] [--tokens 200]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = (p) => require(path.join(root, 'out', p));
const { writeTinyQwen2vlModel } = out('test/support/tinyModel.js');
const { inspectModelFolder } = out('src/core/model/folder.js');
const { loadRerunner } = out('src/core/model/runner.js');
const { buildPrompt } = out('src/core/model/prompt.js');
const { DEFAULT_GENERATION } = out('src/core/model/sampling.js');
const { normalise } = out('src/core/normalize.js');
const { extractFrames, findFfmpeg } = out('src/core/frames/extract.js');
const { modelFrameSize } = out('src/core/frames/modelSize.js');
const ort = require('onnxruntime-node');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const runs = arg('--runs', 9);
const N = arg('--tokens', 200);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const data = path.join(root, 'bench-data');
fs.mkdirSync(data, { recursive: true });
const modelDir = path.join(data, 'tiny-qwen2vl-endless');
fs.rmSync(modelDir, { recursive: true, force: true });
writeTinyQwen2vlModel(modelDir, { neverEnd: true });
const folder = inspectModelFolder(modelDir);
if (!folder.ok) throw new Error(folder.problems.join('; '));

// A 10-second 640×360 clip; its 8 qwen2vl frames, extracted cold (empty cache) then from the cache.
const clip = path.join(data, 'rerun-clip.mp4');
if (!fs.existsSync(clip)) {
  const r = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=30',
    '-t',
    '10',
    '-pix_fmt',
    'yuv420p',
    clip,
  ]);
  if (r.status !== 0) throw new Error(String(r.stderr));
}
const paths = findFfmpeg();
const cacheDir = path.join(data, 'rerun-frames-cache');
const extractMs = [];
let set;
for (let i = 0; i < runs; i++) {
  fs.rmSync(cacheDir, { recursive: true, force: true });
  const t = performance.now();
  set = await extractFrames(clip, { sampler: 'qwen2vl' }, { paths, cacheDir });
  extractMs.push(performance.now() - t);
}
const byIndex = new Map(set.frames.map((f) => [f.index, f.file]));
const frames = set.indices.map((i) => ({ file: byIndex.get(i) }));
const size = modelFrameSize('qwen2vl', { width: set.probe.width, height: set.probe.height });

const row = JSON.parse(fs.readFileSync(path.join(root, '../shared/data/ego-st/r1-test-mcq-126.jsonl'), 'utf8').split('\n')[0]);
const record = normalise(row, { line: 1 }).record;
const prompt = buildPrompt(record, 'forward');
const runner = await loadRerunner(folder.model, 'cpu');
const generation = { ...DEFAULT_GENERATION, maxNewTokens: N };
await runner.run({ frames, size, prompt, generation: { ...generation, maxNewTokens: 16 } }); // warm-up

const full = [];
const parts = { framesMs: [], preprocessMs: [], visionMs: [], prefillMs: [], firstTokenMs: [] };
const promptTokens = (await runner.run({ frames, size, prompt, generation: { ...generation, maxNewTokens: 2 } })).promptTokens;

// The bare loop over the same sessions: prefill of promptTokens, then N - 1 single-token steps.
const { embed_tokens: embed, decoder_model_merged: decoder } = runner.sessions();
const cfg = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
const kvHeads = cfg.num_key_value_heads;
const headDim = cfg.hidden_size / cfg.num_attention_heads;
const ids = (xs) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
async function bareLoop() {
  let past = {};
  for (let l = 0; l < cfg.num_hidden_layers; l++)
    for (const kv of ['key', 'value'])
      past[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
  const step = async (tokenIds, start) => {
    const e = (await embed.run({ input_ids: ids(tokenIds) })).inputs_embeds;
    const total = start + tokenIds.length;
    const pos = new BigInt64Array(3 * tokenIds.length);
    for (let d = 0; d < 3; d++) for (let i = 0; i < tokenIds.length; i++) pos[d * tokenIds.length + i] = BigInt(start + i);
    const r = await decoder.run({
      inputs_embeds: e,
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor('int64', pos, [3, 1, tokenIds.length]),
      ...past,
    });
    past = {};
    for (let l = 0; l < cfg.num_hidden_layers; l++)
      for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = r[`present.${l}.${kv}`];
    const logits = r.logits.data;
    const vocab = r.logits.dims[2];
    const last = logits.subarray(logits.length - vocab);
    let best = 0;
    for (let v = 1; v < vocab; v++) if (last[v] > last[best]) best = v;
    return best;
  };
  let token = await step(new Array(promptTokens).fill(1), 0);
  const t = performance.now();
  for (let k = 1; k < N; k++) token = await step([token], promptTokens + k - 1);
  return (performance.now() - t) / (N - 1);
}
await bareLoop(); // warm-up
// Interleaved, so both see the same machine state.
const bare = [];
for (let i = 0; i < runs; i++) {
  const o = await runner.run({ frames, size, prompt, generation });
  if (o.timings.newTokens !== N) throw new Error(`expected ${N} tokens, got ${o.timings.newTokens}`);
  full.push(1000 / o.timings.tokensPerSecond);
  for (const k of Object.keys(parts)) parts[k].push(o.timings[k]);
  bare.push(await bareLoop());
}
await runner.dispose();

const cpu = os.cpus()[0]?.model ?? 'cpu';
console.log(
  `re-run: tiny Qwen2-VL-layout model (hidden ${cfg.hidden_size}, ${cfg.num_hidden_layers} layers), CPU, ` +
    `${N} new tokens, prompt ${promptTokens} tokens, frames ${size.width}×${size.height}; ` +
    `median of ${runs}; ${cpu} (${os.cpus().length} cores), node ${process.version}`,
);
const f = (x) => `${x.toFixed(2)} ms`;
console.log(`per token, whole generation path: ${f(median(full))}`);
console.log(`per token, bare onnxruntime-node loop (same sessions): ${f(median(bare))}`);
console.log(`ratio: ${(median(full) / median(bare)).toFixed(2)}× (target ≤ 1.15×)`);
console.log('time to first token, broken down:');
console.log(`  frame extraction (ffmpeg, cold cache): ${f(median(extractMs))}`);
console.log(`  reading + resizing the 8 frames: ${f(median(parts.framesMs))}`);
console.log(`  preprocessing (tokenizer, patches): ${f(median(parts.preprocessMs))}`);
console.log(`  vision encoder: ${f(median(parts.visionMs))}`);
console.log(`  prefill (first decoder step): ${f(median(parts.prefillMs))}`);
console.log(`  first token after the run starts (frames on disk): ${f(median(parts.firstTokenMs))}`);
