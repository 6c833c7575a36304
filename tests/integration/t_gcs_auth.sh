#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Google credentials in Application Default Credentials order against a
# local token endpoint that verifies the JWT signature with the public half
# of a key made here (tests/integration/gcs_token_server.py): a
# service-account key, a refused key, the gcloud authorized_user file, the
# metadata server. Tokens are shared, renewed before expiry, never logged.
set -euo pipefail
: "${LYB_BUILD:?LYB_BUILD must point at the build directory}"
: "${LYB_SRC:?LYB_SRC must point at the source directory}"
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }

. "$LYB_SRC/tests/integration/gcs_lib.sh"

W=$(mktemp -d /tmp/lyb-auth.XXXXXX)
trap 'rc=$?; set +e; stop_py_server; rm -rf "$W"; exit $rc' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_server: a fresh token server (fresh counters); sets PORT
start_server() { start_py_server gcs_token_server.py "$W/pub.pem" 4; }

# sa_file KEY.pem OUT: a service-account key file for KEY.pem
sa_file() {
	/usr/bin/python3 - "$1" "$2" "$PORT" <<'PY'
import json, sys
key, out, port = sys.argv[1:4]
json.dump({"type": "service_account", "project_id": "lyb-test",
           "private_key_id": "k1", "private_key": open(key).read(),
           "client_email": "lyb-test@lyb-test.iam.gserviceaccount.com",
           "token_uri": "http://127.0.0.1:%s/token" % port},
          open(out, "w"))
PY
}

# run CASE ARGS...: the client, its log checked for secrets
run() {
	local name=$1
	shift
	"$LYB_BUILD/tests/gcs_auth" "$PORT" "$@" 2>"$W/$name.log" ||
		{ cat "$W/$name.log" >&2; cat "$W/server.log" >&2; fail "$name"; }
	if grep -qE 'ya29\.|s3cret|1//refresh|PRIVATE KEY' "$W/$name.log"; then
		fail "$name: a secret reached the log"
	fi
	echo "ok: $name"
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/key.pem" 2>/dev/null
openssl pkey -in "$W/key.pem" -pubout -out "$W/pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/other.pem" 2>/dev/null
mkdir -p "$W/home" "$W/empty"
export HOME=$W/home CLOUDSDK_CONFIG=$W/empty GCE_METADATA_HOST=127.0.0.1:1
unset STORAGE_EMULATOR_HOST GOOGLE_APPLICATION_CREDENTIALS

start_server
sa_file "$W/key.pem" "$W/sa.json"
GOOGLE_APPLICATION_CREDENTIALS=$W/sa.json run service_account service_account

start_server
sa_file "$W/other.pem" "$W/sa-other.json"
GOOGLE_APPLICATION_CREDENTIALS=$W/sa-other.json run refused service_account bad

start_server
printf '{"type": "authorized_user", "client_id": "cid.apps.googleusercontent.com",
 "client_secret": "s3cret", "refresh_token": "1//refresh",
 "token_uri": "http://127.0.0.1:%s/token"}\n' "$PORT" >"$W/gcloud.json"
CLOUDSDK_CONFIG=$W/gcloud-dir
mkdir -p "$CLOUDSDK_CONFIG"
cp "$W/gcloud.json" "$CLOUDSDK_CONFIG/application_default_credentials.json"
run authorized_user authorized_user
CLOUDSDK_CONFIG=$W/empty

start_server
GCE_METADATA_HOST=127.0.0.1:$PORT run metadata metadata
echo PASS
