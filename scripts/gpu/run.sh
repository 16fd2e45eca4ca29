#!/usr/bin/env bash
# Runs on the GPU machine, from the bundle that scripts/gpu/bundle.sh built (carried as .device/gpu):
#   1. the engine's GPU tests (dev.longctx.engine.backend.cuda) through JUnit's console launcher;
#   2. the SASS of the attention kernels (cuobjdump), to confirm they run on the tensor cores (HMMA);
#   3. the kernel benchmark (CudaKernelBench) and, in the same call, PyTorch's SDPA (cuDNN, flash) and its dense
#      prefill pipeline (tools/bench_torch_prefill.py), so that ratios are side by side;
#   4. a short summary table last. Full logs go to $OUT (the device tool brings them back).
#   gpubench (only when named; not part of all, ~6 minutes on the 7B geometry): the engine's own benchmarks,
#      tools/bench_torch_prefill.py (SDPA alone; the pipeline in the same pieces with flash and cuDNN; cuDNN in one
#      pass), then `longctx bench decode` and `bench prefill` (dense, then dca) on the same geometry and lengths, then
#      one table (gpubench_summary.py; rerun it on the returned $OUT with `python3 scripts/gpu/gpubench_summary.py DIR`).
#      Each part writes its JSON and log to $OUT as soon as it ends, so a call cut short keeps what it measured.
#      Settings (environment): GPUBENCH_GEOMETRY (qwen2.5-7b-instruct-1m), GPUBENCH_LENGTHS (32768,131072),
#      GPUBENCH_PIECE (32768), GPUBENCH_CONTEXTS (4096,131072), GPUBENCH_BATCH (1), GPUBENCH_RUNS (3),
#      GPUBENCH_DEVICE (cuda), GPUBENCH_TORCH (1; 0 leaves PyTorch out, as for a CPU dry run), GPUBENCH_ARGS (more
#      flags for both engine commands), GPUBENCH_DECODE_ARGS (for bench decode only, e.g. --batch 1,8 --copy-mib 64).
# Usage: bash .device/gpu/run.sh [tests|sass|bench|torch|all|gpubench ...]   (default: all)
set -u
B=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/longctx-gpu-out}
mkdir -p "$OUT"
STEPS=${*:-all}
want() { [[ " $STEPS " == *" all "* || " $STEPS " == *" $1 "* ]]; }
named() { [[ " $STEPS " == *" $1 "* ]]; }

JRE=/tmp/longctx-jre
[ -x "$JRE/jre/bin/java" ] || { mkdir -p "$JRE" && tar -C "$JRE" -xJf "$B/jre.tar.xz"; }
JAVA="$JRE/jre/bin/java"
JOPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m)
CP="$B/app/*:$B/lib/*"
# JUnit's --class-path does not expand "*" as the java launcher does: list the jars.
JARS=$(ls "$B"/app/*.jar "$B"/lib/*.jar "$B"/test/engine-tests.jar "$B"/test/assertj-core-*.jar | tr '\n' ':')
# Where this image keeps cuBLAS, for the record; the engine searches the same places itself (Cublas.searchDirs),
# and LONGCTX_CUBLAS_DIR makes sure a search miss cannot turn the whole run into skipped tests.
CUBLAS=$(find /usr/local /opt /usr/lib -name 'libcublas.so.1[23]' 2>/dev/null | head -3)
echo "cuBLAS candidates: $(echo $CUBLAS)" | tee "$OUT/summary.txt"
[ -z "${LONGCTX_CUBLAS_DIR:-}" ] && [ -n "$CUBLAS" ] && export LONGCTX_CUBLAS_DIR=$(dirname "$(echo "$CUBLAS" | head -1)")
export RUST_FLAVOR=cpu  # DJL's tokenizers would otherwise look for a CUDA build of their native library
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv,noheader | tee -a "$OUT/summary.txt"

if want tests; then
  echo "== GPU tests =="
  timeout 180 "$JAVA" "${JOPTS[@]}" -jar "$B"/test/junit-platform-console-standalone-*.jar execute \
    --class-path "$JARS" --fail-if-no-tests --details=tree --disable-banner \
    --select-class dev.longctx.engine.backend.cuda.CudaAvailabilityTest \
    --select-class dev.longctx.engine.backend.cuda.CudaKernelsTest \
    --select-class dev.longctx.engine.backend.cuda.CudaAttentionTest \
    --select-class dev.longctx.engine.backend.cuda.CudaEventTimerTest > "$OUT/tests.log" 2>&1
  echo "tests exit $?" >> "$OUT/tests.log"
  sed 's/\x1b\[[0-9;]*m//g' "$OUT/tests.log" | grep -E "✔|✘|↷|tests (found|successful|failed|skipped|aborted)|exit|Assert|expected|Exception" | tail -60
fi

if want sass && command -v cuobjdump >/dev/null; then
  python3 -c "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('cuda/attention.fatbin'))" \
    "$B/app/inference-engine.jar" > /tmp/attention.fatbin
  cuobjdump -sass /tmp/attention.fatbin > /tmp/attention.sass 2>&1
  awk '/Function :/ {f=$3} /HMMA/ {h[f]++} /LDSM/ {l[f]++} /LDL|STL/ {s[f]++} END {for (k in h) printf "sass %-20s HMMA %5d LDSM %5d local-mem %d\n", k, h[k], l[k], s[k]}' \
    /tmp/attention.sass | sort | tee -a "$OUT/summary.txt"
  grep -m1 -A0 "arch = " /tmp/attention.sass >> "$OUT/summary.txt" || true
  head -c 4000000 /tmp/attention.sass > "$OUT/attention_sass.txt"
fi

if want bench; then
  echo "== kernel benchmark =="
  timeout 150 "$JAVA" "${JOPTS[@]}" -cp "$CP" dev.longctx.engine.backend.cuda.CudaKernelBench ${BENCH_ARGS:-} > "$OUT/bench.log" 2>&1
  echo "bench exit $?" >> "$OUT/bench.log"
  sed -n '/== CudaKernelBench summary/,$p' "$OUT/bench.log" | tee -a "$OUT/summary.txt"
  tail -3 "$OUT/bench.log"
fi

if want torch; then
  echo "== PyTorch reference =="
  export PYTHONUNBUFFERED=1
  timeout 90 python3 "$B/tools/bench_torch_prefill.py" --mode attention --lengths 32768,131072 > "$OUT/torch.log" 2>&1
  timeout 180 python3 "$B/tools/bench_torch_prefill.py" --mode pipeline --lengths ${TORCH_LENGTHS:-32768,131072} >> "$OUT/torch.log" 2>&1
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
  LONGCTX=("$JAVA" "${JOPTS[@]}" -cp "$CP" dev.longctx.engine.cli.LongctxCli bench)
  # PyTorch first: its ~100 s are known (NOTES.md), so a slow engine cannot crowd out the reference.
  if [ "${GPUBENCH_TORCH:-1}" != 0 ]; then
    export PYTHONUNBUFFERED=1
    TORCH=(python3 "$B/tools/bench_torch_prefill.py" --geometry "$G" --lengths "$LENS")
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
  python3 "$B/tools/gpubench_summary.py" "$OUT" > "$OUT/gpubench-summary.txt" 2>&1
fi

echo
echo "================ summary ================"
cat "$OUT/summary.txt"
grep -E "tests (successful|failed|skipped)" "$OUT/tests.log" 2>/dev/null
[ -f "$OUT/gpubench-summary.txt" ] && cat "$OUT/gpubench-summary.txt"
exit 0
