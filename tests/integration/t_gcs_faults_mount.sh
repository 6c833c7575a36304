#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reads through a real mount while the GCS server misbehaves on purpose
# (tests/integration/gcs_fault_server.py): 5xx, 429, resets mid-body,
# stalls, wrong ranges, a changed generation. Every byte a reader gets is
# right; reads succeed after retries or fail with EIO within the
# deadline; nothing hangs; the mount recovers when the server does.
. "$(dirname "$0")/lib.sh"

. "$LYB_SRC/tests/integration/gcs_lib.sh"
trap 'rc=$?; set +e; unmount_lybfs; stop_py_server; cleanup "$rc"' EXIT

start_py_server gcs_fault_server.py
export STORAGE_EMULATOR_HOST=127.0.0.1:$PORT
BASE=http://$STORAGE_EMULATOR_HOST

faults() { curl -sf -o /dev/null -X POST --data-binary "$1" "$BASE/_faults"; }

step "objects in the fault server, published"
mkdir -p "$W/src"
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$W/src/big.avro" 3 big
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$W/src/small.avro" 0.25 small
for f in big small; do
	curl -sf -o /dev/null -X POST --data-binary "@$W/src/$f.avro" \
		"$BASE/_object?b=bkt&n=v1/$f.avro" || fail "upload $f"
done
lyb dataset create t.Faults --owner group:data-team >/dev/null
V=$(lyb publish t.Faults 2020-09-01 --gs gs://bkt/v1)
mount_lybfs "gcs_timeout=4,cache_mem=16M"
G=$MNT/t.Faults/2020-09-01/$V/gs
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

# read_ok NAME: the whole file through the mount equals its source
read_ok() { cmp "$G/$1.avro" "$W/src/$1.avro"; }

step "transient faults are retried and every byte is right"
for fs in '["503", "500", "429"]' '["reset:1000", "reset:0"]' \
	'["wrongrange"]' '["full200", "503"]' '["stall:30"]'; do
	unmount_lybfs
	mount_lybfs "gcs_timeout=4,cache_mem=16M"
	faults "$fs"
	t0=$(date +%s)
	read_ok big || fail "faults $fs: wrong bytes or an error"
	read_ok small || fail "faults $fs: small: wrong bytes or an error"
	echo "ok: $fs ($(($(date +%s) - t0)) s)"
done

step "a range stalled among many in flight: the others go on, in time"
# issue #17: a sequential reader keeps several ranges in flight; one that
# stalls past gcs_timeout is cut and retried while the ones after it are
# fetched, so the read costs about one deadline, not one per range.
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$W/src/wide.avro" 24 wide
curl -sf -o /dev/null -X POST --data-binary "@$W/src/wide.avro" \
	"$BASE/_object?b=bkt&n=v2/wide.avro" || fail "upload wide"
lyb dataset create t.Wide --owner group:data-team >/dev/null
VW=$(lyb publish t.Wide 2020-09-01 --gs gs://bkt/v2)
unmount_lybfs
mount_lybfs "gcs_timeout=4,cache_mem=64M"
drop
faults '["ok", "ok", "ok", "ok", "ok", "ok", "stall:30"]'
t0=$(date +%s.%N)
cmp "$MNT/t.Wide/2020-09-01/$VW/gs/wide.avro" "$W/src/wide.avro" || fail "wide: wrong bytes or an error"
took=$(echo "$(date +%s.%N) - $t0" | bc -l)
n=$(curl -sf "$BASE/_log" | jq '[.[] | select(.range != null and .range != "")] | length')
echo "24 MiB with one range stalled: $took s, $n ranged requests"
[ "$(echo "$took < 12" | bc)" = 1 ] || fail "the read took $took s with one stalled range (gcs_timeout=4)"

step "a server failing longer than the deadline: EIO in time, no hang"
unmount_lybfs
mount_lybfs "gcs_timeout=3,cache_mem=16M"
faults "$(/usr/bin/python3 -c 'import json; print(json.dumps(["503"] * 1000))')"
t0=$(date +%s)
if timeout 60 cat "$G/small.avro" >"$W/out" 2>"$W/err"; then
	fail "a read succeeded while the server only answered 503"
fi
took=$(($(date +%s) - t0))
grep -q "Input/output error" "$W/err" || fail "expected EIO, got: $(cat "$W/err")"
[ "$took" -le 20 ] || fail "EIO took $took s with gcs_timeout=3"
grep -q "gave up after" "$W/lybfs.log" || fail "the give-up was not logged"
echo "EIO after $took s"

step "the mount recovers when the server does"
faults '[]'
read_ok small || fail "no recovery after the server came back"
read_ok big || fail "no recovery (big)"

step "an object whose generation changed is never served"
unmount_lybfs
mount_lybfs "gcs_timeout=3,cache_mem=16M"
faults '["gen", "gen", "gen", "gen", "gen", "gen"]'
if cat "$G/small.avro" >/dev/null 2>&1; then
	fail "bytes of another generation were served"
fi
grep -q "the object changed" "$W/lybfs.log" || fail "the changed generation was not logged"
faults '[]'

step "the server gone entirely: EIO, and the rest of the mount serves"
unmount_lybfs
mount_lybfs "gcs_timeout=2,cache_mem=16M"
stop_py_server
if timeout 60 cat "$G/big.avro" >/dev/null 2>&1; then
	fail "read succeeded with no server"
fi
ls "$MNT/t.Faults/2020-09-01" >/dev/null || fail "listing failed with the store down"
jq -e . "$MNT/t.Faults/.lyb/info.json" >/dev/null || fail "info.json failed with the store down"
echo PASS
