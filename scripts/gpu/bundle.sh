#!/usr/bin/env bash
# Builds here everything the GPU machine needs (it has no network, no Maven and no Java) into one git-ignored
# folder, which the device tool carries:
#
#   OUT/jre.tar.xz      a jlink'ed Java 25 runtime (stripped; unpacked by run.sh) — rebuilt only when missing
#   OUT/payload.tar.xz  lib/ (one shared folder of jars: the engine, the plain jars of tokenizer-, inference- and
#                       gateway-service and all their dependencies, less other platforms' natives, HTTP/3 natives
#                       and the eval's charting), app/<module>.cp (each module's class path, as jar names in lib/),
#                       test/ (the engine's test classes, JUnit's console launcher, AssertJ), tools/ (the PyTorch
#                       reference and the gpubench summary)
#   OUT/run.sh          what the device call executes: GPU tests, the stack on the GPU, benchmarks, a summary
#   OUT/decode-variants.sh  bench decode once per variant, side by side; OUT/bundle-env.sh  the unpacking both share
#
# The device tool sends the checkout's tracked files (~17 MB, models/ included) plus what a call carries, 64 MiB in
# all. Jars are deflate-compressed one by one; stored uncompressed inside one xz stream instead they take less than
# half (the services' dependencies: 52 MB as jars, 21 MB so), which is what lets runtime, services and tests travel
# in one call. run.sh unpacks the payload into /tmp (the jars stay uncompressed there, which Java reads as well).
#
# Usage: scripts/gpu/bundle.sh [--out DIR] [--lib all|cuda]   (default /work/main/.device/gpu: inside the tree the
# device tool sends, git-ignored there). `--lib cuda` keeps only the engine's own dependencies (no services). Prints
# the sizes; fails when the bundle plus the tracked files would not fit the tool's 64 MiB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=/work/main/.device/gpu
LIB=all
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --lib) LIB=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
source "$ROOT/scripts/lib/jdk.sh"
longctx_use_jdk bundle
JUNIT=6.0.3
M2=${M2_REPO:-$HOME/.m2/repository}
SERVICES=(tokenizer-service inference-service gateway-service)

cd "$ROOT"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/app" "$STAGE/lib" "$STAGE/test" "$STAGE/tools"
MODULES=(inference-engine)
[ "$LIB" = cuda ] || MODULES+=("${SERVICES[@]}")
echo "[bundle] building ${MODULES[*]} (the engine's nvcc step included) and their runtime class paths"
./mvnw -q -B -pl "$(IFS=,; echo "${MODULES[*]}")" -am package -DskipTests dependency:build-classpath \
  -Dmdep.outputFile=target/runtime.cp -DincludeScope=runtime
./mvnw -q -B dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT >/dev/null
ls inference-engine/target/classes/cuda/*.fatbin >/dev/null 2>&1 || { echo "[bundle] no CUDA kernels were built (nvcc missing?)" >&2; exit 1; }

# One shared lib folder; app/<module>.cp lists the jar names of one module's class path in order (each service
# gets exactly its own dependencies, not the union), app/<service>.jar is the service's plain (not repackaged) jar.
for m in "${MODULES[@]}"; do
  jar="$m/target/$m.jar"
  [ "$m" = inference-engine ] || jar="$m/target/$m.jar.original"
  cp "$jar" "$STAGE/lib/$m.jar"
  names=("$m.jar")
  IFS=: read -r -a deps < "$m/target/runtime.cp" || true   # the file has no final newline
  for d in "${deps[@]}"; do
    [ -n "$d" ] || continue
    [ -f "$d" ] || { echo "[bundle] $m's class path has $d, not a jar" >&2; exit 1; }
    cp -n "$d" "$STAGE/lib/"
    names+=("$(basename "$d")")
  done
  (IFS=:; echo "${names[*]}") > "$STAGE/app/$m.cp"
done

# Not needed on the GPU machine: other platforms' natives, HTTP/3 natives, the eval heatmaps' charting (xchart and
# the PDF/vector-graphics libraries under it), the CUDA runtime/NVRTC/PTX-compiler bindings (only the driver API is used).
rm -f "$STAGE"/lib/netty-codec-native-quic-*-*.jar "$STAGE"/lib/netty-resolver-dns-native-macos-*.jar \
      "$STAGE"/lib/xchart-*.jar "$STAGE"/lib/VectorGraphics2D-*.jar "$STAGE"/lib/graphics2d-*.jar \
      "$STAGE"/lib/pdfbox-*.jar "$STAGE"/lib/fontbox-*.jar "$STAGE"/lib/animated-gif-lib-*.jar
strip_jar() { local jar=$1; shift; zip -q -d "$jar" "$@" >/dev/null 2>&1 || true; }
for j in "$STAGE"/lib/tokenizers-*.jar; do strip_jar "$j" 'native/lib/linux-aarch64/*' 'native/lib/osx-*' 'native/lib/win-*'; done
for j in "$STAGE"/lib/jna-*.jar; do strip_jar "$j" 'com/sun/jna/win32-*' 'com/sun/jna/darwin*' 'com/sun/jna/*bsd*' 'com/sun/jna/aix*' 'com/sun/jna/sunos*' 'com/sun/jna/linux-a*' 'com/sun/jna/linux-[m-z]*' 'com/sun/jna/linux-loong*' 'com/sun/jna/dragonfly*' 'com/sun/jna/linux-x86/*'; done
for j in "$STAGE"/lib/jcuda-natives-*.jar; do strip_jar "$j" 'lib/libJNvPTXCompiler*' 'lib/libJNvrtc*' 'lib/libJCudaRuntime*'; done

# Test classes only: fixtures and the default model come from the checkout the device tool sends.
(cd inference-engine/target/test-classes && zip -q -r "$STAGE/test/engine-tests.jar" . -i '*.class')
cp "$M2/org/junit/platform/junit-platform-console-standalone/$JUNIT/junit-platform-console-standalone-$JUNIT.jar" "$STAGE/test/"
cp "$M2"/org/assertj/assertj-core/3.27.7/assertj-core-3.27.7.jar "$STAGE/test/"
cp tools/bench_torch_prefill.py scripts/gpu/gpubench_summary.py "$STAGE/tools/"

echo "[bundle] storing jars uncompressed for one xz stream"
for j in "$STAGE"/lib/*.jar "$STAGE"/test/*.jar; do
  x=$(mktemp -d)
  (cd "$x" && unzip -q -o "$j" && rm -f "$j" && zip -q -0 -r -X "$j" .)
  rm -rf "$x"
done

mkdir -p "$OUT"
rm -rf "$OUT/app" "$OUT/lib" "$OUT/test" "$OUT/tools"
tar -C "$STAGE" -cf - app lib test tools | xz -T2 -9 > "$OUT/payload.tar.xz.tmp"
mv "$OUT/payload.tar.xz.tmp" "$OUT/payload.tar.xz"

if [ ! -f "$OUT/jre.tar.xz" ]; then
  echo "[bundle] jlink: Java runtime for the engine and services"
  tmp=$(mktemp -d)
  # java.desktop: Jinjava needs java.beans; the rest are what the engine's and services' jars use.
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,jdk.unsupported,java.desktop,java.management,java.naming,java.net.http,java.sql,java.xml,java.scripting,jdk.crypto.ec \
    --strip-debug --no-header-files --no-man-pages --output "$tmp/jre"
  tar -C "$tmp" -cf - jre | xz -T2 -9e > "$OUT/jre.tar.xz"
  rm -rf "$tmp"
fi
cp scripts/gpu/run.sh "$OUT/run.sh"
cp scripts/gpu/decode-variants.sh scripts/gpu/bundle-env.sh "$OUT/"

echo "[bundle] $OUT:"
du -sh "$OUT"/* | sed 's/^/  /'
bundle=$(du -sb "$OUT" | cut -f1)
tracked=$(git -C "$ROOT" ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
echo "  total $((bundle / 1048576)) MiB + tracked files $((tracked / 1048576)) MiB of the device tool's 64 MiB"
if [ $((bundle + tracked)) -gt $((64 * 1048576)) ]; then
  echo "[bundle] too large for one device call" >&2
  exit 1
fi
