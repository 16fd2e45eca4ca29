#!/usr/bin/env python3
"""Train longctx's default model: a small Qwen2ForCausalLM that does long-context retrieval in ChatML.

Usage:  python3 tools/train_default_model.py --out DIR [--minutes 7] [--train-len 512] [--steps N]

1. Trains a byte-level BPE tokenizer (Qwen2-style pre-tokenizer: digits are single tokens) on task text.
2. Trains the model from scratch at --train-len tokens on passkey / key-value / multi-needle / variable-tracking
   examples (tools/longctx_tasks.py) embedded in filler text, every example a ChatML conversation; the loss is on
   the assistant answer (+ <|im_end|>) with a small weight (--lm-weight) on the other tokens.
3. Saves an HF checkpoint (bf16 safetensors, config.json with dual_chunk_attention_config, tokenizer files,
   train.log, training_command.txt, eval_results.json) and evaluates passkey retrieval from the saved files:
   plain RoPE (transformers) at 1x/2x/4x the training length and DCA (the float64/float32 reference of
   tools/make_fixtures.py, ALGORITHMS.md §1) at 1x/2x/4x/8x.
"""
import argparse
import json
import math
import os
import random
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # data workers are forked; each encodes alone
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import longctx_tasks as T  # noqa: E402

# Qwen2's pre-tokenization regex (contractions, letters with one leading non-letter, single digits, punctuation,
# newlines, spaces) followed by a byte-level mapping without its own regex: the same pipeline as the Qwen2.5
# tokenizer.json, so the engine's tokenizer runs this model unchanged.
QWEN2_PRETOKENIZE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                     r"|\s*[\r\n]+|\s+(?!\S)|\s+")

LOG_FILE = None


def log(msg):
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if LOG_FILE is not None:
        with open(LOG_FILE, "a") as f:
            f.write(line + "\n")


# ----------------------------------------------------------------------------------------------------------------
# tokenizer
# ----------------------------------------------------------------------------------------------------------------
def train_tokenizer(out_dir, vocab_size, model_max_length):
    from tokenizers import Tokenizer, Regex, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    try:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    except Exception:
        pass
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  special_tokens=list(T.SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(T.corpus_for_tokenizer(), trainer=trainer)
    tok.add_special_tokens(list(T.SPECIAL_TOKENS))  # (already in the vocab; marks them special)
    path = os.path.join(out_dir, "tokenizer.json")
    tok.save(path)

    ids = {t: tok.token_to_id(t) for t in T.SPECIAL_TOKENS}
    assert all(v is not None for v in ids.values()), ids
    # sanity: special tokens are single ids, digits are single tokens, decoding round-trips
    probe = T.chat_prompt("The pass key is 73915. Remember it.") + "The pass key is 73915." + T.IM_END
    enc = tok.encode(probe)
    assert enc.ids.count(ids[T.IM_START]) == 3 and enc.ids.count(ids[T.IM_END]) == 3, enc.tokens
    assert tok.decode(enc.ids, skip_special_tokens=False) == probe, tok.decode(enc.ids, skip_special_tokens=False)
    digits = [tok.token_to_id(str(d)) for d in range(10)]
    assert all(x is not None for x in digits), digits
    assert tok.encode("73915").ids == [digits[7], digits[3], digits[9], digits[1], digits[5]], tok.encode("73915").tokens

    added = {str(ids[t]): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                           "single_word": False, "special": True} for t in T.SPECIAL_TOKENS}
    tcfg = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": [T.IM_START, T.IM_END],
        "bos_token": None,
        "chat_template": T.CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": T.IM_END,
        "errors": "replace",
        "model_max_length": model_max_length,
        "pad_token": T.EOT,
        "split_special_tokens": False,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": None,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tcfg, f, indent=2)
        f.write("\n")
    log(f"tokenizer: {tok.get_vocab_size()} tokens, special ids {ids}; probe = {len(enc.ids)} tokens")
    return path, tok, ids


# ----------------------------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------------------------
class Encoder:
    """Task example -> (ids, answer mask) with the exact tokenization inference sees."""

    def __init__(self, tok):
        self.tok = tok
        self.cache = {}

    def ntok(self, text):
        n = self.cache.get(text)
        if n is None:
            n = len(self.tok.encode(text).ids)
            if len(self.cache) < 100000:
                self.cache[text] = n
        return n

    def build(self, rng, task, n_tokens, max_len, classic=None):
        """Returns (ids, answer_start) with len(ids) <= max_len; tokens from answer_start on are the target."""
        for attempt in range(8):
            if attempt == 6:
                task = "passkey"  # the shortest task, if the chosen one cannot fit at all
            content, answer, _ = T.make_example(rng, task, n_tokens, self.ntok, classic)
            p = self.tok.encode(T.chat_prompt(content)).ids
            a = self.tok.encode(T.answer_target(answer)).ids
            if len(p) + len(a) <= max_len:
                return p + a, len(p)
            n_tokens -= (len(p) + len(a) - max_len) + 4
        raise RuntimeError(f"could not fit a {task} example in {max_len} tokens")


class TaskStream(torch.utils.data.IterableDataset):
    """Endless batches. Each batch has one length bucket Lc (multiple of train_len/4); example lengths are
    uniform in (Lc - train_len/4, Lc] (at least 64), so over all batches lengths are ~uniform in [64, train_len]
    and depths are uniform: the model must retrieve by content, not position."""

    def __init__(self, tok_path, train_len, batch_tokens, pad_id, seed):
        self.tok_path, self.train_len, self.batch_tokens, self.pad_id, self.seed = \
            tok_path, train_len, batch_tokens, pad_id, seed

    def __iter__(self):
        from tokenizers import Tokenizer
        info = torch.utils.data.get_worker_info()
        wid = info.id if info is not None else 0
        rng = random.Random(self.seed * 1000 + wid)
        enc = Encoder(Tokenizer.from_file(self.tok_path))
        q = self.train_len // 4
        while True:
            lc = max(128, q * rng.randint(1, 4))
            b = max(1, self.batch_tokens // lc)
            x = torch.full((b, lc), self.pad_id, dtype=torch.long)
            ans = torch.zeros((b, lc), dtype=torch.bool)
            valid = torch.zeros((b, lc), dtype=torch.bool)
            for r in range(b):
                n = rng.randint(max(64, lc - q + 1), lc)
                ids, a0 = enc.build(rng, T.sample_task(rng), n, lc)
                x[r, :len(ids)] = torch.tensor(ids)
                ans[r, a0:len(ids)] = True
                valid[r, :len(ids)] = True
            yield x, ans, valid


def fixed_eval_sets(tok, train_len, pad_id, n=64, seed=12345):
    """Per task: n examples with lengths uniform in [64, train_len], padded to train_len."""
    enc = Encoder(tok)
    sets = {}
    for task in T.TASKS:
        rng = random.Random(seed + 1000 * T.TASKS.index(task))
        x = torch.full((n, train_len), pad_id, dtype=torch.long)
        ans = torch.zeros((n, train_len), dtype=torch.bool)
        for r in range(n):
            ids, a0 = enc.build(rng, task, rng.randint(64, train_len), train_len)
            x[r, :len(ids)] = torch.tensor(ids)
            ans[r, a0:len(ids)] = True
        sets[task] = (x, ans)
    return sets


# ----------------------------------------------------------------------------------------------------------------
# model / loss
# ----------------------------------------------------------------------------------------------------------------
def build_model(args, vocab):
    from transformers import Qwen2Config, Qwen2ForCausalLM
    kw = dict(vocab_size=vocab, hidden_size=args.hidden, intermediate_size=args.inter,
              num_hidden_layers=args.layers, num_attention_heads=args.heads, num_key_value_heads=args.kv_heads,
              hidden_act="silu", max_position_embeddings=args.train_len, rms_norm_eps=1e-6,
              tie_word_embeddings=True, use_sliding_window=False, attention_dropout=0.0,
              initializer_range=0.02, attn_implementation="sdpa")
    try:
        cfg = Qwen2Config(**kw, rope_parameters={"rope_type": "default", "rope_theta": float(args.rope_theta)})
    except Exception:
        cfg = Qwen2Config(**kw, rope_theta=float(args.rope_theta))
    rp = getattr(cfg, "rope_parameters", None)
    if isinstance(rp, dict):
        rp["rope_theta"] = float(args.rope_theta)
    else:
        cfg.rope_theta = float(args.rope_theta)
    try:
        cfg._attn_implementation = "sdpa"
    except Exception:
        pass
    torch.manual_seed(args.seed)
    model = Qwen2ForCausalLM(cfg)
    try:
        model.tie_weights()
    except Exception:
        pass
    return model


def answer_loss(model, x, ans, valid, lm_weight):
    """Mean CE over answer tokens + lm_weight * mean CE over the other real tokens (next-token targets)."""
    h = model.model(input_ids=x, use_cache=False).last_hidden_state
    logits = model.lm_head(h[:, :-1]).float()
    tgt = x[:, 1:]
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="none").view_as(tgt)
    a = ans[:, 1:]
    o = valid[:, 1:] & ~a
    la = (ce * a).sum() / a.sum().clamp(min=1)
    lo = (ce * o).sum() / o.sum().clamp(min=1)
    return la + lm_weight * lo, la.detach(), lo.detach()


@torch.no_grad()
def teacher_forced_accuracy(model, x, ans, device, bs=32):
    """Share of examples whose every answer token (incl. <|im_end|>) is the argmax: equals greedy exact match."""
    model.eval()
    ok = 0
    for s in range(0, x.shape[0], bs):
        xb, ab = x[s:s + bs].to(device), ans[s:s + bs].to(device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            h = model.model(input_ids=xb, use_cache=False).last_hidden_state
            pred = model.lm_head(h[:, :-1]).argmax(-1)
        hit = (pred == xb[:, 1:]) | ~ab[:, 1:]
        ok += int(hit.all(dim=1).sum())
    model.train()
    return ok / x.shape[0]


# ----------------------------------------------------------------------------------------------------------------
# export + final evaluation
# ----------------------------------------------------------------------------------------------------------------
def export(model, args, ids, out):
    m = model.to(torch.bfloat16)
    m.save_pretrained(out)
    path = os.path.join(out, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    rp = cfg.pop("rope_parameters", None) or {}
    cfg["rope_theta"] = float(rp.get("rope_theta", args.rope_theta))  # transformers-4.x layout, like Qwen2.5-1M
    cfg.pop("dtype", None)
    cfg.pop("layer_types", None)
    cfg["torch_dtype"] = "bfloat16"
    cfg["sliding_window"] = args.max_pos
    cfg["use_sliding_window"] = False
    cfg["max_window_layers"] = args.layers
    cfg["tie_word_embeddings"] = True
    cfg["bos_token_id"] = ids[T.EOT]
    cfg["eos_token_id"] = ids[T.IM_END]
    cfg["pad_token_id"] = ids[T.EOT]
    cfg["max_position_embeddings"] = args.max_pos
    cfg["dual_chunk_attention_config"] = {"chunk_size": args.train_len, "local_size": args.train_len // 8,
                                          "original_max_position_embeddings": args.train_len}
    cfg["architectures"] = ["Qwen2ForCausalLM"]
    cfg["model_type"] = "qwen2"
    cfg["_note"] = (f"trained at {args.train_len} tokens (tools/train_default_model.py); max_position_embeddings is "
                    f"the serving limit, reached with Dual Chunk Attention (plain RoPE fails beyond "
                    f"{args.train_len})")
    with open(path, "w") as f:
        json.dump(dict(sorted(cfg.items())), f, indent=2)
        f.write("\n")
    gen = {"bos_token_id": ids[T.EOT], "eos_token_id": [ids[T.IM_END], ids[T.EOT]], "pad_token_id": ids[T.EOT],
           "do_sample": False}
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")
    for fn in os.listdir(out):
        os.chmod(os.path.join(out, fn), 0o644)


def passkey_cases(args, tok, mult, n):
    """The same cases as `python3 tools/longctx_tasks.py --tokenizer ... --lengths <train_len * mult>`."""
    enc = Encoder(tok)
    return [(tok.encode(T.chat_prompt(content)).ids, key, answer)
            for content, answer, key, _ in T.passkey_eval_cases(int(args.train_len * mult), n, enc.ntok)]


def final_eval(args, tok, ids, out, device):
    from transformers import Qwen2ForCausalLM
    results = {"train_len": args.train_len}
    stop = {ids[T.IM_END], ids[T.EOT]}
    try:
        model = Qwen2ForCausalLM.from_pretrained(out, dtype=torch.float32, attn_implementation="sdpa")
    except TypeError:
        model = Qwen2ForCausalLM.from_pretrained(out, torch_dtype=torch.float32, attn_implementation="sdpa")
    model = model.float().to(device).eval()

    @torch.no_grad()
    def hf_generate(prompt):
        x = torch.tensor([prompt], device=device)
        try:
            y = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=args.eval_new_tokens,
                               do_sample=False, eos_token_id=sorted(stop), pad_token_id=ids[T.EOT])
            return y[0, len(prompt):].tolist()
        except Exception as e:  # no-cache argmax loop
            log(f"  generate() failed ({e!r}); argmax loop")
            seq, outt = list(prompt), []
            for _ in range(args.eval_new_tokens):
                t = int(model(input_ids=torch.tensor([seq], device=device)).logits[0, -1].argmax())
                outt.append(t)
                seq.append(t)
                if t in stop:
                    break
            return outt

    def score(name, mults, gen_fn):
        res = {}
        for m in mults:
            cases = passkey_cases(args, tok, m, args.eval_samples)
            hit = exact = 0
            t0 = time.time()
            sample = None
            for prompt, key, answer in cases:
                out_ids = gen_fn(prompt)
                text = tok.decode([t for t in out_ids if t not in stop], skip_special_tokens=True)
                hit += key in text
                exact += text.strip() == answer
                sample = sample or (len(prompt), text)
            res[f"{m}x"] = {"prompt_tokens": len(cases[0][0]), "contains": hit / len(cases),
                            "exact": exact / len(cases)}
            log(f"  {name:<10} {m}x train_len (~{len(cases[0][0])} tokens): passkey {hit}/{len(cases)} "
                f"(exact {exact}/{len(cases)}), e.g. {sample[1]!r}  [{time.time() - t0:.1f}s]")
        return res

    log("final passkey eval from the saved checkpoint (bf16 weights upcast to fp32), depths spread over [0, 1]:")
    results["plain_rope"] = score("plain RoPE", args.plain_mults, hf_generate)

    try:
        import make_fixtures as MF
        from safetensors.torch import load_file
        import glob
        tensors = {}
        for fn in sorted(glob.glob(os.path.join(out, "*.safetensors"))):
            tensors.update(load_file(fn))
        spec = dict(heads=args.heads, kv_heads=args.kv_heads, hidden=args.hidden, layers=args.layers,
                    rope_theta=args.rope_theta, eps=1e-6, tied="lm_head.weight" not in tensors)
        dtype = torch.float64 if device.type == "cpu" else torch.float32
        ref = MF.Ref64(tensors, spec, device=device, dtype=dtype)
        dca = {"chunk_size": args.train_len, "local_size": args.train_len // 8,
               "original_max_position_embeddings": args.train_len}
        results["dca"] = score("DCA", args.dca_mults,
                               lambda p: ref.greedy(p, args.eval_new_tokens, dca=dca, stop=stop)[1])
    except Exception as e:
        import traceback
        traceback.print_exc()
        log(f"  DCA eval failed: {e!r}")
    with open(os.path.join(out, "eval_results.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    return results


# ----------------------------------------------------------------------------------------------------------------
def main():
    global LOG_FILE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=7.0, help="wall-clock budget of the training loop")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: time budget only)")
    ap.add_argument("--train-len", type=int, default=512)
    ap.add_argument("--batch-tokens", type=int, default=32768, help="tokens per batch (incl. padding)")
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--inter", type=int, default=896)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--vocab", type=int, default=2048, help="BPE vocab size (upper bound)")
    ap.add_argument("--max-pos", type=int, default=1010000, help="max_position_embeddings written to config.json")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--lm-weight", type=float, default=0.1, help="loss weight of non-answer tokens")
    ap.add_argument("--workers", type=int, default=-1, help="data workers (-1: cpu_count - 2, at most 14)")
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--eval-samples", type=int, default=20)
    ap.add_argument("--eval-new-tokens", type=int, default=24)
    ap.add_argument("--plain-mults", default="1,2,4", help="final eval lengths (x train_len), plain RoPE")
    ap.add_argument("--dca-mults", default="1,2,4,8", help="final eval lengths (x train_len), DCA reference")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (falls back if it fails)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    args.plain_mults = [float(m) if "." in m else int(m) for m in args.plain_mults.split(",") if m]
    args.dca_mults = [float(m) if "." in m else int(m) for m in args.dca_mults.split(",") if m]

    os.makedirs(args.out, exist_ok=True)
    LOG_FILE = os.path.join(args.out, "train.log")
    open(LOG_FILE, "w").close()
    with open(os.path.join(args.out, "training_command.txt"), "w") as f:
        f.write(" ".join([os.path.basename(sys.executable)] + sys.argv) + "\n")
        f.write(json.dumps(vars(args), indent=2) + "\n")
    import transformers
    import tokenizers
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, tokenizers {tokenizers.__version__}")
    log(f"args: {vars(args)}")
    t_start = time.time()
    random.seed(args.seed)
    device = torch.device(args.device)
    if device.type == "cuda":
        try:
            torch.set_float32_matmul_precision("high")  # TF32 for the fp32 parts
        except Exception:
            pass

    # 1. tokenizer
    tok_path, tok, ids = train_tokenizer(args.out, args.vocab, args.max_pos)
    vocab = int(math.ceil(tok.get_vocab_size() / 64) * 64)  # padded like Qwen (embedding rows > tokens)
    pad_id = ids[T.EOT]

    # 2. model
    model = build_model(args, vocab).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params / 1e6:.2f}M params (tied), vocab {vocab}, hidden {args.hidden}, layers {args.layers}, "
        f"heads {args.heads}/{args.kv_heads}, head_dim {args.hidden // args.heads}, inter {args.inter}")
    if args.compile:
        try:
            model.model = torch.compile(model.model)
            xt = torch.full((2, args.train_len), pad_id, dtype=torch.long, device=device)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                lt, _, _ = answer_loss(model, xt, xt > -1, xt > -1, args.lm_weight)
            lt.backward()  # compile now, so that a failure falls back to eager here and not mid-run
            model.zero_grad(set_to_none=True)
            log("torch.compile on")
        except Exception as e:
            if hasattr(model.model, "_orig_mod"):
                model.model = model.model._orig_mod
            model.zero_grad(set_to_none=True)
            log(f"torch.compile failed: {e!r}; eager")

    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        (decay if p.dim() >= 2 and "embed" not in n_ else no_decay).append(p)
    opt_kw = dict(lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    groups = [{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}]
    try:
        opt = torch.optim.AdamW(groups, fused=device.type == "cuda", **opt_kw)
    except Exception:
        opt = torch.optim.AdamW(groups, **opt_kw)

    workers = args.workers if args.workers >= 0 else max(1, min(14, (os.cpu_count() or 4) - 2))
    stream = TaskStream(tok_path, args.train_len, args.batch_tokens, pad_id, args.seed)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=workers,
                                         pin_memory=device.type == "cuda",
                                         prefetch_factor=4 if workers > 0 else None,
                                         persistent_workers=workers > 0)
    eval_sets = fixed_eval_sets(tok, args.train_len, pad_id)
    log(f"data: {workers} workers, {args.batch_tokens} tokens/batch, lengths 64..{args.train_len}; "
        f"setup took {time.time() - t_start:.1f}s")

    # 3. train
    budget = args.minutes * 60.0
    t0 = time.time()
    step, tokens, real_tokens = 0, 0, 0
    acc_la = acc_lo = real = torch.zeros((), device=device)
    acc_n = 0
    model.train()
    data_iter = iter(loader)
    for x, ans, valid in data_iter:
        elapsed = time.time() - t0
        progress = step / args.steps if args.steps else elapsed / budget
        if progress >= 1.0 or elapsed >= budget:  # --steps or the wall-clock budget, whichever comes first
            break
        lr_scale = min(1.0, (step + 1) / args.warmup)
        lr_scale *= args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        for g in opt.param_groups:
            g["lr"] = args.lr * lr_scale
        x = x.to(device, non_blocking=True)
        ans = ans.to(device, non_blocking=True)
        valid = valid.to(device, non_blocking=True)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss, la, lo = answer_loss(model, x, ans, valid, args.lm_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += x.numel()
        real = real + valid.sum()
        acc_la = acc_la + la
        acc_lo = acc_lo + lo
        acc_n += 1
        if step % args.log_every == 0 or step == 1:
            el = time.time() - t0
            real_tokens = int(real)
            log(f"step {step:5d}  t {el:6.1f}s  lr {args.lr * lr_scale:.2e}  answer_loss {float(acc_la) / acc_n:.4f}  "
                f"lm_loss {float(acc_lo) / acc_n:.4f}  gnorm {float(gn):.2f}  tok/s {tokens / max(el, 1e-9):,.0f} "
                f"(real {real_tokens / max(el, 1e-9):,.0f})  batch {tuple(x.shape)}")
            acc_la = acc_lo = torch.zeros((), device=device)
            acc_n = 0
        if step % args.eval_every == 0:
            accs = {k: teacher_forced_accuracy(model, *v, device) for k, v in eval_sets.items()}
            log(f"eval step {step}: exact-match (greedy == answer) " +
                "  ".join(f"{k} {v:.2f}" for k, v in accs.items()))
    train_s = time.time() - t0
    real_tokens = int(real)
    accs = {k: teacher_forced_accuracy(model, *v, device) for k, v in eval_sets.items()}
    log(f"trained {step} steps, {tokens / 1e6:.1f}M tokens ({real_tokens / 1e6:.1f}M real) in {train_s:.0f}s; "
        f"final exact-match at <= {args.train_len} tokens: " + "  ".join(f"{k} {v:.2f}" for k, v in accs.items()))
    try:
        data_iter._shutdown_workers()  # free the CPUs for the evaluation
    except Exception:
        pass
    del data_iter, loader

    # 4. export + evaluation of the saved artifact
    if hasattr(model.model, "_orig_mod"):  # undo torch.compile before saving
        model.model = model.model._orig_mod
    export(model, args, ids, args.out)
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    log(f"saved to {args.out}: {sorted(os.listdir(args.out))} ({size / 1e6:.1f} MB)")
    res = final_eval(args, tok, ids, args.out, device)
    res["in_distribution_exact_match"] = accs
    with open(os.path.join(args.out, "eval_results.json"), "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    log(f"done in {time.time() - t_start:.0f}s total")


if __name__ == "__main__":
    main()
