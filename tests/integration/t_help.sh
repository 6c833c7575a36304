#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --help and --version of lybfs and lyb: exit 0, the version is the CMake
# project's, every -o option of `lybfs --help` (printed from the key
# table, so a new one cannot be forgotten; test_config checks the table
# against the help) reaches the configuration through -o and is in the
# man page, docs/operations.md and the example configuration file; every command of `lyb --help` has its
# own help and a section in lyb(1); both man pages render.
set -euo pipefail
: "${LYB_BUILD:?}" "${LYB_SRC:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v groff >/dev/null || { echo "SKIP: groff (groff-base) is not installed"; exit 77; }
# render PAGE: the man page as plain text, as man(1) would show it
render() { groff -man -Tascii -rLL=200n -P-cbou "$1"; }

version=$(sed -n 's/^project(lybfs VERSION \([0-9.]*\).*/\1/p' "$LYB_SRC/CMakeLists.txt")
[ -n "$version" ] || fail "no version in CMakeLists.txt"

out=$("$LYB_BUILD/lybfs" --version) || fail "lybfs --version exited $?"
[ "$(head -n1 <<<"$out")" = "lybfs $version" ] || fail "lybfs --version said: $out"
out=$("$LYB_BUILD/lybfs" -V) || fail "lybfs -V exited $?"
[ "$(head -n1 <<<"$out")" = "lybfs $version" ] || fail "lybfs -V said: $out"
out=$("$LYB_BUILD/lyb" --version) || fail "lyb --version exited $?"
[ "$out" = "lyb $version" ] || fail "lyb --version said: $out"

# the -o options: lybfs's section of --help, the configuration keys (from
# src/core/config.c's table) and config=
help=$("$LYB_BUILD/lybfs" --help) || fail "lybfs --help exited $?"
[ "$("$LYB_BUILD/lybfs" -h)" = "$help" ] || fail "lybfs -h differs from --help"
# each option is listed once (libfuse's own help repeated allow_other)
dups=$(sed -n 's/^    -o \([a-z_]*\).*/\1/p' <<<"$help" | sort | uniq -d)
[ -z "$dups" ] || fail "lybfs --help lists these options twice: $dups"
opts=$(sed -n '/^lybfs options/,/^$/s/^    -o \([a-z_]*\)=.*/\1/p' <<<"$help")
keys=$(grep -vx config <<<"$opts")
[ "$(wc -w <<<"$keys")" -ge 6 ] || fail "found only these config keys: $keys"
grep -qx config <<<"$opts" || fail "lybfs --help does not mention -o config="
# each reaches the configuration table through -o (an empty value is the
# table's error, not libfuse's unknown option); the "mountpoint" is a
# file, so nothing can mount even if an option went astray
empty=$(mktemp /tmp/lyb-t_help.XXXXXX)
trap 'rm -f "$empty"' EXIT
for k in $keys; do
	out=$(LYB_CONFIG=$empty timeout 10 "$LYB_BUILD/lybfs" -f -o "$k=" "$empty" 2>&1) &&
		fail "-o $k= exited 0"
	grep -q -- "-o $k=: $k: empty value" <<<"$out" || fail "-o $k= is not a configuration key: $out"
done

man=$(render "$LYB_SRC/docs/lybfs.8") || fail "lybfs.8 does not render"
for k in $opts allow_other; do
	grep -q -- "-o $k=" <<<"$help" || fail "lybfs --help does not mention -o $k=: $help"
	grep -q -- "-o $k" <<<"$man" || fail "lybfs(8) does not document -o $k"
	grep -q "\`$k" "$LYB_SRC/docs/operations.md" || fail "docs/operations.md does not document $k"
done
for k in $keys; do
	grep -qE "^#?$k = " "$LYB_SRC/scripts/lyb.conf.example" ||
		fail "lyb.conf.example does not show $k"
done
for o in -f -d -s allow_other --version; do
	grep -q -- "$o" <<<"$help" || fail "lybfs --help lacks libfuse's $o"
done
# no mountpoint, and a bad option: usage errors, not 0
"$LYB_BUILD/lybfs" >/dev/null 2>&1 && fail "lybfs without a mountpoint exited 0"
"$LYB_BUILD/lybfs" -o ttl=soon /tmp >/dev/null 2>&1 && fail "bad -o ttl exited 0"

help=$("$LYB_BUILD/lyb" --help) || fail "lyb --help exited $?"
[ "$("$LYB_BUILD/lyb" help)" = "$help" ] || fail "lyb help differs from lyb --help"
man=$(render "$LYB_SRC/docs/lyb.1") || fail "lyb.1 does not render"
for o in --catalog --verbose --help --version; do
	grep -q -- "$o" <<<"$help" || fail "lyb --help lacks $o"
	grep -q -- "$o" <<<"$man" || fail "lyb(1) lacks $o"
done
cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p' <<<"$help")
[ "$(wc -w <<<"$cmds")" -ge 6 ] || fail "too few commands in lyb --help: $cmds"
for c in $cmds; do
	h=$("$LYB_BUILD/lyb" help "$c") || fail "lyb help $c exited $?"
	grep -q "^usage: lyb .*$c" <<<"$h" || fail "lyb help $c: $h"
	[ "$c" = help ] && continue
	[ "$("$LYB_BUILD/lyb" "$c" --help)" = "$h" ] || fail "lyb $c --help differs from lyb help $c"
	grep -qE "^       $c( |$)" <<<"$man" || fail "lyb(1) has no entry for $c"
done
"$LYB_BUILD/lyb" help nosuch >/dev/null 2>&1 && fail "lyb help nosuch exited 0"

for page in lybfs.8 lyb.1; do
	w=$(groff -man -Tutf8 -ww -z "$LYB_SRC/docs/$page" 2>&1) || fail "groff: $page"
	[ -z "$w" ] || fail "groff warns about $page: $w"
done
echo "PASS"
