#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Catalog metadata as extended attributes (getfattr -d -m user.lyb).
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
fixture
mount_lybfs
D=$MNT/t.Data
V=$D/2020-09-03/$V1
rec=$V/.lyb/info.json

attr() { getfattr --only-values -n "user.lyb.$1" "$2" 2>/dev/null; }
check() { # check NAME PATH WANT
	local got
	got=$(attr "$1" "$2") || fail "user.lyb.$1 missing on $2"
	[ "$got" = "$3" ] || fail "user.lyb.$1 on $2 is '$got', want '$3'"
}

step "DataSet, date and version directories"
check uri "$D" "lyb://t.Data"
check owner "$D" "group:data-team"
check uri "$D/2020-09-03" "lyb://t.Data/2020-09-03"
check uri "$V" "lyb://t.Data/2020-09-03/$V1"
check version "$V" "$V1"
check rows "$V" "$(jq -r .rows "$rec")"

step "location directories name the real address"
check location "$V/gs" "file://$SRC/2020-09-03-1/gs"
check location "$V/snow" "snow://db/data/$V1"
check rows "$V/snow" 1000

step "files: location, rows, size and checksums equal the catalog's"
f=$V/gs/sub/part-00001.avro
check location "$f" "file://$SRC/2020-09-03-1/gs/sub/part-00001.avro"
check uri "$f" "lyb://t.Data/2020-09-03/$V1/gs/sub/part-00001.avro"
check rows "$f" 300
check size "$f" "$(stat -c %s "$SRC/2020-09-03-1/gs/sub/part-00001.avro")"
# the checksums are data: not in info.json (everyone's), in the catalog
doc=$W/catalog/datasets/t.Data.json
obj() { jq -r --arg v "$V1" --arg k "$1" '.versions[] | select(.id == $v) | .locations.gs.objects[] | select(.name == "sub/part-00001.avro") | .[$k]' "$doc"; }
check crc32c "$f" "$(obj crc32c)"
check md5 "$f" "$(obj md5)"
want=$(md5sum "$SRC/2020-09-03-1/gs/sub/part-00001.avro" | cut -d' ' -f1 | xxd -r -p | base64)
check md5 "$f" "$want"

step "getfattr -d lists them all"
n=$(getfattr -d -m user.lyb "$f" | grep -c '^user.lyb')
[ "$n" -eq 8 ] || fail "expected 8 attributes on a file, got $n"

step "an unknown attribute is ENODATA; setting one is EROFS"
expect_errno "No such attribute" getfattr -n user.lyb.nope "$f"
expect_errno "Read-only file system" setfattr -n user.x -v 1 "$f"
step "ls -l: no per-entry xattr round trip that answers nothing"
# issue #17: ls -l asked security.selinux and system.posix_acl_* of every
# entry, each answered ENODATA. Outside user.* the answer is EOPNOTSUPP,
# which ls caches for the file system: the count no longer grows with N.
mkdir -p "$W/many"
for i in $(seq -w 1 40); do cp "$SRC/2020-09-03-1/gs/part-00000.avro" "$W/many/part-000$i.avro"; done
lyb dataset create t.Many --owner group:data-team >/dev/null
lyb publish t.Many 2020-09-03 --gs "file://$W/many" >/dev/null
M=$MNT/t.Many/latest/gs
wait_for ls "$M/part-00040.avro" || fail "t.Many did not appear"
xattr_requests() {
	awk '/^lyb_fuse_requests_total\{op="xattr"/ {s += $2} END {print s + 0}' "$MNT/.lyb/metrics"
}
ls -l "$M" >/dev/null # the entries are looked up; what follows is xattrs only
before=$(xattr_requests)
n=$(ls -l "$M" | grep -c 'part-000')
after=$(xattr_requests)
[ "$n" -eq 40 ] || fail "ls -l listed $n entries, want 40"
echo "ls -l of 40 entries: $((after - before)) xattr requests"
[ $((after - before)) -le 4 ] || fail "ls -l of 40 entries made $((after - before)) xattr requests (want <= 4)"
expect_errno "Operation not supported" getfattr -n security.selinux "$f"
expect_errno "Operation not supported" getfattr -n system.posix_acl_access "$f"
expect_errno "Operation not supported" getfattr -n trusted.x "$f"
expect_errno "No such attribute" getfattr -n user.lyb.nope "$f"
check uri "$f" "lyb://t.Data/2020-09-03/$V1/gs/sub/part-00001.avro"
echo "PASS"
