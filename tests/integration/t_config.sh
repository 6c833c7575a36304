#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The configuration file, read by the real lybfs and lyb: its keys set
# what the -o options set, -o options override it, $LYB_CONFIG and
# -o config= choose it, errors name FILE:LINE and the key and stop the
# daemon before it mounts; log=syslog sends the daemon's lines to
# /dev/log with their levels.
. "$(dirname "$0")/lib.sh"
fixture
C=$W/t_config.conf # not lib.sh's $LYB_CONFIG

# start_lybfs ARGS...: lybfs -f ARGS MNT in the background, waits for it.
start_lybfs() {
	"$LYBFS_BIN" -f "$@" "$MNT" 2>>"$W/lybfs.log" &
	LYBFS_PID=$!
	wait_for mountpoint -q "$MNT" || fail "lybfs $* did not mount: $(cat "$W/lybfs.log")"
}
# refuses ARGS...: lybfs exits 2 without mounting; its stderr is in $out.
refuses() {
	local rc=0
	out=$(timeout 10 "$LYBFS_BIN" -f "$@" "$MNT" 2>&1) || rc=$?
	[ $rc -eq 2 ] || fail "lybfs $* exited $rc, want 2: $out"
	mountpoint -q "$MNT" && fail "lybfs $* mounted anyway"
	return 0
}
expect_out() { case $out in *"$1"*) ;; *) fail "expected '$1' in: $out" ;; esac; }

step "the file's catalog, refresh and ttl, with -o config="
cat >"$C" <<CONF
# test configuration
catalog = $W/catalog
refresh = 0.3
ttl = 0
log_level = err
audit = $W/audit-config.log
CONF
start_lybfs -o "config=$C"
[ "$(ls "$MNT")" = t.Data ] || fail "catalog from the file: $(ls "$MNT")"
# refresh=0.3 from the file: a new DataSet shows within a second
lyb dataset create t.Fresh --owner group:t >/dev/null
sleep 1
[ -d "$MNT/t.Fresh" ] || fail "refresh from the file not applied"
grep -q "info: mounted" "$W/lybfs.log" && fail "log_level=err from the file not applied"
grep " $MNT " /proc/self/mounts | grep -q allow_other && fail "allow_other without being asked"
unmount_lybfs
echo "allow_other = yes" >>"$C"
start_lybfs -o "config=$C"
grep " $MNT " /proc/self/mounts | grep -q allow_other || fail "allow_other = yes not applied"
unmount_lybfs
start_lybfs -o "config=$C,allow_other=no"
grep " $MNT " /proc/self/mounts | grep -q allow_other && fail "-o allow_other=no did not override the file"
unmount_lybfs
sed -i '/^allow_other/d' "$C"

step "-o options override the file; \$LYB_CONFIG names it"
sed -i "s#^catalog = .*#catalog = /nonexistent/catalog#" "$C"
: >"$W/lybfs.log"
LYB_CONFIG=$C start_lybfs -o "catalog=$CAT,log_level=info"
[ -d "$MNT/t.Data" ] || fail "-o catalog did not override the file"
grep -q "info: mounted $CAT on $MNT" "$W/lybfs.log" || fail "-o log_level did not override: $(cat "$W/lybfs.log")"
unmount_lybfs
# $LYB_CATALOG beats the file, -o beats $LYB_CATALOG
LYB_CATALOG=$CAT LYB_CONFIG=$C start_lybfs
[ -d "$MNT/t.Data" ] || fail "\$LYB_CATALOG did not override the file"
unmount_lybfs

step "stderr that is the journal (\$JOURNAL_STREAM) gets <level> prefixes"
: >"$W/lybfs.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$W/lybfs.log") start_lybfs -o "catalog=$CAT"
grep -q "^<6>lybfs: info: mounted $CAT" "$W/lybfs.log" || fail "no <6> prefix: $(cat "$W/lybfs.log")"
unmount_lybfs
grep -q "^lybfs: info: mounted" "$W/lybfs.log" && fail "a line without the prefix"

step "errors name FILE:LINE and the key, and nothing is mounted"
printf 'catalog = %s\nrefersh = 1\n' "$CAT" >"$C"
refuses -o "config=$C"
expect_out "lybfs: error: $C:2: unknown key 'refersh'"
printf 'ttl = 5s\n' >"$C"
refuses -o "config=$C"
expect_out "$C:1: ttl: expected seconds from 0 to 86400, got '5s'"
printf 'catalog = %s\nlog = journal\n' "$CAT" >"$C"
LYB_CONFIG=$C refuses
expect_out "$C:2: log: expected stderr or syslog"
printf 'ttl = 1\nttl = 2\n' >"$C"
refuses -o "config=$C"
expect_out "$C:2: ttl: given twice (first on line 1)"
refuses -o "config=$W/missing.conf"
expect_out "$W/missing.conf: No such file or directory"
LYB_CONFIG=$W/missing.conf refuses -o "catalog=$CAT"
expect_out "$W/missing.conf: No such file or directory"
refuses -o "catalog=$CAT,ttl=-1"
expect_out "-o ttl=-1: ttl: expected seconds"
refuses -o "catalog=$CAT,log_level=loud"
expect_out "-o log_level=loud: log_level: expected err, warn, info or debug"

step "lyb reads the same file, as strictly"
printf '# shared\ncatalog = %s\nrefresh = 1\nallow_other = yes\n' "$W/catalog" >"$C"
[ "$(LYB_CONFIG=$C "$LYB_BIN" ls | sort | tr '\n' ' ')" = "t.Data t.Fresh " ] || fail "lyb ls with the file's catalog"
printf 'catalog = %s\nbogus = 1\n' "$CAT" >"$C"
out=$(LYB_CONFIG=$C "$LYB_BIN" ls 2>&1) && fail "lyb accepted an unknown key"
[ "$out" = "lyb: $C:2: unknown key 'bogus'" ] || fail "lyb's error: $out"
# --catalog does not need the file, broken or not
LYB_CONFIG=$C "$LYB_BIN" --catalog "$CAT" ls >/dev/null || fail "--catalog with a broken file"

step "log=syslog: lines reach /dev/log with their priority"
if [ -e /dev/log ]; then
	echo "SKIP (step): /dev/log exists, a real syslog owns it"
	echo "PASS"
	exit 0
fi
$PY - "$W/syslog.out" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".bound", "w").close()
s.settimeout(30)
with open(sys.argv[1], "w") as f:
    try:
        while True:
            f.write(s.recv(4096).decode(errors="replace").rstrip("\n") + "\n")
            f.flush()
    except socket.timeout:
        pass
PYEOF
SYSLOG_PID=$!
trap 'rc=$?; kill $SYSLOG_PID 2>/dev/null; rm -f /dev/log; set +e; cleanup "$rc"' EXIT
wait_for test -e "$W/syslog.out.bound" || fail "no /dev/log listener"
: >"$W/lybfs.log"
start_lybfs -o "catalog=$CAT,log=syslog"
# facility daemon (3 << 3) + info (6) = 30
wait_for grep -q "^<30>.*lybfs\[$LYBFS_PID\]: mounted $CAT on $MNT" "$W/syslog.out" ||
	fail "no 'mounted' in syslog: $(cat "$W/syslog.out")"
grep -q mounted "$W/lybfs.log" && fail "log=syslog still wrote to stderr"
unmount_lybfs
wait_for grep -q "^<30>.*lybfs\[[0-9]*\]: unmounting $MNT" "$W/syslog.out" || fail "no 'unmounting' in syslog"

step "unset log: a daemonized lybfs logs to syslog, startup errors to stderr"
out=$("$LYBFS_BIN" -o "catalog=$W/nothing-here" "$MNT" 2>&1) && fail "mounted a missing catalog"
expect_out "lybfs: error: catalog file://$W/nothing-here"
"$LYBFS_BIN" -o "catalog=$CAT,refresh=0.2" "$MNT" 2>"$W/daemon.err" || fail "daemonized mount failed"
mountpoint -q "$MNT" || fail "daemonized lybfs did not mount"
ls "$MNT/t.Data" >/dev/null
wait_for grep -q "lybfs\[[0-9]*\]: mounted $CAT on $MNT" "$W/syslog.out" || fail "daemon did not log to syslog"
# a warning has priority daemon + warning (4) = 28
mv "$W/catalog" "$W/catalog.away"
wait_for grep -q "^<28>.*lybfs\[[0-9]*\]: catalog unreachable" "$W/syslog.out" ||
	fail "no warning (priority 28) in syslog: $(cat "$W/syslog.out")"
mv "$W/catalog.away" "$W/catalog"
[ ! -s "$W/daemon.err" ] || fail "daemon wrote to stderr: $(cat "$W/daemon.err")"
unmount_lybfs
echo "PASS"
