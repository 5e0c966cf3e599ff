#!/usr/bin/env bash
# A/B of two kernel builds on one warm GPU (run-device.sh's `ab` step; METHOD.md: time both versions in one call):
#   bench/gpu/ab.sh BASE WORKLOADS RAW JAVA-COMMAND...
# A is the jar's own kernels, B the fatbins in folder BASE (bench/gpu/base-kernels.sh COMMIT), loaded through
# POLICYZIP_CUDA_KERNELS. Both run the jar's launch code, so B must be a build whose kernels take the same arguments.
# Runs A B A B (alternating, so that a drift of the card's clock shows as a spread between rounds, not as a
# difference between A and B), each `policyzip bench --reps 3` of WORKLOADS with its JSON in RAW, then the per-kernel
# profile of AB_PROFILE_W (default ae-large-512) under A and under B.
set -uo pipefail
[ $# -ge 4 ] || { echo "usage: bench/gpu/ab.sh BASE WORKLOADS RAW JAVA-COMMAND..." >&2; exit 2; }
base="$1" w="$2" raw="$3"; shift 3
be="${AB_BACKEND:-cuda}" pw="${AB_PROFILE_W:-ae-large-512}"   # AB_BACKEND=cuda-emu: a dry run where there is no GPU
[ -f "$base/mlp_forward.fatbin" ] || { echo "ab: $base holds no fatbins (make them with bench/gpu/base-kernels.sh COMMIT)" >&2; exit 2; }
cat "$base/COMMIT" 2>/dev/null | sed 's/^/B = /'
for r in 1 2; do
  echo "== A: this jar's kernels, round $r"
  "$@" bench --backend "$be" -w "$w" --reps 3 --seconds 1 --warmup 1 --json "$raw/ab-A$r.json"
  echo "== B: POLICYZIP_CUDA_KERNELS=$base, round $r"
  POLICYZIP_CUDA_KERNELS="$base" "$@" bench --backend "$be" -w "$w" --reps 3 --seconds 1 --warmup 1 --json "$raw/ab-B$r.json"
done
echo "== A: profile of $pw"
POLICYZIP_CUDA_PROFILE=1 "$@" bench --backend "$be" -w "$pw" --reps 1 --seconds 1 --warmup 1
echo "== B: profile of $pw"
POLICYZIP_CUDA_KERNELS="$base" POLICYZIP_CUDA_PROFILE=1 "$@" bench --backend "$be" -w "$pw" --reps 1 --seconds 1 --warmup 1
