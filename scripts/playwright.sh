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

. "$(dirname "$0")/npm-cache.sh"
die() { echo "playwright: $*" >&2; exit "${2:-1}"; }

install() { npm_cache_install playwright "$CACHE" node_modules/playwright-core/package.json "playwright-core@$VERSION" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1; }

case ${1:-} in
install) install ;;
path) [ -f "$PKG/package.json" ] || die "not installed (scripts/playwright.sh install)" 3
	echo "$CACHE/node_modules" ;;
*) die "usage: scripts/playwright.sh install|path" ;;
esac
