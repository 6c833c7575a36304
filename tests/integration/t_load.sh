#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Load and lifecycle: 64 concurrent readers across many files for a
# bounded time, every byte checked, memory stable; SIGTERM and SIGINT
# unmount cleanly and the daemon exits 0 (under the sanitizer build that
# also means no leak); 10 mount/unmount cycles leave no mount behind.
. "$(dirname "$0")/lib.sh"

SRC=$W/src
mkdir -p "$SRC/gs"
for i in $(seq 0 15); do
	$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$SRC/gs/f$i.avro" 3 "load$i"
done
lyb dataset create t.Load --owner group:data-team >/dev/null
V=$(lyb publish t.Load 2020-09-01 --gs "file://$SRC/gs")
G=$MNT/t.Load/2020-09-01/$V/gs
asan=0
case "$(ldd "$LYBFS_BIN")" in *libasan*) asan=1 ;; esac # no pipe: grep -q would SIGPIPE ldd under pipefail

rss() { awk '/VmRSS/ { print $2 }' "/proc/$LYBFS_PID/status"; }

# stop_with SIGNAL: the daemon unmounts and exits 0
stop_with() {
	kill "-$1" "$LYBFS_PID"
	for _ in $(seq 100); do kill -0 "$LYBFS_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$LYBFS_PID" 2>/dev/null && fail "$1: the daemon did not exit"
	local rc=0
	wait "$LYBFS_PID" || rc=$?
	LYBFS_PID=
	[ "$rc" -eq 0 ] || fail "$1: the daemon exited $rc"
	! grep -q " $MNT " /proc/self/mounts || fail "$1: the mount is still there"
}

step "64 concurrent readers for 15 s: every byte right, memory stable"
mount_lybfs "cache_mem=48M,readahead=8M"
DUR=15
$PY - "$G" "$SRC/gs" 64 "$DUR" <<'PYEOF' &
import os, random, sys, threading, time
mnt, src, n, dur = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
names = sorted(n for n in os.listdir(src) if not n.startswith("."))  # not the page CRC sidecars
want = {f: open(os.path.join(src, f), "rb").read() for f in names}
errors, reads = [], [0]
end = time.time() + dur
def worker(k):
    rnd = random.Random(k)
    while time.time() < end and not errors:
        f = rnd.choice(names)
        try:
            with open(os.path.join(mnt, f), "rb") as h:
                if k % 2:  # sequential, whole file
                    if h.read() != want[f]:
                        errors.append("%s: whole read differs" % f)
                else:      # random ranges
                    for _ in range(20):
                        off = rnd.randrange(len(want[f]))
                        ln = rnd.choice([1, 4096, 65536, 300000])
                        h.seek(off)
                        if h.read(ln) != want[f][off:off + ln]:
                            errors.append("%s: range %d+%d differs" % (f, off, ln))
            reads[0] += 1
        except OSError as e:
            errors.append("%s: %s" % (f, e))
ts = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print("readers done: %d opens, %d errors" % (reads[0], len(errors)))
if errors:
    sys.exit("; ".join(errors[:5]))
PYEOF
LOAD=$!
sleep 5
rss1=$(rss)
wait "$LOAD" || fail "a concurrent reader failed"
rss2=$(rss)
echo "daemon RSS: ${rss1} KiB after 5 s, ${rss2} KiB at the end"
if [ "$asan" -eq 0 ]; then
	[ $((rss2 - rss1)) -le $((32 * 1024)) ] || fail "RSS grew by $((rss2 - rss1)) KiB under steady load"
fi
[ "$(awk '$1 == "lyb_open_files" { print $2 }' "$MNT/.lyb/metrics")" -le 1 ] ||
	fail "open files leaked: $(grep lyb_open_files "$MNT/.lyb/metrics")"

step "SIGTERM unmounts cleanly"
stop_with TERM

step "SIGINT unmounts cleanly"
mount_lybfs
cmp "$G/f1.avro" "$SRC/gs/f1.avro" || fail "read after remount"
stop_with INT

step "10 mount/unmount cycles leave nothing behind"
for i in $(seq 10); do
	mount_lybfs
	cmp "$G/f$i.avro" "$SRC/gs/f$i.avro" || fail "cycle $i: read differs"
	fusermount3 -u "$MNT" || fail "cycle $i: unmount failed"
	rc=0
	wait "$LYBFS_PID" || rc=$?
	LYBFS_PID=
	[ "$rc" -eq 0 ] || fail "cycle $i: the daemon exited $rc"
done
! grep -q " $MNT " /proc/self/mounts || fail "a mount was left behind"
echo PASS
