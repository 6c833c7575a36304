#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README command two: install what is missing, build with -Werror, and run
# every test (unit and integration, which mount real FUSE file systems).
#   scripts/test.sh [ctest args...]      e.g. scripts/test.sh -L unit
# BUILD_DIR overrides the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DLYB_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure --timeout 900 "$@"
