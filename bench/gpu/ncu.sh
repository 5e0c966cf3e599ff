#!/usr/bin/env bash
# Hardware counters of the kernels that decide the GPU targets (run-device.sh's `ncu` step), for the next change to
# be aimed at a measured bottleneck rather than a guess (METHOD.md: read what costs no device time first, then this):
#   bench/gpu/ncu.sh RAW JAVA-COMMAND...
# Nsight Compute with --clock-control none (the card's clocks are left alone) and the sections that say where a
# kernel's time goes: speed of light, occupancy, launch, warp states (stall reasons), scheduler and instruction
# statistics. Few sections: each is replayed per profiled launch, with the launch's output memory restored every pass.
# Two runs: the cacheless large forward (gpu-fwd-large, one launch of mlp_forward_large_a1), and the first
# ae-large-512 step's GEMM-like launches (forwards, layered backward, dense GEMMs; not Adam or the element-wise
# kernels, which move memory at its speed already). Text reports in RAW/ncu-*.txt, the binary reports beside them
# (.ncu-rep, for the Nsight Compute GUI). ncu reads counters on Firecracker machines, not on gVisor (KINDS.md): there
# it fails, and the step records how.
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: bench/gpu/ncu.sh RAW JAVA-COMMAND..." >&2; exit 2; }
raw="$1"; shift
NCU="$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | tail -1)"
[ -n "$NCU" ] || { echo "ncu: Nsight Compute is not on this machine" >&2; exit 2; }
SECTIONS=(--section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats --section SchedulerStats
          --section InstructionStats)
"$NCU" --version | tail -1
echo "== gpu-fwd-large: one launch of mlp_forward_large_a1"
"$NCU" --clock-control none "${SECTIONS[@]}" --kernel-name mlp_forward_large_a1 --launch-skip 1 --launch-count 1 \
  -o "$raw/ncu-fwd-large" -f "$@" bench --backend cuda -w gpu-fwd-large --reps 1 --seconds 0.2 --warmup 0.1 > "$raw/ncu-fwd-large.log" 2>&1
echo "rc=$?"; "$NCU" --import "$raw/ncu-fwd-large.ncu-rep" --print-units base > "$raw/ncu-fwd-large.txt" 2>&1
echo "== ae-large-512: the first step's GEMM-like launches"
"$NCU" --clock-control none "${SECTIONS[@]}" \
  --kernel-name 'regex:^(mlp_forward_large_a1|mlp_bwd_dw_t10|mlp_bwd_dx_t8|mlp_bwd_dw_thin_out|mlp_bwd_dw_thin_in|dense_gemm_nt|dense_gemm_tn|dense_gemm_nn|dense_splitk_reduce)$' \
  --launch-count 36 -o "$raw/ncu-ae-large-512" -f "$@" bench --backend cuda -w ae-large-512 --reps 1 --seconds 0.1 --warmup 0 \
  > "$raw/ncu-ae-large-512.log" 2>&1
echo "rc=$?"; "$NCU" --import "$raw/ncu-ae-large-512.ncu-rep" --print-units base > "$raw/ncu-ae-large-512.txt" 2>&1
# The lines that answer "where does the time go", per kernel, for the console.
for f in "$raw"/ncu-fwd-large.txt "$raw"/ncu-ae-large-512.txt; do
  echo "== $(basename "$f")"
  grep -E '^  [a-z_0-9]+.*\(|Duration|Compute \(SM\) Throughput|Memory Throughput|Achieved Occupancy|Issue Slots Busy|No Eligible|Registers Per Thread' "$f" | head -120
done
