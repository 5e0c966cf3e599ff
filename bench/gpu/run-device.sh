#!/usr/bin/env bash
# The whole GPU check in one call, for a GPU machine with no JDK and no Maven (TOOLCHAIN.md, GPU runtime): needs
# target/policyzip.jar and a jlink runtime in jre25/ (bench/gpu/make-jre.sh) carried beside the working tree.
#   OUT=/some/dir bench/gpu/run-device.sh      raw output of every step under $OUT
# Steps, most important first, each under its own timeout and all under DEADLINE seconds (default 450; a step that
# would start past it is skipped and says so): the device; `policyzip info`; `policyzip selfcheck --backend cuda`
# (every kernel against its CPU twin, synchronising after every launch, then 100 training steps on the GPU and on
# the CPU from one seed); `policyzip bench` on cuda; a per-kernel profile of ae-large-512 (POLICYZIP_CUDA_PROFILE=1);
# the PyTorch yardsticks (bench/gpu/torch_ae_step.py,
# torch_forward.py); `policyzip bench` on the CPU for the same workloads; `policyzip demo --backend cuda` (dataset,
# training and recovery end to end on the device); then `policyzip reproduce mountaincar --backend cuda` at full
# scale for whatever time is left (it resumes from its folder, so a cut-off run is a partial table, never a wrong one).
# The device tool returns at most 8 files, so the raw output is packed into $OUT/raw.tar.gz after every step (a run
# killed at its limit still returns everything up to its last finished step) beside $OUT/status.txt.
# gemm: the dense layers on cuBLAS (POLICYZIP_CUDA_GEMM=cublas) checked, then timed against the kernels (bench/gpu/gemm.sh).
# STEPS=name,name runs only those steps (names: info selfcheck sanitize bench-cuda profile ab gemm ncu torch-ae torch-fwd bench-cpu
# demo-cuda reproduce-full); the full-scale table alone, for instance: STEPS=info,reproduce-full DEADLINE=560.
# ncu: Nsight Compute's counters for the large forward and the kernels of an ae-large-512 step (bench/gpu/ncu.sh).
# sanitize: compute-sanitizer's memcheck, racecheck and synccheck over the quick selfcheck (bench/gpu/sanitize.sh).
# ab (only when BASE names folders of other builds' fatbins, comma-separated, made by bench/gpu/base-kernels.sh COMMIT
# and carried): the kernels of this jar (A) against each BASE (B, through POLICYZIP_CUDA_KERNELS) on AB_W's workloads,
# two alternating rounds on the same warm GPU, then the per-kernel profile of ae-large-512 under each (bench/gpu/ab.sh).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT="${OUT:-bench/results/device-$(date +%Y-%m-%d)}"
RAW="${RAW:-/tmp/policyzip-device-raw}"
mkdir -p "$OUT" "$RAW"
JAVA="${JAVA:-jre25/bin/java}"
JAR=target/policyzip.jar
[ -x "$JAVA" ] || { echo "run-device: no Java runtime at $JAVA (make one with bench/gpu/make-jre.sh and carry jre25/)" >&2; exit 2; }
[ -f "$JAR" ] || { echo "run-device: $JAR is missing (build it with ./policyzip info or mvn package, and carry it)" >&2; exit 2; }
PZ=("$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$JAR")
DEADLINE="${DEADLINE:-450}"
STEPS="${STEPS:-all}"   # a comma-separated subset of the step names below, e.g. STEPS=info,reproduce-full
KNOWN=",info,selfcheck,sanitize,bench-cuda,profile,ab,gemm,ncu,torch-ae,torch-fwd,bench-cpu,demo-cuda,reproduce-full,"
if [ "$STEPS" != all ]; then
  for s in ${STEPS//,/ }; do
    [[ "$KNOWN" == *",$s,"* ]] || { echo "run-device: unknown step '$s' in STEPS (known: ${KNOWN:1:-1})" >&2; exit 2; }
  done
fi
step() {   # step NAME SECONDS COMMAND...: output to $RAW/NAME.txt, status to $OUT/status.txt and the console
  local name="$1" secs="$2"; shift 2
  if [ "$STEPS" != all ] && [[ ",$STEPS," != *",$name,"* ]]; then return; fi
  local left=$((DEADLINE - SECONDS))
  if [ "$left" -lt 20 ]; then echo "$name skipped: ${left}s left of DEADLINE=$DEADLINE" | tee -a "$OUT/status.txt"; return; fi
  [ "$secs" -gt "$left" ] && secs=$left
  local t0=$SECONDS started
  started="$(date -u +%T)"
  timeout "$secs" "$@" > "$RAW/$name.txt" 2>&1
  local rc=$?
  echo "$name rc=$rc $((SECONDS - t0))s from $started UTC" | tee -a "$OUT/status.txt"
  tail -n 4 "$RAW/$name.txt" | tr '\r' '\n' | tail -n 4
  pack
}
pack() { cp "$OUT/status.txt" "$RAW/"; tar czf "$OUT/raw.tar.gz.part" -C "$RAW" . && mv "$OUT/raw.tar.gz.part" "$OUT/raw.tar.gz"; }
: > "$OUT/status.txt"
{ date -u; nvidia-smi; nvidia-smi --query-gpu=name,clocks.max.sm,clocks.sm,power.limit --format=csv; "$JAVA" -version; } > "$RAW/device.txt" 2>&1
# The SM clock, power and temperature every 200 ms for the whole run (clocks.csv): the fp32 peak that %peak divides by
# assumes the maximum clock, and this says what the card ran at under each step's load (status.txt has the step times).
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,utilization.gpu --format=csv -lms 200 \
  > "$RAW/clocks.csv" 2>&1 &
SMI=$!
trap 'kill $SMI 2>/dev/null' EXIT
W=gpu-fwd-small,gpu-fwd-medium,gpu-fwd-large,fwd-small,fwd-medium,fwd-large,knn-20k,descriptors-medium,descriptors-large,ae-medium,ae-large,ae-large-512,returns-medium,returns-large,bwd-large,gpu-bwd-large,gpu-fwd-large-cache
step info 30 "${PZ[@]}" info
step selfcheck 150 env POLICYZIP_CUDA_SYNC=1 "${PZ[@]}" selfcheck --backend cuda
step sanitize 240 bench/gpu/sanitize.sh "${PZ[@]}"
step bench-cuda 120 "${PZ[@]}" bench --backend cuda -w "$W" --reps 5 --seconds 1 --warmup 1 --json "$RAW/bench-cuda.json"
step profile 40 env POLICYZIP_CUDA_PROFILE=1 "${PZ[@]}" bench --backend cuda -w ae-large-512 --reps 1 --seconds 1 --warmup 1
if [ -n "${BASE:-}" ]; then
  step ab 240 bench/gpu/ab.sh "$BASE" "${AB_W:-gpu-fwd-large,gpu-fwd-large-cache,gpu-bwd-large,ae-large-512}" "$RAW" "${PZ[@]}"
fi
step gemm 240 bench/gpu/gemm.sh "$RAW" "${PZ[@]}"
step ncu 240 bench/gpu/ncu.sh "$RAW" "${PZ[@]}"
step torch-ae 60 python3 bench/gpu/torch_ae_step.py --reps 30 --json "$RAW/torch-ae.json"
step torch-fwd 60 python3 bench/gpu/torch_forward.py --reps 20 --json "$RAW/torch-fwd.json"
step bench-cpu 120 "${PZ[@]}" bench --backend cpu -w "$W" --reps 3 --seconds 1 --warmup 1 --json "$RAW/bench-cpu.json"
step demo-cuda 120 "${PZ[@]}" demo --backend cuda --dir /tmp/policyzip-demo   # its dataset and checkpoint stay there:
mkdir -p "$RAW/demo"; cp /tmp/policyzip-demo/*.csv /tmp/policyzip-demo/*.png "$RAW/demo/" 2>/dev/null; pack   # 16 MiB a file
# the full-scale table with what is left; its working folder (datasets, checkpoints) stays on the device machine
step reproduce-full $((DEADLINE - SECONDS)) "${PZ[@]}" reproduce mountaincar --backend cuda --dir "${REPRO_DIR:-/tmp/policyzip-reproduce}"
ls -l --time-style=+%FT%T "${REPRO_DIR:-/tmp/policyzip-reproduce}" > "$RAW/reproduce-files.txt" 2>&1; pack
cat "$OUT/status.txt"
