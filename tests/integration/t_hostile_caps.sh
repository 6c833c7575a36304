#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What one catalog document may cost the daemon, and that the size cap
# never keeps a reader in. (F4) A writer plants documents with a 50 MB
# unknown top-level field: each is refused by the reader's parser
# (LYB_DOC_EXTRA_MAX, 64 KiB of unknown fields in all), reported in
# health, its DataSet fails closed, the others serve, and the daemon's
# memory does not grow by what was planted. (F6) A DataSet padded with
# access history to just under the 64 MiB cap can still be revoked: the
# revoke drops the oldest history entries to fit (counted in
# access.history_dropped) and the reader is denied in the mount.
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
for c in jq; do
	command -v $c >/dev/null || skip "$c is not installed"
done

U=lybkreader
accounts "$U"

fixture
chmod 755 "$W" # the account walks to the mount
CATDIR=$W/catalog
DOC=$CATDIR/datasets/t.Data.json
lyb dataset create t.Other --owner group:data-team --reader domain:thecompany.com >/dev/null
VO=$(lyb publish t.Other 2020-09-03 --gs "file://$SRC/2020-09-03-1/gs")
lyb access grant t.Data "user:$U@thecompany.com" >/dev/null
mount_lybfs
GS=$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro
OTHER=$MNT/t.Other/2020-09-03/$VO/gs/part-00000.avro
SRC_GS=$SRC/2020-09-03-2/gs/part-00000.avro
runuser -u "$U" -- cmp "$SRC_GS" "$GS" || fail "$U cannot read t.Data before"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$LYBFS_PID/status"; }

step "(F4) six documents with a 50 MB unknown field: refused, t.Other serves"
for i in 1 2 3 4 5 6; do
	lyb dataset create "t.Junk$i" --owner group:data-team \
		--reader domain:thecompany.com >/dev/null
	VJ=$(lyb publish "t.Junk$i" 2020-09-03 --gs "file://$SRC/2020-09-03-1/gs")
done
JUNK=$MNT/t.Junk1/2020-09-03/$VJ/gs/part-00000.avro
wait_for cmp "$SRC/2020-09-03-1/gs/part-00000.avro" "$MNT/t.Junk6/2020-09-03/$VJ/gs/part-00000.avro" ||
	fail "t.Junk6 is not served before"
RSS0=$(rss)
$PY - "$CATDIR"/datasets/t.Junk[1-6].json <<'PYEOF'
import json, os, sys
for path in sys.argv[1:]:
    doc = json.load(open(path))
    doc["junk"] = "j" * 50000000
    open(path + ".tmp", "w").write(json.dumps(doc, indent=2) + "\n")
    os.rename(path + ".tmp", path)
PYEOF
junk_health() {
	[ "$(grep -c "catalog document of t.Junk[1-6] does not load since .*unknown top-level fields take" "$MNT/.lyb/health")" -eq 6 ]
}
# wait_for60 CMD...: wait_for, for up to 60 s (300 MB to read and parse)
wait_for60() {
	for _ in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
wait_for60 junk_health || fail "health does not report the six documents: $(cat "$MNT/.lyb/health")"
grep -q "LYB_DOC_EXTRA_MAX\|over the cap of 65536 bytes" "$MNT/.lyb/health" ||
	fail "health does not name the cap: $(cat "$MNT/.lyb/health")"
grep -q "^lyb_catalog_bad_documents 6$" "$MNT/.lyb/metrics" || fail "metrics: $(grep bad_doc "$MNT/.lyb/metrics")"
if out=$(cat "$JUNK" 2>"$W/err"); then
	fail "t.Junk1 serves data from a document that does not load"
fi
[ -z "$out" ] || fail "t.Junk1 printed ${#out} bytes"
grep -q "Permission denied" "$W/err" || fail "t.Junk1: $(cat "$W/err")"
cmp "$SRC/2020-09-03-1/gs/part-00000.avro" "$OTHER" || fail "t.Other is not served"
runuser -u "$U" -- cmp "$SRC_GS" "$GS" || fail "t.Data is not served"
sleep 2 # a few more refreshes, each reading the 300 MB again
RSS1=$(rss)
echo "lybfs RSS: ${RSS0} kB before, ${RSS1} kB with 300 MB of unknown fields planted"
# (AddressSanitizer's quarantine holds freed memory: no RSS bound there)
if ! grep -qa __asan_init "$LYBFS_BIN"; then
	[ $((RSS1 - RSS0)) -lt $((100 << 10)) ] || fail "the daemon grew by $((RSS1 - RSS0)) kB"
fi
# a writer refuses to build on one (the reader's parser is the gate's)
if lyb access grant t.Junk1 user:x@thecompany.com >/dev/null 2>"$W/err"; then
	fail "a grant was written onto a document with 50 MB of unknown fields"
fi
grep -q "unknown top-level fields" "$W/err" || fail "grant: $(cat "$W/err")"
rm "$CATDIR"/datasets/t.Junk*.json
wait_for60 grep -q "^ok$" "$MNT/.lyb/health" || fail "health after removal: $(cat "$MNT/.lyb/health")"

step "(F6) t.Data padded with history to 64 MiB - 100 bytes: still revocable"
$PY "$(dirname "$0")/pad_doc.py" "$DOC" $(((64 << 20) - 100)) || fail "padding"
[ "$(stat -c %s "$DOC")" -eq $(((64 << 20) - 100)) ] || fail "padding size"
NHIST=$(jq '.access.history | length' "$DOC")
sleep 2 # a few refreshes: the mount loads it
grep -q "^ok$" "$MNT/.lyb/health" || fail "the padded document does not load: $(cat "$MNT/.lyb/health")"
runuser -u "$U" -- cmp "$SRC_GS" "$GS" || fail "$U cannot read the padded t.Data"
# a grant would take it over the cap: refused, as before
if lyb access grant t.Data user:someone@thecompany.com >/dev/null 2>"$W/err"; then
	fail "a grant took the document over the cap"
fi
grep -q "over the 64 MiB" "$W/err" || fail "grant: $(cat "$W/err")"
# the revoke is written all the same
lyb access revoke t.Data "user:$U@thecompany.com" >/dev/null 2>"$W/err" ||
	fail "the revoke was refused: $(cat "$W/err")"
SIZE=$(stat -c %s "$DOC")
[ "$SIZE" -le $((64 << 20)) ] || fail "the revoke wrote $SIZE bytes"
jq -e --arg p "user:$U@thecompany.com" '(.readers | index($p)) == null' "$DOC" >/dev/null ||
	fail "the reader is still in the document"
jq -e --arg p "user:$U@thecompany.com" \
	'.access.history[-1].action == "revoke" and .access.history[-1].principal == $p' "$DOC" >/dev/null ||
	fail "the revoke is not the newest history entry"
DROPPED=$(jq '.access.history_dropped' "$DOC")
[ "$DROPPED" -ge 1 ] || fail "history_dropped is $DROPPED"
[ $(($(jq '.access.history | length' "$DOC") + DROPPED)) -eq $((NHIST + 1)) ] ||
	fail "kept + dropped is not every entry plus the revoke"
lyb access list t.Data >"$W/list" || fail "lyb access list"
grep -q "older changes dropped from the document" "$W/list" ||
	fail "lyb access list does not say history was dropped"
# ...and takes effect in the mount
denied() { ! runuser -u "$U" -- cat "$GS" >/dev/null 2>&1; }
wait_for denied || fail "$U still reads t.Data after the revoke"
if runuser -u "$U" -- cat "$GS" >/dev/null 2>"$W/err"; then fail "$U reads t.Data"; fi
grep -q "Permission denied" "$W/err" || fail "not EACCES: $(cat "$W/err")"
grep -q "^ok$" "$MNT/.lyb/health" || fail "health: $(cat "$MNT/.lyb/health")"
cmp "$SRC/2020-09-03-1/gs/part-00000.avro" "$OTHER" || fail "t.Other is not served"
kill -0 "$LYBFS_PID" || fail "lybfs died"
echo "PASS"
