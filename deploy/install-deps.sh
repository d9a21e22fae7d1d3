#!/bin/sh
# install-deps.sh - install what gatewatch needs on Debian 12: the C
# libraries it links, darknet, the tools its tests use, and the pinned npm
# packages (package-lock.json). Safe to run again: it installs only what is
# missing. Needs root (or sudo) for apt-get.
#
# git: test/unit/code_limits.py lists the tree's C files with git ls-files
# (the unit suite of make test); the tree is a git clone anyway.
# libclang-rt-dev: libFuzzer and clang's sanitizer runtimes (make fuzz,
# the fuzz suite of make test); only recommended by clang, and recommends
# are not installed here.
#
# --bench also installs what only `make bench` uses (never `make test`):
# python3-onnx and onnxruntime-node (test/bench/ort/package-lock.json,
# installed with --ignore-scripts: its install script fetches GPU
# libraries; the CPU library is in the package) for the onnxruntime
# column of the network benchmark.
set -eu
BENCH=0
[ "${1:-}" = --bench ] && BENCH=1

PKGS="build-essential pkg-config darknet libopenblas-dev libwebsockets-dev libwebsockets-evlib-uv
libuv1-dev libstb-dev libsqlite3-dev sqlite3 libssl-dev libjansson-dev libsodium-dev libexpat1-dev nodejs npm python3
python3-opencv python3-numpy ffmpeg imagemagick libdlib19.1 chromium curl
ca-certificates libsystemd-dev systemd clang libclang-rt-dev strace iproute2
python3-prometheus-client libmosquitto-dev mosquitto mosquitto-clients libcurl4-openssl-dev
python3-cryptography openssl git"
[ "$BENCH" = 1 ] && PKGS="$PKGS python3-onnx"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# node may come from elsewhere (nvm, a newer build): accept it if it runs.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	missing=$(echo "$missing" | tr ' ' '\n' | grep -v -x -e nodejs -e npm | tr '\n' ' ')
fi

if [ -n "$(echo "$missing" | tr -d ' ')" ]; then
	SUDO=""
	if [ "$(id -u)" != 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "install-deps: missing Debian packages and not root, no sudo: as root run" >&2
			echo "  apt-get install --no-install-recommends$missing" >&2
			exit 1
		fi
		SUDO=sudo
	fi
	echo "install-deps: installing Debian packages:$missing"
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
	echo "install-deps: node $node_major is too old (need 18 or newer)" >&2
	exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "install-deps: installing npm packages (package-lock.json)"
	# --ignore-scripts: the only install scripts in the lock are
	# @scarf/scarf's (usage analytics, a network call) and core-js's (a
	# banner); nothing here needs them, and npm 11 warned about both.
	npm ci --no-audit --no-fund --ignore-scripts
fi

if [ "$BENCH" = 1 ] && { [ ! -d test/bench/ort/node_modules ] ||
    [ test/bench/ort/package-lock.json -nt test/bench/ort/node_modules/.package-lock.json ]; }; then
	echo "install-deps: installing bench npm packages (test/bench/ort/package-lock.json)"
	(cd test/bench/ort && npm ci --ignore-scripts --no-audit --no-fund)
fi
