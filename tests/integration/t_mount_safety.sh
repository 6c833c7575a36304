#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Mounting safely (issue 14, item 3): a second lybfs on a mount point
# where lybfs, or anything else, is mounted is refused with a clear
# message (and the first mount keeps serving); a non-empty mount point
# mounts with a warning; unknown -o options get lybfs's own error, the
# nearest known key and exit status 2 (lybfs.8); default_permissions and
# rw are refused with a reason, from the command line and through
# mount(8)/mount.fuse3 (which adds rw unless told ro); an inline
# "# comment" in the configuration file is not part of the value;
# `lybfs CATALOG` without a mount point says what is missing.
. "$(dirname "$0")/lib.sh"
cat >"$W/schema.avsc" <<'EOF'
{"type": "record", "name": "M", "fields": [{"name": "id", "type": "string"}]}
EOF
lyb dataset create t.M --owner group:x --schema "$W/schema.avsc" >/dev/null
OTHER=$W/other
SPACED="$W/with space"
mkdir -p "$OTHER" "$SPACED" "$W/m2"
others=()
cleanup_others() { # keeps $? for cleanup, which exits with it
	local r=$? m
	for m in "${others[@]}"; do
		fusermount3 -u "$m" 2>/dev/null || umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	return $r
}
trap 'set +e; cleanup_others; cleanup' EXIT

mounts_on() { # the number of mounts on $1
	$PY - "$1" <<'PYEOF'
import re, sys
def unesc(s): return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)
print(sum(unesc(l.split()[4]) == sys.argv[1] for l in open("/proc/self/mountinfo")))
PYEOF
}
# try_lybfs ARGS...: runs a second lybfs in the foreground for at most 5 s;
# sets $out (its stderr and stdout) and $rc
try_lybfs() {
	set +e
	out=$(timeout 5 "$LYBFS_BIN" "$@" 2>&1)
	rc=$?
	set -e
}

step "a second lybfs on a mounted lybfs is refused; the first keeps serving"
mount_lybfs
ls "$MNT/t.M" >/dev/null || fail "the first mount does not serve"
try_lybfs -f -o "catalog=$CAT,audit=$AUDIT" "$MNT"
echo "  exit $rc: $out"
[ "$rc" -eq 1 ] || fail "second lybfs exited $rc, want 1 (mounting failed)"
case $out in *"lybfs is already mounted there"*"fusermount3 -u $MNT"*) ;;
*) fail "no clear message: $out" ;; esac
[ "$(mounts_on "$MNT")" -eq 1 ] || fail "$(mounts_on "$MNT") mounts on $MNT, want 1"
ls "$MNT/t.M" >/dev/null || fail "the first mount stopped serving"
[ "$(cat "$MNT/.lyb/health")" = ok ] || fail "health after the refused mount"
# also through a path that is not the canonical one
try_lybfs -f -o "catalog=$CAT,audit=$AUDIT" "$MNT/../mnt/"
[ "$rc" -eq 1 ] && [ "$(mounts_on "$MNT")" -eq 1 ] || fail "a non-canonical path stacked: $rc $out"

step "anything else mounted there is refused too (a tmpfs; a path with a space)"
for m in "$OTHER" "$SPACED"; do
	mount -t tmpfs lybev-tmpfs "$m" || fail "mount tmpfs on $m"
	others+=("$m")
	try_lybfs -f -o "catalog=$CAT,audit=$AUDIT" "$m"
	echo "  exit $rc: $out"
	[ "$rc" -eq 1 ] || fail "lybfs over a tmpfs exited $rc"
	case $out in *"tmpfs (lybev-tmpfs) is mounted there"*) ;; *) fail "no clear message: $out" ;; esac
	[ "$(mounts_on "$m")" -eq 1 ] || fail "lybfs stacked on the tmpfs at $m"
done

step "a non-empty mount point mounts, with a warning"
mkdir -p "$W/full"
touch "$W/full/a" "$W/full/b"
"$LYBFS_BIN" -f -o "catalog=$CAT,audit=$AUDIT" "$W/full" 2>"$W/full.log" &
others+=("$W/full")
wait_for mountpoint -q "$W/full" || fail "did not mount on a non-empty directory: $(cat "$W/full.log")"
grep -q "mountpoint $W/full is not empty: its 2 entries are hidden while lybfs is mounted" "$W/full.log" ||
	fail "no warning: $(cat "$W/full.log")"
ls "$W/full/t.M" >/dev/null || fail "the mount on a non-empty directory does not serve"
fusermount3 -u "$W/full"

step "unknown -o options: lybfs's error, the nearest key, exit 2 as lybfs.8 says"
tr '\n' ' ' <"$LYB_SRC/docs/lybfs.8" | grep -q "2 for a bad option" || fail "lybfs.8 no longer documents exit 2"
for x in "refersh=5|refresh" "catalgo=$CAT|catalog" "alow_other|allow_other" "cache_szie=1G|cache_size" \
	"fsnme=x|fsname" "confg=/x|config" "noatim|noatime"; do
	opt=${x%%|*}
	want=${x##*|}
	try_lybfs -f -o "catalog=$CAT,audit=$AUDIT,$opt" "$W/m2"
	[ "$rc" -eq 2 ] || fail "-o $opt exited $rc, want 2: $out"
	case $out in *"lybfs: error: -o $opt: unknown option; did you mean $want?"*) ;;
	*) fail "-o $opt: $out" ;; esac
	case $out in *"fuse: unknown option"*) fail "libfuse's words for -o $opt: $out" ;; esac
done
echo "  e.g. $out"
try_lybfs -f -o "catalog=$CAT,xyzzy" "$W/m2"
[ "$rc" -eq 2 ] || fail "-o xyzzy exited $rc"
case $out in *"-o xyzzy: unknown option (see lybfs --help)"*) ;; *) fail "-o xyzzy: $out" ;; esac
try_lybfs -f -o "catalog=$CAT,refresh" "$W/m2"
[ "$rc" -eq 2 ] || fail "-o refresh exited $rc"
case $out in *"-o refresh: needs a value"*) ;; *) fail "-o refresh: $out" ;; esac
try_lybfs -f --frobnicate "$W/m2"
[ "$rc" -eq 2 ] || fail "--frobnicate exited $rc"
[ "$(mounts_on "$W/m2")" -eq 0 ] || fail "something mounted on $W/m2"

step "default_permissions and rw are refused, with the reason"
for opt in default_permissions rw; do
	try_lybfs -f -o "catalog=$CAT,audit=$AUDIT,$opt" "$W/m2"
	echo "  exit $rc: $out"
	[ "$rc" -eq 2 ] || fail "-o $opt exited $rc, want 2"
	case $out in *"-o $opt: refused: "*) ;; *) fail "-o $opt: $out" ;; esac
done
[ "$(mounts_on "$W/m2")" -eq 0 ] || fail "something mounted on $W/m2"
if command -v mount.fuse3 >/dev/null || [ -x /sbin/mount.fuse3 ]; then
	echo "  mount(8) through mount.fuse3"
	# mount(8) adds rw unless the line says ro: say why, and ro mounts
	set +e
	out=$(timeout 10 mount -t fuse "$LYBFS_BIN#$CAT" "$W/m2" -o "_netdev,audit=$AUDIT" 2>&1)
	rc=$?
	set -e
	[ "$rc" -ne 0 ] || fail "mount(8) without ro succeeded"
	case $out in *"-o rw: refused: lybfs is read-only"*) ;; *) fail "mount(8) without ro: $out" ;; esac
	timeout 10 mount -t fuse "$LYBFS_BIN#$CAT" "$W/m2" -o "ro,_netdev,audit=$AUDIT" ||
		fail "mount(8) with ro failed"
	others+=("$W/m2")
	ls "$W/m2/t.M" >/dev/null || fail "the mount(8) mount does not serve"
	fusermount3 -u "$W/m2"
fi
step "the options lybfs passes on still work"
"$LYBFS_BIN" -f -o "catalog=$CAT,audit=$AUDIT,ro,noatime,nodev,nosuid,noexec,fsname=lybev,max_threads=4" "$W/m2" 2>"$W/m2.log" &
others+=("$W/m2")
wait_for mountpoint -q "$W/m2" || fail "did not mount with libfuse's options: $(cat "$W/m2.log")"
fusermount3 -u "$W/m2"

step "an inline # comment in the configuration file is not part of the value"
cat >"$W/inline.conf" <<EOF
catalog = $CAT   # the test catalog
log_level = debug	# chatty
refresh = 0.5 # seconds
domain = thecompany.com # ours
admin = user:root@thecompany.com # root reads
audit = $AUDIT #
EOF
LYB_CONFIG=$W/inline.conf "$LYBFS_BIN" -f "$W/m2" 2>"$W/inline.log" &
others+=("$W/m2")
wait_for mountpoint -q "$W/m2" || fail "a configuration with inline comments did not mount: $(cat "$W/inline.log")"
ls "$W/m2/t.M" >/dev/null || fail "the inline-comment mount does not serve"
grep -q "debug:" "$W/inline.log" || fail "log_level = debug # chatty was not debug: $(head -n 3 "$W/inline.log")"
fusermount3 -u "$W/m2"
LYB_CONFIG=$W/inline.conf "$LYB_BIN" ls >/dev/null || fail "lyb reads the same file"

step "lybfs CATALOG alone: says no mount point is given"
for c in "$W/catalog" "$CAT"; do
	try_lybfs "$c"
	echo "  exit $rc: $out"
	[ "$rc" -eq 2 ] || fail "lybfs $c exited $rc, want 2"
	case $out in *"$c is a catalog, and no mount point is given"*) ;; *) fail "lybfs $c: $out" ;; esac
done
[ "$(mounts_on "$W/catalog")" -eq 0 ] || fail "lybfs mounted on the catalog"
printf '' >"$W/empty.conf"
try_lybfs -f -o "config=$W/empty.conf" "$W/m2"
case $out in *"no catalog was given, so the default file:///var/lib/lyb/catalog was tried"*) ;;
*) fail "no word about the default catalog: $out" ;; esac

step "the first mount is still the only one on $MNT"
[ "$(mounts_on "$MNT")" -eq 1 ] || fail "$(mounts_on "$MNT") mounts on $MNT"
[ "$(cat "$MNT/.lyb/health")" = ok ] || fail "health"
echo PASS
