#!/usr/bin/env bash
# The committed fatbins of an earlier commit, for run-device.sh's `ab` step (carry the folder with the call):
#   bench/gpu/base-kernels.sh COMMIT [DIR]     writes DIR/<module>.fatbin and DIR/COMMIT (default DIR: target/kernels/<sha>,
#                                              the commit's 7-digit abbreviation; carry target/kernels)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ $# -ge 1 ] || { echo "usage: bench/gpu/base-kernels.sh COMMIT [DIR]" >&2; exit 2; }
commit="$(git rev-parse --verify "$1^{commit}")"
dir="${2:-target/kernels/${commit:0:7}}"
rm -rf "$dir"; mkdir -p "$dir"
for m in mlp_forward mlp_backward distances policy_init dense elementwise; do
  git show "$commit:resources/policyzip/cuda/$m.fatbin" > "$dir/$m.fatbin"
done
git log -1 --format='%H %s' "$commit" > "$dir/COMMIT"
echo "base-kernels: $dir holds the fatbins of $(cut -c1-12 "$dir/COMMIT")"
