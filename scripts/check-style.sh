#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The house style that a script can check (docs/style.md):
# clang-format clean, no banned string functions, and third-party headers
# only inside the module that wraps each.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests -name '*.[ch]')

if command -v clang-format >/dev/null; then
	for f in $files; do
		clang-format --dry-run --Werror "$f" >/dev/null 2>&1 ||
			{ echo "style: $f: not clang-formatted (clang-format -i $f)"; rc=1; }
	done
else
	echo "style: clang-format not installed, formatting not checked"
fi

if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)\(' $files; then
	echo "style: banned function above (use snprintf, memcpy, strtol)"
	rc=1
fi

# header -> the files allowed to include it
check_header() {
	local header=$1 allowed=$2 f
	for f in $(grep -lE "#include <$header" $files || true); do
		[[ $f =~ $allowed ]] || { echo "style: $f includes <$header>, only $allowed may"; rc=1; }
	done
}
check_header 'curl/' '^src/core/http\.c$'
check_header 'jansson\.h' '^src/(core/(catalog_json\.[ch]|catalog2\.c|schema\.c|gcs\.c|auth\.c|audit\.c|portal\.c)|lyb/json\.c)$'
check_header 'avro\.h' '^src/core/(schema|decode)\.c$'
check_header 'openssl/' '^src/core/(digest|auth)\.c$'
check_header 'zlib\.h' '^src/core/(export|decode)\.c$'
check_header 'lzma\.h' '^src/core/decode\.c$'
check_header 'fuse' '^src/lybfs/'
check_header 'microhttpd\.h' '^src/(lyb/cmd_serve|lybfs/metrics_http)\.c$'
# tests make Unix accounts only through lib.sh's accounts, which ctest
# locks by name (tests/CMakeLists.txt): a direct useradd is not locked
if grep -nE '^[^#]*\b(useradd|groupadd)\b' tests/integration/*.sh |
	grep -v '^tests/integration/lib\.sh:'; then
	echo "style: a test makes accounts above: use accounts (tests/integration/lib.sh)"
	rc=1
fi
# the core's layers point one way (scripts/check-layers.sh)
bash scripts/check-layers.sh || rc=1
exit $rc
