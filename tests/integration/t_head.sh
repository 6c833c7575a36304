#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# lyb head: records as JSON lines, compared record by record with what an
# independent implementation (python3-avro) decodes from the same files,
# for each codec, many small blocks, one large block, an empty file, a
# version of several files; Snowflake exports (gzip JSON lines, gzip CSV
# with a header); corrupt data; and how little it reads.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || fail "strace is missing (scripts/deps.sh installs it)"
lyb dataset create t.H --owner group:x >/dev/null

# publish_one DATE DIR: publishes DIR as the gs copy of DATE
publish_one() { lyb publish t.H "$1" --gs "file://$2" >/dev/null; }
same_records() { # same_records EXPECTED.jsonl GOT.jsonl
	$PY - "$1" "$2" <<'PYEOF'
import json, sys
want = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
assert len(want) == len(got), "%d records, want %d" % (len(got), len(want))
for i, (w, g) in enumerate(zip(want, got)):
    assert w == g, "record %d differs:\n got  %s\n want %s" % (i, g, w)
print("  %d records identical" % len(got))
PYEOF
}

day=1
for spec in "null 300 7" "deflate 300 7" "snappy 300 7" "null 20000 100000" "deflate 0 10"; do
	set -- $spec
	step "codec $1, $2 records, $3 per block"
	d=$W/c$day
	mkdir -p "$d"
	make_avro "$d/part-0.avro" --rows "$2" --codec "$1" --block-records "$3" --seed "$spec"
	date=2020-10-$(printf %02d $day)
	publish_one "$date" "$d"
	# plain JSON by default, as data.jsonl; --avro-json as data.avro.json
	$PY "$LYB_SRC/tests/integration/avro_to_json.py" --plain "$d/part-0.avro" >"$W/want"
	lyb head -n 100000 t.H "$date" gs >"$W/got" || fail "lyb head failed"
	same_records "$W/want" "$W/got" || fail "records differ for $spec"
	$PY "$LYB_SRC/tests/integration/avro_to_json.py" "$d/part-0.avro" >"$W/want"
	lyb head --avro-json -n 100000 t.H "$date" gs >"$W/got" || fail "lyb head --avro-json failed"
	same_records "$W/want" "$W/got" || fail "Avro JSON records differ for $spec"
	day=$((day + 1))
done

step "a version of several files reads in manifest order, across files"
mkdir -p "$W/multi"
make_avro "$W/multi/a.avro" --rows 3 --seed a
make_avro "$W/multi/b.avro" --rows 4 --seed b
publish_one 2020-11-01 "$W/multi"
for f in a b; do $PY "$LYB_SRC/tests/integration/avro_to_json.py" --plain "$W/multi/$f.avro"; done >"$W/all"
head -n 5 "$W/all" >"$W/want"
lyb head -n 5 t.H 2020-11-01 >"$W/got"
same_records "$W/want" "$W/got" || fail "records across files"
[ "$(lyb head t.H 2020-11-01 | wc -l)" -eq 7 ] || fail "default -n 10 should print all 7"
[ "$(lyb head -n 0 t.H 2020-11-01 | wc -l)" -eq 0 ] || fail "-n 0"

step "the latest date and gs are the defaults"
[ "$(lyb head -n 1 t.H)" = "$(lyb head -n 1 t.H 2020-11-01 gs)" ] || fail "defaults"

step "Snowflake exports: gzip JSON lines and gzip CSV with a header"
mkdir -p "$W/sj" "$W/sc" "$W/g"
make_avro "$W/g/p.avro" --rows 2 --seed g
$PY - "$W" <<'PYEOF'
import csv, gzip, io, json, sys
w = sys.argv[1]
rows = [{"artist_id": "a1", "name": "Plain"},
        {"artist_id": "a2", "name": "Comma, inside"},
        {"artist_id": "a3", "name": 'He said "hi"\nand left'}]
with gzip.open(w + "/sj/data_0_0_0.json.gz", "wt") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
with gzip.open(w + "/sc/data_0_1_0.csv.gz", "wt", newline="") as f:
    c = csv.DictWriter(f, fieldnames=["artist_id", "name"])
    c.writeheader()
    c.writerows(rows)
with open(w + "/want_snow", "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PYEOF
lyb publish t.H 2020-11-02 --gs "file://$W/g" --snow "snow://db/j=file://$W/sj" >/dev/null
lyb publish t.H 2020-11-03 --snow "snow://db/c=file://$W/sc" >/dev/null
lyb head t.H 2020-11-02 snow >"$W/got"
same_records "$W/want_snow" "$W/got" || fail "JSON export"
lyb head t.H 2020-11-03 >"$W/got" # no gs copy: snow is the default
same_records "$W/want_snow" "$W/got" || fail "CSV export"

step "corrupt block data: a clear error naming the block, non-zero exit"
mkdir -p "$W/bad"
make_avro "$W/bad/p.avro" --rows 200 --codec deflate --block-records 50 --seed bad
$PY - "$W/bad/p.avro" <<'PYEOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
# garble the middle of the file: inside a block, not its framing
mid = len(b) // 2
b[mid:mid + 40] = bytes(40)
open(p, "wb").write(bytes(b))
PYEOF
if lyb publish t.H 2020-11-04 --gs "file://$W/bad" >/dev/null 2>"$W/err"; then
	lyb head -n 1000 t.H 2020-11-04 >/dev/null 2>"$W/err" && fail "a corrupt file decoded"
fi
grep -qE "block [0-9]+" "$W/err" || fail "the error does not name the block: $(cat "$W/err")"
[ "$(wc -l <"$W/err")" -eq 1 ] || fail "more than one line of error: $(cat "$W/err")"

step "head -n 2 of a large many-block file reads its first block, not the file"
mkdir -p "$W/big"
make_avro "$W/big/p.avro" --rows 40000 --block-records 100 --seed big
publish_one 2020-11-05 "$W/big"
size=$(stat -c %s "$W/big/p.avro")
# LeakSanitizer cannot run under ptrace
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -e trace=pread64 -o "$W/trace" "$LYB_BIN" --catalog "$CAT" head -n 2 t.H 2020-11-05 >/dev/null
fd_reads=$(grep -c 'pread64' "$W/trace")
bytes=$(awk -F'= ' '/pread64/ {s += $NF} END {print s}' "$W/trace")
echo "  file $size bytes; lyb head -n 2 read $bytes bytes in $fd_reads preads (catalog included)"
[ "$size" -gt 2000000 ] || fail "the test file is too small to tell"
# what is decoded is checked first, in whole 1 MiB blocks (block_crc32c):
# one block, plus the catalog
[ "$bytes" -lt $(((1 << 20) + 262144)) ] || fail "lyb head read $bytes bytes"
echo "PASS"
