// Envelope codec micro-benchmarks: decode, encode and validate of a ~300-byte envelope, and
// event id generation. Run: build/bench/codec_bench (figures go to docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <string>

#include "events/codec.h"
#include "events/upcast.h"

namespace {

using namespace roms;
using namespace roms::events;

envelope sample() {
  envelope e;
  e.id = "019ab3e6-ef83-7a3c-8b1d-5c2e4f6a7b8c";
  e.type = "order.placed";
  e.version = 1;
  e.stream = "ord_01JDX4W5Q8K2M3N4P5R6S7T8V9";
  e.time = *parse_rfc3339("2026-11-24T03:16:20.123456Z");
  e.actor = "user:7";
  e.correlation_id = "req-7f3a9c";
  e.causation_id = "";
  e.payload =
      R"({"customer_id":"cus_42","total":45000,"items":[{"sku":"KOPI-250","qty":2,"price":22500}]})";
  return e;
}

void BM_DecodeEnvelope(benchmark::State& state) {
  const std::string json = encode_envelope(sample());
  for (auto _ : state) {
    auto r = decode_envelope(json);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
  state.SetLabel(std::to_string(json.size()) + " B");
}
BENCHMARK(BM_DecodeEnvelope);

void BM_EncodeEnvelope(benchmark::State& state) {
  const envelope e = sample();
  size_t size = 0;
  for (auto _ : state) {
    auto s = encode_envelope(e);
    size = s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_EncodeEnvelope);

void BM_EncodeStored(benchmark::State& state) {
  const stored_event s{{3, 123456}, sample()};
  for (auto _ : state) {
    auto out = encode_stored(s, false);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_EncodeStored);

void BM_ValidateEnvelope(benchmark::State& state) {
  const envelope e = sample();
  for (auto _ : state) {
    auto r = validate_envelope(e);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ValidateEnvelope);

void BM_DecodeUpcastV1ToV2(benchmark::State& state) {
  upcaster_registry r;
  r.add("order.placed", 1, [](std::string_view p) { return rename_field(p, "total", "total_rupiah"); });
  const std::string json = encode_envelope(sample());
  for (auto _ : state) {
    auto e = decode_envelope(json);
    auto up = r.upcast(std::move(e).value());
    benchmark::DoNotOptimize(up);
  }
}
BENCHMARK(BM_DecodeUpcastV1ToV2);

void BM_NewEventId(benchmark::State& state) {
  const auto now = system_clock().now();
  for (auto _ : state) {
    auto id = new_event_id(now);
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_NewEventId);

void BM_FormatRfc3339(benchmark::State& state) {
  const auto t = *parse_rfc3339("2026-11-24T03:16:20.123456Z");
  for (auto _ : state) {
    auto s = format_rfc3339(t);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_FormatRfc3339);

}  // namespace

BENCHMARK_MAIN();
