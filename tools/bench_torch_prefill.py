#!/usr/bin/env python3
"""PyTorch reference for longctx's GPU prefill: the dense Qwen2 pipeline of a geometry with random bf16 weights.

Per layer: RMSNorm -> fused QKV GEMM (+bias) -> RoPE (rotate-half) -> KV cache append -> SDPA (causal, GQA) ->
O GEMM -> residual -> RMSNorm -> gate/up GEMM -> SwiGLU -> down GEMM -> residual, for every layer, then the final
norm and lm_head for the last token only. The prompt is prefilled in pieces of --piece tokens (0: one pass) with a
KV cache, so a piece attends to the cached prefix plus itself (causal, bottom-right aligned).

  python3 tools/bench_torch_prefill.py --geometry qwen2.5-7b-instruct-1m --lengths 32768,131072 --backends cudnn,flash
  python3 tools/bench_torch_prefill.py --mode attention --lengths 32768,131072     # one layer's SDPA only

`--json FILE` also writes the rows as JSON (scripts/gpu/gpubench_summary.py sets them beside the engine's).

With cuDNN, pieces after the first run ~3x slower than one pass: the bottom-right causal mask they need is an
explicit bias, which takes cuDNN off its fast causal path (H200, 2026-12-03: 23.8 s at 128K in 32K pieces against
9.7 s in one pass). `--piece 0` gives the one-pass number.

Prints TTFT, the attention time (CUDA events around every SDPA call), the rest, attention TFLOP/s (causal FLOPs
4·H·d·Σ(q·prefix + q²/2)), and peak memory; a summary table last. Random weights: speed does not depend on values.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

GEOMETRIES = {
    # hidden, layers, heads, kv heads, intermediate, vocab, rope theta
    "qwen2.5-7b-instruct-1m": (3584, 28, 28, 4, 18944, 152064, 1e7),
    "qwen2.5-14b-instruct-1m": (5120, 48, 40, 8, 13824, 152064, 1e7),
    "qwen2.5-0.5b": (896, 24, 14, 2, 4864, 151936, 1e6),
}
BACKENDS = {"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION,
            "efficient": SDPBackend.EFFICIENT_ATTENTION}


def rope_tables(length, d, theta, device):
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64, device=device) / d))
    ang = torch.arange(length, dtype=torch.float64, device=device)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def rotate(x, cos, sin):  # x [1, h, n, d]; cos/sin [n, d/2]
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half].float(), x[..., half:].float()
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1).to(x.dtype)


def rmsnorm(x, w, eps=1e-6):
    xf = x.float()
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps) * w).to(torch.bfloat16)


def sdpa(q, k, v, prefix, backend):
    """q [1, H, n, d]; k, v [1, Hkv, prefix + n, d]; causal with the queries at the end (bottom-right)."""
    with sdpa_kernel([BACKENDS[backend]]):
        if prefix == 0:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        from torch.nn.attention.bias import causal_lower_right
        mask = causal_lower_right(q.shape[2], k.shape[2])
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)


def attn_flops(heads, d, n, piece):
    total, b = 0.0, 0
    while b < n:
        q = min(piece, n - b)
        total += 4.0 * heads * d * (q * b + q * q / 2.0)
        b += q
    return total


def pipeline(geom, n, piece, backend, device):
    hidden, layers, H, Hkv, inter, vocab, theta = GEOMETRIES[geom]
    d = hidden // H
    g = torch.Generator(device=device).manual_seed(0)

    def rand(*shape, std=0.02):
        return (torch.randn(*shape, generator=g, device=device, dtype=torch.float32) * std).to(torch.bfloat16)

    weights = [dict(n1=torch.ones(hidden, device=device), n2=torch.ones(hidden, device=device),
                    qkv=rand((H + 2 * Hkv) * d, hidden), bqkv=rand((H + 2 * Hkv) * d),
                    o=rand(hidden, H * d), gu=rand(2 * inter, hidden), down=rand(hidden, inter))
               for _ in range(layers)]
    lm_head = rand(vocab, hidden)
    final_norm = torch.ones(hidden, device=device)
    embed = rand(vocab, hidden, std=1.0)
    ids = torch.randint(0, vocab, (n,), device=device, generator=g)
    cos, sin = rope_tables(n, d, theta, device)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    piece = n if piece <= 0 else piece
    kcache = [torch.empty(1, Hkv, n, d, device=device, dtype=torch.bfloat16) for _ in range(layers)]
    vcache = [torch.empty(1, Hkv, n, d, device=device, dtype=torch.bfloat16) for _ in range(layers)]
    events = []
    t0 = torch.cuda.Event(enable_timing=True)
    t1 = torch.cuda.Event(enable_timing=True)
    t0.record()
    b = 0
    while b < n:
        e = min(n, b + piece)
        x = embed[ids[b:e]].float()
        c, s = cos[b:e], sin[b:e]
        for L, w in enumerate(weights):
            h = rmsnorm(x, w["n1"])
            qkv = F.linear(h, w["qkv"], w["bqkv"])
            q, k, v = qkv.split([H * d, Hkv * d, Hkv * d], dim=-1)
            q = rotate(q.view(e - b, H, d).transpose(0, 1)[None], c, s)
            k = rotate(k.view(e - b, Hkv, d).transpose(0, 1)[None], c, s)
            kcache[L][:, :, b:e] = k
            vcache[L][:, :, b:e] = v.view(e - b, Hkv, d).transpose(0, 1)[None]
            ev0, ev1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            ev0.record()
            a = sdpa(q, kcache[L][:, :, :e], vcache[L][:, :, :e], b, backend)
            ev1.record()
            events.append((ev0, ev1))
            x = x + F.linear(a[0].transpose(0, 1).reshape(e - b, H * d), w["o"]).float()
            h = rmsnorm(x, w["n2"])
            gu = F.linear(h, w["gu"])
            x = x + F.linear(F.silu(gu[:, :inter]) * gu[:, inter:], w["down"]).float()
        b = e
    logits = F.linear(rmsnorm(x[-1:], final_norm), lm_head)
    t1.record()
    torch.cuda.synchronize()
    ttft = t0.elapsed_time(t1) / 1e3
    att = sum(a.elapsed_time(z) for a, z in events) / 1e3
    flops = attn_flops(H, d, n, piece) * layers
    peak = torch.cuda.max_memory_allocated() / 2**30
    del weights, kcache, vcache, logits
    torch.cuda.empty_cache()
    return ttft, att, flops / att / 1e12, peak


def attention_only(n, backend, device, reps=5):
    hidden, layers, H, Hkv, inter, vocab, theta = GEOMETRIES["qwen2.5-7b-instruct-1m"]
    d = hidden // H
    q = torch.randn(1, H, n, d, device=device, dtype=torch.bfloat16)
    k = torch.randn(1, Hkv, n, d, device=device, dtype=torch.bfloat16)
    v = torch.randn(1, Hkv, n, d, device=device, dtype=torch.bfloat16)
    sdpa(q, k, v, 0, backend)
    times = []
    for _ in range(reps):
        a, z = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        sdpa(q, k, v, 0, backend)
        z.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(z))
    ms = sorted(times)[len(times) // 2]
    return ms, 2.0 * n * n * H * d / (ms / 1e3) / 1e12


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--geometry", default="qwen2.5-7b-instruct-1m", choices=sorted(GEOMETRIES))
    p.add_argument("--lengths", default="32768,131072")
    p.add_argument("--backends", default="cudnn,flash")
    p.add_argument("--piece", type=int, default=32768, help="prefill piece size; 0 = one pass")
    p.add_argument("--mode", default="pipeline", choices=["pipeline", "attention"])
    p.add_argument("--json", help="also write the rows to this file (read by scripts/gpu/gpubench_summary.py)")
    args = p.parse_args()
    device = torch.device("cuda")
    lengths = [int(x) for x in args.lengths.split(",")]
    print(f"# {torch.cuda.get_device_name()} torch {torch.__version__} geometry {args.geometry} mode {args.mode}"
          f" piece {args.piece}", flush=True)
    rows, records = [], []
    for backend in args.backends.split(","):
        for n in lengths:
            rec = dict(mode=args.mode, backend=backend, geometry=args.geometry, n=n, piece=args.piece)
            try:
                if args.mode == "attention":
                    ms, tf = attention_only(n, backend, device)
                    row = f"sdpa {backend:6s} N={n:<7d} {ms:9.2f} ms {tf:7.1f} TFLOP/s"
                    rec.update(ms=ms, tflops=tf)
                else:
                    if not rows:  # warm-up: kernels, cuBLAS heuristics, allocator
                        pipeline(args.geometry, min(n, 8192), args.piece, backend, device)
                    ttft, att, tf, peak = pipeline(args.geometry, n, args.piece, backend, device)
                    row = (f"pipeline {backend:6s} N={n:<7d} TTFT {ttft:7.2f} s  attention {att:6.2f} s "
                           f"({tf:5.0f} TFLOP/s)  rest {ttft - att:6.2f} s  peak {peak:5.1f} GiB")
                    rec.update(ttft_s=ttft, attention_s=att, attention_tflops=tf, rest_s=ttft - att, peak_gib=peak)
            except Exception as e:  # report and go on: one backend failing must not hide the others
                row = f"{args.mode} {backend:6s} N={n:<7d} FAILED: {type(e).__name__}: {str(e).splitlines()[0][:150]}"
                rec.update(failed=row)
            print(row, flush=True)
            rows.append(row)
            records.append(rec)
            if args.json:  # rewritten after every row, so a run cut short still leaves what it measured
                with open(args.json, "w") as f:
                    json.dump(dict(device=torch.cuda.get_device_name(), torch=torch.__version__, rows=records), f, indent=1)
    print(f"\n== torch {args.mode} summary ==")
    for r in rows:
        print(r)


if __name__ == "__main__":
    sys.exit(main())
