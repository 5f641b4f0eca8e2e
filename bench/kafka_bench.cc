// Append throughput of the Kafka log backend against a real broker, ~300-byte events.
//
//   eval "$(bash scripts/kafka.sh start)"
//   build/bench/kafka_bench [--brokers 127.0.0.1:PORT] [--events N]
//   bash scripts/kafka.sh perf        # Kafka's own ProducerPerformance, the reference
//
// Every scenario appends to a fresh 6-partition topic through event_log::append (validate,
// encode, dedup check, produce with acks=all + idempotence, wait for the delivery reports,
// index the ids in RocksDB), and prints a markdown table row.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "events/codec.h"
#include "events/kafka/kafka_log.h"

namespace {

using namespace roms;
using namespace roms::events;
using clock_type = std::chrono::steady_clock;

struct scenario {
  const char* name;
  int threads;
  int batch;
};

std::string unique_topic(const char* what) {
  return std::string("roms.bench.") + what + "." +
         std::to_string(clock_type::now().time_since_epoch().count() % 1000000000);
}

// An order.placed-like event whose encoded envelope is about `target` bytes.
envelope make_event(int thread, int64_t i, size_t target) {
  envelope e;
  e.time = from_micros(1'790'000'000'000'000 + i);
  e.id = new_event_id(e.time) + "-" + std::to_string(thread);
  e.type = "order.placed";
  e.stream = "order-" + std::to_string((i * 7919 + thread) % 50'000);
  e.actor = "webhook:shopify";
  e.correlation_id = "req-" + std::to_string(i);
  e.payload = R"({"customer":"cust-)" + std::to_string(i % 9973) +
              R"(","total":45000,"items":[{"sku":"SKU-1","qty":2}],"note":"")";
  e.payload += "}";
  const size_t size = encode_envelope(e).size();
  if (size < target) {
    e.payload.insert(e.payload.size() - 2, std::string(target - size, 'x'));
  }
  return e;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

int run(const std::string& brokers, int64_t events_per_scenario, size_t event_bytes) {
  const scenario scenarios[] = {
      {"1 appender, batch 1", 1, 1},        {"1 appender, batch 100", 1, 100},
      {"1 appender, batch 1000", 1, 1000},  {"4 appenders, batch 1", 4, 1},
      {"4 appenders, batch 100", 4, 100},   {"16 appenders, batch 1", 16, 1},
      {"16 appenders, batch 100", 16, 100},
  };
  std::printf("| scenario | events/s | MB/s | append p50 ms | append p99 ms |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  double best = 0;
  for (const auto& s : scenarios) {
    kafka_log_options o;
    o.brokers = brokers;
    o.topic = unique_topic("append");
    o.partitions = 6;
    o.timeout = std::chrono::seconds(30);
    // The production configuration: the id index in RocksDB.
    o.index_dir = std::filesystem::temp_directory_path() / (o.topic + ".index");
    struct remove_on_exit {
      std::filesystem::path dir;
      ~remove_on_exit() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    } cleanup{o.index_dir};
    auto log = open_kafka_log(o);
    if (!log) {
      std::fprintf(stderr, "kafka_bench: %s\n", log.error().message.c_str());
      return 1;
    }
    // Batch-1 scenarios are latency-bound (linger + a round trip per call): fewer events.
    const int64_t total = s.batch == 1 ? std::min<int64_t>(1000 * s.threads, events_per_scenario)
                                       : events_per_scenario;
    const int64_t per_thread = total / s.threads;
    std::vector<std::vector<envelope>> inputs(static_cast<size_t>(s.threads));
    size_t bytes = 0;
    for (int t = 0; t < s.threads; ++t) {
      for (int64_t i = 0; i < per_thread; ++i)
        inputs[static_cast<size_t>(t)].push_back(make_event(t, i, event_bytes));
      bytes += static_cast<size_t>(per_thread) *
               encode_envelope(inputs[static_cast<size_t>(t)][0]).size();
    }
    std::vector<std::vector<double>> lat(static_cast<size_t>(s.threads));
    std::vector<int> failures(static_cast<size_t>(s.threads), 0);
    const auto start = clock_type::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < s.threads; ++t) {
      threads.emplace_back([&, t] {
        const auto& in = inputs[static_cast<size_t>(t)];
        for (size_t i = 0; i < in.size(); i += static_cast<size_t>(s.batch)) {
          const size_t n = std::min(static_cast<size_t>(s.batch), in.size() - i);
          const auto t0 = clock_type::now();
          auto r = log.value()->append(std::span(in).subspan(i, n));
          lat[static_cast<size_t>(t)].push_back(
              std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
          if (!r) ++failures[static_cast<size_t>(t)];
        }
      });
    }
    for (auto& t : threads) t.join();
    const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
    std::vector<double> all;
    int failed = 0;
    for (size_t t = 0; t < lat.size(); ++t) {
      all.insert(all.end(), lat[t].begin(), lat[t].end());
      failed += failures[t];
    }
    if (failed > 0) {
      std::fprintf(stderr, "kafka_bench: %d appends failed: %s\n", failed,
                   kafka_error_message(*log.value()).c_str());
      return 1;
    }
    const double rate = static_cast<double>(per_thread * s.threads) / secs;
    best = std::max(best, rate);
    std::printf("| %s | %.0f | %.1f | %.2f | %.2f |\n", s.name, rate,
                static_cast<double>(bytes) / secs / 1e6, percentile(all, 0.5),
                percentile(all, 0.99));
    std::fflush(stdout);
  }
  std::printf("\nbest: %.0f events/s (%zu-byte envelopes)\n", best, event_bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("ROMS_TEST_KAFKA_BROKERS");
  std::string brokers = env ? env : "";
  int64_t events = 200'000;
  size_t bytes = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--brokers") == 0)
      brokers = argv[i + 1];
    else if (std::strcmp(argv[i], "--events") == 0)
      events = std::atoll(argv[i + 1]);
    else if (std::strcmp(argv[i], "--bytes") == 0)
      bytes = static_cast<size_t>(std::atoll(argv[i + 1]));
  }
  if (brokers.empty()) {
    std::fprintf(stderr,
                 "usage: kafka_bench --brokers HOST:PORT [--events N] [--bytes B]\n"
                 "(or set ROMS_TEST_KAFKA_BROKERS; bash scripts/kafka.sh start prints it)\n");
    return 2;
  }
  return run(brokers, events, bytes);
}
