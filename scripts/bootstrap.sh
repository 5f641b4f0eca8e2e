#!/usr/bin/env bash
# Installs every system dependency ROMS needs, from Debian's packages only (Boost 1.81: never
# libboost-dev). Idempotent: when everything is present it only checks (well under a second).
#   bash scripts/bootstrap.sh           # build + test dependencies
set -euo pipefail

PKGS=(build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  librdkafka-dev librocksdb-dev rocksdb-tools libsimdjson-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev libzstd-dev liblz4-dev libsnappy-dev libbz2-dev zlib1g-dev libgflags-dev
  libspdlog-dev libfmt-dev libcli11-dev libsodium-dev libargon2-dev libcurl4-openssl-dev libjemalloc-dev
  default-jre-headless maven kcat wrk curl nodejs npm chromium)

missing=()
for p in "${PKGS[@]}"; do
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" == "installed" ]] || missing+=("$p")
done
# node/java may come from elsewhere on the machine: accept a working binary on PATH.
filtered=()
for p in "${missing[@]:-}"; do
  [[ -z "$p" ]] && continue
  case "$p" in
    nodejs|npm) command -v node >/dev/null && command -v npm >/dev/null && continue ;;
    default-jre-headless) command -v java >/dev/null && continue ;;
    maven) command -v mvn >/dev/null && continue ;;
  esac
  filtered+=("$p")
done

if ((${#filtered[@]})); then
  echo "bootstrap: installing ${filtered[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends "${filtered[@]}" >/tmp/roms-apt.log 2>&1 || {
    $SUDO apt-get update >/dev/null 2>&1
    $SUDO apt-get install -y --no-install-recommends "${filtered[@]}" >/tmp/roms-apt.log 2>&1 || {
      tail -20 /tmp/roms-apt.log >&2
      exit 1
    }
  }
fi
