#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile accounts against the catalog's writers (issue 12, items 3, 11,
# 12). (3) An account without write access holds flock -x on every file
# and directory of the catalog it can open: publish, dataset create,
# grant and revoke still finish within seconds, and a writer holding the
# writers' lock forever delays the others by a bounded time only. (11) A
# principal over the reader's limit is refused before anything is
# written. (12) A publish that would push a document over the reader's
# 64 MiB cap is refused, the document stays byte-for-byte; a document
# broken behind the writers' back makes the mount deny that DataSet's
# data and say so in health, while other DataSets read on.
LYB_TEST_FORMAT=1 # it edits format 1 documents directly (format 2: t_catalog2.sh)
. "$(dirname "$0")/lib.sh"
for c in flock jq timeout; do
	command -v $c >/dev/null || skip "$c is not installed"
done

U=lybwmallory
HOLDERS=()
drop_holders() {
	local p
	# each holder leads its own process group: runuser, flock and sleep
	for p in "${HOLDERS[@]}"; do kill -- -"$p" 2>/dev/null || true; done
	for p in "${HOLDERS[@]}"; do wait "$p" 2>/dev/null || true; done
	HOLDERS=()
}
trap 'rc=$?; set +e; drop_holders; cleanup "$rc"' EXIT
accounts "$U"

# the writers' own path: every change is written by lyb itself, not by
# the mount's control socket (which lyb would otherwise find)
export LYB_CONTROL=
fixture
chmod 755 "$W" # the account walks to the catalog and the mount
CATDIR=$W/catalog
DOC=$CATDIR/datasets/t.Data.json
lyb dataset create t.Other --owner group:data-team --reader domain:thecompany.com >/dev/null
VO=$(lyb publish t.Other 2020-09-03 --gs "file://$SRC/2020-09-03-1/gs")
mount_lybfs
D=$MNT/t.Data
GS=$D/2020-09-03/$V2/gs/part-00000.avro
OTHER=$MNT/t.Other/2020-09-03/$VO/gs/part-00000.avro
cmp "$SRC/2020-09-03-2/gs/part-00000.avro" "$GS" || fail "t.Data before"

# lybt ARGS...: lyb, killed after 30 s (a blocked writer fails the test)
lybt() { timeout 30 "$LYB_BIN" --catalog "$CAT" "$@"; }
# timed SECONDS CMD...: CMD succeeds within SECONDS
timed() {
	local limit=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$@" >"$W/out" 2>"$W/err" || fail "'$*' failed: $(cat "$W/err")"
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -le $((limit * 1000)) ] ||
		fail "'$*' took $(((t1 - t0) / 1000000)) ms"
}

# refused WANT CMD...: CMD fails, and its stderr ($W/err) mentions WANT
refused() {
	local want=$1
	shift
	if "$@" >"$W/out" 2>"$W/err"; then
		fail "'$*' succeeded, expected: $want"
	fi
	grep -qF -- "$want" "$W/err" || fail "'$*' said '$(cat "$W/err")', expected: $want"
}
# locked FILE: someone holds an flock on FILE
locked() { ! flock -n -x "$1" true; }

step "(3) the account cannot write the catalog"
if runuser -u "$U" -- touch "$CATDIR/datasets/.x" 2>/dev/null; then
	fail "$U can write the catalog: the test proves nothing"
fi
[ -e "$CATDIR/datasets/.lyb-writers.lock" ] || fail "no writers' lock after the fixture"
if runuser -u "$U" -- flock -n -x "$CATDIR/datasets/.lyb-writers.lock" true 2>/dev/null; then
	fail "$U can open and lock the writers' lock"
fi

step "(3) it holds flock -x on everything of the catalog it can open"
# what an upgraded catalog may still have: the old, world-readable lock
: >"$CATDIR/datasets/.lyb-lock"
chmod 644 "$CATDIR/datasets/.lyb-lock"
LOCKED=()
while IFS= read -r f; do
	if runuser -u "$U" -- flock -n -x "$f" true 2>/dev/null; then
		setsid runuser -u "$U" -- flock -x "$f" sleep 600 >/dev/null 2>&1 &
		HOLDERS+=($!)
		LOCKED+=("$f")
	fi
done < <(find "$CATDIR")
[ "${#LOCKED[@]}" -ge 4 ] || fail "only ${#LOCKED[@]} files lockable: the attack did not happen"
for f in "${LOCKED[@]}"; do wait_for locked "$f" || fail "$U did not get the lock of $f"; done
echo "$U holds ${#LOCKED[@]} locks: ${LOCKED[*]#$CATDIR}"

timed 5 lybt publish t.Data 2020-09-05 --gs "file://$SRC/2020-09-03-1/gs"
V5=$(cat "$W/out")
timed 5 lybt dataset create t.Hostile --owner group:x
timed 5 lybt access grant t.Data user:bob@thecompany.com
timed 5 lybt access revoke t.Data user:bob@thecompany.com
jq -e --arg v "$V5" 'any(.versions[]; .id == $v) and
	(.readers | index("user:bob@thecompany.com") | not)' "$DOC" >/dev/null ||
	fail "the writes under siege did not land"
wait_for test -d "$D/2020-09-05/$V5" || fail "the mount did not see the publish"
for p in "${HOLDERS[@]}"; do kill -0 "$p" || fail "a holder died: the attack stopped"; done
drop_holders

step "(3) a writer holding the writers' lock delays the others for a bounded time"
exec 8<"$CATDIR/datasets/.lyb-writers.lock" # this shell holds it, no child to reap
flock -x 8
t0=$(date +%s)
refused "catalog busy" lybt access grant t.Data user:bob@thecompany.com
t1=$(date +%s)
[ $((t1 - t0)) -le 15 ] || fail "the busy write took $((t1 - t0)) s"
grep -q "lock held by pid [0-9]" "$W/err" || fail "the busy error does not name the holder: $(cat "$W/err")"
exec 8<&-
timed 5 lybt access grant t.Data user:bob@thecompany.com

step "(11) a principal over the reader's limit is refused, nothing written"
cp "$DOC" "$W/doc.before"
LONG=domain:$(printf 'x%.0s' {1..250})
refused "longer than 256 bytes" lyb access grant t.Data "$LONG"
refused "longer than 256 bytes" lyb access revoke t.Data "$LONG"
cmp "$DOC" "$W/doc.before" || fail "the refused grant changed the document"
timed 5 lybt access revoke t.Data user:bob@thecompany.com
timed 5 lybt publish t.Data 2020-09-06 --gs "file://$SRC/2020-09-03-2/gs"
V6=$(cat "$W/out")
wait_for test -d "$D/2020-09-06/$V6" || fail "publish after the refused grant"
grep -q "^ok$" "$MNT/.lyb/health" || fail "health: $(cat "$MNT/.lyb/health")"

step "(12) a document just under the 64 MiB cap, then a publish that would cross it"
# pad the document to 64 MiB - 400 bytes (the reader's cap is 64 MiB: a
# grant fits, one more version does not) in lyb's own format, with access
# history (unknown fields are capped at 64 KiB, see t_hostile_caps)
$PY "$(dirname "$0")/pad_doc.py" "$DOC" $(((64 << 20) - 400)) || fail "padding"
[ "$(stat -c %s "$DOC")" -eq $(((64 << 20) - 400)) ] || fail "padding size"
lybt access grant t.Data user:carol@thecompany.com >/dev/null || fail "a grant under the cap"
SIZE=$(stat -c %s "$DOC")
[ "$SIZE" -le $((64 << 20)) ] || fail "a grant wrote $SIZE bytes"
cp "$DOC" "$W/doc.before"
refused "refusing to write DataSet t.Data: the document would be" \
	lyb publish t.Data 2020-09-07 --gs "file://$SRC/2020-09-03-1/gs"
grep -q "over the 64 MiB" "$W/err" || fail "the refusal does not name the limit: $(cat "$W/err")"
[ ! -s "$W/out" ] || fail "the refused publish printed a version id: $(cat "$W/out")"
cmp "$DOC" "$W/doc.before" || fail "the refused publish changed the document"
wait_for sh -c "jq -e '.readers | index(\"user:carol@thecompany.com\")' '$D/.lyb/info.json'" ||
	fail "the mount does not serve the padded document"
ls "$MNT" | grep -qx t.Data || fail "t.Data is not listed"
cmp "$SRC/2020-09-03-2/gs/part-00000.avro" "$GS" || fail "t.Data under the cap"
grep -q "^ok$" "$MNT/.lyb/health" || fail "health: $(cat "$MNT/.lyb/health")"

step "(12) a document over the cap, written behind the writers' back: t.Data fails closed"
printf '%*s' 1000 '' >>"$DOC"
bad_health() { grep -q "catalog document of t.Data does not load since .*larger than the 64 MiB read limit" "$MNT/.lyb/health"; }
wait_for bad_health || fail "health does not report the oversized document: $(cat "$MNT/.lyb/health")"
ls "$MNT" | grep -qx t.Data || fail "t.Data's names vanished"
refused "Permission denied" cat "$GS"
grep -q '"decision":"deny".*failing closed' "$AUDIT" || fail "the denial is not audited"
cmp "$SRC/2020-09-03-1/gs/part-00000.avro" "$OTHER" || fail "t.Other is not served"
grep -q "^lyb_catalog_bad_documents 1$" "$MNT/.lyb/metrics" || fail "metrics"

step "(12) a hand-corrupted document: the same, and a good document heals it"
printf '{"lybrary": 1, "name": ' >"$DOC"
wait_for sh -c "grep -q 'catalog document of t.Data does not load since .*json' '$MNT/.lyb/health'" ||
	fail "health does not report the corrupt document: $(cat "$MNT/.lyb/health")"
refused "Permission denied" cat "$GS"
cmp "$SRC/2020-09-03-1/gs/part-00000.avro" "$OTHER" || fail "t.Other is not served"
refused "t.Data.json" lyb access revoke t.Data user:carol@thecompany.com
cp "$W/doc.before" "$DOC"
touch "$DOC"
wait_for grep -q "^ok$" "$MNT/.lyb/health" || fail "health after repair: $(cat "$MNT/.lyb/health")"
cmp "$SRC/2020-09-03-2/gs/part-00000.avro" "$GS" || fail "t.Data after repair"
step "a document that is a symlink to a host file: not read, its bytes never logged"
printf 'zqxsecretpin:x:0:0\n' >"$W/host-secret"
chmod 0600 "$W/host-secret"
ln -s "$W/host-secret" "$CATDIR/datasets/t.Evil.json"
# a few refreshes of the daemon
sleep 2
ls "$MNT" | grep -qx t.Evil && fail "a symlinked document became a DataSet"
grep -q zqxsecretpin "$W/lybfs.log" && fail "the daemon logged the symlink target's bytes"
lyb ls >/dev/null 2>"$W/ls.err" || true
grep -q zqxsecretpin "$W/ls.err" && fail "lyb printed the symlink target's bytes"
rm "$CATDIR/datasets/t.Evil.json"
kill -0 "$LYBFS_PID" || fail "lybfs died"
echo "PASS"
