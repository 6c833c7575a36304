#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gcs_http and gcs_ca_file: how the mount's requests reach GCS, against
# nginx (a third-party server) serving a bucket's media over plain HTTP/1.1
# and over TLS with HTTP/2 offered (ALPN), the metadata from its njs module
# (bench/gcs-meta.js), and a certificate of the test's own CA.
# - gcs_http=2 over TLS: readers in parallel get every object byte-exact;
#   nginx logs each media request as HTTP/2.0, and one connection carries
#   most of them where HTTP/1.1 opens one per transfer.
# - the default (1.1) over TLS: HTTP/1.1, byte-exact.
# - gcs_http=2 on http:// (no TLS, so no HTTP/2 offered): the multiplexing
#   thread's pooled HTTP/1.1 connections, byte-exact.
# - without gcs_ca_file the certificate is not trusted: EIO, never bytes,
#   and the mount stays healthy; a gcs_ca_file that cannot be read stops
#   the mount from starting, with the file named.
. "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || skip "nginx is not installed (scripts/deps.sh installs it)"
NJS=/usr/lib/nginx/modules/ngx_http_js_module.so
[ -f "$NJS" ] || skip "nginx's njs module is not installed (libnginx-mod-http-js)"

P1=$(free_port)
P2=$(free_port)
NG=$W/nginx
mkdir -p "$NG/tmp" "$W/bucket/h2b/h2"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$NG/key.pem" -out "$NG/cert.pem" 2>/dev/null ||
	fail "openssl could not make a certificate"
chmod 0755 "$W" "$W/bucket" # nginx's workers read the bucket as www-data
stop_nginx() {
	[ -f "$NG/nginx.pid" ] && kill -QUIT "$(cat "$NG/nginx.pid")" 2>/dev/null
	for _ in $(seq 50); do [ -f "$NG/nginx.pid" ] || return 0; sleep 0.1; done
}
trap 'rc=$?; set +e; stop_nginx; cleanup "$rc"' EXIT

step "objects and their metadata"
for i in 0 1 2; do
	$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$W/bucket/h2b/h2/part-0000$i.avro" 5 "h2-$i"
done
$PY - "$W" <<'PYEOF'
import base64, hashlib, json, os, sys
w = sys.argv[1]
index = {}
for name in sorted(os.listdir(os.path.join(w, "bucket/h2b/h2"))):
    path = os.path.join(w, "bucket/h2b/h2", name)
    st = os.stat(path)
    data = open(path, "rb").read()
    index["h2/" + name] = {
        "size": str(st.st_size), "generation": str(st.st_mtime_ns // 1000),
        "metageneration": "1", "contentType": "application/octet-stream",
        "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
        "updated": "2020-09-03T07:00:00.000Z", "timeCreated": "2020-09-03T07:00:00.000Z",
        "storageClass": "STANDARD"}
json.dump({"h2b": index}, open(os.path.join(w, "index.json"), "w"))
PYEOF

cat >"$NG/nginx.conf" <<EOF
load_module $NJS;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log;
events { worker_connections 512; }
http {
	default_type application/octet-stream;
	sendfile on;
	keepalive_requests 100000;
	http2_max_concurrent_streams 128;
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	log_format t '\$server_protocol \$connection \$status \$uri';
	js_import gcs from $LYB_SRC/bench/gcs-meta.js;
	server {
		listen 127.0.0.1:$P1;
		listen 127.0.0.1:$P2 ssl http2;
		ssl_certificate $NG/cert.pem;
		ssl_certificate_key $NG/key.pem;
		access_log $NG/access.log t;
		set \$lyb_delay_ms 0;
		set \$lyb_rate_bps 0;
		set \$lyb_root $W/bucket;
		location ~ ^/download/storage/v1/b/ {
			js_content gcs.media;
		}
		location ~ ^/media/([^/]+)/(.+)\$ {
			internal;
			alias $W/bucket/\$1/\$2;
		}
		location ~ ^/storage/v1/b/[^/]+/o(/.*)?\$ {
			set \$lyb_index $W/index.json;
			js_content gcs.meta;
		}
	}
}
EOF
nginx -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" || fail "nginx did not start"
OBJ=download/storage/v1/b/h2b/o/h2%2Fpart-00000.avro?alt=media
wait_for curl -sf -o /dev/null "http://127.0.0.1:$P1/$OBJ" || fail "nginx does not serve"
[ "$(curl -sf -o /dev/null -w '%{http_version}' --http2 --cacert "$NG/cert.pem" "https://127.0.0.1:$P2/$OBJ")" = 2 ] ||
	fail "nginx's TLS port does not offer HTTP/2"

step "publish through HTTP/1.1"
lyb dataset create t.H2 --owner group:data-team >/dev/null
V=$(STORAGE_EMULATOR_HOST=127.0.0.1:$P1 lyb publish t.H2 2020-09-03 --gs gs://h2b/h2)
[ -n "$V" ] || fail "publish printed no id"
D=$MNT/t.H2/2020-09-03/$V/gs

# read_all: the three objects at once, then odd ranges, against the sources
read_all() {
	local i pids=()
	for i in 0 1 2; do
		cmp "$W/bucket/h2b/h2/part-0000$i.avro" "$D/part-0000$i.avro" & pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fail "$1: an object reads other bytes"; done
	f=$W/bucket/h2b/h2/part-00001.avro
	for r in "1 4095" "1048575 1048578" "3000000 70000"; do
		set -- "$1" $r
		cmp <(dd if="$f" iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none) \
			<(dd if="$D/part-00001.avro" iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none) ||
			fail "$1: range $2+$3 differs"
	done
}
# media requests logged since the log was emptied: "PROTOCOL CONNECTION"
media_log() { awk '$3 == 206 || $3 == 200 { if ($4 ~ /^\/media\//) print $1, $2 }' "$NG/access.log"; }
remount() {
	unmount_lybfs
	echo 3 >/proc/sys/vm/drop_caches
	: >"$NG/access.log"
	mount_lybfs "gcs_credentials=anonymous,$1"
}

# busiest: how many media requests the busiest connection carried
busiest() { media_log | awk '{print $2}' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $1}'; }
count() { echo "$(media_log | wc -l) media requests over $(media_log | awk '{print $2}' | sort -u | wc -l) connection(s)"; }
TLS="gcs_endpoint=https://127.0.0.1:$P2,gcs_ca_file=$NG/cert.pem"

step "gcs_http=2 over TLS: HTTP/2 streams over a few connections, byte-exact"
remount "$TLS,gcs_http=2"
read_all "gcs_http=2"
n=$(media_log | wc -l)
[ "$n" -ge 15 ] || fail "gcs_http=2: only $n media requests (expected the 15 blocks and more)"
media_log | awk '$1 != "HTTP/2.0" { bad = 1 } END { exit bad }' ||
	fail "gcs_http=2: a media request was not HTTP/2: $(media_log | sort | uniq -c)"
# The daemon runs up to ~20 transfers at once (its workers and the FUSE
# threads fetching their own parts): past MUX_STREAMS (16) on the first
# connection, curl opens one more connection for each transfer waiting at
# that instant, so how many open varies from run to run. What multiplexing
# guarantees is that one connection carries most requests; with a
# connection per transfer (HTTP/1.1, 17-22 of them here) none does, which
# the next step checks so that this measure is known to tell them apart.
busiest=$(busiest)
[ $((2 * busiest)) -ge "$n" ] ||
	fail "gcs_http=2: the busiest connection carried $busiest of $n requests: not multiplexed ($(count))"
echo "gcs_http=2: $(count)"

step "the default over TLS: HTTP/1.1, a connection per worker, byte-exact"
remount "$TLS"
read_all default
media_log | awk '$1 != "HTTP/1.1" { bad = 1 } END { exit bad }' || fail "default: not HTTP/1.1"
n=$(media_log | wc -l)
busiest=$(busiest)
[ $((2 * busiest)) -lt "$n" ] ||
	fail "default: one HTTP/1.1 connection carried $busiest of $n requests, so the check above cannot tell"
echo "default: $(count)"

step "gcs_http=2 over http:// (no TLS, no HTTP/2 offered): pooled HTTP/1.1, byte-exact"
remount "gcs_endpoint=http://127.0.0.1:$P1,gcs_http=2"
read_all "gcs_http=2 on http://"
media_log | awk '$1 != "HTTP/1.1" { bad = 1 } END { exit bad }' || fail "gcs_http=2 on http://: not HTTP/1.1"
echo "gcs_http=2 on http://: $(count)"

step "a certificate the system does not trust: EIO, and the mount stays"
remount "gcs_endpoint=https://127.0.0.1:$P2,gcs_http=2,gcs_timeout=3"
expect_errno "Input/output error" cat "$D/part-00002.avro"
ls "$D" >/dev/null || fail "mount unhealthy after the failed reads"
[ "$(media_log | wc -l)" -eq 0 ] || fail "a request got through an untrusted certificate"

step "a gcs_ca_file that cannot be read: the mount does not start"
unmount_lybfs
if out=$(timeout 20 "$LYBFS_BIN" -f -o "catalog=$CAT,gcs_ca_file=$W/none.pem" "$MNT" 2>&1); then
	fail "lybfs mounted with an unreadable gcs_ca_file"
fi
case $out in *"gcs_ca_file $W/none.pem: No such file or directory"*) ;; *) fail "lybfs said: $out" ;; esac
! mountpoint -q "$MNT" || fail "mounted anyway"
echo "PASS"
