# Regenerates qwen2.5-cases.json's "expected" fields with Jinja2 set up like transformers' apply_chat_template
# (sandboxed env, trim_blocks, lstrip_blocks, tojson = json.dumps(ensure_ascii=False)).
# Run from this directory: python3 make_expected.py
import json
from jinja2.sandbox import ImmutableSandboxedEnvironment

def raise_exception(message):
    raise ValueError(message)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.filters["tojson"] = lambda x, indent=None: json.dumps(x, ensure_ascii=False, indent=indent)
env.globals["raise_exception"] = raise_exception
template = env.from_string(open("qwen2.5-chat_template.jinja", encoding="utf-8").read())

cases = json.load(open("qwen2.5-cases.json", encoding="utf-8"))
for case in cases:
    case["expected"] = template.render(messages=case["messages"], tools=case.get("tools"),
                                       add_generation_prompt=case["add_generation_prompt"],
                                       bos_token="", eos_token="<|im_end|>")
with open("qwen2.5-cases.json", "w", encoding="utf-8") as f:
    json.dump(cases, f, ensure_ascii=False, indent=2)
    f.write("\n")
