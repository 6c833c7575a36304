# SPDX-License-Identifier: Apache-2.0
# Sourced by bench-read.sh and bench-net.sh: installs, only when missing,
# what both need (bc, curl, nginx with njs) and the peer mounts named in
# $PEERS (rclone and s3fs from Debian, s3rver from npm into $CACHE);
# gcloud cannot be installed by script: a run without it names it. And
# where both keep the servers' objects, with their page CRC sidecars.
bench_install() {
	local pkgs=(bc curl nginx libnginx-mod-http-js)
	[[ " $PEERS " == *" rclone"* ]] && pkgs+=(rclone)
	[[ " $PEERS " == *" s3fs "* ]] && pkgs+=(s3fs)
	bash "$SRC/scripts/deps.sh" "${pkgs[@]}" >/dev/null
	if [[ " $PEERS " == *" s3fs "* ]] && [ ! -x "$S3RVER" ]; then
		log "installing s3rver@3.7.1 into $CACHE/s3rver"
		mkdir -p "$CACHE/s3rver"
		(cd "$CACHE/s3rver" && npm install --no-audit --no-fund --silent s3rver@3.7.1 >/dev/null)
	fi
}

# The servers' objects live in memory (a tmpfs on each of $W/bucket and
# $W/s3rver), so the cache drop before a cold run empties the clients'
# caches only: a remote server does not read its objects from this
# machine's disk (about 600 MB/s here, below what is measured). On disk
# only when memory is short; $SERVER_STORE says which, for the table.
#   bench_store NEED_MB S3_MB
bench_store() {
	local avail
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	mkdir -p "$W/bucket" "$W/s3rver"
	SERVER_STORE="disk (memory short: $avail MiB available for $(($1 + $2)) MiB of objects)"
	if [ "$avail" -gt $(($1 + $2 + 4096)) ]; then
		mount -t tmpfs -o size=$(($1 + 64))m,mode=0755 lyb-bench-objects "$W/bucket"
		mount -t tmpfs -o size=$(($2 + 64))m,mode=0755 lyb-bench-s3 "$W/s3rver"
		SERVER_STORE="memory (tmpfs)"
	fi
	mkdir -p "$W/bucket/bench"
}

# The page CRC sidecars `lyb publish` writes beside each object over 1 MiB
# (docs/catalog.md, Page CRCs), where this server takes no uploads: a
# publish of the bucket's files themselves (file://, into a catalog of
# its own) writes them there, and they join the server's index, where the
# measured publish finds them holding the same bytes and records them.
#   bench_pages PREFIX...   (prefixes under $W/bucket/bench)
bench_pages() {
	local p d=0
	printf 'domain = bench.local\nfile_roots = %s\n' "$W/bucket" >"$W/pages.conf"
	LYB_CONFIG=$W/pages.conf "$LYB" --catalog "file://$W/pages-cat" dataset create bench.Pages \
		--owner group:bench >/dev/null
	for p in "$@"; do
		d=$((d + 1))
		LYB_CONFIG=$W/pages.conf "$LYB" --catalog "file://$W/pages-cat" publish bench.Pages \
			"2020-09-0$d" --gs "file://$W/bucket/bench/$p" >/dev/null
	done
	$PY - "$W" <<'PYEOF'
import base64, hashlib, json, os, sys
w = sys.argv[1]
root = os.path.join(w, "bucket/bench")
index = json.load(open(os.path.join(w, "index.json")))
for name in list(index["bench"]):
    d, base = os.path.split(name)
    side = os.path.join(d, "." + base + ".lybcrc")
    path = os.path.join(root, side)
    if not os.path.exists(path):
        continue
    st = os.stat(path)
    meta = dict(index["bench"][name])
    meta.update({"size": str(st.st_size), "generation": str(st.st_mtime_ns // 1000),
                 "md5Hash": base64.b64encode(hashlib.md5(open(path, "rb").read()).digest()).decode()})
    index["bench"][side] = meta
json.dump(index, open(os.path.join(w, "index.json"), "w"), indent=1)
PYEOF
}

# The end of a run: $W removed, or kept (BENCH_KEEP=1) with its objects.
bench_store_done() {
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "kept $W (its objects in memory until: umount $W/bucket $W/s3rver)"
		return
	fi
	for d in "$W/bucket" "$W/s3rver"; do mountpoint -q "$d" && umount "$d"; done
	rm -rf "$W"
}
