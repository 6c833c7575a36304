#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Google's own client writes to the test emulator (issue #14 item 5):
# gcloud storage cp uploads a small file (multipart, LF line breaks, a
# quoted boundary) and a 20 MiB one (a resumable session started at
# /resumable/upload/...), both read back byte-exact by curl and by
# gcloud; Avro objects gcloud wrote publish and read with lyb. The
# emulator runs on the port it is given. Skips (77) without gcloud.
. "$(dirname "$0")/lib.sh"
. "$LYB_SRC/tests/integration/gcs_lib.sh"
trap 'rc=$?; set +e; stop_gcs_emulator; cleanup "$rc"' EXIT
command -v gcloud >/dev/null || skip "gcloud is not installed"

step "the emulator on the port asked for"
want=$(free_port)
start_gcs_emulator "$W/emu" "$want"
[ "$STORAGE_EMULATOR_HOST" = "127.0.0.1:$want" ] || fail "emulator at $STORAGE_EMULATOR_HOST, want port $want"
[ "$(cat "$W/emu/port")" = "$want" ] || fail "DIR/port says $(cat "$W/emu/port")"
curl -sf -o /dev/null "http://$STORAGE_EMULATOR_HOST/storage/v1/b/any/o" || fail "nothing answers on $want"
use_gcloud

step "gcloud storage cp: multipart and resumable uploads"
printf 'hello, "world"\n\r\n--not a boundary\n' >"$W/small.txt"
head -c $((20 << 20)) /dev/urandom >"$W/big.bin"
gcloud_upload "$W/small.txt" lyb-g up/small.txt || fail "gcloud: multipart upload"
gcloud_upload "$W/big.bin" lyb-g up/big.bin || fail "gcloud: resumable upload"
for f in small.txt big.bin; do
	curl -sf "http://$STORAGE_EMULATOR_HOST/download/storage/v1/b/lyb-g/o/up%2F$f?alt=media" |
		cmp - "$W/$f" || fail "$f differs (curl)"
	gcloud storage cat "gs://lyb-g/up/$f" | cmp - "$W/$f" || fail "$f differs (gcloud)"
done
gcloud storage ls -l gs://lyb-g/up/ >"$W/ls" || fail "gcloud storage ls"
grep -Eq "^ +20971520 .*gs://lyb-g/up/big.bin$" "$W/ls" || fail "gcloud ls: $(cat "$W/ls")"

step "objects gcloud wrote, published and read by lyb"
mkdir -p "$W/src"
for i in 0 1; do
	make_avro "$W/src/p$i.avro" --rows 300 --seed "g$i"
	gcloud_upload "$W/src/p$i.avro" lyb-g "v1/part-$i.avro" || fail "gcloud: upload part-$i"
done
lyb dataset create t.Gcloud --owner group:x >/dev/null
V=$(lyb publish t.Gcloud 2020-09-01 --gs gs://lyb-g/v1) || fail "publish"
[ -n "$V" ] || fail "publish printed no id"
[ "$(lyb head -n 1000 t.Gcloud | wc -l)" -eq 600 ] || fail "lyb head does not read 600 records"
echo "PASS"
