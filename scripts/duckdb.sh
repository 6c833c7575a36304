#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# DuckDB's Node.js client (@duckdb/node-api, which ships its own DuckDB
# binary) from npm, for tests/integration/t_json_tools.sh: DuckDB reads
# data.jsonl as a table, as its users would.
#
#   scripts/duckdb.sh install   install into the cache (idempotent)
#   scripts/duckdb.sh path      print the node_modules directory
#
# The install goes to ${LYB_CACHE:-$HOME/.cache/lybfs}/duckdb and is
# reused. Exit 3: node/npm missing or the install failed (tests skip on it).
set -euo pipefail

VERSION=1.5.6-r.1
CACHE=${LYB_CACHE:-$HOME/.cache/lybfs}/duckdb
PKG=$CACHE/node_modules/@duckdb/node-api

die() { echo "duckdb: $*" >&2; exit "${2:-1}"; }

install() {
	[ -f "$PKG/package.json" ] && return 0
	command -v node >/dev/null && command -v npm >/dev/null ||
		die "node and npm are needed (apt-get install nodejs npm)" 3
	mkdir -p "$(dirname "$CACHE")"
	# one installer at a time; the others wait and reuse its result
	exec 9>"$CACHE.lock"
	flock 9
	if [ ! -f "$PKG/package.json" ]; then
		local tmp=$CACHE.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp"
		echo '{"name":"lyb-json-tools-test","private":true}' >"$tmp/package.json"
		echo "duckdb: installing @duckdb/node-api@$VERSION into $CACHE" >&2
		if ! (cd "$tmp" && timeout 300 npm install --no-audit --no-fund \
			--loglevel=error "@duckdb/node-api@$VERSION" >"$tmp/npm.log" 2>&1); then
			tail -n 20 "$tmp/npm.log" >&2
			rm -rf "$tmp"
			die "npm install @duckdb/node-api@$VERSION failed" 3
		fi
		rm -rf "$CACHE"
		mv "$tmp" "$CACHE"
	fi
	flock -u 9
}

case ${1:-} in
install) install ;;
path) [ -f "$PKG/package.json" ] || die "not installed (scripts/duckdb.sh install)" 3
	echo "$CACHE/node_modules" ;;
*) die "usage: scripts/duckdb.sh install|path" ;;
esac
