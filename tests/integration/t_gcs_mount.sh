#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A gs:// catalog with gs:// data in a real GCS JSON API server (the
# emulator): `lyb dataset create` and `lyb publish --gs gs://...` write it,
# lybfs mounts it, and every file reads back byte-exact, also one
# published while mounted; publish uploads a large object's page CRC
# sidecar beside it once, and the mount's small reads of it go by page.
# formats: 1 2
. "$(dirname "$0")/lib.sh"
. "$LYB_SRC/tests/integration/gcs_lib.sh"

trap 'rc=$?; set +e; unmount_lybfs; stop_gcs_emulator; cleanup "$rc"' EXIT
start_gcs_emulator "$W/emu"
CAT=gs://lyb-catalog/prod/lybrary

step "objects with awkward names in the data bucket"
for v in 1 2; do
	mkdir -p "$W/src$v/sub dir"
	make_avro "$W/src$v/part-00000.avro" --rows $((400 * v)) --seed "gcs$v"
	make_avro "$W/src$v/sub dir/p+1 %ü.avro" --rows 300 --codec deflate --seed "gcs$v-b"
	gcs_upload "$W/src$v/part-00000.avro" lyb-data "v$v/part-00000.avro"
	gcs_upload "$W/src$v/sub dir/p+1 %ü.avro" lyb-data "v$v/sub dir/p+1 %ü.avro"
done

step "lyb writes the catalog into the bucket"
lyb dataset create t.Gcs --owner group:data-team >/dev/null
V1=$(lyb publish t.Gcs 2020-09-01 --gs gs://lyb-data/v1)
[ -n "$V1" ] || fail "publish printed no id"
[ "$(lyb publish t.Gcs 2020-09-01 --gs gs://lyb-data/v1)" = "$V1" ] || fail "same bytes, new id"
curl -sf "http://$STORAGE_EMULATOR_HOST/storage/v1/b/lyb-catalog/o?prefix=prod/lybrary/" |
	grep -Eq '"name":"prod/lybrary/(datasets/t.Gcs.json|v2/datasets/t/Gcs/000000000001.json)"' ||
	fail "no dataset document in the bucket"
lyb ls | grep -qx t.Gcs || fail "lyb ls does not show t.Gcs"
expect_errno "no objects there" lyb publish t.Gcs 2020-09-02 --gs gs://lyb-data/none

step "mount and read byte-exact"
mount_lybfs
D=$MNT/t.Gcs/2020-09-01/$V1/gs
cmp "$D/part-00000.avro" "$W/src1/part-00000.avro" || fail "part-00000 differs"
cmp "$D/sub dir/p+1 %ü.avro" "$W/src1/sub dir/p+1 %ü.avro" || fail "awkward name differs"
[ "$(getfattr --only-values -n user.lyb.location "$D/sub dir/p+1 %ü.avro")" = "gs://lyb-data/v1/sub dir/p+1 %ü.avro" ] ||
	fail "wrong user.lyb.location"
# ranged reads in parallel, compared with the source
pids=
for off in 0 1 4095 10000 20000; do
	(dd if="$D/part-00000.avro" bs=1 skip=$off count=777 status=none |
		cmp - <(dd if="$W/src1/part-00000.avro" bs=1 skip=$off count=777 status=none)) &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a ranged read differs"; done

step "publish while mounted: it appears and latest follows"
sleep 1.1
V2=$(lyb publish t.Gcs 2020-09-01 --gs gs://lyb-data/v2)
wait_for test -e "$MNT/t.Gcs/2020-09-01/$V2" || fail "new version did not appear"
wait_for test "$(readlink "$MNT/t.Gcs/2020-09-01/latest")" = "$V2" || fail "latest did not follow"
cmp "$MNT/t.Gcs/latest/gs/sub dir/p+1 %ü.avro" "$W/src2/sub dir/p+1 %ü.avro" || fail "v2 differs"
step "page CRCs in GCS: publish uploads the sidecar once, small reads check by page"
$PY "$LYB_SRC/tests/integration/make_big_avro.py" "$W/big.avro" 3 big
gcs_upload "$W/big.avro" lyb-data v3/big.avro
V3=$(lyb publish t.Gcs 2020-09-02 --gs gs://lyb-data/v3)
side=$(curl -sf "http://$STORAGE_EMULATOR_HOST/storage/v1/b/lyb-data/o/v3%2F.big.avro.lybcrc") ||
	fail "no sidecar uploaded beside v3/big.avro"
gen=$(jq -r .generation <<<"$side")
[ "$(jq -r .size <<<"$side")" -eq $((32 + ($(stat -c %s "$W/big.avro") + 1048575) / 1048576 * 2048)) ] ||
	fail "sidecar: $side"
[ "$(lyb publish t.Gcs 2020-09-02 --gs gs://lyb-data/v3)" = "$V3" ] || fail "same bytes, new id"
[ "$(curl -sf "http://$STORAGE_EMULATOR_HOST/storage/v1/b/lyb-data/o/v3%2F.big.avro.lybcrc" | jq -r .generation)" = "$gen" ] ||
	fail "publishing the same bytes again rewrote the sidecar"
wait_for test -e "$MNT/t.Gcs/2020-09-02/$V3" || fail "v3 did not appear"
metric() { awk -v k="$1" '$1 == k { print $2 }' "$MNT/.lyb/metrics"; }
p0=$(metric lyb_cache_page_reads_total)
for page in 260 500 740; do # one 4 KiB page each, in blocks 1, 2 and 3
	cmp <(dd if="$MNT/t.Gcs/2020-09-02/$V3/gs/big.avro" bs=4096 skip=$page count=1 status=none) \
		<(dd if="$W/big.avro" bs=4096 skip=$page count=1 status=none) ||
		fail "page $page differs"
done
[ $(($(metric lyb_cache_page_reads_total) - p0)) -eq 3 ] || fail "the small reads did not go by page"

step "the endpoint as a mount option instead of STORAGE_EMULATOR_HOST"
unmount_lybfs
EMU=$STORAGE_EMULATOR_HOST
unset STORAGE_EMULATOR_HOST
mount_lybfs "gcs_endpoint=http://$EMU,gcs_credentials=anonymous"
cmp "$D/part-00000.avro" "$W/src1/part-00000.avro" || fail "read through gcs_endpoint= differs"
export STORAGE_EMULATOR_HOST=$EMU
echo "PASS"
