#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The catalog-scale benchmark (issue #13): synthetic catalogs written by
# bench/gen_catalog.c through the catalog's own writers, mounted with the
# real lybfs, measured in one run:
#   - 10,000 DataSets x 1,000 daily versions (ten million versions)
#   - 1 DataSet x 1,000,000 hourly versions (about 114 years of hours,
#     41,667 dates)
#   - format 1 beside it, at the sizes it still mounts (BENCH_F1)
#   - a gs:// catalog in the Firebase Storage emulator: store requests per
#     idle refresh and to make one publish visible, counted by the daemon's
#     own lyb_store_requests_total (every request the store layer makes)
# Medians of BENCH_RUNS. Prints markdown tables and (unless BENCH_DOCS=0)
# records them with the command in docs/benchmarks.md ("Catalog scale").
#
#   bench/bench-catalog.sh [BUILD_DIR]
# env: BENCH_RUNS (3)  BENCH_DOCS (1)  BENCH_CACHE (/var/tmp/lyb-bench-catalog:
#      generated catalogs are kept there and reused while the generator and
#      the format code are unchanged)  BENCH_GEN_ONLY=1 (only generate)
#      BENCH_BIG ("10000 1000 1"), BENCH_DEEP ("1 1000000 24"),
#      BENCH_F1 ("100 1000 1;1000 100 1"), BENCH_GS ("1000 20 1"),
#      BENCH_IDLE (60: seconds of idle mount on gs://)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
CMDLINE="$(printf '%q ' "$0" "$@")"
CMDLINE=${CMDLINE% }
for v in BENCH_RUNS BENCH_BIG BENCH_DEEP BENCH_F1 BENCH_GS BENCH_IDLE; do
	[ -n "${!v+x}" ] && CMDLINE="$v=$(printf '%q' "${!v}") $CMDLINE"
done
RUNS=${BENCH_RUNS:-3}
DOCS=${BENCH_DOCS:-1}
CACHE=${BENCH_CACHE:-/var/tmp/lyb-bench-catalog}
BIG=${BENCH_BIG:-10000 1000 1}
DEEP=${BENCH_DEEP:-1 1000000 24}
F1=${BENCH_F1:-100 1000 1;1000 100 1}
GS=${BENCH_GS:-1000 20 1}
IDLE=${BENCH_IDLE:-60}
LYB=$BUILD/lyb
LYBFS=$BUILD/lybfs
GEN=$BUILD/lyb-gen-catalog
PY=/usr/bin/python3
log() { echo "bench-catalog: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "needs root (mounts, drop_caches)"; exit 1; }
bash "$SRC/scripts/deps.sh" bc curl >/dev/null
cmake --build "$BUILD" --target lyb lybfs lyb-gen-catalog >/dev/null

W=$(mktemp -d /var/tmp/lyb-bench-cat.XXXXXX)
MNT=$W/mnt
MPID='' EMU=''
cleanup() {
	set +e
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT"
	fi
	[ -n "$MPID" ] && { kill "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null; }
	[ -n "$EMU" ] && "$SRC/scripts/gcs-emulator.sh" stop "$EMU" >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$MNT" "$CACHE"
export LYB_CONFIG=$W/lyb.conf
printf 'admin = user:root@thecompany.com\nfile_roots = %s\naudit = %s/audit.log\n' "$W" "$W" >"$LYB_CONFIG"

# what the generated catalogs depend on: regenerated when it changes
STAMP=$({ cat "$SRC/bench/gen_catalog.c"; grep '^#define LAYOUT_REVISION' "$SRC/src/core/catalog2.c"; } | sha256sum | cut -c1-16)

# gen NAME FORMAT N V PER_DAY: a cached catalog; echoes its directory
gen() {
	local dir=$CACHE/$1
	if [ "$(cat "$dir.stamp" 2>/dev/null)" != "$STAMP" ]; then
		rm -rf "$dir" "$dir.stamp"
		log "generating $1 (format $2: $3 DataSets x $4 versions, $5 a day)"
		local t0=$(date +%s.%N)
		"$GEN" --format "$2" --jobs "$(nproc)" "file://$dir" "$3" "$4" "$5" >&2
		log "  $(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.0f') s, $(du -sh "$dir" | cut -f1)"
		echo "$STAMP" >"$dir.stamp"
	fi
	echo "$dir"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

unmount() {
	if mountpoint -q "$MNT"; then fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT"; fi
	[ -n "$MPID" ] && { wait "$MPID" 2>/dev/null || true; }
	MPID=''
}

# mount_cat URL [opts]: mounts; MT gets the seconds from start to ready
# (not run in $(...): the daemon would hold the substitution's pipe)
mount_cat() {
	local t0
	drop_caches
	t0=$(now)
	"$LYBFS" -f -o "catalog=$1,refresh=2,allow_other,admin=user:root@thecompany.com,audit=$W/audit.log${2:+,$2}" "$MNT" >/dev/null 2>>"$W/lybfs.log" &
	MPID=$!
	for _ in $(seq 30000); do
		mountpoint -q "$MNT" && break
		kill -0 "$MPID" 2>/dev/null || { log "lybfs exited: $(tail -n 5 "$W/lybfs.log")"; exit 1; }
		sleep 0.005
	done
	MT=$(since "$t0")
}

rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$MPID/status"; }
hwm_mib() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$MPID/status"; }
requests() { awk '/^lyb_store_requests_total/ { n += $2 } END { print n + 0 }' "$MNT/.lyb/metrics"; }

# a data source for publishes
mkdir -p "$W/src/a" "$W/src/b"
$PY "$SRC/tests/integration/make_avro.py" "$W/src/a/part-00000.avro" --rows 100 --seed a
publish_time() { # publish_time URL DATASET: median seconds of RUNS publishes
	local i t0 out
	for i in $(seq "$RUNS"); do
		mkdir -p "$W/src/p$i-$RANDOM"
		out=$(ls -d "$W"/src/p$i-* | tail -n 1)
		$PY "$SRC/tests/integration/make_avro.py" "$out/part-00000.avro" --rows 10 --seed "$out" >/dev/null
		t0=$(now)
		"$LYB" --catalog "$1" publish "$2" 2099-01-0$i --gs "file://$out" >/dev/null
		since "$t0"
	done | median
}

# shape_row LABEL URL DATASET_LIST_GLOB: one table row for a file:// catalog
ROWS=()
shape_row() {
	local label=$1 url=$2 one=$3 mt=() rss=() lsr=() lsd=() i ds pub
	for i in $(seq "$RUNS"); do
		mount_cat "$url"
		mt+=("$MT")
		local t0=$(now)
		ls "$MNT" >/dev/null
		lsr+=("$(since "$t0")")
		t0=$(now)
		ls -l "$MNT/$one" >/dev/null
		lsd+=("$(since "$t0")")
		# ls -l of 100 DataSets' dates, then the daemon's RSS
		for ds in $(ls "$MNT" | grep -v '^\.' | head -n 100); do ls -l "$MNT/$ds" >/dev/null; done
		rss+=("$(rss_mib)")
		unmount
	done
	pub=$(publish_time "$url" "$one")
	local ndates
	mount_cat "$url"
	ndates=$(ls "$MNT/$one" | grep -vc '^\(\.lyb\|latest\)$')
	unmount
	ROWS+=("| $label | $(printf '%s\n' "${mt[@]}" | median | xargs printf '%.2f s') | $(printf '%s\n' "${rss[@]}" | median) MiB | $(printf '%s\n' "${lsr[@]}" | median | xargs printf '%.3f s') | $(printf '%s\n' "${lsd[@]}" | median | xargs printf '%.3f s') ($ndates dates) | $(printf '%.3f s' "$pub") |")
}

read -r bn bv bp <<<"$BIG"
read -r dn dv dp <<<"$DEEP"
BIGDIR=$(gen "f2-$bn-$bv-$bp" 2 "$bn" "$bv" "$bp")
DEEPDIR=$(gen "f2-$dn-$dv-$dp" 2 "$dn" "$dv" "$dp")
F1DIRS=()
IFS=';' read -ra F1S <<<"$F1"
for s in "${F1S[@]}"; do
	read -r n v p <<<"$s"
	F1DIRS+=("$(gen "f1-$n-$v-$p" 1 "$n" "$v" "$p")|$n x $v")
done
[ "${BENCH_GEN_ONLY:-0}" = 1 ] && { log "generated"; exit 0; }

# the measured runs publish: work on copies (hard links: pages, commits and
# documents are never rewritten in place, only replaced or added)
copy() { rm -rf "$W/c-$1"; cp -al "$2" "$W/c-$1"; echo "$W/c-$1"; }

log "10 M versions"
c=$(copy big "$BIGDIR")
shape_row "format 2: $bn DataSets x $bv versions ($((bn * bv)) versions)" "file://$c" "team000.Set00000"
rm -rf "$c"
log "1 DataSet x $dv versions"
c=$(copy deep "$DEEPDIR")
shape_row "format 2: $dn DataSet x $dv versions (hourly)" "file://$c" "team000.Set00000"
rm -rf "$c"
for e in "${F1DIRS[@]}"; do
	d=${e%%|*}
	log "format 1: ${e##*|}"
	c=$(copy f1 "$d")
	shape_row "format 1: ${e##*|} DataSets x versions" "file://$c" "team000.Set00000"
	rm -rf "$c"
done

# ---- gs:// in the emulator: requests, idle and per publish ----
GSROWS=()
if port=$("$SRC/scripts/gcs-emulator.sh" start "$W/emu" 2>/dev/null); then
	EMU=$W/emu
	export STORAGE_EMULATOR_HOST=127.0.0.1:$port
	read -r gn gv gp <<<"$GS"
	for fmt in 1 2; do
		url=gs://cat/f$fmt
		log "gs:// format $fmt: generating $gn x $gv in the emulator"
		"$GEN" --format "$fmt" --jobs 1 "$url" "$gn" "$gv" "$gp" >&2 # the emulator garbles concurrent uploads
		mount_cat "$url"
		mt=$MT
		r0=$(requests)
		f0=$(awk '/^lyb_catalog_refreshes_total\{result="ok"\}/ { print $2 }' "$MNT/.lyb/metrics")
		sleep "$IDLE"
		r1=$(requests)
		f1=$(awk '/^lyb_catalog_refreshes_total\{result="ok"\}/ { print $2 }' "$MNT/.lyb/metrics")
		idle=$(echo "($r1 - $r0) / ($f1 - $f0)" | bc -l)
		# one publish, then the requests until the mount shows it: seen
		# on the card (.lyb/info.json is in memory: no store request),
		# minus the idle polls of the refreshes in that window
		refreshes() { awk '/^lyb_catalog_refreshes_total\{result="ok"\}/ { print $2 }' "$MNT/.lyb/metrics"; }
		# (a date inside the generated range, so that the metrics read
		# here never needs the DataSet's dates for its SLO check)
		count() { awk -F'[:,]' '/"versions":/ { print $2 + 0; exit }' "$MNT/team000.Set00000/.lyb/info.json"; }
		n0=$(count)
		r0=$(requests)
		f0=$(refreshes)
		"$LYB" --catalog "$url" publish team000.Set00000 2015-01-02 --gs "file://$W/src/a" >/dev/null
		for _ in $(seq 100); do [ "$(count)" != "$n0" ] && break; sleep 0.1; done
		r1=$(requests)
		f1=$(refreshes)
		vis=$(echo "$r1 - $r0 - ($f1 - $f0) * $idle" | bc -l)
		perday=$(echo "$idle * 43200 * 1000" | bc -l)
		GSROWS+=("| format $fmt, $gn DataSets x $gv versions | $(printf '%.2f s' "$mt") | $(printf '%.2f' "$idle") | $(printf '%.0f' "$vis") | $(printf '%.3g' "$perday") |")
		unmount
	done
else
	GSROWS+=("| (the Firebase Storage emulator is not installed: scripts/gcs-emulator.sh install) | | | | |")
fi

TABLE=$(
	echo "| catalog (file://) | mount, start to ready | daemon RSS after \`ls -l\` of 100 DataSets | \`ls /lyb\`, cold | \`ls -l\` of one DataSet's dates, cold | \`lyb publish\` of one version |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "| gs:// catalog (emulator) | mount | store requests per idle refresh (refresh=2) | requests to make one publish visible | requests per day, 1,000 hosts idle at refresh=2 |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${GSROWS[@]}"
)
echo "$TABLE"
if [ "$DOCS" = 1 ]; then
	$PY - "$SRC/docs/benchmarks.md" "$CMDLINE" "$TABLE" "$(uptime)" <<'PYEOF'
import re, sys, datetime, platform, os
path, cmd, table, up = sys.argv[1:5]
doc = open(path).read()
section = ("## Catalog scale\n\n"
           "`%s` on %s, %s, %d cores (%s). Medians of the runs; cold: "
           "the page cache dropped and the daemon remounted before each.\n\n%s\n"
           % (cmd, datetime.date.today().isoformat(), platform.node(),
              os.cpu_count(), up.strip(), table))
if "## Catalog scale" in doc:
    doc = re.sub(r"## Catalog scale\n.*?(?=\n## |\Z)", section, doc, flags=re.S)
else:
    doc = doc.rstrip("\n") + "\n\n" + section
open(path, "w").write(doc)
PYEOF
	log "recorded in docs/benchmarks.md"
fi
