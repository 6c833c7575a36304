#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The core's layers point one way: a module may include only modules of a
# lower layer (the storage backends, one subsystem, also each other), and
# nothing in src/core or include/ includes a front end's headers (src/lyb,
# src/lybfs). docs/style.md, "Layers", explains the table. Run by
# check-style.sh; prints each include that breaks it and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A layer=(
	[clock]=0
	[buf]=1 [log]=1 [digest]=1 [text]=1 [tokens]=1 [notify]=1
	[cache]=2 [http]=2 [schema]=2 [avro]=2
	[metrics]=3 [export]=3
	[decode]=4 [audit]=4 [store]=4
	[catalog]=5
	[freshness]=6 [view]=6
	[acl]=7 [publish]=7 [fs]=7
	[config]=8
	[portal]=8
	[mounts]=9
)
# the storage backends: one subsystem, its modules use each other; the
# files of one module (behind its *_impl.h) are that module; the page
# CRC sidecar's format is part of the checksums
group() {
	case $1 in
	store | store_file | store_gcs | store_impl | gcs | gcs_impl | auth) echo store ;;
	catalog | catalog_json | catalog2 | catalog_impl) echo catalog ;;
	cache | cache_impl | cache_stream | cache_worker | cache_verify | cache_disk) echo cache ;;
	digest | pagecrc) echo digest ;;
	*) echo "$1" ;;
	esac
}
rc=0
for f in src/core/*.c src/core/*.h include/lyb/*.h; do
	m=$(group "$(basename "${f%.*}")")
	[ -n "${layer[$m]+x}" ] || { echo "layers: $f: module $m has no layer in scripts/check-layers.sh"; rc=1; continue; }
	while IFS= read -r inc; do
		d=$(group "$(basename "${inc%.h}")")
		[ "$d" = "$m" ] && continue
		if [ -z "${layer[$d]+x}" ]; then
			echo "layers: $f includes $inc: not a core module"
			rc=1
		elif [ "${layer[$d]}" -ge "${layer[$m]}" ]; then
			echo "layers: $f ($m, layer ${layer[$m]}) includes $inc ($d, layer ${layer[$d]}): layers point down only"
			rc=1
		fi
	done < <(grep -oE '^#include "[a-z0-9_/]+\.h"' "$f" | sed -E 's/#include "//; s/"$//')
done
exit $rc
