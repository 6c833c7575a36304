#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Page CRC sidecars (docs/catalog.md, "Page CRCs"): `lyb publish` writes
# .NAME.lybcrc beside each object over 1 MiB and records its generation;
# a reader in Python, written from the format's description, finds in it
# the CRC32C of pages it computes itself; it has the object's mode and
# group, so no one reads the pages' CRCs who may not read the pages. Through the mount, random 4 KiB
# reads are byte-exact and each pulls its pages and a 128-byte row, not
# its 1 MiB block. A row changed in place (mtime kept), a sidecar deleted,
# or one never written: the same reads, still exact, by whole blocks. A
# changed page: EIO, never its bytes. --no-page-crcs writes none, and a
# sidecar that cannot be written is a warning, not a failed publish.
# formats: 1 2
. "$(dirname "$0")/lib.sh"

SRC=$W/src
mkdir -p "$SRC/gs" "$W/orig" "$W/other/gs"
for f in a b; do
	$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$SRC/gs/$f.avro" 6 "$f"
	cp -p "$SRC/gs/$f.avro" "$W/orig/$f.avro"
done
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$SRC/gs/small.avro" 0.25 s
chgrp daemon "$SRC/gs/b.avro"
chmod 0640 "$SRC/gs/b.avro" # its page CRCs are as private as its bytes
lyb dataset create t.Pages --owner group:data-team >/dev/null

step "publish writes a sidecar beside each object over 1 MiB, and names it"
V=$(lyb publish t.Pages 2020-09-01 --gs "file://$SRC/gs")
G=$MNT/t.Pages/2020-09-01/$V/gs
for f in a b; do
	size=$(stat -c %s "$SRC/gs/$f.avro")
	want=$((32 + (size + 1048575) / 1048576 * 16 * 128))
	[ "$(stat -c %s "$SRC/gs/.$f.avro.lybcrc" 2>/dev/null)" = "$want" ] ||
		fail "$f.avro: no sidecar of $want bytes: $(ls -la "$SRC/gs")"
done
[ ! -e "$SRC/gs/.small.avro.lybcrc" ] || fail "a sidecar for an object of one block"
[ "$(stat -c '%a %G' "$SRC/gs/.b.avro.lybcrc")" = "640 daemon" ] ||
	fail "b.avro is 0640 daemon, its sidecar $(stat -c '%a %G' "$SRC/gs/.b.avro.lybcrc")"
[ "$(stat -c '%a' "$SRC/gs/.a.avro.lybcrc")" = "$(stat -c '%a' "$SRC/gs/a.avro")" ] || fail "a.avro's sidecar: another mode"
mount_lybfs
jq -e '[.locations.gs.objects[] | select(.name != "small.avro") | .page_crc32c] | length == 2 and all(. != null)' \
	"$MNT/t.Pages/2020-09-01/$V/.lyb/info.json" >/dev/null ||
	fail "the record names no page_crc32c: $(jq -c '.locations.gs.objects' "$MNT/t.Pages/2020-09-01/$V/.lyb/info.json")"

step "an independent reader of the format finds each page's CRC32C"
$PY - "$SRC/gs/a.avro" "$SRC/gs/.a.avro.lybcrc" <<'PYEOF' || fail "the sidecar does not hold the pages' CRC32C"
import random, struct, sys
POLY = 0x82F63B78
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    T.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
data, side = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
magic, size, bs, sub, page, zero = struct.unpack(">8sQIIII", side[:32])
assert (magic, size, bs, sub, page, zero) == (b"LYBPCRC1", len(data), 1 << 20, 64 << 10, 4096, 0), side[:32]
rng = random.Random(7)
pages = [0, 1, 15, 16, 255, 256, (len(data) - 1) // 4096] + [rng.randrange(len(data) // 4096) for _ in range(8)]
for p in pages:
    off = p * 4096
    row = 32 + (off // sub) * 128
    want = struct.unpack(">I", side[row + 64 + 4 * ((off % sub) // 4096):][:4])[0]
    got = crc32c(data[off:off + 4096])
    assert got == want, (p, hex(got), hex(want))
print(f"{len(pages)} pages checked against the sidecar")
PYEOF

metric() { awk -v k="$1" '$1 == k { print $2 }' "$MNT/.lyb/metrics"; }
# random_reads N: N cold 4 KiB preads of a.avro and b.avro at random
# offsets past the first block, each compared with the source; prints how
# many bytes the store served meanwhile
random_reads() {
	local before
	before=$(metric lyb_store_bytes_total)
	$PY - "$G" "$W/orig" "$1" <<'PYEOF' || fail "a random read differs"
import os, random, sys
g, orig, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(11)
for i in range(n):
    f = "ab"[i % 2] + ".avro"
    size = os.path.getsize(os.path.join(orig, f))
    off = rng.randrange(1 << 20, size - 4096) // 4096 * 4096
    fd = os.open(os.path.join(g, f), os.O_RDONLY)
    got = os.pread(fd, 4096, off)
    os.close(fd)
    with open(os.path.join(orig, f), "rb") as o:
        o.seek(off)
        assert got == o.read(4096), (f, off)
PYEOF
	echo $(($(metric lyb_store_bytes_total) - before))
}

step "random 4 KiB reads: exact, each pulls a page and a row"
p0=$(metric lyb_cache_page_reads_total)
pulled=$(random_reads 20)
p1=$(metric lyb_cache_page_reads_total)
echo "20 random reads: $pulled bytes pulled, $((p1 - p0)) by page"
[ $((p1 - p0)) -ge 18 ] || fail "only $((p1 - p0)) of 20 random reads went by page"
[ "$pulled" -le $((20 * (4096 + 128) + 2 * (1 << 20))) ] ||
	fail "20 random reads pulled $pulled bytes: whole blocks"

step "a sidecar row changed in place: the same reads, exact, by whole blocks"
unmount_lybfs
cp -p "$SRC/gs/.a.avro.lybcrc" "$W/side.orig"
$PY - "$SRC/gs/.a.avro.lybcrc" <<'PYEOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in range(32 + 64, len(b), 128):
    b[i] ^= 0x01  # every row's first page CRC
open(sys.argv[1], "r+b").write(b)
PYEOF
touch -r "$W/side.orig" "$SRC/gs/.a.avro.lybcrc"
mount_lybfs
r0=$(metric lyb_cache_page_rejected_total)
pulled=$(random_reads 20)
r1=$(metric lyb_cache_page_rejected_total)
echo "with a changed sidecar: $pulled bytes pulled, $((r1 - r0)) rows or pages rejected"
[ $((r1 - r0)) -ge 1 ] || fail "no row or page of the changed sidecar was rejected"

step "the sidecar deleted: exact, by whole blocks"
unmount_lybfs
rm "$SRC/gs/.a.avro.lybcrc"
mount_lybfs
random_reads 6 >/dev/null

step "a page of the object changed in place: EIO, never its bytes"
unmount_lybfs
cp "$W/side.orig" "$SRC/gs/.a.avro.lybcrc"
touch -r "$W/side.orig" "$SRC/gs/.a.avro.lybcrc"
off=$(((3 << 20) + 5 * 65536 + 4096))
$PY - "$SRC/gs/a.avro" "$off" <<'PYEOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
old = os.pread(fd, 4096, int(sys.argv[2]))
os.pwrite(fd, bytes(b ^ 0x5a for b in old), int(sys.argv[2]))
os.close(fd)
PYEOF
touch -r "$W/orig/a.avro" "$SRC/gs/a.avro"
mount_lybfs
expect_errno "Input/output error" dd if="$G/a.avro" of=/dev/null bs=4096 skip=$((off / 4096)) count=1 status=none
cp -p "$W/orig/a.avro" "$SRC/gs/a.avro"

step "--no-page-crcs writes none; a sidecar that cannot be written is a warning"
cp -p "$W/orig/a.avro" "$W/other/gs/"
lyb dataset create t.NoPages --owner group:data-team >/dev/null
lyb publish t.NoPages 2020-09-01 --gs "file://$W/other/gs" --no-page-crcs >/dev/null
[ ! -e "$W/other/gs/.a.avro.lybcrc" ] || fail "--no-page-crcs wrote a sidecar"
mkdir "$W/other/gs/.a.avro.lybcrc" # a directory where the sidecar goes
out=$(lyb publish t.NoPages 2020-09-02 --gs "file://$W/other/gs" 2>&1 >/dev/null) ||
	fail "publish failed when its sidecar could not be written: $out"
case $out in *"page CRCs not written for 1 object"*) ;; *) fail "no warning: $out" ;; esac
echo "PASS"
