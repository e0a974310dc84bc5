# Device check of the frame sampler's torch.linspace emulation (src/core/frames/samplers.ts) against
# real torch on the CPU, for each CPU kernel torch can dispatch to on the machine it runs on:
#   for cap in default avx2 avx512; do ATEN_CPU_CAPABILITY=$cap python3 scripts/device/torch-linspace.py $cap; done
# writes $OUT/linspace-<cap>.json: the capability torch reports, and for 20,000 random clips (seeded)
# the 8 frames Qwen2-VL's reader keeps (the vendored qwen-vl-utils: smart_nframes, then
# round(linspace(0, T-1, n)), then linspace(0, n-1, 8) truncated). Compare here with
#   node scripts/device/torch-linspace-compare.mjs DIR
import json, math, os, random, sys
import torch

cap = sys.argv[1]
random.seed(8)
cases = []
for _ in range(20000):
    T = random.randint(2000, 60000)
    vfps = random.choice([10, 15, 24, 25, 29.97, 30, 50, 60])
    fps = random.choice([1.0, 2.0])
    cases.append((T, vfps, fps))
# The four cases and the clip where AVX2 and AVX-512 are expected to differ.
cases += [(37053, 60, 1.0), (38799, 10, 2.0), (33301, 25, 2.0), (12721, 10, 2.0), (17368, 30, 1.0)]
out = []
for T, vfps, fps in cases:
    lo = math.ceil(4 / 2) * 2
    hi = math.floor(min(768, T) / 2) * 2
    n = min(min(max(T / vfps * fps, lo), hi), T)
    n = math.floor(n / 2) * 2
    first = torch.linspace(0, T - 1, n).round().long()
    second = torch.linspace(0, n - 1, 8).long()
    out.append([T, vfps, fps, first[second].tolist()])
json.dump({'requested': cap, 'capability': torch.backends.cpu.get_cpu_capability(), 'torch': torch.__version__, 'cases': out},
          open(os.path.join(os.environ['OUT'], f'linspace-{cap}.json'), 'w'))
print(cap, torch.backends.cpu.get_cpu_capability(), torch.__version__, len(out))
