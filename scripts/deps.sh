#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs, with apt-get, whatever lybfs needs to build and test and this
# machine lacks. Idempotent and quiet when nothing is missing.
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh PKG...     also these packages
set -euo pipefail

pkgs=(build-essential cmake pkg-config libfuse3-dev fuse3
	libcurl4-openssl-dev libjansson-dev libavro-dev libssl-dev zlib1g-dev liblzma-dev
	python3-avro python3-snappy python3-prometheus-client python3-pandas avro-bin attr jq strace util-linux procps groff-base
	ca-certificates openssl libmicrohttpd-dev chromium curl logrotate
	nginx libnginx-mod-http-js "$@")
# node and npm run the GCS emulator (scripts/gcs-emulator.sh); a node from
# elsewhere (nodesource) brings its own npm, so ask apt only when missing
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
