#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The lybfs benchmark, as far as this build goes (file:// stores; the GCS
# read path and its peers come with issues #3 and #4). Every figure is a
# median of RUNS runs, measured in this one run, and lybfs is reported as a
# ratio to reading the same bytes directly. Prints a markdown table.
#   bench/bench.sh [BUILD_DIR]      env: SIZE_MB (1024), RUNS (3), DATES (10000), VERSIONS (100000)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
DATES=${DATES:-10000}
VERSIONS=${VERSIONS:-100000}
LYB=$BUILD/lyb
LYBFS=$BUILD/lybfs
PY=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (mounts, drop_caches)" >&2; exit 1; }
bash "$SRC/scripts/deps.sh" bc >/dev/null

W=$(mktemp -d /var/tmp/lyb-bench.XXXXXX)
MNT=$W/mnt
PID=
cleanup() {
	mountpoint -q "$MNT" 2>/dev/null && { fusermount3 -u "$MNT" || fusermount3 -u -z "$MNT"; }
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$MNT" "$W/data/big" "$W/data/small"

mount_it() { # mount_it CATALOG_DIR
	# the data lives beside the catalog, under $W: file_roots must say so
	"$LYBFS" -f -o "catalog=file://$1,file_roots=$W,admin=user:root@thecompany.com,audit=$W/audit.log" "$MNT" 2>>"$W/lybfs.log" &
	PID=$!
	for _ in $(seq 100); do mountpoint -q "$MNT" && return; sleep 0.1; done
	echo "bench: mount failed" >&2; exit 1
}
unmount_it() {
	fusermount3 -u "$MNT"; wait "$PID" 2>/dev/null || true; PID=
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# secs CMD...: wall seconds of one run; a failed run stops the benchmark
# (a read that fails fast must never be reported as a fast read)
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null || { echo "bench: '$*' failed" >&2; kill -TERM $$; exit 1; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

echo "bench: writing a ${SIZE_MB} MiB object and a catalog" >&2
head -c "$((SIZE_MB << 20))" /dev/urandom >"$W/data/big/object.bin"
"$LYB" --catalog "file://$W/cat" dataset create b.Big --owner group:bench >/dev/null
# any bytes will do for a gs location's reads; publish wants Avro, so the
# big object goes into the manifest the way a scan would record it
$PY - "$W" <<'PYEOF'
import base64, hashlib, json, os, sys
w = sys.argv[1]
p = os.path.join(w, "data/big/object.bin")
st = os.stat(p)
md5 = hashlib.md5()
with open(p, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        md5.update(chunk)
doc = json.load(open(os.path.join(w, "cat/datasets/b.Big.json")))
digest = hashlib.sha256(b"big").hexdigest()
doc["versions"] = [{"date": "2020-09-03", "id": digest[:6], "digest": digest,
    "published": "2020-09-03T07:00:00Z", "bytes": st.st_size,
    "locations": {"gs": {"url": "file://" + os.path.join(w, "data/big"), "format": "avro",
        "objects": [{"name": "object.bin", "size": st.st_size,
                     "generation": st.st_mtime_ns,
                     "md5": base64.b64encode(md5.digest()).decode()}]}}}]
json.dump(doc, open(os.path.join(w, "cat/datasets/b.Big.json"), "w"))
PYEOF
BIG=$MNT/b.Big/latest/gs/object.bin

mount_it "$W/cat"
raw=() fs=() head_raw=() head_fs=() warm=()
for _ in $(seq "$RUNS"); do
	drop; raw+=("$(secs cat "$W/data/big/object.bin")")
	drop; fs+=("$(secs cat "$BIG")")
	warm+=("$(secs cat "$BIG")")
	drop; head_raw+=("$(secs head -c 4096 "$W/data/big/object.bin")")
	drop; head_fs+=("$(secs head -c 4096 "$BIG")")
done
unmount_it
r=$(printf '%s\n' "${raw[@]}" | median)
f=$(printf '%s\n' "${fs[@]}" | median)
wm=$(printf '%s\n' "${warm[@]}" | median)
hr=$(printf '%s\n' "${head_raw[@]}" | median)
hf=$(printf '%s\n' "${head_fs[@]}" | median)

echo "bench: a DataSet with $DATES dates, a catalog of $VERSIONS versions" >&2
$PY - "$W" "$DATES" "$VERSIONS" <<'PYEOF'
import datetime, hashlib, json, os, sys
w, ndates, nversions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(os.path.join(w, "cat2/datasets"))
open(os.path.join(w, "cat2/lybrary.json"), "w").write('{"lybrary": 1}\n')
def doc(name, n, dates):
    vs, ids = [], set()
    d0 = datetime.date(1990, 1, 1)
    for i in range(n):
        digest = hashlib.sha256(("%s/%d" % (name, i)).encode()).hexdigest()
        k = 6  # as lyb publish does: lengthen the id until it is unique
        while digest[:k] in ids:
            k += 2
        ids.add(digest[:k])
        vs.append({"date": (d0 + datetime.timedelta(days=i % dates)).isoformat(),
                   "id": digest[:k], "digest": digest,
                   "published": "2020-09-03T07:00:00Z", "rows": 10, "bytes": 100,
                   "locations": {"gs": {"url": "gs://bucket/%s/%d" % (name, i), "format": "avro",
                       "objects": [{"name": "part-00000.avro", "size": 100, "generation": 1,
                                    "crc32c": "AAAAAA=="}]}}})
    return {"lybrary": 1, "name": name, "owner": {"team": "group:bench"},
            "created": "2020-01-01T00:00:00Z", "versions": vs}
per = 1000
for k in range(nversions // per):
    name = "bench.Set%04d" % k
    json.dump(doc(name, per, per), open(os.path.join(w, "cat2/datasets", name + ".json"), "w"))
json.dump(doc("bench.Dates", ndates, ndates), open(os.path.join(w, "cat2/datasets/bench.Dates.json"), "w"))
PYEOF
t0=$(date +%s.%N)
mount_it "$W/cat2"
t1=$(date +%s.%N)
load=$(echo "$t1 - $t0" | bc -l)
ls_cold=$(secs ls -l "$MNT/bench.Dates")
ls_warm=()
for _ in $(seq "$RUNS"); do ls_warm+=("$(secs ls -l "$MNT/bench.Dates")"); done
lw=$(printf '%s\n' "${ls_warm[@]}" | median)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
[ -d "$MNT/bench.Dates" ] || { echo "bench: bench.Dates is missing: $(tail -3 "$W/lybfs.log")" >&2; exit 1; }
unmount_it

mb() { echo "$SIZE_MB / $1" | bc -l; }
cat <<TABLE
| measure | direct read | lybfs | lybfs / direct |
|---|---|---|---|
| cold sequential read, ${SIZE_MB} MiB (MB/s) | $(printf %.0f "$(mb "$r")") | $(printf %.0f "$(mb "$f")") | $(printf %.2f "$(echo "$r / $f" | bc -l)") |
| warm re-read (MB/s) | | $(printf %.0f "$(mb "$wm")") | |
| \`head -c 4096\`, cold (ms) | $(printf %.1f "$(echo "$hr * 1000" | bc -l)") | $(printf %.1f "$(echo "$hf * 1000" | bc -l)") | |
| mount with $((VERSIONS + DATES)) versions in the catalog (s) | | $(printf %.2f "$load") | |
| \`ls -l\` of a DataSet with $DATES dates, cold / warm (ms) | | $(printf %.0f "$(echo "$ls_cold * 1000" | bc -l)") / $(printf %.0f "$(echo "$lw * 1000" | bc -l)") | |
| daemon RSS with $((VERSIONS + DATES)) versions (MiB) | | $(printf %.0f "$(echo "$rss / 1024" | bc -l)") | |
TABLE
