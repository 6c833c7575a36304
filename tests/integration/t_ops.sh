#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the mount tells operators and users beyond the data: delivery
# status against the SLO at a fixed clock, lineage links, metrics in the
# Prometheus text format (parsed by Debian's prometheus_client) that count
# what the test did, health, and `lyb status` / `lyb ls --late`.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
fixture
mkdir -p "$W/f1" "$W/f2" "$W/down"
make_avro "$W/f1/p.avro" --rows 5 --seed f1
make_avro "$W/f2/p.avro" --rows 6 --seed f2
make_avro "$W/down/p.avro" --rows 7 --seed down
lyb dataset create t.Fresh --owner group:x --slo "daily 08:00" >/dev/null
LYB_NOW=2020-09-02T09:15:00Z lyb publish t.Fresh 2020-09-02 --gs "file://$W/f1" >/dev/null
LYB_NOW=2020-09-03T07:30:00Z lyb publish t.Fresh 2020-09-03 --gs "file://$W/f2" >/dev/null
lyb dataset create t.Down --owner group:x --upstream t.Data --upstream t.Fresh >/dev/null
VD=$(lyb publish t.Down 2020-09-03 --gs "file://$W/down" --upstream "t.Data@2020-09-03/$V2")

status_at() { # status_at TIME: mounts with the clock at TIME
	unmount_lybfs
	export LYB_NOW=$1
	mount_lybfs
	unset LYB_NOW
}
field() { sed -n "s/^$1: //p" "$MNT/t.Fresh/.lyb/status"; }

step "on time: 2020-09-03 came at 07:30 for an 08:00 deadline"
status_at 2020-09-03T10:00:00Z
cat "$MNT/t.Fresh/.lyb/status"
[ "$(field state)" = on-time ] || fail "state $(field state)"
[ "$(field expected)" = 2020-09-03 ] || fail "expected $(field expected)"
[ "$(field deadline)" = 2020-09-03T08:00:00Z ] || fail "deadline $(field deadline)"
[ "$(getfattr --only-values -n user.lyb.freshness "$MNT/t.Fresh")" = "$(field summary)" ] ||
	fail "user.lyb.freshness differs from the status summary"

step "late: before 08:00 on 09-03, 2020-09-02 is expected; it came at 09:15"
status_at 2020-09-03T07:00:00Z
[ "$(field state)" = late ] || fail "state $(field state)"
[ "$(field late_by_seconds)" = 4500 ] || fail "late_by $(field late_by_seconds)"
field summary | grep -q "late by 1h 15m" || fail "summary: $(field summary)"

step "missing: on 09-04 after 08:00 there is no 2020-09-04"
status_at 2020-09-04T09:30:00Z
[ "$(field state)" = missing ] || fail "state $(field state)"
[ "$(field late_by_seconds)" = 5400 ] || fail "late_by $(field late_by_seconds)"
LYB_NOW=2020-09-04T09:30:00Z lyb ls --late | grep -q "^t.Fresh  missing: 2020-09-04" || fail "lyb ls --late"
LYB_NOW=2020-09-03T10:00:00Z lyb ls --late | grep -q "^t.Fresh" && fail "lyb ls --late lists an on-time DataSet"
LYB_NOW=2020-09-04T09:30:00Z lyb info t.Fresh | grep -q "missing: 2020-09-04 was due at 08:00 UTC, 1h 30m ago" ||
	fail "lyb info delivery line"
[ "$(sed -n 's/^state: //p' "$MNT/t.Data/.lyb/status")" = missing ] || fail "t.Data status"
[ "$(sed -n 's/^state: //p' "$MNT/t.Down/.lyb/status")" = no-slo ] || fail "t.Down has no SLO"

step "lineage: cd from a DataSet to its upstream and downstream"
[ "$(readlink "$MNT/t.Down/.lyb/upstream/t.Data")" = "../../../t.Data" ] || fail "upstream link"
[ "$(cd "$MNT/t.Down/.lyb/upstream/t.Fresh" && pwd -P)" = "$MNT/t.Fresh" ] || fail "upstream t.Fresh does not resolve"
[ "$(ls "$MNT/t.Data/.lyb/downstream")" = "t.Down" ] || fail "downstream of t.Data: $(ls "$MNT/t.Data/.lyb/downstream")"
[ "$(cd "$MNT/t.Data/.lyb/downstream/t.Down" && pwd -P)" = "$MNT/t.Down" ] || fail "downstream does not resolve"
[ -z "$(ls "$MNT/t.Fresh/.lyb/upstream")" ] || fail "t.Fresh has no upstream"

step "lineage: a version links to the exact upstream version it consumed"
[ "$(ls "$MNT/t.Down/2020-09-03/$VD/.lyb/upstream")" = "t.Data" ] || fail "version upstream list"
[ "$(cd "$MNT/t.Down/2020-09-03/$VD/.lyb/upstream/t.Data" && pwd -P)" = "$MNT/t.Data/2020-09-03/$V2" ] ||
	fail "version upstream does not resolve to $V2"
cmp "$SRC/2020-09-03-2/gs/part-00000.avro" "$MNT/t.Down/2020-09-03/$VD/.lyb/upstream/t.Data/gs/part-00000.avro" ||
	fail "read through the lineage link"

step "metrics: valid Prometheus text that counts this test's reads"
F=$MNT/t.Data/2020-09-01/latest/gs/part-00000.avro
size=$(stat -c %s "$F")
cat "$MNT/.lyb/metrics" >"$W/m1"
cat "$F" >/dev/null
cat "$MNT/.lyb/metrics" >"$W/m2"
$PY - "$W/m1" "$W/m2" "$size" <<'PYEOF' || fail "metrics check"
import sys
from prometheus_client.parser import text_string_to_metric_families

def load(path):
    text = open(path).read()
    out = {}
    for fam in text_string_to_metric_families(text):  # raises on bad text
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return text, out

t1, m1 = load(sys.argv[1])
t2, m2 = load(sys.argv[2])
size = int(sys.argv[3])
def v(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0)
served = v(m2, "lyb_served_bytes_total") - v(m1, "lyb_served_bytes_total")
assert served == size + len(t1.encode()), (served, size, len(t1))
reads = v(m2, "lyb_store_requests_total", op="read", result="ok") - v(m1, "lyb_store_requests_total", op="read", result="ok")
assert reads >= 1, reads
opens = v(m2, "lyb_store_requests_total", op="open", result="ok") - v(m1, "lyb_store_requests_total", op="open", result="ok")
assert opens == 1, opens
assert v(m2, "lyb_store_bytes_total") - v(m1, "lyb_store_bytes_total") == size
assert v(m2, "lyb_catalog_datasets") == 3, v(m2, "lyb_catalog_datasets")
assert v(m2, "lyb_open_files") == 0  # rendered as its own file opens
assert v(m2, "lyb_fuse_request_duration_seconds_count", op="read") >= 2
inf = v(m2, "lyb_fuse_request_duration_seconds_bucket", op="read", le="+Inf")
assert inf == v(m2, "lyb_fuse_request_duration_seconds_count", op="read")
print("metrics ok: served +%d bytes, %d store reads" % (served, reads))
PYEOF

step "health: ok, then the catalog goes away and comes back"
[ "$(cat "$MNT/.lyb/health")" = ok ] || fail "health: $(cat "$MNT/.lyb/health")"
"$LYB_BIN" status "$MNT" | grep -q "^  lyb_catalog_datasets *3$" || fail "lyb status: $("$LYB_BIN" status "$MNT")"
mv "$W/catalog" "$W/catalog.away"
for _ in 1 2; do wait_for grep -q "catalog unreachable since" "$MNT/.lyb/health" && break; done # format 2: the marker is looked at every 30 idle refreshes
grep -q "catalog unreachable since" "$MNT/.lyb/health" || fail "health did not notice: $(cat "$MNT/.lyb/health")"
"$LYB_BIN" status "$MNT" >/dev/null && fail "lyb status exits 0 while unhealthy"
cmp "$SRC/2020-09-03-2/gs/part-00000.avro" "$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro" ||
	fail "the last catalog read is not served"
[ -d "$MNT/t.Down" ] || fail "DataSets vanished with the catalog"
mv "$W/catalog.away" "$W/catalog"
wait_for grep -qx ok "$MNT/.lyb/health" || fail "health did not recover: $(cat "$MNT/.lyb/health")"
echo "PASS"
