#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` with DESTDIR puts the binaries, the mount.lybfs link,
# both man pages, the example configuration, the bash completion and the
# systemd unit where they belong, and they work from there. Then the
# unit's readiness protocol: a Python datagram socket stands in for
# systemd as $NOTIFY_SOCKET and must receive READY=1 when the mount
# already answers, and STOPPING=1 on unmount (path and abstract sockets).
. "$(dirname "$0")/lib.sh"
command -v groff >/dev/null || skip "groff (groff-base) is not installed"
render() { groff -man -Tascii -rLL=200n -P-cbou "$1"; }

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$LYB_BUILD/CMakeCache.txt")
unitdir=$(sed -n 's/^LYB_SYSTEMD_UNITDIR:PATH=//p' "$LYB_BUILD/CMakeCache.txt")
[ -n "$prefix" ] && [ -n "$unitdir" ] || fail "no install prefix or unit dir in CMakeCache.txt"
D=$W/dest
step "DESTDIR=$D cmake --install (prefix $prefix)"
DESTDIR=$D cmake --install "$LYB_BUILD" >"$W/install.log" || fail "cmake --install: $(cat "$W/install.log")"
P=$D$prefix
etc=$P/etc
[ "$prefix" = /usr ] && etc=$D/etc # GNUInstallDirs' special case
for f in "$P/bin/lybfs" "$P/bin/lyb"; do
	[ -x "$f" ] || fail "$f missing or not executable"
done
[ "$(readlink "$P/bin/mount.lybfs")" = lybfs ] || fail "mount.lybfs is not a link to lybfs"
for f in "$P/share/man/man8/lybfs.8" "$P/share/man/man1/lyb.1" \
	"$etc/lyb/lyb.conf.example" "$D$unitdir/lybfs.service"; do
	[ -s "$f" ] || fail "$f was not installed: $(cat "$W/install.log")"
done
cmp "$LYB_SRC/docs/lybfs.8" "$P/share/man/man8/lybfs.8" || fail "lybfs.8 differs from docs/"

step "the installed files work"
version=$(sed -n 's/^project(lybfs VERSION \([0-9.]*\).*/\1/p' "$LYB_SRC/CMakeLists.txt")
[ "$("$P/bin/lyb" --version)" = "lyb $version" ] || fail "installed lyb --version"
"$P/bin/lybfs" --version | grep -qx "lybfs $version" || fail "installed lybfs --version"
render "$P/share/man/man8/lybfs.8" | grep -q "lybfs - the Lybrary" || fail "installed lybfs.8 does not render"
render "$P/share/man/man1/lyb.1" | grep -q "^SYNOPSIS" || fail "installed lyb.1 does not render"
# the example parses: lyb gets as far as opening its catalog
out=$(LYB_CONFIG=$etc/lyb/lyb.conf.example "$P/bin/lyb" -v ls 2>&1) && fail "example catalog should not exist here"
case $out in
*"catalog file:///var/lib/lyb/catalog (from $etc/lyb/lyb.conf.example)"*) ;;
*) fail "the example configuration did not load: $out" ;;
esac
unit=$D$unitdir/lybfs.service
grep -qx "ExecStart=$prefix/bin/lybfs -f /lyb" "$unit" || fail "unit's ExecStart: $(grep ExecStart "$unit")"
grep -qx "Type=notify" "$unit" || fail "unit is not Type=notify"
if command -v systemd-analyze >/dev/null; then
	# verify resolves ExecStart: point it at the installed binary
	sed "s#^ExecStart=$prefix/bin/lybfs#ExecStart=$P/bin/lybfs#" "$unit" >"$W/lybfs.service"
	out=$(systemd-analyze verify --man=no "$W/lybfs.service" 2>&1) || fail "systemd-analyze verify: $out"
	case $out in *lybfs.service*) fail "systemd-analyze complains: $out" ;; esac
fi

step "the bash completion, and it completes with the installed lyb"
compdir=$(sed -n 's/^LYB_BASH_COMPLETIONDIR:PATH=//p' "$LYB_BUILD/CMakeCache.txt")
[ -n "$compdir" ] || fail "no LYB_BASH_COMPLETIONDIR in CMakeCache.txt"
case $compdir in /*) ;; *) compdir=$prefix/$compdir ;; esac
cmp "$LYB_SRC/scripts/lyb.bash-completion" "$D$compdir/lyb" || fail "$D$compdir/lyb was not installed"
out=$(bash -c '. "$1"; COMP_WORDS=("$2" "hel"); COMP_CWORD=1; _lyb; echo "${COMPREPLY[*]}"' \
	_ "$D$compdir/lyb" "$P/bin/lyb") || fail "the installed completion failed"
[ "$out" = help ] || fail "the installed completion of 'lyb hel': '$out'"

step "the portal: its unit and pages"
punit=$D$unitdir/lyb-portal.service
grep -q "^ExecStart=$prefix/bin/lyb serve " "$punit" || fail "portal unit's ExecStart: $(grep ExecStart "$punit" 2>&1)"
for f in index.html app.js style.css; do
	cmp "$LYB_SRC/src/portal/$f" "$P/share/lyb/portal/$f" || fail "portal/$f was not installed"
done
# the installed lyb looks for its pages where they were installed
"$P/bin/lyb" help serve | grep -q "default $prefix/share/lyb/portal" || fail "lyb serve's default page dir"
if command -v systemd-analyze >/dev/null; then
	sed "s#^ExecStart=$prefix/bin/lyb#ExecStart=$P/bin/lyb#" "$punit" >"$W/lyb-portal.service"
	out=$(systemd-analyze verify --man=no "$W/lyb-portal.service" 2>&1) || fail "systemd-analyze verify: $out"
	case $out in *lyb-portal.service*) fail "systemd-analyze complains: $out" ;; esac
fi

step "the checkpoint timer and its unit"
cunit=$D$unitdir/lyb-checkpoint.service
grep -q "^ExecStart=$prefix/bin/lyb catalog checkpoint$" "$cunit" || fail "checkpoint unit: $(grep ExecStart "$cunit" 2>&1)"
[ -f "$D$unitdir/lyb-checkpoint.timer" ] || fail "lyb-checkpoint.timer was not installed"
if command -v systemd-analyze >/dev/null; then
	sed "s#^ExecStart=$prefix/bin/lyb#ExecStart=$P/bin/lyb#" "$cunit" >"$W/lyb-checkpoint.service"
	cp "$D$unitdir/lyb-checkpoint.timer" "$W/"
	out=$(systemd-analyze verify --man=no "$W/lyb-checkpoint.service" "$W/lyb-checkpoint.timer" 2>&1) ||
		fail "systemd-analyze verify: $out"
	case $out in *lyb-checkpoint*) fail "systemd-analyze complains: $out" ;; esac
fi

step "READY=1 on \$NOTIFY_SOCKET once the mount answers"
fixture
# notify_listen ADDRESS: receives datagrams on ADDRESS ('@' = abstract);
# on READY=1 it checks at once that the mount is there and serves.
notify_listen() {
	$PY - "$1" "$MNT" "$W/notify.out" <<'PYEOF' &
import os, socket, sys, time
addr, mnt, out = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(out + ".bound", "w").close()
s.settimeout(20)
with open(out, "w") as f:
    while True:
        msg = s.recv(4096).decode()
        f.write(msg + "\n")
        if msg == "READY=1":
            mounted = any(l.split()[1] == mnt for l in open("/proc/self/mounts"))
            f.write("mounted=%s listing=%s\n" % (mounted, sorted(os.listdir(mnt))))
        f.flush()
        if msg == "STOPPING=1":
            break
PYEOF
	NOTIFY_PID=$!
	wait_for test -e "$W/notify.out.bound" || fail "the listener did not start"
}
for addr in "$W/notify.sock" "@lybfs-test-$$"; do
	rm -f "$W/notify.out" "$W/notify.out.bound"
	notify_listen "$addr"
	NOTIFY_SOCKET=$addr "$LYBFS_BIN" -f -o "catalog=$CAT" "$MNT" 2>>"$W/lybfs.log" &
	LYBFS_PID=$!
	wait_for grep -q "^mounted=" "$W/notify.out" || fail "no READY=1 on $addr: $(cat "$W/notify.out")"
	grep -qx "mounted=True listing=\['.lyb', 't.Data'\]" "$W/notify.out" ||
		fail "READY=1 before the mount served: $(cat "$W/notify.out")"
	fusermount3 -u "$MNT"
	wait "$NOTIFY_PID" || fail "the listener failed"
	grep -qx "STOPPING=1" "$W/notify.out" || fail "no STOPPING=1: $(cat "$W/notify.out")"
	wait "$LYBFS_PID" || fail "lybfs exited $? after unmount"
	LYBFS_PID=
done

step "no NOTIFY_SOCKET, or a dead one: lybfs still mounts"
NOTIFY_SOCKET=$W/nobody.sock mount_lybfs
ls "$MNT/t.Data" >/dev/null || fail "mount with a dead NOTIFY_SOCKET"
unmount_lybfs
grep -q "warning: telling systemd we are ready" "$W/lybfs.log" || fail "the failed notify was not logged"
echo "PASS"
