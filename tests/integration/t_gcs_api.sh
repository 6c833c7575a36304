#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The GCS client and the gs:// store against a real GCS JSON API server:
# runs tests/prog/gcs_api.c with the emulator up (no mount, no root).
set -euo pipefail
: "${LYB_BUILD:?LYB_BUILD must point at the build directory}"
: "${LYB_SRC:?LYB_SRC must point at the source directory}"
. "$LYB_SRC/tests/integration/gcs_lib.sh"

W=$(mktemp -d /tmp/lyb-gcs.XXXXXX)
trap 'rc=$?; set +e; stop_gcs_emulator; rm -rf "$W"; exit $rc' EXIT
start_gcs_emulator "$W/emu"
"$LYB_BUILD/tests/gcs_api"
