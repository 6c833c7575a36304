#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A version published while mounted appears, and `latest` moves to it,
# without a remount; what was there stays readable and unchanged.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
fixture
mount_lybfs
D=$MNT/t.Data

# hold the old version open and look at latest before the change
exec 3<"$D/2020-09-03/$V2/gs/part-00000.avro"
[ "$(readlink "$D/2020-09-03/latest")" = "$V2" ] || fail "latest before"

step "a new version of an existing date"
mkdir -p "$SRC/new/gs"
make_avro "$SRC/new/gs/part-00000.avro" --rows 77 --seed new
V3=$(lyb publish t.Data 2020-09-03 --gs "file://$SRC/new/gs")
latest_is() { [ "$(readlink -f "$1")" = "$2" ]; }
wait_for latest_is "$D/2020-09-03/latest" "$D/2020-09-03/$V3" ||
	fail "2020-09-03/latest did not move to $V3: $(readlink "$D/2020-09-03/latest")"
[ -d "$D/2020-09-03/$V3" ] || fail "$V3 is not listed"
cmp "$SRC/new/gs/part-00000.avro" "$D/2020-09-03/latest/gs/part-00000.avro" || fail "new version bytes"

step "a new date moves the DataSet's latest"
V4=$(lyb publish t.Data 2020-09-04 --gs "file://$SRC/new/gs")
wait_for test -d "$D/2020-09-04" || fail "2020-09-04 did not appear"
wait_for latest_is "$D/latest" "$D/2020-09-04/$V4" ||
	fail "DataSet latest did not move: $(readlink -f "$D/latest")"
jq -e --arg v "$V4" '.latest.version == $v' "$D/.lyb/info.json" >/dev/null || fail "card latest did not move"

step "a new DataSet appears at the root"
lyb dataset create t.Other --owner group:x >/dev/null
wait_for test -d "$MNT/t.Other" || fail "t.Other did not appear"

step "a catalog change keeps what the kernel cached of a version's tree"
# after a change the mount drops the kernel's cache of what can change,
# and fs.h's immutable says what cannot: a version's directories keep
# their attributes for the hour they are valid, so a stat of them sends
# no GETATTR (the mount counts those it sees).
getattrs() { sed -n 's/^lyb_fuse_requests_total{op="getattr",result="ok"} //p' "$MNT/.lyb/metrics"; }
stat "$D/2020-09-03/$V2" "$D/2020-09-03/$V2/gs" >/dev/null
lyb dataset create t.Third --owner group:x >/dev/null
wait_for test -d "$MNT/t.Third" || fail "t.Third did not appear"
sleep 1.5 # the refresh that saw it has invalidated
a=$(getattrs) && b=$(getattrs) && noise=$((b - a)) # reading them asks too
stat "$D/2020-09-03/$V2" "$D/2020-09-03/$V2/gs" >/dev/null
c=$(getattrs)
[ $((c - b)) -eq "$noise" ] ||
	fail "the version's tree was asked again after a catalog change: $((c - b - noise)) GETATTRs"

step "the file held open still reads the old bytes"
cmp "$SRC/2020-09-03-2/gs/part-00000.avro" /dev/fd/3 || fail "open file changed"
exec 3<&-
echo "PASS"
