#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# How lyb finds the running mount without being told (mounts.h): the
# mount's settings and default control socket in its runtime directory,
# lyb taking from them what its file leaves unset (its mount point too,
# for lyb status and lyb serve), a new account's
# request reaching the socket with no flags; and what hostile local
# accounts cannot do: be believed through a directory others can write,
# answer on a socket in a shared directory, or redirect one through a
# symbolic link. control=none says so in the settings and lyb's message.
. "$(dirname "$0")/lib.sh"
for c in jq curl; do
	command -v $c >/dev/null || skip "$c is not installed"
done
EVIL_PID=
trap 'rc=$?; set +e; [ -z "$EVIL_PID" ] || kill "$EVIL_PID"; cleanup "$rc"' EXIT
accounts lybctlnew lybctlevil
chmod 755 "$W"
fixture
mount_lybfs
KEY=$(sed 's|^/||; s|-|\\x2d|g; s|/|-|g' <<<"$MNT")
SET=$LYB_RUN_DIR/$KEY.conf
SOCK=$LYB_RUN_DIR/$KEY.sock
# as a new account logs in: no configuration, no flags
as() { local u=$1; shift; runuser -u "$u" -- env -u LYB_CONFIG -u LYB_CATALOG -u LYB_CONTROL "$@"; }

step "the mount leaves its settings and a control socket in its runtime directory"
[ -f "$SET" ] && [ ! -L "$SET" ] || fail "no settings file $SET: $(ls -la "$LYB_RUN_DIR")"
[ -S "$SOCK" ] || fail "no default control socket $SOCK"
[ "$(stat -c %a "$LYB_RUN_DIR")" = 755 ] || fail "runtime directory mode $(stat -c %a "$LYB_RUN_DIR")"
[ "$(stat -c %a "$SET")" = 644 ] || fail "settings mode $(stat -c %a "$SET")"
for want in "catalog = $CAT" "admin = user:root@thecompany.com" "audit = $AUDIT" "control = $SOCK"; do
	grep -qxF "$want" "$SET" || fail "settings lack '$want': $(cat "$SET")"
done
grep -q "refresh" "$SET" && fail "settings hold a key lyb does not take: $(cat "$SET")"

step "lyb takes the catalog and the policy from the mount, without flags"
out=$(env -u LYB_CONFIG "$LYB_BIN" -v ls 2>"$W/v.err") || fail "lyb ls: $(cat "$W/v.err")"
[ "$out" = t.Data ] || fail "lyb ls listed: $out"
grep -qF "those of the mount on $MNT ($SET)" "$W/v.err" || fail "lyb -v: $(cat "$W/v.err")"
grep -qF "catalog $CAT (from $SET)" "$W/v.err" || fail "lyb -v: $(cat "$W/v.err")"
# root reads as the mount's admin, with no file of its own
env -u LYB_CONFIG "$LYB_BIN" ls t.Data | grep -q "^2020-09-03 " || fail "root is not the mount's admin for lyb"
# the mount point too: lyb status and the portal's paths
out=$(env -u LYB_CONFIG "$LYB_BIN" status) || fail "lyb status without a mount point: $out"
[ "$(head -n 1 <<<"$out")" = "$MNT: ok" ] || fail "lyb status without a mount point: $out"
PPORT=$(free_port)
env -u LYB_CONFIG "$LYB_BIN" serve --listen 127.0.0.1:$PPORT --static "$LYB_SRC/src/portal" >"$W/serve.log" 2>&1 &
EVIL_PID=$!
wait_for curl -sf "http://127.0.0.1:$PPORT/api/v1/datasets/t.Data" || fail "lyb serve: $(cat "$W/serve.log")"
curl -sf "http://127.0.0.1:$PPORT/api/v1/datasets/t.Data" | jq -e --arg m "$MNT/t.Data" '.portal.mount_path == $m' >/dev/null ||
	fail "the portal's mount path is not the mount's: $(curl -s "http://127.0.0.1:$PPORT/api/v1/datasets/t.Data")"
kill "$EVIL_PID"
wait "$EVIL_PID" 2>/dev/null || true
EVIL_PID=
# the file's own keys win: a file naming another admin
printf 'admin = user:nobody@thecompany.com\n' >"$W/own.conf"
expect_errno "Access denied. User root@thecompany.com" env LYB_CONFIG="$W/own.conf" "$LYB_BIN" ls t.Data

step "a new account's request reaches the socket by itself"
out=$(as lybctlnew "$LYB_BIN" ls t.Data 2>&1) && fail "a new account listed t.Data"
grep -qx 'Request it with: lyb access request t.Data --reason "..."' <<<"$out" || fail "lyb ls said: $out"
as lybctlnew "$LYB_BIN" access request t.Data --reason "first day" >/dev/null || fail "the request failed"
jq -e -s 'any(.[]; .op == "request" and .principal == "user:lybctlnew@thecompany.com" and .reason == "first day")' \
	"$AUDIT" >/dev/null || fail "the request did not go through the daemon"

step "another account's socket in a shared directory is not believed"
mkdir -m 1777 "$W/tmp"
runuser -u lybctlevil -- $PY - "$W/tmp/evil.sock" "$W/tmp/evil.got" <<'PYEOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.listen(4)
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        got = c.recv(8192)
    except OSError:
        got = b""
    with open(sys.argv[2], "ab") as f:
        f.write(got)
    try:  # the forged answer, if anyone is still there to read it
        c.sendall(b"ok\tuser:root@thecompany.com\n")
    except OSError:
        pass
    c.close()
PYEOF
EVIL_PID=$!
wait_for test -S "$W/tmp/evil.sock" || fail "the fake daemon did not start"
for u in root lybctlnew; do
	out=$(as $u env LYB_CONTROL="$W/tmp/evil.sock" "$LYB_BIN" access request t.Data 2>&1) &&
		fail "$u believed another account's socket: $out"
	grep -q "answered by uid $(id -u lybctlevil), neither root nor the owner of $W/tmp: not trusted" <<<"$out" ||
		fail "$u: $out"
done
[ ! -s "$W/tmp/evil.got" ] || fail "the request reached the fake daemon: $(cat "$W/tmp/evil.got")"
# a symbolic link planted where a socket is expected is not followed
ln -s "$SOCK" "$W/tmp/link.sock"
expect_errno "not a socket (a symbolic link: not following it)" \
	env LYB_CONTROL="$W/tmp/link.sock" "$LYB_BIN" access grant t.Data user:lybctlnew@thecompany.com

step "a runtime directory others can write is not believed"
chmod 777 "$LYB_RUN_DIR"
env -u LYB_CONFIG LYB_CATALOG="$CAT" "$LYB_BIN" -v ls t.Data >/dev/null 2>"$W/v.err" &&
	fail "lyb used a mount whose directory anyone can write"
grep -q "not a directory of the daemon's uid that only it can write" "$W/v.err" || fail "lyb -v: $(cat "$W/v.err")"
chmod 755 "$LYB_RUN_DIR"

step "unmounted: the settings and the socket are gone"
unmount_lybfs
[ ! -e "$SET" ] || fail "the settings outlived the mount"
[ ! -e "$SOCK" ] || fail "the socket outlived the mount"

step "control=none: the settings say so, and so does lyb"
mount_lybfs "control=none"
grep -qxF "control = none" "$SET" || fail "settings: $(cat "$SET")"
[ ! -e "$SOCK" ] || fail "control=none made a socket"
out=$(as lybctlnew "$LYB_BIN" access revoke t.Data user:alice@thecompany.com 2>&1) && fail "the revoke worked: $out"
grep -q "may not change who reads" <<<"$out" || fail "the revoke said: $out"
lyb dataset create t.New --owner group:nobody >/dev/null
wait_for test -d "$MNT/t.New" || fail "t.New never appeared"
out=$(as lybctlnew "$LYB_BIN" access request t.New 2>&1) && fail "the request wrote the root-owned catalog"
grep -q "Permission denied" <<<"$out" && grep -qF "no control socket: the mount on $MNT has none (control = none)" <<<"$out" &&
	grep -q "an owner or admin can grant you: lyb access grant t.New user:lybctlnew@thecompany.com" <<<"$out" ||
	fail "without a socket: $out"
unmount_lybfs

step "a runtime directory the daemon cannot trust: it mounts without one, and says so"
mkdir -m 777 "$W/badrun"
LYB_RUN_DIR=$W/badrun mount_lybfs
grep -q "runtime directory $W/badrun: writable by others" "$W/lybfs.log" || fail "no warning: $(cat "$W/lybfs.log")"
[ -z "$(ls -A "$W/badrun")" ] || fail "files in an untrusted directory: $(ls -A "$W/badrun")"
lyb ls t.Data >/dev/null || fail "the mount's catalog"
echo "PASS"
