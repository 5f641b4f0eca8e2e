#!/usr/bin/env bash
# Projection engine benchmark with RocksDB's own db_bench as the reference, in one run, as a
# markdown table for docs/benchmarks.md.
#
#   bash bench/projection_bench.sh [EVENTS...]     # default: 1000000 10000000
#
# For each N: RocksDB db_bench fillrandom (N keys of 24 B, 200 B values, batches of 1000, WAL
# on, sync off, LZ4, 64 MiB cache, 16 MiB memtables: what our live path does per key), then
# build/bench/projection_bench (generate N synthetic events into an embedded log, fold them
# with the read models on the live path, rebuild, digest, restore from checkpoints).
#
# Environment: ROMS_BUILD_DIR (default build), ROMS_BENCH_DIR (default /tmp/roms-projection-bench;
# the generated logs are kept there and reused), ROMS_BENCH_RESTORES (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ROMS_BUILD_DIR:-build}
dir=${ROMS_BENCH_DIR:-/tmp/roms-projection-bench}
restores=${ROMS_BENCH_RESTORES:-5}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000000 10000000)

ninja -C "$build" projection_bench >/dev/null
command -v db_bench >/dev/null || { echo "db_bench not found (apt-get install rocksdb-tools)" >&2; exit 1; }
mkdir -p "$dir"

echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg) at start; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| what | events / keys | wall | per s (wall) | CPU (user+sys) | notes |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  rm -rf "$dir/dbbench"
  out=$( { /usr/bin/time -f '%U %S' db_bench --benchmarks=fillrandom --num="$n" --key_size=24 \
      --value_size=200 --batch_size=1000 --sync=0 --disable_wal=0 --db="$dir/dbbench" \
      --cache_size=67108864 --write_buffer_size=16777216 --compression_type=lz4 --threads=1 \
      --histogram=0 2>&1; } 2>&1 )
  line=$(grep -E '^fillrandom' <<<"$out" || true)
  secs=$(awk '{for(i=1;i<=NF;i++) if($i=="seconds") print $(i-1)}' <<<"$line")
  ops=$(awk '{for(i=1;i<=NF;i++) if($i=="ops/sec") print $(i-1)}' <<<"$line")
  cpu=$(tail -1 <<<"$out" | awk '{printf "%.2f s", $1+$2}')
  printf '| RocksDB db_bench fillrandom (reference) | %s | %.2f s | %s | %s | 24 B keys, 200 B values, batch 1000, WAL on, sync off |\n' \
    "$n" "${secs:-0}" "${ops:-?}" "$cpu"
  rm -rf "$dir/dbbench"
  "$build/bench/projection_bench" --events "$n" --dir "$dir" --restores "$restores" 2>"$dir/progress-$n.log"
done
echo
echo "load $(cut -d' ' -f1-3 /proc/loadavg) at end"
