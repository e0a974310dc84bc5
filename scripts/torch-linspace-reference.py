#!/usr/bin/env python3
"""
An independent reference for the frame samplers' torch.linspace emulation (src/core/frames/samplers.ts),
written from the recipe in issue 8 with exact rationals (fractions.Fraction): every float32 rounding is
done once, exactly, to nearest with ties to even; a fused multiply-add is the exact a*b + c rounded once.
No torch needed. Used to work out expected values for test/unit/samplers.test.ts.

  python3 scripts/torch-linspace-reference.py T VIDEO_FPS FPS [LANES [COUNT]]   # LANES: 8 (AVX2), 16, 1 (scalar)
prints the qwen2vl plan (COUNT indices, default 8) as JSON, with the float32 values it used.
"""
import json
import math
import sys
from fractions import Fraction as F


def f32(x):
    """Round the rational x to the nearest float32 (ties to even); returned as a Fraction."""
    x = F(x)
    if x == 0:
        return F(0)
    sign = -1 if x < 0 else 1
    a = abs(x)
    e = math.floor(math.log2(a.numerator) - math.log2(a.denominator))
    while F(2) ** e > a:
        e -= 1
    while F(2) ** (e + 1) <= a:
        e += 1
    lsb = max(e - 23, -149)  # 24-bit significand; subnormals below 2**-126
    q = a / F(2) ** lsb
    n = q.numerator // q.denominator
    r = q - n
    if r > F(1, 2) or (r == F(1, 2) and n % 2 == 1):
        n += 1
    return sign * n * F(2) ** lsb


def linspace(start, end, steps, lanes):
    s, e = f32(start), f32(end)
    if steps == 1:
        return [s]
    step = f32(f32(e - s) / f32(steps - 1))
    half = steps // 2

    def own(k):  # one fused multiply-add, rounded once
        return f32(s + step * k) if k < half else f32(e - step * (steps - 1 - k))

    out = [None] * steps
    i = 0
    if lanes > 1:
        while i + 2 * lanes <= steps:
            for b in (i, i + lanes):
                base = own(b)
                out[b] = base
                for j in range(1, lanes):
                    out[b + j] = f32(base + f32(j * step))  # two roundings
            i += 2 * lanes
    while i < steps:
        out[i] = own(i)
        i += 1
    return out


def round_half_even(x):
    n = math.floor(x)
    d = x - n
    return n + 1 if d > F(1, 2) or (d == F(1, 2) and n % 2) else n


def qwen2vl(T, video_fps, fps, lanes=8, count=8):
    # qwen_vl_utils smart_nframes: between 4 and floor_even(min(768, T)), a multiple of 2, at most T.
    raw = T / video_fps * fps
    max_frames = math.floor(min(768, T) / 2) * 2
    n = math.floor(min(min(max(raw, 4), max_frames), T) / 2) * 2
    first = linspace(0, T - 1, n, lanes)
    second = linspace(0, n - 1, count, lanes)
    return n, first, [round_half_even(first[math.trunc(x)]) for x in second], [math.trunc(x) for x in second]


if __name__ == '__main__':
    T, vf, fps = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    lanes = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    n, first, idx, picks = qwen2vl(T, vf, fps, lanes, count)
    second = linspace(0, n - 1, count, lanes)
    print(json.dumps({'n': n, 'indices': idx, 'firstStage': {k: float(first[k]) for k in picks},
                      'secondStage': [float(x) for x in second]}))
