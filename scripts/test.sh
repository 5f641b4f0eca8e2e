#!/usr/bin/env bash
# The whole test suite: installs what is needed, builds, starts a real Apache Kafka broker on
# loopback, runs every test (unit, integration on both log backends, browser end-to-end) and
# stops the broker. Exit code 0 only if everything passed.
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" $(( $(date +%s) - start )); }

step "bootstrap"
bash scripts/bootstrap.sh
step "build"
bash scripts/build.sh
step "kafka broker"
bash scripts/kafka.sh fetch
trap 'bash "$ROOT/scripts/kafka.sh" stop >/dev/null 2>&1 || true' EXIT
eval "$(bash scripts/kafka.sh start)"
export ROMS_TEST_KAFKA_BROKERS
echo "broker at $ROMS_TEST_KAFKA_BROKERS"

step "unit and integration tests"
ctest --test-dir "${ROMS_BUILD_DIR:-build}" -j2 --output-on-failure --timeout 600

if [[ -x scripts/web-test.sh ]]; then
  step "browser tests"
  bash scripts/web-test.sh
fi
step "all tests passed"
