#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Concurrent publishers through the real CLI never lose each other's
# versions, and publishing the same bytes twice adds nothing.
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
lyb dataset create t.Busy --owner group:x >/dev/null
for i in $(seq 8); do
	mkdir -p "$W/d$i"
	make_avro "$W/d$i/p.avro" --rows 10 --seed "busy-$i"
done

step "8 publishers at once"
for i in $(seq 8); do
	date=2020-10-0$(((i % 3) + 1))
	(lyb publish t.Busy "$date" --gs "file://$W/d$i" >"$W/id$i" 2>"$W/err$i" || echo fail >"$W/failed$i") &
done
wait
ls "$W"/failed* >/dev/null 2>&1 && fail "a publisher failed: $(cat "$W"/err*)"
n=$(jq '.versions | length' "$W/catalog/datasets/t.Busy.json")
[ "$n" -eq 8 ] || fail "expected 8 versions, the catalog has $n"
[ "$(cat "$W"/id* | sort -u | wc -l)" -eq 8 ] || fail "ids are not distinct"

step "the same bytes again: the same id, no new version"
again=$(lyb publish t.Busy 2020-10-02 --gs "file://$W/d1")
[ "$again" = "$(cat "$W/id1")" ] || fail "republish gave $again, not $(cat "$W/id1")"
[ "$(jq '.versions | length' "$W/catalog/datasets/t.Busy.json")" -eq 8 ] || fail "republish added a version"

step "lyb ls counts them"
total=$(lyb ls t.Busy | awk -F'|' 'NR > 2 && $2 ~ /[0-9]/ {s += $2} END {print s}')
[ "$total" -eq 8 ] || fail "lyb ls counts $total versions"

step "no temporary or half-written documents are left"
[ -z "$(find "$W/catalog" -name '.lyb-tmp-*')" ] || fail "temporary files left behind"
jq -e . "$W/catalog/datasets/t.Busy.json" >/dev/null || fail "document is not valid JSON"
echo "PASS"
