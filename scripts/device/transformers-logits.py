# Device check behind test/support/transformers-logits-cuda.json (run on a machine with torch and
# transformers, e.g. the lent H100): what transformers' generate does with a model folder's
# generation_config.json when, as upstream, only max_new_tokens is passed. A tiny random
# Qwen2ForCausalLM is saved with each config below as its generation_config.json, reloaded, and
# generate() records the raw logits (output_logits) and the processed scores (output_scores) of
# every step, on the CPU and on CUDA, into $OUT/gen.bin (float32) and $OUT/manifest.json.
# Then, here: node scripts/device/transformers-logits-fixture.mjs DIR  (DIR holding those two files).
import json, os, torch, transformers as tf
from transformers import Qwen2Config as C, Qwen2ForCausalLM as M, GenerationConfig as G

O = os.environ['OUT']; V = 1000; T = 8
KEYS = ['do_sample', 'temperature', 'top_k', 'top_p', 'repetition_penalty']  # the settings generate() reads
print(torch.__version__, tf.__version__, {k: getattr(G(), k, None) for k in KEYS}, flush=True)
torch.manual_seed(0)
b = M(C(vocab_size=V, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=256, eos_token_id=V + 5, bos_token_id=0, pad_token_id=0)).float().eval()
with torch.no_grad():
    b.lm_head.weight.mul_(40.0)  # spread the logits so that the processors have work to do
cs = {
    'qwen2vl_like': dict(do_sample=True, temperature=0.01, top_p=0.001, top_k=1, repetition_penalty=1.05),
    'sample_all': dict(do_sample=True, temperature=0.7, top_k=20, top_p=0.9, repetition_penalty=1.3),
    'greedy_penalty': dict(do_sample=False, repetition_penalty=1.2),
    'sample_default_topk': dict(do_sample=True, temperature=1.5, top_p=0.8),
    'top_p_only': dict(do_sample=True, top_k=0, top_p=0.5, repetition_penalty=0.8),
    'temp_topk': dict(do_sample=True, temperature=0.3, top_k=7),
}
p = torch.randint(0, V, (1, 12), generator=torch.Generator().manual_seed(1)); p[0, 5] = p[0, 2]  # a repeated prompt token
man = {'torch': torch.__version__, 'tf': tf.__version__, 'V': V, 'runs': []}; f = open(O + '/gen.bin', 'wb'); off = 0
for n, gc in cs.items():
    d = '/tmp/m_' + n; b.save_pretrained(d)
    g = {'bos_token_id': 0, 'eos_token_id': [V + 5], 'pad_token_id': 0, **gc}; json.dump(g, open(d + '/generation_config.json', 'w'))
    for dev in ['cpu', 'cuda']:
        try:
            m = M.from_pretrained(d, dtype=torch.float32).to(dev).eval(); torch.manual_seed(2)
            e = {k: getattr(m.generation_config, k, None) for k in KEYS}
            o = m.generate(p.to(dev), max_new_tokens=T, min_new_tokens=T,
                           output_scores=True, output_logits=True, return_dict_in_generate=True)
            r = torch.stack([x[0] for x in o.logits]).float().cpu().contiguous()
            s = torch.stack([x[0] for x in o.scores]).float().cpu().contiguous()
            f.write(r.numpy().tobytes()); f.write(s.numpy().tobytes())
            man['runs'].append(dict(name=n, device=dev, config=g, effective=e, sequence=o.sequences[0].tolist(), prompt_len=12,
                                    raw=off, scores=off + 4 * r.numel(), rows=r.shape[0]))
            off += 8 * r.numel()
            print(n, dev, 'ok', e, flush=True)
        except Exception as x:
            print(n, dev, 'FAILED', repr(x), flush=True)
f.close(); json.dump(man, open(O + '/manifest.json', 'w'))
print('done')
