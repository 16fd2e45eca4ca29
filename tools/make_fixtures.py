#!/usr/bin/env python3
"""Reference fixtures for the longctx engine: tiny random Qwen2 checkpoints + transformers reference outputs.

Usage:  python3 tools/make_fixtures.py --out DIR [--device cpu|cuda] [--only NAME[,NAME]]

For every fixture it writes DIR/<name>/:
  config.json, generation_config.json, *.safetensors (+ model.safetensors.index.json when sharded)
  reference.json   prompt_ids, greedy_ids (32 tokens, EOS ignored), eos_token_id, checks, note
  logits.npy       float32 [T, vocab]: logits of every prompt position (transformers, eager attention, fp32)
and for the `dca` fixture also
  logits_dca.npy   float32 [T, vocab]: the same prompt under Dual Chunk Attention, computed by this script's own
                   float64 implementation of docs/ALGORITHMS.md §1 (transformers has no DCA); reference.json["dca"]
                   holds its greedy continuation (KV-cached decode, scale s_f(T) per step).

All references are computed in fp32 (transformers) from the weights exactly as saved: bf16/f16 checkpoints are
saved first, then reloaded and upcast to fp32. An independent float64 forward (written from ALGORITHMS.md §0)
cross-checks the transformers logits; a failed check is printed loudly and makes the exit code 1 (the files are
still written, so the run is never wasted).
"""
import argparse
import glob
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch

# Everything is local: never wait on a model hub (the GPU machine has no network).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

N_GREEDY = 32

# Each fixture: architecture, storage dtype, config layout, prompt length.
# layout "4x": config.json rewritten to the transformers 4.x shape (top-level rope_theta, torch_dtype) like the
# real Qwen2.5-*-1M checkpoints; "5x": config.json exactly as save_pretrained of transformers 5 writes it.
FIXTURES = [
    dict(name="gqa7", vocab=256, hidden=224, heads=14, kv_heads=2, inter=96, layers=2, rope_theta=1e7,
         eps=1e-5, tied=False, dtype="float32", layout="4x", prompt_len=40, shard_bytes=None, dca=None,
         eos_list=False, seed=1001,
         note="GQA 7:1 like Qwen2.5-7B-Instruct-1M (14 query heads, 2 KV heads, head_dim 16), qkv bias, untied, "
              "rope_theta 1e7, fp32 weights, transformers-4.x config layout."),
    dict(name="tied", vocab=320, hidden=96, heads=6, kv_heads=2, inter=256, layers=3, rope_theta=1e6,
         eps=1e-6, tied=True, dtype="float16", layout="5x", prompt_len=33, shard_bytes=None, dca=None,
         eos_list=True, seed=2002,
         note="Tied embeddings like Qwen2.5-0.5B (no lm_head.weight in the file), 6 heads / 2 KV heads, "
              "float16 weights, transformers-5.x config layout (rope_parameters, dtype), eos_token_id is a list."),
    dict(name="kv1odd", vocab=301, hidden=60, heads=3, kv_heads=1, inter=97, layers=2, rope_theta=1e4,
         eps=1e-6, tied=False, dtype="bfloat16", layout="5x", prompt_len=47, shard_bytes=50_000, dca=None,
         eos_list=False, seed=3003,
         note="One KV head, odd sizes (hidden 60, 3 heads of head_dim 20, intermediate 97, vocab 301), bfloat16 "
              "weights sharded over several safetensors files with model.safetensors.index.json."),
    dict(name="dca", vocab=128, hidden=224, heads=14, kv_heads=2, inter=48, layers=2, rope_theta=1e7,
         eps=1e-5, tied=False, dtype="float32", layout="4x", prompt_len=500, shard_bytes=None,
         dca=dict(chunk_size=64, local_size=16, original_max_position_embeddings=64), max_pos=64,
         eos_list=False, seed=4004,
         note="Like gqa7 (vocab 128, intermediate 48 to stay < 2 MB) with dual_chunk_attention_config "
              "{chunk_size 64, local_size 16, original_max_position_embeddings 64}: DCA chunk length L = 48, "
              "prompt 500 tokens = 10 full chunks + 20. logits.npy / greedy_ids are PLAIN RoPE (transformers "
              "ignores DCA): what the engine must produce with --no-dca. logits_dca.npy / dca.greedy_ids are DCA "
              "references from this script's float64 implementation of ALGORITHMS.md section 1."),
]


# ----------------------------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------------------------
def log(*a):
    print(*a, flush=True)


FAILURES = []


def check(ok, what):
    if ok:
        log(f"    ok    {what}")
    else:
        log(f"    FAIL  {what}")
        FAILURES.append(what)
    return ok


def torch_dtype_of(name):
    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[name]


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def write_json_compact(path, obj):
    """One top-level key per line, values (long id lists included) on that line."""
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in obj.items()) + "\n}\n")


def make_config(spec):
    from transformers import Qwen2Config
    kw = dict(
        vocab_size=spec["vocab"], hidden_size=spec["hidden"], intermediate_size=spec["inter"],
        num_hidden_layers=spec["layers"], num_attention_heads=spec["heads"],
        num_key_value_heads=spec["kv_heads"], hidden_act="silu",
        max_position_embeddings=spec.get("max_pos", 32768), rms_norm_eps=spec["eps"],
        tie_word_embeddings=spec["tied"], use_sliding_window=False, attention_dropout=0.0,
        bos_token_id=None, eos_token_id=None,
    )
    try:  # transformers 5: rope_parameters
        cfg = Qwen2Config(**kw, rope_parameters={"rope_type": "default", "rope_theta": float(spec["rope_theta"])})
    except Exception as e:  # older transformers
        log(f"    (Qwen2Config(rope_parameters=...) failed: {e!r}; using rope_theta=)")
        cfg = Qwen2Config(**kw, rope_theta=float(spec["rope_theta"]))
    rp = getattr(cfg, "rope_parameters", None)
    if isinstance(rp, dict):
        rp["rope_theta"] = float(spec["rope_theta"])
        rp.setdefault("rope_type", "default")
    else:
        try:
            cfg.rope_theta = float(spec["rope_theta"])
        except Exception:
            pass
    return cfg


def randomize_(model, spec):
    """Deterministic random weights that make every part of the forward matter.

    Linear weights ~ N(0, (g / sqrt(fan_in))^2) so activations stay O(1) and attention is peaked but not one-hot;
    q/k/v biases ~ N(0, 0.5^2) (transformers would leave them 0); RMSNorm weights ~ U(0.9, 1.1); embeddings N(0, 1)
    (tied: N(0, (2/sqrt(hidden))^2) so that the shared lm_head gives logits with std ~2).
    """
    g = torch.Generator().manual_seed(spec["seed"])
    hidden = spec["hidden"]
    with torch.no_grad():
        for name, p in model.named_parameters():  # tied lm_head is the same Parameter: listed once
            shape = tuple(p.shape)
            if name.endswith(".bias"):
                val = torch.randn(shape, generator=g) * 0.5
            elif p.dim() == 1:  # RMSNorm weight
                val = 0.9 + 0.2 * torch.rand(shape, generator=g)
            elif "embed_tokens" in name:
                std = 2.0 / math.sqrt(hidden) if spec["tied"] else 1.0
                val = torch.randn(shape, generator=g) * std
            else:
                fan_in = shape[1]
                if "lm_head" in name:
                    gain = 2.0
                elif "o_proj" in name or "down_proj" in name:
                    gain = 1.0
                else:
                    gain = 1.5
                val = torch.randn(shape, generator=g) * (gain / math.sqrt(fan_in))
            p.copy_(val.to(p.dtype))


def file_tensors(d):
    """All tensors stored in the checkpoint directory, as saved (name -> tensor)."""
    from safetensors.torch import load_file
    out = {}
    for f in sorted(glob.glob(os.path.join(d, "*.safetensors"))):
        for k, v in load_file(f).items():
            assert k not in out, f"tensor {k} stored twice"
            out[k] = v
    return out


def save_checkpoint(model, d, shard_bytes):
    """save_pretrained (safetensors), sharded when shard_bytes is given; verified and repaired if needed."""
    kwargs = {}
    if shard_bytes:
        kwargs["max_shard_size"] = int(shard_bytes)
    try:
        model.save_pretrained(d, **kwargs)  # transformers 5: always safetensors
    except TypeError:
        model.save_pretrained(d, safe_serialization=True, **kwargs)
    if not glob.glob(os.path.join(d, "*.safetensors")):
        log("    save_pretrained wrote no .safetensors; retrying with safe_serialization=True")
        model.save_pretrained(d, safe_serialization=True, **kwargs)
    for junk in glob.glob(os.path.join(d, "*.bin")):
        os.remove(junk)


def manual_shard(d, tensors, shard_bytes):
    """Write tensors as model-0000i-of-0000n.safetensors + index (used only if save_pretrained did not shard)."""
    from safetensors.torch import save_file
    for f in glob.glob(os.path.join(d, "*.safetensors")) + glob.glob(os.path.join(d, "*.safetensors.index.json")):
        os.remove(f)
    shards, cur, cur_bytes = [], {}, 0
    for k in sorted(tensors):
        t = tensors[k].contiguous()
        nb = t.numel() * t.element_size()
        if cur and cur_bytes + nb > shard_bytes:
            shards.append(cur)
            cur, cur_bytes = {}, 0
        cur[k] = t
        cur_bytes += nb
    if cur:
        shards.append(cur)
    n = len(shards)
    weight_map, total = {}, 0
    for i, sh in enumerate(shards):
        fn = f"model-{i + 1:05d}-of-{n:05d}.safetensors"
        save_file(sh, os.path.join(d, fn), metadata={"format": "pt"})
        for k, t in sh.items():
            weight_map[k] = fn
            total += t.numel() * t.element_size()
    write_json(os.path.join(d, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": weight_map})


def load_fp32_model(d, cfg_fallback):
    """Reload the saved checkpoint in fp32 with eager attention (the artifact itself is what we test)."""
    from transformers import Qwen2ForCausalLM
    model = None
    for kw in ({"dtype": torch.float32, "attn_implementation": "eager"},
               {"torch_dtype": torch.float32, "attn_implementation": "eager"}):
        try:
            model = Qwen2ForCausalLM.from_pretrained(d, **kw)
            break
        except TypeError as e:
            log(f"    from_pretrained({list(kw)}) failed: {e!r}")
        except Exception as e:
            log(f"    from_pretrained({list(kw)}) failed: {e!r}")
            break
    if model is None:
        log("    falling back to building the model from the in-memory config + loading tensors by hand")
        cfg_fallback._attn_implementation = "eager"
        model = Qwen2ForCausalLM(cfg_fallback)
        sd = {k: v.float() for k, v in file_tensors(d).items()}
        missing, unexpected = model.load_state_dict(sd, strict=False)
        missing = [m for m in missing if not m.endswith("inv_freq") and m != "lm_head.weight"]
        assert not missing and not unexpected, (missing, unexpected)
        if cfg_fallback.tie_word_embeddings:
            model.tie_weights()
    model = model.float().eval()
    try:
        model.config._attn_implementation = "eager"
    except Exception:
        pass
    return model


def fix_inv_freq_(model, spec):
    """Make sure every rotary buffer holds inv_freq for the intended theta (guards against config parsing issues)."""
    d = spec["hidden"] // spec["heads"]
    expected = 1.0 / (float(spec["rope_theta"]) ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    found = 0
    for mod_name, mod in model.named_modules():
        buf = getattr(mod, "inv_freq", None)
        if isinstance(buf, torch.Tensor):
            found += 1
            ok = buf.shape == expected.shape and torch.allclose(buf.float().cpu(), expected, rtol=1e-5, atol=0)
            if not ok:
                log(f"    WARNING: {mod_name}.inv_freq differs from theta={spec['rope_theta']}; overwriting")
                FAILURES.append(f"{spec['name']}: inv_freq in {mod_name} was wrong (fixed)")
                mod.inv_freq = expected.to(buf.device)
                if hasattr(mod, "original_inv_freq"):
                    mod.original_inv_freq = mod.inv_freq
            scale = getattr(mod, "attention_scaling", 1.0)
            if scale != 1.0:
                log(f"    WARNING: {mod_name}.attention_scaling = {scale}; forcing 1.0")
                mod.attention_scaling = 1.0
    check(found > 0, f"{spec['name']}: found {found} rotary inv_freq buffer(s), theta {spec['rope_theta']:g}")


@torch.no_grad()
def hf_logits(model, ids, device):
    x = torch.tensor([ids], dtype=torch.long, device=device)
    out = model(input_ids=x, use_cache=False)
    return out.logits[0].float().cpu()


@torch.no_grad()
def hf_greedy(model, ids, device, n):
    """Manual argmax loop over full forward passes (no cache), EOS ignored. Returns ids and the smallest top1-top2 gap."""
    seq = list(ids)
    out, margin = [], float("inf")
    for _ in range(n):
        last = hf_logits(model, seq, device)[-1]
        top = torch.topk(last, 2)
        margin = min(margin, float(top.values[0] - top.values[1]))
        t = int(top.indices[0])
        out.append(t)
        seq.append(t)
    return out, margin


# ----------------------------------------------------------------------------------------------------------------
# independent float64 reference (ALGORITHMS.md §0 and §1)
# ----------------------------------------------------------------------------------------------------------------
class Ref64:
    """Plain float64 Qwen2 forward with a KV cache; optional Dual Chunk Attention exactly as ALGORITHMS.md §1."""

    def __init__(self, tensors, spec, device="cpu", dtype=torch.float64):
        self.dev, self.dt = device, dtype
        self.w = {k: v.to(device=device, dtype=dtype) for k, v in tensors.items()}
        self.s = spec
        self.H, self.Hkv = spec["heads"], spec["kv_heads"]
        self.d = spec["hidden"] // spec["heads"]
        self.half = self.d // 2
        i = torch.arange(self.half, dtype=torch.float64, device=device)
        self.inv_freq = float(spec["rope_theta"]) ** (-2.0 * i / self.d)  # float64 angles (positions reach 1e6)
        self.lm_head = self.w["model.embed_tokens.weight"] if spec["tied"] else self.w["lm_head.weight"]

    def rope(self, x, pos):
        """x [n, h, d], pos [n] (float64 positions) -> rotate-half RoPE."""
        ang = pos.to(torch.float64)[:, None] * self.inv_freq[None, :]
        cos, sin = ang.cos().to(self.dt)[:, None, :], ang.sin().to(self.dt)[:, None, :]
        x1, x2 = x[..., :self.half], x[..., self.half:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

    def rmsnorm(self, x, w):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.s["eps"]) * w

    def new_cache(self):
        return [{"k": torch.zeros(0, self.Hkv, self.d, dtype=self.dt, device=self.dev),
                 "v": torch.zeros(0, self.Hkv, self.d, dtype=self.dt, device=self.dev)} for _ in range(self.s["layers"])]

    @staticmethod
    def dca_scale(T, P):
        return max(1.0, 0.1 * math.log(T / P) + 1.0) if P > 0 else 1.0

    @torch.no_grad()
    def forward(self, ids, cache, dca=None, scale_T=None):
        """Logits [n, V] for new tokens `ids` appended after the cached ones.

        dca: None (plain RoPE) or dict(chunk_size, local_size, original_max_position_embeddings).
        scale_T: the request length T that sets s_f(T) (prefill: the prompt length; decode: current length).
        """
        b = cache[0]["k"].shape[0]
        n = len(ids)
        p = torch.arange(b, b + n, dtype=torch.int64, device=self.dev)
        Tk = b + n
        kp = torch.arange(Tk, dtype=torch.int64, device=self.dev)
        if dca is not None:
            c, l, P = dca["chunk_size"], dca["local_size"], dca["original_max_position_embeddings"]
            L = c - l
            sf = self.dca_scale(scale_T if scale_T is not None else Tk, P)
        rep = self.H // self.Hkv
        x = self.w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long, device=self.dev)]
        for li in range(self.s["layers"]):
            pre = f"model.layers.{li}."
            h = self.rmsnorm(x, self.w[pre + "input_layernorm.weight"])
            q = (h @ self.w[pre + "self_attn.q_proj.weight"].T + self.w[pre + "self_attn.q_proj.bias"]).view(n, self.H, self.d)
            k = (h @ self.w[pre + "self_attn.k_proj.weight"].T + self.w[pre + "self_attn.k_proj.bias"]).view(n, self.Hkv, self.d)
            v = (h @ self.w[pre + "self_attn.v_proj.weight"].T + self.w[pre + "self_attn.v_proj.bias"]).view(n, self.Hkv, self.d)
            k_rot = self.rope(k, p % L if dca is not None else p)
            cache[li]["k"] = torch.cat([cache[li]["k"], k_rot], 0)
            cache[li]["v"] = torch.cat([cache[li]["v"], v], 0)
            K = cache[li]["k"].repeat_interleave(rep, dim=1)  # [Tk, H, d]; head h uses KV head h // rep
            V = cache[li]["v"].repeat_interleave(rep, dim=1)

            def scores(qr):
                return torch.einsum("nhd,thd->hnt", qr, K) / math.sqrt(self.d)

            causal = kp[None, :] <= p[:, None]  # [n, Tk]
            if dca is None:
                S = scores(self.rope(q, p))
            else:
                i = p % L
                s_intra = scores(self.rope(q, i))
                s_succ = scores(self.rope(q, torch.clamp(L + i, max=c)))
                s_inter = scores(self.rope(q, torch.full_like(p, min(2 * L - 1, c))))
                cq, ck = (p // L)[:, None], (kp // L)[None, :]
                S = torch.where(ck == cq, s_intra, torch.where(ck == cq - 1, s_succ, s_inter))
                S = S * (sf * sf)
            S = S.masked_fill(~causal[None], float("-inf"))
            A = torch.softmax(S, dim=-1)
            o = torch.einsum("hnt,thd->nhd", A, V).reshape(n, self.H * self.d)
            x = x + o @ self.w[pre + "self_attn.o_proj.weight"].T
            h2 = self.rmsnorm(x, self.w[pre + "post_attention_layernorm.weight"])
            gate = h2 @ self.w[pre + "mlp.gate_proj.weight"].T
            up = h2 @ self.w[pre + "mlp.up_proj.weight"].T
            x = x + (torch.nn.functional.silu(gate) * up) @ self.w[pre + "mlp.down_proj.weight"].T
        x = self.rmsnorm(x, self.w["model.norm.weight"])
        return x @ self.lm_head.T

    @torch.no_grad()
    def greedy(self, prompt, n, dca=None, stop=()):
        """Prefill (scale s_f(len(prompt))) then KV-cached decode, scale s_f(current length) per step.

        Returns (prompt logits [T, V], generated ids (ends at the first id in `stop`, included), min top-2 gap)."""
        cache = self.new_cache()
        logits = self.forward(prompt, cache, dca, scale_T=len(prompt))
        out, last, margin = [], logits[-1], float("inf")
        for _ in range(n):
            top = torch.topk(last, 2)
            margin = min(margin, float(top.values[0] - top.values[1]))
            t = int(top.indices[0])
            out.append(t)
            if t in stop:
                break
            if len(out) < n:
                last = self.forward([t], cache, dca, scale_T=len(prompt) + len(out))[-1]
        return logits, out, margin


# ----------------------------------------------------------------------------------------------------------------
# config rewriting
# ----------------------------------------------------------------------------------------------------------------
def finalize_config(d, spec, eos):
    path = os.path.join(d, "config.json")
    cfg = read_json(path)
    cfg["eos_token_id"] = eos[0] if len(eos) == 1 else eos
    cfg["bos_token_id"] = None
    cfg["torch_dtype" if spec["layout"] == "4x" else "dtype"] = spec["dtype"]
    if spec["layout"] == "4x":
        rp = cfg.pop("rope_parameters", None) or {}
        cfg["rope_theta"] = float(rp.get("rope_theta", spec["rope_theta"]))
        cfg.pop("dtype", None)
        cfg.pop("layer_types", None)  # 4.x-era Qwen2 configs have no layer_types
        cfg["sliding_window"] = 32768  # like the real configs; unused because use_sliding_window is false
        cfg["use_sliding_window"] = False
    else:
        rp = cfg.get("rope_parameters")
        if not isinstance(rp, dict) or "rope_theta" not in rp:
            cfg["rope_parameters"] = {"rope_theta": float(spec["rope_theta"]), "rope_type": "default"}
        cfg.pop("rope_theta", None)
        cfg.pop("torch_dtype", None)
    if spec["dca"] is not None:
        cfg["dual_chunk_attention_config"] = dict(spec["dca"])
        cfg["max_position_embeddings"] = spec["max_pos"]
    # the architecture keys, explicitly (save_pretrained may leave out values equal to defaults)
    cfg.update({
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
        "vocab_size": spec["vocab"], "hidden_size": spec["hidden"], "intermediate_size": spec["inter"],
        "num_hidden_layers": spec["layers"], "num_attention_heads": spec["heads"],
        "num_key_value_heads": spec["kv_heads"], "rms_norm_eps": spec["eps"],
        "tie_word_embeddings": spec["tied"],
    })
    cfg.setdefault("max_position_embeddings", 32768)
    write_json(path, dict(sorted(cfg.items())))

    gen = {"bos_token_id": None, "eos_token_id": eos[0] if len(eos) == 1 else eos, "do_sample": False}
    try:
        import transformers
        gen["transformers_version"] = transformers.__version__
    except Exception:
        pass
    write_json(os.path.join(d, "generation_config.json"), gen)


def choose_eos(spec, used):
    free = [t for t in range(spec["vocab"] - 1, -1, -1) if t not in used]
    return free[:2] if spec["eos_list"] else free[:1]


# ----------------------------------------------------------------------------------------------------------------
# one fixture
# ----------------------------------------------------------------------------------------------------------------
def build(spec, out_root, device):
    from transformers import Qwen2ForCausalLM

    name = spec["name"]
    d = os.path.join(out_root, name)
    log(f"\n=== {name} ===")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)

    torch.manual_seed(spec["seed"])
    cfg = make_config(spec)
    model = Qwen2ForCausalLM(cfg)
    if spec["tied"]:
        try:
            model.tie_weights()
        except Exception:
            pass
        check(model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(),
              f"{name}: lm_head shares the embedding matrix")
    randomize_(model, spec)
    model = model.to(torch_dtype_of(spec["dtype"]))

    # ---- save in the storage dtype
    save_checkpoint(model, d, spec["shard_bytes"])
    stored = file_tensors(d)
    if spec["tied"] and "lm_head.weight" in stored:
        log("    lm_head.weight was written for a tied model; rewriting the checkpoint without it")
        stored.pop("lm_head.weight")
        manual_shard(d, stored, 1 << 40)  # one shard
        for f in glob.glob(os.path.join(d, "*.safetensors.index.json")):
            os.remove(f)
        os.rename(os.path.join(d, "model-00001-of-00001.safetensors"), os.path.join(d, "model.safetensors"))
        stored = file_tensors(d)
    if spec["shard_bytes"]:
        shards = glob.glob(os.path.join(d, "*.safetensors"))
        if len(shards) < 3 or not os.path.exists(os.path.join(d, "model.safetensors.index.json")):
            log(f"    save_pretrained wrote {len(shards)} shard(s); sharding by hand at {spec['shard_bytes']} bytes")
            manual_shard(d, stored, spec["shard_bytes"])
            stored = file_tensors(d)
        n_sh = len(glob.glob(os.path.join(d, "*.safetensors")))
        check(n_sh >= 3 and os.path.exists(os.path.join(d, "model.safetensors.index.json")),
              f"{name}: {n_sh} shards + model.safetensors.index.json")
        idx = read_json(os.path.join(d, "model.safetensors.index.json"))
        check(set(idx["weight_map"]) == set(stored), f"{name}: index weight_map covers every stored tensor")
    want_dtype = torch_dtype_of(spec["dtype"])
    check(all(t.dtype == want_dtype for t in stored.values()), f"{name}: every stored tensor is {spec['dtype']}")
    check(("lm_head.weight" in stored) != spec["tied"], f"{name}: lm_head.weight stored = {not spec['tied']}")
    check(all(f"model.layers.0.self_attn.{p}_proj.bias" in stored for p in "qkv"), f"{name}: q/k/v biases stored")

    finalize_config(d, spec, [spec["vocab"] - 1])  # real EOS chosen below, once the outputs are known
    del model

    # ---- reload the artifact in fp32 (eager) and compute references
    ref_model = load_fp32_model(d, make_config(spec)).to(device)
    fix_inv_freq_(ref_model, spec)
    sd = ref_model.state_dict()
    same = all(k in sd and torch.equal(sd[k].float().cpu(), v.float()) for k, v in stored.items())
    check(same, f"{name}: reloaded fp32 weights == stored {spec['dtype']} weights upcast")
    if spec["tied"]:
        check(torch.equal(ref_model.lm_head.weight.cpu(), ref_model.model.embed_tokens.weight.cpu()),
              f"{name}: reloaded lm_head == embedding")

    ref = Ref64(stored, spec)
    dca = spec["dca"]
    # Pick a prompt whose greedy continuations are not fragile (top1-top2 gap >= 1e-3 at every step), so that an
    # engine with ~1e-5 fp32 error reproduces them exactly. Usually the first prompt already qualifies.
    for attempt in range(12):
        g = torch.Generator().manual_seed(spec["seed"] + 7 + attempt)
        prompt = torch.randint(0, spec["vocab"], (spec["prompt_len"],), generator=g).tolist()
        greedy, margin = hf_greedy(ref_model, prompt, device, N_GREEDY)
        dca_out = ref.greedy(prompt, N_GREEDY, dca=dca) if dca is not None else None
        dca_margin = dca_out[2] if dca_out is not None else float("inf")
        if margin >= 1e-3 and dca_margin >= 1e-3:
            break
        log(f"    prompt attempt {attempt}: greedy margin {margin:.3g} / DCA margin {dca_margin:.3g} too small")
    logits = hf_logits(ref_model, prompt, device)
    assert logits.shape == (len(prompt), spec["vocab"]), logits.shape
    log(f"    logits std {float(logits.std()):.3f}, greedy min top1-top2 margin {margin:.4g}")
    check(margin >= 1e-3, f"{name}: greedy continuation is not fragile (min margin {margin:.3g} >= 1e-3)")

    # ---- independent float64 check
    l64, g64, _ = ref.greedy(prompt, N_GREEDY, dca=None)
    diff = float((l64 - logits.double()).abs().max())
    check(diff < 1e-3, f"{name}: transformers fp32 vs float64 reference, max |dlogit| = {diff:.3g}")
    check(g64 == greedy, f"{name}: float64 KV-cached greedy == transformers greedy")
    used = set(prompt) | set(greedy)

    result = {
        "prompt_ids": prompt,
        "greedy_ids": greedy,
        "eos_token_id": None,
        "note": spec["note"] + f" greedy_ids: {N_GREEDY} argmax tokens after prompt_ids, computed with full fp32 "
                "forward passes (no KV cache); EOS never stops it (the EOS ids were chosen among tokens that "
                "appear in neither prompt_ids nor any greedy_ids). logits.npy: float32 [len(prompt_ids), vocab], "
                "transformers eager attention in fp32 from the stored weights upcast to fp32.",
        "logits_file": "logits.npy",
        "logits_shape": list(logits.shape),
        "weights_dtype": spec["dtype"],
        "config_layout": "transformers-4.x (rope_theta, torch_dtype)" if spec["layout"] == "4x"
        else "transformers-5.x (rope_parameters, dtype)",
        "greedy_min_top2_margin": margin,
        "check_max_abs_diff_vs_float64": diff,
    }
    np.save(os.path.join(d, "logits.npy"), logits.numpy().astype(np.float32))

    # ---- DCA reference (own implementation)
    if dca is not None:
        L = dca["chunk_size"] - dca["local_size"]
        ldca, gdca, mdca = dca_out
        # sanity: a sequence of at most L tokens under DCA is exactly plain RoPE
        short = prompt[:L]
        a = ref.forward(short, ref.new_cache(), dca, scale_T=len(short))
        b_ = ref.forward(short, ref.new_cache(), None)
        check(float((a - b_).abs().max()) < 1e-9, f"{name}: DCA == plain RoPE for a prompt of L={L} tokens")
        # chunked prefill (pieces of 100 tokens, same s_f(T)) must give the same logits
        cache = ref.new_cache()
        pieces = [ref.forward(prompt[s:s + 100], cache, dca, scale_T=len(prompt)) for s in range(0, len(prompt), 100)]
        cdiff = float((torch.cat(pieces, 0) - ldca).abs().max())
        check(cdiff < 1e-9, f"{name}: DCA chunked prefill (pieces of 100) == one-shot prefill ({cdiff:.2g})")
        pdiff = float((ldca - l64).abs().max())
        log(f"    DCA vs plain RoPE logits differ by up to {pdiff:.3g} (expected: clearly > 0)")
        check(pdiff > 1e-2, f"{name}: DCA logits differ from plain RoPE logits")
        check(mdca >= 1e-3, f"{name}: DCA greedy continuation is not fragile (min margin {mdca:.3g} >= 1e-3)")
        sf = Ref64.dca_scale(len(prompt), dca["original_max_position_embeddings"])
        np.save(os.path.join(d, "logits_dca.npy"), ldca.float().numpy().astype(np.float32))
        result["dca"] = {
            "chunk_size": dca["chunk_size"], "local_size": dca["local_size"],
            "original_max_position_embeddings": dca["original_max_position_embeddings"],
            "chunk_len_L": L,
            "prefill_scale_sf": sf,
            "logits_file": "logits_dca.npy",
            "greedy_ids": gdca,
            "greedy_min_top2_margin": mdca,
            "note": "Computed by tools/make_fixtures.py (class Ref64, float64, then stored as float32) from "
                    "ALGORITHMS.md section 1, NOT by transformers. Prefill of the whole prompt: keys rotated at "
                    "p mod L, q_intra at i, q_succ at min(L+i, c), q_inter at min(2L-1, c), one softmax over the "
                    "union of the parts, logits multiplied by s_f(T)^2 with T = len(prompt_ids) for every prompt "
                    "query. greedy_ids: KV-cached decode; the step that decodes the token at position p uses "
                    "s_f(p+1); cached K/V are never recomputed. Chunked prefill gives the same logits.",
        }
        used |= set(gdca)

    eos = choose_eos(spec, used)
    result["eos_token_id"] = eos[0] if len(eos) == 1 else eos
    finalize_config(d, spec, eos)
    write_json_compact(os.path.join(d, "reference.json"), result)

    n_params = sum(t.numel() for t in stored.values())
    files = sorted(os.listdir(d))
    for f in files:
        os.chmod(os.path.join(d, f), 0o644)  # save_pretrained may create 0600 files
    size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
    check(size < 2 * 1000 * 1000, f"{name}: directory size {size} bytes < 2 MB")
    return dict(name=name, params=n_params, files=len(files), bytes=size, T=len(prompt), vocab=spec["vocab"],
                dtype=spec["dtype"], margin=margin, diff=diff)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (one sub-directory per fixture)")
    ap.add_argument("--device", default="cpu", help="cpu (default, exact fp32) or cuda")
    ap.add_argument("--only", default="", help="comma-separated fixture names")
    args = ap.parse_args()

    try:
        torch.set_float32_matmul_precision("highest")  # no TF32 if --device cuda (the default is CPU anyway)
    except Exception:
        pass
    try:
        import transformers
        log(f"torch {torch.__version__}, transformers {transformers.__version__}, numpy {np.__version__}")
    except Exception as e:
        log(f"cannot import transformers: {e!r}")
        raise
    device = args.device if (args.device == "cpu" or torch.cuda.is_available()) else "cpu"
    os.makedirs(args.out, exist_ok=True)

    only = {s for s in args.only.split(",") if s}
    rows = []
    t0 = time.time()
    for spec in FIXTURES:
        if only and spec["name"] not in only:
            continue
        try:
            rows.append(build(spec, args.out, device))
        except Exception as e:  # keep going: the other fixtures are still useful
            import traceback
            traceback.print_exc()
            FAILURES.append(f"{spec['name']}: exception {e!r}")

    log("\n%-8s %9s %6s %10s %6s %6s %-9s %10s %10s" %
        ("fixture", "params", "files", "bytes", "T", "vocab", "dtype", "margin", "d(fp64)"))
    for r in rows:
        log("%-8s %9d %6d %10d %6d %6d %-9s %10.3g %10.2g" %
            (r["name"], r["params"], r["files"], r["bytes"], r["T"], r["vocab"], r["dtype"], r["margin"], r["diff"]))
    log(f"\nwrote {len(rows)} fixture(s) under {os.path.abspath(args.out)} in {time.time() - t0:.1f}s")
    if FAILURES:
        log("\n!!! CHECKS FAILED:")
        for f in FAILURES:
            log("  - " + f)
        sys.exit(1)
    log("all checks passed")


if __name__ == "__main__":
    main()
