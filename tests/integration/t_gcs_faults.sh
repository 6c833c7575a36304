#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The GCS client under injected faults (5xx, 429, resets mid-body, stalls,
# wrong ranges, lost upload answers): runs tests/prog/gcs_faults.c
# against tests/integration/gcs_fault_server.py.
set -euo pipefail
: "${LYB_BUILD:?LYB_BUILD must point at the build directory}"
: "${LYB_SRC:?LYB_SRC must point at the source directory}"

W=$(mktemp -d /tmp/lyb-gcs.XXXXXX)
SRV_PID=
cleanup() {
	local rc=$?
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT

/usr/bin/python3 "$LYB_SRC/tests/integration/gcs_fault_server.py" >"$W/port" 2>"$W/log" &
SRV_PID=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || { cat "$W/log" >&2; echo "FAIL: fault server did not start" >&2; exit 1; }
LYB_TEST_GCS_FAULTS=127.0.0.1:$(head -n 1 "$W/port") "$LYB_BUILD/tests/gcs_faults"
