#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Per-user access control on a shared mount, with real Unix users:
# lybalice is a reader, lybbob is not, lybcarol is in the owner group,
# lybdave is in a group that is a reader. Every way to read data is denied
# to bob without a byte and audited; the others read byte-exact. bob asks,
# cannot grant himself, carol grants, bob reads within the refresh time,
# carol revokes (a file bob has open stays readable), bob is denied again.
# What is public is the DataSet's card; its versions are for readers.
# The audit log is JSON lines, 0600, reopened on SIGHUP. The ACL survives
# a daemon restart.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
for c in jq; do
	command -v $c >/dev/null || skip "$c is not installed"
done

accounts lybalice lybbob lybowners:lybcarol lybgranted:lybdave

fixture
chmod 755 "$W" # the users walk to the mount, the config and the sources
CTL=$W/control.sock
echo "control = $CTL" >>"$LYB_CONFIG"
lyb dataset create t.Acl --owner group:lybowners --description "acl test" \
	--reader user:lybalice@thecompany.com --reader group:lybgranted >/dev/null
VA=$(lyb publish t.Acl 2020-09-03 --gs "file://$SRC/2020-09-03-2/gs" \
	--snow "snow://db/acl=file://$SRC/2020-09-03-2/snow")
mount_lybfs "control=$CTL"
D=$MNT/t.Acl
GS=$D/2020-09-03/$VA/gs/part-00000.avro
SNOW=$D/2020-09-03/$VA/snow/data_0_0_0.json.gz
SRC_GS=$SRC/2020-09-03-2/gs/part-00000.avro
SRC_SNOW=$SRC/2020-09-03-2/snow/data_0_0_0.json.gz

as() { local u=$1; shift; runuser -u "$u" -- "$@"; }
ulyb() { local u=$1; shift; runuser -u "$u" -- "$LYB_BIN" --catalog "$CAT" "$@"; }
denies() { # denies USER CMD...: fails with EACCES and prints nothing
	local u=$1 out
	shift
	if out=$(runuser -u "$u" -- "$@" 2>"$W/err"); then
		fail "$u: '$*' succeeded"
	fi
	[ -z "$out" ] || fail "$u: '$*' printed ${#out} bytes"
	grep -q "Permission denied" "$W/err" || fail "$u: '$*': $(cat "$W/err")"
}
audited() { # audited USER DECISION PATH-SUFFIX: a matching audit line exists
	jq -e --arg p "user:$1@thecompany.com" --arg d "$2" --arg s "$3" \
		-s 'any(.[]; .principal == $p and .decision == $d and (.path | endswith($s)))' \
		"$AUDIT" >/dev/null || fail "no $2 audit line for $1 on $3: $(tail -n 3 "$AUDIT")"
}

step "readers, owners and granted groups read byte-exact"
for u in lybalice lybcarol lybdave; do
	as $u cat "$GS" | cmp - "$SRC_GS" || fail "$u: gs copy differs"
	as $u cat "$SNOW" | cmp - "$SRC_SNOW" || fail "$u: snow copy differs"
	as $u cat "$D/latest/gs/part-00000.avro" | cmp - "$SRC_GS" || fail "$u: through latest"
	as $u ls "$D/2020-09-03/$VA/gs" >/dev/null || fail "$u: listing"
	as $u head -n 1 "$D/2020-09-03/$VA/data.jsonl" | jq -e . >/dev/null || fail "$u: data.jsonl"
	as $u head -n 1 "$D/2020-09-03/$VA/data.avro.json" | jq -e . >/dev/null || fail "$u: data.avro.json"
done
audited lybalice allow "gs/part-00000.avro"
audited lybcarol allow "gs/part-00000.avro"
audited lybdave allow "snow/data_0_0_0.json.gz"

step "bob: every way to read data is EACCES, without a byte"
: >"$W/bob.out"
denies lybbob cat "$GS"
denies lybbob cat "$SNOW"
denies lybbob cat "$D/latest/gs/part-00000.avro"
denies lybbob cat "$D/2020-09-03/latest/gs/sub/part-00001.avro"
denies lybbob cat "$D/2020-09-03/$VA/gs/sub/part-00001.avro"
denies lybbob cat "$D/2020-09-03/../2020-09-03/$VA/gs/part-00000.avro"
denies lybbob dd if="$GS" of=/dev/stdout bs=4096 count=1 status=none
denies lybbob head -c 100 "$GS"
denies lybbob $PY -c 'import sys; sys.stdout.write(open(sys.argv[1], "rb").read(10).hex())' "$GS"
denies lybbob $PY -c 'import mmap, sys; f = open(sys.argv[1], "rb"); print(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)[:4])' "$GS"
denies lybbob ls "$D/2020-09-03"
denies lybbob ls "$D/2020-09-03/$VA/gs"
denies lybbob head -n 1 "$D/2020-09-03/$VA/data.jsonl"
denies lybbob jq . "$D/latest/data.jsonl"
denies lybbob head -n 1 "$D/2020-09-03/$VA/data.avro.json"
for p in "$VA/gs/part-00000.avro" "$VA/snow/data_0_0_0.json.gz" "$VA/gs/sub/part-00001.avro" "t.Acl/2020-09-03" "$VA/data.jsonl" "$VA/data.avro.json"; do
	audited lybbob deny "$p"
done

step "access(2) answers as open would, without an audit line"
n=$(wc -l <"$AUDIT")
as lybbob test -r "$GS" && fail "test -r says bob may read"
as lybalice test -r "$GS" || fail "test -r says alice may not read"
as lybbob test -r "$D/.lyb/info.json" || fail "test -r on metadata"
as lybalice test -x "$GS" && fail "a data file is executable"
[ "$(wc -l <"$AUDIT")" = "$n" ] || fail "access(2) was audited"

step "the card is public, the versions are for readers (one rule for the mount and lyb)"
[ "$(as lybbob stat -c %s "$GS")" = "$(stat -c %s "$SRC_GS")" ] || fail "bob sees no size"
as lybbob jq -e '.name == "t.Acl"' "$D/.lyb/info.json" >/dev/null || fail "bob cannot read the card"
as lybbob grep -q "^state:" "$D/.lyb/status" || fail "bob cannot read the status"
[ "$(as lybbob readlink "$D/latest")" = "2020-09-03/latest" ] || fail "bob cannot see the latest date"
as lybbob getfattr --absolute-names --only-values -n user.lyb.freshness "$D" >/dev/null || fail "bob cannot see the freshness"
grep -q "^access: none" <<<"$(as lybbob cat "$D/.lyb/access")" || fail "bob's .lyb/access: $(as lybbob cat "$D/.lyb/access")"
grep -q "^access: granted (reader user:lybalice@thecompany.com)" <<<"$(as lybalice cat "$D/.lyb/access")" ||
	fail "alice's .lyb/access: $(as lybalice cat "$D/.lyb/access")"
# the dates, the versions of a date, their records, lineage and locations
denies lybbob ls "$D"
denies lybbob readlink -v "$D/2020-09-03/latest"
denies lybbob head -c 10 "$D/2020-09-03/$VA/.lyb/info.json"
denies lybbob head -c 10 "$D/2020-09-03/$VA/.lyb/schema.avsc"
denies lybbob ls "$D/2020-09-03/$VA/.lyb"
[ -z "$(as lybbob getfattr --absolute-names -d -m - "$GS" 2>&1)" ] || fail "bob sees a version's attributes: $(as lybbob getfattr -d -m - "$GS" 2>&1)"
expect_errno "No such attribute" runuser -u lybbob -- getfattr --absolute-names -n user.lyb.location "$GS"
audited lybbob deny "t.Acl"
audited lybbob deny "$VA/.lyb/info.json"
for u in lybalice lybcarol lybdave; do
	grep -qx 2020-09-03 <<<"$(as $u ls "$D")" || fail "$u does not see the dates"
	[ "$(as $u readlink "$D/2020-09-03/latest")" = "$VA" ] || fail "$u: the date's latest"
	as $u jq -e '.locations' "$D/2020-09-03/$VA/.lyb/info.json" >/dev/null || fail "$u: the version record"
	as $u getfattr --absolute-names --only-values -n user.lyb.location "$GS" | grep -q "^file://" || fail "$u: the location"
done

step "the audit log: JSON lines, mode 0600, every field"
[ "$(stat -c %a "$AUDIT")" = 600 ] || fail "audit log mode $(stat -c %a "$AUDIT")"
jq -e . "$AUDIT" >/dev/null || fail "audit log is not JSON lines"
jq -s -e --arg v "$VA" 'map(select(.principal == "user:lybbob@thecompany.com" and .op == "open" and .comm == "cat"))
	| length > 0 and all(.[]; (.uid > 0) and (.pid > 0) and .dataset == "t.Acl" and .date == "2020-09-03"
	  and .version == $v and (.location == "gs" or .location == "snow") and .decision == "deny"
	  and .reason == "not a reader" and (.time | test("^[0-9-]{10}T[0-9:.]{12}Z$")))' "$AUDIT" >/dev/null ||
	fail "bob's cat is not audited with every field: $(grep lybbob "$AUDIT" | head -n 2)"
lyb audit t.Acl >"$W/audit.txt" || fail "lyb audit failed"
grep -q "deny .*user:lybbob@thecompany.com .*cat" "$W/audit.txt" || fail "lyb audit shows no denial: $(cat "$W/audit.txt")"

step "lyb ls and lyb head honour the ACL"
out=$(ulyb lybbob ls t.Acl 2>&1) && fail "lyb ls as bob succeeded"
[ "$out" = "Access denied. User lybbob@thecompany.com does not have read access to DataSet t.Acl
Request it with: lyb access request t.Acl --reason \"...\"" ] ||
	fail "lyb ls as bob said: $out"
ulyb lybbob head -n 1 t.Acl >/dev/null 2>&1 && fail "lyb head as bob succeeded"
grep -q "$VA" <<<"$(ulyb lybalice ls t.Acl)" || fail "lyb ls as alice"

step "bob requests access; nobody can file a change as someone else"
# without the mount, bob cannot write the root-owned catalog at all
LYB_CONTROL= ulyb lybbob access request t.Acl >/dev/null 2>&1 && fail "bob wrote the catalog directly"
grep -q "as user:lybbob@thecompany.com" <<<"$(ulyb lybbob access request t.Acl --reason "genre study")" ||
	fail "bob's request"
expect_errno "pending request already" ulyb lybbob access request t.Acl
expect_errno "Your request of " ulyb lybbob ls t.Acl
grep -q "is pending: an owner (group:lybowners) or an admin grants it with: lyb access grant t.Acl user:lybbob@thecompany.com" \
	<<<"$(ulyb lybbob ls t.Acl 2>&1)" || fail "bob's pending lyb ls: $(ulyb lybbob ls t.Acl 2>&1)"
expect_errno "may not change who reads" ulyb lybbob access grant t.Acl user:lybbob@thecompany.com
expect_errno "may not change who reads" ulyb lybalice access grant t.Acl user:lybbob@thecompany.com
expect_errno "may not change who reads" ulyb lybbob access revoke t.Acl user:lybalice@thecompany.com
grep -q "user:lybbob@thecompany.com  since .*reason: genre study" <<<"$(lyb access list t.Acl)" ||
	fail "access list: $(lyb access list t.Acl)"
wait_for sh -c "runuser -u lybbob -- cat '$D/.lyb/access' >'$W/acc' && grep -q '^access: pending since' '$W/acc'" ||
	fail "bob's .lyb/access: $(as lybbob cat "$D/.lyb/access")"
denies lybbob cat "$GS"

step "carol grants; bob reads within the refresh time"
ulyb lybcarol access grant t.Acl user:lybbob@thecompany.com >/dev/null || fail "carol's grant"
t0=$(date +%s.%N)
wait_for sh -c "runuser -u lybbob -- cat '$GS' | cmp -s - '$SRC_GS'" || fail "bob cannot read after the grant"
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 5) }' || fail "the grant took 5 s or more"
audited lybbob allow "gs/part-00000.avro"
grep -q "grant   user:lybbob@thecompany.com  by user:lybcarol@thecompany.com" <<<"$(lyb access list t.Acl)" ||
	fail "history has no grant by carol: $(lyb access list t.Acl)"
if [ "$LYB_TEST_FORMAT" = 1 ]; then
	jq -e '.access.history | map(.action) == ["request", "grant"]' "$W/catalog/datasets/t.Acl.json" >/dev/null ||
		fail "catalog history: $(jq .access "$W/catalog/datasets/t.Acl.json")"
fi

step "carol revokes: bob's open file stays readable, new opens are denied"
mkdir -m 1777 "$W/tmp"
as lybbob $PY - "$GS" "$W/tmp/opened" >"$W/held.out" 2>&1 <<'PYEOF' &
import hashlib, sys, time
f = open(sys.argv[1], "rb")
open(sys.argv[2], "w").close()
for _ in range(100):
    try:
        open(sys.argv[1], "rb").close()
    except PermissionError:
        print("denied", hashlib.md5(f.read()).hexdigest())
        sys.exit(0)
    time.sleep(0.1)
print("never denied")
PYEOF
held=$!
wait_for test -e "$W/tmp/opened" || fail "bob's reader did not start"
ulyb lybcarol access revoke t.Acl user:lybbob@thecompany.com >/dev/null || fail "carol's revoke"
wait $held || fail "bob's reader failed: $(cat "$W/held.out")"
[ "$(cat "$W/held.out")" = "denied $(md5sum <"$SRC_GS" | cut -d' ' -f1)" ] ||
	fail "open file after revoke: $(cat "$W/held.out")"
denies lybbob cat "$GS"
grep -q "revoke  user:lybbob@thecompany.com  by user:lybcarol@thecompany.com" <<<"$(lyb access list t.Acl)" ||
	fail "history has no revoke"

step "SIGHUP reopens the audit log after rotation"
mv "$AUDIT" "$AUDIT.1"
kill -HUP "$LYBFS_PID"
sleep 0.2
mountpoint -q "$MNT" || fail "SIGHUP unmounted"
as lybalice cat "$GS" >/dev/null || fail "alice after SIGHUP"
[ -s "$AUDIT" ] || fail "no new audit log after SIGHUP"
[ "$(stat -c %a "$AUDIT")" = 600 ] || fail "new audit log mode"
audited lybalice allow "gs/part-00000.avro"
jq -e . "$AUDIT.1" "$AUDIT" >/dev/null || fail "rotated logs are not JSON lines"

step "the ACL survives a daemon restart unchanged"
before=$(lyb access list t.Acl)
unmount_lybfs
mount_lybfs "control=$CTL"
[ "$(lyb access list t.Acl)" = "$before" ] || fail "access list changed across a restart"
as lybalice cat "$GS" | cmp - "$SRC_GS" || fail "alice after restart"
denies lybbob cat "$GS"

step "an admin of the configuration file grants by writing the catalog itself"
LYB_CONTROL= lyb access grant t.Acl domain:thecompany.com >/dev/null || fail "root's direct grant"
lyb access list t.Acl | grep -q "grant   domain:thecompany.com  by user:root@thecompany.com" ||
	fail "history: $(lyb access list t.Acl)"
wait_for sh -c "runuser -u lybbob -- cat '$GS' | cmp -s - '$SRC_GS'" || fail "bob cannot read with domain:"

step "a catalog unreadable past acl_max_stale: data fails closed, metadata stays"
unmount_lybfs
mount_lybfs "control=$CTL,acl_max_stale=1"
as lybalice cat "$GS" | cmp - "$SRC_GS" || fail "alice before the outage"
mv "$W/catalog" "$W/catalog.away"
for _ in 1 2; do wait_for grep -q "catalog unreachable" "$W/lybfs.log" && break; done # format 2: the marker is looked at every 30 idle refreshes
grep -q "catalog unreachable" "$W/lybfs.log" || fail "the outage was not noticed"
sleep 2.5 # acl_max_stale is compared in whole seconds
denies lybalice cat "$GS"
as lybalice jq -e .name "$D/.lyb/info.json" >/dev/null || fail "metadata went away with the catalog"
jq -e 'select(.principal == "user:lybalice@thecompany.com" and .decision == "deny")
	| select(.reason | test("failing closed"))' "$AUDIT" >/dev/null || fail "no fail-closed audit line"
mv "$W/catalog.away" "$W/catalog"
wait_for sh -c "runuser -u lybalice -- cat '$GS' | cmp -s - '$SRC_GS'" || fail "alice after the catalog came back"
echo "PASS"
