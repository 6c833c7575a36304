#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The layout of the mount: directories, `latest` links, sizes and times
# from the catalog, and the info.json records.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
fixture
mount_lybfs
D=$MNT/t.Data

step "root lists the DataSet"
[ "$(ls "$MNT")" = "t.Data" ] || fail "root lists: $(ls "$MNT")"

step "a DataSet lists .lyb, latest and its dates"
[ "$(ls -A "$D" | tr '\n' ' ')" = ".lyb 2020-09-01 2020-09-03 latest " ] ||
	fail "DataSet lists: $(ls -A "$D" | tr '\n' ' ')"
[ "$(readlink "$D/latest")" = "2020-09-03/latest" ] || fail "latest -> $(readlink "$D/latest")"

step "a date lists its versions and latest -> the last published"
want=$(printf '%s\n' "$V1" "$V2" latest | sort | tr '\n' ' ')
[ "$(ls "$D/2020-09-03" | tr '\n' ' ')" = "$want" ] || fail "date lists: $(ls "$D/2020-09-03")"
[ "$(readlink "$D/2020-09-03/latest")" = "$V2" ] || fail "date latest -> $(readlink "$D/2020-09-03/latest")"
[ "$(readlink "$D/2020-09-01/latest")" = "$V0" ] || fail "2020-09-01 latest is wrong"
[ "$(cd "$D/latest" && pwd -P)" = "$D/2020-09-03/$V2" ] || fail "latest does not lead to $V2"

step "a version lists .lyb, data.jsonl, data.avro.json, gs and snow; subdirectories come from object names"
[ "$(ls -A "$D/2020-09-03/$V1" | tr '\n' ' ')" = ".lyb data.avro.json data.jsonl gs snow " ] || fail "version lists: $(ls -A "$D/2020-09-03/$V1")"
[ "$(ls "$D/2020-09-03/$V1/gs" | tr '\n' ' ')" = "part-00000.avro sub " ] || fail "gs lists: $(ls "$D/2020-09-03/$V1/gs")"
[ -d "$D/2020-09-03/$V1/gs/sub" ] || fail "gs/sub is not a directory"

step "sizes come from the manifest, modes are read-only"
for f in part-00000.avro sub/part-00001.avro; do
	want=$(stat -c %s "$SRC/2020-09-03-1/gs/$f")
	got=$(stat -c %s "$D/2020-09-03/$V1/gs/$f")
	[ "$want" = "$got" ] || fail "size of $f: $got, want $want"
done
[ "$(stat -c %a "$D/2020-09-03/$V1/gs/part-00000.avro")" = 444 ] || fail "file mode"
[ "$(stat -c %a "$D/2020-09-03")" = 555 ] || fail "dir mode"
[ "$(stat -c %F "$D/latest")" = "symbolic link" ] || fail "latest is not a symlink"

step "mtime is the publish time"
pub=$(jq -r .published "$D/2020-09-03/$V1/.lyb/info.json")
want=$(date -u -d "$pub" +%s)
[ "$(stat -c %Y "$D/2020-09-03/$V1/gs/part-00000.avro")" = "$want" ] || fail "mtime is not $pub"
[ "$(stat -c %Y "$D/2020-09-03/$V1")" = "$want" ] || fail "version dir mtime is not $pub"

step "info.json: the DataSet card and the version record"
jq -e '.uri == "lyb://t.Data" and .owner.team == "group:data-team" and .slo.deadline == "08:00"' "$D/.lyb/info.json" >/dev/null ||
	fail "card: $(cat "$D/.lyb/info.json")"
jq -e --arg v "$V2" '.latest.version == $v and .latest.date == "2020-09-03"' "$D/.lyb/info.json" >/dev/null || fail "card latest"
jq -e --arg v "$V1" '.uri == "lyb://t.Data/2020-09-03/" + $v and .id == $v and .locations.gs.objects[0].size > 0' \
	"$D/2020-09-03/$V1/.lyb/info.json" >/dev/null || fail "version record"
[ "$(stat -c %s "$D/.lyb/info.json")" = "$(cat "$D/.lyb/info.json" | wc -c)" ] || fail "card size differs from its content"

step "unknown names are ENOENT"
expect_errno "No such file or directory" ls "$MNT/no.Such"
expect_errno "No such file or directory" ls "$D/2020-09-02"
expect_errno "No such file or directory" ls "$D/2020-09-03/abcdef"
expect_errno "No such file or directory" cat "$D/2020-09-03/$V1/gs/nope.avro"
expect_errno "No such file or directory" ls "$D/2020-09-03/$V1/s3"
echo "PASS"
