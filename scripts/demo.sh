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
# Environment: LYB_DEMO_DIR (default /var/tmp/lybfs-demo: data/ and
# catalog/), LYB_MNT (default /lyb), LYB_BUILD (default build/ in the
# source tree), LYB_PORTAL_PORT (default 8080: the portal, lyb serve, on
# 127.0.0.1).
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

# file:// data is read only under file_roots (by default the catalog's
# own tree): the demo's lyb and mount are given the data directory, and
# its user is an admin for both. A LYB_CONFIG already set (the tests') is
# kept.
DEMO_CONF=$DEMO_DIR/lyb.conf
lyb() {
	[ -n "${LYB_CONFIG:-}" ] || [ -f "$DEMO_CONF" ] ||
		printf 'file_roots = %s\nadmin = user:%s@thecompany.com\n' \
			"$DATA" "$(id -un)" >"$DEMO_CONF"
	LYB_CONFIG=${LYB_CONFIG:-$DEMO_CONF} "$LYB" --catalog "$CATALOG_URL" "$@"
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

# publish DATASET DATE [ARGS...]: prints the version id.
publish() {
	lyb publish "$@" --producer "service:demo-pipeline"
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

	for day in 01 02 03; do
		dg=$(publish "$DG" "2020-09-$day" \
			--gs "$gs/${DG}_60e0c6/2020/09/$day/run-1" \
			--snow "snow://artist-metadata/dominant_genres=$snow/artist-metadata/dominant_genres/2020-09-$day/run-1")
		pa=$(publish "$PA" "2020-09-$day" \
			--gs "$gs/${PA}_5a1f2e/2020/09/$day/run-1")
		say "$DG 2020-09-$day: $dg, $PA 2020-09-$day: $pa"
	done
	# a second, different version of 2020-09-03; published times have
	# one-second resolution, so wait for it to sort after the first
	sleep 1
	dg=$(publish "$DG" 2020-09-03 \
		--gs "$gs/${DG}_60e0c6/2020/09/03/run-2" \
		--snow "snow://artist-metadata/dominant_genres=$snow/artist-metadata/dominant_genres/2020-09-03/run-2")
	say "$DG 2020-09-03: $dg (the rerun)"
	gp=$(publish "$GP" 2020-09-03 \
		--gs "$gs/${GP}_d2a225/2020/09/03/run-1" \
		--upstream "$DG@2020-09-03/$dg" --upstream "$PA@2020-09-03/$pa")
	say "$GP 2020-09-03: $gp (from $DG $dg and $PA $pa)"
}

mount_demo() {
	# the demo's user may read everything; others ask (lyb access request)
	local opts="catalog=$CATALOG_URL,file_roots=$DATA,audit=$DEMO_DIR/audit.log,admin=user:$(id -un)@thecompany.com" _
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
# demo's domain, admin and audit log in its own configuration file.
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
	local conf=$DEMO_DIR/lyb.conf
	printf 'catalog = %s\ndomain = thecompany.com\nadmin = user:%s@thecompany.com\naudit = %s\n' \
		"$CATALOG_URL" "$(id -un)" "$DEMO_DIR/audit.log" >"$conf"
	say "starting the portal at $PORTAL_URL"
	LYB_CONFIG=$conf nohup "$LYB" serve --listen "127.0.0.1:$PORTAL_PORT" \
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
	local f=$MNT/$DG/latest/gs/part-00000.avro
	cat <<EOF

lybfs demo: the catalog $CATALOG_URL is mounted at $MNT
Try:
  ls $MNT
  ls $MNT/$DG/2020-09-03
  cat $MNT/$DG/.lyb/info.json
  head -c 200 $f | od -c | head
  zcat $MNT/$DG/latest/snow/data_0_0_0.json.gz | head -n 2
  getfattr -d -m user.lyb $f
  $LYB --catalog $CATALOG_URL ls $DG
  (Access denied? $LYB --catalog $CATALOG_URL access request $DG)
  $LYB --catalog $CATALOG_URL info $GP
  LYB_CONFIG=$DEMO_CONF $LYB --catalog $CATALOG_URL head $DG
  (or export LYB_CATALOG=$CATALOG_URL and run: $LYB ls)
The portal (DataSet pages in a browser, read-only until signed in):
  $PORTAL_URL
  ${PORTAL_URL}d/$DG
  (it trusts 127.0.0.1 as its proxy: act as a user with
   curl -H 'X-Forwarded-Email: adam@thecompany.com' ${PORTAL_URL}api/v1/datasets/$DG/access)
Stop it with: $SRC/scripts/demo.sh stop
EOF
}

start() {
	stop_portal
	unmount_demo
	install_deps
	build
	make_data
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
