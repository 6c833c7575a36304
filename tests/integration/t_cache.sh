#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The block cache and read-ahead through a real mount: bytes stay exact
# under every path (sequential, random, interleaved, a tiny cache), head
# fetches little, a warm re-read fetches nothing, 1,000 open files stay
# under the memory cap, and the disk tier survives a restart and never
# serves a torn or corrupt block.
# formats: 1 2
. "$(dirname "$0")/lib.sh"

SRC=$W/src
mkdir -p "$SRC/gs"
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$SRC/gs/big.avro" 48 big
for i in $(seq 0 7); do
	$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$SRC/gs/f$i.avro" 6 "f$i"
done
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$SRC/gs/small.avro" 0.25 small # one block
lyb dataset create t.Big --owner group:data-team >/dev/null
V=$(lyb publish t.Big 2020-09-01 --gs "file://$SRC/gs")
BIG=$MNT/t.Big/2020-09-01/$V/gs/big.avro
SIZE=$(stat -c %s "$SRC/gs/big.avro")

metric() { # metric NAME_WITH_LABELS: its value in MNT/.lyb/metrics
	awk -v k="$1" '$1 == k { print $2 }' "$MNT/.lyb/metrics"
}
store_bytes() { metric lyb_store_bytes_total; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

step "head -c 4096 of a 48 MiB file fetches little"
mount_lybfs "cache_mem=64M,readahead=16M"
b0=$(store_bytes)
head -c 4096 "$BIG" | cmp - <(head -c 4096 "$SRC/gs/big.avro") || fail "head differs"
sleep 0.5 # read-ahead in flight would be counted late
pulled=$(($(store_bytes) - b0))
echo "head -c 4096 pulled $pulled bytes"
[ "$pulled" -le $((4 * 1024 * 1024)) ] || fail "head pulled $pulled bytes"

step "a cold sequential read is exact and reads ahead"
drop_caches
b0=$(store_bytes)
cmp "$BIG" "$SRC/gs/big.avro" || fail "sequential read differs"
pulled=$(($(store_bytes) - b0))
[ "$(metric lyb_cache_prefetched_blocks_total)" -gt 8 ] || fail "no read-ahead happened"
[ "$pulled" -le $((SIZE + SIZE / 4)) ] || fail "sequential read pulled $pulled for $SIZE"

step "8 readers of one file, interleaved, pull it about once"
unmount_lybfs
mount_lybfs "cache_mem=64M,readahead=16M"
drop_caches
b0=$(store_bytes)
pids=
for i in $(seq 8); do
	(dd if="$BIG" bs=128k iflag=direct status=none | cmp - "$SRC/gs/big.avro") &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "an interleaved reader got wrong bytes"; done
pulled=$(($(store_bytes) - b0))
echo "8 interleaved readers pulled $pulled for $SIZE"
[ "$pulled" -le $((SIZE * 2)) ] || fail "8 readers of one file pulled $pulled for $SIZE"

step "random 4 KiB reads are exact and pull about what they read"
$PY - "$BIG" "$SRC/gs/big.avro" <<'PYEOF' || fail "random reads differ"
import os, random, sys
a, b = (os.open(p, os.O_RDONLY) for p in sys.argv[1:3])
size = os.fstat(b).st_size
rnd = random.Random(7)
for _ in range(300):
    off = rnd.randrange(0, size)
    if os.pread(a, 4096, off) != os.pread(b, 4096, off):
        sys.exit("differs at %d" % off)
PYEOF

step "a warm re-read fetches nothing"
cat "$BIG" >/dev/null
b0=$(store_bytes)
cmp "$BIG" "$SRC/gs/big.avro" || fail "warm re-read differs"
[ $(($(store_bytes) - b0)) -eq 0 ] || fail "warm re-read fetched $(($(store_bytes) - b0)) bytes"

step "a cache of 4 blocks, 8 parallel readers: exact, memory under the cap"
unmount_lybfs
mount_lybfs "cache_mem=4M,readahead=2M"
drop_caches
pids=
for i in $(seq 0 7); do
	cmp "$MNT/t.Big/2020-09-01/$V/gs/f$i.avro" "$SRC/gs/f$i.avro" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a reader got wrong bytes with a tiny cache"; done
[ "$(metric 'lyb_cache_bytes{tier="memory"}')" -le $((4 << 20)) ] || fail "cache over its cap"

step "1,000 open files read in turn stay under the memory cap"
unmount_lybfs
mount_lybfs "cache_mem=32M,readahead=8M"
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$LYBFS_PID/status")
$PY - "$MNT/t.Big/2020-09-01/$V/gs" "$SRC/gs" <<'PYEOF' || fail "1,000 open files"
import os, sys
mnt, src = sys.argv[1:3]
names = ["f%d.avro" % i for i in range(8)] + ["big.avro"]
fds = [(os.open(os.path.join(mnt, names[i % 9]), os.O_RDONLY), names[i % 9])
       for i in range(1000)]
want = {n: open(os.path.join(src, n), "rb").read(3 << 20) for n in names}
for rnd in range(3):
    for i, (fd, n) in enumerate(fds):
        off = (rnd * 1 << 20) + (i % 4) * 4096
        if os.pread(fd, 65536, off) != want[n][off:off + 65536]:
            sys.exit("file %d (%s) differs at %d" % (i, n, off))
for fd, _ in fds:
    os.close(fd)
PYEOF
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$LYBFS_PID/status")
echo "daemon RSS at mount ${rss0} KiB, peak ${hwm} KiB with cache_mem=32M"
if [[ "$(ldd "$LYBFS_BIN")" == *libasan* ]]; then
	echo "(sanitizer build: its quarantine and shadow memory make RSS meaningless; not checked)"
else
	[ $((hwm - rss0)) -le $((96 * 1024)) ] || fail "peak RSS grew by $((hwm - rss0)) KiB"
fi

step "the disk tier: 0700, reused after a restart, torn blocks never served"
CD=$W/cache
unmount_lybfs
mount_lybfs "cache_mem=8M,cache_dir=$CD,cache_size=32M,readahead=4M"
cmp "$BIG" "$SRC/gs/big.avro" || fail "read with a disk cache differs"
[ "$(stat -c %a "$CD")" = 700 ] || fail "cache dir mode is $(stat -c %a "$CD")"
unmount_lybfs
used=$(find "$CD" -type f -name '*-*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
[ "$used" -le $((32 << 20)) ] || fail "disk cache blocks take $used bytes, over the 32M quota"
n=$(find "$CD" -type f -name '*-*' | wc -l)
[ "$n" -ge 8 ] || fail "only $n blocks on disk"
# damage: a flipped byte, a truncated block, a temporary left by a crash
# (blocks in the middle: the first MiB of a read is not read through blocks)
blocks=$(find "$CD" -type f -name '*-[23][0-9]' | sort | head -n 2)
set -- $blocks
printf 'X' | dd of="$1" bs=1 seek=1000 conv=notrunc status=none
truncate -s 5000 "$2"
echo torn >"$CD/tmp.1.1"
# a quota with room for the whole file: nothing damaged is evicted unread
mount_lybfs "cache_mem=8M,cache_dir=$CD,cache_size=64M,readahead=4M"
[ ! -e "$CD/tmp.1.1" ] || fail "a crash's temporary survived the restart"
drop_caches
cmp "$BIG" "$SRC/gs/big.avro" || fail "read after damaging the disk cache differs"
[ "$(metric lyb_cache_disk_hits_total)" -gt 0 ] || fail "the disk cache was not reused"
grep -q "torn or corrupt block" "$W/lybfs.log" || fail "damaged blocks were not reported"
step "bytes that do not match the catalog's crc32c are never served as good"
unmount_lybfs
# damage two sources in place and restore their mtime (their generation),
# so only the checksum can tell
for f in small f3; do
	mt=$(stat -c %y "$SRC/gs/$f.avro")
	printf 'Z' | dd of="$SRC/gs/$f.avro" bs=1 seek=$(($(stat -c %s "$SRC/gs/$f.avro") / 2)) conv=notrunc status=none
	touch -d "$mt" "$SRC/gs/$f.avro"
done
mount_lybfs "cache_mem=64M"
drop_caches
G=$MNT/t.Big/2020-09-01/$V/gs
# small (one block): checked whole before its first byte is served
if head -c 100 "$G/small.avro" >/dev/null 2>"$W/err"; then
	fail "a corrupt small object was served"
fi
grep -q "Input/output error" "$W/err" || fail "corrupt small object: $(cat "$W/err")"
# f3 (6 MiB): its damaged block is checked before it is served, each time
if cat "$G/f3.avro" >/dev/null 2>&1; then
	fail "a corrupt object was served whole"
fi
drop_caches
if cat "$G/f3.avro" >/dev/null 2>&1; then
	fail "a corrupt object read whole was served again"
fi
grep -q "f3.avro: block [0-9]* (bytes [0-9]*..) does not match the catalog's block_crc32c" "$W/lybfs.log" ||
	fail "the corrupt object was not logged"
[ "$(metric lyb_cache_corrupt_objects_total)" -eq 2 ] || fail "corrupt objects not counted"
cmp "$G/f4.avro" "$SRC/gs/f4.avro" || fail "a good object next to corrupt ones differs"
echo PASS
