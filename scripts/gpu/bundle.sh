#!/usr/bin/env bash
# Builds here everything the GPU machine needs (it has no network, no Maven and no Java) into one git-ignored
# folder, which the device tool carries:
#
#   OUT/jre.tar.xz      a jlink'ed Java 25 runtime (stripped; unpacked by run.sh) — rebuilt only when missing
#   OUT/app/*.jar       thin application jars (today the engine; the three Spring services' plain jars go here too)
#   OUT/lib/*.jar       one shared folder of dependency jars, other platforms' natives stripped (DJL tokenizers,
#                       JNA, jcuda-natives keeps only the driver binding), so services and engine share them
#   OUT/test/*.jar      the engine's test classes, JUnit's console launcher and AssertJ (for run.sh's GPU tests)
#   OUT/tools/          the PyTorch reference (tools/bench_torch_prefill.py) and the gpubench summary
#   OUT/run.sh          what the device call executes (GPU tests, kernel benchmark, PyTorch reference, summary)
#
# Usage: scripts/gpu/bundle.sh [--out DIR] [--lib all|bench|cuda]   (default: /work/main/.device/gpu, inside the tree
# the device tool sends; /.device/ is git-ignored there). Prints the bundle's size: with the ~17 MB of tracked files
# it must stay under the tool's 64 MiB. `--lib cuda` keeps only the jars the GPU tests and the kernel benchmark need
# (JCuda); `--lib bench` adds what the engine's CLI needs for `bench prefill` / `bench decode` (picocli, Jackson 3,
# common) and leaves out the tokenizer, chat template and chart libraries those commands never load: the whole
# engine's dependencies (26 MB stripped, 5 MB of it DJL's tokenizer library) plus the 22 MB runtime and the tracked
# files come to ~69 MB, over the limit.
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
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JUNIT=6.0.3
M2=${M2_REPO:-$HOME/.m2/repository}

cd "$ROOT"
echo "[bundle] building the engine (nvcc step included) and its test classes"
./mvnw -q -B -pl inference-engine -am package -DskipTests
./mvnw -q -B dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT >/dev/null
ls inference-engine/target/classes/cuda/*.fatbin >/dev/null 2>&1 || { echo "[bundle] no CUDA kernels were built (nvcc missing?)" >&2; exit 1; }

mkdir -p "$OUT"
rm -rf "$OUT/app" "$OUT/lib" "$OUT/test" "$OUT/tools"
mkdir -p "$OUT/app" "$OUT/lib" "$OUT/test" "$OUT/tools"

if [ ! -f "$OUT/jre.tar.xz" ]; then
  echo "[bundle] jlink: Java runtime for the engine and services"
  tmp=$(mktemp -d)
  # java.desktop: Jinjava needs java.beans; the rest are what the engine's and services' jars use.
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,jdk.unsupported,java.desktop,java.management,java.naming,java.net.http,java.sql,java.xml,java.scripting,jdk.crypto.ec \
    --strip-debug --no-header-files --no-man-pages --output "$tmp/jre"
  tar -C "$tmp" -cf - jre | xz -T2 -6 > "$OUT/jre.tar.xz"
  rm -rf "$tmp"
fi

cp inference-engine/target/inference-engine.jar "$OUT/app/"
case "$LIB" in
  cuda) cp inference-engine/target/lib/jcuda*.jar "$OUT/lib/" ;;
  bench) for j in jcuda picocli jackson-core-3 jackson-databind-3 jackson-annotations common-[0-9]; do
           cp inference-engine/target/lib/$j*.jar "$OUT/lib/"
         done ;;
  all) cp inference-engine/target/lib/*.jar "$OUT/lib/" ;;
  *) echo "[bundle] --lib must be all, bench or cuda, got $LIB" >&2; exit 2 ;;
esac
# Natives of other platforms out: the GPU machine is linux x86-64.
strip_jar() { local jar=$1; shift; zip -q -d "$jar" "$@" >/dev/null 2>&1 || true; }
for j in "$OUT"/lib/tokenizers-*.jar; do strip_jar "$j" 'native/lib/linux-aarch64/*' 'native/lib/osx-*' 'native/lib/win-*'; done
for j in "$OUT"/lib/jna-*.jar; do strip_jar "$j" 'com/sun/jna/win32-*' 'com/sun/jna/darwin*' 'com/sun/jna/*bsd*' 'com/sun/jna/aix*' 'com/sun/jna/sunos*' 'com/sun/jna/linux-a*' 'com/sun/jna/linux-[m-z]*' 'com/sun/jna/linux-loong*' 'com/sun/jna/dragonfly*' 'com/sun/jna/linux-x86/*'; done
for j in "$OUT"/lib/jcuda-natives-*.jar; do strip_jar "$j" 'lib/libJNvPTXCompiler*' 'lib/libJNvrtc*' 'lib/libJCudaRuntime*'; done

# Test classes only (the fixtures under test resources are not needed by the GPU tests).
(cd inference-engine/target/test-classes && zip -q -r "$OUT/test/engine-tests.jar" . -i '*.class')
cp "$M2/org/junit/platform/junit-platform-console-standalone/$JUNIT/junit-platform-console-standalone-$JUNIT.jar" "$OUT/test/"
cp "$M2"/org/assertj/assertj-core/3.27.7/assertj-core-3.27.7.jar "$OUT/test/"
cp tools/bench_torch_prefill.py scripts/gpu/gpubench_summary.py "$OUT/tools/"
cp scripts/gpu/run.sh "$OUT/run.sh"
echo "[bundle] $OUT:"
du -sh "$OUT"/* | sed 's/^/  /'
du -sh "$OUT" | sed 's/^/  total /'
