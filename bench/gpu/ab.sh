#!/usr/bin/env bash
# A/B of kernel builds on one warm GPU (run-device.sh's `ab` step; METHOD.md: time the versions in one call):
#   bench/gpu/ab.sh BASES WORKLOADS RAW JAVA-COMMAND...
# A is the jar's own kernels; each of BASES (comma-separated folders of another build's fatbins, made by
# bench/gpu/base-kernels.sh COMMIT) is a B, loaded through POLICYZIP_CUDA_KERNELS. All run the jar's launch code, so a
# B must be a build whose kernels take the same arguments (it may lack CudaBackend.OPTIONAL_KERNELS). Two rounds of
# A, B1, B2, ... (alternating, so that a drift of the card's clock shows as a spread between rounds, not as a
# difference between builds), each `policyzip bench --reps 3` of WORKLOADS with its JSON in RAW, then the per-kernel
# profile of AB_PROFILE_W (default ae-large-512) under each build. Several bases attribute a gain to the commits
# between them: BASES=target/kernels/<start>,target/kernels/<middle>.
set -uo pipefail
[ $# -ge 4 ] || { echo "usage: bench/gpu/ab.sh BASES WORKLOADS RAW JAVA-COMMAND..." >&2; exit 2; }
bases="$1" w="$2" raw="$3"; shift 3
be="${AB_BACKEND:-cuda}" pw="${AB_PROFILE_W:-ae-large-512}"   # AB_BACKEND=cuda-emu: a dry run where there is no GPU
IFS=, read -r -a B <<< "$bases"
for d in "${B[@]}"; do
  [ -f "$d/mlp_forward.fatbin" ] || { echo "ab: $d holds no fatbins (make them with bench/gpu/base-kernels.sh COMMIT)" >&2; exit 2; }
  echo "B $d = $(cat "$d/COMMIT" 2>/dev/null || echo '(no COMMIT file)')"
done
run() {   # run LABEL KERNELS-FOLDER-OR-EMPTY ARGS...: one policyzip command under that build
  local label="$1" dir="$2"; shift 2
  echo "== $label${dir:+: POLICYZIP_CUDA_KERNELS=$dir}"
  if [ -n "$dir" ]; then POLICYZIP_CUDA_KERNELS="$dir" "${JAVA_CMD[@]}" "$@"; else "${JAVA_CMD[@]}" "$@"; fi
}
JAVA_CMD=("$@")
for r in 1 2; do
  run "A (this jar's kernels), round $r" "" bench --backend "$be" -w "$w" --reps 3 --seconds 1 --warmup 1 --json "$raw/ab-A$r.json"
  for i in "${!B[@]}"; do
    run "B$((i + 1)), round $r" "${B[$i]}" bench --backend "$be" -w "$w" --reps 3 --seconds 1 --warmup 1 --json "$raw/ab-B$((i + 1))-$r.json"
  done
done
export POLICYZIP_CUDA_PROFILE=1   # the per-kernel table, printed when the backend closes
run "A: profile of $pw" "" bench --backend "$be" -w "$pw" --reps 1 --seconds 1 --warmup 1
for i in "${!B[@]}"; do
  run "B$((i + 1)): profile of $pw" "${B[$i]}" bench --backend "$be" -w "$pw" --reps 1 --seconds 1 --warmup 1
done
