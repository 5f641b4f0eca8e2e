-- wrk script for bench/api_bench.sh: POST /api/v1/orders with a unique external_id per request
-- (run id + thread id + counter) and a customer drawn from a pool of 10,000 phones, one item
-- of the bench product. No response() hook: wrk stays on its fast path, and its own
-- "Non-2xx or 3xx responses" line gives the 2xx count.
local next_tid = 0
local key = os.getenv("ROMS_BENCH_KEY") or "test-admin"
local run = os.getenv("ROMS_BENCH_RUN") or tostring(os.time())

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
end

function init(args)
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = key
end

function request()
  counter = counter + 1
  local phone = string.format("0812%08d", (tid * 7919 + counter) % 10000)
  local body = string.format(
    '{"external_id":"bench-%s-%d-%d","channel":"api",' ..
    '"customer":{"name":"Pelanggan %s","phone":"%s","city":"Bandung","province":"Jawa Barat"},' ..
    '"items":[{"sku":"BENCH-1","qty":1}],"payment":{"method":"bank_transfer","timing":"prepaid"}}',
    run, tid, counter, phone, phone)
  return wrk.format(nil, "/api/v1/orders", nil, body)
end
