#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A local GCS JSON API server for tests and demos: the Firebase Storage
# emulator from firebase-tools, started by scripts/gcs-emulator.js without
# its Java rules runtime (every request is allowed).
#
#   scripts/gcs-emulator.sh install      install firebase-tools into the cache
#   scripts/gcs-emulator.sh start DIR    start one instance with state in DIR;
#                                        prints its port (also in DIR/port)
#   scripts/gcs-emulator.sh stop DIR     stop it (its objects are deleted)
#
# Then: export STORAGE_EMULATOR_HOST=127.0.0.1:PORT
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
	local dir=$1 port
	install
	mkdir -p "$dir/tmp"
	dir=$(cd "$dir" && pwd)
	: >"$dir/port"
	# own TMPDIR: the emulator keeps (and on stop deletes) blobs there
	TMPDIR=$dir/tmp node "$JS" "$PKG" >"$dir/port" 2>"$dir/log" </dev/null &
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
start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 install | start DIR | stop DIR" ;;
esac
