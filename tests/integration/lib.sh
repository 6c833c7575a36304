# SPDX-License-Identifier: Apache-2.0
# Shared by the integration tests (sourced, not run). Each test gets a
# work dir, builds a catalog with the real `lyb`, mounts the real `lybfs`
# in the foreground as a child, and always unmounts from the EXIT trap.
# Exit 77 means "skipped" to ctest.
set -euo pipefail

: "${LYB_BUILD:?LYB_BUILD must point at the build directory}"
: "${LYB_SRC:?LYB_SRC must point at the source directory}"
LYB_BIN=$LYB_BUILD/lyb
LYBFS_BIN=$LYB_BUILD/lybfs
PY=/usr/bin/python3 # Debian's, which has python3-avro

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

[ "$(id -u)" -eq 0 ] || skip "integration tests mount FUSE and need root"
[ -c /dev/fuse ] || skip "no /dev/fuse on this machine"
command -v fusermount3 >/dev/null || skip "fusermount3 is not installed"
$PY -c 'import avro' 2>/dev/null || fail "python3-avro is missing (scripts/deps.sh installs it)"

W=$(mktemp -d /tmp/lyb-it.XXXXXX)
MNT=$W/mnt
CAT=file://$W/catalog
LYBFS_PID=
mkdir -p "$MNT"
# The catalog format the test's catalog is made in: 2 (what lyb makes)
# unless LYB_TEST_FORMAT=1 (ctest runs the catalog-touching tests in both;
# a test about format 1 documents sets it itself before sourcing this).
LYB_TEST_FORMAT=${LYB_TEST_FORMAT:-2}
if [ "$LYB_TEST_FORMAT" = 1 ]; then
	mkdir -p "$W/catalog"
	printf '{\n  "lybrary": 1\n}\n' >"$W/catalog/lybrary.json"
fi
AUDIT=$W/audit.log
# Each test's mounts keep their runtime files (settings for lyb, default
# control sockets: mounts.h) in its own directory, never in /run/lybfs;
# lybfs makes it, lyb (and runuser'd lyb) finds mounts through it.
export LYB_RUN_DIR=$W/run
# Access control has no root special case: the tests' root is an admin,
# for the CLI (this config) and the mount (mount_lybfs). t_acl.sh uses
# real users for everything else.
export LYB_CONFIG=$W/lyb.conf
# file:// data is served only under file_roots (the default is the
# catalog's own tree): the tests' sources live anywhere under $W.
printf 'domain = thecompany.com\nadmin = user:root@thecompany.com\naudit = %s\nfile_roots = %s\n' "$AUDIT" "$W" >"$LYB_CONFIG"

unmount_lybfs() {
	local i
	# every mount on $MNT, stacked ones too
	for i in 1 2 3 4 5; do
		grep -q " $MNT " /proc/self/mounts || break
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT" 2>/dev/null || true
	done
	if [ -n "$LYBFS_PID" ]; then
		# the daemon exits once unmounted; make sure of it
		for _ in $(seq 50); do kill -0 "$LYBFS_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$LYBFS_PID" 2>/dev/null || true
		wait "$LYBFS_PID" 2>/dev/null || true
		LYBFS_PID=
	fi
	# any started by hand: on this catalog and a mount point of this test's
	# (other tests may mount the same gs:// catalog URL from their own server)
	pkill -9 -f -- "-o catalog=$CAT.* $W/" 2>/dev/null || true
}

# accounts [GROUP:]USER...: the test's Unix accounts, each in the group
# users (and in GROUP), deleted before (left by an interrupted run) and
# again by cleanup. A GROUP the host lacks is made, and removed again; one
# it has is joined and left alone. Skips without the tools. The names must
# be the script's own: tests/CMakeLists.txt gives each name a
# RESOURCE_LOCK (it reads them from this call), so no two tests use one
# at once.
ACCOUNTS=
ACCOUNT_GROUPS=
drop_accounts() {
	local n
	for n in $ACCOUNTS; do userdel "$n" 2>/dev/null || true; done
	for n in $ACCOUNT_GROUPS; do groupdel "$n" 2>/dev/null || true; done
}
accounts() {
	local a c g
	for c in useradd userdel groupadd groupdel runuser getent; do
		command -v $c >/dev/null || skip "$c is not installed"
	done
	for a; do
		ACCOUNTS="$ACCOUNTS ${a##*:}"
		userdel "${a##*:}" 2>/dev/null || true
	done
	for a; do
		[ "$a" != "${a##*:}" ] || continue
		g=${a%%:*}
		getent group "$g" >/dev/null && continue
		groupadd "$g"
		ACCOUNT_GROUPS="$ACCOUNT_GROUPS $g"
	done
	for a; do
		if [ "$a" = "${a##*:}" ]; then
			useradd -M -N -g users "$a"
		else
			useradd -M -N -g users -G "${a%%:*}" "${a##*:}"
		fi
	done
}

# cleanup [RC]: unmounts, drops the accounts, removes $W and exits with
# RC (default: the status it was called with). A test's own EXIT trap
# stops what it started, then calls `cleanup "$rc"` with the status it saved.
cleanup() {
	local rc=${1:-$?}
	set +e
	unmount_lybfs
	drop_accounts
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -s "$W/lybfs.log" ]; then
		echo "--- lybfs log:" >&2
		tail -n 40 "$W/lybfs.log" >&2
	fi
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT

lyb() { "$LYB_BIN" --catalog "$CAT" "$@"; }

# mount_lybfs [extra -o options]: mounts $CAT on $MNT and waits for it.
mount_lybfs() {
	local opts="catalog=$CAT,refresh=0.5,allow_other,audit=$AUDIT,admin=user:root@thecompany.com${1:+,$1}"
	"$LYBFS_BIN" -f -o "$opts" "$MNT" 2>>"$W/lybfs.log" &
	LYBFS_PID=$!
	for _ in $(seq 100); do
		mountpoint -q "$MNT" && return 0
		kill -0 "$LYBFS_PID" 2>/dev/null || fail "lybfs exited before mounting: $(cat "$W/lybfs.log")"
		sleep 0.1
	done
	fail "lybfs did not mount within 10 s"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on just now.
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# make_avro OUT [make_avro.py options]: an Avro file from python3-avro.
make_avro() { $PY "$LYB_SRC/tests/integration/make_avro.py" "$@"; }

# wait_for CMD...: polls CMD for up to 10 s.
wait_for() {
	for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# The standard fixture: DataSet t.Data with dates 2020-09-01 (one version)
# and 2020-09-03 (two versions: $V1 then $V2), Avro under gs (python3-avro,
# nested subdirectory included) and a gzip JSON export under snow.
# Sources live under $SRC/<date>-<n>/{gs,snow}.
fixture() {
	SRC=$W/src
	local d n
	for d in 2020-09-01-1 2020-09-03-1 2020-09-03-2; do
		mkdir -p "$SRC/$d/gs/sub" "$SRC/$d/snow"
		n=${d##*-}
		make_avro "$SRC/$d/gs/part-00000.avro" --rows $((500 * n)) --seed "$d"
		make_avro "$SRC/$d/gs/sub/part-00001.avro" --rows 300 --codec deflate --seed "$d-b"
		$PY - "$SRC/$d/snow/data_0_0_0.json.gz" "$d" <<'PYEOF'
import gzip, json, sys
with gzip.open(sys.argv[1], "wt") as f:
    for i in range(1000):
        f.write(json.dumps({"artist_id": "%s-%d" % (sys.argv[2], i), "n": i}) + "\n")
PYEOF
	done
	lyb dataset create t.Data --owner group:data-team --description "test data" \
		--slo "daily 08:00" --reader user:alice@thecompany.com >/dev/null
	V0=$(lyb publish t.Data 2020-09-01 --gs "file://$SRC/2020-09-01-1/gs" \
		--snow "snow://db/data=file://$SRC/2020-09-01-1/snow")
	V1=$(lyb publish t.Data 2020-09-03 --gs "file://$SRC/2020-09-03-1/gs" \
		--snow "snow://db/data=file://$SRC/2020-09-03-1/snow")
	sleep 1.1 # distinct publish times order the two versions of one date
	V2=$(lyb publish t.Data 2020-09-03 --gs "file://$SRC/2020-09-03-2/gs" \
		--snow "snow://db/data=file://$SRC/2020-09-03-2/snow")
	[ -n "$V0" ] && [ -n "$V1" ] && [ -n "$V2" ] || fail "publish printed no id"
}

# expect_errno TEXT CMD...: CMD fails and its stderr mentions TEXT.
expect_errno() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "'$*' succeeded, expected: $want"
	fi
	case $out in
	*"$want"*) ;;
	*) fail "'$*' said '$out', expected: $want" ;;
	esac
}

# same_records EXPECTED.jsonl GOT.jsonl: equal as JSON, record by record,
# and every line of GOT is one JSON object (json.loads per line).
same_records() {
	$PY - "$1" "$2" <<'PYEOF'
import json, sys
want = [json.loads(l) for l in open(sys.argv[1])]
got = []
for i, l in enumerate(open(sys.argv[2], "rb")):
    assert l.endswith(b"\n"), "line %d has no newline" % i
    got.append(json.loads(l))
assert len(want) == len(got), "%d records, want %d" % (len(got), len(want))
for i, (w, g) in enumerate(zip(want, got)):
    assert w == g, "record %d differs:\n got  %s\n want %s" % (i, g, w)
print("  %d records identical" % len(got))
PYEOF
}
