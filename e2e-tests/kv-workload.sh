#!/usr/bin/env bash
# The multi-turn long-document workload (issue 12): questions over long documents, spread over 2 instances.
#
#   e2e-tests/kv-workload.sh --compare [--model DIR] [--documents 3] [--questions 6] [--doc-chars 6000]
#       KV-aware routing against round-robin in one run: TTFT percentiles and prefilled tokens of each
#   e2e-tests/kv-workload.sh --url http://localhost:8000 --model-name longctx-tiny-chat --documents 1 --questions 6
#       against a running `./longctx up --instances 2`: every question after the first must report cached_tokens
#       covering the document (exit 1 otherwise)
#
# Needs the jars: ./mvnw -q -B -DskipTests package. Logs of --compare: e2e-tests/target/kv-workload-logs/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib/jdk.sh"
longctx_use_jdk kv-workload
JAVA="$JAVA_HOME/bin/java"
for jar in e2e-tests/target/e2e-tests.jar inference-engine/target/inference-engine.jar \
           kv-cache-service/target/kv-cache-service.jar gateway-service/target/gateway-service.jar; do
  [[ -f "$ROOT/$jar" ]] || { echo "kv-workload: missing $jar — build first: ./mvnw -q -B -DskipTests package" >&2; exit 1; }
done
mkdir -p "$ROOT/e2e-tests/target/kv-workload-logs"
exec "$JAVA" --add-modules jdk.incubator.vector -Dlongctx.root="$ROOT" \
  -cp "$ROOT/e2e-tests/target/e2e-tests.jar:$ROOT/inference-engine/target/inference-engine.jar" \
  dev.longctx.e2e.KvWorkload "$@"
