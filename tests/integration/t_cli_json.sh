#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --json of lyb ls, ls DATASET, info, status, access list and audit
# (docs/cli.md): jq checks every documented field against the catalog and
# the mount, and the text output where both show the same thing; hostile
# descriptions, reasons and process names stay valid JSON (ASCII only,
# strings round-trip byte for byte), and a failure prints no JSON at all.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "jq is not installed"
fixture

# jqe FILTER FILE: jq -e, failing the test with the filter and the JSON
jqe() { jq -e "$1" "$2" >/dev/null || fail "jq '$1' on $(cat "$2")"; }
# ascii FILE: the output is ASCII only (no raw control or UTF-8 bytes)
ascii() { LC_ALL=C grep -q '[^ -~]' "$1" && fail "non-ASCII bytes in $(cat "$1")" || true; }

# a hostile description: quotes, backslash, newline, tab, ESC, a BOM, the
# line separator U+2028, a bidi override, a non-BMP character, "</script>"
EVIL=$'evil "q" \\ back\nnew\ttab \e[31mred\e[0m \xef\xbb\xbf \xe2\x80\xa8 \xe2\x80\xae caf\xc3\xa9 \xf0\x9f\x98\x80 </script>'
lyb dataset create t.Evil --owner group:evil-team --description "$EVIL" \
	--slo "daily 06:30" --upstream t.Data >/dev/null
lyb dataset create t.Empty --owner group:data-team >/dev/null

step "lyb ls --json: every DataSet with its documented fields"
lyb ls --json >"$W/ls.json"
ascii "$W/ls.json"
jqe '.catalog == "'"$CAT"'"' "$W/ls.json"
jqe '[.datasets[].name] == ["t.Data", "t.Empty", "t.Evil"]' "$W/ls.json"
[ "$(jq -r '.datasets[].name' "$W/ls.json")" = "$(lyb ls)" ] || fail "ls --json names differ from lyb ls"
jqe '.datasets[] | select(.name == "t.Data") |
	.uri == "lyb://t.Data" and .description == "test data" and
	.owner == {"team": "group:data-team", "channel": null, "pm": null} and
	.dates == 2 and .versions == 3 and
	.latest.date == "2020-09-03" and .latest.version == "'"$V2"'" and
	(.latest.published | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")) and
	(.created | test("Z$")) and (.updated | test("Z$")) and
	(.freshness | keys) == ["deadline", "delivered", "expected", "late_by", "state", "summary"]' "$W/ls.json"
jqe '.datasets[] | select(.name == "t.Empty") |
	.description == null and .latest == null and .dates == 0 and
	.freshness == {"state": "no-slo", "summary": "no SLO defined", "expected": null,
		"deadline": null, "delivered": null, "late_by": null}' "$W/ls.json"
# the hostile description comes back byte for byte
got=$(jq -j '.datasets[] | select(.name == "t.Evil") | .description' "$W/ls.json")
[ "$got" = "$EVIL" ] || fail "the description did not round-trip: $(printf %q "$got")"

step "lyb ls --late --json: the same DataSets as the text, with why"
export LYB_NOW=2020-09-04T09:30:00Z
lyb ls --late --json >"$W/late.json"
[ "$(jq -r '.datasets[] | "\(.name)  \(.freshness.summary)"' "$W/late.json")" = "$(lyb ls --late)" ] ||
	fail "ls --late --json differs from ls --late: $(cat "$W/late.json")"
jqe '[.datasets[].name] == ["t.Data", "t.Evil"] and
	(.datasets[0].freshness | .state == "missing" and .expected == "2020-09-04" and
	 .deadline == "2020-09-04T08:00:00Z" and .delivered == null and .late_by == 5400)' "$W/late.json"
unset LYB_NOW
[ "$(lyb --catalog "file://$W/nocat" ls --json 2>/dev/null)" = "" ] || fail "a failed ls printed JSON"
mkdir -p "$W/emptycat"
lyb --catalog "file://$W/emptycat" catalog init >/dev/null
"$LYB_BIN" --catalog "file://$W/emptycat" ls --json | jq -e '.datasets == []' >/dev/null ||
	fail "an empty catalog's ls --json"

step "lyb ls DATASET --json: each date with its latest version"
lyb ls --json t.Data >"$W/dates.json"
ascii "$W/dates.json"
jqe '.dataset == "t.Data" and [.dates[] | .date] == ["2020-09-01", "2020-09-03"] and
	[.dates[] | .count] == [1, 2] and
	.dates[0].latest.id == "'"$V0"'" and .dates[1].latest.id == "'"$V2"'"' "$W/dates.json"
jqe '.dates[1].latest |
	.date == "2020-09-03" and (.digest | test("^[0-9a-f]{64}$")) and
	(.published | test("Z$")) and (.producer | type) == "string" and
	.rows == 1300 and .bytes > 0 and .upstream == [] and
	.locations.gs == {"url": "file://'"$SRC"'/2020-09-03-2/gs", "table": null, "format": "avro",
		"compression": null, "object_count": 2, "object_bytes": .locations.gs.object_bytes} and
	.locations.gs.object_bytes > 0 and
	.locations.snow.table == "snow://db/data/'"$V2"'" and
	.locations.snow.url == "file://'"$SRC"'/2020-09-03-2/snow" and
	.locations.snow.object_count == 1' "$W/dates.json"
# the text table shows the same ids and locations
for id in $(jq -r '.dates[].latest.id' "$W/dates.json"); do
	lyb ls t.Data | grep -q "|     $id " || fail "lyb ls t.Data lacks $id"
done

step "lyb info --json: the card, its freshness and the latest version"
LYB_NOW=2020-09-03T10:00:00Z lyb info --json t.Data >"$W/info.json"
ascii "$W/info.json"
jqe '.uri == "lyb://t.Data" and .name == "t.Data" and .description == "test data" and
	.owner.team == "group:data-team" and .owner.channel == null and .owner.pm == null and
	.slo == {"frequency": "daily", "deadline": "08:00", "timezone": "UTC"} and
	.format == "avro" and .schema == null and
	.readers == ["user:alice@thecompany.com"] and .upstream == [] and
	.downstream == ["t.Evil"] and .dates == 2 and .versions == 3 and
	.latest.date == "2020-09-03" and .latest.version == "'"$V2"'" and
	.latest.rows == 1300 and .latest.bytes > 0 and
	.latest_version.id == "'"$V2"'" and .latest_version.locations.gs.object_count == 2 and
	.freshness.expected == "2020-09-03" and .freshness.deadline == "2020-09-03T08:00:00Z"' "$W/info.json"
# the card is the mount's .lyb/info.json, with nulls for what is not set
text=$(LYB_NOW=2020-09-03T10:00:00Z lyb info t.Data)
grep -qF "Delivery:    $(jq -r .freshness.summary "$W/info.json")" <<<"$text" ||
	fail "info --json freshness differs from the text: $text"
lyb info --json t.Evil >"$W/evil.json"
ascii "$W/evil.json"
[ "$(jq -j .description "$W/evil.json")" = "$EVIL" ] || fail "info --json: the description did not round-trip"
jqe '.upstream == ["t.Data"] and .downstream == [] and .latest == null and
	.latest_version == null and .owner.channel == null' "$W/evil.json"
[ "$(lyb info --json no.Such 2>/dev/null)" = "" ] || fail "a failed info printed JSON"

step "lyb access list --json: readers, requests with their reasons, history"
# root is no admin in this file, so it may ask
printf 'domain = thecompany.com\nfile_roots = %s\n' "$W" >"$W/noadmin.conf"
REASON=$'genre "study" \\ for caf\xc3\xa9 \xe2\x80\xa8 </script> \xf0\x9f\x98\x80'
LYB_CONFIG=$W/noadmin.conf lyb access request t.Data --reason "$REASON" >/dev/null ||
	fail "the request was refused"
lyb access grant t.Data group:lybjson-granted >/dev/null
lyb access revoke t.Data group:lybjson-granted >/dev/null
lyb access list --json t.Data >"$W/access.json"
ascii "$W/access.json"
jqe '.dataset == "t.Data" and .owner == "group:data-team" and
	.readers == ["user:alice@thecompany.com"] and .history_dropped == 0 and
	(.requests | length) == 1 and .requests[0].principal == "user:root@thecompany.com" and
	(.requests[0].since | test("Z$")) and
	[.history[] | .action] == ["request", "grant", "revoke"] and
	[.history[] | .by] == ["user:root@thecompany.com", "user:root@thecompany.com", "user:root@thecompany.com"] and
	.history[1].principal == "group:lybjson-granted" and .history[1].reason == null and
	(.history[0].time | test("Z$"))' "$W/access.json"
[ "$(jq -j '.requests[0].reason' "$W/access.json")" = "$REASON" ] || fail "the reason did not round-trip"
[ "$(jq -j '.history[0].reason' "$W/access.json")" = "$REASON" ] || fail "the history reason did not round-trip"
expect_errno "--json: only for lyb access list" lyb access grant --json t.Data group:x

step "lyb status --json: health and figures of the mount"
mount_lybfs
lyb status --json "$MNT" >"$W/status.json" || fail "status --json of a healthy mount exited $?"
jqe '.mount == "'"$MNT"'" and .healthy == true and .health == ["ok"] and
	.metrics.lyb_catalog_datasets == 3 and .metrics.lyb_catalog_versions == 3 and
	(.metrics | keys | length) == 9 and ([.metrics[] | type] | unique) == ["number"]' "$W/status.json"
if out=$(lyb status --json "$W" 2>/dev/null); then fail "status --json of no mount exited 0"; fi
[ -z "$out" ] || fail "status --json of no mount printed: $out"

step "lyb audit --json: the log's records, hostile process names too"
F=$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro
cat "$F" >/dev/null
# a process whose name needs escaping (comm keeps its first 15 bytes)
cp "$(command -v cat)" "$W/c\"a\\t"
"$W/c\"a\\t" "$F" >/dev/null
wait_for grep -q 'c\\"a' "$AUDIT" || fail "no audit line for the odd name: $(cat "$AUDIT")"
lyb audit --json --file "$AUDIT" t.Data >"$W/audit.json"
ascii "$W/audit.json"
jqe '.file == "'"$AUDIT"'" and .dataset == "t.Data" and .unreadable == 0 and
	(.records | length) >= 2 and
	([.records[] | select(.op == "open")] | length) >= 2 and
	(.records | map(select(.op == "open" and .comm == "cat")) | .[0] |
	 .decision == "allow" and .principal == "user:root@thecompany.com" and .uid == 0 and
	 .pid > 0 and .dataset == "t.Data" and .date == "2020-09-03" and
	 .version == "'"$V2"'" and .location == "gs" and
	 .path == "t.Data/2020-09-03/'"$V2"'/gs/part-00000.avro" and
	 (.reason | type) == "string" and (.time | test("Z$")))' "$W/audit.json"
jqe '[.records[] | .comm] | index("c\"a\\t") != null' "$W/audit.json"
# the text table has as many rows as JSON records
[ "$(jq '.records | length' "$W/audit.json")" -eq "$(($(lyb audit --file "$AUDIT" t.Data | wc -l) - 1))" ] ||
	fail "audit --json and the table count differently"
# a torn line is counted, the rest still read
cp "$AUDIT" "$W/torn.log"
printf '{"time":"2026-01-01T00:00:00Z","uid":' >>"$W/torn.log"
printf '\n' >>"$W/torn.log"
lyb audit --json --file "$W/torn.log" >"$W/torn.json" 2>/dev/null
jqe '.unreadable == 1 and .dataset == null and (.records | length) >= 2' "$W/torn.json"
if out=$(lyb audit --json --file "$W/nothing.log" 2>/dev/null); then fail "audit of no log exited 0"; fi
[ -z "$out" ] || fail "audit --json of no log printed: $out"
echo "PASS"
