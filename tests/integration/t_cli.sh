#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The lyb command line: the user story's table, the card, and one-line
# errors that exit non-zero.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
fixture

step "lyb ls lists DataSets; LYB_CATALOG is the default catalog"
[ "$(lyb ls)" = "t.Data" ] || fail "lyb ls: $(lyb ls)"
[ "$(LYB_CATALOG=$CAT "$LYB_BIN" ls)" = "t.Data" ] || fail "LYB_CATALOG not honoured"

step "lyb ls DATASET prints the table"
out=$(lyb ls t.Data)
echo "$out"
[ "$(sed -n 1p <<<"$out")" = "Date        |  Version Count  |  Latest Version  |  Location" ] || fail "header"
sed -n 2p <<<"$out" | grep -qE '^=+$' || fail "rule line"
grep -qE "^2020-09-03  \|        2        \|     $V2       \|   file://$SRC/2020-09-03-2/gs\$" <<<"$out" || fail "2020-09-03 row"
grep -qE "^            \|                 \|                  \|   snow://db/data/$V2\$" <<<"$out" || fail "snow continuation row"
[ "$(grep -c '^2020-' <<<"$out")" -eq 2 ] || fail "expected 2 date rows"

step "lyb info shows the card"
out=$(lyb info t.Data)
for want in "lyb://t.Data" "group:data-team" "08:00" "user:alice@thecompany.com" "$V2"; do
	grep -qF "$want" <<<"$out" || fail "lyb info lacks $want"
done

step "errors: one line on stderr, non-zero exit"
one_line_error() {
	local err
	if "$@" >/dev/null 2>"$W/stderr"; then fail "'$*' succeeded"; fi
	err=$(cat "$W/stderr")
	[ "$(wc -l <"$W/stderr")" -eq 1 ] || fail "'$*' printed: $err"
	case $err in lyb:*) ;; *) fail "'$*' error does not start with lyb: $err" ;; esac
}
one_line_error lyb ls no.Such
one_line_error lyb info no.Such
one_line_error lyb dataset create bad..name --owner group:x
one_line_error lyb dataset create a/b.c --owner group:x
one_line_error lyb dataset create "a.$(head -c 300 /dev/zero | tr '\0' b)" --owner group:x
one_line_error lyb dataset create t.Data --owner group:x
one_line_error lyb dataset create t.New --owner user:bob
one_line_error lyb publish t.Data 2020-02-30 --gs "file://$SRC/2020-09-03-1/gs"
one_line_error lyb publish t.Data 2020-09-05 --gs "file://$W/nowhere"
one_line_error lyb publish t.Data 2020-09-05 --gs "s3://bucket/x"
one_line_error lyb publish t.Data 2020-09-05 --gs "file://$SRC/2020-09-03-1/snow"
one_line_error lyb publish t.Data 2020-09-05 --gs "file://$SRC/2020-09-03-1/gs" --upstream no.Such@2020-09-01/abcdef
one_line_error "$LYB_BIN" --catalog "file://$W/empty" ls
one_line_error lyb frobnicate
echo "PASS"
