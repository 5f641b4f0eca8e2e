#!/usr/bin/env bash
# Quick start: installs what is needed, builds, and runs the server with the embedded log and
# demo data under ./data (override with ROMS_DATA). Extra arguments go to `roms serve`.
#   bash scripts/serve.sh [--listen 127.0.0.1:8080]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
if [[ -x scripts/web-build.sh ]]; then bash scripts/web-build.sh; fi
DATA=${ROMS_DATA:-$PWD/data}
mkdir -p "$DATA"
exec "${ROMS_BUILD_DIR:-build}/tools/roms" serve --data "$DATA" --demo "$@"
