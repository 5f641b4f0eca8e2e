#!/usr/bin/env bash
# Configures and builds ROMS into build/ (Release-with-debug-info, Ninja, ccache).
#   bash scripts/build.sh [extra cmake args]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${ROMS_BUILD_DIR:-build}
# ccache hits across clones in different directories (CI clones afresh each time).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${ROMS_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
fi
ninja -C "$BUILD_DIR" -j"${ROMS_JOBS:-2}"
