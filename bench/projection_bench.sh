#!/usr/bin/env bash
# Projection engine benchmark with RocksDB's own db_bench as the reference, in one run, as
# markdown for docs/benchmarks.md.
#
#   bash bench/projection_bench.sh [EVENTS...]     # default: 1000000
#
# For each N:
#  1. build/bench/projection_bench over N synthetic events (tools/gen, seed 42; the log is
#     generated once into $ROMS_BENCH_DIR and reused): the served read models
#     (make_read_models()) folded on the live path from 0 with a checkpoint every 250k events
#     (the runner's cadence), a rebuild of all of them, digests, restores from the nearest
#     checkpoint. Peak RSS of the process from /usr/bin/time -v.
#  2. RocksDB db_bench fillrandom, N keys with the average key and value size the read models
#     hold after step 1, batches of 1000, WAL on, sync off, and the store's memory budget and
#     options (projections/internal/rocks.cc): 64 MiB LRU cache with the memtables charged to
#     it (32 MiB write-buffer manager), 16 MiB memtables x 4, LZ4, 4 KiB blocks, a cache in 4
#     shards with half for index and filter blocks, 10-bit blooms, index and filters in the
#     cache, 2 background jobs.
#  3. `roms restore --at P --into DIR` (the CLI) at 3 positions of the live run's data dir.
#  4. With ROMS_BENCH_PER_MODEL=1: each read model alone (projection_bench --only NAME).
# With ROMS_BENCH_NO_LIVE=1 step 1 skips the live fold (rebuild only; no restores), for 10M.
#
# Environment: ROMS_BUILD_DIR (default build), ROMS_BENCH_DIR (default /tmp/roms-projection-bench),
# ROMS_BENCH_RESTORES (default 5), ROMS_BENCH_BUDGET_MIB (default 64), ROMS_BENCH_BULK_MIB (the
# rebuild's in-memory budget, default: the store's, 256).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ROMS_BUILD_DIR:-build}
dir=${ROMS_BENCH_DIR:-/tmp/roms-projection-bench}
restores=${ROMS_BENCH_RESTORES:-5}
budget_mib=${ROMS_BENCH_BUDGET_MIB:-64}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000000)

ninja -C "$build" projection_bench roms >/dev/null
command -v db_bench >/dev/null || { echo "db_bench not found (apt-get install rocksdb-tools)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time not found (apt-get install time)" >&2; exit 1; }
mkdir -p "$dir"
budget=$((budget_mib << 20))

load() { cut -d' ' -f1-3 /proc/loadavg; }
rss_mib() { awk '/Maximum resident set size/ {printf "%.0f MiB", $NF / 1024}' "$1"; }

echo "Machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%dT%H:%MZ); load $(load) at start"
echo "Build: $build ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")); memory budget $budget_mib MiB"
echo

for n in "${sizes[@]}"; do
  echo "### $n events"
  echo
  echo "| what | events / keys | wall | per s (wall) | CPU (user+sys) | notes |"
  echo "|---|---|---|---|---|---|"
  args=(--events "$n" --dir "$dir" --restores "$restores" --checkpoint-every 250000 --budget-mib "$budget_mib")
  [[ -n ${ROMS_BENCH_BULK_MIB:-} ]] && args+=(--bulk-mib "$ROMS_BENCH_BULK_MIB")
  [[ -n ${ROMS_BENCH_NO_LIVE:-} ]] && args+=(--no-live)
  l0=$(load)
  out=$(/usr/bin/time -v -o "$dir/time-$n.txt" "$build/bench/projection_bench" "${args[@]}" \
        2>"$dir/progress-$n.log")
  grep '^|' <<<"$out"
  store=$(sed -n 's/^<!-- store: \(.*\) -->$/\1/p' <<<"$out")
  echo
  echo "projection_bench: peak RSS $(rss_mib "$dir/time-$n.txt") (whole run); read models after the rebuild: $store; load $l0 → $(load)"
  grep -E '^restore:' "$dir/progress-$n.log" || true
  echo

  # The reference, sized like what the read models hold.
  ksz=$(sed -n 's/.*avg key \([0-9]*\) B.*/\1/p' <<<"$store"); ksz=${ksz:-24}
  vsz=$(sed -n 's/.*avg value \([0-9]*\) B.*/\1/p' <<<"$store"); vsz=${vsz:-200}
  ((ksz >= 8)) || ksz=8
  rm -rf "$dir/dbbench"
  l0=$(load)
  dbo=$( /usr/bin/time -v -o "$dir/time-dbbench-$n.txt" db_bench --benchmarks=fillrandom \
      --num="$n" --key_size="$ksz" --value_size="$vsz" --batch_size=1000 --sync=0 --disable_wal=0 \
      --db="$dir/dbbench" --threads=1 --histogram=0 --compression_type=lz4 --compression_ratio=0.5 \
      --cache_size="$budget" --cost_write_buffer_to_cache=true --db_write_buffer_size=$((budget / 2)) \
      --write_buffer_size=$((16 << 20)) --max_write_buffer_number=4 --max_background_jobs=2 \
      --block_size=4096 --cache_numshardbits=2 --cache_high_pri_pool_ratio=0.5 --bloom_bits=10 --cache_index_and_filter_blocks=true \
      --pin_l0_filter_and_index_blocks_in_cache=true --optimize_filters_for_memory=true \
      --memtable_bloom_size_ratio=0.05 --memtable_whole_key_filtering=true \
      --level_compaction_dynamic_level_bytes=true --target_file_size_base=$((32 << 20)) \
      --max_bytes_for_level_base=$((256 << 20)) --bytes_per_sync=1048576 \
      --wal_bytes_per_sync=1048576 2>&1 )
  line=$(grep -E '^fillrandom' <<<"$dbo" || true)
  secs=$(awk '{for(i=1;i<=NF;i++) if($i=="seconds") print $(i-1)}' <<<"$line")
  ops=$(awk '{for(i=1;i<=NF;i++) if($i=="ops/sec") print $(i-1)}' <<<"$line")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f s", u+s}' "$dir/time-dbbench-$n.txt")
  printf '| RocksDB db_bench fillrandom (reference) | %s | %.2f s | %s | %s | %s B keys, %s B values, batch 1000, WAL on, same budget; peak RSS %s; load %s → %s |\n' \
    "$n" "${secs:-0}" "${ops:-?}" "$cpu" "$ksz" "$vsz" "$(rss_mib "$dir/time-dbbench-$n.txt")" "$l0" "$(load)"
  rm -rf "$dir/dbbench"
  rb=$(grep '^| rebuild' <<<"$out" | awk -F'|' '{gsub(/ /,"",$5); print $5}')
  if [[ -n $rb && -n $ops ]]; then
    awk -v a="$rb" -v b="$ops" 'BEGIN { printf "\nratio rebuild events/s / db_bench fillrandom keys/s: %.3f\n\n", a / b }'
  fi

  # The CLI restore, from the live run's data dir (the log is linked in as <data>/log).
  if [[ -z ${ROMS_BENCH_NO_LIVE:-} && -d "$dir/data/projections" ]]; then
    ln -sfn "$dir/log-$n-s42/log" "$dir/data/log"
    echo "| roms restore --at P | events folded | wall | peak RSS | from checkpoint |"
    echo "|---|---|---|---|---|"
    for frac in 0.37 0.74 0.9999; do
      p=$(awk -v n="$n" -v f="$frac" 'BEGIN { printf "%d", n * f }')
      rm -rf "$dir/restore-cli"
      /usr/bin/time -v -o "$dir/time-restore.txt" "$build/tools/roms" restore --data "$dir/data" \
        --at "$p" --into "$dir/restore-cli" 2>"$dir/restore-cli.log" >/dev/null
      msg=$(grep '^restored into' "$dir/restore-cli.log")
      folded=$(sed -n 's/.*: \([0-9]*\) events folded.*/\1/p' <<<"$msg")
      from=$(sed -n 's/.*events folded \(from [a-z ]*[0-9]*\) in.*/\1/p' <<<"$msg")
      wall=$(awk -F': ' '/Elapsed/ {print $2}' "$dir/time-restore.txt")
      echo "| --at $p | $folded | $wall | $(rss_mib "$dir/time-restore.txt") | $from |"
    done
    rm -rf "$dir/restore-cli"
    echo
  fi

  if [[ -n ${ROMS_BENCH_PER_MODEL:-} ]]; then
    echo "Each read model alone (load $(load) at start):"
    echo
    echo "| read model | live fold events/s | CPU | rebuild events/s | CPU | peak RSS |"
    echo "|---|---|---|---|---|---|"
    # The served set, as the full run listed it ("  NAME: K keys").
    for m in $(sed -n 's/^  \([a-z_]*\): [0-9]* keys$/\1/p' "$dir/progress-$n.log"); do
      o=$(/usr/bin/time -v -o "$dir/time-$m.txt" "$build/bench/projection_bench" --events "$n" \
          --dir "$dir" --restores 0 --checkpoint-every "$n" --budget-mib "$budget_mib" --only "$m" 2>/dev/null)
      f=$(grep '^| fold' <<<"$o" | awk -F'|' '{gsub(/ /,"",$5); gsub(/^ +| +$/,"",$6); print $5 " | " $6}')
      r=$(grep '^| rebuild' <<<"$o" | awk -F'|' '{gsub(/ /,"",$5); gsub(/^ +| +$/,"",$6); print $5 " | " $6}')
      echo "| $m | $f | $r | $(rss_mib "$dir/time-$m.txt") |"
    done
    echo
  fi
done
echo "load $(load) at end; $(date -u +%H:%MZ)"
