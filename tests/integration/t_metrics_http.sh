#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The metrics endpoint (-o metrics_listen=ADDR:PORT): off by default (the
# daemon holds no listening socket); on, GET /metrics answers what
# MNT/.lyb/metrics says (the same metric names, parsed by Debian's
# prometheus_client) as text/plain; version=0.0.4, HEAD too, other paths
# 404 and other methods 405. Under a hostile client (metrics_abuse.py run
# as a second account, lybmabuse: idle connections, slowloris, a flood of
# connections, oversized requests)
# the daemon keeps its limits (16 connections, 5 s idle, 10 s in all, 16
# KiB of request), holds no more descriptors or threads, the mount serves
# byte-exact reads throughout, and the endpoint answers again once the
# attack stops. A taken address, or a host name, stops the start.
. "$(dirname "$0")/lib.sh"
for c in curl ss; do command -v $c >/dev/null || skip "$c is not installed"; done
ABUSER=lybmabuse
accounts "$ABUSER"
ABUSE="runuser -u $ABUSER -- $PY $LYB_SRC/tests/integration/metrics_abuse.py"

fixture
F=$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro
SRC_F=$SRC/2020-09-03-2/gs/part-00000.avro

# the inodes of process $1's socket descriptors, one a line
socket_inodes() {
	find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
		sed 's/socket:\[\(.*\)\]/\1/' | sort -u
}

# listening TCP sockets of process $1: the inodes of its socket
# descriptors that /proc/net/tcp{,6} lists in state 0A (LISTEN)
listening() {
	local inodes
	inodes=$(socket_inodes "$1")
	[ -n "$inodes" ] || return 0
	awk 'NR > 1 && $4 == "0A" { print $10 }' /proc/net/tcp /proc/net/tcp6 |
		grep -Fxf <(echo "$inodes") || true
}

step "off by default: no listening socket"
mount_lybfs
cmp "$F" "$SRC_F" || fail "read differs"
[ -z "$(listening "$LYBFS_PID")" ] || fail "lybfs listens without metrics_listen: $(ss -ltnp | grep "pid=$LYBFS_PID,")"
ss -ltnp | grep -q "pid=$LYBFS_PID," && fail "ss shows a listening lybfs socket"
unmount_lybfs

step "metrics_listen: GET /metrics is .lyb/metrics"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT/metrics
mount_lybfs "metrics_listen=127.0.0.1:$PORT"
[ -n "$(listening "$LYBFS_PID")" ] || fail "lybfs does not listen on $PORT"
ss -ltn "sport = :$PORT" | grep -q "127.0.0.1:$PORT" || fail "not bound to 127.0.0.1:$PORT: $(ss -ltn)"
cmp "$F" "$SRC_F" || fail "read differs"
curl -sS -D "$W/h" -o "$W/http.txt" "$URL" || fail "curl $URL"
cp "$MNT/.lyb/metrics" "$W/file.txt"
head -n 1 "$W/h" | grep -q "^HTTP/1.1 200" || fail "status: $(head -n 1 "$W/h")"
grep -qi "^Content-Type: text/plain; version=0.0.4" "$W/h" || fail "content type: $(cat "$W/h")"
names() { grep -v '^#' "$1" | sed 's/[{ ].*//' | sort -u; }
[ "$(names "$W/http.txt" | wc -l)" -gt 20 ] || fail "few metrics over HTTP: $(names "$W/http.txt")"
diff <(names "$W/file.txt") <(names "$W/http.txt") || fail "the endpoint and .lyb/metrics name different metrics"
diff <(grep '^# TYPE' "$W/file.txt") <(grep '^# TYPE' "$W/http.txt") || fail "types differ"
$PY - "$W/http.txt" <<'PYEOF' || fail "prometheus_client does not parse the endpoint's text"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
served = [s.value for s in fams["lyb_served_bytes"].samples if s.name == "lyb_served_bytes_total"]
assert served and served[0] > 0, served  # the reads above count
assert "lyb_log_write_errors" in fams
print("parsed %d families" % len(fams))
PYEOF
curl -sS -I "$URL" | head -n 1 | grep -q "^HTTP/1.1 200" || fail "HEAD /metrics"
[ -z "$(curl -sS -X HEAD -m 5 "$URL" 2>/dev/null)" ] || fail "HEAD sent a body"
for p in / /metrics/ /metrics/x /metricsx /.lyb/metrics /health; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$p")
	[ "$code" = 404 ] || fail "GET $p: $code, want 404"
done
for m in POST PUT DELETE OPTIONS PATCH; do
	code=$(curl -sS -o /dev/null -D "$W/h" -w '%{http_code}' -X $m "$URL")
	[ "$code" = 405 ] || fail "$m /metrics: $code, want 405"
	grep -qi "^Allow: GET, HEAD" "$W/h" || fail "$m: no Allow header"
done
grep -qi "^Connection: close" "$W/h" || fail "connections are kept alive"

step "limits: oversized requests"
$ABUSE big "$PORT" || fail "oversized requests"

# connections the daemon holds on $PORT: its socket descriptors that
# /proc/net/tcp{,6} lists on that local port in any state but LISTEN. An
# attack starts only once the steps before it hold none, so each of its
# connections is accepted as it connects and its clock starts then.
held() {
	local inodes hex
	inodes=$(socket_inodes "$LYBFS_PID")
	[ -n "$inodes" ] || { echo 0; return; }
	hex=$(printf '%04X' "$PORT")
	awk -v p=":$hex" 'NR > 1 && $4 != "0A" && substr($2, length($2) - 4) == p { print $10 }' \
		/proc/net/tcp /proc/net/tcp6 | grep -cFxf <(echo "$inodes") || true
}
settled() { [ "$(held)" -eq 0 ]; }
settle() { wait_for settled || fail "connections still held before $1: $(held) ($(ss -tn "sport = :$PORT"))"; }

step "limits: 40 idle connections (16 at once, closed after 5 s of silence)"
settle "the idle clients"
reader() { # reads $F byte-exact until $W/stop; counts in $W/reads.*
	rm -f "$W/stop" "$W/reads.ok" "$W/reads.bad"
	while [ ! -e "$W/stop" ]; do
		if cmp -s "$F" "$SRC_F"; then echo >>"$W/reads.ok"; else echo >>"$W/reads.bad"; fi
		sleep 0.05
	done
}
check_reads() {
	[ ! -s "$W/reads.bad" ] || fail "$(wc -l <"$W/reads.bad") reads differed during the attack"
	[ "$(wc -l <"$W/reads.ok")" -gt 10 ] || fail "few reads served during the attack"
	echo "reads during the attack: $(wc -l <"$W/reads.ok"), all byte-exact"
}
reader &
READER=$!
$ABUSE idle "$PORT" 40 14 || fail "idle connections"
touch "$W/stop"
wait $READER
check_reads
wait_for curl -sS -m 2 -o /dev/null "$URL" || fail "the endpoint did not recover after idle clients"

step "limits: 16 slowloris clients are cut off at the 10 s deadline"
settle "slowloris"
reader &
READER=$!
$ABUSE slow "$PORT" 16 16 >"$W/slow.out" &
SLOW=$!
sleep 2
held2=$(held)
code=$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "$URL" 2>/dev/null || true)
[ "$code" != 200 ] || fail "a 17th client was served while 16 held the endpoint"
ls "$MNT/t.Data" >/dev/null || fail "ls on the mount during the attack"
wait $SLOW || fail "slowloris: $(cat "$W/slow.out"); held at 2 s: $held2, now: $(held) ($(ss -tn "sport = :$PORT"))"
echo "$(cat "$W/slow.out"); held at 2 s: $held2"
touch "$W/stop"
wait $READER
check_reads
wait_for curl -sS -m 2 -o /dev/null "$URL" || fail "the endpoint did not recover after slowloris"

step "limits: a flood of 300 connections holds no more descriptors or threads"
sockets() { find "/proc/$LYBFS_PID/fd" -lname 'socket:*' | wc -l; }
fds0=$(ls "/proc/$LYBFS_PID/fd" | wc -l)
sockets0=$(sockets)
threads0=$(awk '/^Threads:/ { print $2 }' "/proc/$LYBFS_PID/status")
$ABUSE flood "$PORT" 300 4 &
FLOOD=$!
sleep 2
fds=$(ls "/proc/$LYBFS_PID/fd" | wc -l)
threads=$(awk '/^Threads:/ { print $2 }' "/proc/$LYBFS_PID/status")
cmp "$F" "$SRC_F" || fail "read differs during the flood"
wait $FLOOD
echo "descriptors $fds0 -> $fds, threads $threads0 -> $threads"
[ "$fds" -le $((fds0 + 16 + 2)) ] || fail "the flood took $((fds - fds0)) descriptors (limit 16)"
[ "$threads" -le "$threads0" ] || fail "the flood started threads: $threads0 -> $threads"
wait_for curl -sS -m 2 -o /dev/null "$URL" || fail "the endpoint did not recover after the flood"
sockets_back() { [ "$(sockets)" -le "$sockets0" ]; }
wait_for sockets_back || fail "connections stay held after the flood: $(ls -l "/proc/$LYBFS_PID/fd")"
cat "$MNT/.lyb/health" | grep -qx ok || fail "health: $(cat "$MNT/.lyb/health")"
unmount_lybfs

step "IPv6 loopback: [::1]:PORT"
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	PORT=$(free_port)
	mount_lybfs "metrics_listen=[::1]:$PORT"
	curl -sS -g -o /dev/null "http://[::1]:$PORT/metrics" || fail "GET over [::1]"
	curl -sS -m 2 -o /dev/null "http://127.0.0.1:$PORT/metrics" 2>/dev/null &&
		fail "[::1] also answers on 127.0.0.1"
	unmount_lybfs
else
	echo "no ::1 on this machine: not tried"
fi

step "refused at start: a taken address (exit 1), a host name (exit 2)"
mkfifo "$W/held"
$PY -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1]); time.sleep(30)' "$W/held" &
HOLDER=$!
read -r PORT <"$W/held"
rc=0
"$LYBFS_BIN" -f -o "catalog=$CAT,audit=$AUDIT,metrics_listen=127.0.0.1:$PORT" "$MNT" 2>"$W/err" || rc=$?
kill $HOLDER
mountpoint -q "$MNT" && fail "mounted with a taken address"
[ "$rc" = 1 ] || fail "a taken address: exit $rc, want 1"
grep -q "metrics_listen=127.0.0.1:$PORT: Address already in use" "$W/err" || fail "said: $(cat "$W/err")"
rc=0
"$LYBFS_BIN" -f -o "catalog=$CAT,audit=$AUDIT,metrics_listen=localhost:9100" "$MNT" 2>"$W/err" || rc=$?
[ "$rc" = 2 ] || fail "a host name: exit $rc, want 2"
grep -q "metrics_listen: expected a numeric ADDR:PORT" "$W/err" || fail "said: $(cat "$W/err")"
echo "PASS"
