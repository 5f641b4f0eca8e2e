// Embedded log benchmark: a plain program (the scenarios are multi-threaded and measure
// latency distributions, which Google Benchmark's loop does not fit).
//
//   log_bench [--dir /tmp/roms-log-bench] [--seconds 3] [--no-sync]
//
// 1. fsync reference: 4 KiB append + fdatasync in a loop on the same file system (ops/s).
// 2. Durable append throughput with ~300-byte events, one event per append() call, at 1, 16
//    and 256 concurrent writers: events/s, MB/s of log written, p50/p99 append latency.
// 3. Read throughput: one reader reading the whole 256-writer log.
// 4. Tail latency: a reader blocked in read(); one writer appends with random gaps; latency
//    = from the start of the append() call to the reader's return.
// Prints a markdown table for docs/benchmarks.md.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "events/embedded_log.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using roms::events::envelope;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

double percentile_us(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

// ~300 bytes on disk: 16-byte header + ~284-byte body.
envelope make_event(const std::string& id) {
  envelope e;
  e.id = id;
  e.type = "order.placed";
  e.version = 1;
  e.stream = "order-" + id.substr(0, std::min<size_t>(id.size(), 12));
  e.time = roms::from_micros(1'790'000'000'000'000);
  e.actor = "webhook:shopify";
  e.correlation_id = "req-0192f1f0-1c2d";
  e.payload = R"({"customer":"cust-000123","total":450000,"currency":"IDR","items":[)"
              R"({"sku":"SKU-1","qty":2,"price":150000},{"sku":"SKU-2","qty":1,"price":150000}],)"
              R"("note":"leave at the door, ring the bell twice"})";
  return e;
}

std::unique_ptr<roms::events::event_log> open_fresh(const fs::path& dir, bool sync) {
  fs::remove_all(dir);
  roms::events::embedded_log_options o;
  o.sync = sync;
  auto r = roms::events::open_embedded_log(dir, o);
  if (!r) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

struct fsync_result {
  double ops_per_s, p50_us;
};

fsync_result fsync_reference(const fs::path& dir, double secs) {
  fs::create_directories(dir);
  auto p = dir / "fsync-ref";
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open fsync-ref");
    std::exit(1);
  }
  std::vector<char> block(4096, 'x');
  std::vector<double> lat;
  auto t0 = clock_type::now();
  uint64_t n = 0;
  while (seconds_since(t0) < secs) {
    auto s = clock_type::now();
    if (::write(fd, block.data(), block.size()) != 4096 || ::fdatasync(fd) != 0) {
      std::perror("fsync-ref");
      std::exit(1);
    }
    lat.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - s).count());
    ++n;
  }
  double el = seconds_since(t0);
  ::close(fd);
  fs::remove(p);
  return {static_cast<double>(n) / el, percentile_us(lat, 0.5)};
}

struct usage {
  double cpu_s;
  long switches;
};

usage process_usage() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return {sec(ru.ru_utime) + sec(ru.ru_stime), ru.ru_nvcsw + ru.ru_nivcsw};
}

struct append_result_row {
  int writers;
  double events_per_s, mb_per_s, p50_us, p99_us;
  uint64_t events;
  double cpu_us_per_event, switches_per_event;
};

append_result_row append_bench(const fs::path& dir, int writers, double secs, bool sync) {
  auto log = open_fresh(dir, sync);
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> lat(static_cast<size_t>(writers));
  std::vector<uint64_t> counts(static_cast<size_t>(writers));
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  auto u0 = process_usage();
  auto t0 = clock_type::now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      auto& my = lat[static_cast<size_t>(w)];
      my.reserve(1 << 16);
      std::string prefix = "w" + std::to_string(w) + "-";
      ready.fetch_add(1);
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto e = make_event(prefix + std::to_string(i));
        auto s = clock_type::now();
        auto r = log->append(std::span(&e, 1));
        if (!r) {
          std::fprintf(stderr, "append: %s\n", r.error().message().c_str());
          std::exit(1);
        }
        my.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - s).count());
        ++counts[static_cast<size_t>(w)];
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  stop = true;
  for (auto& t : threads) t.join();
  double el = seconds_since(t0);
  auto u1 = process_usage();
  std::vector<double> all;
  uint64_t n = 0;
  for (size_t w = 0; w < lat.size(); ++w) {
    all.insert(all.end(), lat[w].begin(), lat[w].end());
    n += counts[w];
  }
  auto st = log->stats().value();
  return {writers,
          static_cast<double>(n) / el,
          static_cast<double>(st.bytes) / el / 1e6,
          percentile_us(all, 0.5),
          percentile_us(all, 0.99),
          n,
          (u1.cpu_s - u0.cpu_s) * 1e6 / static_cast<double>(n),
          static_cast<double>(u1.switches - u0.switches) / static_cast<double>(n)};
}

struct read_result_row {
  double events_per_s, mb_per_s;
  uint64_t events;
};

read_result_row read_bench(const fs::path& dir) {
  roms::events::embedded_log_options o;
  auto log = roms::events::open_embedded_log(dir, o).value();
  auto st = log->stats().value();
  auto reader = log->open_reader({0}).value();
  auto t0 = clock_type::now();
  uint64_t n = 0;
  for (;;) {
    auto r = reader->read(4096, 0ms);
    if (!r) {
      std::fprintf(stderr, "read: %s\n", r.error().message().c_str());
      std::exit(1);
    }
    if (r.value().empty()) break;
    n += r.value().size();
  }
  double el = seconds_since(t0);
  return {static_cast<double>(n) / el, static_cast<double>(st.bytes) / el / 1e6, n};
}

struct tail_result {
  double p50_us, p99_us, max_us;
  size_t samples;
};

tail_result tail_bench(const fs::path& dir, int samples, bool sync) {
  auto log = open_fresh(dir, sync);
  std::vector<std::atomic<int64_t>> started(static_cast<size_t>(samples));
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(samples));
  auto reader = log->open_reader({0}).value();
  std::thread rt([&] {
    while (lat.size() < static_cast<size_t>(samples)) {
      auto r = reader->read(64, 2s);
      auto now = clock_type::now().time_since_epoch().count();
      if (!r || r.value().empty()) {
        std::fprintf(stderr, "tail reader: nothing within 2 s\n");
        std::exit(1);
      }
      for (const auto& e : r.value()) {
        auto s = started[static_cast<size_t>(e.position.offset)].load();
        lat.push_back(static_cast<double>(now - s) / 1e3);
      }
    }
  });
  std::mt19937 rng(1);
  for (int i = 0; i < samples; ++i) {
    auto e = make_event("tail-" + std::to_string(i));
    started[static_cast<size_t>(i)] = clock_type::now().time_since_epoch().count();
    if (!log->append(std::span(&e, 1))) std::exit(1);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
  }
  rt.join();
  auto copy = lat;
  return {percentile_us(copy, 0.5), percentile_us(copy, 0.99),
          *std::max_element(lat.begin(), lat.end()), lat.size()};
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = "/tmp/roms-log-bench";
  double secs = 3;
  bool sync = true;
  std::vector<int> writer_counts = {1, 16, 256};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--seconds" && i + 1 < argc) {
      secs = std::stod(argv[++i]);
    } else if (a == "--no-sync") {
      sync = false;
    } else if (a == "--writers" && i + 1 < argc) {
      writer_counts = {std::stoi(argv[++i])};
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--seconds S] [--no-sync] [--writers N]\n",
                   argv[0]);
      return 2;
    }
  }
  utsname u{};
  ::uname(&u);
  std::printf(
      "# embedded log benchmark\n\nhost %s, %s %s, %u hw threads, dir %s, %.1f s per run%s\n\n",
      u.nodename, u.sysname, u.release, std::thread::hardware_concurrency(), dir.c_str(), secs,
      sync ? "" : ", NO SYNC");

  auto ref = fsync_reference(dir, std::min(secs, 2.0));
  std::printf("fsync reference (4 KiB write + fdatasync): %.0f ops/s, p50 %.0f us\n\n",
              ref.ops_per_s, ref.p50_us);

  std::printf(
      "| writers | events/s | MB/s | append p50 | append p99 | events | CPU/event | ctx sw/event "
      "|\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  append_result_row last{};
  for (int w : writer_counts) {
    auto r = append_bench(dir / ("w" + std::to_string(w)), w, secs, sync);
    std::printf("| %d | %.0f | %.1f | %.0f us | %.0f us | %llu | %.1f us | %.2f |\n", r.writers,
                r.events_per_s, r.mb_per_s, r.p50_us, r.p99_us,
                static_cast<unsigned long long>(r.events), r.cpu_us_per_event,
                r.switches_per_event);
    std::fflush(stdout);
    last = r;
  }
  std::printf("\nratio: %d-writer durable events/s / fsync ops/s = %.1f\n", last.writers,
              last.events_per_s / ref.ops_per_s);

  auto rd = read_bench(dir / ("w" + std::to_string(last.writers)));
  std::printf("read (one reader, whole log): %.0f events/s, %.0f MB/s, %llu events\n",
              rd.events_per_s, rd.mb_per_s, static_cast<unsigned long long>(rd.events));

  auto tl = tail_bench(dir / "tail", 2000, sync);
  std::printf(
      "tail latency (append start -> blocked reader returns), %zu samples: p50 %.0f us, "
      "p99 %.0f us, max %.0f us\n",
      tl.samples, tl.p50_us, tl.p99_us, tl.max_us);
  fs::remove_all(dir);
  return 0;
}
