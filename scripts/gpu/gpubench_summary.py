#!/usr/bin/env python3
"""One table of run.sh's gpubench step: the engine's `bench prefill` / `bench decode` beside PyTorch's dense
pipeline and SDPA, from the JSON files the step leaves in its output folder, with the ratios issue 10 sets targets
for. Runs on the GPU machine at the end of the step, or here on the folder the device tool brought back:

    python3 scripts/gpu/gpubench_summary.py OUT_DIR

Reads (any may be missing; a cut-short run still summarises what it measured):
  prefill-dense.json, prefill-dca.json   longctx bench prefill --json (one mode each)
  decode.json                            longctx bench decode --json
  torch-attention.json                   tools/bench_torch_prefill.py --mode attention (one layer's SDPA, one pass)
  torch-pieces.json                      tools/bench_torch_prefill.py (pipeline, in the engine's pieces)
  torch-onepass.json                     tools/bench_torch_prefill.py --piece 0 (pipeline, cuDNN, one pass)
"""
import json
import os
import sys


def load(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    try:
        with open(p) as f:
            return json.load(f)
    except ValueError as e:
        print(f"(unreadable {name}: {e})")
        return None


def fmt(x, unit=""):
    if x is None:
        return "-"
    a = abs(x)
    s = f"{x:.0f}" if a >= 100 else f"{x:.1f}" if a >= 10 else f"{x:.2f}" if a >= 1 else f"{x:.3g}"
    return s + unit


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def pct(x):
    return "-" if x is None else f"{100 * x:.0f}%"


def table(title, lengths, rows):
    print(f"\n{title}")
    print(f"  {'':60s}" + "".join(f"{n:>10d}" for n in lengths))
    for label, values in rows:
        print(f"  {label:60s}" + "".join(f"{v:>10s}" for v in values))


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OUT", ".")
    engine = {m: load(d, f"prefill-{m}.json") for m in ("dense", "dca")}
    decode = load(d, "decode.json")
    t_att = load(d, "torch-attention.json")
    t_pieces = load(d, "torch-pieces.json")
    t_one = load(d, "torch-onepass.json")

    def eng(mode, n, key):
        r = engine.get(mode)
        if not r:
            return None
        for x in r["results"]:
            if x["length"] == n:
                return x.get(key)
        return None

    def torch_row(doc, backend, n, key):
        if not doc:
            return None
        for x in doc["rows"]:
            if x["backend"] == backend and x["n"] == n and "failed" not in x:
                return x.get(key)
        return None

    lengths = sorted({x["length"] for r in engine.values() if r for x in r["results"]}
                     | {x["n"] for t in (t_pieces, t_one) if t for x in t["rows"]})
    first = next((r for r in engine.values() if r), None)
    print("================ gpubench summary ================")
    if first:
        print(f"engine: {first['geometry']} on {first['device']}, {first['weights']}, pieces of {first['piece']}, "
              f"median of {first['runs']} run(s)")
    if t_pieces or t_one:
        t = t_pieces or t_one
        print(f"torch: {t.get('torch')} on {t.get('device')}, random bf16 weights, one run per cell")
    if not lengths:
        print("no prefill results (see prefill-*.log and torch.log)")
    else:
        piece = first["piece"] if first else (t_pieces["rows"][0]["piece"] if t_pieces else None)
        rows = [(f"engine {m}", [fmt(eng(m, n, "ttft_seconds")) for n in lengths]) for m in ("dense", "dca")]
        rows += [(f"torch {b} in pieces of {piece}", [fmt(torch_row(t_pieces, b, n, "ttft_s")) for n in lengths])
                 for b in ("flash", "cudnn")]
        rows += [("torch cudnn one pass", [fmt(torch_row(t_one, "cudnn", n, "ttft_s")) for n in lengths])]
        rows += [("engine dense / torch flash in pieces",
                  [fmt(ratio(eng("dense", n, "ttft_seconds"), torch_row(t_pieces, "flash", n, "ttft_s"))) for n in lengths]),
                 ("engine dense / torch cudnn one pass (target <= 1.3 at 128K)",
                  [fmt(ratio(eng("dense", n, "ttft_seconds"), torch_row(t_one, "cudnn", n, "ttft_s"))) for n in lengths])]
        table("prefill TTFT, s", lengths, rows)

        rows = [(f"engine {m}, inside the prefill", [fmt(eng(m, n, "attention_tflops")) for n in lengths])
                for m in ("dense", "dca")]
        rows += [(f"torch SDPA {b}, one layer, one pass", [fmt(torch_row(t_att, b, n, "tflops")) for n in lengths])
                 for b in ("cudnn", "flash")]
        rows += [(f"torch {b} inside its pipeline in pieces", [fmt(torch_row(t_pieces, b, n, "attention_tflops"))
                                                              for n in lengths]) for b in ("flash", "cudnn")]
        rows += [("engine dense / SDPA cudnn (target >= 50%)",
                  [pct(ratio(eng("dense", n, "attention_tflops"), torch_row(t_att, "cudnn", n, "tflops"))) for n in lengths]),
                 ("engine dense / SDPA flash",
                  [pct(ratio(eng("dense", n, "attention_tflops"), torch_row(t_att, "flash", n, "tflops"))) for n in lengths])]
        table("attention, TFLOP/s (4·d·H·Σ keys per layer, causal)", lengths, rows)

        rows = []
        for m in ("dense", "dca"):
            rows += [(f"engine {m}: GEMM part of the TTFT, s", [fmt(eng(m, n, "gemm_seconds")) for n in lengths]),
                     (f"engine {m}: the same GEMMs alone, s", [fmt(eng(m, n, "gemm_alone_seconds")) for n in lengths]),
                     (f"engine {m}: alone / in TTFT (target >= 80%)", [pct(eng(m, n, "gemm_vs_alone")) for n in lengths]),
                     (f"engine {m}: rest (not attention, not GEMM), s", [fmt(eng(m, n, "other_seconds")) for n in lengths]),
                     (f"engine {m}: all FLOPs / TTFT, of peak", [pct(eng(m, n, "fraction_of_peak")) for n in lengths]),
                     (f"engine {m}: peak device memory, GiB",
                      [fmt(None if eng(m, n, "peak_memory_bytes") is None else eng(m, n, "peak_memory_bytes") / 2**30)
                       for n in lengths])]
        rows += [("torch flash in pieces: rest (GEMMs, norms, RoPE), s",
                  [fmt(torch_row(t_pieces, "flash", n, "rest_s")) for n in lengths]),
                 ("torch flash in pieces: peak allocated, GiB", [fmt(torch_row(t_pieces, "flash", n, "peak_gib")) for n in lengths])]
        table("GEMMs and the rest", lengths, rows)
        if first:
            print("  GEMMs alone, one layer:")
            for g in first["gemms_alone"]:
                print(f"    {g['name']:8s} {g['rows']:>6d} x {g['in']:>5d} -> {g['out']:<6d} {fmt(1e3 * g['seconds']):>9s} ms "
                      f"{fmt(g['tflops']):>7s} TFLOP/s")
            print(f"  peak used for 'of peak': {fmt(first['peak_tflops'])} TFLOP/s ({first['peak_source']})")

    if decode:
        print(f"\ndecode: {decode['geometry']} on {decode['device']}, median of {decode['runs']} run(s); "
              f"ceiling {fmt(decode['ceiling_gbps'])} GB/s ({decode['ceiling_source']})")
        print(f"  {'mode':5s} {'context':>8s} {'batch':>5s} {'ms/step':>9s} {'tok/s':>8s} {'GB/s':>8s} {'of floor':>9s}")
        for x in decode["results"]:
            print(f"  {x['mode']:5s} {x['context']:>8d} {x['batch']:>5d} {fmt(1e3 * x['step_seconds']):>9s} "
                  f"{fmt(x['tokens_per_second']):>8s} {fmt(x['achieved_gbps']):>8s} {pct(x['fraction_of_floor']):>9s}")
        print("  target: >= 60% of the floor at 128K")
    else:
        print("\nno decode results (see decode.log)")


if __name__ == "__main__":
    main()
