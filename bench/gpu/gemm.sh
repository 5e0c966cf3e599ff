#!/usr/bin/env bash
# The dense layers' GEMMs on cuBLAS against cuda/dense.cu's kernels, on one warm GPU (run-device.sh's `gemm` step):
#   bench/gpu/gemm.sh RAW JAVA-COMMAND...
# 1. Finds cuBLAS: POLICYZIP_CUBLAS_LIB if set, else libcublas.so.13 or .12 under the nvidia/ folders of python3's
#    site-packages (PyTorch's CUDA wheels bring it; the GPU machines have no CUDA toolkit libraries on the loader path).
# 2. Correctness first: `selfcheck --backend cuda` with POLICYZIP_CUDA_GEMM=cublas and a synchronise after every
#    launch (every dense case against its CPU twin, the long reductions at P = 121,801, then the 100-step training twin);
#    its exit status is recorded, and the timing runs either way.
# 3. Two rounds of kernels, cublas (alternating, so that a drift of the card's clock shows as a spread between rounds),
#    each `policyzip bench --reps 3` of WORKLOADS (GEMM_W, default ae-medium,ae-large,ae-large-512) with its JSON in RAW.
# 4. The per-kernel profile of GEMM_PROFILE_W (default ae-large-512) on cuBLAS (cuBLAS's calls appear as cublasSgemm_nt, _tn and _nn,
#    after the kernels they replace).
# GEMM_BACKEND=cuda-emu dry-runs it without a GPU (the emulator's cuBLAS twin; no timing meaning): with
# GEMM_W=ae-medium GEMM_PROFILE_W=ae-medium, as the emulator is far too slow for the large workloads.
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: bench/gpu/gemm.sh RAW JAVA-COMMAND..." >&2; exit 2; }
raw="$1"; shift
be="${GEMM_BACKEND:-cuda}" w="${GEMM_W:-ae-medium,ae-large,ae-large-512}"
# The first libcublas.so.13 (else .12) under the nvidia/ folders of python3's site-packages.
FIND_CUBLAS='
import glob, os, site, sys
roots = site.getsitepackages() + [site.getusersitepackages()]
for so in ("libcublas.so.13", "libcublas.so.12"):
    for r in roots:
        hits = sorted(glob.glob(os.path.join(r, "nvidia", "**", so), recursive=True))
        if hits:
            print(hits[0])
            sys.exit(0)
sys.exit(1)
'
if [ "$be" = cuda ] && [ -z "${POLICYZIP_CUBLAS_LIB:-}" ]; then
  POLICYZIP_CUBLAS_LIB="$(python3 -c "$FIND_CUBLAS")" \
    || { echo "gemm: no libcublas.so.13 or .12 under python3's site-packages; set POLICYZIP_CUBLAS_LIB" >&2; exit 2; }
  export POLICYZIP_CUBLAS_LIB
fi
if [ "$be" = cuda ]; then echo "cuBLAS: $POLICYZIP_CUBLAS_LIB"; else echo "cuBLAS: the emulator's twin"; fi
run() {   # run GEMM ARGS...: one policyzip command with POLICYZIP_CUDA_GEMM=GEMM
  local g="$1"; shift
  echo "== POLICYZIP_CUDA_GEMM=$g $*"
  POLICYZIP_CUDA_GEMM="$g" "$@"
}
run cublas env POLICYZIP_CUDA_SYNC=1 "$@" selfcheck --backend "$be"
check=$?
# A failed selfcheck is recorded, not fatal: cuBLAS sums in its own order, so the training twin's 1e-5 early tolerance
# (set on kernels that follow the CPU's order) may be missed without a bug, and the device time is too scarce to lose
# the timing too. The per-case lines above say which check failed.
[ "$check" -eq 0 ] || echo "gemm: selfcheck on cuBLAS exited $check; the timings below are of a path that did not pass it"
for r in 1 2; do
  for g in kernels cublas; do
    run "$g" "$@" bench --backend "$be" -w "$w" --reps 3 --seconds 1 --warmup 1 --json "$raw/gemm-$g-$r.json"
  done
done
POLICYZIP_CUDA_PROFILE=1 run cublas "$@" bench --backend "$be" -w "${GEMM_PROFILE_W:-ae-large-512}" --reps 1 --seconds 1 --warmup 1
exit "$check"
