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

. "$(dirname "$0")/npm-cache.sh"
die() { echo "duckdb: $*" >&2; exit "${2:-1}"; }

install() { npm_cache_install duckdb "$CACHE" node_modules/@duckdb/node-api/package.json "@duckdb/node-api@$VERSION"; }

case ${1:-} in
install) install ;;
path) [ -f "$PKG/package.json" ] || die "not installed (scripts/duckdb.sh install)" 3
	echo "$CACHE/node_modules" ;;
*) die "usage: scripts/duckdb.sh install|path" ;;
esac
