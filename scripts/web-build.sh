#!/usr/bin/env bash
# Builds the web app (web/ → web/dist) with the machine's Node.js and npm. Idempotent and fast:
# - `npm ci` runs only when web/node_modules does not match web/package-lock.json (a stamp
#   holding the lock file's hash and the Node version);
# - `vite build` runs only when a source is newer than the last build (or dist is missing).
# The new build is written beside web/dist and swapped in, so a running server never serves
# a half-written app.
#   bash scripts/web-build.sh           # ROMS_WEB_FORCE=1 rebuilds anyway
set -euo pipefail
cd "$(dirname "$0")/../web"

say() { echo "web-build: $*" >&2; }
command -v node >/dev/null && command -v npm >/dev/null || { say "node and npm are needed (apt-get install nodejs npm)"; exit 1; }
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
want="$lock_hash node-$(node --version)"
stamp=node_modules/.roms-lock-stamp
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  say "installing npm packages (package-lock.json changed or node_modules missing)"
  npm ci --no-audit --no-fund --loglevel=error 2> >(grep -v 'Unknown user config' >&2)
  echo "$want" >"$stamp"
fi

build_stamp=dist/.roms-build-stamp
sources=(src index.html public vite.config.ts tsconfig.json package-lock.json)
if [[ -z ${ROMS_WEB_FORCE:-} && -f $build_stamp && -f dist/index.html ]] &&
   [[ -z "$(find "${sources[@]}" -newer "$build_stamp" -print -quit 2>/dev/null)" ]]; then
  say "web/dist is up to date"
  exit 0
fi

say "type-checking and building"
node_modules/.bin/tsc --noEmit -p tsconfig.json
rm -rf dist.new
node_modules/.bin/vite build --outDir dist.new --emptyOutDir --logLevel warn
touch dist.new/.roms-build-stamp
rm -rf dist.old
if [[ -d dist ]]; then mv dist dist.old; fi
mv dist.new dist
rm -rf dist.old
say "built web/dist ($(du -sh dist | cut -f1))"
