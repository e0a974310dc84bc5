// Builds test/support/transformers-logits-cuda.json from the output of
// scripts/device/transformers-logits.py (gen.bin and manifest.json in DIR): one step per config,
// from the CUDA runs (upstream ran on CUDA). Usage: node scripts/device/transformers-logits-fixture.mjs DIR
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/device/transformers-logits-fixture.mjs DIR');
const man = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const buf = fs.readFileSync(path.join(dir, 'gen.bin'));
const V = man.V;
// The step after two generated tokens; for sample_default_topk the step after one, where top_k 50 changes what top-p keeps.
const stepOf = (name) => (name === 'sample_default_topk' ? 1 : 2);
const b64 = (off, t) => buf.subarray(off + 4 * V * t, off + 4 * V * (t + 1)).toString('base64');
const out = {
  about:
    `Real transformers output, for the logits-processor tests: transformers ${man.tf}, torch ${man.torch}, one NVIDIA H100 (CUDA). ` +
    `A tiny random Qwen2ForCausalLM (vocabulary ${V}, float32) saved with each config below as its generation_config.json, ` +
    'reloaded, and called as upstream does, model.generate(input_ids, max_new_tokens=8) ' +
    '(with min_new_tokens=8 and output_scores / output_logits to read the steps). ' +
    'Each run is one step (step: the tokens generated before it; the sample_default_topk one where top_k 50 changes what top-p keeps): ' +
    'raw = output_logits (before the processors), scores = output_scores (after them), both float32 little-endian in base64; ' +
    'sequence = the prompt (12 ids) and the tokens before this step; next = the token generate chose. ' +
    'Made by scripts/device/transformers-logits.py and transformers-logits-fixture.mjs.',
  vocab: V,
  runs: man.runs
    .filter((r) => r.device === 'cuda')
    .map((r) => {
      const t = stepOf(r.name);
      return {
        name: r.name,
        config: r.config,
        step: t,
        sequence: r.sequence.slice(0, r.prompt_len + t),
        next: r.sequence[r.prompt_len + t],
        raw: b64(r.raw, t),
        scores: b64(r.scores, t),
      };
    }),
};
fs.writeFileSync(path.join(root, 'test/support/transformers-logits-cuda.json'), JSON.stringify(out, null, 1) + '\n');
