#!/usr/bin/env bash
# Starts the serving stack as local processes on one model directory:
#   tokenizer-service :8001   inference-service :8002   gateway-service :8000 (OpenAI API, like vLLM)
# With --instances N (N > 1): N inference-services on :8002, :8004, :8005, ..., a redis-server (the binary inside
# the embedded-redis jar: nothing to install) on :6379 and kv-cache-service on :8003, and the gateway routes
# KV-aware (a repeat prompt goes where its prefix is cached; other instances pull cached blocks).
# Called by `./longctx up`, which builds the jars and sets JAVA_HOME first; this script builds nothing.
# Logs go to run/logs/<service>.log. Ctrl-C (or TERM) stops every service it started.
#
#   scripts/stack-up.sh [--model DIR] [--instances N] [--timeout SECONDS]
#
# Environment: LONGCTX_MODEL (model directory), LONGCTX_READY_TIMEOUT (seconds to wait for each service),
# LONGCTX_JAVA_OPTS (extra JVM flags), LONGCTX_{GATEWAY,TOKENIZER,INFERENCE,KVCACHE,REDIS}_PORT, and any Spring
# property as an env var (e.g. LONGCTX_ENGINE_KVCACHEBLOCKS=8192), which the services read themselves.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL="${LONGCTX_MODEL:-$ROOT/models/longctx-tiny-chat}"
READY_TIMEOUT="${LONGCTX_READY_TIMEOUT:-300}"
GATEWAY_PORT="${LONGCTX_GATEWAY_PORT:-8000}"
TOKENIZER_PORT="${LONGCTX_TOKENIZER_PORT:-8001}"
INFERENCE_PORT="${LONGCTX_INFERENCE_PORT:-8002}"
KVCACHE_PORT="${LONGCTX_KVCACHE_PORT:-8003}"
REDIS_PORT="${LONGCTX_REDIS_PORT:-6379}"
INSTANCES=1
READINESS_PATH="/actuator/health/readiness"
LIVENESS_PATH="/actuator/health/liveness"
LOG_DIR="$ROOT/run/logs"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "stack-up: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) [[ $# -ge 2 ]] || die "--model needs a directory"; MODEL="$2"; shift 2 ;;
    --model=*) MODEL="${1#--model=}"; shift ;;
    --timeout) [[ $# -ge 2 ]] || die "--timeout needs seconds"; READY_TIMEOUT="$2"; shift 2 ;;
    --instances) [[ $# -ge 2 ]] || die "--instances needs a number"; INSTANCES="$2"; shift 2 ;;
    --instances=*) INSTANCES="${1#--instances=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

source "$ROOT/scripts/lib/jdk.sh"
longctx_use_jdk stack-up   # ./longctx up has done this already; run directly, the script finds the JDK itself
JAVA="$JAVA_HOME/bin/java"
command -v curl >/dev/null 2>&1 || die "curl is needed to wait for the services' readiness"

[[ -d "$MODEL" ]] || die "model directory not found: $MODEL (use --model DIR or LONGCTX_MODEL)"
MODEL="$(cd "$MODEL" && pwd)"
[[ -f "$MODEL/config.json" && -f "$MODEL/tokenizer.json" ]] \
  || die "$MODEL is not a model directory (needs config.json and tokenizer.json)"
MODEL_NAME="$(basename "$MODEL")"

TOKENIZER_JAR="$ROOT/tokenizer-service/target/tokenizer-service.jar"
INFERENCE_JAR="$ROOT/inference-service/target/inference-service.jar"
GATEWAY_JAR="$ROOT/gateway-service/target/gateway-service.jar"
KVCACHE_JAR="$ROOT/kv-cache-service/target/kv-cache-service.jar"
[[ "$INSTANCES" =~ ^[1-9][0-9]*$ ]] || die "--instances needs a positive number, got $INSTANCES"
SHARED_KV=$([[ $INSTANCES -gt 1 ]] && echo 1 || echo 0)
# Instance i listens on INFERENCE_PORT for i = 0, then on KVCACHE_PORT + i (8004, 8005, ...).
INFERENCE_PORTS=("$INFERENCE_PORT")
for ((i = 1; i < INSTANCES; i++)); do INFERENCE_PORTS+=("$((KVCACHE_PORT + i))"); done
for jar in "$TOKENIZER_JAR" "$INFERENCE_JAR" "$GATEWAY_JAR" "$KVCACHE_JAR"; do
  [[ -f "$jar" ]] || die "missing $jar — build first: ./longctx build"
done

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORTS_USED=("$GATEWAY_PORT" "$TOKENIZER_PORT" "${INFERENCE_PORTS[@]}")
[[ $SHARED_KV == 1 ]] && PORTS_USED+=("$KVCACHE_PORT" "$REDIS_PORT")
for port in "${PORTS_USED[@]}"; do
  port_in_use "$port" && die "port $port is already in use (another stack running?)"
done

# The engine uses the incubating Vector API and native memory access.
JVM_OPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED ${LONGCTX_JAVA_OPTS:-})

declare -A PIDS=()
NAMES=()

stop_all() {
  trap - EXIT INT TERM
  [[ ${#NAMES[@]} -eq 0 ]] && return
  echo "stack-up: stopping ${NAMES[*]}..." >&2
  for name in "${NAMES[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  # Spring shuts down gracefully on TERM (in-flight requests finish); give it a bounded time.
  local deadline=$((SECONDS + 20))
  for name in "${NAMES[@]}"; do
    while kill -0 "${PIDS[$name]}" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do sleep 0.2; done
    if kill -0 "${PIDS[$name]}" 2>/dev/null; then
      echo "stack-up: $name did not stop in time; killing it" >&2
      kill -KILL "${PIDS[$name]}" 2>/dev/null || true
    fi
    wait "${PIDS[$name]}" 2>/dev/null || true
  done
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() { # start NAME JAR ARGS...
  local name="$1" jar="$2"; shift 2
  "$JAVA" "${JVM_OPTS[@]}" -jar "$jar" "$@" >"$LOG_DIR/$name.log" 2>&1 &
  PIDS[$name]=$!
  NAMES+=("$name")
  echo "stack-up: started $name (pid ${PIDS[$name]}, log run/logs/$name.log)"
}

fail_with_log() { # fail_with_log NAME MESSAGE
  echo "stack-up: $2" >&2
  echo "---- last lines of run/logs/$1.log (stack frames left out) ----" >&2
  grep -Ev '^[[:space:]]+(at |\.\.\. [0-9]+ (common frames|more))' "$LOG_DIR/$1.log" | tail -n 25 >&2 || true
  echo "----" >&2
  exit 1
}

wait_ready() { # wait_ready NAME PORT
  local name="$1" url="http://127.0.0.1:$2$READINESS_PATH" deadline=$((SECONDS + READY_TIMEOUT))
  until curl -fs -o /dev/null --max-time 2 "$url"; do
    kill -0 "${PIDS[$name]}" 2>/dev/null || fail_with_log "$name" "$name exited before becoming ready"
    # A service that failed for good (e.g. the model did not load) says so on liveness; no point waiting.
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$2$LIVENESS_PATH")" == 503 ]] \
      && fail_with_log "$name" "$name reports itself broken (liveness DOWN)"
    [[ $SECONDS -lt $deadline ]] || fail_with_log "$name" "$name not ready after ${READY_TIMEOUT}s ($url)"
    sleep 1
  done
  echo "stack-up: $name ready on :$2"
}

mkdir -p "$LOG_DIR"
echo "stack-up: model $MODEL"

start tokenizer-service "$TOKENIZER_JAR" \
  --server.port="$TOKENIZER_PORT" --longctx.model.path="$MODEL"
INDEX_ARGS=()
GATEWAY_ROUTING=()
if [[ $SHARED_KV == 1 ]]; then
  # The redis-server binary shipped inside the embedded-redis jar, run through kv-cache-service's jar.
  "$JAVA" -Dloader.main=dev.longctx.kvcache.devredis.RedisServerMain -cp "$KVCACHE_JAR" \
    org.springframework.boot.loader.launch.PropertiesLauncher "$REDIS_PORT" >"$LOG_DIR/redis.log" 2>&1 &
  PIDS[redis]=$!
  NAMES+=(redis)
  echo "stack-up: started redis (pid ${PIDS[redis]}, log run/logs/redis.log)"
  start kv-cache-service "$KVCACHE_JAR" \
    --server.port="$KVCACHE_PORT" --spring.data.redis.host=127.0.0.1 --spring.data.redis.port="$REDIS_PORT"
  INDEX_ARGS=(--longctx.kv.index-url="http://127.0.0.1:$KVCACHE_PORT")
  GATEWAY_ROUTING=(--longctx.gateway.routing.policy=kv-aware
                   --longctx.gateway.routing.kv-index-url="http://127.0.0.1:$KVCACHE_PORT")
fi
for ((i = 0; i < INSTANCES; i++)); do
  name=inference-service; [[ $INSTANCES -gt 1 ]] && name="inference-service-$i"
  start "$name" "$INFERENCE_JAR" \
    --server.port="${INFERENCE_PORTS[$i]}" --longctx.model.path="$MODEL" --longctx.model.name="$MODEL_NAME" \
    --longctx.kv.advertised-url="http://127.0.0.1:${INFERENCE_PORTS[$i]}" "${INDEX_ARGS[@]}"
done
wait_ready tokenizer-service "$TOKENIZER_PORT"
[[ $SHARED_KV == 1 ]] && wait_ready kv-cache-service "$KVCACHE_PORT"
for ((i = 0; i < INSTANCES; i++)); do
  name=inference-service; [[ $INSTANCES -gt 1 ]] && name="inference-service-$i"
  wait_ready "$name" "${INFERENCE_PORTS[$i]}"
done

# The gateway starts last: it routes to the backends as soon as it is ready.
BACKEND_ARGS=()
for ((i = 0; i < INSTANCES; i++)); do
  BACKEND_ARGS+=("--longctx.gateway.backends[$i]=http://127.0.0.1:${INFERENCE_PORTS[$i]}")
done
start gateway-service "$GATEWAY_JAR" \
  --server.port="$GATEWAY_PORT" \
  --longctx.gateway.tokenizer-url="http://127.0.0.1:$TOKENIZER_PORT" \
  "${BACKEND_ARGS[@]}" "${GATEWAY_ROUTING[@]}" \
  --longctx.gateway.model-name="$MODEL_NAME" \
  --management.endpoint.health.probes.enabled=true
wait_ready gateway-service "$GATEWAY_PORT"

cat <<USAGE

longctx is up: OpenAI-compatible API on http://localhost:$GATEWAY_PORT/v1 (model "$MODEL_NAME").
Try:

  curl -s http://localhost:$GATEWAY_PORT/v1/chat/completions \\
    -H 'Content-Type: application/json' \\
    -d '{"model": "$MODEL_NAME", "max_tokens": 16, "temperature": 0, "messages": [{"role": "user", "content": "The grass is green. The pass key is 48213. Remember it. 48213 is the pass key. The sky is blue.\\nWhat is the pass key?"}]}'

Metrics: http://localhost:$INFERENCE_PORT/metrics   Logs: run/logs/   Stop: Ctrl-C
$([[ $SHARED_KV == 1 ]] && echo "Instances: ${INFERENCE_PORTS[*]} (KV index: http://localhost:$KVCACHE_PORT/internal/kv/instances)")
USAGE

# Run until a service dies (then stop the others and fail) or we are interrupted.
while true; do
  for name in "${NAMES[@]}"; do
    kill -0 "${PIDS[$name]}" 2>/dev/null || fail_with_log "$name" "$name stopped unexpectedly"
  done
  sleep 2
done
