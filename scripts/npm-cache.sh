# SPDX-License-Identifier: Apache-2.0
# Sourced by the scripts that install a test tool from npm (duckdb.sh,
# playwright.sh, gcs-emulator.sh): one package, pinned, into its own
# directory of ${LYB_CACHE:-$HOME/.cache/lybfs}, once, reused after.
#
#   npm_cache_install TAG DIR MARKER PACKAGE@VERSION [ENV=VALUE...]
#
# MARKER is a file under DIR that exists once the install is complete.
# Installers of one DIR take turns (flock); the package is installed in a
# temporary directory and moved into place whole, so an interrupted
# install leaves nothing half there. Exit 3 when node/npm are missing or
# npm fails (the tests that need the tool skip on it).

npm_cache_install() {
	local tag=$1 dir=$2 marker=$3 pkg=$4 tmp
	shift 4
	[ -f "$dir/$marker" ] && return 0
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		echo "$tag: node and npm are needed (apt-get install nodejs npm)" >&2
		exit 3
	fi
	mkdir -p "$(dirname "$dir")"
	exec 9>"$dir.lock"
	flock 9
	if [ ! -f "$dir/$marker" ]; then
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp"
		echo "{\"name\":\"lyb-$tag\",\"private\":true}" >"$tmp/package.json"
		echo "$tag: installing $pkg into $dir" >&2
		if ! (cd "$tmp" && env "$@" timeout 900 npm install --no-audit \
			--no-fund --loglevel=error "$pkg" >"$tmp/npm.log" 2>&1); then
			tail -n 20 "$tmp/npm.log" >&2
			rm -rf "$tmp"
			echo "$tag: npm install $pkg failed" >&2
			exit 3
		fi
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	flock -u 9
	exec 9>&-
}
