#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A local GCS JSON API server for tests and demos: the Firebase Storage
# emulator from firebase-tools, started by scripts/gcs-emulator.js without
# its Java rules runtime (every request is allowed).
#
#   scripts/gcs-emulator.sh install      install firebase-tools into the cache
#   scripts/gcs-emulator.sh start DIR [PORT]
#                                        start one instance with state in DIR,
#                                        on PORT (default: a free one); prints
#                                        its port (also in DIR/port)
#   scripts/gcs-emulator.sh stop DIR     stop it (its objects are deleted)
#
# Then: export STORAGE_EMULATOR_HOST=127.0.0.1:PORT
# Google's gcloud writes to it too (multipart and resumable uploads; see
# gcs-emulator.js), with these in its environment:
#   CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=http://127.0.0.1:PORT/storage/v1/
#   CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true CLOUDSDK_CORE_PROJECT=lyb-test
# The install (npm, ~2.5 min, ~310 MB) goes to
# ${LYB_CACHE:-$HOME/.cache/lybfs}/firebase-tools and is reused.
# Exit 3: node/npm missing or the install failed (tests skip on it).
set -euo pipefail

VERSION=15.34.2
CACHE=${LYB_CACHE:-$HOME/.cache/lybfs}/firebase-tools
PKG=$CACHE/node_modules/firebase-tools
JS=$(cd "$(dirname "$0")" && pwd)/gcs-emulator.js

. "$(dirname "$0")/npm-cache.sh"
die() { echo "gcs-emulator: $*" >&2; exit "${2:-1}"; }

install() { npm_cache_install gcs-emulator "$CACHE" node_modules/firebase-tools/lib/emulator/storage/index.js "firebase-tools@$VERSION"; }

start() {
	local dir=$1 want=${2:-} port
	case $want in
	'' | [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9] | [1-9][0-9][0-9][0-9][0-9]) ;;
	*) die "start: PORT must be a number from 1 to 65535, not '$want'" ;;
	esac
	[ -z "$want" ] || [ "$want" -le 65535 ] || die "start: PORT $want is past 65535"
	install
	mkdir -p "$dir/tmp"
	dir=$(cd "$dir" && pwd)
	: >"$dir/port"
	# own TMPDIR: the emulator keeps (and on stop deletes) blobs there
	TMPDIR=$dir/tmp node "$JS" "$PKG" $want >"$dir/port" 2>"$dir/log" </dev/null &
	echo $! >"$dir/pid"
	for _ in $(seq 300); do
		port=$(head -n 1 "$dir/port")
		[ -n "$port" ] && { echo "$port"; return 0; }
		kill -0 "$(cat "$dir/pid")" 2>/dev/null ||
			die "the emulator exited: $(tail -n 5 "$dir/log")"
		sleep 0.1
	done
	stop "$dir"
	die "the emulator did not start within 30 s"
}

stop() {
	local dir=$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	if kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/pid"
}

case ${1:-} in
install) install ;;
start) [ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: $0 start DIR [PORT]"; start "$2" "${3:-}" ;;
stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 install | start DIR [PORT] | stop DIR" ;;
esac
