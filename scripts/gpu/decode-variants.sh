#!/usr/bin/env bash
# `longctx bench decode` once per variant, one after the other in the same device call, so that the variants are
# measured side by side (BENCHMARKS.md §4's decode A/B tables). Runs from the bundle (.device/<name>), after
# run.sh has unpacked it (it does so itself when it has not).
# Usage: bash .device/<name>/decode-variants.sh VARIANT [VARIANT ...] -- BENCH-DECODE-ARGS...
#   VARIANT: JVM properties and/or bench flags, quoted as one word; '' is the default build. Examples:
#     bash .device/gpu/decode-variants.sh -Dlongctx.cuda.launcher=jcuda '' -- --geometry qwen2.5-7b-instruct-1m \
#          --lengths 4096,131072 --batch 1,8 --mode dca --runs 3
#     bash .device/gpu/decode-variants.sh --enforce-eager '' -- --geometry qwen2.5-0.5b --lengths 4096 --mode dense
#     bash .device/gpu/decode-variants.sh -Dlongctx.cuda.decodeCtasPerSm=16 -Dlongctx.cuda.decodeCtasPerSm=8 -- ...
set -u
B=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/longctx-gpu-out}
mkdir -p "$OUT"
variants=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do variants+=("$1"); shift; done
[ "${1:-}" = "--" ] || { echo "usage: decode-variants.sh VARIANT... -- BENCH-DECODE-ARGS..." >&2; exit 2; }
shift
P=${LONGCTX_GPU_TMP:-/tmp}/longctx-bundle
J=${LONGCTX_GPU_TMP:-/tmp}/longctx-jre/jre/bin/java
[ -f "$P/app/inference-engine.cp" ] && [ -x "$J" ] || bash "$B/run.sh" none > "$OUT/unpack.log" 2>&1
CP=$(tr ':' '\n' < "$P/app/inference-engine.cp" | sed "s|^|$P/lib/|" | paste -sd:)
: "${LONGCTX_CUBLAS_DIR:=$(dirname "$(find /usr/local /opt -name 'libcublas.so.1[23]' 2>/dev/null | head -1)")}"
export LONGCTX_CUBLAS_DIR RUST_FLAVOR=${RUST_FLAVOR:-cpu}
for v in "${variants[@]}"; do
  jvm=() flags=()
  for w in $v; do if [[ $w == -D* ]]; then jvm+=("$w"); else flags+=("$w"); fi; done
  echo "=== variant: ${v:-default}"
  "$J" "${jvm[@]}" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$CP" \
    dev.longctx.engine.cli.LongctxCli bench decode --device cuda "${flags[@]}" "$@" 2>>"$OUT/decode-variants.log" \
    | grep -v '^WARNING'
done
