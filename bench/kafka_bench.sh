#!/usr/bin/env bash
# Kafka log vs Kafka's own ProducerPerformance in one command: starts a private single-node
# broker (scripts/kafka.sh start, its own run dir so a broker other work uses is not
# touched), runs `scripts/kafka.sh perf` (the reference, then bench/kafka_bench against the
# same broker, and the ratio), and stops the broker again, also on failure.
#
#   bash bench/kafka_bench.sh [RECORDS] [BYTES]    # ROMS_BUILD_DIR (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ROMS_BUILD_DIR:-build}
ninja -C "$build" kafka_bench >/dev/null
export ROMS_KAFKA_RUN=${ROMS_KAFKA_RUN:-/tmp/roms-kafka-bench-$UID}
export ROMS_KAFKA_BENCH=$PWD/$build/bench/kafka_bench
trap 'bash scripts/kafka.sh stop' EXIT
bash scripts/kafka.sh start >/dev/null
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "Machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%Y-%m-%dT%H:%MZ); load $(load) at start"
bash scripts/kafka.sh perf "$@"
echo "load $(load) at end"
