#!/usr/bin/env bash
# Compiles cuda/*.cu into the fatbins that CudaBackend loads from the jar, and records what they were built from.
#   native-build/build-kernels.sh           build resources/policyzip/cuda/<name>.fatbin (+ SOURCES.sha256, ptxas report)
#   native-build/build-kernels.sh --check   rebuild into a temporary folder and compare with the committed files
# Each fatbin holds SASS for sm_90 (H100/H200, no JIT) and PTX for compute_80 (any newer GPU JITs it); TOOLCHAIN.md.
# -fmad=false: no implicit multiply-add contraction, so the kernels' arithmetic is exactly what the source writes
# (the CPU twins' order; cuda/common.cuh). Needs nvcc >= 12.8 (13.0 here); building PolicyZip itself never does.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
NVCC="${NVCC:-nvcc}"
FLAGS=(-fatbin -O3 -fmad=false -std=c++17
       -gencode arch=compute_90,code=sm_90 -gencode arch=compute_80,code=compute_80)
KERNELS=(mlp_forward mlp_backward distances policy_init dense elementwise)
out="resources/policyzip/cuda"

build() {   # build DIR
  local dir="$1"
  mkdir -p "$dir"
  command -v "$NVCC" >/dev/null || { echo "build-kernels: $NVCC not found (CUDA toolkit >= 12.8 needed)" >&2; exit 2; }
  for k in "${KERNELS[@]}"; do
    "$NVCC" "${FLAGS[@]}" -o "$dir/$k.fatbin" "cuda/$k.cu"
  done
  sources_sha > "$dir/SOURCES.sha256"
  # Registers and spills per kernel for sm_90 (informational; not compared by --check).
  for k in "${KERNELS[@]}"; do
    "$NVCC" -cubin -O3 -fmad=false -std=c++17 -arch=sm_90 -Xptxas -v -o /dev/null "cuda/$k.cu" 2>&1 \
      | sed -n 's/^ptxas info *: //p; s/^ *\([0-9]* bytes stack frame.*\)/  \1/p' | grep -v '^Compiling entry.*sm_90.$' || true
  done > "$dir/ptxas-report.txt"
}

# sha256 of every kernel source and of this script (its flags), in a fixed order: what the fatbins were built from.
# KernelSourcesTest recomputes the same lines in Java, so CI (no nvcc) notices a source edited without a rebuild.
sources_sha() {
  (for f in cuda/*.cu cuda/*.cuh native-build/build-kernels.sh; do echo "$f"; done) | LC_ALL=C sort | while read -r f; do
    sha256sum "$f"
  done
}

if [ "${1:-}" = "--check" ]; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  build "$tmp"
  status=0
  for f in SOURCES.sha256 "${KERNELS[@]/%/.fatbin}"; do
    if ! cmp -s "$tmp/$f" "$out/$f"; then echo "build-kernels --check: $out/$f differs from a fresh build" >&2; status=1; fi
  done
  [ "$status" = 0 ] && echo "build-kernels --check: committed kernels match cuda/ sources"
  exit "$status"
fi
build "$out"
ls -l "$out"
