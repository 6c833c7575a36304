#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Byte-exact reads: every file of every version against its source, in
# parallel, and ranges at odd offsets.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
fixture
mount_lybfs
D=$MNT/t.Data

step "cmp every file against its source, 8 at a time"
pairs=$W/pairs
: >"$pairs"
for v in "2020-09-01 $V0 2020-09-01-1" "2020-09-03 $V1 2020-09-03-1" "2020-09-03 $V2 2020-09-03-2"; do
	set -- $v
	(cd "$SRC/$3" && find . -type f) | while read -r f; do
		echo "$SRC/$3/$f $D/$1/$2/$f" >>"$pairs"
	done
done
[ "$(wc -l <"$pairs")" -eq 9 ] || fail "expected 9 files, found $(wc -l <"$pairs")"
xargs -P 8 -L 1 cmp <"$pairs" || fail "a file differs"

step "md5sum through latest links"
a=$(md5sum <"$SRC/2020-09-03-2/gs/part-00000.avro")
b=$(md5sum <"$D/latest/gs/part-00000.avro")
[ "$a" = "$b" ] || fail "md5 through latest differs"

step "ranges at odd offsets and sizes"
f=$SRC/2020-09-03-2/gs/part-00000.avro
m=$D/2020-09-03/$V2/gs/part-00000.avro
size=$(stat -c %s "$f")
for r in "0 1" "1 4095" "4095 4097" "$((size - 1)) 10" "$((size / 2)) 65537" "$size 100"; do
	set -- $r
	cmp <(dd if="$f" iflag=skip_bytes,count_bytes skip="$1" count="$2" status=none) \
		<(dd if="$m" iflag=skip_bytes,count_bytes skip="$1" count="$2" status=none) ||
		fail "range $1+$2 differs"
done

step "python reads the same bytes, and an mmap does too"
$PY - "$f" "$m" <<'PYEOF' || fail "python/mmap read differs"
import mmap, sys
a = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "rb") as g:
    assert g.read() == a
    m = mmap.mmap(g.fileno(), 0, access=mmap.ACCESS_READ)
    assert m[:] == a
PYEOF

step "a file changed under its version is EIO, never other bytes"
printf 'X' >>"$SRC/2020-09-01-1/gs/part-00000.avro"
expect_errno "Input/output error" cat "$D/2020-09-01/$V0/gs/part-00000.avro"
grep -q "changed since it was published" "$W/lybfs.log" || fail "no log line for the changed file"
ls "$D" >/dev/null || fail "mount unhealthy after EIO"
echo "PASS"
