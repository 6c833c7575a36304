# SPDX-License-Identifier: Apache-2.0
# Shared by the portal tests (sourced after lib.sh): the users and groups
# behind the proxy header, the DataSets of the story, and `lyb serve`
# started on a free port with 127.0.0.1 as the trusted proxy.
OWN=lybpowners
ALICE=lybpalice # asks for access
BOB=lybpbob     # in the owner group: grants
CAROL=lybpcarol # neither
PORTAL_PID=
portal_cleanup() {
	local rc=$?
	set +e
	[ -n "$PORTAL_PID" ] && kill "$PORTAL_PID" 2>/dev/null && wait "$PORTAL_PID" 2>/dev/null
	cleanup "$rc"
}
trap portal_cleanup EXIT
accounts $ALICE $OWN:$BOB $CAROL

fixture
cat >"$W/schema.avsc" <<'EOF'
{"type":"record","name":"DominantGenres","fields":[
 {"name":"artist_id","type":"string","doc":"the artist's <b>id</b>"},
 {"name":"dominant_genres","type":{"type":"array","items":{"type":"record","name":"Genre",
  "fields":[{"name":"genre","type":"string"}]}},"doc":"genres, most played first"}]}
EOF
lyb dataset create artist-metadata.DominantGenres --owner group:$OWN \
	--channel '#artist-metadata' --pm '@pat' --slo "daily 08:00" \
	--description 'Dominant genres per artist <img src=x onerror=alert(1)>' \
	--schema "$W/schema.avsc" --upstream t.Data >/dev/null
# a delivery history against the 08:00 SLO, as of PORTAL_NOW: 08-31 on
# time, 09-01 late, 09-02 missing, 09-03 ("today") late
PORTAL_NOW=2020-09-03T12:00:00Z
LYB_NOW=2020-08-31T07:40:00Z lyb publish artist-metadata.DominantGenres 2020-08-31 \
	--gs "file://$SRC/2020-09-01-1/gs" >/dev/null
LYB_NOW=2020-09-01T08:35:00Z lyb publish artist-metadata.DominantGenres 2020-09-01 \
	--gs "file://$SRC/2020-09-01-1/gs" >/dev/null
VG=$(LYB_NOW=2020-09-03T09:12:00Z lyb publish artist-metadata.DominantGenres 2020-09-03 \
	--gs "file://$SRC/2020-09-03-1/gs" --snow "snow://artist-metadata/dominant_genres=file://$SRC/2020-09-03-1/snow")
lyb dataset create artist-analytics.GenresOfPopularArtists --owner group:analytics \
	--upstream artist-metadata.DominantGenres >/dev/null

# the static directory: the real pages plus a link out of it
mkdir -p "$W/static"
cp "$LYB_SRC"/src/portal/* "$W/static/"
ln -s /etc/passwd "$W/static/evil.html"

PORT=$((20000 + RANDOM % 20000))
LYB_NOW=$PORTAL_NOW "$LYB_BIN" --catalog "$CAT" serve --listen 127.0.0.1:$PORT --trust-proxy 127.0.0.1 \
	--static "$W/static" --mount "$MNT" --refresh 0.5 --max-connections "${PORTAL_MAXCONN:-12}" \
	>"$W/portal.log" 2>&1 &
PORTAL_PID=$!
U=http://127.0.0.1:$PORT
wait_for curl -sf "$U/api/v1/me" || fail "the portal did not start: $(cat "$W/portal.log")"


# portal_stop: SIGTERM, and the portal must exit 0 with nothing from the
# sanitizers in its log (the ASan/UBSan pass of test.sh)
portal_stop() {
	local st=0
	kill -TERM "$PORTAL_PID" 2>/dev/null || fail "the portal died: $(tail -n 20 "$W/portal.log")"
	wait "$PORTAL_PID" || st=$?
	PORTAL_PID=
	[ "$st" = 0 ] || fail "the portal exited $st: $(tail -n 40 "$W/portal.log")"
	! grep -qE 'Sanitizer|runtime error' "$W/portal.log" || fail "sanitizer report: $(cat "$W/portal.log")"
}
