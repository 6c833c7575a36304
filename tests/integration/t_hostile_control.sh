#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The control socket against a hostile local account (lybcmal, a real
# second Unix user): lines with a NUL, every C0 control, DEL, C1, invalid
# UTF-8 of each kind, over-long lines, a line without a newline; a
# slowloris (a byte every 2 s) and 40 idle clients at once. Asserts the
# daemon stays up and mounted and serves byte-exact, every bad request got
# an `error` reply (or was dropped at its 5 s deadline with one) and is
# audited, and an owner's grant (lybcown) completes within 3 s while the
# slow clients hang on. A second lybfs given the same control= refuses to
# start and leaves the first one's socket working; a daemon never unlinks
# a socket that is not the one it bound.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
for c in jq; do
	command -v $c >/dev/null || skip "$c is not installed"
done

MNT2=$W/mnt2
PID2=
stop_second() {
	if [ -n "$PID2" ]; then
		fusermount3 -u -z "$MNT2" 2>/dev/null || true
		kill -9 "$PID2" 2>/dev/null || true
		wait "$PID2" 2>/dev/null || true
		PID2=
	fi
}
trap 'rc=$?; set +e; stop_second; cleanup "$rc"' EXIT
accounts lybcmal lybcowners:lybcown lybcreq

HC=$LYB_SRC/tests/integration/hostile_control.py
CTL=$W/control.sock
echo "control = $CTL" >>"$LYB_CONFIG"
mkdir -p "$W/src/gs"
make_avro "$W/src/gs/part-00000.avro" --rows 300 --seed hc
lyb dataset create t.Hc --owner group:lybcowners --description "hostile control" >/dev/null
V=$(lyb publish t.Hc 2020-09-03 --gs "file://$W/src/gs")
chmod -R go+rX "$W"
mount_lybfs "control=$CTL"
GS=$MNT/t.Hc/2020-09-03/$V/gs/part-00000.avro

as() { local u=$1; shift; runuser -u "$u" -- "$@"; }
ulyb() { local u=$1; shift; runuser -u "$u" -- "$LYB_BIN" --catalog "$CAT" "$@"; }
alive() { # alive WHEN: the daemon runs, is mounted and serves byte-exact
	kill -0 "$LYBFS_PID" 2>/dev/null || fail "lybfs died $1"
	mountpoint -q "$MNT" || fail "the mount is gone $1"
	cmp -s "$GS" "$W/src/gs/part-00000.avro" || fail "wrong bytes $1"
}
alive "at the start"
ino0=$(stat -c %i "$CTL")

step "bad request lines, each on its own connection, as lybcmal"
as lybcmal $PY "$HC" bad "$CTL" t.Hc >"$W/bad.out" 2>&1 || {
	cat "$W/bad.out"
	alive "after the bad lines"
	fail "a bad line got no error reply"
}
nbad=$(awk '/^bad-lines/ { print $2 }' "$W/bad.out")
grep -E "^(bad-lines|nul-bare|c1-csi|utf8-ff-fe|long-100k) " "$W/bad.out"
[ "${nbad:-0}" -ge 40 ] || fail "only ${nbad:-0} bad lines tried: $(tail -n 3 "$W/bad.out")"
grep -q "^nul-bare .*refused.*byte 2 is a NUL" "$W/bad.out" || fail "NUL: $(grep nul-bare "$W/bad.out")"
grep -q "^c0-1b .*control character 0x1b" "$W/bad.out" || fail "ESC: $(grep c0-1b "$W/bad.out")"
grep -q "^c1-csi .*control character 0x9b" "$W/bad.out" || fail "C1: $(grep c1-csi "$W/bad.out")"
grep -q "^utf8-ff-fe .*not valid UTF-8" "$W/bad.out" || fail "UTF-8: $(grep utf8-ff-fe "$W/bad.out")"
grep -q "^long-100k .*longer than 8191 bytes" "$W/bad.out" || fail "long: $(grep long-100k "$W/bad.out")"
grep -q "^no-newline-eof .*no newline" "$W/bad.out" || fail "EOF: $(grep no-newline "$W/bad.out")"
# every one refused at once, not at the deadline
awk '$3 == "refused" && $2 + 0 > 2 { bad = 1 } END { exit bad }' "$W/bad.out" ||
	fail "a bad line was not refused at once: $(awk '$2 + 0 > 2' "$W/bad.out")"
alive "after $nbad bad lines"
n=$(jq -s '[.[] | select(.op == "control" and .decision == "deny" and .principal == "user:lybcmal@thecompany.com")] | length' "$AUDIT")
[ "$n" -ge "$nbad" ] || fail "$n of $nbad bad requests audited"
jq -e . "$AUDIT" >/dev/null || fail "the audit log is not JSON lines"
[ -z "$(ulyb lybcmal access list t.Hc | grep -E 'since|request ')" ] || fail "a bad line filed a request"

step "a made-up verb or name is audited as op control, never as an open"
as lybcmal $PY "$HC" send "$CTL" "$(printf 'open\tt.Hc\tt.Hc/2020-09-03/%s/gs/part-00000.avro\n' "$V" | od -An -tx1 | tr -d ' \n')" >/dev/null
as lybcmal $PY "$HC" send "$CTL" "$(printf 'request\tno/such..name\tx\n' | od -An -tx1 | tr -d ' \n')" >/dev/null
jq -e -s '[.[] | select(.principal == "user:lybcmal@thecompany.com")] | .[-2:]
	| length == 2 and all(.[]; .op == "control" or .op == "request") and all(.[]; .dataset == null)
	and (map(.op) | index("open") == null)' "$AUDIT" >/dev/null ||
	fail "a client's verb or name went into the audit line: $(tail -n 2 "$AUDIT")"

step "a slowloris and 40 idle clients; an owner's grant still completes"
as lybcmal $PY "$HC" slow "$CTL" 4 2 >"$W/slow.out" 2>&1 &
slow=$!
sleep 0.5
as lybcmal $PY "$HC" idle "$CTL" 40 9 >"$W/idle.out" 2>&1 &
idle=$!
sleep 1
t0=$(date +%s.%N)
ulyb lybcreq access request t.Hc --reason "needs it" >/dev/null || fail "lybcreq's request under load"
ulyb lybcown access grant t.Hc user:lybcreq@thecompany.com >"$W/grant.out" 2>&1 ||
	fail "the owner's grant failed under load: $(cat "$W/grant.out")"
t1=$(date +%s.%N)
echo "request and grant under load: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 3) }' ||
	fail "the request and grant took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s under load"
kill -0 $slow 2>/dev/null || fail "the slow clients were gone before the grant: $(cat "$W/slow.out")"
wait $slow || fail "a slow client was not dropped with an error: $(cat "$W/slow.out")"
wait $idle || fail "an idle client got no error: $(cat "$W/idle.out")"
cat "$W/slow.out" "$W/idle.out" | grep -E "^(slow|idle) "
# the slow clients: dropped at the 5 s deadline, not later, not earlier
awk '/^slow [0-9]/ { exit !($6 >= 4.5 && $6 < 7) }' "$W/slow.out" ||
	fail "slow clients not dropped at the deadline: $(cat "$W/slow.out")"
grep -q "^slow-0 .*not complete within 5 s" "$W/slow.out" || fail "slow: $(head -n 1 "$W/slow.out")"
# 8 per uid: 4 slow + 4 idle held, the 36 others refused at once
grep -q "^idle 40 refused 36 dropped 4 other 0" "$W/idle.out" || fail "idle: $(cat "$W/idle.out")"
wait_for sh -c "runuser -u lybcreq -- cat '$GS' | cmp -s - '$W/src/gs/part-00000.avro'" ||
	fail "lybcreq cannot read after the grant"
alive "after the slow and idle clients"

step "a second lybfs with the same control= refuses to start"
mkdir -p "$MNT2"
"$LYBFS_BIN" -f -o "catalog=$CAT,audit=$W/audit2.log,admin=user:root@thecompany.com,control=$CTL" \
	"$MNT2" 2>"$W/second.log" &
PID2=$!
for _ in $(seq 100); do kill -0 $PID2 2>/dev/null || break; sleep 0.1; done
if kill -0 $PID2 2>/dev/null; then
	stop_second
	fail "a second lybfs with the same control= is running: $(cat "$W/second.log")"
fi
wait $PID2 && fail "the second lybfs exited 0"
PID2=
grep -q "control=$CTL: in use by another lybfs (pid $LYBFS_PID)" "$W/second.log" ||
	fail "the second lybfs said: $(cat "$W/second.log")"
mountpoint -q "$MNT2" && fail "the second lybfs mounted"
[ -S "$CTL" ] && [ "$(stat -c %i "$CTL")" = "$ino0" ] || fail "the first daemon's socket was replaced"
ulyb lybcown access revoke t.Hc user:lybcreq@thecompany.com >/dev/null ||
	fail "the first daemon's socket does not work after the second exited"
alive "after the second daemon"

step "a daemon never unlinks a socket that is not the one it bound"
mv "$CTL" "$CTL.moved"
$PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$CTL"
ino1=$(stat -c %i "$CTL")
unmount_lybfs
[ -S "$CTL" ] && [ "$(stat -c %i "$CTL")" = "$ino1" ] || fail "the daemon unlinked a socket it did not bind"
grep -q "control socket $CTL was removed or replaced: left alone" "$W/lybfs.log" || fail "no warning about the replaced socket"
step "a stale socket nobody serves is replaced at the next start"
mount_lybfs "control=$CTL"
ulyb lybcreq access request t.Hc --reason "again" >/dev/null || fail "request after a restart over a stale socket"
echo "PASS"
