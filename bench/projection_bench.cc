// projection_bench: how fast the projection engine folds ROMS's read models.
//
//   projection_bench --events 10000000 --dir /tmp/roms-bench [--seed 42] [--budget-mib 64]
//                    [--fold-cache-mib 1] [--bulk-mib 256] [--checkpoint-every 250000]
//                    [--restores 5]
//                    [--only NAME] [--no-live]
//   env ROMS_BENCH_REBUILD_BATCH=N: the batch size of the catch-up and the rebuild (runner
//   default 16384)
//
// 1. generates N synthetic events (tools/gen) into an embedded log (sync off; reused when the
//    directory already holds the same N and seed);
// 2. folds them on the live path (runner batches, no WAL) from 0, taking a checkpoint every
//    `--checkpoint-every` events;
// 3. rebuilds every read model (bulk loading into fresh generations, switch) and checks the digests
//    equal the live fold's;
// 4. restores to `--restores` random positions from the nearest checkpoint.
// --no-live skips 2 (and so the digest comparison and 4): the rebuild then folds into an
// empty store, which is what `roms projections rebuild` costs on a fresh data dir.
// After the rebuild it prints what the read models hold (keys, average key and value size),
// the figures bench/projection_bench.sh sizes RocksDB's db_bench reference with.
// Prints one markdown table row per measurement to stdout (progress on stderr). Figures are
// wall clock and CPU time (user + system of the whole process, RocksDB's threads included).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "consumers/runner.h"
#include "events/embedded_log.h"
#include "projections/read_models.h"
#include "projections/store.h"
#include "tests/projections/engine_testing.h"
#include "tools/gen/generator.h"

namespace fs = std::filesystem;
using namespace roms;

namespace {

struct stopwatch {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double cpu0 = cpu();
  static double cpu() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  double wall() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  double cpu_used() const { return cpu() - cpu0; }
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "projection_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string g_only;          // --only NAME: fold one read model
bool g_engine_only = false;  // --models engine: the engine's test projection instead
bool g_no_live = false;      // --no-live: rebuild only

std::vector<std::shared_ptr<projections::projection>> models() {
  std::vector<std::shared_ptr<projections::projection>> out;
  if (g_engine_only) {
    // Counts per type and per stream (two read-modify-writes per event, a scan every 97th):
    // what the engine costs without the read models' own work.
    out.push_back(std::make_shared<testing::count_projection>());
    return out;
  }
  for (auto& m : projections::make_read_models(true))
    if (g_only.empty() || m->name() == g_only) out.emplace_back(std::move(m));
  return out;
}

void row(const std::string& what, uint64_t events, const stopwatch& w,
         const std::string& note = "") {
  double wall = w.wall(), cpu = w.cpu_used();
  std::printf("| %s | %llu | %.2f s | %.0f | %.2f s | %s |\n", what.c_str(),
              static_cast<unsigned long long>(events), wall, wall > 0 ? events / wall : 0.0, cpu,
              note.c_str());
  std::fflush(stdout);
}

consumers::progress_fn bar(const char* label) {
  return [label](uint64_t done, uint64_t total, double rate) {
    std::fprintf(stderr, "\r%s %llu / %llu (%.0f ev/s)   ", label,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 rate);
    if (done >= total) std::fprintf(stderr, "\n");
  };
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 1'000'000, seed = 42, checkpoint_every = 1'000'000, budget_mib = 64;
  uint64_t fold_cache_mib = projections::store_options{}.fold_cache_bytes >> 20;
  uint64_t bulk_mib = projections::store_options{}.bulk_memory_bytes >> 20;
  int restores = 5;
  fs::path dir = "/tmp/roms-projection-bench";
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--no-live") {
      g_no_live = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) die("missing value for " + a);
    std::string v = argv[i + 1];
    if (a == "--events")
      n = std::stoull(v);
    else if (a == "--dir")
      dir = v;
    else if (a == "--seed")
      seed = std::stoull(v);
    else if (a == "--checkpoint-every")
      checkpoint_every = std::stoull(v);
    else if (a == "--budget-mib")
      budget_mib = std::stoull(v);
    else if (a == "--fold-cache-mib")
      fold_cache_mib = std::stoull(v);
    else if (a == "--bulk-mib")
      bulk_mib = std::stoull(v);
    else if (a == "--restores")
      restores = std::stoi(v);
    else if (a == "--only")
      g_only = v;
    else if (a == "--models")
      g_engine_only = v == "engine";
    else
      die("unknown option " + a);
  }
  fs::path log_dir = dir / ("log-" + std::to_string(n) + "-s" + std::to_string(seed));
  events::embedded_log_options lo;
  lo.sync = false;

  // 1. The log.
  {
    auto log = events::open_embedded_log(log_dir, lo);
    if (!log) die(log.error().message);
    auto end = log.value()->stats().value().end_offsets[0];
    if (end != 0 && end != static_cast<int64_t>(n)) die(log_dir.string() + " holds another log");
    if (end == 0) {
      stopwatch w;
      tools::gen::gen_options go;
      go.seed = seed;
      go.events = n;
      tools::gen::generator g(go);
      while (true) {
        auto b = g.next(10000);
        if (b.empty()) break;
        auto r = log.value()->append(b);
        if (!r) die("append: " + r.error().message());
        if (g.produced() % 200000 == 0)
          std::fprintf(stderr, "\rgenerate %llu / %llu   ",
                       static_cast<unsigned long long>(g.produced()),
                       static_cast<unsigned long long>(n));
      }
      std::fprintf(stderr, "\n");
      row("generate + append (sync off)", n, w);
    }
  }
  events::embedded_log_options ro = lo;
  ro.read_only = true;
  auto log = events::open_embedded_log(log_dir, ro);
  if (!log) die(log.error().message);
  auto& l = *log.value();

  // 2. Live path from 0, with checkpoints.
  fs::path data = dir / "data";
  fs::remove_all(data);
  projections::store_options so;
  so.memory_budget_bytes = budget_mib << 20;
  so.fold_cache_bytes = fold_cache_mib << 20;
  so.bulk_memory_bytes = bulk_mib << 20;
  so.on_stale = projections::stale_policy::reset;
  so.keep_checkpoints = 1000;
  std::map<std::string, std::string> live_digests;
  {
    auto store = projections::projection_store::open(data, models(), so);
    if (!store) die(store.error().message);
    consumers::runner_options ropts;
    if (const char* rb = std::getenv("ROMS_BENCH_REBUILD_BATCH"))
      ropts.rebuild_batch_events = std::stoull(rb);
    consumers::projection_runner r(store.value(), l, ropts);
    if (!g_no_live) {
      stopwatch w;
      double cp_time = 0;
      for (uint64_t at = std::min(checkpoint_every, n);; at = std::min(at + checkpoint_every, n)) {
        auto f = r.run_until({static_cast<int64_t>(at)}, projections::durability::no_wal, bar("fold"));
        if (!f) die(f.error().message);
        stopwatch cw;
        if (auto c = store.value()->checkpoint(); !c) die(c.error().message);
        cp_time += cw.wall();
        if (at == n) break;
      }
      char note[128];
      std::snprintf(note, sizeof note,
                    "catch-up (run_until), no WAL, batch %zu, %llu checkpoints (%.2f s of it)",
                    ropts.rebuild_batch_events,
                    static_cast<unsigned long long>((n + checkpoint_every - 1) / checkpoint_every),
                    cp_time);
      row("fold, live path", n, w, note);
      for (const auto& p : store.value()->projections())
        live_digests[std::string(p->name())] = store.value()->digest(p->name()).value();
      if (std::getenv("ROMS_BENCH_STATS"))
        std::fprintf(stderr, "%s\n", store.value()->debug_stats().c_str());
    }

    // 3. Rebuild everything.
    stopwatch rw;
    auto rb = r.rebuild({}, bar("rebuild"));
    if (!rb) die(rb.error().message);
    row("rebuild (all read models)", n, rw,
        "bulk load (" + std::to_string(bulk_mib) + " MiB in memory, then SST ingestion), batch " +
            std::to_string(ropts.rebuild_batch_events) + ", switch");
    if (std::getenv("ROMS_BENCH_STATS")) {
      std::fprintf(stderr, "%s\n", store.value()->debug_stats().c_str());
      for (const auto& p : store.value()->projections())
        if (auto g = store.value()->live(p->name()))
          std::fprintf(stderr, "reads from RocksDB during the rebuild, %s: %llu\n",
                       std::string(p->name()).c_str(),
                       static_cast<unsigned long long>(g->store_reads()));
    }
    for (const auto& p : store.value()->projections()) {
      auto d = store.value()->digest(p->name()).value();
      if (!g_no_live && d != live_digests[std::string(p->name())])
        die("digest of " + std::string(p->name()) + " differs after rebuild");
    }
    // What the read models hold: sizes db_bench's reference by.
    uint64_t keys = 0, kbytes = 0, vbytes = 0;
    for (const auto& p : store.value()->projections()) {
      auto v = store.value()->view(p->name());
      if (!v) die(v.error().message);
      uint64_t k0 = keys;
      v.value()->scan("", "", [&](std::string_view k, std::string_view val) {
        ++keys;
        kbytes += k.size();
        vbytes += val.size();
        return true;
      });
      std::fprintf(stderr, "  %s: %llu keys\n", std::string(p->name()).c_str(),
                   static_cast<unsigned long long>(keys - k0));
    }
    std::printf("<!-- store: %llu keys, avg key %.0f B, avg value %.0f B -->\n",
                static_cast<unsigned long long>(keys), keys ? double(kbytes) / keys : 0.0,
                keys ? double(vbytes) / keys : 0.0);
    uint64_t bytes = 0;
    for (const auto& i : store.value()->info()) bytes += i.approximate_bytes;
    std::fprintf(stderr, "store size after rebuild: %.1f MiB\n",
                 static_cast<double>(bytes) / (1 << 20));
    stopwatch dw;
    for (const auto& p : store.value()->projections()) (void)store.value()->digest(p->name());
    row("digest (all read models)", n, dw, "full scans");
  }

  // 4. Restores at random positions from the nearest checkpoint.
  if (g_no_live) restores = 0;
  std::mt19937_64 rng(seed);
  double worst = 0, sum = 0;
  for (int i = 0; i < restores; ++i) {
    int64_t p = static_cast<int64_t>(rng() % n);
    fs::path into = dir / ("restore-" + std::to_string(i));
    fs::remove_all(into);
    consumers::restore_options o;
    o.source_data_dir = data;
    o.into = into;
    o.before = std::vector<int64_t>{p};
    o.memory_budget_bytes = budget_mib << 20;
    stopwatch w;
    auto r = consumers::restore(l, models(), o);
    if (!r) die(r.error().message);
    char note[128];
    std::snprintf(note, sizeof note, "at %lld, from checkpoint %s", static_cast<long long>(p),
                  r.value().checkpoint ? std::to_string(*r.value().checkpoint).c_str() : "none");
    row("restore", r.value().events_folded, w, note);
    worst = std::max(worst, w.wall());
    sum += w.wall();
    fs::remove_all(into);
  }
  if (restores > 0)
    std::fprintf(stderr, "restore: worst %.2f s, mean %.2f s\n", worst, sum / restores);
  return 0;
}
