#!/usr/bin/env bash
# Quick start: installs what is needed, builds, and runs the server with the embedded log and
# demo data under ./data (override with ROMS_DATA). Extra arguments go to `roms serve`.
#   bash scripts/serve.sh [--listen 127.0.0.1:8080]
#   ROMS_FAKE_WHATSAPP=1 bash scripts/serve.sh   # also a local WAHA stand-in on 127.0.0.1:3000
#                                                # that counts what it is sent (/_fake/stats)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
if [[ -x scripts/web-build.sh ]]; then bash scripts/web-build.sh; fi
DATA=${ROMS_DATA:-$PWD/data}
mkdir -p "$DATA"
BUILD=${ROMS_BUILD_DIR:-build}
if [[ "${ROMS_FAKE_WHATSAPP:-0}" == 1 ]]; then
  FAKE_LISTEN=${ROMS_FAKE_WHATSAPP_LISTEN:-127.0.0.1:3000}
  "$BUILD/tests/consumers/roms-fake-gateway" --kind waha --listen "$FAKE_LISTEN" \
    --api-key local-stand-in &
  FAKE_PID=$!
  trap 'kill $FAKE_PID 2>/dev/null || true' EXIT
  export ROMS_WHATSAPP=waha ROMS_WAHA_URL="http://$FAKE_LISTEN" ROMS_WAHA_API_KEY=local-stand-in
  echo "WhatsApp: WAHA stand-in at http://$FAKE_LISTEN (what it was sent: /_fake/stats)"
  "$BUILD/tools/roms" serve --data "$DATA" --demo "$@"
else
  exec "$BUILD/tools/roms" serve --data "$DATA" --demo "$@"
fi
