#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The portal's pages in a real browser: Debian's chromium, headless,
# driven by playwright-core (scripts/playwright.sh installs it; test.sh
# does so before the suite). Opens a DataSet page and checks what the
# user story lists, requests access as one user, grants as an owner in a
# second browser context (another proxy header) and sees the first
# user's page change, and a third user's request declined.
# Screenshots go to $LYB_BUILD/portal-screenshots.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/chromium ] || skip "chromium is not installed (apt-get install chromium)"
command -v node >/dev/null || skip "node is not installed"
MODULES=$("$LYB_SRC/scripts/playwright.sh" path 2>/dev/null) ||
	{ "$LYB_SRC/scripts/playwright.sh" install >/dev/null 2>&1 &&
		MODULES=$("$LYB_SRC/scripts/playwright.sh" path); } ||
	skip "playwright-core cannot be installed (scripts/playwright.sh install)"

. "$(dirname "$0")/portal_lib.sh"

OUT=$LYB_BUILD/portal-screenshots
mkdir -p "$OUT"
rm -f "$OUT"/*.png
# chromium wants a writable home and runtime dir
export HOME=$W/home XDG_RUNTIME_DIR=$W/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
timeout 240 node "$LYB_SRC/tests/integration/portal_browser.js" "$MODULES" "$U" "$OUT" \
	artist-metadata.DominantGenres "$ALICE@thecompany.com" "$BOB@thecompany.com" "$CAROL@thecompany.com" ||
	fail "the browser checks failed (screenshots in $OUT)"
[ -s "$OUT/portal-dataset.png" ] || fail "no screenshot"
# the grant the browser made is the catalog change itself
lyb access list artist-metadata.DominantGenres | grep -q "grant   user:$ALICE@thecompany.com  by user:$BOB@thecompany.com" ||
	fail "the catalog history lacks the browser's grant"
portal_stop
echo "PASS (screenshots in $OUT)"
