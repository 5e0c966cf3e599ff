#!/usr/bin/env bash
# Builds the CPU emulator of the CUDA kernels (cuda/README.md, "The CUDA emulator"): every cuda/*.cu compiled as C++20 by g++
# with native-build/cuda-emu/emu.h, plus the emulator's runtime, into native/cuda-emu/libpzcudaemu.so, which
# `--backend cuda-emu` and the tests load through java.lang.foreign; and native-build/cuda-emu/test-kernels.cu (kernels
# that break the rules on purpose, for the emulator's own tests) into native/cuda-emu/libpzcudaemu-test.so.
# Idempotent: a second run returns at once unless a source, this script or the compiler changed.
#
#   native-build/cuda-emu.sh            build when something changed
#   native-build/cuda-emu.sh --force    build again
#
# Kernels are registered automatically: each .cu is preprocessed, its extern "C" __global__ functions are listed, and
# a generated C++ file registers them with a template that unpacks cuLaunchKernel's void** arguments into the exact
# parameter types (native-build/cuda-emu/gen.py). Arithmetic: -ffp-contract=off -fno-fast-math, so, like the GPU
# build's -fmad=false, fmaf() is the only fused multiply-add. Needs g++ >= 10 (C++20) and python3; the result is
# git-ignored, and nothing here is needed to build the jar, only to run the emulator and its tests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
me="native-build/cuda-emu.sh"
emu="native-build/cuda-emu"
dest="native/cuda-emu"
CXX="${CXX:-g++}"
FLAGS=(-std=c++20 -O2 -fPIC -ffp-contract=off -fno-fast-math -fno-strict-aliasing -fvisibility=hidden
       -fno-extern-tls-init -Wall -Wno-unknown-pragmas -Wno-unused-function)
# Kernels only: every access through a pointer checks its type's alignment (a float4 at a 16-byte boundary, a float at
# 4) and traps otherwise, as a GPU faults on a misaligned address; the runtime turns the trap into the launch's error.
KERNEL_FLAGS=(-fsanitize=alignment -fsanitize-undefined-trap-on-error)

command -v "$CXX" >/dev/null || { echo "$me: $CXX not found; the emulator needs g++ >= 10 (apt install g++)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "$me: python3 is needed to generate the kernel table (apt install python3)" >&2; exit 2; }
major="$("$CXX" -dumpversion | cut -d. -f1)"
[ "${major:-0}" -ge 10 ] 2>/dev/null || { echo "$me: $CXX $("$CXX" -dumpversion) is too old; C++20 needs g++ >= 10" >&2; exit 2; }

# What the libraries are built from: the kernels, the emulator and this script (their sha256, in a fixed order),
# and the compiler.
sources=()
while IFS= read -r f; do sources+=("$f"); done < <(ls cuda/*.cu cuda/*.cuh "$emu"/* "$me" 2>/dev/null | LC_ALL=C sort)
stamp="$( (sha256sum "${sources[@]}"; "$CXX" --version | head -1; echo "flags ${FLAGS[*]} ${KERNEL_FLAGS[*]}") | sha256sum | cut -c1-64)"
if [ "${1:-}" != "--force" ] && [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$stamp" ]; then
  echo "$me: native/cuda-emu is up to date with cuda/ (--force to rebuild)"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "$me: compiling the CUDA emulator (cuda/*.cu with g++ $("$CXX" -dumpversion))" >&2

# compile_cu SRC OUTBASE: list the kernels of SRC, generate OUTBASE.emu.cpp, compile it to OUTBASE.s, add the kernels'
# static shared arrays (measured from that code) and assemble OUTBASE.o.
compile_cu() {
  local cu="$1" base="$2" dir
  dir="$(dirname "$cu")"
  "$CXX" "${FLAGS[@]}" -E -P -DPZ_EMU_LIST -I"$emu" -include emu.h -x c++ "$cu" -o "$base.ii"
  python3 "$emu/gen.py" kernels "$base.ii" "$cu" "$base.emu.cpp" > "$base.names"
  "$CXX" "${FLAGS[@]}" "${KERNEL_FLAGS[@]}" -I"$emu" -I"$dir" -S "$base.emu.cpp" -o "$base.s"
  python3 "$emu/gen.py" shared "$base.s" "$base.names" "$cu"
  "$CXX" -c "$base.s" -o "$base.o"
}

# build_lib NAME SOURCES...: compile each .cu (in parallel), link with the runtime.
build_lib() {
  local name="$1"; shift
  local d="$work/$name" pids=() i=0 cu failed=0
  mkdir -p "$d"
  for cu in "$@"; do
    compile_cu "$cu" "$d/$i" 2> "$d/$i.log" &
    pids+=("$!")
    i=$((i + 1))
  done
  i=0
  for cu in "$@"; do
    if ! wait "${pids[$i]}"; then
      cat "$d/$i.log" >&2
      echo "$me: building $cu failed (see above)" >&2
      failed=1
    elif [ -s "$d/$i.log" ]; then
      cat "$d/$i.log" >&2
    fi
    i=$((i + 1))
  done
  [ "$failed" = 0 ] || exit 2
  cat "$d"/*.names > "$d/all.names"
  if [ -n "$(sort "$d/all.names" | uniq -d)" ]; then
    echo "$me: kernels defined in more than one file: $(sort "$d/all.names" | uniq -d | tr '\n' ' ')" >&2; exit 2
  fi
  python3 "$emu/gen.py" sources "$d/sources.cpp" "${sources[@]}"
  "$CXX" "${FLAGS[@]}" -c "$d/sources.cpp" -o "$d/sources.o"
  "$CXX" -shared -o "$work/out/$name" "$work/runtime.o" "$d"/[0-9]*.o "$d/sources.o" \
    -Wl,-z,defs -Wl,-z,noexecstack -ldl -lpthread \
    || { echo "$me: linking $name failed (see above)" >&2; exit 2; }
  echo "$me: $name: $(wc -l < "$d/all.names") kernels from $*" >&2
}

mkdir -p "$work/out"
"$CXX" "${FLAGS[@]}" -I"$emu" -c "$emu/runtime.cpp" -o "$work/runtime.o" \
  || { echo "$me: g++ failed on $emu/runtime.cpp (see above)" >&2; exit 2; }
kernels=(cuda/*.cu)
[ -e "${kernels[0]}" ] || { echo "$me: no cuda/*.cu files (run from the PolicyZip folder)" >&2; exit 2; }
build_lib libpzcudaemu.so "${kernels[@]}"
build_lib libpzcudaemu-test.so "$emu/test-kernels.cu"

echo "$stamp" > "$work/out/.complete"
mkdir -p native
rm -rf "$dest.tmp"
mv "$work/out" "$dest.tmp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$me: built $dest/libpzcudaemu.so and $dest/libpzcudaemu-test.so"
