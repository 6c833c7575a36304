#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Catalog format 2 as a mount sees it: `lyb catalog upgrade` of a format 1
# catalog while a mount reads it (readers never fail, nothing changes
# shape, version ids stay, the mount switches by itself, a rerun is a
# no-op, a half-done upgrade is read by both and finished by a rerun,
# format 1 writers refuse meanwhile); an idle mount's store requests per
# refresh; a publish visible within the refresh; a DataSet of 20,000
# versions listed and read through a catalog_mem far smaller than its
# pages, names the kernel holds resolving again after eviction.
LYB_TEST_FORMAT=1 # it starts from format 1 and upgrades it
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "jq is not installed"

fixture
lyb dataset create t.Other --owner group:data-team >/dev/null
O1=$(lyb publish t.Other 2021-01-01 --gs "file://$SRC/2020-09-01-1/gs")
lyb access grant t.Data user:bob@thecompany.com >/dev/null
[ "$(lyb catalog format)" = 1 ] || fail "the fixture is not format 1"
mount_lybfs

listing() { (cd "$MNT" && find t.Data t.Other -path '*/.lyb' -prune -o -print | sort) ; }
step "upgrade while a reader reads"
before=$(listing)
cards=$(cat "$MNT/t.Data/.lyb/info.json" "$MNT/t.Other/.lyb/info.json")
F=$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro
: >"$W/reader.fail"
(
	set +e
	while [ ! -e "$W/reader.stop" ]; do
		cmp -s "$F" "$SRC/2020-09-03-2/gs/part-00000.avro" || echo "cmp $(date +%T.%N)" >>"$W/reader.fail"
		[ -d "$MNT/t.Other/2021-01-01/$O1" ] || echo "ls $(date +%T.%N)" >>"$W/reader.fail"
	done
) &
RPID=$!
trap 'kill $RPID 2>/dev/null; cleanup' EXIT # a failure must not leave it looping
sleep 0.5
lyb catalog upgrade || fail "the upgrade failed"
[ "$(lyb catalog format)" = 2 ] || fail "not format 2 after the upgrade"
wait_for grep -q "now format 2" "$W/lybfs.log" || fail "the mount did not switch"
sleep 1
touch "$W/reader.stop"
wait "$RPID"
trap cleanup EXIT
[ ! -s "$W/reader.fail" ] || fail "the reader failed during the upgrade: $(head "$W/reader.fail")"
[ "$(listing)" = "$before" ] || fail "the tree changed: $(diff <(echo "$before") <(listing))"
[ "$(cat "$MNT/t.Data/.lyb/info.json" "$MNT/t.Other/.lyb/info.json")" = "$cards" ] ||
	fail "the cards changed: $(diff <(echo "$cards") <(cat "$MNT/t.Data/.lyb/info.json" "$MNT/t.Other/.lyb/info.json"))"
lyb access list t.Data | grep -q "grant   user:bob@thecompany.com" || fail "the history was lost: $(lyb access list t.Data)"
[ -f "$W/catalog/datasets/t.Data.json" ] || fail "the format 1 documents are gone (kept until a vacuum)"

step "a rerun is a no-op; the same bytes republished give the same id"
snap=$(cd "$W/catalog/v2" && find . -type f ! -name '.lyb-*' | sort | xargs md5sum)
lyb catalog upgrade || fail "a rerun failed"
[ "$(cd "$W/catalog/v2" && find . -type f ! -name '.lyb-*' | sort | xargs md5sum)" = "$snap" ] || fail "a rerun wrote"
[ "$(lyb publish t.Data 2020-09-03 --gs "file://$SRC/2020-09-03-2/gs" \
	--snow "snow://db/data=file://$SRC/2020-09-03-2/snow")" = "$V2" ] || fail "republishing gave a new id"

step "a publish after the upgrade is visible within the refresh"
mkdir -p "$W/new"
make_avro "$W/new/part-00000.avro" --rows 42 --seed new
t0=$(date +%s.%N)
V3=$(lyb publish t.Data 2020-09-04 --gs "file://$W/new")
wait_for test -f "$MNT/t.Data/2020-09-04/$V3/gs/part-00000.avro" || fail "the publish is not visible"
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 3) }' || fail "visible only after 3 s"
cmp "$MNT/t.Data/2020-09-04/latest/gs/part-00000.avro" "$W/new/part-00000.avro" || fail "wrong bytes"
[ "$(readlink "$MNT/t.Data/latest")" = "2020-09-04/latest" ] || fail "latest: $(readlink "$MNT/t.Data/latest")"
! grep -q "$V3" "$W/catalog/datasets/t.Data.json" || fail "a format 1 document was written into a format 2 catalog"

step "an idle mount: at most about one store request per refresh"
m() { awk '/^lyb_store_requests_total/ { n += $2 } END { print n + 0 }' "$MNT/.lyb/metrics"; }
r0=$(m)
sleep 10 # refresh=0.5: 20 refreshes
r1=$(m)
echo "idle: $((r1 - r0)) requests in 20 refreshes"
# one GET per refresh; at most one marker check (every 30th) with its tail probe in the window
[ $((r1 - r0)) -le 25 ] || fail "an idle mount made $((r1 - r0)) requests in 20 refreshes"
[ $((r1 - r0)) -ge 15 ] || fail "an idle mount made $((r1 - r0)) requests in 20 refreshes: is it polling at all?"

step "a crash midway: marked, half converted; both formats read it, writers of 1 refuse, a rerun finishes"
unmount_lybfs
rm -rf "$W/catalog"
printf '{\n  "lybrary": 1\n}\n' >"$W/catalog.marker"
mkdir -p "$W/catalog" && mv "$W/catalog.marker" "$W/catalog/lybrary.json"
fixture
mount_lybfs
# the upgrade dies after converting the DataSets, before its checkpoint
mkdir -p "$W/catalog/v2"
touch "$W/catalog/v2/checkpoints"
lyb catalog upgrade 2>/dev/null && fail "the upgrade went through a file where a directory must be"
[ -f "$W/catalog/v2/datasets/t/Data/000000000001.json" ] || fail "nothing was converted before the failure"
grep -q upgrading "$W/catalog/lybrary.json" || fail "the marker: $(cat "$W/catalog/lybrary.json")"
rm "$W/catalog/v2/checkpoints"
expect_errno "being upgraded" lyb publish t.Data 2020-09-05 --gs "file://$W/new"
expect_errno "being upgraded" lyb access grant t.Data user:eve@thecompany.com
cmp "$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro" "$SRC/2020-09-03-2/gs/part-00000.avro" ||
	fail "a mount cannot read a catalog marked for upgrade"
[ "$(lyb ls | grep -c .)" -ge 1 ] || fail "lyb cannot read a catalog marked for upgrade"
lyb catalog upgrade || fail "the rerun did not finish the upgrade"
[ "$(lyb catalog format)" = 2 ] || fail "not format 2 after the rerun"
wait_for test -f "$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro" || fail "the mount lost the DataSet"
V5=$(lyb publish t.Data 2020-09-05 --gs "file://$W/new") || fail "a publish after the rerun"
wait_for test -d "$MNT/t.Data/2020-09-05/$V5" || fail "not visible"

step "20,000 versions through a catalog_mem of 1 MiB"
unmount_lybfs
rm -rf "$W/catalog"
"$LYB_BUILD/lyb-gen-catalog" "$CAT" 1 20000 24 || fail "generating"
mount_lybfs "catalog_mem=1M"
D=$MNT/team000.Set00000
n=$(ls "$D" | grep -c '^[0-9]')
[ "$n" -eq 834 ] || fail "$n dates, want 834 (20,000 hourly versions)"
ls -l "$D" >/dev/null || fail "ls -l of the dates"
for d in $(ls "$D" | grep '^[0-9]' | shuf -n 60 --random-source=<(yes)); do
	c=$(ls "$D/$d" | grep -vc '^latest$')
	[ "$c" -ge 1 ] && [ "$c" -le 24 ] || fail "$d has $c versions"
	id=$(readlink "$D/$d/latest")
	jq -e --arg id "$id" '.id == $id' "$D/$d/$id/.lyb/info.json" >/dev/null || fail "$d/$id: its record"
done
# the same names again, long after their pages were evicted
for d in $(ls "$D" | grep '^[0-9]' | head -n 3); do
	id=$(readlink "$D/$d/latest")
	[ -d "$D/$d/$id/gs" ] || fail "$d/$id does not resolve after eviction"
done
rss=$(awk '/^VmHWM/ { print int($2 / 1024) }' "/proc/$LYBFS_PID/status")
echo "peak RSS $rss MiB"
# (ldd's whole output first: `ldd | grep -q` under pipefail fails when grep
# exits at the match and ldd, still writing, gets SIGPIPE)
libs=$(ldd "$LYBFS_BIN")
if [[ $libs == *libasan* ]]; then
	echo "  (an AddressSanitizer build: its shadow memory, not lybfs's, dominates RSS; not checked)"
else
	[ "$rss" -lt 300 ] || fail "peak RSS $rss MiB"
fi
echo "PASS"
