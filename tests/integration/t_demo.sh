#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README command one, as the foundation issue's "done when" says: the demo
# mounts, 2020-09-03 lists both versions and latest, every file is
# byte-identical to its source, a second run is clean, and stop leaves no
# mount behind.
. "$(dirname "$0")/lib.sh"
export LYB_DEMO_DIR=$W/demo LYB_MNT=$MNT LYB_BUILD
export LYB_PORTAL_PORT=$((20000 + RANDOM % 20000))
demo() { bash "$LYB_SRC/scripts/demo.sh" "$@"; }
trap 'rc=$?; demo stop >/dev/null 2>&1 || true; (exit $rc); cleanup' EXIT

step "scripts/demo.sh"
demo >"$W/demo.out" 2>&1 || fail "demo.sh failed: $(tail -20 "$W/demo.out")"
mountpoint -q "$MNT" || fail "the demo is not mounted"
D=$MNT/artist-metadata.DominantGenres
[ "$(ls "$D/2020-09-03" | wc -l)" -eq 3 ] || fail "2020-09-03 lists: $(ls "$D/2020-09-03")"
ls "$D/2020-09-03" | grep -qx latest || fail "2020-09-03 has no latest"
[ "$(ls "$MNT" | tr '\n' ' ')" = "artist-analytics.GenresOfPopularArtists artist-metadata.DominantGenres artist-metadata.PopularArtistsGlobal " ] ||
	fail "DataSets: $(ls "$MNT")"

step "the portal runs and its URL is printed"
grep -q "http://127.0.0.1:$LYB_PORTAL_PORT/" "$W/demo.out" || fail "demo.sh printed no portal URL"
curl -sf "http://127.0.0.1:$LYB_PORTAL_PORT/api/v1/datasets/artist-metadata.DominantGenres" |
	jq -e '.owner.channel == "#artist-metadata"' >/dev/null || fail "the demo's portal does not answer"

step "cmp every file against its source"
n=$(find "$MNT" -type f \( -path '*/gs/*' -o -path '*/snow/*' \) | wc -l)
demo check >"$W/check.out" 2>&1 || fail "demo.sh check: $(cat "$W/check.out")"
[ "$n" -ge 10 ] || fail "only $n data files in the demo"
find "$MNT" -type f \( -path '*/gs/*' -o -path '*/snow/*' \) | while read -r m; do
	src=$(getfattr --only-values -n user.lyb.location "$m")
	cmp "${src#file://}" "$m" || fail "$m differs from $src"
done

step "the user story's lineage and table"
"$LYB_BIN" --catalog "file://$LYB_DEMO_DIR/catalog" info artist-analytics.GenresOfPopularArtists |
	grep -q "artist-metadata.DominantGenres" || fail "lineage missing from lyb info"
"$LYB_BIN" --catalog "file://$LYB_DEMO_DIR/catalog" ls artist-metadata.DominantGenres |
	grep -qE '^2020-09-03  \|        2        \|' || fail "lyb ls table"

step "running it again is clean and adds nothing"
before=$(find "$LYB_DEMO_DIR/catalog" -type f ! -name '.lyb-*' | sort | xargs md5sum)
demo >"$W/demo2.out" 2>&1 || fail "second demo.sh failed: $(tail -20 "$W/demo2.out")"
[ "$(find "$LYB_DEMO_DIR/catalog" -type f ! -name '.lyb-*' | sort | xargs md5sum)" = "$before" ] || fail "the rerun changed the catalog"
[ "$(grep -c " $MNT " /proc/self/mounts)" -eq 1 ] || fail "mounted more than once"

step "stop"
demo stop >/dev/null
! grep -q " $MNT " /proc/self/mounts || fail "still mounted after stop"
! curl -sf "http://127.0.0.1:$LYB_PORTAL_PORT/api/v1/me" >/dev/null || fail "the portal still answers after stop"
echo "PASS"
