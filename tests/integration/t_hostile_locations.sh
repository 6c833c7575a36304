#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile catalog writers and non-readers against the root daemon.
#
# file_roots: a catalog writer (a pipeline that can publish, not root)
# writes versions whose locations name host files: file:///etc with an
# object "shadow", a directory symlink and a file symlink inside the root
# pointing out of it, a ".." in the location URL or in an object key, a
# FIFO, an object with no checksum. The mount answers EIO or EACCES to
# each, never a byte of the target, and stays up; `lyb publish` refuses
# each with a clear message; legit data under the root (a hard link
# inside it too) still reads byte-exact.
#
# Checksums are data: as a real second account who is not a reader,
# getfattr shows no user.lyb.md5 or user.lyb.crc32c, getting one is
# ENODATA (audited), and the version's .lyb/info.json has no digest; a
# reader still gets them.
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
for c in getfattr jq mkfifo timeout; do
	command -v $c >/dev/null || skip "$c is not installed"
done
[ -r /etc/shadow ] || skip "no /etc/shadow to aim at"

NR=lybfnr # not a reader
RD=lybfrd # a reader
accounts $NR $RD
chmod 755 "$W" # the users walk to the mount

# the only root is $W/data; $W/secret is outside it, readable by root only
ROOT=$W/data
sed -i "s|^file_roots = .*|file_roots = $ROOT|" "$LYB_CONFIG"
mkdir -p "$ROOT/good" "$ROOT/links" "$ROOT/fifo" "$ROOT/hl" "$W/secret"
chmod 700 "$W/secret"
printf '4711\n' >"$W/secret/pin.txt"
make_avro "$ROOT/good/part.avro" --rows 50 --seed hostile
ln -s "$W/secret" "$ROOT/evil"                      # a directory symlink out
ln -s "$W/secret/pin.txt" "$ROOT/links/pin.txt"     # a file symlink out
ln "$ROOT/good/part.avro" "$ROOT/hl/part.avro"      # a hard link inside
mkfifo "$ROOT/fifo/pipe"

lyb dataset create t.H --owner group:nobody-here --reader "user:$RD@thecompany.com" >/dev/null

step "legit data under the root publishes; so does a hard link inside it"
VG=$(lyb publish t.H 2021-01-01 --gs "file://$ROOT/good")
VL=$(lyb publish t.H 2021-01-02 --gs "file://$ROOT/hl")
[ -n "$VG" ] && [ -n "$VL" ] || fail "publish printed no id"

step "lyb publish refuses every location outside the root, clearly"
refused() { # refused URL TEXT
	expect_errno "$2" lyb publish t.H 2021-02-01 --gs "$1"
}
refused "file:///etc" "outside the file:// data roots (file_roots: $ROOT)"
refused "file://$W/secret" "outside the file:// data roots"
refused "file://$W" "outside the file:// data roots"
refused "file:///" "outside the file:// data roots"
refused "file://$ROOT/../secret" "not a valid URL"
refused "file://$ROOT/good/../../secret" "not a valid URL"
refused "file://$ROOT/evil" "a symlink, or outside the file:// data roots"
refused "file://$ROOT/links" "a symlink, or outside the file:// data roots"
[ "$(jq '.versions | length' "$W/catalog/datasets/t.H.json")" -eq 2 ] ||
	fail "a refused publish reached the catalog"

step "a writer writes hostile versions into the document directly"
b64md5() { md5sum <"$1" | cut -d' ' -f1 | xxd -r -p | base64; }
DOC=$W/catalog/datasets/t.H.json
# add DOC DATE ID URL NAME SIZE [MD5]: appends a version with one gs
# object (Python, not jq: generations are nanoseconds, over 2^53)
add() {
	$PY - "$@" <<'PYEOF'
import json, sys
doc, date, vid, url, name, size = sys.argv[1:7]
md5 = sys.argv[7] if len(sys.argv) > 7 else ""
with open(doc) as f:
    d = json.load(f)
obj = {"name": name, "size": int(size)}
if md5:
    obj["md5"] = md5
d.setdefault("versions", []).append({
    "date": date, "id": vid, "digest": vid + "0" * (64 - len(vid)),
    "published": "2021-03-01T00:00:00Z", "bytes": int(size),
    "locations": {"gs": {"url": url, "format": "avro", "objects": [obj]}}})
with open(doc + ".tmp", "w") as f:
    json.dump(d, f)
PYEOF
	mv "$1.tmp" "$1"
}
PIN=$W/secret/pin.txt
add "$DOC" 2021-03-01 aaaa01 "file:///etc" shadow "$(stat -c %s /etc/shadow)" "$(b64md5 /etc/shadow)"
add "$DOC" 2021-03-02 aaaa02 "file://$ROOT/evil" pin.txt 5 "$(b64md5 "$PIN")"
add "$DOC" 2021-03-03 aaaa03 "file://$ROOT/links" pin.txt 5 "$(b64md5 "$PIN")"
add "$DOC" 2021-03-04 aaaa04 "file://$ROOT" evil/pin.txt 5 "$(b64md5 "$PIN")"
add "$DOC" 2021-03-05 aaaa05 "file://$ROOT/../secret" pin.txt 5 "$(b64md5 "$PIN")"
add "$DOC" 2021-03-06 aaaa06 "file://$ROOT/fifo" pipe 5 "$(b64md5 "$PIN")"
add "$DOC" 2021-03-07 aaaa07 "file://$ROOT/good" part.avro "$(stat -c %s "$ROOT/good/part.avro")" # no checksum
add "$DOC" 2021-03-08 aaaa08 "file://$W" secret/pin.txt 5 "$(b64md5 "$PIN")"
# a ".." in an object key: its own document (the parser refuses it whole)
lyb dataset create t.Hk --owner group:nobody-here >/dev/null
add "$W/catalog/datasets/t.Hk.json" 2021-03-09 aaaa09 "file://$ROOT" ../secret/pin.txt 5 "$(b64md5 "$PIN")"

mount_lybfs
D=$MNT/t.H
wait_for test -d "$D/2021-03-08/aaaa08" || fail "the hostile versions are not listed: $(ls "$D")"

step "the mount serves none of them: EIO or EACCES, no byte"
n=0
denied() { # denied PATH TARGET: reading PATH fails and returns nothing
	local out=$W/read.out
	if timeout -s KILL 10 cat "$1" >"$out" 2>"$W/read.err"; then
		fail "$1 was served ($(wc -c <"$out") bytes)"
	fi
	[ ! -s "$out" ] || fail "$1 returned $(wc -c <"$out") bytes"
	! cmp -s "$out" "$2" || fail "$1 returned the target"
	grep -qE "Input/output error|Permission denied" "$W/read.err" ||
		fail "$1: $(cat "$W/read.err")"
	n=$((n + 1))
}
denied "$D/2021-03-01/aaaa01/gs/shadow" /etc/shadow
denied "$D/2021-03-02/aaaa02/gs/pin.txt" "$PIN"
denied "$D/2021-03-03/aaaa03/gs/pin.txt" "$PIN"
denied "$D/2021-03-04/aaaa04/gs/evil/pin.txt" "$PIN"
denied "$D/2021-03-05/aaaa05/gs/pin.txt" "$PIN"
denied "$D/2021-03-06/aaaa06/gs/pipe" "$PIN"
denied "$D/2021-03-07/aaaa07/gs/part.avro" "$ROOT/good/part.avro"
denied "$D/2021-03-08/aaaa08/gs/secret/pin.txt" "$PIN"
grep -q "outside the file:// data roots (file_roots): not served" "$W/lybfs.log" || fail "no confinement log line"
grep -q "a symlink or a path out of the file:// data root" "$W/lybfs.log" || fail "no symlink log line"
grep -q "neither crc32c nor md5 for it: not served" "$W/lybfs.log" || fail "no checksum log line"
[ ! -e "$MNT/t.Hk/2021-03-09" ] || fail "a version with '..' in an object key is listed"
echo "hostile reads refused: $n"

step "legit data still reads byte-exact, the hard link inside the root too"
cmp "$ROOT/good/part.avro" "$D/2021-01-01/$VG/gs/part.avro" || fail "legit data differs"
cmp "$ROOT/good/part.avro" "$D/2021-01-02/$VL/gs/part.avro" || fail "hard link differs"
runuser -u $RD -- cat "$D/2021-01-01/$VG/gs/part.avro" | cmp - "$ROOT/good/part.avro" ||
	fail "the reader cannot read legit data"

step "a non-reader sees no checksum, nor any of a version's attributes; a reader does"
F=$D/2021-01-01/$VG/gs/part.avro
MD5=$(b64md5 "$ROOT/good/part.avro")
all=$(runuser -u $NR -- getfattr -d -m - "$F" 2>&1) || fail "getfattr -d as $NR: $all"
[ -z "$all" ] || fail "$NR sees a version's attributes: $all"
expect_errno "No such attribute" runuser -u $NR -- getfattr -n user.lyb.md5 "$F"
expect_errno "No such attribute" runuser -u $NR -- getfattr -n user.lyb.crc32c "$F"
expect_errno "No such attribute" runuser -u $NR -- getfattr --absolute-names -n user.lyb.size "$F"
expect_errno "Permission denied" runuser -u $NR -- cat "$D/2021-01-01/$VG/.lyb/info.json"
[ "$(runuser -u $NR -- stat -c %s "$F")" = "$(stat -c %s "$ROOT/good/part.avro")" ] || fail "$NR sees no size"
info=$(runuser -u $RD -- cat "$D/2021-01-01/$VG/.lyb/info.json") || fail "info.json as $RD"
jq -e '[.. | objects | keys[] | select(. == "md5" or . == "crc32c" or . == "digest")] | length == 0' \
	<<<"$info" >/dev/null || fail "info.json shows a digest: $info"
case $info in *"$MD5"*) fail "info.json has the md5" ;; esac
[ "$(runuser -u $RD -- getfattr --only-values -n user.lyb.md5 "$F")" = "$MD5" ] ||
	fail "the reader does not get user.lyb.md5"
runuser -u $RD -- getfattr -d -m - "$F" | grep -q '^user.lyb.crc32c=' || fail "the reader's list has no crc32c"
runuser -u $RD -- getfattr -d -m - "$F" | grep -q '^user.lyb.size=' || fail "the reader's list has no size"
jq -e --arg p "user:$NR@thecompany.com" -s \
	'any(.[]; .principal == $p and .op == "getxattr" and .decision == "deny")' "$AUDIT" >/dev/null ||
	fail "no audited getxattr denial for $NR"

step "the daemon is alive"
kill -0 "$LYBFS_PID" || fail "lybfs died"
cmp "$ROOT/good/part.avro" "$F" || fail "mount unhealthy"
echo "PASS"
