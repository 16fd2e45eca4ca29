#!/usr/bin/env bash
# Runs on the GPU machine, from the bundle that scripts/gpu/bundle.sh built (carried as .device/<name>), in the
# checkout the device tool sent (fixtures and models/ come from there):
#   tests  every GPU test of the engine (the classes of dev.longctx.engine.backend.cuda, CudaForwardPassTest,
#          BackendsTest)
#          through JUnit's console launcher, then a table: class, tests, passed, failed, skipped;
#   stack  tokenizer-service, inference-service (longctx.engine.device=cuda) and gateway-service on the default
#          model, asked the README's passkey question (greedy, then seeded sampling twice, then with logprobs);
#   sass   the attention kernels' SASS (cuobjdump): tensor-core instructions present;
#   bench  the kernel benchmark (CudaKernelBench), and torch: PyTorch's SDPA and dense pipeline, side by side;
#   gpubench (only when named; not part of all, ~6 minutes on the 7B geometry): the engine's own benchmarks,
#      tools/bench_torch_prefill.py (SDPA alone; the pipeline in the same pieces with flash and cuDNN; cuDNN in one
#      pass), then `longctx bench decode` and `bench prefill` (dense, then dca) on the same geometry and lengths, then
#      one table (gpubench_summary.py; rerun it on the returned $OUT with `python3 scripts/gpu/gpubench_summary.py DIR`).
#      Each part writes its JSON and log to $OUT as soon as it ends, so a call cut short keeps what it measured.
#      Settings (environment): GPUBENCH_GEOMETRY (qwen2.5-7b-instruct-1m), GPUBENCH_LENGTHS (32768,131072),
#      GPUBENCH_PIECE (32768), GPUBENCH_CONTEXTS (4096,131072), GPUBENCH_BATCH (1), GPUBENCH_RUNS (3),
#      GPUBENCH_DEVICE (cuda), GPUBENCH_TORCH (1; 0 leaves PyTorch out, as for a CPU dry run), GPUBENCH_ARGS (more
#      flags for both engine commands), GPUBENCH_DECODE_ARGS (for bench decode only, e.g. --batch 1,8 --copy-mib 64);
# then a summary. Logs go to $OUT (the device tool brings them back). Fails fast when the bundle is incomplete.
# Usage: bash .device/<name>/run.sh [tests|stack|sass|bench|torch|all|gpubench ...]   (default: all)
set -u
STEPS=${*:-all}
want() { [[ " $STEPS " == *" all "* || " $STEPS " == *" $1 "* ]]; }
named() { [[ " $STEPS " == *" $1 "* ]]; }
source "$(cd "$(dirname "$0")" && pwd)/bundle-env.sh"

if want tests; then
  echo "== GPU tests =="
  # Test resources (the transformers fixtures) from the checkout; the default model is found from the cwd.
  timeout 300 "$JAVA" "${JOPTS[@]}" -jar "$P"/test/junit-platform-console-standalone-*.jar execute \
    --class-path "$ENGINE_CP:$P/test/engine-tests.jar:$(ls "$P"/test/assertj-core-*.jar):$ROOT/inference-engine/src/test/resources" \
    --fail-if-no-tests --details=tree --disable-banner --reports-dir "$OUT/junit" \
    --select-class dev.longctx.engine.backend.cuda.CudaAvailabilityTest \
    --select-class dev.longctx.engine.backend.cuda.CudaKernelsTest \
    --select-class dev.longctx.engine.backend.cuda.CudaAttentionTest \
    --select-class dev.longctx.engine.backend.cuda.CudaBackendContractTest \
    --select-class dev.longctx.engine.backend.cuda.CudaAttentionContractTest \
    --select-class dev.longctx.engine.backend.cuda.CudaGenericAttentionContractTest \
    --select-class dev.longctx.engine.backend.cuda.CudaFloat32BackendContractTest \
    --select-class dev.longctx.engine.backend.cuda.CudaFloat32AttentionContractTest \
    --select-class dev.longctx.engine.backend.cuda.CudaEventTimerTest \
    --select-class dev.longctx.engine.model.CudaForwardPassTest \
    --select-class dev.longctx.engine.backend.BackendsTest > "$OUT/tests.log" 2>&1
  echo "tests exit $?" >> "$OUT/tests.log"
  sed 's/\x1b\[[0-9;]*m//g' "$OUT/tests.log" | grep -E "✘|=>|tests (found|successful|failed|skipped|aborted)|exit|positions, logits" | cut -c1-400 | tail -60
  python3 - "$OUT/junit" <<'PY' | tee -a "$OUT/summary.txt"
import glob, sys, xml.etree.ElementTree as ET
rows = {}
for f in glob.glob(sys.argv[1] + '/*.xml'):
    for tc in ET.parse(f).getroot().iter('testcase'):
        c = tc.get('classname', '?').rsplit('.', 1)[-1]
        r = rows.setdefault(c, [0, 0, 0, 0])
        r[0] += 1
        if tc.find('failure') is not None or tc.find('error') is not None: r[2] += 1
        elif tc.find('skipped') is not None: r[3] += 1
        else: r[1] += 1
print('%-36s %6s %6s %6s %7s' % ('GPU test class', 'tests', 'passed', 'failed', 'skipped'))
tot = [0, 0, 0, 0]
for c in sorted(rows):
    print('%-36s %6d %6d %6d %7d' % (c, *rows[c]))
    tot = [a + b for a, b in zip(tot, rows[c])]
print('%-36s %6d %6d %6d %7d' % ('total', *tot))
PY
fi

if want stack; then
  echo "== stack on the GPU =="
  MODEL="$ROOT/models/longctx-tiny-chat"
  [ -f "$MODEL/config.json" ] || die "no default model at $MODEL"
  # LONGCTX_STACK_DEVICE / LONGCTX_STACK_PORT let the script be tried on a machine without a GPU (cpu, free ports).
  base=${LONGCTX_STACK_PORT:-18000}
  GW=$base TK=$((base + 1)) INF=$((base + 2))
  LOGS="$OUT/stack.log"; : > "$LOGS"
  PIDS=()
  start() { # NAME MAIN ARGS...
    local name=$1 main=$2; shift 2
    "$JAVA" "${JOPTS[@]}" -cp "$(classpath "$name")" "$main" "$@" > "$TMPD/$name.log" 2>&1 &
    PIDS+=($!)
  }
  stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done; }
  # HTTP through python3 (always in this image; curl may not be): http URL [JSON-BODY] prints the body, fails on >= 400.
  http() {
    python3 - "$@" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode() if len(sys.argv) > 2 else None,
                             headers={'Content-Type': 'application/json'})
try:
    with urllib.request.urlopen(req, timeout=60) as r:
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    sys.stdout.write('HTTP %d %s' % (e.code, e.read().decode()))
    sys.exit(1)
except Exception as e:
    sys.stdout.write('%s' % e)
    sys.exit(1)
PY
  }
  ready() { # PORT SECONDS
    local deadline=$((SECONDS + $2))
    until http "http://127.0.0.1:$1/actuator/health/readiness" >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || return 1
      sleep 1
    done
  }
  start tokenizer-service dev.longctx.tokenizerservice.TokenizerServiceApplication \
    --server.port=$TK --longctx.model.path="$MODEL"
  start inference-service dev.longctx.inferenceservice.InferenceServiceApplication \
    --server.port=$INF --longctx.model.path="$MODEL" --longctx.model.name=longctx-tiny-chat \
    --longctx.kv.advertised-url=http://127.0.0.1:$INF --longctx.engine.device=${LONGCTX_STACK_DEVICE:-cuda}
  t0=$SECONDS
  ok=1
  ready $TK 120 && ready $INF 180 || ok=0
  if [ $ok = 1 ]; then
    start gateway-service dev.longctx.gateway.GatewayApplication --server.port=$GW \
      --longctx.gateway.tokenizer-url=http://127.0.0.1:$TK --longctx.gateway.backends[0]=http://127.0.0.1:$INF \
      --longctx.gateway.model-name=longctx-tiny-chat --management.endpoint.health.probes.enabled=true
    ready $GW 120 || ok=0
  fi
  echo "stack ready: $([ $ok = 1 ] && echo yes || echo NO) after $((SECONDS - t0)) s" | tee -a "$OUT/summary.txt"
  if [ $ok = 1 ]; then
    ask() { # BODY-EXTRA
      http "http://127.0.0.1:$GW/v1/chat/completions" '{"model": "longctx-tiny-chat",
        "messages": [{"role": "user", "content": "The grass is green. The pass key is 48213. Remember it. 48213 is the pass key. The sky is blue.\nWhat is the pass key?"}],
        "max_tokens": 16'"$1"'}'
    }
    {
      echo "--- greedy (the README's request):"; ask ', "temperature": 0'; echo
      echo "--- temperature 0.8, seed 7, twice (sampled on the GPU; must be equal):"; ask ', "temperature": 0.8, "seed": 7'; echo; ask ', "temperature": 0.8, "seed": 7'; echo
      echo "--- greedy with logprobs (logits to the host sampler):"; ask ', "temperature": 0, "logprobs": true, "top_logprobs": 2' | head -c 1500; echo
      echo "--- inference-service metrics:"; http "http://127.0.0.1:$INF/metrics" | grep -E "^vllm:(num_requests|kv_cache_usage|prompt_tokens|generation_tokens)" | head -8
    } 2>&1 | tee -a "$OUT/summary.txt"
  fi
  stop_all
  for n in tokenizer-service inference-service gateway-service; do
    echo "===== $n" >> "$LOGS"; grep -Ev '^[[:space:]]+at |^[[:space:]]+\.\.\. [0-9]+ (common frames|more)' "$TMPD/$n.log" 2>/dev/null | tail -60 >> "$LOGS"
  done
  grep -hE "longctx:|device|KV cache|ERROR|Exception" "$TMPD/inference-service.log" 2>/dev/null | head -15 | tee -a "$OUT/summary.txt"
fi

if want sass && command -v cuobjdump >/dev/null; then
  python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('cuda/attention.fatbin'))" \
    "$P/lib/inference-engine.jar" > "$TMPD/attention.fatbin"
  cuobjdump -sass "$TMPD/attention.fatbin" > "$TMPD/attention.sass" 2>&1
  awk '/Function :/ {f=$3} /HMMA/ {h[f]++} /LDSM/ {l[f]++} /LDL|STL/ {s[f]++} END {for (k in h) printf "sass %-20s HMMA %5d LDSM %5d local-mem %d\n", k, h[k], l[k], s[k]}' \
    "$TMPD/attention.sass" | sort | tee -a "$OUT/summary.txt"
fi

if want bench; then
  echo "== kernel benchmark =="
  timeout 150 "$JAVA" "${JOPTS[@]}" -cp "$ENGINE_CP" dev.longctx.engine.backend.cuda.CudaKernelBench ${BENCH_ARGS:-} > "$OUT/bench.log" 2>&1
  echo "bench exit $?" >> "$OUT/bench.log"
  sed -n '/== CudaKernelBench summary/,$p' "$OUT/bench.log" | tee -a "$OUT/summary.txt"
  tail -3 "$OUT/bench.log"
fi

if want torch; then
  echo "== PyTorch reference =="
  export PYTHONUNBUFFERED=1
  timeout 90 python3 "$P/tools/bench_torch_prefill.py" --mode attention --lengths 32768,131072 > "$OUT/torch.log" 2>&1
  timeout 180 python3 "$P/tools/bench_torch_prefill.py" --mode pipeline --lengths ${TORCH_LENGTHS:-32768,131072} >> "$OUT/torch.log" 2>&1
  echo "torch exit $?" >> "$OUT/torch.log"
  grep -E "^(sdpa|pipeline|attention)" "$OUT/torch.log" | sort -u | tee -a "$OUT/summary.txt"
  tail -3 "$OUT/torch.log"
fi

if named gpubench; then
  echo "== engine benchmarks beside PyTorch (gpubench) =="
  G=${GPUBENCH_GEOMETRY:-qwen2.5-7b-instruct-1m}
  LENS=${GPUBENCH_LENGTHS:-32768,131072}
  PIECE=${GPUBENCH_PIECE:-32768}
  RUNS=${GPUBENCH_RUNS:-3}
  DEV=${GPUBENCH_DEVICE:-cuda}
  LONGCTX=("$JAVA" "${JOPTS[@]}" -cp "$ENGINE_CP" dev.longctx.engine.cli.LongctxCli bench)
  # PyTorch first: its ~100 s are known (NOTES.md), so a slow engine cannot crowd out the reference.
  if [ "${GPUBENCH_TORCH:-1}" != 0 ]; then
    export PYTHONUNBUFFERED=1
    TORCH=(python3 "$P/tools/bench_torch_prefill.py" --geometry "$G" --lengths "$LENS")
    timeout 60 "${TORCH[@]}" --mode attention --json "$OUT/torch-attention.json" > "$OUT/torch.log" 2>&1
    # In the engine's pieces with both backends (cuDNN leaves its fast path there: NOTES.md), and cuDNN in one pass.
    timeout 150 "${TORCH[@]}" --piece "$PIECE" --backends flash,cudnn --json "$OUT/torch-pieces.json" >> "$OUT/torch.log" 2>&1
    timeout 60 "${TORCH[@]}" --piece 0 --backends cudnn --json "$OUT/torch-onepass.json" >> "$OUT/torch.log" 2>&1
    echo "torch exit $?" >> "$OUT/torch.log"
  fi
  # Progress goes to the .log files as it happens; the tables are in the .out files, the numbers in the .json ones.
  timeout 120 "${LONGCTX[@]}" decode --geometry "$G" --lengths "${GPUBENCH_CONTEXTS:-4096,131072}" \
    --batch "${GPUBENCH_BATCH:-1}" --piece "$PIECE" --device "$DEV" --runs "$RUNS" ${GPUBENCH_ARGS:-} ${GPUBENCH_DECODE_ARGS:-} \
    --json "$OUT/decode.json" > "$OUT/decode.out" 2> "$OUT/decode.log"
  echo "decode exit $?" | tee -a "$OUT/decode.log"
  for MODE in dense dca; do
    timeout 170 "${LONGCTX[@]}" prefill --geometry "$G" --lengths "$LENS" --mode $MODE --piece "$PIECE" \
      --device "$DEV" --runs "$RUNS" ${GPUBENCH_ARGS:-} --json "$OUT/prefill-$MODE.json" > "$OUT/prefill-$MODE.out" 2> "$OUT/prefill-$MODE.log"
    echo "prefill $MODE exit $?" | tee -a "$OUT/prefill-$MODE.log"
  done
  python3 "$P/tools/gpubench_summary.py" "$OUT" > "$OUT/gpubench-summary.txt" 2>&1
fi

echo
echo "================ summary ================"
cat "$OUT/summary.txt"
[ -f "$OUT/gpubench-summary.txt" ] && cat "$OUT/gpubench-summary.txt"
exit 0
