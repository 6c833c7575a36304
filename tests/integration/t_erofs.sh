#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every write answers EROFS and changes nothing; hostile names are
# refused and the daemon goes on serving.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
fixture
mount_lybfs
D=$MNT/t.Data
F=$D/2020-09-03/$V1/gs/part-00000.avro
before=$(md5sum <"$F")

step "writes are EROFS"
expect_errno "Read-only file system" touch "$D/new"
expect_errno "Read-only file system" mkdir "$D/2020-09-04"
expect_errno "Read-only file system" rm "$F"
expect_errno "Read-only file system" rmdir "$D/2020-09-03/$V1/gs/sub"
expect_errno "Read-only file system" mv "$F" "$F.old"
expect_errno "Read-only file system" ln -s x "$D/link"
expect_errno "Read-only file system" ln "$F" "$D/hard"
expect_errno "Read-only file system" sh -c "echo hi > '$F'"
expect_errno "Read-only file system" sh -c "echo hi >> '$F'"
expect_errno "Read-only file system" truncate -s 0 "$F"
expect_errno "Read-only file system" chmod 777 "$F"
expect_errno "Read-only file system" chown nobody "$F"
expect_errno "Read-only file system" touch -d 2000-01-01 "$F"
expect_errno "Read-only file system" $PY -c "open('$F', 'r+b')"
[ "$(md5sum <"$F")" = "$before" ] || fail "a file changed"

step "hostile names are refused, the mount keeps serving"
long=$(head -c 10000 /dev/zero | tr '\0' a)
expect_errno "File name too long" ls "$D/$long"
expect_errno "No such file or directory" ls "$D/../t.Data/2020-09-03/$V1/../../nope"
expect_errno "No such file or directory" ls "$MNT/$(printf 'a\nb')"
expect_errno "No such file or directory" ls "$MNT/..."
expect_errno "Not a directory" cat "$D/2020-09-03/$V1/gs/part-00000.avro/x"
# a path through .. still reaches the right bytes
cmp "$SRC/2020-09-03-1/gs/part-00000.avro" "$D/2020-09-03/$V1/gs/sub/../part-00000.avro" ||
	fail "read through .. differs"
[ "$(md5sum <"$F")" = "$before" ] || fail "mount unhealthy"
kill -0 "$LYBFS_PID" || fail "the daemon died"
echo "PASS"
