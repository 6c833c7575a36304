#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Local accounts attacking the shared daemon's limits, as real Unix users:
# lyblhog (a reader) tries 20,000 opens of one file and gets EMFILE past
# max_open_per_uid (200 here) while lyblread (a reader) still opens and
# reads byte-exact, lyblflood (not a reader) is still "not a reader" and
# nothing else, and the health stays ok. lyblflood then floods 20,000
# denied opens: the audit log stays bounded by the per-uid rate, every
# open is either a line or counted in a "dropped" summary, and lyblread's
# lines are still written. On a full disk (a 64k tmpfs) the audit log has
# no torn or glued line and `lyb audit` shows every whole record; every
# allowed open is in it. An audit path another account prepared (its own
# file, or a symbolic link) makes lybfs refuse to start and leaves it as
# it was. With every handle of the mount taken (a daemon limited to 600
# descriptors), opens get ENFILE and the catalog refresh still works.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
for c in jq mount umount; do
	command -v $c >/dev/null || skip "$c is not installed"
done

FULL=$W/full
trap 'rc=$?; set +e; touch "$W/tmp/hog.done" "$W/tmp/hog2.done" 2>/dev/null; unmount_lybfs; umount "$FULL" 2>/dev/null; cleanup "$rc"' EXIT
accounts lyblhog lyblread lyblflood
uid_of() { id -u "$1"; }

fixture
chmod 755 "$W"
mkdir -m 1777 "$W/tmp" # the users' own files
lyb dataset create t.Lim --owner group:data-team --description "limits test" \
	--reader user:lyblhog@thecompany.com --reader user:lyblread@thecompany.com >/dev/null
VL=$(lyb publish t.Lim 2020-09-03 --gs "file://$SRC/2020-09-03-2/gs" \
	--snow "snow://db/lim=file://$SRC/2020-09-03-2/snow")
F=$MNT/t.Lim/2020-09-03/$VL/gs/part-00000.avro
SRC_F=$SRC/2020-09-03-2/gs/part-00000.avro

as() { local u=$1; shift; runuser -u "$u" -- "$@"; }
lines_of() { # lines_of UID [DECISION]: audit lines of that uid
	jq -c --argjson u "$1" --arg d "${2:-}" \
		'select(.uid == $u and .op != "dropped" and ($d == "" or .decision == $d))' \
		"$AUDIT" | wc -l
}

# hog.py PATH N OUT: opens PATH up to N times, writes "OK ERRNO=COUNT..." to
# OUT, then holds them until OUT.done exists.
cat >"$W/hog.py" <<'PYEOF'
import errno, os, resource, sys, time
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)) # as many as it may
fds, errs = [], {}
f = open(out + ".tmp", "w") # before the opens take every descriptor
for i in range(n):
    try:
        fds.append(os.open(path, os.O_RDONLY))
    except OSError as e:
        errs[e.errno] = errs.get(e.errno, 0) + 1
with f:
    f.write("%d %s\n" % (len(fds), " ".join(
        "%s=%d" % (errno.errorcode[k], v) for k, v in sorted(errs.items()))))
os.rename(out + ".tmp", out)
while not os.path.exists(out + ".done"):
    time.sleep(0.1)
PYEOF
# flood.py PATH N: N opens of PATH; prints how many were EACCES.
cat >"$W/flood.py" <<'PYEOF'
import errno, os, sys
path, n, denied, other = sys.argv[1], int(sys.argv[2]), 0, 0
for i in range(n):
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as e:
        if e.errno == errno.EACCES:
            denied += 1
        else:
            other += 1
print(denied, other)
PYEOF

mount_lybfs "max_open_per_uid=200"

step "lyblhog holds opens: EMFILE past max_open_per_uid, only for lyblhog"
as lyblhog $PY "$W/hog.py" "$F" 20000 "$W/tmp/hog" &
HOG=$!
wait_for test -e "$W/tmp/hog" || wait_for test -e "$W/tmp/hog" ||
	fail "the hog did not finish its opens"
read -r held errs <"$W/tmp/hog"
[ "$held" = 200 ] || fail "lyblhog holds $held opens, expected 200 ($errs)"
[ "$errs" = "EMFILE=19800" ] || fail "lyblhog's refused opens: $errs"
as lyblhog cat "$F" 2>"$W/err" >/dev/null && fail "lyblhog opened past the cap"
grep -q "Too many open files" "$W/err" || fail "lyblhog got: $(cat "$W/err")"
for i in 1 2 3; do
	as lyblread cat "$F" | cmp - "$SRC_F" || fail "lyblread: bytes differ"
done
[ "$(cat "$MNT/.lyb/health")" = ok ] || fail "health: $(cat "$MNT/.lyb/health")"
as lyblflood cat "$F" 2>"$W/err" >/dev/null && fail "lyblflood read t.Lim"
grep -q "Permission denied" "$W/err" || fail "lyblflood got: $(cat "$W/err")"
jq -e -s --argjson u "$(uid_of lyblflood)" \
	'[.[] | select(.uid == $u)] | length > 0 and all(.reason == "not a reader")' \
	"$AUDIT" >/dev/null || fail "lyblflood's denial is not 'not a reader'"
jq -e -s --argjson u "$(uid_of lyblread)" \
	'[.[] | select(.uid == $u)] | length == 3 and all(.decision == "allow" and (.reason | startswith("reader")))' \
	"$AUDIT" >/dev/null || fail "lyblread's opens are not 3 allowed reader lines"
jq -e -s --argjson u "$(uid_of lyblhog)" \
	'any(.[]; .uid == $u and .decision == "deny" and (.reason | startswith("too many open files")))' \
	"$AUDIT" >/dev/null || fail "lyblhog's refusals are not audited as such"
grep -qE '^lyb_open_refused_total\{limit="per_uid"\} [1-9]' "$MNT/.lyb/metrics" ||
	fail "refusals not counted: $(grep refused "$MNT/.lyb/metrics")"
touch "$W/tmp/hog.done"
wait "$HOG" || fail "the hog failed"
wait_for as lyblhog cat "$F" || fail "lyblhog cannot open again after closing"
as lyblhog cat "$F" | cmp - "$SRC_F" || fail "lyblhog: bytes differ"

step "lyblflood floods 20,000 denied opens: the audit log stays bounded"
FLOOD_UID=$(uid_of lyblflood)
before_read=$(lines_of "$(uid_of lyblread)" allow)
t0=$(date +%s.%N)
as lyblflood $PY "$W/flood.py" "$F" 20000 >"$W/flood.out" &
FLOOD=$!
for i in 1 2 3 4 5; do
	as lyblread cat "$F" | cmp - "$SRC_F" || fail "lyblread during the flood: bytes differ"
done
wait "$FLOOD" || fail "the flood failed"
t1=$(date +%s.%N)
[ "$(cat "$W/flood.out")" = "20000 0" ] || fail "flood: $(cat "$W/flood.out") (denied, other)"
# the summary is due a second after the first drop: the refresh writes it
sleep 2
as lyblread cat "$F" >/dev/null
written=$(lines_of "$FLOOD_UID")
dropped=$(jq -s --argjson u "$FLOOD_UID" '[.[] | select(.uid == $u and .op == "dropped") | .count] | add // 0' "$AUDIT")
limit=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", 1000 + 100 * (b - a + 3) }')
echo "flood: $written lines written, $dropped counted as dropped, at most $limit allowed, in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
[ "$written" -le "$limit" ] || fail "lyblflood wrote $written audit lines (limit $limit)"
[ $((written + dropped)) -eq 20001 ] ||
	fail "lyblflood: $written written + $dropped dropped != 20001 opens"
after_read=$(lines_of "$(uid_of lyblread)" allow)
[ $((after_read - before_read)) -eq 6 ] ||
	fail "lyblread's lines during the flood: $((after_read - before_read)), expected 6"
grep -qE '^lyb_audit_lines_total\{result="dropped"\} [1-9]' "$MNT/.lyb/metrics" ||
	fail "drops not in the metrics"
"$LYB_BIN" audit --file "$AUDIT" >"$W/table" 2>"$W/err" || fail "lyb audit: $(cat "$W/err")"
grep -q "dropped" "$W/table" || fail "lyb audit does not show the summary"
[ -s "$W/err" ] && fail "lyb audit: $(cat "$W/err")"
[ "$(cat "$MNT/.lyb/health")" = ok ] || fail "health after the flood: $(cat "$MNT/.lyb/health")"
unmount_lybfs

step "every handle taken: ENFILE, and the daemon's own work goes on"
# a daemon limited to 600 descriptors keeps 256 + 4 x 10 threads: 304 handles
REAL_LYBFS=$LYBFS_BIN
printf '#!/bin/sh\nulimit -n 600 || exit 1\nexec "%s" "$@"\n' "$REAL_LYBFS" >"$W/lybfs600"
chmod 755 "$W/lybfs600"
LYBFS_BIN=$W/lybfs600
mount_lybfs "max_open_per_uid=200"
LYBFS_BIN=$REAL_LYBFS
[ "$(awk '/^Max open files/ { print $4 }' /proc/"$LYBFS_PID"/limits)" = 600 ] ||
	fail "the daemon's limit is not 600: $(grep 'open files' /proc/"$LYBFS_PID"/limits)"
rm -f "$W/tmp/hog" "$W/tmp/hog.done" "$W/tmp/hog2" "$W/tmp/hog2.done"
as lyblhog $PY "$W/hog.py" "$F" 1000 "$W/tmp/hog" &
HOG=$!
wait_for test -e "$W/tmp/hog" || fail "the first hog did not finish"
as lyblread $PY "$W/hog.py" "$F" 1000 "$W/tmp/hog2" &
HOG2=$!
wait_for test -e "$W/tmp/hog2" || fail "the second hog did not finish"
read -r held errs <"$W/tmp/hog"
[ "$held $errs" = "200 EMFILE=800" ] || fail "first hog: $held ($errs)"
read -r held errs <"$W/tmp/hog2"
[ "$held $errs" = "104 ENFILE=896" ] || fail "second hog: $held ($errs)"
# the catalog is still read: a new date shows (a lookup needs no handle)
lyb publish t.Lim 2020-09-05 --gs "file://$SRC/2020-09-01-1/gs" >/dev/null
wait_for stat "$MNT/t.Lim/2020-09-05" || fail "the catalog refresh stopped"
touch "$W/tmp/hog.done" "$W/tmp/hog2.done"
wait "$HOG" "$HOG2" || fail "a hog failed"
wait_for as lyblread cat "$F" || fail "no open after the hogs closed"
as lyblread cat "$F" | cmp - "$SRC_F" || fail "after the hogs: bytes differ"
[ "$(cat "$MNT/.lyb/health")" = ok ] || fail "health: $(cat "$MNT/.lyb/health")"
grep -qE '^lyb_open_refused_total\{limit="total"\} [1-9]' "$MNT/.lyb/metrics" ||
	fail "total refusals not counted"
unmount_lybfs

step "a full disk: no torn or glued line, every allowed open recorded"
mkdir -p "$FULL"
mount -t tmpfs -o size=64k,mode=0755 lybl-full "$FULL" || skip "cannot mount a tmpfs"
# most of the room taken by something else, so the log fills quickly
head -c $((64 * 1024 - 8192)) /dev/zero >"$FULL/filler" 2>/dev/null || true
AUDIT=$FULL/audit.log
mount_lybfs "max_open_per_uid=200"
# open.py PATH N: N opens of PATH, one byte read each; prints "ok denied"
cat >"$W/open.py" <<'PYEOF'
import errno, os, sys
path, n, ok, denied = sys.argv[1], int(sys.argv[2]), 0, 0
for i in range(n):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        if e.errno != errno.EACCES:
            raise
        denied += 1
        continue
    os.read(fd, 1)
    os.close(fd)
    ok += 1
print(ok, denied)
PYEOF
read -r ok1 denied1 < <(as lyblread $PY "$W/open.py" "$F" 200)
[ "$denied1" -gt 0 ] || fail "the disk never filled ($ok1 opens allowed)"
grep -q "audit log not writable" "$MNT/.lyb/health" ||
	fail "health does not say the audit log is failing: $(cat "$MNT/.lyb/health")"
rm -f "$FULL/filler" # room again: the next records follow
read -r ok2 denied2 < <(as lyblread $PY "$W/open.py" "$F" 20)
[ "$ok2" = 20 ] && [ "$denied2" = 0 ] || fail "with room again: $ok2 allowed, $denied2 denied"
echo "full disk: $ok1 allowed then $denied1 denied (fail closed), then $ok2 allowed"
nlines=$(wc -l <"$AUDIT")
jq -c . "$AUDIT" >/dev/null 2>"$W/err" || fail "the audit log has a line that is not JSON: $(cat "$W/err")"
[ "$(jq -c . "$AUDIT" | wc -l)" -eq "$nlines" ] || fail "glued records in the audit log"
[ "$(tail -c 1 "$AUDIT" | od -An -c | tr -d ' ')" = '\n' ] || fail "the log ends inside a line"
allowed=$(lines_of "$(uid_of lyblread)" allow)
[ "$allowed" -eq $((ok1 + ok2)) ] ||
	fail "$((ok1 + ok2)) opens were allowed, $allowed audit lines say so"
"$LYB_BIN" audit --file "$AUDIT" >"$W/table" 2>"$W/err" || fail "lyb audit: $(cat "$W/err")"
[ -s "$W/err" ] && fail "lyb audit could not read some lines: $(cat "$W/err")"
[ $(($(wc -l <"$W/table") - 1)) -eq "$nlines" ] ||
	fail "lyb audit shows $(($(wc -l <"$W/table") - 1)) records of $nlines"
unmount_lybfs
umount "$FULL"
AUDIT=$W/audit.log

step "an audit path prepared by another account: lybfs refuses to start"
PUB=$W/pub
mkdir -m 0777 "$PUB" # the operator's mistake: a world-writable directory
printf 'precious\n' >"$W/target"
chmod 0644 "$W/target"
# refuses PATH TEXT: lybfs with audit=PATH exits non-zero, saying TEXT
refuses() {
	local out=$W/refuse.log rc=0
	"$LYBFS_BIN" -f -o "catalog=$CAT,allow_other,audit=$1,admin=user:root@thecompany.com" \
		"$MNT" >"$out" 2>&1 &
	LYBFS_PID=$!
	for _ in $(seq 100); do
		kill -0 "$LYBFS_PID" 2>/dev/null || break
		mountpoint -q "$MNT" && fail "lybfs mounted with audit=$1"
		sleep 0.1
	done
	wait "$LYBFS_PID" || rc=$?
	LYBFS_PID=
	[ "$rc" -ne 0 ] || fail "lybfs with audit=$1 exited 0"
	grep -q "$2" "$out" || fail "lybfs with audit=$1 said: $(cat "$out")"
	echo "refused: $(grep "audit log" "$out" | head -n 1)"
}
as lyblflood touch "$PUB/audit.log"
refuses "$PUB/audit.log" "owned by uid $FLOOD_UID, not by this daemon's uid 0"
[ "$(stat -c '%u %a %s' "$PUB/audit.log")" = "$FLOOD_UID 644 0" ] ||
	fail "the prepared file changed: $(stat -c '%u %a %s' "$PUB/audit.log")"
as lyblflood ln -s "$W/target" "$PUB/audit2.log"
refuses "$PUB/audit2.log" "is a symbolic link"
[ "$(stat -c '%u %a %s' "$W/target")" = "0 644 9" ] ||
	fail "the link's target changed: $(stat -c '%u %a %s' "$W/target")"
[ "$(cat "$W/target")" = precious ] || fail "the link's target was written"
as lyblflood ln -s "$W/nothing" "$PUB/audit3.log"
refuses "$PUB/audit3.log" "is a symbolic link"
[ ! -e "$W/nothing" ] || fail "a dangling link's target was created"
# and the daemon's own file in a safe place still works
mount_lybfs "max_open_per_uid=200"
as lyblread cat "$F" | cmp - "$SRC_F" || fail "after the refusals: bytes differ"
echo "PASS"
