#!/usr/bin/env bash
# Load test: starts the stack (tokenizer-service, 2 inference-services, gateway) from the packaged jars and drives
# it with the gateway's BenchServe — 64 concurrent streaming chat clients for 60 s by default — then prints
# vllm-bench-style TTFT / TPOT / ITL / E2EL percentiles and the failed-request count, and stops the stack.
# Not part of the test suite. Serves models/longctx-tiny-chat when it exists, else a random Qwen2 checkpoint.
#
#   e2e-tests/load-test.sh [--model DIR] [--backends 2] [--max-concurrency 64] [--duration 60]
#                          [--input-len 32] [--output-len 32] [--endpoint chat|completions] [--serve]
#
# Needs the jars: ./mvnw -q -B -DskipTests package. Logs and bench-result.json: e2e-tests/target/load-test-logs/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/jdk.sh"
longctx_use_jdk load-test
JAVA="$JAVA_HOME/bin/java"
for jar in e2e-tests/target/e2e-tests.jar inference-engine/target/inference-engine.jar \
           tokenizer-service/target/tokenizer-service.jar inference-service/target/inference-service.jar \
           gateway-service/target/gateway-service.jar; do
  [[ -f "$ROOT/$jar" ]] || { echo "load-test: missing $jar — build first: ./mvnw -q -B -DskipTests package" >&2; exit 1; }
done

# inference-engine.jar brings its dependencies (target/lib) through its manifest Class-Path.
exec "$JAVA" --add-modules jdk.incubator.vector -Dlongctx.root="$ROOT" \
  -cp "$ROOT/e2e-tests/target/e2e-tests.jar:$ROOT/inference-engine/target/inference-engine.jar" \
  dev.longctx.e2e.LoadTest "$@"
