#!/usr/bin/env bash
# Compiles the CUDA kernels into one fatbin per .cu file under OUT_DIR/cuda (the Maven build passes
# target/classes, so they ship in the jar as resources): SASS for sm_90 (H100/H200) and sm_80 (A100), plus
# compute_80 PTX that the driver JIT-compiles on any newer GPU. Without nvcc it writes a marker instead, and the
# CUDA layer reports "built without nvcc: the jar has no CUDA kernels"; the build itself never fails for that.
# nvcc is taken from PATH (or NVCC); LONGCTX_NVCC_FLAGS adds flags (e.g. -Xptxas -v).
set -euo pipefail
OUT_DIR=${1:?usage: build.sh OUT_DIR}
SRC_DIR=$(cd "$(dirname "$0")" && pwd)
DEST="$OUT_DIR/cuda"
mkdir -p "$DEST"
NVCC=${NVCC:-$(command -v nvcc 2>/dev/null || true)}
if [ -z "$NVCC" ] || [ ! -x "$NVCC" ]; then
  echo "[cuda] nvcc not found: building without CUDA kernels (set NVCC or put nvcc on PATH to build them)"
  rm -f "$DEST"/*.fatbin
  echo "built without nvcc" > "$DEST/BUILT_WITHOUT_NVCC"
  exit 0
fi
rm -f "$DEST/BUILT_WITHOUT_NVCC"
ARCHS=(-gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_80,code=compute_80)
pids=()
for src in "$SRC_DIR"/*.cu; do
  name=$(basename "$src" .cu)
  out="$DEST/$name.fatbin"
  # Rebuild only when the source or a header is newer than the fatbin.
  if [ -f "$out" ] && [ -z "$(find "$src" "$SRC_DIR"/*.cuh "$0" -newer "$out" 2>/dev/null)" ]; then continue; fi
  echo "[cuda] $NVCC $name.cu -> cuda/$name.fatbin"
  "$NVCC" -fatbin -O3 -std=c++17 -lineinfo "${ARCHS[@]}" ${LONGCTX_NVCC_FLAGS:-} -o "$out" "$src" &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
