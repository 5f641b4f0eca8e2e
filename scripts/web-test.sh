#!/usr/bin/env bash
# Browser end-to-end tests: builds the web app, starts the real server
#   roms serve --data <tmp> --demo --test-clock --listen 127.0.0.1:<free port> --web-dir web/dist
# waits for /healthz, runs the Playwright tests (playwright-core driving Debian's Chromium,
# headless, never a downloaded browser) with node's test runner, writes screenshots of the
# main pages to test-artifacts/screenshots/, stops the server. Exit code non-zero on failure.
#
#   bash scripts/web-test.sh                    # after scripts/build.sh
#   ROMS_BUILD_DIR=build-web bash scripts/web-test.sh
#   ROMS_WEB_TEST_MOCK=1 bash scripts/web-test.sh   # against web/tests/dev-server.mjs --mock
#                                                   # (UI development only, not a product test)
# WhatsApp: the server runs with ROMS_WHATSAPP=waha against web/tests/waha-standin.mjs (a WAHA
# stand-in on a free port) and a fresh ROMS_WAHA_HMAC_KEY, which the tests get too, so the inbox
# test can post signed webhooks and see replies reach the gateway.
# Environment: CHROMIUM (default /usr/bin/chromium), ROMS_WEB_TEST_FILTER (a test name pattern).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${ROMS_BUILD_DIR:-build}
ROMS="$ROOT/$BUILD_DIR/tools/roms"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
SHOTS="$ROOT/test-artifacts/screenshots"
say() { echo "web-test: $*" >&2; }

[[ -x $CHROMIUM ]] || { say "no browser at $CHROMIUM (apt-get install chromium)"; exit 1; }
bash scripts/web-build.sh

TMP=$(mktemp -d /tmp/roms-web-test.XXXXXX)
SERVER_PID=""
FRONT_PID=""
WAHA_PID=""
cleanup() {
  local rc=$?
  if [[ -n $FRONT_PID ]]; then kill -TERM "$FRONT_PID" 2>/dev/null || true; fi
  if [[ -n $WAHA_PID ]]; then kill -TERM "$WAHA_PID" 2>/dev/null || true; fi
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f $TMP/server.log ]]; then
    say "server log (last 40 lines):"
    tail -n 40 "$TMP/server.log" >&2 || true
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM

PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
URL="http://127.0.0.1:$PORT"
WAHA_KEY=$(node -e "console.log(require('crypto').randomBytes(24).toString('hex'))")
export ROMS_WAHA_HMAC_KEY=$WAHA_KEY
WAHA_STANDIN=""

if [[ -n ${ROMS_WEB_TEST_MOCK:-} ]]; then
  say "MOCK mode: web/tests/dev-server.mjs --mock (not the real server)"
  node web/tests/dev-server.mjs --mock --port "$PORT" >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
else
  [[ -x $ROMS ]] || { say "no server binary at $ROMS (run scripts/build.sh first)"; exit 1; }
  WAHA_PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  node web/tests/waha-standin.mjs --port "$WAHA_PORT" >"$TMP/waha.log" 2>&1 &
  WAHA_PID=$!
  WAHA_STANDIN="http://127.0.0.1:$WAHA_PORT"
  for _ in $(seq 1 50); do curl -fsS -o /dev/null "$WAHA_STANDIN/api/sessions/default" 2>/dev/null && break; sleep 0.1; done
  export ROMS_WHATSAPP=waha ROMS_WAHA_URL=$WAHA_STANDIN ROMS_WAHA_SESSION=default ROMS_PUBLIC_URL=$URL
  if "$ROMS" serve --help 2>/dev/null | grep -q -- '--web-dir'; then
    "$ROMS" serve --data "$TMP/data" --demo --test-clock --listen "127.0.0.1:$PORT" \
      --web-dir "$ROOT/web/dist" >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
  else
    # A server without --web-dir yet: the real API behind a static front (same origin).
    API_PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    say "WARNING: roms serve has no --web-dir; serving web/dist through web/tests/dev-server.mjs --proxy"
    "$ROMS" serve --data "$TMP/data" --demo --test-clock --listen "127.0.0.1:$API_PORT" >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    node web/tests/dev-server.mjs --port "$PORT" --proxy "http://127.0.0.1:$API_PORT" >"$TMP/front.log" 2>&1 &
    FRONT_PID=$!
  fi
fi

for i in $(seq 1 600); do
  if curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { say "the server exited before answering /healthz"; exit 1; }
  [[ $i -eq 600 ]] && { say "no answer on $URL/healthz after 120 s"; exit 1; }
  sleep 0.2
done
# The app must come from the server itself.
curl -fsS "$URL/" | grep -q '<div id="app">' || { say "$URL/ does not serve the web app (--web-dir)"; exit 1; }

# Demo logins: the server prints them; these are the defaults if it prints none we recognise.
ADMIN_EMAIL=admin@demo.roms.id ADMIN_PASSWORD=admin12345
CS_EMAIL=cs@demo.roms.id CS_PASSWORD=cs12345678
for _ in $(seq 1 50); do grep -q 'demo logins' "$TMP/server.log" && break; sleep 0.1; done
# `roms serve --demo` prints "demo logins: a@x / pw (Admin), b@x / pw (CS)".
while IFS= read -r m; do
  if [[ $m =~ ^([^[:space:]/]+@[^[:space:]/]+)[[:space:]]*/[[:space:]]*([^[:space:]]+)[[:space:]]*\((Admin|CS|admin|cs)\)$ ]]; then
    case ${BASH_REMATCH[3]} in
      Admin|admin) ADMIN_EMAIL=${BASH_REMATCH[1]} ADMIN_PASSWORD=${BASH_REMATCH[2]} ;;
      *) CS_EMAIL=${BASH_REMATCH[1]} CS_PASSWORD=${BASH_REMATCH[2]} ;;
    esac
  fi
done < <(grep -oE '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]+ */ *[^ ,()]+ *\((Admin|CS|admin|cs)\)' "$TMP/server.log" || true)
say "server at $URL (admin $ADMIN_EMAIL, cs $CS_EMAIL)"

rm -rf "$SHOTS"
mkdir -p "$SHOTS"
cd web
# Unit tests of the app's pure parts first (no browser, a second).
node_modules/.bin/tsc -p tests/unit/tsconfig.json
node --test --test-reporter=dot tests/build/unit/tests/unit/
node_modules/.bin/tsc -p tests/tsconfig.json
filter=()
[[ -n ${ROMS_WEB_TEST_FILTER:-} ]] && filter=(--test-name-pattern "$ROMS_WEB_TEST_FILTER")
ROMS_URL=$URL ROMS_SCREENSHOTS=$SHOTS CHROMIUM=$CHROMIUM ROMS_WAHA_STANDIN=$WAHA_STANDIN \
ROMS_ADMIN_EMAIL=$ADMIN_EMAIL ROMS_ADMIN_PASSWORD=$ADMIN_PASSWORD \
ROMS_CS_EMAIL=$CS_EMAIL ROMS_CS_PASSWORD=$CS_PASSWORD \
  node --test --test-concurrency=1 --test-reporter=spec "${filter[@]}" tests/build/e2e/
say "screenshots in test-artifacts/screenshots/ ($(ls "$SHOTS" | wc -l) files)"
