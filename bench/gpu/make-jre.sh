#!/usr/bin/env bash
# A trimmed Java 25 runtime for the GPU machines, which have no JDK (TOOLCHAIN.md, GPU runtime): jre25/ at the
# repository root (git-ignored), 45 MB; carry it with target/policyzip.jar to run bench/gpu/run-device.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
rm -rf jre25
"$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.incubator.vector,jdk.unsupported \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 \
  --add-options="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED" --output jre25
du -sh jre25
