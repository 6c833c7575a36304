#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile Avro files (issue 12, items 2 and 5), written byte by byte by
# make_hostile_avro.py:
#   rec.avro  100 KB, a record that contains itself, 100,000 levels of data
#             (avro-c recursed once per level and overflowed the stack)
#   amp.avro  118 bytes, one block claiming 4e8 empty records (1.2 GB of
#             JSON; three 10-byte reads took the daemon to 1.74 GB RSS)
#   deep.avro a writer schema nested 40 levels deep (the limit is 32)
#   jamp.avro 1024 records of 0 bytes, 2 MB of JSON from a 0-byte block
#   bz-*.avro compression bombs: 4 MB of deflate inflating to 4 GiB (avro-c
#             crashed past 2 GiB), raw LZMA2 and snappy to 128/256 MiB
#   wide.avro legal but large: one 100 KB block of 200 MB of JSON
# `lyb publish` refuses all but the last cleanly (exit 1, a message naming
# the file and the limit, no signal, default 8 MiB stack). Then a catalog
# writer that skips validation plants them: the documents are patched by
# hand (real sizes, generations and checksums), without a data.jsonl index
# (so a stat builds it) and with a forged one (so a read decodes). A
# second Unix account, not a reader, stats and reads data.jsonl: EIO; the
# admin (a reader) reads 10 bytes, three at once: EIO with a log line
# naming the file and block; the raw bytes still read. wide.avro publishes
# and three readers read 10 bytes 150 MB in: the right bytes, and the
# daemon's peak RSS (VmHWM) stays under 300 MiB throughout.
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
for c in jq; do
	command -v $c >/dev/null || skip "$c is not installed"
done
export LC_ALL=C
HOSTILE=$LYB_SRC/tests/integration/make_hostile_avro.py
HWM_MAX_KB=$((300 * 1024))
U=lybd1
accounts "$U"
chmod 755 "$W"

# no --schema: the files below are refused for what they hold, not for
# a schema the DataSet could not read them with
lyb dataset create t.Hostile --owner group:x >/dev/null
mkdir -p "$W/src"
for k in rec amp deep jamp bz-deflate bz-lzma bz-snappy wide; do
	mkdir -p "$W/src/$k"
done
$PY "$HOSTILE" recursive "$W/src/rec/p.avro" 100000
$PY "$HOSTILE" amplify "$W/src/amp/p.avro" 4e8
$PY "$HOSTILE" deep-schema "$W/src/deep/p.avro" 40
$PY "$HOSTILE" json-amp "$W/src/jamp/p.avro" 1024
$PY "$HOSTILE" bomb "$W/src/bz-deflate/p.avro" deflate 4096
$PY "$HOSTILE" bomb "$W/src/bz-lzma/p.avro" lzma 128
$PY "$HOSTILE" bomb "$W/src/bz-snappy/p.avro" snappy 256
$PY "$HOSTILE" wide "$W/src/wide/p.avro" 100000
[ "$(stat -c %s "$W/src/amp/p.avro")" -eq 118 ] || fail "amp.avro is not 118 bytes"

step "lyb publish refuses each, cleanly"
# publish_refused KIND TEXT: exit 1 (not a signal), TEXT on stderr
publish_refused() {
	local rc=0
	(ulimit -s 8192 && lyb publish t.Hostile 2020-01-01 --gs "file://$W/src/$1") \
		>"$W/pub.out" 2>"$W/pub.err" || rc=$?
	[ "$rc" -eq 1 ] || fail "publish $1: exit $rc (want 1): $(cat "$W/pub.err")"
	[ ! -s "$W/pub.out" ] || fail "publish $1 printed an id: $(cat "$W/pub.out")"
	grep -q "$2" "$W/pub.err" || fail "publish $1: '$(cat "$W/pub.err")', want '$2'"
	grep -q "warning" "$W/pub.err" && fail "publish $1 only warned"
	echo "  $1: $(cat "$W/pub.err")"
}
publish_refused rec "src/rec/p.avro: writer schema refused: record L contains itself"
publish_refused amp "src/amp/p.avro: block 0 at offset 96: claims 400000000 records in 0 bytes"
publish_refused deep "src/deep/p.avro: writer schema refused: nested deeper than 32 levels"
for c in deflate lzma snappy; do
	publish_refused bz-$c "src/bz-$c/p.avro: block 0: its [0-9]* bytes of $c data decompress to more than 64 MiB"
done
publish_refused jamp "src/jamp/p.avro: block 0 (offset 2125): decodes to more than 1048576 bytes of JSON from 0 bytes"
[ "$(lyb ls t.Hostile | grep -c 2020-01-01)" -eq 0 ] || fail "a refused version was published"
lyb head -n 1 t.Hostile >/dev/null 2>&1 && fail "a version exists"

step "a writer that skips validation plants them in the catalog"
# plant KIND DATE INDEX: publishes a good file at src/KIND-DATE, then puts
# KIND's bytes there and patches the document to match them (size,
# generation, crc32c, md5, rows); INDEX is "none" (no data.jsonl index:
# built on first stat) or BYTES (a forged index: one mark at the first
# block, claiming BYTES of JSON).
plant() {
	local d=$W/src/$1-$2
	mkdir -p "$d"
	make_avro "$d/p.avro" --rows 3 --seed "$1"
	lyb publish t.Hostile "$2" --gs "file://$d" >/dev/null
	cp "$W/src/$1/p.avro" "$d/p.avro"
	$PY - "$W/catalog/datasets/t.Hostile.json" "$2" "$d/p.avro" "$3" <<'PYEOF'
import base64, hashlib, json, os, sys
doc_path, date, obj, index = sys.argv[1:]

TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 & -(c & 1))
    TABLE.append(c)

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF

data = open(obj, "rb").read()
doc = json.load(open(doc_path))
for v in doc["versions"]:
    if v["date"] != date:
        continue
    gs = v["locations"]["gs"]
    o = gs["objects"][0]
    o["size"] = len(data)
    o["generation"] = os.stat(obj).st_mtime_ns
    o["crc32c"] = base64.b64encode(crc32c(data).to_bytes(4, "big")).decode()
    o["md5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
    # one CRC32C per 1 MiB block, as lyb publish records them
    o["block_crc32c"] = "".join("%08x" % crc32c(data[i:i + (1 << 20)])
                                for i in range(0, len(data), 1 << 20))
    o["rows"] = 1
    gs.pop("schema", None)
    gs.pop("jsonl", None)
    gs.pop("jsonl_plain", None)
    if index != "none":
        # the first block starts after the header: magic, map, sync;
        # forged for data.avro.json; data.jsonl's (jsonl_plain, dropped
        # above) is then computed from the data, which the limits refuse
        start = data.index(bytes(range(0x40, 0x50))) + 16
        gs["jsonl"] = {"bytes": int(index), "index": [[0, 0, start, 0]]}
tmp = doc_path + ".tmp"
json.dump(doc, open(tmp, "w"), indent=2)
os.rename(tmp, doc_path)
PYEOF
}
plant rec 2021-01-01 none
plant amp 2021-01-02 none
plant deep 2021-01-03 none
plant jamp 2021-01-04 none
plant bz-deflate 2021-01-05 none
plant bz-lzma 2021-02-03 300000000
plant rec 2021-02-01 200000
plant amp 2021-02-02 1200000000
lyb publish t.Hostile 2021-03-01 --gs "file://$W/src/wide" >/dev/null
lyb ls t.Hostile >/dev/null # the catalog still parses

mount_lybfs
D=$MNT/t.Hostile
J() { echo "$D/$1/latest/data.jsonl"; }
alive() {
	kill -0 "$LYBFS_PID" 2>/dev/null || fail "lybfs died ($*)"
	ls "$D" >/dev/null || fail "the mount does not answer ($*)"
}
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$LYBFS_PID/status"; }
hwm_ok() {
	local kb
	kb=$(hwm)
	echo "  daemon VmHWM: $((kb / 1024)) MiB ($*)"
	[ "$kb" -lt "$HWM_MAX_KB" ] || fail "daemon VmHWM $kb kB >= $HWM_MAX_KB kB ($*)"
}
for d in 2021-01-0{1,2,3,4,5} 2021-02-0{1,2,3} 2021-03-01; do
	wait_for test -d "$D/$d" || fail "$d did not appear"
done
hwm_ok "mounted"

step "a non-reader stats and reads data.jsonl: EIO, the daemon lives"
as() { local u=$1; shift; runuser -u "$u" -- "$@"; }
# by the version's own path: a date's latest link is for readers only
JV() { echo "$D/$1/$(readlink "$D/$1/latest")/data.jsonl"; }
for d in 2021-01-0{1,2,3,4,5}; do
	expect_errno "Permission denied" as "$U" stat "$(J $d)"
	expect_errno "Input/output error" as "$U" stat "$(JV $d)"
	alive "stat of $d by $U"
	expect_errno "Input/output error" as "$U" head -c 10 "$(JV $d)"
	alive "read of $d by $U"
done
grep -q "data.jsonl of t.Hostile/2021-01-01/.*src/rec-2021-01-01/p.avro: writer schema refused: record L contains itself" \
	"$W/lybfs.log" || fail "no log line for the recursive schema: $(tail -n 3 "$W/lybfs.log")"
grep -q "data.jsonl of t.Hostile/2021-01-02/.*src/amp-2021-01-02/p.avro: block 0 at offset 96: claims 400000000 records in 0 bytes" \
	"$W/lybfs.log" || fail "no log line for the amplified block: $(tail -n 3 "$W/lybfs.log")"
grep -q "data.jsonl of t.Hostile/2021-01-03/.*nested deeper than 32 levels" \
	"$W/lybfs.log" || fail "no log line for the deep schema"
grep -q "data.jsonl of t.Hostile/2021-01-04/.*p.avro: block 0 (offset 2125): decodes to more than 1048576 bytes of JSON" \
	"$W/lybfs.log" || fail "no log line for the JSON amplification"
grep -q "data.jsonl of t.Hostile/2021-01-05/.*p.avro: block 0: its [0-9]* bytes of deflate data decompress to more than 64 MiB" \
	"$W/lybfs.log" || fail "no log line for the deflate bomb"
# remembered: another stat does not decode again
n=$(grep -c "data.jsonl of t.Hostile/2021-01-02/.*indexing" "$W/lybfs.log")
as "$U" stat "$(JV 2021-01-02)" >/dev/null 2>&1 || true
[ "$(grep -c "data.jsonl of t.Hostile/2021-01-02/.*indexing" "$W/lybfs.log")" -eq "$n" ] ||
	fail "the amplified version was indexed again"
hwm_ok "after the stats"

step "forged indexes: three readers ask 10 bytes at once: EIO, a log line"
# the catalog's index is data.avro.json's (view.h); data.jsonl's is
# computed from the data, which the limits refuse: EIO at lookup
JA() { echo "$D/$1/latest/data.avro.json"; }
for d in 2021-02-0{1,2,3}; do
	expect_errno "Input/output error" stat "$(J $d)"
done
for d in 2021-02-0{1,2,3}; do
	[ "$(stat -c %s "$(JA $d)")" -gt 0 ] || fail "$d: the forged size is not served"
	pids=
	for i in 1 2 3; do
		(dd if="$(JA $d)" bs=10 count=1 status=none >"$W/r$i.out" 2>"$W/r$i.err" &&
			echo ok >"$W/r$i.rc" || echo failed >"$W/r$i.rc") &
		pids="$pids $!"
	done
	wait $pids # not plain wait: lybfs is a child too
	for i in 1 2 3; do
		[ "$(cat "$W/r$i.rc")" = failed ] || fail "$d: reader $i read $(wc -c <"$W/r$i.out") bytes"
		grep -q "Input/output error" "$W/r$i.err" || fail "$d: reader $i: $(cat "$W/r$i.err")"
		[ ! -s "$W/r$i.out" ] || fail "$d: reader $i got bytes"
	done
	alive "reads of $d"
done
grep -q "data.avro.json of t.Hostile/2021-02-01/.*src/rec-2021-02-01/p.avro: writer schema refused: record L contains itself" \
	"$W/lybfs.log" || fail "no read log line for the recursive schema"
grep -q "data.avro.json of t.Hostile/2021-02-02/.*src/amp-2021-02-02/p.avro: block 0: claims 400000000 records in 0 bytes" \
	"$W/lybfs.log" || fail "no read log line for the amplified block: $(grep 2021-02-02 "$W/lybfs.log" | tail -n 3)"
grep -q "data.avro.json of t.Hostile/2021-02-03/.*src/bz-lzma-2021-02-03/p.avro: block 0: its [0-9]* bytes of lzma data decompress to more than 64 MiB" \
	"$W/lybfs.log" || fail "no read log line for the lzma bomb"
# a non-reader is denied at open, before anything is decoded
expect_errno "Permission denied" as "$U" head -c 10 "$(JA 2021-02-02)"
hwm_ok "after the forged reads"

step "the raw bytes still read, byte-exact"
for x in "2021-01-01 rec" "2021-01-02 amp" "2021-01-05 bz-deflate" "2021-02-02 amp"; do
	set -- $x
	cmp "$D/$1/latest/gs/p.avro" "$W/src/$2/p.avro" || fail "$1: raw bytes differ"
done

step "a legal 200 MB block: three readers ask 10 bytes 150 MB on, memory bounded"
WJ=$(J 2021-03-01)
size=$(stat -c %s "$WJ")
[ "$size" -gt 200000000 ] || fail "wide data.jsonl is $size bytes"
line=$((2 + 2000 + 2 + 1 + 1 + 1)) # {"fff...":0}\n
[ "$size" -eq $((100000 * line)) ] || fail "wide data.jsonl is $size bytes, want $((100000 * line))"
off=$((75000 * line))
# three readers, their files open at once, each reading 10 bytes; the
# daemon's peak is taken while all three are open
$PY - "$WJ" "$off" "$LYBFS_PID" "$HWM_MAX_KB" <<'PYEOF'
import os, sys, threading
path, off, pid, hwm_max = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
line = '{"' + 'f' * 2000 + '":0}\n'
fds = [os.open(path, os.O_RDONLY) for _ in range(3)]
got = [None] * 3
# far apart: not one page the kernel caches for all three
at = [off + i * (5 << 20) + i for i in range(3)]
def read(i):
    got[i] = os.pread(fds[i], 10, at[i])
ts = [threading.Thread(target=read, args=(i,)) for i in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for i in range(3):
    k = at[i] % len(line)
    want = (line * 2)[k:k + 10].encode()
    assert got[i] == want, "reader %d got %r, want %r" % (i, got[i], want)
hwm = [int(l.split()[1]) for l in open("/proc/%s/status" % pid) if l.startswith("VmHWM:")][0]
print("  three files open, 10 bytes each: daemon VmHWM %d MiB" % (hwm // 1024))
assert hwm < hwm_max, "daemon VmHWM %d kB >= %d kB" % (hwm, hwm_max)
for fd in fds:
    os.close(fd)
PYEOF
[ "$(tail -c 20 "$WJ")" = "$($PY -c "print(('f' * 2000 + '\":0}')[-19:])")" ] || fail "the last line"
alive "wide reads"
hwm_ok "after the wide reads"
echo "OK"
