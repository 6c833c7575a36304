#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Untrusted text and identities in the access workflow, with real users:
# a catalog writer plants terminal escapes (ESC sequences, BEL, C1 CSI, a
# bidi override) in a request's reason and a history entry, and
# `lyb access list` (and `lyb audit`, for the audit log) shows them
# escaped, never raw; a reason that is not
# UTF-8 or has a control character is refused up front with a clear
# message (not "Cannot allocate memory"), on the socket path and the
# direct one; a uid without a passwd entry (setpriv, uid 54321) holds no
# domain: principal, so a domain: grant does not reach it, and it cannot
# file requests.
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
for c in setpriv jq; do
	command -v $c >/dev/null || skip "$c is not installed"
done
NOPW=54321
getent passwd $NOPW >/dev/null && skip "uid $NOPW has a passwd entry here"
getent group $NOPW >/dev/null && skip "gid $NOPW has a group entry here"

accounts lybcreq lybcowners:lybcown

CTL=$W/control.sock
echo "control = $CTL" >>"$LYB_CONFIG"
mkdir -p "$W/src/gs"
make_avro "$W/src/gs/part-00000.avro" --rows 300 --seed untrusted
lyb dataset create t.Ut --owner group:lybcowners --description "untrusted text" >/dev/null
V=$(lyb publish t.Ut 2020-09-03 --gs "file://$W/src/gs")
chmod -R go+rX "$W"
mount_lybfs "control=$CTL"
GS=$MNT/t.Ut/2020-09-03/$V/gs/part-00000.avro
DOC=$W/catalog/datasets/t.Ut.json
ulyb() { local u=$1; shift; runuser -u "$u" -- "$LYB_BIN" --catalog "$CAT" "$@"; }
nopw() { setpriv --reuid=$NOPW --regid=$NOPW --clear-groups -- "$@"; }

step "a reason that is not UTF-8, or has a control character, is refused up front"
for r in $'\xff\xfe' $'caf\xe9' $'\xc0\xaf' $'\xed\xa0\x80' $'x\x1b[2Jy' $'bell\x07' $'\xc2\x9b31m' $'del\x7f'; do
	for path in socket direct; do
		if [ $path = socket ]; then
			out=$(ulyb lybcreq access request t.Ut --reason "$r" 2>&1) && fail "reason $(printf %q "$r") accepted ($path)"
		else
			out=$(LYB_CONTROL= lyb access request t.Ut --reason "$r" 2>&1) && fail "reason $(printf %q "$r") accepted ($path)"
		fi
		case $out in
		*"--reason: must be UTF-8 text without control characters ("*) ;;
		*) fail "reason $(printf %q "$r") ($path): $out" ;;
		esac
		case $out in *"Cannot allocate memory"*) fail "ENOMEM for $(printf %q "$r")" ;; esac
		[ "$(printf %s "$out" | tr -d '\n' | LC_ALL=C tr -d '[:print:]' | wc -c)" = 0 ] ||
			fail "the refusal echoed raw bytes: $(printf %q "$out")"
	done
done
grep -q "not valid UTF-8" <<<"$(ulyb lybcreq access request t.Ut --reason $'\xff' 2>&1)" || fail "no UTF-8 diagnosis"
jq -e '.access == null or (.access.requests // [] | length == 0)' "$DOC" >/dev/null || fail "a bad reason was stored"
# tabs and line breaks are flattened, UTF-8 text is kept
ulyb lybcreq access request t.Ut --reason $'genre\tstudy\nfor caf\xc3\xa9' >/dev/null || fail "a good reason refused"
jq -e '.access.requests[0].reason == "genre study for café"' "$DOC" >/dev/null ||
	fail "reason stored as $(jq .access.requests "$DOC")"

step "lyb access list escapes what a catalog writer planted"
# a catalog writer (any pipeline) edits the document directly (python:
# jq would round the 64-bit generations)
$PY - "$DOC" <<'PYEOF'
import json, sys, time
p = sys.argv[1]
d = json.load(open(p))
evil = "\x1b[2J\x1b]0;pwned\x07 \x9b31m \u202eexe.txt \\ end"
d["access"]["requests"][0]["reason"] = evil
d["access"]["history"].append({
    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "by": "user:x\x1b[8m@thecompany.com", "action": "grant",
    "principal": "domain:thecompany.com", "reason": evil})
open(p + ".new", "w").write(json.dumps(d, indent=2) + "\n")
PYEOF
mv "$DOC.new" "$DOC"
ulyb lybcreq access list t.Ut >"$W/list.out" 2>&1 || fail "access list: $(cat "$W/list.out")"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$W/list.out" && fail "raw control bytes printed: $(od -c "$W/list.out" | head)"
LC_ALL=C grep -q $'\xc2[\x80-\x9f]' "$W/list.out" && fail "a raw C1 control printed"
LC_ALL=C grep -q $'\xe2\x80\xae' "$W/list.out" && fail "a raw bidi override printed"
grep -qF 'reason: \x1b[2J\x1b]0;pwned\x07 \u009b31m \u202eexe.txt \\ end' "$W/list.out" ||
	fail "reason not shown escaped: $(grep reason "$W/list.out")"
grep -qF 'by user:x\x1b[8m@thecompany.com' "$W/list.out" || fail "history by not escaped: $(cat "$W/list.out")"

step "lyb audit escapes what the log holds"
printf '%s\n' '{"time":"2026-01-01T00:00:00.000Z","uid":1,"principal":"user:x\u001b[2J@thecompany.com","pid":1,"comm":"c\u009b","op":"request","dataset":"t.Ut","decision":"allow","reason":"\u001b]0;pwned\u0007"}' >>"$AUDIT"
lyb audit t.Ut >"$W/audit.out" 2>&1 || fail "lyb audit: $(cat "$W/audit.out")"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$W/audit.out" && fail "lyb audit printed raw control bytes"
LC_ALL=C grep -q $'\xc2[\x80-\x9f]' "$W/audit.out" && fail "lyb audit printed a raw C1 control"
grep -qF 'user:x\x1b[2J@thecompany.com' "$W/audit.out" && grep -qF '\x1b]0;pwned\x07' "$W/audit.out" ||
	fail "lyb audit: $(tail -n 1 "$W/audit.out")"

step "lyb info escapes what a catalog writer stored in a card"
lyb dataset create t.Esc --owner group:lybcowners \
	--description $'evil\x1b]0;pwned\x07 \xc2\x9b31m \xe2\x80\xaeexe' >/dev/null ||
	fail "a description with control characters refused at create (then this step tests nothing)"
lyb info t.Esc >"$W/info.out" 2>&1 || fail "lyb info: $(cat "$W/info.out")"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$W/info.out" && fail "lyb info printed raw control bytes: $(od -c "$W/info.out" | head)"
LC_ALL=C grep -q $'\xc2[\x80-\x9f]' "$W/info.out" && fail "lyb info printed a raw C1 control"
LC_ALL=C grep -q $'\xe2\x80\xae' "$W/info.out" && fail "lyb info printed a raw bidi override"
grep -qF 'evil\x1b]0;pwned\x07' "$W/info.out" || fail "description not shown escaped: $(grep -a Description "$W/info.out")"

step "a uid without a passwd entry holds no domain: principal"
LYB_CONTROL= lyb access grant t.Ut domain:thecompany.com >/dev/null || fail "root's domain: grant"
wait_for sh -c "runuser -u lybcreq -- cat '$GS' | cmp -s - '$W/src/gs/part-00000.avro'" ||
	fail "a real account cannot read with domain:"
nopw cat "$GS" >"$W/nopw.out" 2>"$W/nopw.err" && fail "uid $NOPW read through domain: ($(wc -c <"$W/nopw.out") bytes)"
[ -s "$W/nopw.out" ] && fail "uid $NOPW got bytes"
grep -q "Permission denied" "$W/nopw.err" || fail "uid $NOPW: $(cat "$W/nopw.err")"
jq -e --argjson u $NOPW 'select(.uid == $u and .op == "open" and .decision == "deny" and .principal == "uid \($u)")' \
	"$AUDIT" >/dev/null || fail "no deny audit line for uid $NOPW"
acc=$(nopw cat "$MNT/t.Ut/.lyb/access")
grep -q "^user: uid $NOPW" <<<"$acc" && grep -q "^access: none" <<<"$acc" || fail "uid $NOPW's .lyb/access: $acc"
expect_errno "uid $NOPW has no user name to act under" nopw "$LYB_BIN" --catalog "$CAT" access request t.Ut
mountpoint -q "$MNT" || fail "the mount is gone"
echo "PASS"
