# SPDX-License-Identifier: Apache-2.0
# Shared by the t_gcs_*.sh tests (sourced, not run): starts a GCS JSON API
# server (the Firebase Storage emulator, scripts/gcs-emulator.sh) with its
# state in $1 and exports STORAGE_EMULATOR_HOST. Skips (77) when node/npm
# or the firebase-tools install are not available. The caller's EXIT trap
# must run stop_gcs_emulator.

GCS_EMU_DIR=

start_gcs_emulator() {
	local port rc=0
	GCS_EMU_DIR=$1
	port=$("$LYB_SRC/scripts/gcs-emulator.sh" start "$GCS_EMU_DIR") || rc=$?
	if [ $rc -eq 3 ]; then
		echo "SKIP: no GCS emulator (scripts/gcs-emulator.sh install failed)"
		exit 77
	fi
	[ $rc -eq 0 ] || { echo "FAIL: the GCS emulator did not start" >&2; exit 1; }
	export STORAGE_EMULATOR_HOST=127.0.0.1:$port
}

stop_gcs_emulator() {
	[ -n "$GCS_EMU_DIR" ] && "$LYB_SRC/scripts/gcs-emulator.sh" stop "$GCS_EMU_DIR" || true
}

# gcs_upload FILE BUCKET NAME: a media upload of FILE as gs://BUCKET/NAME.
gcs_upload() {
	local name
	name=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$3")
	curl -sf -o /dev/null -X POST --data-binary "@$1" \
		"http://$STORAGE_EMULATOR_HOST/upload/storage/v1/b/$2/o?uploadType=media&name=$name"
}
