#!/usr/bin/env bash
# Measures the HTTP transport: bench/http_echo (GET /ping through the router) under
# wrk -t1 -c50 -d10s, and prints one markdown table row for docs/benchmarks.md.
#
#   bench/http_bench.sh [BUILD_DIR]        # default: build; IO_THREADS=1 DURATION=10s
#
# On 2 cores wrk needs one of them: 1 I/O thread is the fastest setting (BUILD-NOTES.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"
bin="$build/bench/http_echo"
io_threads="${IO_THREADS:-1}"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-50}"

command -v wrk >/dev/null || { echo "http_bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[[ -x "$bin" ]] || { echo "http_bench: $bin not built (ninja -C $build http_echo)" >&2; exit 1; }

out="$(mktemp)"
"$bin" --listen 127.0.0.1:0 --io-threads "$io_threads" >"$out" &
server_pid=$!
cleanup() { kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -f "$out"; }
trap cleanup EXIT

for _ in $(seq 100); do
  grep -q '^listening on ' "$out" && break
  sleep 0.05
done
addr="$(sed -n 's/^listening on //p' "$out")"
[[ -n "$addr" ]] || { echo "http_bench: the server did not start" >&2; exit 1; }

# CPU time of the server (user + system, in clock ticks): with other work on the machine,
# CPU per request is steadier than requests per second.
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$server_pid/stat"; }

curl -fsS "http://$addr/ping" >/dev/null 2>&1 || true  # warm-up (curl is optional)
cpu_before="$(cpu_ticks)"
result="$(wrk -t1 -c"$connections" -d"$duration" --latency "http://$addr/ping")"
cpu_after="$(cpu_ticks)"
echo "$result" >&2

rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$result")"
p50="$(awk '$1 == "50%" {print $2}' <<<"$result")"
p99="$(awk '$1 == "99%" {print $2}' <<<"$result")"
errors="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$result")"
requests="$(awk '/requests in/ {print $1}' <<<"$result")"
cpu_us="$(awk -v t="$((cpu_after - cpu_before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
  'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
load="$(cut -d' ' -f1 /proc/loadavg)"

echo "| http_echo GET /ping, $io_threads I/O thread(s), wrk -t1 -c$connections -d$duration | ${rps} req/s | p50 ${p50} | p99 ${p99} | server CPU ${cpu_us} µs/req | $(nproc) cores, load ${load}, $(date -u +%Y-%m-%d) ${errors:+| $errors} |"
