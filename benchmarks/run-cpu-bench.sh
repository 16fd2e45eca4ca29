#!/usr/bin/env bash
# run-cpu-bench.sh — CPU prefill/decode speed of longctx vs Jlama on one random Qwen2 checkpoint, in one JVM.
#
#   benchmarks/run-cpu-bench.sh [CpuBench options]     e.g. --prompt-tokens 512 --gen-tokens 128 --runs 5
#
# Builds the benchmarks module (and the engine it depends on), writes the random checkpoint under run/ on first use,
# then runs dev.longctx.bench.CpuBench. The report (a markdown table at the end) is also saved under run/.
#
# Environment:
#   PRESET=qwen2.5-0.5b   checkpoint shape (qwen2.5-0.5b | small); written to run/bench-model (run/bench-model-<preset>
#                         for other presets), reused afterwards
#   THREADS=<n>           threads for both engines and the bandwidth probe (default: physical cores)
#   HEAP=4g               JVM heap; weights are memory-mapped and the bandwidth probe is off-heap, so little is needed
#   SKIP_BUILD=1          use the jars already in benchmarks/target
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRESET="${PRESET:-qwen2.5-0.5b}"
if [[ "$PRESET" == "qwen2.5-0.5b" ]]; then MODEL_DIR="$ROOT/run/bench-model"; else MODEL_DIR="$ROOT/run/bench-model-$PRESET"; fi
HEAP="${HEAP:-4g}"

source "$ROOT/scripts/lib/jdk.sh"
longctx_use_jdk run-cpu-bench

# Physical cores: SMT siblings add neither memory bandwidth nor FMA throughput, only noise.
physical_cores() {
  local n
  n=$(lscpu -p=Core,Socket 2>/dev/null | grep -v '^#' | sort -u | wc -l || true)
  if [[ -z "$n" || "$n" -lt 1 ]]; then n=$(nproc); fi
  echo "$n"
}
THREADS="${THREADS:-$(physical_cores)}"

if [[ "${SKIP_BUILD:-0}" != "1" ]]; then
  echo "run-cpu-bench: building benchmarks (and the engine)..." >&2
  (cd "$ROOT" && ./mvnw -q -B -pl benchmarks -am package -DskipTests) >&2
fi
JAR="$ROOT/benchmarks/target/benchmarks.jar" # its manifest puts target/lib/*.jar (engine, Jlama, ...) on the classpath
[[ -f "$JAR" ]] || { echo "run-cpu-bench: $JAR missing; run without SKIP_BUILD" >&2; exit 1; }

JVM_OPTS=(
  --add-modules jdk.incubator.vector       # both engines' SIMD kernels
  --enable-native-access=ALL-UNNAMED       # the engine's standard flags (engine.jvm.args in the root pom)
  --sun-misc-unsafe-memory-access=allow    # Jlama (via JCTools) reads buffer addresses with sun.misc.Unsafe
  -XX:+UseParallelGC
  -Xms1g "-Xmx$HEAP"
  -XX:MaxDirectMemorySize=16g              # Jlama's activations, KV pages and the bandwidth probe are off-heap
  ${BENCH_JAVA_OPTS:-}
)

if [[ ! -f "$MODEL_DIR/model.safetensors" ]]; then
  echo "run-cpu-bench: writing random '$PRESET' checkpoint to $MODEL_DIR..." >&2
  # Written aside and renamed, so an interrupted write never leaves a half checkpoint that a later run would use.
  rm -rf "$MODEL_DIR.partial"
  "$JAVA_HOME/bin/java" "${JVM_OPTS[@]}" -cp "$JAR" dev.longctx.bench.RandomCheckpointWriter \
    --preset "$PRESET" --out "$MODEL_DIR.partial"
  rm -rf "$MODEL_DIR"
  mv "$MODEL_DIR.partial" "$MODEL_DIR"
fi

mkdir -p "$ROOT/run"
REPORT="$ROOT/run/cpu-bench-$(date -u +%Y%m%d-%H%M%S).md"
"$JAVA_HOME/bin/java" "${JVM_OPTS[@]}" -cp "$JAR" dev.longctx.bench.CpuBench \
  --model "$MODEL_DIR" --threads "$THREADS" "$@" | tee "$REPORT"
echo "run-cpu-bench: report saved to $REPORT" >&2
