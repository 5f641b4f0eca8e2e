#!/usr/bin/env bash
# Embedded log benchmark in one command, as markdown for docs/benchmarks.md: machine, load,
# then build/bench/log_bench durable (group commit, fsync reference in the same run) and
# without fsync (the CPU path), each under /usr/bin/time -v for the peak RSS.
#
#   bash bench/log_bench.sh            # ROMS_BUILD_DIR (default build), ROMS_LOG_BENCH_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ROMS_BUILD_DIR:-build}
dir=${ROMS_LOG_BENCH_DIR:-/tmp/roms-log-bench}
ninja -C "$build" log_bench >/dev/null
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "Machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%dT%H:%MZ)"
for mode in durable no-sync; do
  extra=()
  [[ $mode == no-sync ]] && extra=(--no-sync)
  echo
  echo "## $mode (load $(load) at start)"
  "/usr/bin/time" -v -o "$dir.time" "$build/bench/log_bench" --dir "$dir" "${extra[@]}"
  echo
  echo "peak RSS $(awk '/Maximum resident/ {printf "%.0f MiB", $NF/1024}' "$dir.time"); load $(load) at end"
  rm -f "$dir.time"
done
