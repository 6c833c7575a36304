#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# lyb publish --gs from a GCS JSON API server that counts what it is asked
# (tests/integration/gcs_fault_server.py), issue #14 item 4:
#   - an object of 3,000 Avro blocks, and one of 9 MiB, are each read in
#     one pass: 1 + ceil(size / 8 MiB) media requests (the header, then
#     8 MiB windows), where the old scan made three per block and pass;
#     data.jsonl and data.avro.json then read back exactly what
#     python3-avro decodes;
#   - objects are read --jobs at a time (downloads in flight at the
#     server), one at a time with --jobs 1;
#   - progress on a terminal (script(1) gives one), none without, none
#     with --quiet;
#   - writer schemas that differ within a location, or that the
#     DataSet's schema cannot read, are refused, every such object named;
#     a schema evolved with a default reads;
#   - objects that do not frame are all named, file:// paths with their
#     leading '/'.
. "$(dirname "$0")/lib.sh"
. "$LYB_SRC/tests/integration/gcs_lib.sh"
trap 'rc=$?; set +e; unmount_lybfs; stop_py_server; cleanup "$rc"' EXIT
command -v jq >/dev/null || skip "jq is not installed"

start_py_server gcs_fault_server.py
export STORAGE_EMULATOR_HOST=127.0.0.1:$PORT
BASE=http://$STORAGE_EMULATOR_HOST
WINDOW=$((8 << 20))

# put FILE NAME: FILE as gs://data/NAME
put() {
	curl -sf -o /dev/null -X POST --data-binary "@$1" "$BASE/_object?b=data&n=$2" ||
		fail "upload $2"
}
reset_log() { curl -sf -o /dev/null -X POST --data-binary '[]' "$BASE/_faults"; }
# media_gets NAME: downloads of gs://data/NAME since reset_log
media_gets() {
	local esc
	esc=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")
	curl -sf "$BASE/_log" | jq --arg p "/download/storage/v1/b/data/o/$esc" \
		'[.[] | select(.method == "GET" and .path == $p)] | length'
}
delay() { curl -sf -o /dev/null -X POST --data-binary "$1" "$BASE/_delay"; }
inflight() { curl -sf "$BASE/_stats" | jq .max_inflight; }

mkdir -p "$W/src"
make_avro "$W/src/many.avro" --rows 3000 --block-records 1 --seed many
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$W/src/big.avro" 9 big
for i in 0 1 2 3; do
	make_avro "$W/src/s$i.avro" --rows 200 --seed "s$i"
	put "$W/src/s$i.avro" "v3/s$i.avro"
done
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$W/src/b.avro" 1 b
put "$W/src/many.avro" v1/many.avro
put "$W/src/big.avro" v2/big.avro
lyb dataset create t.Pub --owner group:x >/dev/null

step "many blocks, and past the window: one pass each, a few requests"
# blocks: each ends with the sync marker, the header too
nb=$($PY -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.count(d[-16:]) - 1)' "$W/src/many.avro")
[ "$nb" -eq 3000 ] || fail "many.avro has $nb blocks"
for v in v1:many v2:big; do
	reset_log
	V=$(lyb publish t.Pub 2020-09-0${v:1:1} --gs "gs://data/${v%%:*}")
	[ -n "$V" ] || fail "publish ${v%%:*} printed no id"
	size=$(stat -c %s "$W/src/${v#*:}.avro")
	want=$((1 + (size + WINDOW - 1) / WINDOW))
	got=$(media_gets "${v%%:*}/${v#*:}.avro")
	echo "${v#*:}.avro: $size bytes, $got media requests (at most $want)"
	[ "$got" -ge 1 ] && [ "$got" -le "$want" ] ||
		fail "${v#*:}.avro: $got media requests, want 1 to $want"
	eval "V_${v#*:}=$V"
done
mount_lybfs
for f in many:1 big:2; do
	eval "V=\$V_${f%%:*}"
	d=$MNT/t.Pub/2020-09-0${f#*:}/$V
	f=${f%%:*}
	$PY "$LYB_SRC/tests/integration/avro_to_json.py" --plain "$W/src/$f.avro" >"$W/$f.plain"
	$PY "$LYB_SRC/tests/integration/avro_to_json.py" "$W/src/$f.avro" >"$W/$f.avrojson"
	for v in data.jsonl:plain data.avro.json:avrojson; do
		cat "$d/${v%%:*}" >"$W/got" || fail "$f: reading ${v%%:*}"
		[ "$(stat -c %s "$d/${v%%:*}")" -eq "$(stat -c %s "$W/got")" ] ||
			fail "$f: ${v%%:*} is not the size it says"
		same_records "$W/$f.${v#*:}" "$W/got" || fail "$f: ${v%%:*} differs from python3-avro"
	done
done
unmount_lybfs

step "objects are read --jobs at a time"
delay 0.3
reset_log
lyb publish t.Pub 2020-09-03 --gs gs://data/v3 --jobs 4 >/dev/null
n=$(inflight)
[ "$n" -ge 2 ] || fail "--jobs 4: at most $n download(s) at once"
reset_log
lyb publish t.Pub 2020-09-03 --gs gs://data/v3 --jobs 1 >/dev/null
n=$(inflight)
[ "$n" -eq 1 ] || fail "--jobs 1: $n downloads at once"
expect_errno 'publish --jobs: "0": expected an integer from 1 to 64' lyb publish t.Pub 2020-09-03 --gs gs://data/v3 --jobs 0

step "progress on a terminal, none without one, none with --quiet"
command -v script >/dev/null || skip "script (util-linux) is not installed"
PUB="$LYB_BIN --catalog $CAT publish t.Pub 2020-09-03 --gs gs://data/v3"
script -qfec "$PUB" /dev/null >"$W/tty.out" 2>&1 || fail "publish under a pty: $(cat "$W/tty.out")"
tr '\r' '\n' <"$W/tty.out" >"$W/tty.lines"
grep -Eq '^lyb: gs://data/v3: [0-9]+/4 objects, .* of .*, [0-9.]+ MB/s' "$W/tty.lines" ||
	fail "no progress line on the terminal: $(cat -A "$W/tty.out" | head -c 600)"
grep -Eq '^lyb: gs://data/v3: 4 objects, .* in [0-9.]+ s \([0-9.]+ MB/s\)' "$W/tty.lines" ||
	fail "no summary line on the terminal: $(cat -A "$W/tty.out" | head -c 600)"
lyb publish t.Pub 2020-09-03 --gs gs://data/v3 >"$W/out" 2>"$W/err"
[ -s "$W/out" ] && [ ! -s "$W/err" ] || fail "without a terminal stderr says: $(cat "$W/err")"
script -qfec "$PUB --quiet" /dev/null >"$W/tty.out" 2>&1 || fail "--quiet under a pty"
if grep -q "objects" "$W/tty.out"; then fail "--quiet still shows progress"; fi
grep -Eq '^[0-9a-f]{6,}' "$W/tty.out" || fail "--quiet printed no id: $(cat -A "$W/tty.out")"
delay 0

step "writer schemas that differ within a location: each odd one named"
for i in 0 1 2; do put "$W/src/s$i.avro" "v4/a$i.avro"; done
for i in 0 1; do put "$W/src/b.avro" "v4/b$i.avro"; done
reset_log
rc=0
lyb publish t.Pub 2020-09-04 --gs gs://data/v4 >"$W/out" 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$W/out" ] || fail "mixed schemas: exit $rc, $(cat "$W/out")"
grep -q "2 of 5 objects refused:" "$W/err" || fail "mixed schemas: $(cat "$W/err")"
for b in b0 b1; do
	grep -q "gs://data/v4/$b.avro: its writer schema differs from that of a0.avro (and 2 other objects)" "$W/err" ||
		fail "$b.avro is not named: $(cat "$W/err")"
done
if grep -q "v4/a[0-2].avro:" "$W/err"; then fail "a good object is named: $(cat "$W/err")"; fi
# refused before any data was read: one read of each header
n=$(curl -sf "$BASE/_log" | jq '[.[] | select(.method == "GET" and (.path | startswith("/download/")))] | length')
[ "$n" -eq 5 ] || fail "$n downloads: data was read before the schemas were checked"

step "a DataSet schema that cannot read the objects: all named"
$PY - "$LYB_SRC/tests/integration" "$W" <<'PYEOF'
import copy, json, sys
sys.path.insert(0, sys.argv[1])
import make_avro
s = copy.deepcopy(make_avro.SCHEMA)
s["fields"][0]["type"] = "int"  # artist_id, a string in the data
json.dump(s, open(sys.argv[2] + "/typed.avsc", "w"))
e = copy.deepcopy(make_avro.SCHEMA)
e["fields"] = [f for f in e["fields"] if f["name"] != "blob"]
e["fields"].append({"name": "added", "type": ["null", "long"], "default": None})
json.dump(e, open(sys.argv[2] + "/evolved.avsc", "w"))
PYEOF
lyb dataset create t.Typed --owner group:x --schema "$W/typed.avsc" >/dev/null
rc=0
lyb publish t.Typed 2020-09-03 --gs gs://data/v3 >"$W/out" 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$W/out" ] || fail "incompatible schema: exit $rc, $(cat "$W/out")"
grep -q "4 of 4 objects refused:" "$W/err" || fail "incompatible: $(cat "$W/err")"
for i in 0 1 2 3; do
	grep -q "gs://data/v3/s$i.avro: its writer schema cannot be read with the DataSet's schema: field artist_id: the writer's string cannot be read as int" "$W/err" ||
		fail "s$i.avro is not named: $(cat "$W/err")"
done
lyb dataset create t.Evolved --owner group:x --schema "$W/evolved.avsc" >/dev/null
lyb publish t.Evolved 2020-09-03 --gs gs://data/v3 >/dev/null ||
	fail "a schema with a field added (with a default) and one dropped does not read the data"

step "objects that do not frame: every one named; file:// paths keep their '/'"
mkdir -p "$W/bad"
cp "$W/src/s0.avro" "$W/bad/p0.avro"
head -c -1 "$W/src/s1.avro" >"$W/bad/p1.avro"
cp "$W/src/s2.avro" "$W/bad/p2.avro"
head -c -5 "$W/src/s3.avro" >"$W/bad/p3.avro"
rc=0
lyb publish t.Pub 2020-09-05 --gs "file://$W/bad" >"$W/out" 2>"$W/err" || rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$W/out" ] || fail "truncated objects: exit $rc"
grep -q "2 of 4 objects refused:" "$W/err" || fail "truncated: $(cat "$W/err")"
for p in p1 p3; do
	grep -q "^  file://$W/bad/$p.avro: block [0-9]* at offset [0-9]*: " "$W/err" ||
		fail "$p.avro is not named by its path: $(cat "$W/err")"
done
echo junk >"$W/bad/p1.avro"
echo junk >"$W/bad/p3.avro"
expect_errno "scanning the gs location: 2 of 4 objects refused:
  file://$W/bad/p1.avro: not an Avro container (bad magic)" lyb publish t.Pub 2020-09-05 --gs "file://$W/bad"
rm "$W/bad"/*
expect_errno "file://$W/bad: no objects there" lyb publish t.Pub 2020-09-05 --gs "file://$W/bad"
echo "PASS"
