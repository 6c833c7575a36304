#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The read-path benchmark of issue #4: lybfs reading gs:// objects from nginx
# on loopback (the GCS JSON API media path, Range supported), side by side
# with raw curl from the same server and with the peers (rclone mount: gcs
# and http backends; s3fs against s3rver), all in one run. Every figure is a
# median of RUNS runs; cold runs drop the page cache and remount first.
# Prints one markdown table and (unless BENCH_DOCS=0) records it, with the
# command, the date and the machine, in docs/benchmarks.md ("Read path").
#
#   bench/bench-read.sh [BUILD_DIR]
# env: BENCH_SIZE_MB   the big object (1024)       BENCH_SMALL_MB  each of 8 small ones (128)
#      BENCH_RUNS      runs per figure (3)         BENCH_RANDOM    random 4 KiB reads (200)
#      BENCH_QUICK=1   64 MiB / 16 MiB, no docs    BENCH_DOCS=0|1  write docs/benchmarks.md
#      BENCH_PEERS     "rclone-gcs rclone-http-off rclone-http-full s3fs" (or a subset, or "")
#      LYBFS_OPTS      extra lybfs -o options, e.g. cache_mem=268435456 (a cache_dir= in
#                      them is emptied before every cold run)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
CMDLINE="$(printf '%q ' "$0" "$@")"
CMDLINE=${CMDLINE% }
for v in LYBFS_OPTS BENCH_PEERS BENCH_RANDOM BENCH_RUNS BENCH_SMALL_MB BENCH_SIZE_MB BENCH_QUICK; do
	[ -n "${!v+x}" ] && CMDLINE="$v=$(printf '%q' "${!v}") $CMDLINE"
done
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_SIZE_MB:=64}" "${BENCH_SMALL_MB:=16}" "${BENCH_DOCS:=0}"
fi
SIZE_MB=${BENCH_SIZE_MB:-1024}
SMALL_MB=${BENCH_SMALL_MB:-128}
RUNS=${BENCH_RUNS:-3}
NRANDOM=${BENCH_RANDOM:-200}
DOCS=${BENCH_DOCS:-1}
PEERS=${BENCH_PEERS-rclone-gcs rclone-http-off rclone-http-full s3fs}
LYBFS_OPTS=${LYBFS_OPTS:-}
LYB=$BUILD/lyb
LYBFS=$BUILD/lybfs
PY=/usr/bin/python3
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/lybfs
log() { echo "bench-read: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "needs root (mounts, drop_caches)"; exit 1; }
if [ ! -x "$LYBFS" ] || [ ! -x "$LYB" ]; then
	log "no lybfs/lyb in $BUILD: build first"
	exit 1
fi

# ---- what it needs, installed only when missing ----
S3RVER=$CACHE/s3rver/node_modules/.bin/s3rver
. "$SRC/bench/peers.sh"
bench_install

W=$(mktemp -d /var/tmp/lyb-bench-read.XXXXXX)
chmod 0755 "$W" # nginx workers read the bucket as www-data
MNT=$W/mnt
MPID='' MNAME='' S3PID=''
cleanup() {
	set +e
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT"
	fi
	[ -n "$MPID" ] && { kill "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null; }
	[ -n "$S3PID" ] && { kill "$S3PID" 2>/dev/null; wait "$S3PID" 2>/dev/null; }
	[ -f "$W/nginx/nginx.pid" ] && kill -QUIT "$(cat "$W/nginx/nginx.pid")" 2>/dev/null
	for _ in $(seq 50); do [ -f "$W/nginx/nginx.pid" ] || break; sleep 0.1; done
	bench_store_done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$MNT" "$W/nginx/tmp" "$W/cat"
S3_MB=0
[[ " $PEERS " == *" s3fs "* ]] && S3_MB=$((SIZE_MB + 8 * SMALL_MB))
bench_store $((SIZE_MB + 8 * SMALL_MB)) "$S3_MB"

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
S3PORT=$(free_port)  # nginx in front of s3rver, to count its bytes too
S3RPORT=$(free_port) # s3rver itself
URL=http://127.0.0.1:$PORT

# ---- the bucket: Avro containers (lyb publish counts their rows) ----
log "writing a ${SIZE_MB} MiB object and 8 x ${SMALL_MB} MiB objects"
$PY - "$W" "$SIZE_MB" "$SMALL_MB" <<'PYEOF'
import base64, hashlib, json, os, sys
w, big_mb, small_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
root = os.path.join(w, "bucket/bench")

def zz(n):  # an Avro long: zig-zag varint
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)

def avro_string(s):
    return zz(len(s)) + s

def write(path, total, block=4 << 20):
    """An Avro container of schema "bytes", exactly @total bytes long."""
    sync = os.urandom(16)
    head = (b"Obj\x01" + zz(2) + avro_string(b"avro.schema") + avro_string(b'"bytes"') +
            avro_string(b"avro.codec") + avro_string(b"null") + zz(0) + sync)
    md5 = hashlib.md5(head)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(head)
        left = total - len(head)
        while left > 0:
            # one datum per block; the last one is sized to end exactly
            p, n = block, 0
            if left <= block + 64:
                for p in range(left - 17, left - 30, -1):
                    n = 1 + len(zz(len(zz(p)) + p)) + len(zz(p)) + p + 16
                    if n == left:
                        break
                if n != left:  # a varint boundary: two blocks instead
                    p = left // 2
            datum = zz(p) + os.urandom(p)
            blk = zz(1) + zz(len(datum)) + datum + sync
            f.write(blk)
            md5.update(blk)
            left -= len(blk)
        assert left == 0, left
    st = os.stat(path)
    return {"size": str(st.st_size), "generation": str(st.st_mtime_ns // 1000),
            "metageneration": "1", "contentType": "application/octet-stream",
            "md5Hash": base64.b64encode(md5.digest()).decode(),
            "updated": "2020-09-03T07:00:00.000Z", "timeCreated": "2020-09-03T07:00:00.000Z",
            "storageClass": "STANDARD"}

index = {}
index["big/part-00000.avro"] = write(os.path.join(root, "big/part-00000.avro"), big_mb << 20)
for i in range(8):
    name = "small/part-%05d.avro" % i
    index[name] = write(os.path.join(root, name), small_mb << 20)
json.dump({"bench": index}, open(os.path.join(w, "index.json"), "w"), indent=1)
PYEOF
log "writing their page CRC sidecars"
bench_pages big small

# ---- nginx: media path, njs metadata, autoindex for rclone http, s3 proxy ----
cat >"$W/nginx/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
worker_processes auto;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
	types { text/html html; }
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	client_body_temp_path $W/nginx/tmp/body;
	proxy_temp_path $W/nginx/tmp/proxy;
	fastcgi_temp_path $W/nginx/tmp/fastcgi;
	uwsgi_temp_path $W/nginx/tmp/uwsgi;
	scgi_temp_path $W/nginx/tmp/scgi;
	log_format bytes '\$body_bytes_sent \$request_method \$uri';
	js_import gcs from $SRC/bench/gcs-meta.js;
	js_set \$lyb_gen gcs.generation;
	server {
		listen 127.0.0.1:$PORT;
		access_log $W/nginx/gcs.log bytes;
		set \$lyb_index $W/index.json;
		location ~ ^/download/storage/v1/b/([^/]+)/o/(.+)\$ {
			alias $W/bucket/\$1/\$2;
			add_header x-goog-generation \$lyb_gen;
		}
		location ~ ^/storage/v1/b/[^/]+/o(/.*)?\$ {
			js_content gcs.meta;
		}
		location /http/ {
			alias $W/bucket/;
			autoindex on;
		}
	}
	server {
		listen 127.0.0.1:$S3PORT;
		access_log $W/nginx/s3.log bytes;
		location / {
			proxy_pass http://127.0.0.1:$S3RPORT;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
			proxy_buffering off;
			proxy_request_buffering off;
			client_max_body_size 0;
		}
	}
}
EOF
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log"
OBJ=$URL/download/storage/v1/b/bench/o
curl -sf -o /dev/null -r 0-0 "$OBJ/big%2Fpart-00000.avro?alt=media" || { log "nginx does not serve"; exit 1; }

# ---- s3rver, fed through its own S3 API ----
if [[ " $PEERS " == *" s3fs "* ]]; then
	"$S3RVER" -d "$W/s3rver" -a 127.0.0.1 -p "$S3RPORT" --silent --configure-bucket bench \
		>"$W/s3rver.log" 2>&1 &
	S3PID=$!
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$S3PORT/bench/" && break; sleep 0.1; done
	log "copying the objects into s3rver"
	for f in big/part-00000.avro small/part-0000{0..7}.avro; do
		curl -sf -o /dev/null -T "$W/bucket/bench/$f" "http://127.0.0.1:$S3PORT/bench/$f"
	done
fi

# ---- the catalog: file:// root, gs:// data at nginx ----
log "publishing bench.Big and bench.Small"
export STORAGE_EMULATOR_HOST=127.0.0.1:$PORT
for ds in Big:big Small:small; do
	"$LYB" --catalog "file://$W/cat" dataset create "bench.${ds%%:*}" --owner group:bench >/dev/null
	"$LYB" --catalog "file://$W/cat" publish "bench.${ds%%:*}" 2020-09-03 --gs "gs://bench/${ds#*:}" >/dev/null
done
unset STORAGE_EMULATOR_HOST

# ---- mounting and unmounting what is measured ----
RSS_PEAK=0
wait_mounted() {
	for _ in $(seq 200); do
		mountpoint -q "$MNT" && return 0
		kill -0 "$MPID" 2>/dev/null || break
		sleep 0.05
	done
	log "$MNAME: mount failed: $(tail -3 "$W/$MNAME.log" 2>/dev/null)"
	exit 1
}
mount_sys() { # mount_sys NAME
	MNAME=$1
	case $1 in
	lybfs)
		local cd
		cd=$(sed -n 's/.*\bcache_dir=\([^,]*\).*/\1/p' <<<"$LYBFS_OPTS")
		[ -n "$cd" ] && [ -d "$cd" ] && find "$cd" -mindepth 1 -delete
		"$LYBFS" -f -o "catalog=file://$W/cat,gcs_endpoint=$URL,gcs_credentials=anonymous,admin=user:root@thecompany.com,audit=$W/audit.log${LYBFS_OPTS:+,$LYBFS_OPTS}" \
			"$MNT" >>"$W/lybfs.log" 2>&1 &
		;;
	rclone-gcs)
		rclone mount :gcs:bench "$MNT" --gcs-endpoint "$URL/storage/v1/" --gcs-anonymous \
			--read-only --vfs-cache-mode off >>"$W/$1.log" 2>&1 &
		;;
	rclone-http-off | rclone-http-full)
		rm -rf "$W/rclone-cache"
		rclone mount :http: "$MNT" --http-url "$URL/http/bench/" --read-only \
			--vfs-cache-mode "${1#rclone-http-}" --cache-dir "$W/rclone-cache" >>"$W/$1.log" 2>&1 &
		;;
	s3fs)
		s3fs bench "$MNT" -f -o "url=http://127.0.0.1:$S3PORT" -o use_path_request_style \
			-o public_bucket=1 -o ro >>"$W/$1.log" 2>&1 &
		;;
	esac
	MPID=$!
	wait_mounted
}
unmount_sys() {
	if [ "$MNAME" = lybfs ]; then
		local hwm
		hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$MPID/status")
		[ "$hwm" -gt "$RSS_PEAK" ] && RSS_PEAK=$hwm
	fi
	fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT"
	wait "$MPID" 2>/dev/null || true
	MPID=
}
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
cold() { # cold NAME: a fresh mount over an empty page cache
	[ -n "$MPID" ] && unmount_sys
	drop
	[ "$1" = curl ] || [ "$1" = curl-s3 ] || mount_sys "$1"
}
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
fmt() { LC_ALL=C printf "%.${2:-0}f" "$1"; }
calc() { echo "$*" | bc -l; }

# bytes the server sent for data (not metadata) since mark_log
LOGMARK=0
logfile() { case $1 in s3fs | curl-s3) echo "$W/nginx/s3.log" ;; *) echo "$W/nginx/gcs.log" ;; esac; }
mark_log() { LOGMARK=$(wc -l <"$(logfile "$1")"); }
pulled() {
	tail -n +"$((LOGMARK + 1))" "$(logfile "$1")" |
		awk '$2 == "GET" && $3 !~ /\/$/ && $3 !~ /^\/storage\// {s += $1} END {printf "%.0f\n", s}'
}

# paths and URLs of what is read
BIG=big/part-00000.avro
small() { printf 'small/part-%05d.avro' "$1"; }
path_of() { # path_of NAME OBJECT
	case $1 in
	lybfs)
		case $2 in big/*) echo "$MNT/bench.Big/latest/gs/${2#big/}" ;;
		*) echo "$MNT/bench.Small/latest/gs/${2#small/}" ;; esac ;;
	curl) echo "$OBJ/${2/\//%2F}?alt=media" ;;
	curl-s3) echo "http://127.0.0.1:$S3PORT/bench/$2" ;;
	*) echo "$MNT/$2" ;;
	esac
}
read_all() { # read_all NAME OBJECT
	case $1 in
	curl | curl-s3) curl -sf -o /dev/null "$(path_of "$1" "$2")" ;;
	*) cat "$(path_of "$1" "$2")" >/dev/null ;;
	esac
}
read_head() {
	case $1 in
	curl | curl-s3) curl -sf -r 0-4095 "$(path_of "$1" "$2")" | wc -c >/dev/null ;;
	*) head -c 4096 "$(path_of "$1" "$2")" | wc -c >/dev/null ;;
	esac
}

# ---- the measurements, one system at a time ----
declare -A R # R[name.measure] = median
SYSTEMS="curl lybfs"
for p in $PEERS; do
	case $p in s3fs) SYSTEMS="$SYSTEMS curl-s3 s3fs" ;; *) SYSTEMS="$SYSTEMS $p" ;; esac
done
SMALL_TOTAL=$((8 * SMALL_MB))
# CPU time the whole machine spent (every process and the kernel: user,
# nice, system, irq, softirq; not idle, iowait or steal), in ticks
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)

measure() { # measure NAME
	local s=$1 i t0 t1 c0 c1 pids seq=() seqcpu=() seqbusy=() warm=() hd=() hdb=() par=() parb=() il=() ilb=() rnd=() rndb=()
	log "measuring $s"
	if [[ $s != curl* ]]; then # the bytes are right, once, untimed
		cold "$s"
		cmp "$(path_of "$s" "$BIG")" "$W/bucket/bench/$BIG" ||
			{ log "$s: $BIG reads wrong bytes"; exit 1; }
	fi
	for i in $(seq "$RUNS"); do
		# (1, 2) cold sequential read of the big object, then (4) warm re-read
		cold "$s"; mark_log "$s"
		c0=$(busy); t0=$(now); read_all "$s" "$BIG"; t1=$(now); c1=$(busy)
		seq+=("$(calc "$t1 - $t0")")
		seqcpu+=("$(calc "($c1 - $c0) / $HZ / ($SIZE_MB / 1024)")")
		seqbusy+=("$(calc "($c1 - $c0) / $HZ / ($t1 - $t0) / $NCPU * 100")")
		t0=$(now); read_all "$s" "$BIG"; t1=$(now)
		warm+=("$(calc "$t1 - $t0")")
		# (3) head -c 4096, cold
		cold "$s"; mark_log "$s"
		t0=$(now); read_head "$s" "$BIG"; t1=$(now)
		hd+=("$(calc "$t1 - $t0")")
		sleep 0.2 # prefetch that is still running counts too
		hdb+=("$(pulled "$s")")
		# (4) 8 concurrent readers of 8 different files, cold
		cold "$s"; mark_log "$s"
		t0=$(now)
		pids=()
		for f in 0 1 2 3 4 5 6 7; do read_all "$s" "$(small "$f")" & pids+=($!); done
		wait "${pids[@]}"
		t1=$(now)
		par+=("$(calc "$t1 - $t0")")
		parb+=("$(calc "$(pulled "$s") / ($SMALL_TOTAL * 1048576)")")
		[[ $s == curl* ]] && continue
		# (4) 8 readers of the same file, interleaved, cold
		cold "$s"; mark_log "$s"
		t0=$(now)
		pids=()
		for _ in 0 1 2 3 4 5 6 7; do read_all "$s" "$(small 0)" & pids+=($!); done
		wait "${pids[@]}"
		t1=$(now)
		il+=("$(calc "$t1 - $t0")")
		ilb+=("$(calc "$(pulled "$s") / ($SMALL_MB * 1048576)")")
		# (5) random 4 KiB reads of the big object, cold
		cold "$s"; mark_log "$s"
		t0=$(now)
		$PY - "$(path_of "$s" "$BIG")" "$NRANDOM" "$i" <<'PYEOF'
import os, random, sys
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
rng = random.Random(seed)
for _ in range(n):
    off = rng.randrange(0, size - 4096) & ~4095
    assert len(os.pread(fd, 4096, off)) == 4096
os.close(fd)
PYEOF
		t1=$(now)
		sleep 0.2
		rnd+=("$(calc "($t1 - $t0) * 1000 / $NRANDOM")")
		rndb+=("$(calc "$(pulled "$s") / ($NRANDOM * 4096)")")
	done
	[ -n "$MPID" ] && unmount_sys
	R[$s.seq]=$(printf '%s\n' "${seq[@]}" | median)
	R[$s.seqcpu]=$(printf '%s\n' "${seqcpu[@]}" | median)
	R[$s.seqbusy]=$(printf '%s\n' "${seqbusy[@]}" | median)
	R[$s.warm]=$(printf '%s\n' "${warm[@]}" | median)
	R[$s.head]=$(printf '%s\n' "${hd[@]}" | median)
	R[$s.headb]=$(printf '%s\n' "${hdb[@]}" | median)
	R[$s.par]=$(printf '%s\n' "${par[@]}" | median)
	R[$s.parb]=$(printf '%s\n' "${parb[@]}" | median)
	if [[ $s != curl* ]]; then
		R[$s.il]=$(printf '%s\n' "${il[@]}" | median)
		R[$s.ilb]=$(printf '%s\n' "${ilb[@]}" | median)
		R[$s.rnd]=$(printf '%s\n' "${rnd[@]}" | median)
		R[$s.rndb]=$(printf '%s\n' "${rndb[@]}" | median)
	fi
}
for s in $SYSTEMS; do measure "$s"; done

# ---- the table ----
base_of() { case $1 in s3fs | curl-s3) echo curl-s3 ;; *) echo curl ;; esac; }
mbs() { calc "$1 * 1.048576 / $2"; } # MiB over seconds, in MB/s
cell() { # cell NAME MEASURE
	local s=$1 b
	b=$(base_of "$s")
	case $2 in
	seq | warm)
		if [[ $s == curl* ]] || [ "$2" = warm ]; then
			fmt "$(mbs "$SIZE_MB" "${R[$s.$2]}")"
		else
			echo "$(fmt "$(mbs "$SIZE_MB" "${R[$s.$2]}")") ($(fmt "$(calc "${R[$b.seq]} / ${R[$s.seq]}")" 2))"
		fi ;;
	seqcpu) echo "$(fmt "${R[$s.seqcpu]}" 2) s, $(fmt "${R[$s.seqbusy]}")%" ;;
	head) echo "$(fmt "$(calc "${R[$s.head]} * 1000")" 1) ms, $(fmt "$(calc "${R[$s.headb]} / 1024")") KiB" ;;
	par)
		if [[ $s == curl* ]]; then
			fmt "$(mbs "$SMALL_TOTAL" "${R[$s.par]}")"
		else
			echo "$(fmt "$(mbs "$SMALL_TOTAL" "${R[$s.par]}")") ($(fmt "$(calc "${R[$b.par]} / ${R[$s.par]}")" 2))"
		fi ;;
	parb) fmt "${R[$s.parb]}" 2 ;;
	il) [[ $s == curl* ]] && echo "" || echo "$(fmt "${R[$s.ilb]}" 2)x, $(fmt "$(mbs "$SMALL_MB" "${R[$s.il]}")") MB/s" ;;
	rnd) [[ $s == curl* ]] && echo "" || echo "$(fmt "${R[$s.rndb]}" 1)x, $(fmt "${R[$s.rnd]}" 2) ms/read" ;;
	esac
}
TABLE=$W/table.md
{
	printf '| measure |'
	for s in $SYSTEMS; do
		case $s in curl) printf ' raw curl (nginx) |' ;; curl-s3) printf ' raw curl (s3rver) |' ;;
		*) printf ' %s |' "$s" ;; esac
	done
	printf '\n|---|'
	for _ in $SYSTEMS; do printf -- '---|'; done
	printf '\n'
	row() { # row LABEL MEASURE
		printf '| %s |' "$1"
		for s in $SYSTEMS; do printf ' %s |' "$(cell "$s" "$2")"; done
		printf '\n'
	}
	row "cold sequential read, ${SIZE_MB} MiB: MB/s (ratio to raw curl)" seq
	row "the same: CPU time of the whole machine per GiB, share of its ${NCPU} CPUs busy" seqcpu
	row "warm re-read: MB/s" warm
	row '`head -c 4096`, cold: latency, bytes pulled' head
	row "8 readers of 8 different ${SMALL_MB} MiB files, cold: MB/s (ratio)" par
	row "8 different files: bytes pulled / bytes read" parb
	row "8 readers of one ${SMALL_MB} MiB file: bytes pulled / file size, MB/s" il
	row "${NRANDOM} random 4 KiB reads, cold: bytes pulled / asked, latency" rnd
	printf '| lybfs daemon RSS peak (VmHWM) | | %s MiB |' "$(fmt "$(calc "$RSS_PEAK / 1024")")"
	for s in $SYSTEMS; do [ "$s" = curl ] || [ "$s" = lybfs ] || printf ' |'; done
	printf '\n'
	echo
	echo "The servers' objects are in $SERVER_STORE."
} >"$TABLE"
cat "$TABLE"

# ---- docs/benchmarks.md, between the markers of the "Read path" section ----
if [ "$DOCS" = 1 ]; then
	DOC=$SRC/docs/benchmarks.md
	{
		echo "Command: \`$CMDLINE\` (as root), $(date -u '+%Y-%m-%d %H:%M UTC'),"
		echo "commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$SRC" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)'),"
		echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)),"
		echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) memory, Linux $(uname -r),"
		echo "$(nginx -v 2>&1 | sed 's/.*: //'), $(rclone version 2>/dev/null | head -1),"
		echo "$(s3fs --version 2>/dev/null | head -1 | sed 's/ *$//'), s3rver 3.7.1."
		echo
		cat "$TABLE"
	} >"$W/section.md"
	$PY - "$DOC" "$W/section.md" <<'PYEOF'
import sys
doc, new = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
b, e = "<!-- bench-read:begin -->\n", "<!-- bench-read:end -->\n"
if b in text and e in text:
    i, j = text.index(b) + len(b), text.index(e)
    text = text[:i] + new + text[j:]
else:
    text = text.rstrip("\n") + "\n\n## Read path\n\n" + b + new + e
open(doc, "w").write(text)
PYEOF
	log "recorded in $DOC"
fi
