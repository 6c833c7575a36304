#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The read path over a network's shape (issue #17): the server setup of
# bench-read.sh (nginx on loopback serving the GCS JSON API media path,
# njs metadata, s3rver behind nginx for s3fs), with every media request
# delayed by a first-byte latency and every connection capped in
# bandwidth (nginx limit_rate). The shaping is nginx's own (njs
# setTimeout, then the static file module with sendfile): a user-space
# proxy copying every byte would compete for the machine's CPUs with what
# is measured. limit_rate paces each send after it is made, so the wait
# also charges a request its first send's bytes (sendfile_max_chunk, 2m):
# every range then costs latency + bytes / rate (bench/gcs-meta.js). The
# objects are in memory (tmpfs) when MemAvailable allows, so a cold run
# drops the clients' caches, not the server's.
# One reader of a 4 GiB object (BENCH_HUGE_MB) is timed for curl, curl
# --parallel and lybfs only: the peers would take minutes a run.
# Beside lybfs: one raw curl (the floor), `curl --parallel` over N range
# slices and `gcloud storage cp` (Google's sliced download) as the
# ceilings, and the peer mounts rclone (gcs backend) and s3fs; with
# BENCH_TLS=1 (the default) lybfs also over TLS (nginx's own certificate),
# once with HTTP/1.1 (a connection per worker) and once with gcs_http=2
# (HTTP/2 offered by ALPN, every range a stream of shared connections;
# nginx's limit_rate caps each HTTP/2 stream, not the connection). Every
# figure is a median of RUNS runs; cold runs drop the page cache and
# remount first. Prints one markdown table and (unless BENCH_DOCS=0)
# records it in docs/benchmarks.md ("Read path over a network's shape").
#
#   bench/bench-net.sh [--rate R] [--latency MS] [BUILD_DIR]
# env: NET_RATE        nginx limit_rate per connection (100m; 0: none)
#      NET_LATENCY_MS  first-byte latency of each request (30; 0: none)
#      BENCH_SIZE_MB   the big object (1024)       BENCH_SMALL_MB  each of 8 small ones (128)
#      BENCH_HUGE_MB   one reader of it (4096; 0: not measured)
#      BENCH_RUNS      runs per figure (3)         BENCH_RANDOM    random 4 KiB reads (200)
#      BENCH_SLICES    connections of curl --parallel (16)
#      BENCH_SLICE_MB  the size of each of its ranges (8)
#      BENCH_PEERS     "gcloud rclone-gcs s3fs" (or a subset, or "")
#      BENCH_TLS       1: also lybfs-tls and lybfs-h2 (0: not)
#      BENCH_QUICK=1   64 MiB / 16 MiB, no docs    BENCH_DOCS=0|1  write docs/benchmarks.md
#      LYBFS_OPTS      extra lybfs -o options
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--rate) NET_RATE=$2; shift 2 ;;
	--latency) NET_LATENCY_MS=$2; shift 2 ;;
	*) break ;;
	esac
done
BUILD=$(cd "${1:-$SRC/build}" && pwd)
CMDLINE="$(printf '%q ' "$0" "${ARGS[@]}")"
CMDLINE=${CMDLINE% }
for v in BENCH_HUGE_MB BENCH_TLS LYBFS_OPTS BENCH_PEERS BENCH_SLICE_MB BENCH_SLICES BENCH_RANDOM BENCH_RUNS BENCH_SMALL_MB BENCH_SIZE_MB BENCH_QUICK NET_LATENCY_MS NET_RATE; do
	[ -n "${!v+x}" ] && CMDLINE="$v=$(printf '%q' "${!v}") $CMDLINE"
done
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${BENCH_SIZE_MB:=64}" "${BENCH_SMALL_MB:=16}" "${BENCH_DOCS:=0}" "${BENCH_RANDOM:=50}" "${BENCH_HUGE_MB:=0}"
fi
RATE=${NET_RATE:-100m}
LAT=${NET_LATENCY_MS:-30}
SIZE_MB=${BENCH_SIZE_MB:-1024}
SMALL_MB=${BENCH_SMALL_MB:-128}
HUGE_MB=${BENCH_HUGE_MB:-4096}
RUNS=${BENCH_RUNS:-3}
NRANDOM=${BENCH_RANDOM:-200}
SLICES=${BENCH_SLICES:-16}
SLICE_MB=${BENCH_SLICE_MB:-8}
DOCS=${BENCH_DOCS:-1}
PEERS=${BENCH_PEERS-gcloud rclone-gcs s3fs}
LYBFS_OPTS=${LYBFS_OPTS:-}
LYB=$BUILD/lyb
LYBFS=$BUILD/lybfs
PY=/usr/bin/python3
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/lybfs
S3RVER=$CACHE/s3rver/node_modules/.bin/s3rver
log() { echo "bench-net: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "needs root (mounts, drop_caches)"; exit 1; }
if [ ! -x "$LYBFS" ] || [ ! -x "$LYB" ]; then
	log "no lybfs/lyb in $BUILD: build first"
	exit 1
fi
[[ $LAT =~ ^[0-9]+$ ]] || { log "NET_LATENCY_MS: a whole number of ms"; exit 1; }
[[ $RATE =~ ^[0-9]+[kKmMgG]?$ ]] || { log "NET_RATE: nginx limit_rate syntax, e.g. 100m"; exit 1; }
. "$SRC/bench/peers.sh"
bench_install

# peers that are not installed are named, not measured
MISSING=()
have_peer() {
	case $1 in
	gcloud) command -v gcloud >/dev/null ;;
	rclone-gcs) command -v rclone >/dev/null ;;
	s3fs) command -v s3fs >/dev/null && [ -x "$S3RVER" ] ;;
	*) return 1 ;;
	esac
}
SYSTEMS="curl curl-par lybfs"
[ "${BENCH_TLS:-1}" = 1 ] && SYSTEMS="$SYSTEMS lybfs-tls lybfs-h2"
for p in $PEERS; do
	if have_peer "$p"; then
		case $p in s3fs) SYSTEMS="$SYSTEMS curl-s3 s3fs" ;; *) SYSTEMS="$SYSTEMS $p" ;; esac
	else
		MISSING+=("$p")
	fi
done

W=$(mktemp -d /var/tmp/lyb-bench-net.XXXXXX)
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
mkdir -p "$MNT" "$W/nginx/tmp" "$W/cat" "$W/gcloud"

S3_MB=0
[[ " $SYSTEMS " == *" s3fs "* ]] && S3_MB=$((SIZE_MB + 8 * SMALL_MB))
bench_store $((SIZE_MB + 8 * SMALL_MB + HUGE_MB)) "$S3_MB"

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
TPORT=$(free_port)
S3PORT=$(free_port)
S3RPORT=$(free_port)
URL=http://127.0.0.1:$PORT

# ---- the bucket: Avro containers of random bytes, exactly sized ----
log "writing a ${SIZE_MB} MiB object, 8 x ${SMALL_MB} MiB objects and one of ${HUGE_MB} MiB"
$PY - "$W" "$SIZE_MB" "$SMALL_MB" "$HUGE_MB" <<'PYEOF'
import base64, hashlib, json, os, sys
w, big_mb, small_mb, huge_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
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
            p, n = block, 0
            if left <= block + 64:
                for p in range(left - 17, left - 30, -1):
                    n = 1 + len(zz(len(zz(p)) + p)) + len(zz(p)) + p + 16
                    if n == left:
                        break
                if n != left:
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
            "storageClass": "STANDARD", "etag": "CAE="}  # gcloud wants one

index = {}
index["big/part-00000.avro"] = write(os.path.join(root, "big/part-00000.avro"), big_mb << 20)
for i in range(8):
    name = "small/part-%05d.avro" % i
    index[name] = write(os.path.join(root, name), small_mb << 20)
if huge_mb:
    index["huge/part-00000.avro"] = write(os.path.join(root, "huge/part-00000.avro"), huge_mb << 20)
json.dump({"bench": index}, open(os.path.join(w, "index.json"), "w"), indent=1)
PYEOF
log "writing their page CRC sidecars"
bench_pages big small $([ "$HUGE_MB" -gt 0 ] && echo huge)

# ---- nginx: delayed, rate-limited media; njs metadata; the s3 proxy ----
SHAPE="limit_rate $RATE;"
[ "$RATE" = 0 ] && SHAPE=""
case $RATE in # in bytes per second, for gcs-meta.js's wait
*[kK]) RATE_BPS=$((${RATE%?} << 10)) ;;
*[mM]) RATE_BPS=$((${RATE%?} << 20)) ;;
*[gG]) RATE_BPS=$((${RATE%?} << 30)) ;;
*) RATE_BPS=$RATE ;;
esac
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
	sendfile_max_chunk 2m; # gcs-meta.js's \$lyb_burst: the first send, unpaced
	tcp_nopush on;
	keepalive_requests 100000;
	client_body_temp_path $W/nginx/tmp/body;
	proxy_temp_path $W/nginx/tmp/proxy;
	fastcgi_temp_path $W/nginx/tmp/fastcgi;
	uwsgi_temp_path $W/nginx/tmp/uwsgi;
	scgi_temp_path $W/nginx/tmp/scgi;
	log_format bytes '\$body_bytes_sent \$request_method \$uri \$connection \$server_protocol';
	js_import gcs from $SRC/bench/gcs-meta.js;
	js_set \$lyb_gen gcs.generation;
	server {
		listen 127.0.0.1:$PORT;
		listen 127.0.0.1:$TPORT ssl http2;
		ssl_certificate $W/nginx/cert.pem;
		ssl_certificate_key $W/nginx/key.pem;
		access_log $W/nginx/gcs.log bytes;
		set \$lyb_delay_ms $LAT;
		set \$lyb_rate_bps $RATE_BPS;
		set \$lyb_burst 2097152;
		set \$lyb_root $W/bucket;
		set \$lyb_index $W/index.json;
		location ~ ^/download/storage/v1/b/ {
			js_content gcs.media;
		}
		location ~ ^/media/([^/]+)/(.+)\$ {
			internal;
			alias $W/bucket/\$1/\$2;
			add_header x-goog-generation \$lyb_gen;
			$SHAPE
		}
		location ~ ^/storage/v1/b/[^/]+/o(/.*)?\$ {
			js_content gcs.meta;
		}
	}
	server {
		listen 127.0.0.1:$S3PORT;
		access_log $W/nginx/s3.log bytes;
		set \$lyb_delay_ms $LAT;
		set \$lyb_rate_bps $RATE_BPS;
		set \$lyb_root $W/bucket;
		location / {
			js_content gcs.s3;
		}
		location /s3/ {
			internal;
			proxy_pass http://127.0.0.1:$S3RPORT/;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
			proxy_buffering off;
			$SHAPE
		}
	}
}
EOF
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$W/nginx/key.pem" -out "$W/nginx/cert.pem" 2>/dev/null
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log"
OBJ=$URL/download/storage/v1/b/bench/o
curl -sf -o /dev/null -r 0-0 "$OBJ/big%2Fpart-00000.avro?alt=media" || { log "nginx does not serve"; exit 1; }

if [[ " $SYSTEMS " == *" s3fs "* ]]; then
	"$S3RVER" -d "$W/s3rver" -a 127.0.0.1 -p "$S3RPORT" --silent --configure-bucket bench \
		>"$W/s3rver.log" 2>&1 &
	S3PID=$!
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$S3RPORT/bench/" && break; sleep 0.1; done
	log "copying the objects into s3rver"
	for f in big/part-00000.avro small/part-0000{0..7}.avro; do
		curl -sf -o /dev/null -T "$W/bucket/bench/$f" "http://127.0.0.1:$S3RPORT/bench/$f"
	done
fi

# ---- the catalog: file:// root, gs:// data at nginx ----
log "publishing bench.Big, bench.Small and bench.Huge"
export STORAGE_EMULATOR_HOST=127.0.0.1:$PORT
for ds in Big:big Small:small $([ "$HUGE_MB" -gt 0 ] && echo Huge:huge); do
	"$LYB" --catalog "file://$W/cat" dataset create "bench.${ds%%:*}" --owner group:bench >/dev/null
	"$LYB" --catalog "file://$W/cat" publish "bench.${ds%%:*}" 2020-09-03 --gs "gs://bench/${ds#*:}" >/dev/null
done
unset STORAGE_EMULATOR_HOST

# gcloud: anonymous, its own config, the storage API at nginx
export CLOUDSDK_CONFIG=$W/gcloud CLOUDSDK_CORE_DISABLE_PROMPTS=1
export CLOUDSDK_AUTH_DISABLE_CREDENTIALS=True CLOUDSDK_CORE_PROJECT=bench
export CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=$URL/
export CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=True CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=True

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
	lybfs | lybfs-tls | lybfs-h2)
		local ep="gcs_endpoint=$URL"
		[ "$1" = lybfs ] || ep="gcs_endpoint=https://127.0.0.1:$TPORT,gcs_ca_file=$W/nginx/cert.pem"
		[ "$1" = lybfs-h2 ] && ep="$ep,gcs_http=2"
		"$LYBFS" -f -o "catalog=file://$W/cat,$ep,gcs_credentials=anonymous,admin=user:root@thecompany.com,audit=$W/audit.log${LYBFS_OPTS:+,$LYBFS_OPTS}" \
			"$MNT" >>"$W/$1.log" 2>&1 &
		;;
	rclone-gcs)
		rclone mount :gcs:bench "$MNT" --gcs-endpoint "$URL/storage/v1/" --gcs-anonymous \
			--read-only --vfs-cache-mode off >>"$W/$1.log" 2>&1 &
		;;
	s3fs)
		s3fs bench "$MNT" -f -o "url=http://127.0.0.1:$S3PORT" -o use_path_request_style \
			-o public_bucket=1 -o ro >>"$W/$1.log" 2>&1 &
		;;
	esac
	MPID=$!
	wait_mounted
}
is_mount() { case $1 in lybfs* | rclone-gcs | s3fs) return 0 ;; esac; return 1; }
unmount_sys() {
	if [[ $MNAME == lybfs* ]]; then
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
	rm -f "$W/gcloud.out"
	drop
	if is_mount "$1"; then mount_sys "$1"; fi
}
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
fmt() { LC_ALL=C printf "%.${2:-0}f" "$1"; }
calc() { echo "$*" | bc -l; }

LOGMARK=0
logfile() { case $1 in s3fs | curl-s3) echo "$W/nginx/s3.log" ;; *) echo "$W/nginx/gcs.log" ;; esac; }
mark_log() { LOGMARK=$(wc -l <"$(logfile "$1")"); }
conns() { # connections that carried the media requests since mark_log
	tail -n +"$((LOGMARK + 1))" "$(logfile "$1")" |
		awk '$2 == "GET" && $3 ~ /^\/(media|s3)\// {print $4}' | sort -u | wc -l
}
pulled() { # data bytes the server sent since mark_log (the internal redirect logs once)
	tail -n +"$((LOGMARK + 1))" "$(logfile "$1")" |
		awk '$2 == "GET" && $3 !~ /\/$/ && $3 !~ /^\/storage\// {s += $1} END {printf "%.0f\n", s}'
}

BIG=big/part-00000.avro
BIG_BYTES=$((SIZE_MB << 20))
HUGE=huge/part-00000.avro
small() { printf 'small/part-%05d.avro' "$1"; }
path_of() { # path_of NAME OBJECT
	case $1 in
	lybfs*)
		case $2 in big/*) echo "$MNT/bench.Big/latest/gs/${2#big/}" ;;
		huge/*) echo "$MNT/bench.Huge/latest/gs/${2#huge/}" ;;
		*) echo "$MNT/bench.Small/latest/gs/${2#small/}" ;; esac ;;
	curl | curl-par) echo "$OBJ/${2/\//%2F}?alt=media" ;;
	curl-s3) echo "http://127.0.0.1:$S3PORT/bench/$2" ;;
	gcloud) echo "gs://bench/$2" ;;
	*) echo "$MNT/$2" ;;
	esac
}
read_all() { # read_all NAME OBJECT
	local u i n lo hi bytes
	case $1 in
	curl | curl-s3) curl -sf -o /dev/null "$(path_of "$1" "$2")" ;;
	curl-par) # SLICE_MB ranges of the object, SLICES at once
		u=$(path_of "$1" "$2")
		n=$((SLICE_MB << 20))
		bytes=$(stat -c %s "$W/bucket/bench/$2")
		: >"$W/slices.cfg"
		for ((i = 0; i * n < bytes; i++)); do
			lo=$((i * n)) hi=$(((i + 1) * n - 1))
			[ "$hi" -ge "$bytes" ] && hi=$((bytes - 1))
			[ "$i" -gt 0 ] && echo next >>"$W/slices.cfg"
			printf 'url = "%s"\nrange = "%d-%d"\noutput = "/dev/null"\n' "$u" "$lo" "$hi" >>"$W/slices.cfg"
		done
		curl -sf -Z --parallel-max "$SLICES" -K "$W/slices.cfg" 2>/dev/null ;;
	gcloud) gcloud storage cp -q "$(path_of "$1" "$2")" "$W/gcloud.out" >>"$W/gcloud.log" 2>&1 ;;
	*) cat "$(path_of "$1" "$2")" >/dev/null ;;
	esac
}

# ---- the measurements, one system at a time ----
declare -A R # R[name.measure] = median
SMALL_TOTAL=$((8 * SMALL_MB))
measure() { # measure NAME
	local s=$1 i t0 t1 pids seq=() hg=() con=() hd=() hdb=() par=() rnd=() rnd90=() rndb=() out
	log "measuring $s"
	R[$s.load]=$(awk '{print $1 " " $2 " " $3}' /proc/loadavg)
	if is_mount "$s"; then # the bytes are right, once, untimed
		cold "$s"
		cmp "$(path_of "$s" "$BIG")" "$W/bucket/bench/$BIG" ||
			{ log "$s: $BIG reads wrong bytes"; exit 1; }
		if [ "$HUGE_MB" -gt 0 ] && [[ $s == lybfs* ]]; then
			cmp "$(path_of "$s" "$HUGE")" "$W/bucket/bench/$HUGE" ||
				{ log "$s: $HUGE reads wrong bytes"; exit 1; }
		fi
	fi
	for i in $(seq "$RUNS"); do
		cold "$s"; mark_log "$s"
		t0=$(now); read_all "$s" "$BIG" || { log "$s: reading failed"; return 1; }; t1=$(now)
		seq+=("$(calc "$t1 - $t0")")
		con+=("$(conns "$s")")
		[ "$s" = gcloud ] && { cmp "$W/gcloud.out" "$W/bucket/bench/$BIG" || { log "gcloud: wrong bytes"; return 1; }; }
		if [ "$HUGE_MB" -gt 0 ] && [[ $s == curl || $s == curl-par || $s == lybfs* ]]; then
			cold "$s"
			t0=$(now); read_all "$s" "$HUGE" || { log "$s: reading $HUGE failed"; return 1; }; t1=$(now)
			hg+=("$(calc "$t1 - $t0")")
		fi
		[ "$s" = gcloud ] || [ "$s" = curl-par ] && continue
		# first byte: curl's time_starttransfer; a mount's `head -c 4096`
		cold "$s"; mark_log "$s"
		if is_mount "$s"; then
			# head and wc back in the page cache (drop() evicted them):
			# the mount's first byte, not two programs read from disk
			head -c 0 /dev/null | wc -c >/dev/null
			t0=$(now); head -c 4096 "$(path_of "$s" "$BIG")" | wc -c >/dev/null; t1=$(now)
			hd+=("$(calc "$t1 - $t0")")
		else
			hd+=("$(curl -sf -o /dev/null -r 0-4095 -w '%{time_starttransfer}' "$(path_of "$s" "$BIG")")")
		fi
		sleep 0.3 # read-ahead still running counts too
		hdb+=("$(pulled "$s")")
		# 8 readers of 8 different files
		cold "$s"
		t0=$(now)
		pids=()
		for f in 0 1 2 3 4 5 6 7; do read_all "$s" "$(small "$f")" & pids+=($!); done
		wait "${pids[@]}"
		t1=$(now)
		par+=("$(calc "$t1 - $t0")")
		# random 4 KiB reads: a mount's pread, curl's ranges on one connection
		cold "$s"; mark_log "$s"
		if is_mount "$s"; then
			out=$($PY - "$(path_of "$s" "$BIG")" "$NRANDOM" "$i" <<'PYEOF'
import os, random, sys, time
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
rng = random.Random(seed)
lat = []
for _ in range(n):
    off = rng.randrange(0, size - 4096) & ~4095
    t0 = time.monotonic()
    assert len(os.pread(fd, 4096, off)) == 4096
    lat.append(time.monotonic() - t0)
os.close(fd)
lat.sort()
print(lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.9)] * 1000)
PYEOF
)
		else
			out=$($PY - "$(path_of "$s" "$BIG")" "$NRANDOM" "$i" "$BIG_BYTES" "$W/random.cfg" <<'PYEOF'
import random, subprocess, sys
url, n, seed, size, cfg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = random.Random(seed)
with open(cfg, "w") as f:
    for i in range(n):
        off = rng.randrange(0, size - 4096) & ~4095
        f.write('url = "%s"\nrange = "%d-%d"\noutput = "/dev/null"\nwrite-out = "%%{time_total}\\n"\n' % (url, off, off + 4095))
        if i < n - 1:
            f.write("next\n")
out = subprocess.run(["curl", "-sf", "-K", cfg], capture_output=True, text=True, check=True).stdout
lat = sorted(float(x) for x in out.split())
print(lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.9)] * 1000)
PYEOF
)
		fi
		sleep 0.3
		rnd+=("${out% *}")
		rnd90+=("${out#* }")
		rndb+=("$(calc "$(pulled "$s") / ($NRANDOM * 4096)")")
	done
	[ -n "$MPID" ] && unmount_sys
	R[$s.seq]=$(printf '%s\n' "${seq[@]}" | median)
	R[$s.conns]=$(printf '%s\n' "${con[@]}" | median)
	[ ${#hg[@]} -gt 0 ] && R[$s.huge]=$(printf '%s\n' "${hg[@]}" | median)
	[ "$s" = gcloud ] || [ "$s" = curl-par ] && return 0
	R[$s.head]=$(printf '%s\n' "${hd[@]}" | median)
	R[$s.headb]=$(printf '%s\n' "${hdb[@]}" | median)
	R[$s.par]=$(printf '%s\n' "${par[@]}" | median)
	R[$s.rnd]=$(printf '%s\n' "${rnd[@]}" | median)
	R[$s.rnd90]=$(printf '%s\n' "${rnd90[@]}" | median)
	R[$s.rndb]=$(printf '%s\n' "${rndb[@]}" | median)
}
FAILED=()
for s in $SYSTEMS; do measure "$s" || { FAILED+=("$s: $(tail -1 "$W/$s.log" 2>/dev/null)"); [ -n "$MPID" ] && unmount_sys; }; done

# ---- the table ----
mbs() { calc "$1 * 1.048576 / $2"; } # MiB over seconds, in MB/s
has() { [ -n "${R[$1]:-}" ]; }
cell() { # cell NAME MEASURE
	local s=$1 b=curl
	[ "$s" = s3fs ] && b=curl-s3
	case $2 in
	seq)
		has "$s.seq" || return 0
		if [ "$s" = curl ] || [ "$s" = curl-s3 ]; then
			fmt "$(mbs "$SIZE_MB" "${R[$s.seq]}")"
		else
			echo "$(fmt "$(mbs "$SIZE_MB" "${R[$s.seq]}")") ($(fmt "$(calc "${R[$b.seq]} / ${R[$s.seq]}")" 2)x)"
		fi ;;
	huge)
		has "$s.huge" || return 0
		if [ "$s" = curl ]; then
			fmt "$(mbs "$HUGE_MB" "${R[$s.huge]}")"
		else
			echo "$(fmt "$(mbs "$HUGE_MB" "${R[$s.huge]}")") ($(fmt "$(calc "${R[curl.huge]} / ${R[$s.huge]}")" 2)x)"
		fi ;;
	head) has "$s.head" && echo "$(fmt "$(calc "${R[$s.head]} * 1000")" 1) ms, $(fmt "$(calc "${R[$s.headb]} / 1024")") KiB" ;;
	par)
		has "$s.par" || return 0
		if [ "$s" = curl ] || [ "$s" = curl-s3 ]; then
			fmt "$(mbs "$SMALL_TOTAL" "${R[$s.par]}")"
		else
			echo "$(fmt "$(mbs "$SMALL_TOTAL" "${R[$s.par]}")") ($(fmt "$(calc "${R[$b.par]} / ${R[$s.par]}")" 2))"
		fi ;;
	conns) [ "$s" = gcloud ] || echo "${R[$s.conns]:-}" ;;
	rnd) has "$s.rnd" && echo "$(fmt "${R[$s.rnd]}" 1) / $(fmt "${R[$s.rnd90]}" 1) ms, $(fmt "${R[$s.rndb]}" 1)x" ;;
	load) echo "${R[$s.load]:-}" ;;
	esac
	return 0
}
TABLE=$W/table.md
{
	printf '| measure |'
	for s in $SYSTEMS; do
		case $s in curl) printf ' raw curl, 1 connection |' ;; curl-par) printf ' curl --parallel, %s x %s MiB ranges |' "$SLICES" "$SLICE_MB" ;;
		curl-s3) printf ' raw curl (s3rver) |' ;; gcloud) printf ' gcloud storage cp |' ;;
		lybfs-tls) printf ' lybfs, TLS, HTTP/1.1 |' ;; lybfs-h2) printf ' lybfs, TLS, gcs_http=2 |' ;; *) printf ' %s |' "$s" ;; esac
	done
	printf '\n|---|'
	for _ in $SYSTEMS; do printf -- '---|'; done
	printf '\n'
	row() { # row LABEL MEASURE
		printf '| %s |' "$1"
		for s in $SYSTEMS; do printf ' %s |' "$(cell "$s" "$2")"; done
		printf '\n'
	}
	row "cold sequential read, ${SIZE_MB} MiB: MB/s (x one curl)" seq
	[ "$HUGE_MB" -gt 0 ] && row "one reader of a ${HUGE_MB} MiB object, cold: MB/s (x one curl)" huge
	row "connections that carried its media requests (median of the runs)" conns
	row 'first byte, cold: curl time_starttransfer; a mount: `head -c 4096` latency, bytes pulled' head
	row "${NRANDOM} random 4 KiB reads, cold: median / p90 latency, bytes pulled / asked" rnd
	row "8 readers of 8 different ${SMALL_MB} MiB files, cold: MB/s (ratio to 8 curls)" par
	printf '| lybfs daemon RSS peak (VmHWM), every lybfs column | | | %s MiB |' "$(fmt "$(calc "$RSS_PEAK / 1024")")"
	for s in $SYSTEMS; do case $s in curl | curl-par | lybfs) ;; *) printf ' |' ;; esac; done
	printf '\n'
	row "load average (1, 5, 15 min) as the system's runs began" load
	echo
	echo "Shape: every media request waits ${LAT} ms before its first byte; each connection is capped at nginx \`limit_rate $RATE\`; the servers' objects are in $SERVER_STORE."
	[ ${#MISSING[@]} -gt 0 ] && echo "Not installed, not measured: ${MISSING[*]}."
	[ ${#FAILED[@]} -gt 0 ] && echo "Failed, not measured: ${FAILED[*]}."
	true
} >"$TABLE"
cat "$TABLE"

if [ "$DOCS" = 1 ]; then
	DOC=$SRC/docs/benchmarks.md
	{
		echo "Command: \`$CMDLINE\` (as root), $(date -u '+%Y-%m-%d %H:%M UTC'),"
		echo "commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$SRC" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)'),"
		echo "$(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)),"
		echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) memory, Linux $(uname -r),"
		echo "$(nginx -v 2>&1 | sed 's/.*: //'), $(curl --version | head -1 | cut -d' ' -f1-2)$(command -v gcloud >/dev/null && echo ", $(gcloud version 2>/dev/null | head -1)")$(command -v rclone >/dev/null && echo ", $(rclone version 2>/dev/null | head -1)")."
		echo
		cat "$TABLE"
	} >"$W/section.md"
	$PY - "$DOC" "$W/section.md" <<'PYEOF'
import sys
doc, new = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
b, e = "<!-- bench-net:begin -->\n", "<!-- bench-net:end -->\n"
if b in text and e in text:
    i, j = text.index(b) + len(b), text.index(e)
    text = text[:i] + new + text[j:]
else:
    text = text.rstrip("\n") + "\n\n## Read path over a network's shape\n\n" + b + new + e
open(doc, "w").write(text)
PYEOF
	log "recorded in $DOC"
fi
