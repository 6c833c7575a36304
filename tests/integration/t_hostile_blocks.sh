#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# No byte is served unverified: a 6 MiB object changed in place after
# publish (same size, mtime restored, so its generation still matches)
# answers EIO on every path (cold sequential, a page of it by dd, a random
# read after a restart) without ever returning a changed byte, while its
# unchanged blocks still read right; a file rewritten in place while open
# never serves zeros or new bytes; an object of a format 1 manifest (no
# block_crc32c) is checked whole before its first byte. And the disk
# tier's directory: one pre-created by another account, a symbolic link,
# a group-readable one or one under a directory others may write are
# refused at start; swapped, planted and forged block files in a
# legitimate one are never served.
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"

U=lybbhostile
accounts "$U"

SRC=$W/src
mkdir -p "$SRC/gs" "$W/orig"
mkdir -p "$W/legacy"
for f in a b c d e f; do
	$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$SRC/gs/$f.avro" 6 "$f"
	cp -p "$SRC/gs/$f.avro" "$W/orig/$f.avro"
done
mv "$SRC/gs/e.avro" "$SRC/gs/f.avro" "$W/legacy/"
lyb dataset create t.Hostile --owner group:data-team >/dev/null
V=$(lyb publish t.Hostile 2020-09-01 --gs "file://$SRC/gs")
G=$MNT/t.Hostile/2020-09-01/$V/gs
grep -q '"block_crc32c"' "$W/catalog/t.Hostile.json" 2>/dev/null ||
	grep -rq '"block_crc32c"' "$W/catalog" || fail "publish recorded no block_crc32c"

metric() { awk -v k="$1" '$1 == k { print $2 }' "$MNT/.lyb/metrics"; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
# change_page FILE OFFSET: 4 KiB of other bytes at OFFSET, size and mtime kept
change_page() {
	$PY - "$1" "$2" <<'PYEOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
old = os.pread(fd, 4096, int(sys.argv[2]))
os.pwrite(fd, bytes(b ^ 0x5a for b in old), int(sys.argv[2]))
os.close(fd)
PYEOF
	touch -r "$W/orig/$(basename "$1")" "$1"
}

step "a page changed in place: a cold sequential read returns only original bytes, then EIO"
change_page "$SRC/gs/a.avro" $((2 << 20)) # page 512, in block 2
mount_lybfs "cache_mem=64M,readahead=16M"
drop_caches
$PY - "$G/a.avro" "$W/orig/a.avro" <<'PYEOF' || fail "cold sequential read"
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
orig = open(sys.argv[2], "rb").read()
got, err = b"", None
while True:
    try:
        b = os.read(fd, 128 << 10)
    except OSError as e:
        err = e.errno
        break
    if not b:
        break
    got += b
print("  read %d bytes before %s" % (len(got), errno.errorcode.get(err, "EOF")))
if err != errno.EIO:
    sys.exit("the read ended with %s, not EIO" % errno.errorcode.get(err, "EOF"))
if got != orig[:len(got)]:
    sys.exit("bytes returned before the error differ from the original")
if len(got) > 2 << 20:
    sys.exit("%d bytes returned: the changed page was served" % len(got))
PYEOF
grep -q "a.avro: block 2 (bytes 2097152..) does not match the catalog's block_crc32c" "$W/lybfs.log" ||
	fail "the changed block was not logged"
[ "$(metric lyb_cache_corrupt_objects_total)" -ge 1 ] || fail "the corruption was not counted"
wait_for grep -q "dropped the kernel's cached pages" "$W/lybfs.log" ||
	fail "the kernel's page cache of the corrupt file was not dropped"

step "then dd of the changed page answers EIO, not a page-cache copy"
expect_errno "Input/output error" dd if="$G/a.avro" of=/dev/null bs=4k skip=512 count=1 status=none

step "after a restart: a random 64 KiB read of the changed region is EIO, another block reads right"
unmount_lybfs
mount_lybfs "cache_mem=64M,readahead=16M"
$PY - "$G/a.avro" "$W/orig/a.avro" <<'PYEOF' || fail "random reads after a restart"
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
orig = open(sys.argv[2], "rb").read()
try:
    b = os.pread(fd, 64 << 10, 2 << 20)
    sys.exit("a random read of the changed region returned %d bytes" % len(b))
except OSError as e:
    if e.errno != errno.EIO:
        raise
# one that starts in the block before: at most that block's original bytes
off = (2 << 20) - (16 << 10)
try:
    b = os.pread(fd, 64 << 10, off)
except OSError as e:
    if e.errno != errno.EIO:
        raise
    b = b""
if len(b) > 16 << 10 or b != orig[off:off + len(b)]:
    sys.exit("a read across the changed block returned changed bytes")
for off in ((4 << 20) + 12345, 777, (5 << 20) + 4096):
    if os.pread(fd, 64 << 10, off) != orig[off:off + (64 << 10)]:
        sys.exit("an unchanged block read wrong at %d" % off)
PYEOF
cmp -n $((2 << 20)) "$G/a.avro" "$W/orig/a.avro" || fail "the blocks before the change differ"

step "a file rewritten in place while open never serves zeros or new bytes"
unmount_lybfs
mount_lybfs "cache_mem=4M,readahead=2M" # smaller than the file: blocks are refetched
$PY - "$G/b.avro" "$SRC/gs/b.avro" "$W/orig/b.avro" <<'PYEOF' || fail "rewritten while open"
import errno, os, random, sys, threading, time
mnt, src, orig_path = sys.argv[1:4]
orig = open(orig_path, "rb").read()
size = len(orig)
fd = os.open(mnt, os.O_RDONLY)
stop = False
def writer():
    # the way downloaders write: truncate, extend (zeros), fill slowly
    new = bytes(b ^ 0xa5 for b in orig[:size // 2]) + orig[size // 2:]
    st = os.stat(orig_path)
    for rnd in range(6):
        w = os.open(src, os.O_WRONLY | os.O_TRUNC)
        os.ftruncate(w, size)
        for off in range(0, size, 1 << 20):
            time.sleep(0.05)
            os.pwrite(w, (new if rnd % 2 == 0 else orig)[off:off + (1 << 20)], off)
        os.close(w)
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
t = threading.Thread(target=writer)
t.start()
rnd = random.Random(5)
good = eio = 0
while t.is_alive():
    off = rnd.randrange(0, size - (64 << 10))
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    try:
        b = os.pread(fd, 64 << 10, off)
    except OSError as e:
        if e.errno != errno.EIO:
            raise
        eio += 1
        continue
    # a short read is the kernel's answer when a later page failed
    if not b or b != orig[off:off + len(b)]:
        z = b.count(0) > len(b) // 2
        sys.exit("read at %d served %s bytes" % (off, "zero" if z else "new"))
    good += 1
t.join()
print("  %d reads exact, %d EIO, none wrong" % (good, eio))
if good + eio < 20:
    sys.exit("too few reads to tell")
PYEOF
cp -p "$W/orig/b.avro" "$SRC/gs/b.avro"

step "a format 1 manifest (no block_crc32c): checked whole before any byte is served"
lyb dataset create t.Legacy --owner group:data-team >/dev/null
VL=$(lyb publish t.Legacy 2020-09-01 --gs "file://$W/legacy")
$PY - "$W/catalog/datasets/t.Legacy.json" <<'PYEOF' || fail "stripping block_crc32c"
import json, os, sys
p = sys.argv[1]
doc = json.load(open(p))
n = 0
for v in doc["versions"]:
    for loc in v["locations"].values():
        for o in loc["objects"]:
            n += o.pop("block_crc32c", None) is not None
assert n == 2, n
open(p + ".new", "w").write(json.dumps(doc))
os.rename(p + ".new", p)
PYEOF
change_page "$W/legacy/e.avro" $((4 << 20)) # in block 4 of 6
L=$MNT/t.Legacy/2020-09-01/$VL/gs
unmount_lybfs
mount_lybfs "cache_mem=64M,readahead=16M"
$PY - "$L/e.avro" <<'PYEOF' || fail "a changed format 1 object"
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    b = os.read(fd, 128 << 10)
    sys.exit("its first read returned %d bytes before the object was checked" % len(b))
except OSError as e:
    if e.errno != errno.EIO:
        raise
try:
    os.pread(fd, 4096, 5 << 20)
    sys.exit("a block of a corrupt format 1 object was served")
except OSError as e:
    if e.errno != errno.EIO:
        raise
PYEOF
grep -q "e.avro: its bytes do not match the catalog's checksum" "$W/lybfs.log" ||
	fail "the whole-object mismatch was not logged"
cmp "$L/f.avro" "$W/orig/f.avro" || fail "an unchanged format 1 object differs"
[ "$(metric lyb_cache_verified_objects_total)" -ge 1 ] || fail "no object was checked whole"

# refuse_start OPTS TEXT: lybfs exits without mounting, logging TEXT
refuse_start() {
	local rc=0
	timeout 20 "$LYBFS_BIN" -f -o "catalog=$CAT,allow_other,$1" "$MNT" 2>"$W/refused.log" || rc=$?
	! mountpoint -q "$MNT" || fail "lybfs mounted with $1"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "lybfs with $1 exited $rc"
	grep -q -- "$2" "$W/refused.log" || fail "lybfs with $1 said: $(cat "$W/refused.log")"
}

step "cache_dir pre-created by another account: refused, and nothing written there"
unmount_lybfs
chmod 711 "$W"
mkdir "$W/theirs"
chown "$U" "$W/theirs"
runuser -u "$U" -- mkdir -m 0700 "$W/theirs/cache"
runuser -u "$U" -- sh -c "echo planted >'$W/theirs/cache/0123456789abcdef0123456789abcdef-0'"
refuse_start "cache_dir=$W/theirs/cache" "is owned by another user"
[ "$(ls "$W/theirs/cache")" = 0123456789abcdef0123456789abcdef-0 ] || fail "lybfs wrote into another account's cache_dir"
[ "$(stat -c %a "$W/theirs/cache")" = 700 ] || fail "lybfs changed the mode of another account's cache_dir"
# ... also when its parent is theirs, and the cache_dir ours
mkdir "$W/theirs/ours" 2>/dev/null || runuser -u "$U" -- mkdir "$W/theirs/ours"
chown root "$W/theirs/ours" && chmod 700 "$W/theirs/ours"
refuse_start "cache_dir=$W/theirs/ours" "a parent directory is owned by another user"

step "cache_dir a symbolic link, group-readable, or under a world-writable directory: refused"
mkdir -m 0700 "$W/real"
ln -s "$W/real" "$W/link"
refuse_start "cache_dir=$W/link" "not a directory (a symbolic link"
mkdir -m 0750 "$W/groupy"
refuse_start "cache_dir=$W/groupy" "group or others have permissions"
mkdir -m 0777 "$W/open"
refuse_start "cache_dir=$W/open/cache" "writable by others and not sticky"
[ ! -e "$W/open/cache" ] || fail "lybfs created a cache_dir under a world-writable directory"

step "swapped, planted and forged blocks in a legitimate cache_dir are not served"
CD=$W/cache
mount_lybfs "cache_mem=8M,cache_dir=$CD,cache_size=64M,readahead=4M"
[ "$(stat -c %a "$CD")" = 700 ] || fail "cache dir mode is $(stat -c %a "$CD")"
cmp "$G/c.avro" "$W/orig/c.avro" || fail "read with a disk cache differs"
cmp "$G/d.avro" "$W/orig/d.avro" || fail "read with a disk cache differs"
unmount_lybfs
ls "$CD" | grep -q -- '-[0-5]$' || fail "no blocks on disk"
# the blocks of c.avro: the id is the file name's hex before the dash
ids=$(ls "$CD" | sed -n 's/-[0-9]*$//p' | sort -u)
set -- $ids
[ $# -ge 2 ] || fail "expected blocks of two objects on disk, got: $ids"
X=$1 Y=$2
# swap two blocks of one object, put another object's block in place of a
# third, and forge a fourth: other bytes with a trailer recomputed to match
mv "$CD/$X-1" "$CD/swap" && mv "$CD/$X-3" "$CD/$X-1" && mv "$CD/swap" "$CD/$X-3"
cp "$CD/$Y-2" "$CD/$X-2"
$PY - "$CD/$X-4" <<'PYEOF' || fail "forging a block"
import struct, sys
def crc32c(data, crc=0):
    t = crc32c.table
    crc ^= 0xffffffff
    for b in data:
        crc = t[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc ^ 0xffffffff
crc32c.table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82f63b78 if c & 1 else c >> 1
    crc32c.table.append(c)
p = sys.argv[1]
raw = bytearray(open(p, "rb").read())
n = len(raw) - 40
assert struct.unpack_from("<I", raw, n + 32)[0] == n, "unexpected trailer layout"
raw[1000] ^= 0xff
struct.pack_into("<I", raw, n + 36, crc32c(bytes(raw[:n])))
open(p, "wb").write(raw)
PYEOF
mount_lybfs "cache_mem=8M,cache_dir=$CD,cache_size=64M,readahead=4M"
drop_caches
for f in c d; do
	cmp "$G/$f.avro" "$W/orig/$f.avro" || fail "$f.avro read through a tampered disk cache differs"
done
rej=$(metric lyb_cache_disk_rejected_total)
echo "  disk files rejected: $rej, disk hits: $(metric lyb_cache_disk_hits_total)"
[ "$rej" -ge 4 ] || fail "only $rej tampered disk blocks were rejected"
[ "$(metric lyb_cache_disk_hits_total)" -gt 0 ] || fail "the disk cache was not reused"
grep -q "does not match its block CRC32C" "$W/lybfs.log" || fail "the forged block was not reported"
echo PASS
