#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# demo.sh - README command one: install what is missing, build, write a
# demo catalog with the user story's DataSets, mount it, and say what to
# try. On a fresh Debian 12 machine, as root (or with sudo).
#
#   scripts/demo.sh [start]   everything above (safe to run again)
#   scripts/demo.sh check     cmp every file under the mount with its source
#   scripts/demo.sh stop      unmount, stop the portal
#
# Environment: LYB_DEMO_DIR (default /var/tmp/lybfs-demo: data/,
# catalog/, lyb.conf, audit.log), LYB_MNT (default /lyb), LYB_BUILD
# (default build/ in the source tree), LYB_PORTAL_PORT (default 8080: the
# portal, lyb serve, on 127.0.0.1), LYB_NOW (seconds or an RFC 3339 time:
# pins "now" for the recent dates and for the mount's delivery status, as
# the tests do), LYB_RUN_DIR (where the mount leaves its settings and
# control socket for lyb, default /run/lybfs: lybfs(8)).
#
# The demo, the mount and the portal share one configuration file,
# DEMO_DIR/lyb.conf (catalog, domain, admin: the demo's user, audit,
# file_roots); lybfs mounts with -o config= of it and leaves its settings
# in the runtime directory, where lyb finds them: `lyb ls DATASET` needs
# no flags. Besides the user story's 2020-09-01 to 03, each DataSet gets
# the last few days up to the partition due now: PopularArtistsGlobal and
# GenresOfPopularArtists on time, DominantGenres today's late (as in the
# story), so `lyb ls --late` and .lyb/status have something to say.
#
# Running it again is clean: a previous demo mount (even a stale one whose
# daemon died) is unmounted first; the data is deterministic and only
# regenerated when missing or from an older generator (and then the
# catalog with it); publishing the same bytes again yields the same
# version ids, so the catalog never gets duplicates.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=${LYB_DEMO_DIR:-/var/tmp/lybfs-demo}
MNT=${LYB_MNT:-/lyb}
BUILD=${LYB_BUILD:-$SRC/build}
DATA=$DEMO_DIR/data
CATALOG=$DEMO_DIR/catalog
CATALOG_URL=file://$CATALOG
PY=/usr/bin/python3 # Debian's, with python3-avro
LYB=$BUILD/lyb
LYBFS=$BUILD/lybfs
PORTAL_PORT=${LYB_PORTAL_PORT:-8080}
PORTAL_URL=http://127.0.0.1:$PORTAL_PORT/
PORTAL_PID=$DEMO_DIR/portal.pid
LYB_CONFIG_FILE=${LYB_CONFIG:-/etc/lyb/lyb.conf} # what lyb reads first

DG=artist-metadata.DominantGenres
PA=artist-metadata.PopularArtistsGlobal
GP=artist-analytics.GenresOfPopularArtists

say() { printf 'demo: %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

# Runs a command as root: directly, or through sudo.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "$1 needs root and there is no sudo: run this script as root"
	fi
}

# "TYPE SOURCE" of what is mounted at $1, or nothing (from
# /proc/self/mounts, which also lists stale FUSE mounts whose daemon died).
mount_info() {
	local target=$1
	awk -v t="$target" '{ gsub(/\\040/, " ", $2) }
		$2 == t { info = $3 " " $1 } END { print info }' /proc/self/mounts
}

unmount_demo() {
	local info
	info=$(mount_info "$MNT")
	[ -n "$info" ] || return 0
	case $info in
	"fuse.lybfs "* | "fuse "* | fuse*lybfs*) ;;
	*) die "$MNT has a ${info%% *} mount, not lybfs: set LYB_MNT to another directory" ;;
	esac
	say "unmounting $MNT"
	if ! fusermount3 -u "$MNT" 2>/dev/null; then
		# busy or stale (the daemon died): detach it lazily
		fusermount3 -u -z "$MNT" 2>/dev/null || as_root umount -l "$MNT"
	fi
	[ -z "$(mount_info "$MNT")" ] || die "could not unmount $MNT"
}

install_deps() {
	bash "$SRC/scripts/deps.sh"
}

build() {
	local log=$DEMO_DIR/build.log
	say "building into $BUILD"
	mkdir -p "$DEMO_DIR"
	local type=()
	# a new tree is RelWithDebInfo; an existing one (the test suite's
	# sanitizer tree) keeps its own build type and options
	[ -f "$BUILD/CMakeCache.txt" ] || type=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
	if ! { cmake -S "$SRC" -B "$BUILD" "${type[@]}" &&
		cmake --build "$BUILD" -j "$(nproc)"; } >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "the build failed (the whole log is $log)"
	fi
	if [ ! -x "$LYB" ] || [ ! -x "$LYBFS" ]; then
		die "the build made no $LYB or $LYBFS"
	fi
}

make_data() {
	local version
	version=$("$PY" "$SRC/scripts/demo_data.py" --version)
	if [ -f "$DATA/.complete" ] && [ "$(cat "$DATA/.complete")" = "$version" ]; then
		say "data in $DATA is up to date"
		return
	fi
	say "writing demo data into $DATA (Avro by python3-avro, gzip JSON exports)"
	mkdir -p "$DEMO_DIR"
	rm -rf "$DATA" "$DATA.tmp" "$CATALOG"
	"$PY" "$SRC/scripts/demo_data.py" "$DATA.tmp"
	mv "$DATA.tmp" "$DATA"
}

# The one configuration of the demo's lyb, mount and portal. file://
# data is read only under file_roots (by default the catalog's own tree):
# the demo's is the data directory; its user is an admin.
DEMO_CONF=$DEMO_DIR/lyb.conf
write_conf() {
	mkdir -p "$DEMO_DIR"
	cat >"$DEMO_CONF" <<EOF
# written by scripts/demo.sh: the demo's lyb, lybfs (-o config=) and portal
catalog = $CATALOG_URL
domain = thecompany.com
admin = user:$(id -un)@thecompany.com
audit = $DEMO_DIR/audit.log
file_roots = $DATA
EOF
}
lyb() { LYB_CONFIG=$DEMO_CONF "$LYB" --catalog "$CATALOG_URL" "$@"; }

# "Now" in seconds: $LYB_NOW pins it (seconds, or an RFC 3339 time).
now_s() {
	case ${LYB_NOW:-} in
	"") date -u +%s ;;
	*[!0-9]*) date -u -d "$LYB_NOW" +%s ;;
	*) echo "$LYB_NOW" ;;
	esac
}
NOW=$(now_s)
day_of() { date -u -d "@$1" +%F; } # seconds -> YYYY-MM-DD
at() { date -u -d "$1 $2" +%s; }   # DATE HH:MM (UTC) -> seconds
# The partition due now under "daily HH:MM" (freshness.h): today's once
# its deadline has passed, else yesterday's.
expected() {
	if [ "$NOW" -ge "$(at "$(day_of "$NOW")" "$1")" ]; then
		day_of "$NOW"
	else
		day_of $((NOW - 86400))
	fi
}

# Creates a DataSet unless the catalog has it already.
create_dataset() {
	local name=$1
	shift
	if ! grep -qxF "$name" <<<"$EXISTING"; then
		lyb dataset create "$name" "$@"
		say "created $name"
	fi
}

# publish_at SECONDS DATASET DATE [ARGS...]: publishes as if at SECONDS
# (LYB_NOW), so that delivery against the SLO is what the demo wants;
# prints the version id.
publish_at() {
	local t=$1
	shift
	LYB_NOW=$t lyb publish "$@" --producer "service:demo-pipeline"
}

make_catalog() {
	local gs=file://$DATA/gs snow=file://$DATA/snow day dg pa gp
	mkdir -p "$CATALOG"
	# an empty catalog is made by the first `dataset create`
	if [ -f "$CATALOG/lybrary.json" ]; then
		EXISTING=$(lyb ls)
	else
		EXISTING=
	fi

	create_dataset "$DG" --owner group:artist-metadata \
		--description "The genres that best describe each artist" \
		--channel "#artist-metadata" --pm "@jane" --slo "daily 08:00" \
		--schema "$DATA/schemas/DominantGenres.avsc" \
		--reader group:artist-analytics --reader group:recommendations \
		--reader user:adam@thecompany.com
	create_dataset "$PA" --owner group:artist-metadata \
		--description "Artists ranked by global popularity" \
		--channel "#artist-metadata" --pm "@jane" --slo "daily 06:00" \
		--schema "$DATA/schemas/PopularArtistsGlobal.avsc" \
		--reader group:artist-analytics --reader domain:thecompany.com
	create_dataset "$GP" --owner group:artist-analytics \
		--description "How many of the top 1000 artists have each genre" \
		--channel "#artist-analytics" --pm "@adam" --slo "daily 10:00" \
		--schema "$DATA/schemas/GenresOfPopularArtists.avsc" \
		--reader group:artist-analytics --upstream "$DG" --upstream "$PA"

	# the user story's dates, a minute ago; the rerun of 2020-09-03 a
	# second later, so it sorts after the first (times are in seconds)
	for day in 01 02 03; do
		dg=$(publish_at $((NOW - 60)) "$DG" "2020-09-$day" \
			--gs "$gs/${DG}_60e0c6/2020/09/$day/run-1" \
			--snow "snow://artist-metadata/dominant_genres=$snow/artist-metadata/dominant_genres/2020-09-$day/run-1")
		pa=$(publish_at $((NOW - 60)) "$PA" "2020-09-$day" \
			--gs "$gs/${PA}_5a1f2e/2020/09/$day/run-1")
		say "$DG 2020-09-$day: $dg, $PA 2020-09-$day: $pa"
	done
	dg=$(publish_at $((NOW - 59)) "$DG" 2020-09-03 \
		--gs "$gs/${DG}_60e0c6/2020/09/03/run-2" \
		--snow "snow://artist-metadata/dominant_genres=$snow/artist-metadata/dominant_genres/2020-09-03/run-2")
	say "$DG 2020-09-03: $dg (the rerun)"
	gp=$(publish_at $((NOW - 58)) "$GP" 2020-09-03 \
		--gs "$gs/${GP}_d2a225/2020/09/03/run-1" \
		--upstream "$DG@2020-09-03/$dg" --upstream "$PA@2020-09-03/$pa")
	say "$GP 2020-09-03: $gp (from $DG $dg and $PA $pa)"
	publish_recent
}

# The last few days up to the partition each DataSet owes now: published
# 25 minutes before its deadline (on time), but DominantGenres' latest 47
# minutes after it (late, as in the story; at most now). The deadlines
# (06:00, 08:00, 10:00) order the due dates: PopularArtistsGlobal's is
# never older than DominantGenres', nor that than GenresOfPopular's, so
# every GenresOfPopular date has both upstreams.
publish_recent() {
	local gs=file://$DATA/gs snow=file://$DATA/snow e_pa e_dg e_gp day
	local days=() i t dg pa gp y m d
	e_pa=$(expected 06:00)
	e_dg=$(expected 08:00)
	e_gp=$(expected 10:00)
	for i in 3 2 1 0; do
		day=$(day_of $((NOW - i * 86400)))
		[[ $day > $e_pa ]] || days+=("$day")
	done
	"$PY" "$SRC/scripts/demo_data.py" --dates "$DATA" "${days[@]}"
	for day in "${days[@]}"; do
		y=${day:0:4} m=${day:5:2} d=${day:8:2}
		pa=$(publish_at $(($(at "$day" 06:00) - 1500)) "$PA" "$day" \
			--gs "$gs/${PA}_5a1f2e/$y/$m/$d/run-1")
		say "$day: $PA $pa"
		[[ $day > $e_dg ]] && continue
		t=$(($(at "$day" 08:00) - 1500))
		if [ "$day" = "$e_dg" ]; then
			t=$(($(at "$day" 08:00) + 2820))
			[ "$t" -le "$NOW" ] || t=$NOW
		fi
		dg=$(publish_at "$t" "$DG" "$day" \
			--gs "$gs/${DG}_60e0c6/$y/$m/$d/run-1" \
			--snow "snow://artist-metadata/dominant_genres=$snow/artist-metadata/dominant_genres/$day/run-1")
		say "$day: $DG $dg"
		[[ $day > $e_gp ]] && continue
		gp=$(publish_at $(($(at "$day" 10:00) - 1500)) "$GP" "$day" \
			--gs "$gs/${GP}_d2a225/$y/$m/$d/run-1" \
			--upstream "$DG@$day/$dg" --upstream "$PA@$day/$pa")
		say "$day: $GP $gp (from $DG $dg and $PA $pa)"
	done
}

mount_demo() {
	# the demo's user may read everything; others ask (lyb access request)
	local opts="config=$DEMO_CONF" _
	if [ ! -d "$MNT" ] && ! mkdir -p "$MNT" 2>/dev/null; then
		# e.g. /lyb for a user: make it theirs, fusermount3 wants that
		as_root mkdir -p "$MNT"
		as_root chown "$(id -u):$(id -g)" "$MNT"
	fi
	if [ "$(id -u)" = 0 ] || grep -qs '^[[:space:]]*user_allow_other' /etc/fuse.conf; then
		opts+=",allow_other"
	fi
	say "mounting $MNT"
	"$LYBFS" -o "$opts" "$MNT" || die "lybfs could not mount $MNT"
	for _ in $(seq 1 50); do
		[ -d "$MNT/$DG" ] && break
		sleep 0.1
	done
	[ -d "$MNT/$DG" ] || die "the mount at $MNT does not show $DG"
}

# The demo's portal: lyb serve on 127.0.0.1, trusting 127.0.0.1 as its
# proxy (so `curl -H "X-Forwarded-Email: ..."` acts as a user), with the
# demo's configuration file.
stop_portal() {
	local pid
	[ -f "$PORTAL_PID" ] || return 0
	pid=$(cat "$PORTAL_PID")
	# only our own `lyb serve`, never a recycled pid
	if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "serve --listen 127.0.0.1:"; then
		say "stopping the portal (pid $pid)"
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -f "$PORTAL_PID"
}

start_portal() {
	say "starting the portal at $PORTAL_URL"
	LYB_CONFIG=$DEMO_CONF nohup "$LYB" serve --listen "127.0.0.1:$PORTAL_PORT" \
		--trust-proxy 127.0.0.1 --static "$SRC/src/portal" --mount "$MNT" \
		>"$DEMO_DIR/portal.log" 2>&1 </dev/null &
	echo $! >"$PORTAL_PID"
	for _ in $(seq 50); do
		grep -q "the portal is at" "$DEMO_DIR/portal.log" 2>/dev/null && return 0
		kill -0 "$(cat "$PORTAL_PID")" 2>/dev/null || break
		sleep 0.1
	done
	say "the portal did not start (port $PORTAL_PORT in use? set LYB_PORTAL_PORT): $(tail -n 3 "$DEMO_DIR/portal.log")"
	rm -f "$PORTAL_PID"
}

# cmp every file of every version under the mount with its source, in
# parallel; the source is the file:// URL in the file's user.lyb.location.
check() {
	local files=() f
	[ -n "$(mount_info "$MNT")" ] || die "nothing is mounted at $MNT"
	# MNT/<dataset>/<date>/<version>/{gs,snow}/...; find does not follow
	# the latest symlinks, so each file is seen once
	while IFS= read -r -d '' f; do
		files+=("$f")
	done < <(find "$MNT" -type f \( -path "$MNT/*/*/*/gs/*" -o \
		-path "$MNT/*/*/*/snow/*" \) -print0)
	[ ${#files[@]} -gt 0 ] || die "no data files under $MNT"
	# shellcheck disable=SC2016 # the inner script expands its own variables
	printf '%s\0' "${files[@]}" |
		xargs -0 -P 4 -n 8 bash -c '
			for f; do
				url=$(getfattr --absolute-names --only-values -n user.lyb.location "$f")
				case $url in
				file://*) cmp -s -- "$f" "${url#file://}" ||
					{ echo "demo: $f differs from $url" >&2; exit 1; } ;;
				*) echo "demo: $f: location $url is not a local file" >&2; exit 1 ;;
				esac
			done' _ ||
		die "the mount's files differ from their sources (if the demo data was changed, remove $DEMO_DIR and run $0 again)"
	say "all ${#files[@]} files under $MNT are byte-identical to their sources"
}

tell() {
	local f=$MNT/$DG/2020-09-03/latest/gs/part-00000.avro run=${LYB_RUN_DIR:-/run/lybfs}
	[ "$(id -u)" = 0 ] || [ -n "${LYB_RUN_DIR:-}" ] || run=${XDG_RUNTIME_DIR:-?}/lybfs
	cat <<EOF

lybfs demo: the catalog $CATALOG_URL is mounted at $MNT,
with the settings of $DEMO_CONF; lyb finds them in $run.
Try (lyb is $LYB: export PATH="$BUILD:\$PATH"):
  ls $MNT
  ls $MNT/$DG/2020-09-03
  cat $MNT/$DG/.lyb/status
  head -n 2 $MNT/$DG/2020-09-03/latest/data.jsonl
  zcat $MNT/$DG/2020-09-03/latest/snow/data_0_0_0.json.gz | head -n 2
  getfattr -d -m user.lyb $f
  lyb ls $DG
  lyb ls --late
  lyb info $GP
  lyb head -n 2 $DG 2020-09-03 gs
As an account without read access (the user story's first day), lyb ls
says Access denied and how to ask:
  lyb ls $DG
  lyb access request $DG --reason "genre study"
and as you (an admin of the demo) or a member of group:artist-metadata:
  lyb access grant $DG user:LOGIN@thecompany.com
The portal (DataSet pages in a browser, read-only until signed in):
  $PORTAL_URL
  ${PORTAL_URL}d/$DG
  (it trusts 127.0.0.1 as its proxy: act as a user with
   curl -H 'X-Forwarded-Email: adam@thecompany.com' ${PORTAL_URL}api/v1/datasets/$DG/access)
Stop it with: $SRC/scripts/demo.sh stop
EOF
	if grep -qsE '^[[:space:]]*catalog[[:space:]]*=' "$LYB_CONFIG_FILE"; then
		cat <<EOF
Note: $LYB_CONFIG_FILE names a catalog of its own, which lyb prefers: run
lyb with LYB_CONFIG=$DEMO_CONF for the demo's.
EOF
	fi
}

start() {
	stop_portal
	unmount_demo
	install_deps
	build
	make_data
	write_conf
	make_catalog
	mount_demo
	check
	start_portal
	tell
}

case ${1:-start} in
start) start ;;
stop) stop_portal; unmount_demo ;;
check) check ;;
-h | --help | help) sed -n '4,20p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command $1 (start, stop, check)" ;;
esac
