#!/usr/bin/env bash
# The whole GPU check in one call, for a GPU machine with no JDK and no Maven (TOOLCHAIN.md, GPU runtime): needs
# target/policyzip.jar and a jlink runtime in jre25/ (bench/gpu/make-jre.sh) carried beside the working tree.
#   OUT=/some/dir bench/gpu/run-device.sh      raw output of every step under $OUT
# Steps (each under its own timeout, all in about 6 minutes): the device, `policyzip info`, `policyzip selfcheck
# --backend cuda` (every kernel against its CPU twin, synchronising after every launch), `policyzip bench` on cuda
# and on the CPU for the same workloads, and the PyTorch yardstick (bench/gpu/torch_forward.py).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT="${OUT:-bench/results/device-$(date +%Y-%m-%d)}"
mkdir -p "$OUT"
JAVA="${JAVA:-jre25/bin/java}"
JAR=target/policyzip.jar
[ -x "$JAVA" ] || { echo "run-device: no Java runtime at $JAVA (make one with bench/gpu/make-jre.sh and carry jre25/)" >&2; exit 2; }
[ -f "$JAR" ] || { echo "run-device: $JAR is missing (build it with ./policyzip info or mvn package, and carry it)" >&2; exit 2; }
PZ=("$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$JAR")
step() {   # step NAME SECONDS COMMAND...: output to $OUT/NAME.txt, status to $OUT/status.txt and the console
  local name="$1" secs="$2"; shift 2
  local t0=$SECONDS
  timeout "$secs" "$@" > "$OUT/$name.txt" 2>&1
  local rc=$?
  echo "$name rc=$rc $((SECONDS - t0))s" | tee -a "$OUT/status.txt"
  tail -n 4 "$OUT/$name.txt"
}
: > "$OUT/status.txt"
{ date -u; nvidia-smi; nvidia-smi --query-gpu=name,clocks.max.sm,clocks.sm,power.limit --format=csv; "$JAVA" -version; } > "$OUT/device.txt" 2>&1
W=gpu-fwd-small,gpu-fwd-medium,gpu-fwd-large,fwd-small,fwd-medium,fwd-large,knn-20k,descriptors-medium,descriptors-large
step info 60 "${PZ[@]}" info
step selfcheck 180 env POLICYZIP_CUDA_SYNC=1 "${PZ[@]}" selfcheck --backend cuda
step bench-cuda 150 "${PZ[@]}" bench --backend cuda -w "$W" --reps 5 --seconds 1 --warmup 1 --json "$OUT/bench-cuda.json"
step bench-cpu 150 "${PZ[@]}" bench --backend cpu -w "$W" --reps 3 --seconds 1 --warmup 1 --json "$OUT/bench-cpu.json"
step torch 120 python3 bench/gpu/torch_forward.py --reps 20 --json "$OUT/torch.json"
cat "$OUT/status.txt"
