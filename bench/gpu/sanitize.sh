#!/usr/bin/env bash
# compute-sanitizer on the CUDA kernels (run-device.sh's `sanitize` step): memcheck (out-of-bounds and misaligned
# accesses), racecheck (shared-memory hazards between threads of a block: a missing or misplaced barrier) and
# synccheck (barriers reached by only part of a block), each over `policyzip selfcheck --backend cuda --quick
# --no-training` (277 cases: every kernel, the edge sizes, the large nets at B = 2). The emulator runs a block's
# threads as fibers, so only a real GPU can show a race. Works on Firecracker machines, not on gVisor (KINDS.md).
#   bench/gpu/sanitize.sh JAVA-COMMAND...
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: bench/gpu/sanitize.sh JAVA-COMMAND..." >&2; exit 2; }
CS="$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer 2>/dev/null | tail -1)"
[ -n "$CS" ] || { echo "sanitize: compute-sanitizer is not on this machine" >&2; exit 2; }
status=0
for tool in memcheck racecheck synccheck; do
  echo "== $tool"
  "$CS" --tool "$tool" --error-exitcode 9 --print-limit 20 "$@" selfcheck --backend cuda --quick --no-training --seed 1 2>&1 \
    | grep -v '^WARNING: Using incubator' | tail -n 25
  rc=${PIPESTATUS[0]}
  echo "$tool rc=$rc"
  [ "$rc" = 0 ] || status=1
done
exit "$status"
