#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The publish benchmark of issue #14 item 4: `lyb publish --gs` of
# BENCH_SIZE_MB of Avro in the GCS emulator (scripts/gcs-emulator.sh),
# side by side with curl downloading the same objects from it, one after
# another and BENCH_JOBS at a time. Two kinds of Avro, each in objects
# of BENCH_OBJECT_MB (the emulator takes at most 130 MB an upload):
#   bytes    records of 256 KiB of random bytes (make_big_avro.py): little
#            to decode, so the reading shows
#   records  make_avro.py's nested records (strings, arrays, maps, enums,
#            unions, logical types), 500 a block: the decoding shows
# Each object kind is written once and uploaded under BENCH_OBJECTS
# names. Every figure is a median of BENCH_RUNS; every run publishes the
# same bytes (the first makes the version, the others find it), so every
# run reads and decodes everything. Prints a markdown table (the one in
# docs/benchmarks.md, "Publishing from gs://").
#
#   bench/bench-publish.sh [BUILD_DIR]
# env: BENCH_SIZE_MB (1024)  BENCH_OBJECT_MB (64)  BENCH_RUNS (3)
#      BENCH_JOBS (4)  BENCH_KINDS ("bytes records")
#      BENCH_BASELINE  another lyb binary (an older build) to time too
#      BENCH_QUICK=1   64 MiB of 16 MiB objects, one run
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
CMDLINE="$(printf '%q ' "$0" "$@")"
CMDLINE=${CMDLINE% }
for v in BENCH_BASELINE BENCH_KINDS BENCH_JOBS BENCH_RUNS BENCH_OBJECT_MB BENCH_SIZE_MB BENCH_QUICK; do
	[ -n "${!v+x}" ] && CMDLINE="$v=$(printf '%q' "${!v}") $CMDLINE"
done
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_SIZE_MB:=64}" "${BENCH_OBJECT_MB:=16}" "${BENCH_RUNS:=1}"
fi
SIZE_MB=${BENCH_SIZE_MB:-1024}
OBJ_MB=${BENCH_OBJECT_MB:-64}
RUNS=${BENCH_RUNS:-3}
JOBS=${BENCH_JOBS:-4}
KINDS=${BENCH_KINDS:-bytes records}
BASE_LYB=${BENCH_BASELINE:-}
NOBJ=$(((SIZE_MB + OBJ_MB - 1) / OBJ_MB))
LYB=$BUILD/lyb
PY=/usr/bin/python3
log() { echo "bench-publish: $*" >&2; }
[ -x "$LYB" ] || { log "no lyb in $BUILD: build first"; exit 1; }
[ "$OBJ_MB" -le 124 ] || { log "BENCH_OBJECT_MB: the emulator takes 130 MB an upload"; exit 1; }
bash "$SRC/scripts/deps.sh" bc curl >/dev/null

W=$(mktemp -d /var/tmp/lyb-bench-publish.XXXXXX)
cleanup() {
	set +e
	"$SRC/scripts/gcs-emulator.sh" stop "$W/emu"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
PORT=$("$SRC/scripts/gcs-emulator.sh" start "$W/emu")
export STORAGE_EMULATOR_HOST=127.0.0.1:$PORT
BASE=http://$STORAGE_EMULATOR_HOST
export LYB_CONFIG=$W/lyb.conf
printf 'domain = thecompany.com\nadmin = user:root@thecompany.com\n' >"$LYB_CONFIG"
CAT=file://$W/cat

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
calc() { echo "$*" | bc -l; }
fmt() { LC_ALL=C printf "%.${2:-1}f" "$1"; }

# ---- the objects: one file of each kind, uploaded NOBJ times ----
declare -A BYTES URLS
for k in $KINDS; do
	f=$W/$k.avro
	log "writing a $OBJ_MB MiB object of $k"
	case $k in
	bytes) $PY "$SRC/tests/integration/make_big_avro.py" "$f" "$OBJ_MB" bench ;;
	records)
		# about 70 bytes a record: rows for OBJ_MB
		$PY "$SRC/tests/integration/make_avro.py" "$f" --rows $((OBJ_MB * 15000)) \
			--block-records 500 --seed bench
		;;
	*) log "unknown kind $k"; exit 1 ;;
	esac
	log "uploading it as $NOBJ objects"
	URLS[$k]=
	for i in $(seq 0 $((NOBJ - 1))); do
		name=$(printf '%s/part-%05d.avro' "$k" "$i")
		curl -sf -o /dev/null -X POST --data-binary "@$f" \
			"$BASE/upload/storage/v1/b/bench/o?uploadType=media&name=${name/\//%2F}"
		URLS[$k]+=" $BASE/download/storage/v1/b/bench/o/${name/\//%2F}?alt=media"
	done
	BYTES[$k]=$(($(stat -c %s "$f") * NOBJ))
	"$LYB" --catalog "$CAT" dataset create "bench.${k^}" --owner group:bench >/dev/null
done

# ---- the measurements ----
declare -A R # R[kind.what] = median seconds
measure() { # measure KIND WHAT CMD...: median wall time of RUNS runs
	local k=$1 what=$2 i t0 t1 ts=()
	shift 2
	for i in $(seq "$RUNS"); do
		t0=$(now)
		"$@" >/dev/null
		t1=$(now)
		ts+=("$(calc "$t1 - $t0")")
	done
	R[$k.$what]=$(printf '%s\n' "${ts[@]}" | median)
	log "$k $what: ${R[$k.$what]} s"
}
curl_seq() { # one curl, the objects one after another on one connection
	local args=() u
	for u in ${URLS[$1]}; do args+=(-o /dev/null "$u"); done
	curl -sf "${args[@]}"
}
curl_par() {
	local args=() u
	for u in ${URLS[$1]}; do args+=(-o /dev/null "$u"); done
	curl -sf --no-progress-meter --parallel --parallel-max "$JOBS" "${args[@]}"
}
publish() { # publish KIND JOBS
	"$LYB" --catalog "$CAT" publish "bench.${1^}" 2020-09-03 --gs "gs://bench/$1" --jobs "$2" --quiet
}
baseline() { # its own catalog: it may not read this one's format
	"$BASE_LYB" --catalog "file://$W/cat-base" publish "bench.${1^}" 2020-09-03 --gs "gs://bench/$1"
}
for k in $KINDS; do
	measure "$k" curl curl_seq "$k"
	measure "$k" curlpar curl_par "$k"
	measure "$k" pub1 publish "$k" 1
	measure "$k" pub publish "$k" "$JOBS"
	if [ -n "$BASE_LYB" ]; then
		"$BASE_LYB" --catalog "file://$W/cat-base" dataset create "bench.${k^}" --owner group:bench >/dev/null
		measure "$k" base baseline "$k"
	fi
done

# ---- the table ----
mbs() { calc "${BYTES[$1]} / 1000000 / $2"; }
TABLE=$(
	cell() { echo "$(fmt "$2") s ($(fmt "$(mbs "$1" "$2")" 0) MB/s)"; }
	printf '| Avro (%s objects of %s MiB) | bytes | curl, one by one | curl, %s at a time | lyb publish --jobs 1 | lyb publish --jobs %s | publish / curl one by one |' \
		"$NOBJ" "$OBJ_MB" "$JOBS" "$JOBS"
	[ -n "$BASE_LYB" ] && printf ' baseline lyb publish |'
	printf '\n|---|---|---|---|---|---|---|%s\n' "${BASE_LYB:+---|}"
	for k in $KINDS; do
		printf '| %s | %s MiB | %s | %s | %s | %s | %sx |' "$k" \
			"$(fmt "$(calc "${BYTES[$k]} / 1048576")" 0)" \
			"$(cell "$k" "${R[$k.curl]}")" "$(cell "$k" "${R[$k.curlpar]}")" \
			"$(cell "$k" "${R[$k.pub1]}")" "$(cell "$k" "${R[$k.pub]}")" \
			"$(fmt "$(calc "${R[$k.pub]} / ${R[$k.curl]}")")"
		[ -n "$BASE_LYB" ] && printf ' %s |' "$(cell "$k" "${R[$k.base]}")"
		printf '\n'
	done
)
echo "$TABLE"
