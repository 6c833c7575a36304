#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# data.jsonl (plain JSON), data.avro.json (the Avro JSON encoding) and
# schema.avsc in the mount: records compared one by one with
# what python3-avro decodes from the same files (codecs null, deflate,
# snappy; many small blocks, one large block, empty files, several files),
# read by unmodified programs (cat, tail, wc, grep, jq, python, dd at random
# offsets); st_size exact, also when computed on first need; Snowflake
# exports; how little `head -n 2` fetches; and EIO, with a log line naming
# the file and block, for an unsupported codec and for corrupt blocks.
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is missing (scripts/deps.sh installs it)"
export LC_ALL=C
TO_JSON=$LYB_SRC/tests/integration/avro_to_json.py
cat >"$W/schema.avsc" <<'EOF'
{"type": "record", "name": "DominantGenres", "namespace": "artist_metadata",
 "fields": [{"name": "artist_id", "type": "string"}]}
EOF
lyb dataset create t.J --owner group:x --schema "$W/schema.avsc" >/dev/null

# random_reads FILE FULL: preads at random offsets, with the page cache
# dropped before each, equal slices of FULL (the whole file read before).
random_reads() {
	$PY - "$1" "$2" <<'PYEOF'
import os, random, sys
full = open(sys.argv[2], "rb").read()
fd = os.open(sys.argv[1], os.O_RDONLY)
rng = random.Random(7)
n = len(full)
for i in range(60):
    off = rng.randrange(0, n + 10) if n else 0
    ln = rng.choice([1, 17, 4096, 70000, 300000])
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    got = os.pread(fd, ln, off)
    assert got == full[off:off + ln], "pread(%d, %d) differs" % (ln, off)
os.close(fd)
print("  60 random reads match")
PYEOF
}

# publish DATE DIR...: each DIR a gs copy; prints the version id
publish() { lyb publish t.J "$1" --gs "file://$2"; }

mkdir -p "$W/s"
specs=("null 300 7" "deflate 300 7" "snappy 300 7" "null 20000 100000" "deflate 0 10" "snappy 5000 50")
day=1
for spec in "${specs[@]}"; do
	set -- $spec
	d=$W/s/$day
	mkdir -p "$d"
	make_avro "$d/part-0.avro" --rows "$2" --codec "$1" --block-records "$3" --seed "$spec"
	publish 2020-10-$(printf %02d $day) "$d" >/dev/null
	day=$((day + 1))
done
step "several files, an empty one among them, read in manifest order"
mkdir -p "$W/s/multi"
make_avro "$W/s/multi/a.avro" --rows 40 --block-records 9 --seed a
make_avro "$W/s/multi/b.avro" --rows 0 --seed b
make_avro "$W/s/multi/c.avro" --rows 25 --codec deflate --block-records 4 --seed c
publish 2020-10-20 "$W/s/multi" >/dev/null

mount_lybfs

day=1
for spec in "${specs[@]}" multi; do
	set -- $spec
	for view in data.jsonl data.avro.json; do
		mode=
		[ $view = data.jsonl ] && mode=--plain
		if [ "$spec" = multi ]; then
			date=2020-10-20
			for f in a b c; do $PY "$TO_JSON" $mode "$W/s/multi/$f.avro"; done >"$W/want"
		else
			date=2020-10-$(printf %02d $day)
			$PY "$TO_JSON" $mode "$W/s/$day/part-0.avro" >"$W/want"
		fi
		step "$date ($spec): $view against python3-avro"
		J=$MNT/t.J/$date/latest/$view
		cat "$J" >"$W/full"
		same_records "$W/want" "$W/full" || fail "records differ for $spec"
		size=$(stat -c %s "$J")
		[ "$size" -eq "$(wc -c <"$W/full")" ] || fail "st_size $size, read $(wc -c <"$W/full")"
		[ "$(wc -l <"$J")" -eq "$(wc -l <"$W/want")" ] || fail "wc -l"
		tail -n 3 "$J" >"$W/got_tail"
		tail -n 3 "$W/want" >"$W/want_tail"
		same_records "$W/want_tail" "$W/got_tail" >/dev/null || fail "tail -n 3"
		gold=$($PY -c 'import json,sys; print(sum(json.loads(l)["tier"] == "GOLD" for l in open(sys.argv[1])))' "$W/want")
		[ "$(grep -c '"tier":"GOLD"' "$J" || true)" -eq "$gold" ] || fail "grep -c"
		[ "$(jq -c . "$J" | wc -l)" -eq "$(wc -l <"$W/want")" ] || fail "jq"
		random_reads "$J" "$W/full" || fail "random reads for $spec"
	done
	[ "$spec" = multi ] || day=$((day + 1))
done

step "dd at an offset matches the same slice of a full read"
J=$MNT/t.J/2020-10-04/latest/data.jsonl
cat "$J" >"$W/full"
sync
echo 3 >/proc/sys/vm/drop_caches
dd if="$J" of="$W/dd" bs=65536 iflag=skip_bytes,count_bytes skip=1234567 count=200000 status=none
cmp "$W/dd" <(tail -c +1234568 "$W/full" | head -c 200000) || fail "dd slice"

step "the catalog records both indexes: jsonl (data.avro.json) and jsonl_plain (data.jsonl)"
rec=$W/catalog/datasets/t.J.json
want=$(jq --arg d 2020-10-04 '.versions[] | select(.date == $d) | .locations.gs.jsonl.bytes' "$rec")
[ "$want" -eq "$(stat -c %s "${J%/*}/data.avro.json")" ] || fail "recorded $want"
[ "$(jq '.versions[] | select(.date == "2020-10-04") | .locations.gs.jsonl.index | length' "$rec")" -ge 1 ] ||
	fail "no index recorded"
plain=$(jq --arg d 2020-10-04 '.versions[] | select(.date == $d) | .locations.gs.jsonl_plain.bytes' "$rec")
[ "$plain" -eq "$(stat -c %s "$J")" ] || fail "recorded plain $plain, data.jsonl is $(stat -c %s "$J")"
! grep -q "data.jsonl of t.J/2020-10-04/.*indexing" "$W/lybfs.log" ||
	fail "data.jsonl was indexed by the mount although publish recorded its index"

step "schema.avsc: the DataSet's schema and each version's writer schema"
jq -e '.name == "DominantGenres" and (.fields | length) == 1' "$MNT/t.J/.lyb/schema.avsc" >/dev/null ||
	fail "DataSet schema: $(cat "$MNT/t.J/.lyb/schema.avsc")"
$PY - "$MNT/t.J/2020-10-01/latest/.lyb/schema.avsc" "$W/s/1/part-0.avro" <<'PYEOF' || fail "writer schema"
import json, sys
import avro.datafile, avro.io
with open(sys.argv[2], "rb") as f:
    r = avro.datafile.DataFileReader(f, avro.io.DatumReader())
    want = json.loads(r.meta["avro.schema"])
got = json.load(open(sys.argv[1]))
assert got == want, (got, want)
PYEOF
ls "$MNT/t.J/2020-10-01/latest/.lyb" | grep -qx schema.avsc || fail "schema.avsc not listed"
[ "$(stat -c %s "$MNT/t.J/.lyb/schema.avsc")" -eq "$(wc -c <"$MNT/t.J/.lyb/schema.avsc")" ] || fail "schema size"

step "head -n 2 of a large many-block file fetches only its first block"
# data.avro.json, whose index the catalog records (data.jsonl's too)
mkdir -p "$W/big"
make_avro "$W/big/p.avro" --rows 60000 --block-records 100 --codec deflate --seed big
publish 2020-11-01 "$W/big" >/dev/null
wait_for test -d "$MNT/t.J/2020-11-01" || fail "the new version did not appear"
B=$MNT/t.J/2020-11-01/latest/data.avro.json
stat "$B" >/dev/null
store_bytes() { awk '$1 == "lyb_store_bytes_total" {print $2}' "$MNT/.lyb/metrics"; }
b1=$(store_bytes)
head -n 2 "$B" >"$W/head2"
b2=$(store_bytes)
asize=$(stat -c %s "$W/big/p.avro")
fetched=$((b2 - b1))
echo "  Avro file $asize bytes, data.jsonl $(stat -c %s "$B") bytes; head -n 2 fetched $fetched bytes"
[ "$asize" -gt 2000000 ] || fail "the test file is too small to tell"
# every byte served is checked against its 1 MiB block's CRC32C: one block
[ "$fetched" -gt 0 ] && [ "$fetched" -le $((1 << 20)) ] || fail "head -n 2 fetched $fetched bytes"
$PY "$TO_JSON" "$W/big/p.avro" >"$W/want_all"
head -n 2 "$W/want_all" >"$W/want"
same_records "$W/want" "$W/head2" || fail "head -n 2"
b1=$(store_bytes)
tail -n 1 "$B" >/dev/null
fetched=$(($(store_bytes) - b1))
[ "$fetched" -lt 1000000 ] || fail "tail -n 1 fetched $fetched bytes"
# data.jsonl: as lazy, from its recorded index
P=$MNT/t.J/2020-11-01/latest/data.jsonl
stat "$P" >/dev/null
b1=$(store_bytes)
head -n 2 "$P" >"$W/head2"
tail -n 1 "$P" >/dev/null
fetched=$(($(store_bytes) - b1))
echo "  data.jsonl $(stat -c %s "$P") bytes; head -n 2 and tail -n 1 fetched $fetched bytes"
[ "$fetched" -lt 2000000 ] || fail "data.jsonl: head and tail fetched $fetched bytes"
! grep -q "data.jsonl of t.J/2020-11-01/.*indexing" "$W/lybfs.log" || fail "data.jsonl of a published version was indexed"
$PY "$TO_JSON" --plain "$W/big/p.avro" >"$W/want_all"
head -n 2 "$W/want_all" >"$W/want"
same_records "$W/want" "$W/head2" || fail "head -n 2 of data.jsonl"

step "a version published without an index: computed on first need, cached"
want_size=$(stat -c %s "$MNT/t.J/2020-10-02/latest/data.avro.json")
cat "$MNT/t.J/2020-10-02/latest/data.avro.json" >"$W/before"
plain_size=$(stat -c %s "$MNT/t.J/2020-10-02/latest/data.jsonl")
cat "$MNT/t.J/2020-10-02/latest/data.jsonl" >"$W/before_plain"
indexed() { grep -c "$1 of t.J/2020-10-02/.*indexing" "$W/lybfs.log" || true; }
n_plain=$(indexed data.jsonl)
[ "$(indexed data.avro.json)" -eq 0 ] || fail "data.avro.json was indexed with the catalog's index"
$PY - "$rec" <<'PYEOF'
import json, sys
doc = json.load(open(sys.argv[1]))
for v in doc["versions"]:
    if v["date"] == "2020-10-02":
        for loc in v["locations"].values():
            loc.pop("jsonl", None)
            loc.pop("jsonl_plain", None)
            loc.pop("schema", None)
open(sys.argv[1] + ".tmp", "w").write(json.dumps(doc, indent=2))
PYEOF
mv "$rec.tmp" "$rec"
lyb ls t.J >/dev/null # the catalog still parses
has_index() { [ "$(jq '.versions[] | select(.date == "2020-10-02") | .locations.gs | has("jsonl")' "$rec")" = "$1" ]; }
has_index false || fail "the index is still there"
# a fresh mount (the kernel caches a version's attributes for an hour)
unmount_lybfs
mount_lybfs
got_size=$(stat -c %s "$MNT/t.J/2020-10-02/latest/data.avro.json")
[ "$got_size" -eq "$want_size" ] || fail "computed size $got_size, recorded $want_size"
cmp "$W/before" "$MNT/t.J/2020-10-02/latest/data.avro.json" || fail "computed content differs"
[ "$(stat -c %s "$MNT/t.J/2020-10-02/latest/data.jsonl")" -eq "$plain_size" ] || fail "plain size"
cmp "$W/before_plain" "$MNT/t.J/2020-10-02/latest/data.jsonl" || fail "plain content differs"
jq -e '.name == "DominantGenres"' "$MNT/t.J/2020-10-02/latest/.lyb/schema.avsc" >/dev/null || fail "lazy schema"
stat "$MNT/t.J/2020-10-02/latest/data.jsonl" "$MNT/t.J/2020-10-02/latest/data.avro.json" >/dev/null
[ "$(indexed data.avro.json)" -eq 1 ] || fail "data.avro.json indexed $(indexed data.avro.json) times, want once"
[ "$(indexed data.jsonl)" -eq $((n_plain + 1)) ] ||
	fail "data.jsonl indexed $(($(indexed data.jsonl) - n_plain)) times in the new mount, want once"

step "Snowflake exports: gzip JSON lines in several files, gzip CSV with a header"
mkdir -p "$W/sj" "$W/sc"
$PY - "$W" <<'PYEOF'
import csv, gzip, json, sys
w = sys.argv[1]
rows = [{"artist_id": "a%d" % i, "name": ["Plain", "Comma, inside", 'He said "hi"\nand left'][i % 3],
         "n": i} for i in range(150000)]
with gzip.open(w + "/sj/data_0_0_0.json.gz", "wt") as f:
    for r in rows[:100000]:
        f.write(json.dumps(r) + "\n")
with gzip.open(w + "/sj/data_0_0_1.json.gz", "wt") as f:
    for r in rows[100000:]:
        f.write(json.dumps(r) + "\n")
with open(w + "/want_j", "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
small = rows[:50]
with gzip.open(w + "/sc/data_0_1_0.csv.gz", "wt", newline="") as f:
    c = csv.DictWriter(f, fieldnames=["artist_id", "name", "n"])
    c.writeheader()
    c.writerows(small)
with open(w + "/want_c", "w") as f:
    for r in small:
        f.write(json.dumps({k: str(v) for k, v in r.items()}) + "\n")
PYEOF
lyb publish t.J 2020-12-01 --snow "snow://db/j=file://$W/sj" >/dev/null
lyb publish t.J 2020-12-02 --snow "snow://db/c=file://$W/sc" >/dev/null
wait_for test -d "$MNT/t.J/2020-12-02" || fail "the export versions did not appear"
for x in "2020-12-01 want_j" "2020-12-02 want_c"; do
	set -- $x
	J=$MNT/t.J/$1/latest/data.jsonl
	cat "$J" >"$W/full"
	same_records "$W/$2" "$W/full" || fail "export $1"
	[ "$(stat -c %s "$J")" -eq "$(wc -c <"$W/full")" ] || fail "export st_size $1"
	random_reads "$J" "$W/full" || fail "export random reads $1"
done
[ -e "$MNT/t.J/2020-12-01/latest/.lyb/schema.avsc" ] && fail "an export-only version has no writer schema"
[ -e "$MNT/t.J/2020-12-01/latest/data.avro.json" ] && fail "an export-only version has no data.avro.json"
ls "$MNT/t.J/2020-12-01/latest" | grep -qx data.avro.json && fail "data.avro.json listed for an export"

step "an unsupported codec (bzip2, which avro-c lacks): EIO and a log line"
mkdir -p "$W/bz"
make_avro "$W/bz/p.avro" --rows 30 --codec bzip2 --seed bz
lyb publish t.J 2021-01-01 --gs "file://$W/bz" >/dev/null 2>"$W/pub.err"
grep -q "no data.jsonl index" "$W/pub.err" || fail "publish did not warn: $(cat "$W/pub.err")"
wait_for test -d "$MNT/t.J/2021-01-01" || fail "the bzip2 version did not appear"
for view in data.jsonl data.avro.json; do
	expect_errno "Input/output error" cat "$MNT/t.J/2021-01-01/latest/$view"
	grep -q "$view of t.J/2021-01-01/.*p.avro: block 0:" "$W/lybfs.log" ||
		fail "no log line naming the file and block: $(tail -n 3 "$W/lybfs.log")"
done
jq -e .name "$MNT/t.J/2021-01-01/latest/.lyb/schema.avsc" >/dev/null || fail "the header still reads"

step "corrupt blocks after publishing (same size and mtime): EIO, never garbage"
for codec in deflate null; do
	mkdir -p "$W/bad-$codec"
	make_avro "$W/bad-$codec/p.avro" --rows 20000 --codec $codec --block-records 20 --seed "bad$codec"
done
lyb publish t.J 2021-02-01 --gs "file://$W/bad-deflate" >/dev/null
lyb publish t.J 2021-02-02 --gs "file://$W/bad-null" >/dev/null
wait_for test -d "$MNT/t.J/2021-02-02" || fail "the versions did not appear"
for x in "2021-02-01 deflate" "2021-02-02 null"; do
	set -- $x
	$PY - "$W/bad-$2/p.avro" <<'PYEOF'
import os, sys
p = sys.argv[1]
st = os.stat(p)
with open(p, "r+b") as f:
    f.seek(st.st_size * 2 // 3)
    f.write(bytes(64))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns)) # the store sees no change
PYEOF
	J=$MNT/t.J/$1/latest/data.jsonl
	expect_errno "Input/output error" cat "$J"
	expect_errno "Input/output error" cat "${J%/*}/data.avro.json"
	# the block cache checks each 1 MiB block against the catalog's
	# block_crc32c before the decoder sees it, and names it
	grep -qE "bad-$2/p.avro: block [0-9]+ \(bytes [0-9]+\.\.\) does not match the catalog's block_crc32c" "$W/lybfs.log" ||
		fail "$2: no log line naming the block or object: $(tail -n 3 "$W/lybfs.log")"
done
grep "data.jsonl of t.J/2021-02" "$W/lybfs.log" | sort -u | sed 's/^/  log: /'

step "a block that still decodes, to other bytes than the index says: EIO"
mkdir -p "$W/bad-size"
make_avro "$W/bad-size/p.avro" --rows 20000 --block-records 20 --seed badsize
lyb publish t.J 2021-02-03 --gs "file://$W/bad-size" >/dev/null
wait_for test -d "$MNT/t.J/2021-02-03" || fail "the version did not appear"
$PY - "$W/bad-size/p.avro" "$TO_JSON" <<'PYEOF'
import json, os, subprocess, sys
p = sys.argv[1]
rec = subprocess.run([sys.executable, sys.argv[2], p], capture_output=True,
                     text=True).stdout.splitlines()[15000]
aid = json.loads(rec)["artist_id"].encode()
st = os.stat(p)
data = open(p, "rb").read()
at = data.index(aid, len(data) // 2)
with open(p, "r+b") as f: # same length; each byte now needs a \u0001
    f.seek(at)
    f.write(b"\x01" * len(aid))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PYEOF
expect_errno "Input/output error" cat "$MNT/t.J/2021-02-03/latest/data.avro.json"
expect_errno "Input/output error" cat "$MNT/t.J/2021-02-03/latest/data.jsonl"
# the block's CRC32C catches it before the decoder's size check can
grep -qE "data.avro.json of t.J/2021-02-03/.*p.avro: block [0-9]* \(offset [0-9]*\): decodes to .* bytes, the index says|bad-size/p.avro: block [0-9]+ \(bytes [0-9]+\.\.\) does not match the catalog's block_crc32c" "$W/lybfs.log" ||
	fail "no log line for the size mismatch: $(tail -n 3 "$W/lybfs.log")"

step "the mount stays healthy"
[ "$(cat "$MNT/.lyb/health")" = "ok" ] || fail "health: $(cat "$MNT/.lyb/health")"
cmp "$MNT/t.J/2020-10-01/latest/data.jsonl" <(cat "$MNT/t.J/2020-10-01/latest/data.jsonl") || fail "reads after errors"
echo PASS
