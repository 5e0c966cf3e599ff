#!/usr/bin/env bash
# The follow-up to run-device.sh, in one call, with the same carried target/policyzip.jar and jre25/:
#   OUT=/some/dir bench/gpu/run-followup.sh
# It checks and times what changed after the first GPU run: the 128 × 128 GEMM tile (cuda/dense.cu) and the returns
# step's larger policy batches.
# Steps, most important first (each under a timeout, all within DEADLINE seconds, default 260): selfcheck on cuda as
# CudaBackend plans the tiles; the training steps ae-medium, ae-large and ae-large-512 with the planned tiles, with
# the 64 tile forced, and planned again (A/B/A: the two A runs give the spread); PyTorch's same steps
# (bench/gpu/torch_ae_step.py) as the yardstick; a dataset's returns step at the old and new batch sizes
# (returns-large-34, returns-large, returns-medium); `policyzip demo --backend cuda` end to end; selfcheck with the
# 128 tile forced on every dense case (-Dpolicyzip.cuda.gemmTile=128); a per-kernel profile of ae-large-512 and
# ae-large with the planned tiles and with the 64 tile (POLICYZIP_CUDA_PROFILE=1).
# Raw output is packed into $OUT/raw.tar.gz after every step (the device returns at most 8 files).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT="${OUT:-bench/results/device-$(date +%Y-%m-%d)}"
RAW="${RAW:-/tmp/policyzip-device-raw}"
mkdir -p "$OUT" "$RAW"
JAVA="${JAVA:-jre25/bin/java}"
JAR=target/policyzip.jar
[ -x "$JAVA" ] || { echo "run-followup: no Java runtime at $JAVA (bench/gpu/make-jre.sh, carry jre25/)" >&2; exit 2; }
[ -f "$JAR" ] || { echo "run-followup: $JAR is missing (./policyzip info builds it; carry it)" >&2; exit 2; }
JOPT=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
DEADLINE="${DEADLINE:-260}"
pack() { cp "$OUT/status.txt" "$RAW/"; tar czf "$OUT/raw.tar.gz.part" -C "$RAW" . && mv "$OUT/raw.tar.gz.part" "$OUT/raw.tar.gz"; }
step() {   # step NAME SECONDS COMMAND...
  local name="$1" secs="$2"; shift 2
  local left=$((DEADLINE - SECONDS))
  if [ "$left" -lt 15 ]; then echo "$name skipped: ${left}s left of DEADLINE=$DEADLINE" | tee -a "$OUT/status.txt"; return; fi
  [ "$secs" -gt "$left" ] && secs=$left
  local t0=$SECONDS
  timeout "$secs" "$@" > "$RAW/$name.txt" 2>&1
  echo "$name rc=$? $((SECONDS - t0))s" | tee -a "$OUT/status.txt"
  tail -n 5 "$RAW/$name.txt" | tr '\r' '\n' | tail -n 5
  pack
}
: > "$OUT/status.txt"
{ date -u; nvidia-smi --query-gpu=name,clocks.max.sm,clocks.sm,power.limit,temperature.gpu --format=csv; } > "$RAW/device.txt" 2>&1
W=ae-medium,ae-large,ae-large-512
B=(bench --backend cuda -w "$W" --reps 3 --seconds 1 --warmup 1)
step selfcheck 90 env POLICYZIP_CUDA_SYNC=1 "$JAVA" "${JOPT[@]}" -jar "$JAR" selfcheck --backend cuda
step bench-auto-1 40 "$JAVA" "${JOPT[@]}" -jar "$JAR" "${B[@]}" --json "$RAW/bench-auto-1.json"
step bench-tile64 40 "$JAVA" "${JOPT[@]}" -Dpolicyzip.cuda.gemmTile=64 -jar "$JAR" "${B[@]}" --json "$RAW/bench-tile64.json"
step bench-auto-2 40 "$JAVA" "${JOPT[@]}" -jar "$JAR" "${B[@]}" --json "$RAW/bench-auto-2.json"
step torch-ae 40 python3 bench/gpu/torch_ae_step.py --reps 30 --json "$RAW/torch-ae.json"
step bench-returns 45 "$JAVA" "${JOPT[@]}" -jar "$JAR" bench --backend cuda -w returns-large-34,returns-large,returns-medium --reps 3 --seconds 1 --warmup 1 --json "$RAW/bench-returns.json"
step demo-cuda 60 "$JAVA" "${JOPT[@]}" -jar "$JAR" demo --backend cuda --dir /tmp/policyzip-demo
mkdir -p "$RAW/demo"; cp /tmp/policyzip-demo/*.csv /tmp/policyzip-demo/*.png "$RAW/demo/" 2>/dev/null; pack
step selfcheck-tile128 70 env POLICYZIP_CUDA_SYNC=1 "$JAVA" "${JOPT[@]}" -Dpolicyzip.cuda.gemmTile=128 -jar "$JAR" selfcheck --backend cuda --no-training
P=(bench --backend cuda -w ae-large-512,ae-large --reps 1 --seconds 1 --warmup 1)
step profile-auto 30 env POLICYZIP_CUDA_PROFILE=1 "$JAVA" "${JOPT[@]}" -jar "$JAR" "${P[@]}"
step profile-tile64 30 env POLICYZIP_CUDA_PROFILE=1 "$JAVA" "${JOPT[@]}" -Dpolicyzip.cuda.gemmTile=64 -jar "$JAR" "${P[@]}"
cat "$OUT/status.txt"
