#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A hostile writer of a format 2 catalog against a real mount, read by a
# real second account. A commit that does not parse, is too large or is
# another DataSet's makes that DataSet's data fail closed (EACCES) at
# once while the others read on; forged, garbage and 10,000 journal
# entries hide nothing; an entry planted past the journal's tail (where
# writers then append) does not stop the mount from seeing new commits;
# pages replaced by other bytes, a FIFO, a symlink or a directory give
# EIO within seconds, never other bytes; 8 parallel publishes give 8
# versions; `lyb publish` killed at random leaves only whole versions; a
# revoke racing publishes wins. The daemon stays up throughout.
LYB_TEST_FORMAT=2
. "$(dirname "$0")/lib.sh"
for c in jq timeout mkfifo; do
	command -v $c >/dev/null || skip "$c is not installed"
done

U=lybrtreader
accounts "$U"

fixture
chmod 755 "$W"
V2D=$W/catalog/v2
lyb dataset create t.Other --owner group:data-team --reader domain:thecompany.com >/dev/null
VO=$(lyb publish t.Other 2020-09-03 --gs "file://$SRC/2020-09-03-1/gs")
lyb access grant t.Data "user:$U@thecompany.com" >/dev/null
mount_lybfs
GS=$MNT/t.Data/2020-09-03/$V2/gs/part-00000.avro
OTHER=$MNT/t.Other/2020-09-03/$VO/gs/part-00000.avro
as() { runuser -u "$U" -- "$@"; }
alive() { kill -0 "$LYBFS_PID" 2>/dev/null || fail "lybfs died: $*"; }
wait_for sh -c "runuser -u $U -- cat '$GS' | cmp -s - '$SRC/2020-09-03-2/gs/part-00000.avro'" ||
	fail "$U cannot read t.Data before the attacks"
as cmp "$SRC/2020-09-03-1/gs/part-00000.avro" "$OTHER" || fail "t.Other before"

# the journal's tail (entries are dense up to it)
tail_g() {
	local g=0
	while [ -e "$(printf '%s/journal/%020d.json' "$V2D" $((g + 1)))" ]; do g=$((g + 1)); done
	echo $g
}
# announce G NAME COMMIT: a journal entry, written by the attacker
announce() {
	printf '{"lybrary":2,"kind":"announce","seq":%d,"dataset":"%s","commit":%d}\n' \
		"$1" "$2" "$3" >"$(printf '%s/journal/%020d.json' "$V2D" "$1")"
}
head_of() { ls "$V2D/datasets/${1%%.*}/${1#*.}" | grep -E '^[0-9]{12}\.json$' | sort | tail -1 | sed 's/\.json$//; s/^0*//'; }
denied() { ! as cat "$1" >/dev/null 2>"$W/err" && grep -q "Permission denied" "$W/err"; }
readable() { as cat "$1" | cmp -s - "$2"; }

step "a commit that does not parse: t.Data fails closed, t.Other reads on"
N=$(head_of t.Data)
BAD=$(printf '%s/datasets/t/Data/%012d.json' "$V2D" $((N + 1)))
printf '{"lybrary":2,"kind":"commit",' >"$BAD"
announce $(($(tail_g) + 1)) t.Data $((N + 1))
wait_for denied "$GS" || fail "t.Data still served after its commit broke"
readable "$OTHER" "$SRC/2020-09-03-1/gs/part-00000.avro" || fail "t.Other stopped reading"
sleep 1.5 # a few refreshes later: still denied (the entry was consumed)
denied "$GS" || fail "t.Data served again after the bad commit's announcement was read"
alive "after a bad commit"

step "a commit of another DataSet, and one over 1 MiB: the same"
rm -f "$BAD"
lyb publish t.Data 2020-09-04 --gs "file://$SRC/2020-09-01-1/gs" >/dev/null
wait_for readable "$GS" "$SRC/2020-09-03-2/gs/part-00000.avro" || fail "t.Data did not come back"
N=$(head_of t.Data)
cp "$(printf '%s/datasets/t/Other/%012d.json' "$V2D" "$(head_of t.Other)")" \
	"$(printf '%s/datasets/t/Data/%012d.json' "$V2D" $((N + 1)))"
announce $(($(tail_g) + 1)) t.Data $((N + 1))
wait_for denied "$GS" || fail "t.Data served with t.Other's commit as its head"
rm -f "$(printf '%s/datasets/t/Data/%012d.json' "$V2D" $((N + 1)))"
lyb publish t.Data 2020-09-05 --gs "file://$SRC/2020-09-01-1/gs" >/dev/null
wait_for readable "$GS" "$SRC/2020-09-03-2/gs/part-00000.avro" || fail "t.Data did not come back"
N=$(head_of t.Data)
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >"$(printf '%s/datasets/t/Data/%012d.json' "$V2D" $((N + 1)))"
announce $(($(tail_g) + 1)) t.Data $((N + 1))
wait_for denied "$GS" || fail "t.Data served with a huge head commit"
readable "$OTHER" "$SRC/2020-09-03-1/gs/part-00000.avro" || fail "t.Other stopped reading"
rm -f "$(printf '%s/datasets/t/Data/%012d.json' "$V2D" $((N + 1)))"
lyb publish t.Data 2020-09-06 --gs "file://$SRC/2020-09-01-1/gs" >/dev/null
wait_for readable "$GS" "$SRC/2020-09-03-2/gs/part-00000.avro" || fail "t.Data did not come back"
alive "after bad commits"

step "10,000 forged and garbage journal entries, then a real publish"
G=$(tail_g)
$PY - "$V2D/journal" "$G" <<'PYEOF'
import sys
d, g = sys.argv[1], int(sys.argv[2])
for i in range(10000):
    g += 1
    if i % 4 == 0:
        t = '{"lybrary":2,"kind":"announce","seq":%d,"dataset":"t.Ghost","commit":1}' % g
    elif i % 4 == 1:
        t = '{"lybrary":2,"kind":"announce","seq":%d,"dataset":"t.Data","commit":%d}' % (g, 10**9 + i)
    elif i % 4 == 2:
        t = '{"lybrary":2,"seq":%d,"dataset":"t.Other","commit":1}' % (g - 5)
    else:
        t = "x" * (2048 if i % 8 == 3 else 7)
    open("%s/%020d.json" % (d, g), "w").write(t)
PYEOF
VN=$(lyb publish t.Other 2020-09-07 --gs "file://$SRC/2020-09-03-2/gs")
for _ in 1 2 3; do # 4,096 entries a refresh
	wait_for test -d "$MNT/t.Other/2020-09-07/$VN" && break
done
readable "$MNT/t.Other/2020-09-07/$VN/gs/part-00000.avro" "$SRC/2020-09-03-2/gs/part-00000.avro" ||
	fail "the publish after 10,000 forged entries is not seen"
readable "$GS" "$SRC/2020-09-03-2/gs/part-00000.avro" || fail "t.Data lost to forged announcements"
alive "after 10,000 journal entries"

step "an entry planted past the journal's tail, where writers then append"
T=$(tail_g)
P=1
while [ $((P - 1)) -le $((T + 1)) ]; do P=$((P * 2)); done
announce $((P - 1)) t.Ghost 1
VH=$(lyb publish t.Other 2020-09-08 --gs "file://$SRC/2020-09-03-1/gs")
[ "$(tail_g)" -eq "$T" ] || fail "the publish did not append past the hole (the test proves nothing)"
# seen at the next idle marker check (30 refreshes of 0.5 s)
for _ in 1 2 3; do wait_for test -d "$MNT/t.Other/2020-09-08/$VH" && break; done
test -d "$MNT/t.Other/2020-09-08/$VH" || fail "a publish past a journal hole is never seen"
alive "after a journal hole"

step "a revoke after the hole is seen"
lyb access revoke t.Data "user:$U@thecompany.com" >/dev/null
for _ in 1 2 3; do wait_for denied "$GS" && break; done
denied "$GS" || fail "the revoke after a journal hole is not seen"
lyb access grant t.Data "user:$U@thecompany.com" >/dev/null
for _ in 1 2 3; do wait_for readable "$GS" "$SRC/2020-09-03-2/gs/part-00000.avro" && break; done

step "pages that are other bytes, a FIFO, a symlink, a directory: EIO"
for kind in bytes fifo symlink dir; do
	name=t.Page${kind^}
	lyb dataset create "$name" --owner group:data-team --reader domain:thecompany.com >/dev/null
	v=$(lyb publish "$name" 2020-09-03 --gs "file://$SRC/2020-09-03-1/gs")
	c=$(printf '%s/datasets/t/%s/%012d.json' "$V2D" "${name#t.}" "$(head_of "$name")")
	root=$(jq -r .trees.versions.root "$c")
	page=$V2D/datasets/t/${name#t.}/p/${root:0:2}/$root.json
	[ -f "$page" ] || fail "no page $page"
	cp "$page" "$W/page"
	rm -f "$page"
	case $kind in
	bytes) jq -c '.entries[0].v.rows = 1' "$W/page" >"$page" ;;
	fifo) mkfifo "$page" ;;
	symlink) ln -s "$(ls "$V2D"/datasets/t/Other/p/*/*.json | head -1)" "$page" ;;
	dir) mkdir "$page" ;;
	esac
	for _ in 1 2 3; do wait_for as ls "$MNT/$name" && break; done
	as ls "$MNT/$name" >/dev/null || fail "$name is not seen"
	if out=$(timeout 10 runuser -u "$U" -- ls "$MNT/$name/2020-09-03" 2>&1); then
		fail "$kind page: listed: $out"
	fi
	[ $? -ne 124 ] || fail "$kind page: listing hung"
	case $out in *"Input/output error"*) ;; *) fail "$kind page: $out" ;; esac
	if timeout 10 runuser -u "$U" -- cat "$MNT/$name/2020-09-03/$v/gs/part-00000.avro" >/dev/null 2>&1; then
		fail "$kind page: data served"
	fi
	alive "after a $kind page"
done
readable "$OTHER" "$SRC/2020-09-03-1/gs/part-00000.avro" || fail "t.Other stopped reading"

step "8 parallel publishes of distinct content: 8 versions"
lyb dataset create t.Busy --owner group:data-team --reader domain:thecompany.com >/dev/null
for i in $(seq 8); do
	mkdir -p "$W/d$i"
	make_avro "$W/d$i/p.avro" --rows 10 --seed "busy-$i"
done
PIDS=()
for i in $(seq 8); do
	(lyb publish t.Busy 2020-10-01 --gs "file://$W/d$i" >"$W/id$i" 2>"$W/err$i" || echo fail >"$W/failed$i") &
	PIDS+=($!)
done
wait "${PIDS[@]}" # not the daemon
ls "$W"/failed* >/dev/null 2>&1 && fail "a publisher failed: $(cat "$W"/err*)"
wait_for sh -c "[ \$(ls '$MNT/t.Busy/2020-10-01' | grep -vc latest) -eq 8 ]" ||
	fail "8 publishes gave $(ls "$MNT/t.Busy/2020-10-01" | grep -vc latest) versions"
for i in $(seq 8); do
	as cmp "$W/d$i/p.avro" "$MNT/t.Busy/2020-10-01/$(cat "$W/id$i")/gs/p.avro" || fail "version $i"
done

step "lyb publish killed at random points: only whole versions"
lyb dataset create t.Kill --owner group:data-team --reader domain:thecompany.com >/dev/null
k=0
for round in $(seq 10); do
	(
		for i in $(seq 20); do
			mkdir -p "$W/k$round-$i"
			# distinct content: the name tells which bytes it has
			cp "$W/d$(((i % 8) + 1))/p.avro" "$W/k$round-$i/p-$i-$round.avro"
			"$LYB_BIN" --catalog "$CAT" publish t.Kill 2020-10-02 \
				--gs "file://$W/k$round-$i" >/dev/null 2>&1 &
			echo $! >"$W/kpid"
			wait $! || true
		done
	) &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -9 "$pid" 2>/dev/null || true # the loop, then its publish
	[ -s "$W/kpid" ] && kill -9 "$(cat "$W/kpid")" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$W/kpid"
done
VK=$(lyb publish t.Kill 2020-10-03 --gs "file://$W/d1") || fail "t.Kill wedged after the kills"
wait_for test -d "$MNT/t.Kill/2020-10-03/$VK" || fail "the publish after the kills is not seen"
for v in $(ls "$MNT/t.Kill/2020-10-02" | grep -v latest); do
	f=$(as ls "$MNT/t.Kill/2020-10-02/$v/gs") || fail "version $v does not list"
	i=${f#p-}
	i=${i%%-*}
	as cmp "$W/d$(((i % 8) + 1))/p.avro" "$MNT/t.Kill/2020-10-02/$v/gs/$f" || fail "version $v: other bytes"
	k=$((k + 1))
done
echo "killed-publish versions verified: $k"
alive "after killed publishers"

step "a revoke racing publishes wins"
lyb dataset create t.Race --owner group:data-team --reader "user:$U@thecompany.com" >/dev/null
PIDS=()
for i in $(seq 4); do
	(for j in $(seq 5); do
		mkdir -p "$W/r$i-$j"
		cp "$W/d$i/p.avro" "$W/r$i-$j/p-$j.avro"
		lyb publish t.Race 2020-10-04 --gs "file://$W/r$i-$j" >/dev/null || echo fail >"$W/rfailed$i"
	done) &
	PIDS+=($!)
done
sleep 0.3
# written to the catalog itself (no control socket), racing the
# publishers there: the mount may not have seen t.Race yet
LYB_CONTROL= lyb access revoke t.Race "user:$U@thecompany.com" >/dev/null || fail "the revoke failed"
wait "${PIDS[@]}"
ls "$W"/rfailed* >/dev/null 2>&1 && fail "a racing publisher failed"
# the mount sees t.Race at its next refresh (the 10,000 forged journal
# entries above make that one slow), not at once
wait_for test -d "$MNT/t.Race/2020-10-04" || fail "t.Race/2020-10-04 is not seen"
v=$(ls "$MNT/t.Race/2020-10-04" | grep -v latest | head -1)
wait_for denied "$MNT/t.Race/2020-10-04/$v/gs/$(ls "$MNT/t.Race/2020-10-04/$v/gs")" ||
	fail "the revoke racing publishes was lost"
wait_for sh -c "[ \$(ls '$MNT/t.Race/2020-10-04' | grep -vc latest) -eq 20 ]" ||
	fail "racing publishes gave $(ls "$MNT/t.Race/2020-10-04" | grep -vc latest) versions, not 20"
jq -e --arg u "user:$U@thecompany.com" '.card.readers | index($u) | not' \
	"$(printf '%s/datasets/t/Race/%012d.json' "$V2D" "$(head_of t.Race)")" >/dev/null ||
	fail "the head commit still has the reader"
alive "at the end"
echo "PASS"
