# Sourced by run.sh and decode-variants.sh on the GPU machine: unpacks the bundle (carried as .device/<name>) into
# $LONGCTX_GPU_TMP (default /tmp) and sets what both run Java with: JAVA, JOPTS, P (the unpacked payload),
# classpath MODULE, ENGINE_CP, ROOT (the checkout), OUT (what comes back), and LONGCTX_CUBLAS_DIR. Fails fast when
# the bundle is incomplete.
set -u
B=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/longctx-gpu-out}
mkdir -p "$OUT"
die() { echo "$(basename "$0"): $*" | tee -a "$OUT/summary.txt" >&2; exit 1; }

for f in jre.tar.xz payload.tar.xz; do
  [ -f "$B/$f" ] || die "the bundle has no $f: build it with scripts/gpu/bundle.sh and carry its folder"
done
TMPD=${LONGCTX_GPU_TMP:-/tmp}
JRE=$TMPD/longctx-jre
[ -x "$JRE/jre/bin/java" ] || { mkdir -p "$JRE" && tar -C "$JRE" -xJf "$B/jre.tar.xz"; } || die "cannot unpack the runtime"
P=$TMPD/longctx-bundle
rm -rf "$P" && mkdir -p "$P" && tar -C "$P" -xJf "$B/payload.tar.xz" || die "cannot unpack the payload"
JAVA="$JRE/jre/bin/java"
"$JAVA" -version >/dev/null 2>&1 || die "the unpacked runtime does not start"
JOPTS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m)
# A module's class path from app/<module>.cp (jar names in lib/; jars the bundle left out are skipped).
classpath() {
  local names cp="" n
  [ -f "$P/app/$1.cp" ] || die "no class path for $1 in the bundle"
  IFS=: read -r -a names < "$P/app/$1.cp" || true
  for n in "${names[@]}"; do [ -f "$P/lib/$n" ] && cp="$cp${cp:+:}$P/lib/$n"; done
  echo "$cp"
}
ENGINE_CP=$(classpath inference-engine)
ROOT=$(pwd)

# Where this image keeps cuBLAS, for the record; the engine searches the same places itself (Cublas.searchDirs),
# and LONGCTX_CUBLAS_DIR makes sure a search miss cannot turn the whole run into skipped tests.
CUBLAS=$(find /usr/local /opt /usr/lib -name 'libcublas.so.1[23]' 2>/dev/null | head -3)
echo "cuBLAS candidates: $(echo $CUBLAS)" | tee "$OUT/summary.txt"
[ -z "${LONGCTX_CUBLAS_DIR:-}" ] && [ -n "$CUBLAS" ] && export LONGCTX_CUBLAS_DIR=$(dirname "$(echo "$CUBLAS" | head -1)")
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv,noheader | tee -a "$OUT/summary.txt"
