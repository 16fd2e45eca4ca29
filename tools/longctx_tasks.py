"""Synthetic long-context tasks (passkey, key-value, multi-needle, variable tracking) in ChatML format.

Shared by tools/train_default_model.py (training data + evaluation) and documented in tools/README.md so that the
Java `eval` CLI can build the very same passkey prompts.

Pure Python (no torch). Token budgets use a caller-supplied `ntok(text) -> int` (exact: the tokenizer; rough:
`rough_ntok`). Every example is (user_content, answer):
  prompt  = chat_prompt(user_content)            # system + user turn + "<|im_start|>assistant\\n"
  target  = answer + "<|im_end|>"                # what the model must generate
"""
import random

SYSTEM = "You are a helpful assistant."
IM_START, IM_END, EOT = "<|im_start|>", "<|im_end|>", "<|endoftext|>"
SPECIAL_TOKENS = [EOT, IM_START, IM_END]

# The chat template (ChatML). Only `+`, for/if and subscripts: renders the same in Jinja2 and Jinjava. Like
# Qwen2.5's, it adds the default system turn when the conversation has none, so a bare user question looks
# exactly like the training data.
CHAT_TEMPLATE = (
    "{% if messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\n' + '" + SYSTEM + "' + '<|im_end|>\n' }}"
    "{% endif %}"
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# The classic passkey filler, cycled in this order (the Java eval uses exactly this).
FILLER_CLASSIC = [
    "The grass is green.",
    "The sky is blue.",
    "The sun is yellow.",
    "Here we go.",
    "There and back again.",
]

FILLER_VARIED = FILLER_CLASSIC + [
    "The river flows to the sea.",
    "A small bird sings in the tree.",
    "The road is long and quiet.",
    "Clouds drift over the hills.",
    "The night is calm and dark.",
    "Leaves fall in the autumn wind.",
    "The old clock ticks on the wall.",
    "Snow covers the distant mountains.",
    "The cat sleeps by the window.",
    "Rain taps softly on the roof.",
    "The market opens early in the morning.",
    "A boat rests on the lake.",
    "The library is full of books.",
    "Children play in the park.",
    "The train leaves at noon.",
    "Bread is baking in the oven.",
    "The moon rises over the town.",
    "A gentle breeze moves the grass.",
    "The lamp glows in the hallway.",
    "Stars shine above the desert.",
    "The garden has red roses.",
    "Waves roll onto the sandy beach.",
    "The bridge crosses the wide river.",
    "A fox runs through the forest.",
    "The kettle whistles in the kitchen.",
]

WORDS = [
    "apple", "banana", "cherry", "grape", "lemon", "mango", "orange", "peach", "pear", "plum",
    "tiger", "lion", "zebra", "horse", "eagle", "falcon", "dolphin", "whale", "rabbit", "wolf",
    "red", "blue", "green", "yellow", "purple", "silver", "golden", "violet", "crimson", "amber",
    "river", "mountain", "forest", "desert", "island", "valley", "ocean", "meadow", "canyon", "glacier",
]

TASKS = ("passkey", "kv", "multi", "vartrack")
TASK_WEIGHTS = (0.4, 0.2, 0.2, 0.2)

PASSKEY_QUESTION = "What is the pass key?"


def passkey_needle(n):
    return f"The pass key is {n}. Remember it. {n} is the pass key."


def passkey_answer(n):
    return f"The pass key is {n}."


def chat_prompt(user_content, system=SYSTEM):
    """The template rendered for [system, user] with add_generation_prompt=True."""
    return (f"{IM_START}system\n{system}{IM_END}\n"
            f"{IM_START}user\n{user_content}{IM_END}\n"
            f"{IM_START}assistant\n")


def answer_target(answer):
    return answer + IM_END


def rough_ntok(text):
    return max(1, len(text) // 4)


def _number(rng, lo_digits, hi_digits):
    d = rng.randint(lo_digits, hi_digits)
    return str(rng.randint(10 ** (d - 1), 10 ** d - 1))


def _haystack(rng, budget, ntok, classic, needles, keep_order, fixed_depth=None):
    """Filler sentences totalling ~budget tokens with the needles inserted between sentences.

    classic: cycle FILLER_CLASSIC from its start; else random sentences from FILLER_VARIED.
    fixed_depth (one needle only): insert before filler sentence round(depth * n_filler).
    """
    filler, used, i = [], 0, 0
    while True:
        s = FILLER_CLASSIC[i % len(FILLER_CLASSIC)] if classic else rng.choice(FILLER_VARIED)
        c = ntok(" " + s)
        if used + c > budget:
            break
        filler.append(s)
        used += c
        i += 1
    n = len(filler)
    if fixed_depth is not None:
        slots = [int(round(fixed_depth * n))]
    else:
        slots = [rng.randint(0, n) for _ in needles]  # depth uniform over sentence boundaries
        if keep_order:
            slots.sort()
    # insert from the back so earlier slots stay valid; equal slots keep the needles' order
    order = sorted(range(len(needles)), key=lambda k: (slots[k], k), reverse=True)
    sentences = list(filler)
    for k in order:
        sentences.insert(slots[k], needles[k])
    return " ".join(sentences)


def _overhead(ntok, question, answer, needles):
    return (ntok(chat_prompt("")) + ntok("\n" + question) + ntok(answer_target(answer)) +
            sum(ntok(" " + x) for x in needles) + 2)


def make_example(rng, task, n_tokens, ntok=rough_ntok, classic=None):
    """One example of about n_tokens tokens (prompt + answer). Returns (user_content, answer, info)."""
    if classic is None:
        classic = rng.random() < 0.5
    keep_order = False
    if task == "passkey":
        n = _number(rng, 4, 7)
        needles = [passkey_needle(n)]
        question, answer = PASSKEY_QUESTION, passkey_answer(n)
        info = {"value": n}
    elif task == "kv":
        k = rng.randint(2, max(2, min(16, (n_tokens - 64) // 16)))  # fewer pairs in short examples
        keys = rng.sample(range(1000, 10000), k)
        vals = [_number(rng, 4, 6) for _ in keys]
        needles = [f"key-{a}: value-{b}." for a, b in zip(keys, vals)]
        j = rng.randrange(k)
        question = f"What is the value of key-{keys[j]}?"
        answer = f"The value of key-{keys[j]} is value-{vals[j]}."
        info = {"value": vals[j]}
    elif task == "multi":
        k = rng.randint(2, max(2, min(12, (n_tokens - 64) // 16)))
        words = rng.sample(WORDS, k)
        nums = [_number(rng, 4, 7) for _ in words]
        needles = [f"The special magic number for {w} is {x}." for w, x in zip(words, nums)]
        j = rng.randrange(k)
        question = f"What is the special magic number for {words[j]}?"
        answer = f"The special magic number for {words[j]} is {nums[j]}."
        info = {"value": nums[j]}
    elif task == "vartrack":
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        names = set()
        while len(names) < 10:
            names.add("".join(rng.choice(letters) for _ in range(rng.randint(1, 3))))
        names = list(names)
        rng.shuffle(names)
        chains = []
        for c in range(2):  # the asked chain and one distractor chain
            length = rng.randint(2, 4 if n_tokens >= 160 else 2)
            chain, names = names[:length], names[length:]
            chains.append((chain, _number(rng, 4, 6)))
        stmts = []
        for chain, value in chains:
            s = [f"VAR {chain[0]} = {value}."] + [f"VAR {chain[t]} = VAR {chain[t - 1]}." for t in range(1, len(chain))]
            stmts.append(s)
        # interleave the two chains, keeping each chain's order
        needles, a, b = [], 0, 0
        while a < len(stmts[0]) or b < len(stmts[1]):
            if b >= len(stmts[1]) or (a < len(stmts[0]) and rng.random() < 0.5):
                needles.append(stmts[0][a]); a += 1
            else:
                needles.append(stmts[1][b]); b += 1
        keep_order = True
        chain, value = chains[0]
        question = f"Which value does VAR {chain[-1]} hold?"
        answer = f"VAR {chain[-1]} holds {value}."
        info = {"value": value}
    else:
        raise ValueError(task)
    budget = n_tokens - _overhead(ntok, question, answer, needles)
    haystack = _haystack(rng, budget, ntok, classic, needles, keep_order)
    info["task"] = task
    return haystack + "\n" + question, answer, info


def passkey_eval_example(n_tokens, depth, passkey, ntok=rough_ntok):
    """The evaluation passkey prompt (mirrored by the Java eval): classic filler, needle at `depth` in [0, 1].

    Returns (user_content, expected_answer). Score: the generated text contains str(passkey).
    """
    n = str(passkey)
    question, answer = PASSKEY_QUESTION, passkey_answer(n)
    needles = [passkey_needle(n)]
    budget = n_tokens - _overhead(ntok, question, answer, needles)
    haystack = _haystack(random.Random(0), budget, ntok, True, needles, False, fixed_depth=depth)
    return haystack + "\n" + question, answer


def passkey_eval_cases(n_tokens, samples, ntok=rough_ntok, seed=777):
    """The standard eval set at one length: depths (k + 0.5) / samples, 5-digit keys from Random(seed + n_tokens).

    Returns [(user_content, answer, passkey_str, depth)]."""
    rng = random.Random(seed + n_tokens)
    out = []
    for k in range(samples):
        depth = (k + 0.5) / samples
        key = rng.randint(10000, 99999)
        content, answer = passkey_eval_example(n_tokens, depth, key, ntok)
        out.append((content, answer, str(key), depth))
    return out


def sample_task(rng):
    return rng.choices(TASKS, weights=TASK_WEIGHTS, k=1)[0]


def corpus_for_tokenizer(n_examples=4000, seed=0):
    """Texts to train the BPE on: chat-formatted examples of every task, both filler styles."""
    rng = random.Random(seed)
    out = []
    for _ in range(n_examples):
        content, answer, _ = make_example(rng, sample_task(rng), rng.randint(64, 700))
        text = chat_prompt(content) + answer_target(answer) + "\n"
        for t in SPECIAL_TOKENS:  # special tokens are matched before BPE: keep them out of the merges
            text = text.replace(t, "\n")
        out.append(text)
    out.append(" ".join(FILLER_VARIED) + " " + " ".join(WORDS))
    out.append("".join(str(d) for d in range(10)) * 10)
    return out


def main():
    """Dump passkey evaluation cases as JSONL (one object per line) so other implementations can compare."""
    import argparse
    import json
    ap = argparse.ArgumentParser(description="passkey eval cases as JSONL")
    ap.add_argument("--tokenizer", required=True, help="tokenizer.json of the model (token budgets use it)")
    ap.add_argument("--lengths", default="512,1024,2048", help="comma-separated target lengths in tokens")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--seed", type=int, default=777)
    args = ap.parse_args()
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(args.tokenizer)

    def ntok(text):
        return len(tok.encode(text).ids)

    for n_tokens in (int(x) for x in args.lengths.split(",")):
        for content, answer, key, depth in passkey_eval_cases(n_tokens, args.samples, ntok, args.seed):
            prompt = chat_prompt(content)
            print(json.dumps({"target_tokens": n_tokens, "depth": depth, "passkey": key,
                              "messages": [{"role": "system", "content": SYSTEM},
                                           {"role": "user", "content": content}],
                              "prompt": prompt, "prompt_tokens": ntok(prompt), "answer": answer}))


if __name__ == "__main__":
    main()
