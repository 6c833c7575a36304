#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mount(8), which is what an /etc/fstab line runs: mount.fuse3 starts
# `lybfs CATALOG MNT -o ...` and lybfs daemonizes. mount(8) runs helpers
# with a fixed PATH, so `-t fuse.lybfs` needs lybfs installed; the
# equivalent `-t fuse 'PROGRAM#CATALOG'` names the binary under test. Also:
# SIGTERM unmounts cleanly, and a stale mount is named on the next start.
. "$(dirname "$0")/lib.sh"
command -v mount.fuse3 >/dev/null || command -v /sbin/mount.fuse3 >/dev/null ||
	skip "mount.fuse3 (package fuse3) is not installed"
fixture

step "mount -t fuse with fstab options"
mount -t fuse "$LYBFS_BIN#$CAT" "$MNT" -o ro,_netdev,allow_other,refresh=1,audit=$AUDIT,admin=user:root@thecompany.com ||
	fail "mount -t fuse failed"
mountpoint -q "$MNT" || fail "not mounted"
grep -q " $MNT fuse.lybfs " /proc/self/mounts || fail "not listed as fuse.lybfs: $(grep "$MNT" /proc/self/mounts)"
cmp "$SRC/2020-09-03-2/gs/part-00000.avro" "$MNT/t.Data/latest/gs/part-00000.avro" || fail "read through the fstab mount"

step "SIGTERM to the daemon unmounts"
pid=$(pgrep -o -f "lybfs $CAT $MNT")
[ -n "$pid" ] || fail "no daemon process found"
kill -TERM "$pid"
wait_for sh -c "! mountpoint -q '$MNT'" || fail "still mounted after SIGTERM"
wait_for sh -c "! kill -0 $pid" || fail "daemon still running after SIGTERM"

step "a killed daemon leaves a stale mount that the next start names"
mount_lybfs
kill -9 "$LYBFS_PID"
wait "$LYBFS_PID" 2>/dev/null || true
LYBFS_PID=
# the kernel aborts the connection a moment after the process is gone
wait_for sh -c "! stat '$MNT'" || fail "the mount did not go stale"
out=$(timeout 10 "$LYBFS_BIN" -f -o "catalog=$CAT,audit=$AUDIT" "$MNT" 2>&1) && fail "started over a stale mount"
case $out in *"fusermount3 -u $MNT"*) ;; *) fail "no advice for the stale mount: $out" ;; esac
fusermount3 -u "$MNT" || fusermount3 -u -z "$MNT"
mount_lybfs
ls "$MNT/t.Data" >/dev/null || fail "remount after recovery"
echo "PASS"
