#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The GCS client under injected faults (5xx, 429, resets mid-body, stalls,
# wrong ranges, lost upload answers): runs tests/prog/gcs_faults.c
# against tests/integration/gcs_fault_server.py.
set -euo pipefail
: "${LYB_BUILD:?LYB_BUILD must point at the build directory}"
: "${LYB_SRC:?LYB_SRC must point at the source directory}"

. "$LYB_SRC/tests/integration/gcs_lib.sh"

W=$(mktemp -d /tmp/lyb-gcs.XXXXXX)
trap 'rc=$?; set +e; stop_py_server; rm -rf "$W"; exit $rc' EXIT
start_py_server gcs_fault_server.py
LYB_TEST_GCS_FAULTS=127.0.0.1:$PORT "$LYB_BUILD/tests/gcs_faults"
