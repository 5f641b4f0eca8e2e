#!/usr/bin/env bash
# Measures the v1 API end to end with wrk on loopback and prints a markdown table for
# docs/benchmarks.md:
#   - POST /api/v1/orders: durable in the embedded log (fsync, group commit) and applied by
#     every read model before the answer; a unique external_id per request (api_post.lua);
#     afterwards checks that the orders appended equal the 2xx answers;
#   - GET /api/v1/orders/{id} (API key, read from the orders read model);
#   - GET /healthz: the trivial reference on the same server.
# and the log's group commits during the POST run (orders per fdatasync, mean fdatasync time,
# from the server's roms_log_sync_seconds),
# and, for each run, the server CPU each thread used per request (threads are named by
# core/thread_name.h: roms-runner, roms-io, roms-log, roms-decide, rocksdb:low, …).
#
#   bench/api_bench.sh [BUILD_DIR]     # default: build
#   env: DURATION=10s CONNECTIONS=64 IO_THREADS=1 BENCH_DIR=<data dir, default BUILD_DIR/api-bench>
#        NO_SYNC=1 (no fsync: the software path only)  FOLD_CACHE_MB=N (the fold caches, default 4)  PERF=1 (perf record the POST run; PERF=dwarf with DWARF call stacks)
#
# The server is tests/http/api_test_server (the test stack: embedded log, read models, runner,
# executor, v1 API, a fake authenticator accepting X-API-Key: test-admin):
#   ninja -C build api_test_server
# On 2 cores wrk takes one (-t1); the server keeps its default single I/O thread.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$here/build}" && pwd)"
bin="$build/tests/http/api_test_server"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-64}"
io_threads="${IO_THREADS:-1}"
data="${BENCH_DIR:-$build/api-bench}"
key="test-admin"

command -v wrk >/dev/null || { echo "api_bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "api_bench: curl is not installed" >&2; exit 1; }
[[ -x "$bin" ]] || { echo "api_bench: $bin not built (ninja -C $build api_test_server)" >&2; exit 1; }

rm -rf "$data"
mkdir -p "$data"
out="$data/server.out"
args=(--data "$data/db" --listen 127.0.0.1:0 --io-threads "$io_threads")
[[ -n "${NO_SYNC:-}" ]] && args+=(--no-sync)
[[ -n "${FOLD_CACHE_MB:-}" ]] && args+=(--fold-cache-mb "$FOLD_CACHE_MB")
"$bin" "${args[@]}" >"$out" 2>&1 &
server_pid=$!
cleanup() { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

for _ in $(seq 600); do
  grep -q '^listening on ' "$out" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out" >&2; exit 1; }
  sleep 0.1
done
addr="$(sed -n 's/^listening on //p' "$out")"
[[ -n "$addr" ]] || { echo "api_bench: the server did not start" >&2; cat "$out" >&2; exit 1; }
base="http://$addr"

api() {  # METHOD PATH [BODY]
  curl -fsS -X "$1" -H "X-API-Key: $key" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$base$2"
}
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
orders_total() { api GET /api/v1/dashboard/today | json_field 'sum(d["orders_by_status"].values())'; }

# Seed: one product with a million units in main.
api POST /api/v1/products '{"sku":"BENCH-1","name":"Kopi Bench","price":45000,"cost":30000}' >/dev/null
api POST /api/v1/stock/adjust '{"sku":"BENCH-1","delta":1000000,"reason":"received"}' >/dev/null

# wrk output → "req/s|p50|p99|requests|non2xx"
summarise() {
  awk '
    /^Requests\/sec:/ {rps=$2}
    $1 == "50%" {p50=$2}
    $1 == "99%" {p99=$2}
    /requests in/ {reqs=$1}
    /Non-2xx or 3xx responses:/ {non=$NF}
    /Socket errors/ {sock=$0}
    END {printf "%s|%s|%s|%s|%s|%s\n", rps, p50, p99, reqs, (non==""?0:non), sock}'
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"  # other work on the machine skews every figure
# CPU per server thread (named by core/thread_name.h), in clock ticks: "name ticks" lines.
thread_ticks() {
  for t in /proc/"$server_pid"/task/*; do
    # comm is field 2 of stat, in parentheses; utime and stime are fields 14 and 15.
    awk -v name="$(cat "$t/comm" 2>/dev/null)" '{sub(/^.*\) /, ""); print name, $12 + $13}' \
      "$t/stat" 2>/dev/null
  done | awk '{a[$1] += $2} END {for (n in a) print n, a[n]}' | sort
}
hz="$(getconf CLK_TCK)"
rows=()
cpu_runs=()  # "NAME|thread=µs per request ..." for each run
run_wrk() {  # NAME then wrk args
  local name="$1"; shift
  local res before after summary reqs
  before="$(thread_ticks)"
  res="$(wrk -t1 -c"$connections" -d"$duration" --latency "$@")"
  after="$(thread_ticks)"
  echo "$res" >&2
  summary="$(summarise <<<"$res")"
  rows+=("$name|$summary")
  IFS='|' read -r _ _ _ reqs _ _ <<<"$summary"
  cpu_runs+=("$name|$(join -a2 -e 0 -o 0,1.2,2.2 <(echo "$before") <(echo "$after") |
    awk -v hz="$hz" -v n="${reqs:-0}" '{d = $3 - $2; if (d > 0 && n > 0) printf "%s=%.1f ", $1, d * 1e6 / hz / n}')")
}

# --- POST /api/v1/orders
before="$(orders_total)"
# The log's group commits (roms_log_sync_seconds, events/README.md): count and total seconds.
log_syncs() {
  curl -fsS -H "X-API-Key: $key" "$base/metrics" |
    awk '/^roms_log_sync_seconds_count / {c = $2} /^roms_log_sync_seconds_sum / {s = $2}
         /^roms_log_sync_seconds_bucket\{le="0.01"\} / {f = $2}
         END {printf "%d %.6f %d\n", c, s, c - f}'
}
read -r syncs_before sync_s_before slow_before <<<"$(log_syncs)"
perf_pid=""
if [[ -n "${PERF:-}" ]]; then
  graph=(-g)
  [[ "$PERF" == dwarf ]] && graph=(--call-graph dwarf,8192)  # call stacks without frame pointers
  perf record -e cpu-clock "${graph[@]}" -o "$data/perf.data" -p "$server_pid" 2>/dev/null &
  perf_pid=$!
fi
ROMS_BENCH_KEY="$key" ROMS_BENCH_RUN="$(date +%s%N)" \
  run_wrk "POST /api/v1/orders (durable + applied)" -s "$here/bench/api_post.lua" "$base/api/v1/orders"
if [[ -n "$perf_pid" ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
sleep 3  # let requests cut by wrk's stop finish on the server
after="$(orders_total)"
read -r syncs_after sync_s_after slow_after <<<"$(log_syncs)"
IFS='|' read -r _ _ _ _ post_reqs post_non _ <<<"${rows[0]}"
post_2xx=$((post_reqs - post_non))
appended=$((after - before))

# --- GET /api/v1/orders/{id}
order_id="$(api POST /api/v1/orders '{"external_id":"bench-get","customer":{"name":"Budi","phone":"081234567890","city":"Bandung"},"items":[{"sku":"BENCH-1","qty":2}],"payment":{"method":"qris"}}' | json_field 'd["id"]')"
run_wrk "GET /api/v1/orders/{id}" -H "X-API-Key: $key" "$base/api/v1/orders/$order_id"

# --- GET /healthz (reference)
run_wrk "GET /healthz (reference)" "$base/healthz"

# Peak resident memory of the server over all runs (the 512 MB bound of the README).
peak_rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)"

sync_note="fsync per group commit"
[[ -n "${NO_SYNC:-}" ]] && sync_note="NO fsync"
echo
echo "load average before: $load_before"
echo
echo "| endpoint | req/s | p50 | p99 | non-2xx | notes |"
echo "|---|---|---|---|---|---|"
for r in "${rows[@]}"; do
  IFS='|' read -r name rps p50 p99 reqs non sock <<<"$r"
  note="$(nproc) cores, wrk -t1 -c$connections -d$duration, $io_threads I/O thread(s), $(date -u +%Y-%m-%d)"
  [[ "$name" == POST* ]] && note="$note, $sync_note; $appended orders appended for $post_2xx 2xx answers"
  echo "| $name | $rps | $p50 | $p99 | $non${sock:+ ($sock)} | $note |"
done
echo
# wrk stops with up to CONNECTIONS requests in flight; the server finishes them, so the log may
# hold up to that many orders more than wrk counted answers. More, or fewer, is a bug.
extra=$((appended - post_2xx))
if (( extra < 0 || extra > connections )); then
  echo "api_bench: MISMATCH: $appended orders appended, $post_2xx 2xx answers" >&2
  exit 1
fi
echo "check: $appended orders appended for $post_2xx 2xx answers (+$extra in flight when wrk stopped)"
echo "server peak RSS: $((peak_rss_kb / 1024)) MiB (default memory budget)"
syncs=$((syncs_after - syncs_before))
if (( syncs > 0 )); then
  awk -v n="$syncs" -v s="$sync_s_after" -v s0="$sync_s_before" -v ev="$appended" \
      -v slow="$((slow_after - slow_before))" 'BEGIN {
    printf "log group commits during the POST run: %d (%.1f orders each), fdatasync mean %.0f µs, %d over 10 ms\n",
           n, ev / n, (s - s0) * 1e6 / n, slow }'
fi
# Where each run's server CPU went, by thread: the CPU each thread used during the run divided
# by the requests answered (a steadier figure than req/s on a shared VM; the cost model).
echo
echo "server CPU per request by thread (µs; threads named in core/thread_name.h):"
echo
printf '%s\n' "${cpu_runs[@]}" | awk -F'|' '
  { names[NR] = $1; n = split($2, kv, " ")
    for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[NR, p[1]] = p[2]; tot[NR] += p[2]
                               if (!(p[1] in seen)) { seen[p[1]] = 1; th[++nth] = p[1] } } }
  END {
    printf "| thread |"; for (r = 1; r <= NR; r++) { sub(/ \(.*/, "", names[r]); printf " %s |", names[r] }
    printf "\n|---|"; for (r = 1; r <= NR; r++) printf "---|"; printf "\n"
    # rows in the order of the first run (its largest first)
    for (i = 1; i <= nth; i++) for (j = i + 1; j <= nth; j++)
      if (v[1, th[j]] + 0 > v[1, th[i]] + 0) { t = th[i]; th[i] = th[j]; th[j] = t }
    for (i = 1; i <= nth; i++) {
      printf "| %s |", th[i]
      for (r = 1; r <= NR; r++) printf " %s |", ((r, th[i]) in v) ? v[r, th[i]] : "0"
      printf "\n"
    }
    printf "| all threads |"; for (r = 1; r <= NR; r++) printf " %.1f |", tot[r]; printf "\n"
  }'

if [[ -n "${PERF:-}" ]]; then
  echo
  echo "perf (POST run, top symbols, children excluded):"
  perf report -i "$data/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -40
fi
