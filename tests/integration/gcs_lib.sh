# SPDX-License-Identifier: Apache-2.0
# Shared by the t_gcs_*.sh tests (sourced, not run): starts a GCS JSON API
# server (the Firebase Storage emulator, scripts/gcs-emulator.sh) with its
# state in $1 and exports STORAGE_EMULATOR_HOST. Skips (77) when node/npm
# or the firebase-tools install are not available. The caller's EXIT trap
# must run stop_gcs_emulator.

GCS_EMU_DIR=
SRV_PID=

# start_py_server SCRIPT ARGS...: one of our test servers (a Python script
# here that prints its port first) with its log in $W/server.log; sets
# SRV_PID and PORT. Stops the one started before. The EXIT trap must run
# stop_py_server.
start_py_server() {
	stop_py_server
	: >"$W/port"
	/usr/bin/python3 "$LYB_SRC/tests/integration/$1" "${@:2}" >"$W/port" 2>"$W/server.log" &
	SRV_PID=$!
	for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.1; done
	PORT=$(head -n 1 "$W/port")
	[ -n "$PORT" ] || { echo "FAIL: $1 did not start: $(cat "$W/server.log")" >&2; exit 1; }
}

stop_py_server() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=
	fi
}

# start_gcs_emulator DIR [PORT]
start_gcs_emulator() {
	local port rc=0
	GCS_EMU_DIR=$1
	port=$("$LYB_SRC/scripts/gcs-emulator.sh" start "$GCS_EMU_DIR" ${2:+"$2"}) || rc=$?
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

# use_gcloud: points Google's own client, gcloud, at the emulator (with a
# configuration of its own under $W, no credentials); skips (77) when
# gcloud is not installed. The emulator's wrapper takes what gcloud
# sends (scripts/gcs-emulator.js).
use_gcloud() {
	command -v gcloud >/dev/null || { echo "SKIP: gcloud is not installed"; exit 77; }
	export CLOUDSDK_CONFIG=$W/gcloud
	export CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=http://$STORAGE_EMULATOR_HOST/storage/v1/
	export CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true CLOUDSDK_CORE_PROJECT=lyb-test
	export CLOUDSDK_CORE_DISABLE_PROMPTS=1 CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true
	mkdir -p "$CLOUDSDK_CONFIG"
}

# gcloud_upload FILE BUCKET NAME: FILE as gs://BUCKET/NAME, by gcloud
# storage cp (multipart, or resumable past 8 MiB); use_gcloud first.
gcloud_upload() {
	gcloud storage cp --no-user-output-enabled "$1" "gs://$2/$3"
}
