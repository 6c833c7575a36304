#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the libFuzzer builds of the fuzz harnesses (tests/fuzz/) for longer
# than ctest does: clang, -fsanitize=fuzzer,address,undefined, into
# build-fuzz (BUILD_DIR overrides).
#   scripts/fuzz.sh [SECONDS [HARNESS...]]   default: 60 s each, all
#   e.g. scripts/fuzz.sh 600 avro catalog
# New inputs that reach new code go to build-fuzz/corpus/<harness>/ (kept
# between runs); a crash, leak, timeout or out-of-memory input goes to
# build-fuzz/artifacts/<harness>/ and the script fails. Fix the bug, then
# copy the input into tests/fuzz/corpus/<harness>/ as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
# clang (and its libFuzzer runtime) only for this job, not for the build
scripts/deps.sh clang
build=${BUILD_DIR:-build-fuzz}
# -Werror is for gcc, the CI compiler: clang warns about other things
CC=clang cmake -S . -B "$build" -DLYB_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DLYB_SANITIZE=address,undefined -DLYB_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1 ||
	{ tail -n 40 "$build/build.log"; exit 1; }

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		f=${f##*/fuzz_}
		harnesses+=("${f%.c}")
	done
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
rc=0
for h in "${harnesses[@]}"; do
	mkdir -p "$build/corpus/$h" "$build/artifacts/$h"
	seeds=("tests/fuzz/corpus/$h")
	[ "$h" = catalog ] && seeds+=(tests/data/catalog/valid tests/data/catalog/invalid)
	echo "fuzz.sh: $h for ${seconds}s"
	"$build/tests/fuzz/fuzz_${h}_libfuzzer" -max_total_time="$seconds" \
		-timeout=10 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$h/" \
		"$build/corpus/$h" "${seeds[@]}" 2>"$build/fuzz-$h.log" ||
		{
			rc=1
			tail -n 40 "$build/fuzz-$h.log"
			echo "fuzz.sh: $h FAILED: input in $build/artifacts/$h/" >&2
			continue
		}
	grep -E '^stat::number_of_executed_units|^Done' "$build/fuzz-$h.log" || true
done
exit $rc
