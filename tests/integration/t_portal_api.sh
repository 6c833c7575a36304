#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The portal's JSON API (lyb serve, docs/api.md) with curl: every
# endpoint, allowed and denied callers (real Unix accounts and groups
# behind the proxy header), the header ignored from an untrusted peer,
# CSRF refused, path traversal refused, oversized requests and too many
# connections refused, live changes, and paging through 10,000 DataSets.
LYB_TEST_FORMAT=1 # it writes format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

. "$(dirname "$0")/portal_lib.sh"

# get AS PATH [curl args]: prints the body, then the status on its own line
get() {
	local who=$1 path=$2
	shift 2
	curl -s -o "$W/body" -w '%{http_code}' ${who:+-H "X-Forwarded-Email: $who@thecompany.com"} "$@" "$U$path"
}
# expect STATUS AS PATH [curl args]: the status, with the body in $W/body
expect() {
	local want=$1 st
	shift
	st=$(get "$@") || true
	[ "$st" = "$want" ] || fail "$* answered $st, expected $want: $(head -c 300 "$W/body")"
}
jqb() { jq -e "$@" "$W/body" >/dev/null || fail "body fails jq $*: $(head -c 400 "$W/body")"; }
csrf() { get "$1" /api/v1/me >/dev/null; jq -r .csrf "$W/body"; }
# act AS VERB BODY [curl args]: a POST with the caller's own token
act() {
	local who=$1 verb=$2 body=$3
	shift 3
	get "$who" "/api/v1/datasets/artist-metadata.DominantGenres/access/$verb" -X POST \
		-H 'Content-Type: application/json' -H "X-Lyb-CSRF: $(csrf "$who")" \
		-H "Origin: http://127.0.0.1:$PORT" -H 'Sec-Fetch-Site: same-origin' --data "$body" "$@"
}
D=/api/v1/datasets/artist-metadata.DominantGenres

step "listing, search and paging"
expect 200 "" /api/v1/datasets
jqb '.total == 3 and (.datasets | map(.name) | index("artist-metadata.DominantGenres")) != null'
expect 200 "" "/api/v1/datasets?q=dominant_genres" # a column name
jqb '.total == 1 and .datasets[0].name == "artist-metadata.DominantGenres"'
expect 200 "" "/api/v1/datasets?q=$OWN" # the owner team
jqb '.total == 1'
expect 200 "" "/api/v1/datasets?q=test%20data" # a description
jqb '.total == 1 and .datasets[0].name == "t.Data"'
expect 200 "" "/api/v1/datasets?limit=1&offset=1"
jqb '.total == 3 and (.datasets | length) == 1 and .datasets[0].name == "artist-metadata.DominantGenres"'
expect 200 "" "/api/v1/datasets?sort=recent&limit=2"
jqb '(.datasets | length) == 2'
for bad in limit=0 limit=501 limit=abc offset=-1 offset=1e3 limit=%2B5 sort=size; do
	expect 400 "" "/api/v1/datasets?$bad"
done
expect 400 "" "/api/v1/datasets?q=$(head -c 300 /dev/zero | tr '\0' a)"

step "the card: what the story lists"
expect 200 "" $D
jqb '.uri == "lyb://artist-metadata.DominantGenres" and .owner.team == "group:lybpowners"'
jqb '.owner.channel == "#artist-metadata" and .owner.pm == "@pat"'
jqb '.slo.deadline == "08:00" and .schema.fields[1].name == "dominant_genres"'
jqb '.schema.fields[0].doc == "the artist'"'"'s <b>id</b>"'
jqb '.latest.rows == 800 and .upstream == ["t.Data"] and .downstream == ["artist-analytics.GenresOfPopularArtists"]'
jqb ".portal.mount_path == \"$MNT/artist-metadata.DominantGenres\" and (.portal.delivery | length) == 14"
jqb '.portal.freshness.state == "late" and (.portal.delivery[0:4] | map(.state)) == ["late","missing","late","on-time"]'
jqb '.portal.delivery[1].expected == "2020-09-02" and .portal.delivery[3].delivered == "2020-08-31T07:40:00Z"'
jqb '.portal.access.state == "anonymous" and .portal.access.can_manage == false'
expect 404 "" /api/v1/datasets/no.Such
expect 400 "" /api/v1/datasets/.. --path-as-is
expect 400 "" "/api/v1/datasets/a.B%0Ac"

step "dates, versions, one version's record: for readers, as on the mount"
expect 200 $BOB "$D/dates" # the owner group
jqb ".total == 3 and .dates[0].date == \"2020-09-03\" and .dates[0].latest.id == \"$VG\""
jqb '.dates[0].latest.locations.snow.table | startswith("snow://artist-metadata/dominant_genres")'
expect 200 root /api/v1/datasets/t.Data/dates/2020-09-03 # an admin
jqb ".total == 2 and .versions[0].id == \"$V2\" and .versions[1].id == \"$V1\""
expect 200 root /api/v1/datasets/t.Data/dates?limit=1\&offset=1
jqb '.total == 2 and .dates[0].date == "2020-09-01"'
expect 200 $BOB "$D/versions/2020-09-03/$VG"
jqb ".id == \"$VG\" and (.locations.gs.objects | length) == 2 and .portal.uri == \"lyb://artist-metadata.DominantGenres/2020-09-03/$VG\""
expect 400 $BOB "$D/versions/2020-02-30/$VG"
expect 400 $BOB "$D/versions/2020-09-03/XYZ"
expect 404 $BOB "$D/versions/2020-09-03/abcdef"
expect 404 $BOB "$D/dates/2021-01-01"
for path in "$D/dates" "$D/dates/2020-09-03" "$D/versions/2020-09-03/$VG" "$D/versions/2020-09-03/abcdef"; do
	expect 401 "" "$path"
	jqb '.error.message | test("sign in to see the versions of artist-metadata.DominantGenres")'
	expect 403 $CAROL "$path"
	jqb ".error.message == \"Access denied. User $CAROL@thecompany.com does not have read access to DataSet artist-metadata.DominantGenres. Request it with: lyb access request artist-metadata.DominantGenres --reason \\\"...\\\"\""
	grep -q '"locations"\|"digest"' "$W/body" && fail "$path: a non-reader got a version"
done
expect 403 nolocalaccount "$D/dates"
grep -q "\"principal\":\"user:$CAROL@thecompany.com\",.*\"comm\":\"lyb-portal\",\"op\":\"list\",\"dataset\":\"artist-metadata.DominantGenres\",\"date\":\"2020-09-03\",\"version\":\"$VG\".*\"decision\":\"deny\"" "$AUDIT" ||
	fail "no audit line for the refused version: $(grep lyb-portal "$AUDIT" | tail -n 3)"
grep -q "\"principal\":\"user:$BOB@thecompany.com\",.*\"op\":\"list\".*\"decision\":\"allow\",\"reason\":\"owner group:$OWN\"" "$AUDIT" ||
	fail "no audit line for the owner's listing: $(grep lyb-portal "$AUDIT" | tail -n 3)"

step "lineage"
expect 200 "" "$D/lineage?depth=1"
jqb '(.nodes | map(.name) | sort) == ["artist-analytics.GenresOfPopularArtists","artist-metadata.DominantGenres","t.Data"]'
jqb '(.edges | length) == 2 and (.nodes[] | select(.name == "t.Data") | .level) == -1'
expect 400 "" "$D/lineage?depth=9"
expect 400 "" "$D/lineage?depth=0"

step "identity: anonymous, local users, users without an account"
expect 200 "" /api/v1/me
jqb '.authenticated == false and .csrf == null'
expect 200 $ALICE /api/v1/me
jqb ".user == \"user:$ALICE@thecompany.com\" and (.csrf | length) == 64"
expect 200 $BOB /api/v1/me
jqb '.groups | index("group:lybpowners") != null'
expect 200 nolocalaccount /api/v1/me
jqb '.user == "user:nolocalaccount@thecompany.com" and .groups == []'
st=$(curl -s -o "$W/body" -w '%{http_code}' -H 'X-Forwarded-Email: alice@evil.example' "$U/api/v1/me")
[ "$st" = 403 ] || fail "a foreign domain was $st"
st=$(curl -s -o "$W/body" -w '%{http_code}' -H 'X-Forwarded-Email: ../root@thecompany.com' "$U/api/v1/me")
[ "$st" = 403 ] || fail "a bad login was $st"
step "the proxy header from an untrusted peer is ignored"
st=$(curl -s -o "$W/body" -w '%{http_code}' --interface 127.0.0.2 \
	-H "X-Forwarded-Email: $BOB@thecompany.com" "$U/api/v1/me")
[ "$st" = 200 ] || fail "untrusted peer: $st"
jqb '.authenticated == false'
st=$(curl -s -o "$W/body" -w '%{http_code}' --interface 127.0.0.2 -X POST \
	-H "X-Forwarded-Email: $BOB@thecompany.com" -H 'Content-Type: application/json' \
	-H "X-Lyb-CSRF: $(csrf $BOB)" --data "{\"principal\":\"user:$CAROL@thecompany.com\"}" \
	"$U$D/access/grant")
[ "$st" = 401 ] || fail "a grant from an untrusted peer answered $st"

step "CSRF and method checks refuse"
expect 200 $ALICE "$D/access"
jqb '.state == "none" and .can_manage == false'
expect 403 $ALICE "$D/access/request" -X POST -H 'Content-Type: application/json' --data '{}'
jqb '.error.message | test("CSRF")'
expect 403 $ALICE "$D/access/request" -X POST -H 'Content-Type: application/json' -H "X-Lyb-CSRF: $(csrf $BOB)" --data '{}'
expect 415 $ALICE "$D/access/request" -X POST -H "X-Lyb-CSRF: $(csrf $ALICE)" --data 'reason=x'
expect 415 $ALICE "$D/access/request" -X POST -H 'Content-Type: text/plain' -H "X-Lyb-CSRF: $(csrf $ALICE)" --data '{}'
expect 403 $ALICE "$D/access/request" -X POST -H 'Content-Type: application/json' -H "X-Lyb-CSRF: $(csrf $ALICE)" -H 'Origin: https://evil.example' --data '{}'
expect 403 $ALICE "$D/access/request" -X POST -H 'Content-Type: application/json' -H "X-Lyb-CSRF: $(csrf $ALICE)" -H 'Sec-Fetch-Site: cross-site' --data '{}'
expect 405 $ALICE "$D/access/request"
expect 401 "" "$D/access/request" -X POST -H 'Content-Type: application/json' --data '{}'
expect 400 $ALICE "$D/access/request" -X POST -H 'Content-Type: application/json' -H "X-Lyb-CSRF: $(csrf $ALICE)" --data '{"reason":5}'
expect 400 $ALICE "$D/access/request" -X POST -H 'Content-Type: application/json' -H "X-Lyb-CSRF: $(csrf $ALICE)" --data '{"reason":"a","reason":"b"}'
expect 400 $ALICE "$D/access/request" -X POST -H 'Content-Type: application/json' -H "X-Lyb-CSRF: $(csrf $ALICE)" --data '[1'
expect 405 "" /api/v1/datasets -X DELETE
expect 404 "" /api/v1/nothing
lyb access list artist-metadata.DominantGenres | grep -q "request user:" && fail "a refused request changed the catalog"

step "request, deny a stranger, grant as an owner, revoke"
st=$(act $ALICE request '{"reason":"genre study <script>"}')
[ "$st" = 200 ] || fail "request answered $st: $(cat "$W/body")"
st=$(act $ALICE request '{"reason":"again"}')
[ "$st" = 409 ] || fail "a second request answered $st"
expect 200 $ALICE "$D/access"
jqb '.state == "pending" and .reason == "genre study <script>"'
st=$(act $CAROL grant "{\"principal\":\"user:$ALICE@thecompany.com\"}")
[ "$st" = 403 ] || fail "a stranger's grant answered $st"
jqb '.error.message | test("may not change who reads")'
expect 401 "" /api/v1/inbox
expect 200 $CAROL /api/v1/inbox
jqb '.total == 0'
expect 200 $BOB /api/v1/inbox
jqb ".total == 1 and .requests[0].principal == \"user:$ALICE@thecompany.com\""
expect 200 $BOB "$D/access"
jqb '.can_manage == true and (.requests | length) == 1'
st=$(act $BOB grant '{"principal":"nobody"}')
[ "$st" = 400 ] || fail "a bad principal answered $st"
st=$(act $BOB grant '{}')
[ "$st" = 400 ] || fail "a grant without principal answered $st"
st=$(act $BOB grant "{\"principal\":\"user:$ALICE@thecompany.com\"}")
[ "$st" = 200 ] || fail "the owner's grant answered $st: $(cat "$W/body")"
expect 200 $ALICE "$D/access"
jqb ".state == \"granted\" and .why == \"reader user:$ALICE@thecompany.com\""
lyb access list artist-metadata.DominantGenres >"$W/list"
grep -q "grant   user:$ALICE@thecompany.com  by user:$BOB@thecompany.com" "$W/list" ||
	fail "the history lacks the grant: $(cat "$W/list")"
grep -q "\"op\":\"grant\"" "$AUDIT" && grep -q "\"principal\":\"user:$BOB@thecompany.com\"" "$AUDIT" ||
	fail "no audit line for the grant: $(cat "$AUDIT")"
grep -q "\"decision\":\"deny\".*may not change" "$AUDIT" || grep -q "may not change.*\"decision\":\"deny\"" "$AUDIT" ||
	fail "no audit line for the refused grant"

step "the audit trail: owners only"
expect 401 "" "$D/audit"
expect 403 $ALICE "$D/audit"
expect 200 $BOB "$D/audit"
jqb '(.history | map(.action)) == ["request","grant"] and .log_readable == true and .log_lines >= 3'
expect 200 root "$D/audit" # an admin

step "live: a publish and a revoke show on the next load"
V3=$(lyb publish artist-metadata.DominantGenres 2020-09-04 --gs "file://$SRC/2020-09-03-2/gs")
sleep 1.2
expect 200 $BOB "$D/dates"
jqb ".total == 4 and .dates[0].date == \"2020-09-04\" and .dates[0].latest.id == \"$V3\""
lyb access revoke artist-metadata.DominantGenres user:$ALICE@thecompany.com >/dev/null
sleep 1.2
expect 200 $ALICE "$D/access"
jqb '.state == "none"'

step "behind a proxy that rewrites Host: X-Forwarded-Host, from the proxy only"
post_as() { # post_as PEER WHO ORIGIN [curl args]
	local peer=$1 who=$2 origin=$3
	shift 3
	curl -s -o "$W/body" -w '%{http_code}' --interface "$peer" -X POST \
		-H "X-Forwarded-Email: $who@thecompany.com" -H 'Content-Type: application/json' \
		-H "X-Lyb-CSRF: $(csrf "$who")" -H "Origin: $origin" "$@" \
		--data '{"reason":"via the proxy"}' "$U$D/access/request"
}
st=$(post_as 127.0.0.1 nolocalaccount https://portal.thecompany.com)
[ "$st" = 403 ] || fail "an Origin not the Host answered $st"
st=$(post_as 127.0.0.2 nolocalaccount https://portal.thecompany.com -H 'X-Forwarded-Host: portal.thecompany.com')
[ "$st" = 401 ] || fail "X-Forwarded-Host from an untrusted peer answered $st"
st=$(post_as 127.0.0.1 nolocalaccount https://portal.thecompany.com -H 'X-Forwarded-Host: portal.thecompany.com')
[ "$st" = 200 ] || fail "X-Forwarded-Host from the proxy answered $st: $(cat "$W/body")"

step "decline: an owner's revoke of a pending request"
st=$(act $CAROL request '{"reason":"curious"}')
[ "$st" = 200 ] || fail "carol's request answered $st"
st=$(act $BOB revoke "{\"principal\":\"user:$CAROL@thecompany.com\"}")
[ "$st" = 200 ] || fail "the decline answered $st: $(cat "$W/body")"
expect 200 $CAROL "$D/access"
jqb '.state == "none"'
st=$(act $BOB revoke "{\"principal\":\"user:$CAROL@thecompany.com\"}")
[ "$st" = 404 ] || fail "a second decline answered $st"
lyb access list artist-metadata.DominantGenres | grep -q "revoke  user:$CAROL@thecompany.com  by user:$BOB@thecompany.com" ||
	fail "the history lacks the decline"

step "static files: pages served, nothing outside the directory"
expect 200 "" /
grep -q '<script src="/static/app.js"' "$W/body" || fail "/ is not the page"
curl -sI "$U/d/artist-metadata.DominantGenres" | grep -qi "^content-security-policy: default-src 'none'" ||
	fail "no CSP header"
expect 200 "" /static/app.js
for bad in /static/../../../../etc/passwd /static/..%2f..%2fetc%2fpasswd /static/%2e%2e/x.js \
	/static/evil.html /static/.hidden.js /static/app.js.bak /static/sub/app.js /etc/passwd /static/ \
	"/static/app.js%00.html"; do
	st=$(curl -s --path-as-is -o "$W/body" -w '%{http_code}' "$U$bad")
	[ "$st" = 404 ] || [ "$st" = 400 ] || fail "$bad answered $st"
	grep -q 'root:' "$W/body" && fail "$bad served /etc/passwd"
done
expect 405 "" /static/app.js -X POST --data x

step "oversized requests are refused"
head -c 20000 /dev/zero | tr '\0' a >"$W/big"
st=$(act $ALICE request @"$W/big")
[ "$st" = 413 ] || fail "a 20 kB body answered $st"
st=$(act $ALICE request @"$W/big" -H 'Transfer-Encoding: chunked')
[ "$st" = 413 ] || fail "a 20 kB chunked body answered $st"
head -c 50000000 /dev/zero >"$W/huge"
st=$(act $ALICE request @"$W/huge" -H 'Transfer-Encoding: chunked' -m 20 || true)
case $st in 4* | 000) ;; *) fail "a 50 MB chunked body answered $st" ;; esac
st=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" "$U/api/v1/me" || true)
case $st in 4*) ;; 000) ;; *) fail "a 100 kB header answered $st" ;; esac
st=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/datasets/$(head -c 3000 /dev/zero | tr '\0' a)" || true)
case $st in 4*) ;; 000) ;; *) fail "a 3 kB path answered $st" ;; esac
expect 200 "" /api/v1/me # alive

step "connections beyond --max-connections are refused, then served again"
fds=()
for i in $(seq 12); do
	exec {fd}<>/dev/tcp/127.0.0.1/$PORT
	fds+=("$fd")
done
sleep 0.3
st=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$U/api/v1/me" || true)
[ "$st" = 200 ] && fail "a 13th connection was served"
for fd in "${fds[@]}"; do exec {fd}>&-; done
wait_for curl -sf "$U/api/v1/me" || fail "not served again after the connections closed"

step "10,000 DataSets page through"
$PY - "$W/catalog/datasets" <<'PYEOF'
import json, sys
for i in range(10000):
    name = "bulk.Set%05d" % i
    doc = {"lybrary": 1, "name": name, "description": "bulk %d" % i,
           "owner": {"team": "group:bulk"}, "format": "avro", "readers": [],
           "upstream": [], "created": "2026-01-01T00:00:00Z", "versions": []}
    with open("%s/%s.json" % (sys.argv[1], name), "w") as f:
        json.dump(doc, f)
PYEOF
for _ in $(seq 120); do
	get "" "/api/v1/datasets?limit=1" >/dev/null
	jq -e '.total == 10003' "$W/body" >/dev/null 2>&1 && break
	sleep 0.5
done
jqb '.total == 10003'
expect 200 "" "/api/v1/datasets?offset=9953&limit=50"
jqb '(.datasets | length) == 50 and .datasets[49].name == "t.Data"'
expect 200 "" "/api/v1/datasets?q=Set09999"
jqb '.total == 1'
expect 200 "" "/api/v1/me"
portal_stop
echo "PASS"
