#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README command two: install what is missing, build with -Werror, and run
# every test (unit, style, and integration tests that mount real FUSE file
# systems); then the same suite again built with AddressSanitizer and
# UndefinedBehaviorSanitizer, which abort on the first error.
#   scripts/test.sh [ctest args...]      e.g. scripts/test.sh -L unit
# BUILD_DIR overrides the build directory (default: build);
# LYB_TEST_SANITIZE=0 skips the sanitizer pass. The normal build runs the
# catalog tests on both formats (integration/f1/*); the sanitizer pass on
# format 2, the one new catalogs get.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# the GCS emulator (npm, minutes on first use, then cached): once, here,
# not inside a test's timeout; without it the gs:// tests say SKIP
scripts/gcs-emulator.sh install ||
	echo "test.sh: no GCS emulator: the t_gcs_api and t_gcs_mount tests will be skipped" >&2
# playwright-core (npm) drives Debian's chromium in the portal's browser
# test: installed here too, out of the test's timeout
scripts/playwright.sh install ||
	echo "test.sh: no playwright-core: t_portal_browser will be skipped" >&2
# @duckdb/node-api (npm) reads data.jsonl in t_json_tools: also up front
scripts/duckdb.sh install >/dev/null ||
	echo "test.sh: no DuckDB: t_json_tools will be skipped" >&2
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DLYB_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
# two at a time: most tests wait on mounts, refreshes and servers; each
# has its own directories and ports, and tests that share a Unix account
# hold a lock on it (tests/CMakeLists.txt), so they never overlap
ctest --test-dir "$build" --output-on-failure --timeout 900 -j"$(nproc)" "$@"

if [ "${LYB_TEST_SANITIZE:-1}" != 0 ]; then
	echo "test.sh: again with -fsanitize=address,undefined"
	cmake -S . -B "$build-asan" -DLYB_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
		-DLYB_SANITIZE=address,undefined -DLYB_TEST_FORMAT1=OFF >/dev/null
	cmake --build "$build-asan" -j"$(nproc)"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --test-dir "$build-asan" --output-on-failure --timeout 900 -j"$(nproc)" -E '^style$' "$@"
fi
