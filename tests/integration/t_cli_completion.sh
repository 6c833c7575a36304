#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bash completion of lyb (scripts/lyb.bash-completion), sourced into this
# shell and run as bash would: COMPREPLY for commands, options, option
# values and arguments, DataSet names from the catalog the command line
# names (or $LYB_CATALOG), and, for every command, exactly the options its
# --help lists (both come from the parser's tables).
. "$(dirname "$0")/lib.sh"
. "$LYB_SRC/scripts/lyb.bash-completion"
complete -p lyb | grep -q -- '-F _lyb lyb$' || fail "the script does not register _lyb for lyb"

lyb dataset create t.Alpha --owner group:data-team >/dev/null
lyb dataset create t.Beta --owner group:data-team >/dev/null
lyb dataset create u.Gamma --owner group:data-team >/dev/null
mkdir -p "$W/dir/sub"
: >"$W/dir/schema.avsc"

# comp WORD...: what bash would offer for the last WORD of `lyb WORD...`
comp() {
	COMP_WORDS=("$LYB_BIN" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_lyb
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
# want "EXPECTED" WORD...: the offer, sorted, is EXPECTED
want() {
	local w=$1 got
	shift
	got=$(comp "$@")
	[ "$got" = "$w" ] || fail "lyb $* <TAB>: got '$got', want '$w'"
}

step "commands, and lyb's own options"
cmds=$("$LYB_BIN" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
[ "$(wc -w <<<"$cmds")" -ge 10 ] || fail "too few commands in lyb --help: $cmds"
want "$cmds" ""
want "access audit" a
want "ls" l
want "--catalog --help --verbose --version -C -V -h -v" -
want "--catalog --help --verbose --version" --
want "$cmds" -v --catalog "$CAT" ""
want "$cmds" help ""
want "" frobnicate ""

step "each command: the options its --help lists, nothing else"
for c in $cmds; do
	help=$("$LYB_BIN" "$c" --help | sed -n '/^Options/,$p' | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
	[ -n "$help" ] || fail "lyb $c --help lists no options"
	want "$help" "$c" --
done
want "--json" ls --j
want "--late" ls x --la
want "-n" head -n
want "--avro-json" head t.Alpha --avro

step "DataSet names, from the catalog of the command line"
want "t.Alpha t.Beta u.Gamma" --catalog "$CAT" ls ""
want "t.Alpha t.Beta" -C "$CAT" info t.
want "t.Alpha t.Beta" info -C "$CAT" t.
want "t.Alpha t.Beta" --catalog = "$CAT" head t. # --catalog=URL
want "t.Alpha t.Beta" "-C$CAT" ls t
want "t.Alpha t.Beta" "-vC$CAT" ls t
want "u.Gamma" -C "$CAT" access list u
want "t.Alpha t.Beta u.Gamma" -C "$CAT" access grant ""
want "t.Alpha t.Beta u.Gamma" -C "$CAT" dataset create t.New --upstream ""
want "t.Alpha t.Beta u.Gamma" -C "$CAT" publish --upstream ""
[ "$(LYB_CATALOG=$CAT comp audit t.)" = "t.Alpha t.Beta" ] || fail "names from \$LYB_CATALOG"
want "" -C "file://$W/nowhere" ls ""

step "arguments after the DataSet, and option values"
want "grant list request revoke" access ""
want "" -C "$CAT" access grant t.Alpha ""
want "gs snow" -C "$CAT" head t.Alpha 2020-09-03 ""
want "" -C "$CAT" head -n "" # a number: not guessed
want "t.Alpha t.Beta u.Gamma" -C "$CAT" head -n 5 ""
want "t.Alpha t.Beta u.Gamma" -C "$CAT" head -n5 ""
want "checkpoint format init upgrade" catalog ""
want "1 2" catalog init --format ""
want "1 2" catalog init --format = "" # --format=<TAB>
want "create" dataset c
want "" dataset create t.New --owner "" # group:TEAM: not guessed
want "$W/dir/schema.avsc $W/dir/sub" dataset create --schema "$W/dir/"
want "$W/dir/sub" status "$W/dir/"
want "$W/dir/schema.avsc $W/dir/sub" audit --file "$W/dir/"
want "" -C "$CAT" ls -- -x ""
want "" serve ""
echo "PASS"
