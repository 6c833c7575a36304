# SPDX-License-Identifier: Apache-2.0
# Sourced by bench-read.sh and bench-net.sh: installs, only when missing,
# what both need (bc, curl, nginx with njs) and the peer mounts named in
# $PEERS (rclone and s3fs from Debian, s3rver from npm into $CACHE).
# gcloud cannot be installed by script: a run without it names it.
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
