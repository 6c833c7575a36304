#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# log=FILE: the daemon's lines go to a file of its own, each with its UTC
# time to the millisecond, pid and level (created 0640); errors also on
# stderr while it is the terminal. Rotation: mv the file and kill -HUP,
# the next lines go to a new file and none to the old one; then the same
# with real logrotate and the configuration docs/operations.md gives. A
# daemonized lybfs (no -f, no syslog needed) logs what happens after it
# detached (a catalog that goes away and comes back) to the file. On a
# full disk (a 64k tmpfs) the lines go to stderr instead, counted in
# lyb_log_write_errors_total, reads go on, and once there is room the
# file takes lines again on a line of their own. A symbolic link or a
# FIFO at the path, or a relative path, stops the start with the reason
# and exit status 1 (2 for the bad value), leaving what is there alone.
. "$(dirname "$0")/lib.sh"
for c in logrotate mount umount; do command -v $c >/dev/null || skip "$c is not installed (scripts/deps.sh)"; done
FULL=$W/full
trap 'rc=$?; set +e; unmount_lybfs; umount "$FULL" 2>/dev/null; cleanup "$rc"' EXIT

fixture
F=$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro
SRC_F=$SRC/2020-09-03-2/gs/part-00000.avro
LOG=$W/log/lybfs.log
mkdir -m 0755 "$W/log"
STAMP='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z lybfs\[[0-9]+\]: (error|warning|info|debug): '

# every line of $1 is stamped, and its time within a minute of now
stamped() {
	local now bad
	bad=$(grep -Evc "$STAMP" "$1" || true)
	[ "$bad" = 0 ] || fail "$1: $bad line(s) without a stamp: $(grep -Ev "$STAMP" "$1" | head -n 3)"
	now=$(date -u +%s)
	while read -r t _; do
		t=$(date -u -d "${t%Z}" +%s)
		[ $((now - t)) -lt 60 ] && [ $((t - now)) -lt 60 ] || fail "$1: time $t is not now ($now)"
	done <"$1"
}
hup_and_wait() { # hup_and_wait FILE PID: SIGHUP, then FILE says reopened
	kill -HUP "$2"
	wait_for grep -q "log file $LOG reopened" "$1" || fail "no reopen after SIGHUP: $(cat "$1" 2>&1)"
}

step "log=FILE: stamped lines, 0640, errors also on stderr"
mount_lybfs "log=$LOG"
cmp "$F" "$SRC_F" || fail "read differs"
wait_for grep -q "info: mounted $CAT on $MNT" "$LOG" || fail "no 'mounted' line: $(cat "$LOG")"
[ "$(stat -c %a "$LOG")" = 640 ] || fail "mode $(stat -c %a "$LOG")"
stamped "$LOG"
grep -q "lybfs\[$LYBFS_PID\]: info: mounted" "$LOG" || fail "the pid is not the daemon's"
grep -q "mounted" "$W/lybfs.log" && fail "info lines also went to stderr"
cat "$LOG"

step "rotation: mv + kill -HUP, the new file gets the new lines"
mv "$LOG" "$LOG.1"
hup_and_wait "$LOG" "$LYBFS_PID"
grep -q "audit log $AUDIT reopened" "$LOG" || fail "the audit log was not reopened too: $(cat "$LOG")"
size1=$(stat -c %s "$LOG.1")
cmp "$F" "$SRC_F" || fail "read differs after the rotation"
kill -HUP "$LYBFS_PID"
reopens() { [ "$(grep -c "log file $LOG reopened" "$LOG")" = "$1" ]; }
wait_for reopens 2 || fail "the second SIGHUP: $(cat "$LOG")"
[ "$(stat -c %s "$LOG.1")" = "$size1" ] || fail "the old file still gets lines"
grep -q reopened "$LOG.1" && fail "the old file got the reopen line"
stamped "$LOG"

step "rotation with logrotate (the configuration of docs/operations.md)"
# the documented one but for the path and whom to signal
cat >"$W/logrotate.conf" <<EOF
$LOG {
	weekly
	rotate 8
	compress
	delaycompress
	missingok
	notifempty
	create 0640 root adm
	postrotate
		kill -HUP $LYBFS_PID
	endscript
}
EOF
logrotate -f -s "$W/logrotate.state" "$W/logrotate.conf" || fail "logrotate"
[ -f "$LOG.1" ] && [ -f "$LOG.2.gz" ] || fail "logrotate did not rotate: $(ls "$W/log")"
wait_for grep -q "log file $LOG reopened" "$LOG" || fail "no reopen after logrotate: $(ls -l "$W/log")"
[ "$(stat -c '%a %U %G' "$LOG")" = "640 root adm" ] || fail "after logrotate: $(stat -c '%a %U %G' "$LOG")"
grep -q "log file $LOG reopened" "$LOG.1" || fail "the rotated file lost its lines"
zgrep -q "info: mounted" "$LOG.2.gz" || fail "the compressed file lost its lines"
stamped "$LOG"
unmount_lybfs
grep -q "info: unmounting $MNT" "$LOG" || fail "no 'unmounting' line in the new file"

step "daemonized (no -f): what happens after detaching is in the file"
rm -f "$W/log/"*
"$LYBFS_BIN" -o "catalog=$CAT,refresh=0.5,allow_other,audit=$AUDIT,admin=user:root@thecompany.com,log=$LOG" \
	"$MNT" 2>>"$W/lybfs.log" || fail "lybfs did not start"
wait_for mountpoint -q "$MNT" || fail "not mounted"
DPID=$(pgrep -f -- "-o catalog=$CAT,")
[ -n "$DPID" ] || fail "no daemon"
cmp "$F" "$SRC_F" || fail "read differs (daemonized)"
mv "$W/catalog" "$W/catalog.away"
for _ in 1 2; do wait_for grep -q "warning: catalog unreachable" "$LOG" && break; done # format 2: the marker is looked at every 30 idle refreshes
grep -q "warning: catalog unreachable" "$LOG" || fail "no 'unreachable' line: $(cat "$LOG")"
mv "$W/catalog.away" "$W/catalog"
wait_for grep -q "info: catalog reachable again" "$LOG" || fail "no 'reachable again' line: $(cat "$LOG")"
mv "$LOG" "$LOG.1"
hup_and_wait "$LOG" "$DPID"
stamped "$LOG"
stamped "$LOG.1"
fusermount3 -u "$MNT"
for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
grep -q "info: unmounting $MNT" "$LOG" || fail "no 'unmounting' line: $(cat "$LOG")"

step "a full disk: lines go to stderr, counted; then to the file again"
mkdir -p "$FULL"
mount -t tmpfs -o size=64k,mode=0755 lybfull "$FULL"
LOG=$FULL/lybfs.log
: >"$W/lybfs.log"
mount_lybfs "log=$LOG"
wait_for grep -q "mounted" "$LOG" || fail "no 'mounted' line"
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null || true # until full
# the file's last page still has room: lines until it has none
for _ in $(seq 100); do
	grep -q "No space left on device" "$W/lybfs.log" && break
	kill -HUP "$LYBFS_PID"
	sleep 0.2
done
hup_and_wait "$W/lybfs.log" "$LYBFS_PID" # this one to stderr
grep -q "error: log file $LOG: No space left on device: its lines go here until it takes them again" "$W/lybfs.log" ||
	fail "stderr does not say the file is full: $(cat "$W/lybfs.log")"
cmp "$F" "$SRC_F" || fail "read differs with the log's disk full"
n=$(sed -n 's/^lyb_log_write_errors_total //p' "$MNT/.lyb/metrics")
[ "${n:-0}" -ge 1 ] || fail "lyb_log_write_errors_total is '$n'"
echo "lyb_log_write_errors_total $n"
rm "$FULL/filler"
kill -HUP "$LYBFS_PID"
wait_for grep -q "takes lines again" "$W/lybfs.log" || fail "no 'takes lines again' on stderr: $(cat "$W/lybfs.log")"
grep -q "log file $LOG reopened" "$LOG" || fail "the file did not take lines again: $(cat "$LOG")"
# a line cut short by the full disk stays as it is; the next starts anew
grep -E "$STAMP" "$LOG" | tail -n 1 | grep -q "reopened" || fail "the last line is not whole"
[ "$(grep -Evc "$STAMP" "$LOG" || true)" -le 1 ] || fail "more than the one torn line: $(cat "$LOG")"
grep -Ev "$STAMP" "$LOG" | grep -E "${STAMP#^}" && fail "a line glued to the torn one: $(tail -n 4 "$LOG" | cat -A)"
unmount_lybfs
umount "$FULL"

step "refused at start: a symbolic link, a FIFO (exit 1), a relative path (exit 2)"
LOG=$W/log/lybfs.log
refused() { # refused PATH WANT_RC TEXT
	local rc=0
	"$LYBFS_BIN" -f -o "catalog=$CAT,audit=$AUDIT,log=$1" "$MNT" 2>"$W/err" || rc=$?
	mountpoint -q "$MNT" && fail "mounted with log=$1"
	[ "$rc" = "$2" ] || fail "log=$1: exit $rc, want $2 ($(cat "$W/err"))"
	grep -qF -- "$3" "$W/err" || fail "log=$1 said: $(cat "$W/err")"
	echo "refused: $(head -n 1 "$W/err")"
}
printf 'precious\n' >"$W/target"
ln -s "$W/target" "$W/log/link.log"
refused "$W/log/link.log" 1 "lybfs: error: log file $W/log/link.log: is a symbolic link: refusing to follow it (remove it)"
[ "$(cat "$W/target")" = precious ] || fail "the link's target was written"
ln -s "$W/nothing" "$W/log/dangling.log"
refused "$W/log/dangling.log" 1 "is a symbolic link"
[ ! -e "$W/nothing" ] || fail "a dangling link's target was created"
mkfifo "$W/log/fifo.log"
refused "$W/log/fifo.log" 1 "log file $W/log/fifo.log: not a regular file: refusing it"
refused "lybfs.log" 2 "log: expected stderr or syslog, or the absolute path of a file, got 'lybfs.log'"
echo "PASS"
