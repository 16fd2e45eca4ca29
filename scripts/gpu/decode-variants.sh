#!/usr/bin/env bash
# `longctx bench decode` once per variant, one after the other in the same device call, so that the variants are
# measured side by side (BENCHMARKS.md §4's decode A/B tables). Runs from the bundle (.device/<name>), which it
# unpacks as run.sh does (bundle-env.sh).
# Usage: bash .device/<name>/decode-variants.sh VARIANT [VARIANT ...] -- BENCH-DECODE-ARGS...
#   VARIANT: JVM properties and/or bench flags, quoted as one word; '' is the default build. Examples:
#     bash .device/gpu/decode-variants.sh -Dlongctx.cuda.launcher=jcuda '' -- --geometry qwen2.5-7b-instruct-1m \
#          --lengths 4096,131072 --batch 1,8 --mode dca --runs 3
#     bash .device/gpu/decode-variants.sh --enforce-eager '' -- --geometry qwen2.5-0.5b --lengths 4096 --mode dense
#     bash .device/gpu/decode-variants.sh -Dlongctx.cuda.decodeCtasPerSm=16 -Dlongctx.cuda.decodeCtasPerSm=8 -- ...
set -u
variants=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do variants+=("$1"); shift; done
[ "${1:-}" = "--" ] || { echo "usage: decode-variants.sh VARIANT... -- BENCH-DECODE-ARGS..." >&2; exit 2; }
shift
source "$(cd "$(dirname "$0")" && pwd)/bundle-env.sh"
for v in "${variants[@]}"; do
  jvm=() flags=()
  for w in $v; do if [[ $w == -D* ]]; then jvm+=("$w"); else flags+=("$w"); fi; done
  echo "=== variant: ${v:-default}"
  "$JAVA" "${jvm[@]}" "${JOPTS[@]}" -cp "$ENGINE_CP" dev.longctx.engine.cli.LongctxCli bench decode --device cuda "${flags[@]}" "$@" 2>>"$OUT/decode-variants.log" \
    | grep -v '^WARNING'
done
