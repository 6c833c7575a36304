#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# playwright-core from npm, for the portal's browser test
# (tests/integration/t_portal_browser.sh), which drives Debian's chromium
# (/usr/bin/chromium) headless; playwright-core downloads no browser.
#
#   scripts/playwright.sh install   install into the cache (idempotent)
#   scripts/playwright.sh path      print the node_modules directory
#
# The install goes to ${LYB_CACHE:-$HOME/.cache/lybfs}/playwright and is
# reused. Exit 3: node/npm missing or the install failed (tests skip on it).
set -euo pipefail

VERSION=1.49.1
CACHE=${LYB_CACHE:-$HOME/.cache/lybfs}/playwright
PKG=$CACHE/node_modules/playwright-core

die() { echo "playwright: $*" >&2; exit "${2:-1}"; }

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
		echo '{"name":"lyb-portal-browser-test","private":true}' >"$tmp/package.json"
		echo "playwright: installing playwright-core@$VERSION into $CACHE" >&2
		if ! (cd "$tmp" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install \
			--no-audit --no-fund --loglevel=error \
			"playwright-core@$VERSION" >"$tmp/npm.log" 2>&1); then
			tail -n 20 "$tmp/npm.log" >&2
			rm -rf "$tmp"
			die "npm install playwright-core@$VERSION failed" 3
		fi
		rm -rf "$CACHE"
		mv "$tmp" "$CACHE"
	fi
	flock -u 9
}

case ${1:-} in
install) install ;;
path) [ -f "$PKG/package.json" ] || die "not installed (scripts/playwright.sh install)" 3
	echo "$CACHE/node_modules" ;;
*) die "usage: scripts/playwright.sh install|path" ;;
esac
