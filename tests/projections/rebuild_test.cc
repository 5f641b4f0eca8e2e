// Rebuild: folding from offset 0 into fresh generations, switching readers atomically.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "consumers/runner.h"
#include "events/embedded_log.h"
#include "tests/projections/engine_testing.h"
#include "tests/testing/temp_dir.h"

namespace roms::projections {
namespace {

using namespace std::chrono_literals;
using consumers::projection_runner;
using consumers::runner_options;

std::shared_ptr<projection_store> open_store(const std::filesystem::path& dir,
                                             std::vector<std::shared_ptr<projection>> m,
                                             stale_policy sp = stale_policy::reset) {
  store_options o;
  o.on_stale = sp;
  auto s = projection_store::open(dir, std::move(m), o);
  if (!s) {
    ADD_FAILURE() << s.error().message;
    std::abort();
  }
  return s.value();
}

std::map<std::string, std::string> digests(const projection_store& s) {
  std::map<std::string, std::string> out;
  for (const auto& p : s.projections()) out[std::string(p->name())] = s.digest(p->name()).value();
  return out;
}

std::map<std::string, std::string> fresh_digests(events::event_log& log, uint32_t kv_version = 1) {
  testing::temp_dir d;
  auto s = open_store(d.path(), testing::test_models(kv_version));
  projection_runner r(s, log);
  auto c = r.catch_up();
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return digests(*s);
}

std::unique_ptr<events::event_log> embedded(const std::filesystem::path& dir) {
  events::embedded_log_options lo;
  lo.sync = false;
  auto log = events::open_embedded_log(dir, lo);
  if (!log) {
    ADD_FAILURE() << log.error().message;
    std::abort();
  }
  return std::move(log).value();
}

// Waits until the runner has applied everything up to `end`.
bool wait_end(projection_runner& r, const std::vector<int64_t>& end) {
  for (size_t p = 0; p < end.size(); ++p) {
    if (end[p] > 0 && !r.wait_for({static_cast<int32_t>(p), end[p] - 1}, 20s)) return false;
  }
  return true;
}

class Rebuild : public ::testing::TestWithParam<int> {
 protected:
  // 0: embedded log; N > 0: in-memory log with N partitions.
  std::unique_ptr<events::event_log> make_log(const std::filesystem::path& dir) {
    if (GetParam() == 0) return embedded(dir / "log");
    return std::make_unique<testing::memory_log>(GetParam());
  }
};

TEST_P(Rebuild, TwiceGivesTheSameDigestAsIncremental) {
  testing::temp_dir d;
  auto log = make_log(d.path());
  auto store = open_store(d.path(), testing::test_models());
  runner_options o;
  o.batch_events = 300;  // small live batches: different batch boundaries than the rebuild
  projection_runner r(store, *log, o);
  ASSERT_TRUE(r.start());
  auto evs = testing::make_events(30000, 11);
  events::log_position last{};
  for (size_t i = 0; i < evs.size(); i += 3000) {
    std::vector<events::envelope> chunk(evs.begin() + static_cast<long>(i),
                                        evs.begin() + static_cast<long>(i + 3000));
    last = log->append(chunk).value().back().position;
  }
  auto end = log->stats().value().end_offsets;
  ASSERT_TRUE(wait_end(r, end));
  auto incremental = digests(*store);

  uint64_t done = 0, total = 0;
  ASSERT_TRUE(r.rebuild({}, [&](uint64_t d2, uint64_t t, double) {
    done = d2;
    total = t;
  }));
  EXPECT_EQ(done, 30000u);
  EXPECT_EQ(total, 30000u);
  auto first = digests(*store);
  ASSERT_TRUE(r.rebuild({"kv"}));
  auto second = digests(*store);
  EXPECT_EQ(incremental, first);
  EXPECT_EQ(first, second);
  r.stop();
  EXPECT_EQ(first, fresh_digests(*log));
  EXPECT_EQ(store->info("kv").value().position, end);
}

TEST_P(Rebuild, WhileTheRunnerTailsAConcurrentWriterViewsSurviveTheSwitch) {
  testing::temp_dir d;
  auto log = make_log(d.path());
  log->append(testing::make_events(60000, 12)).value();
  auto store = open_store(d.path(), testing::test_models());
  runner_options o;
  o.batch_events = 256;
  o.rebuild_batch_events = 2048;
  projection_runner r(store, *log, o);
  ASSERT_TRUE(r.start());
  auto end0 = log->stats().value().end_offsets;
  ASSERT_TRUE(wait_end(r, end0));

  auto before = store->view("kv").value();
  auto gen_before = store->live("kv")->generation();
  size_t keys_before = 0;
  before->scan("", "", [&](std::string_view, std::string_view) {
    ++keys_before;
    return true;
  });

  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::thread writer([&] {
    auto more = testing::make_events(40000, 13, 16, 1'800'000'000'000'000, "w");
    for (size_t i = 0; i < more.size() && !stop; i += 200) {
      std::vector<events::envelope> chunk(more.begin() + static_cast<long>(i),
                                          more.begin() + static_cast<long>(i + 200));
      log->append(chunk).value();
      appended += 200;
      std::this_thread::sleep_for(1ms);
    }
  });
  // Read-your-writes keeps working during the rebuild.
  std::atomic<bool> ryw_ok{true};
  std::thread reader([&] {
    while (!stop) {
      auto e = testing::make_events(1, 14 + appended.load(), 1, 1, "ryw" + std::to_string(appended.load()));
      auto res = log->append(e);
      if (res && !r.wait_for(res.value()[0].position, 10s)) ryw_ok = false;
      std::this_thread::sleep_for(2ms);
    }
  });
  while (appended < 1000) std::this_thread::sleep_for(1ms);  // the writer is going
  int at_start = appended;
  ASSERT_TRUE(r.rebuild());
  int at_end = appended;
  stop = true;
  writer.join();
  reader.join();
  EXPECT_TRUE(ryw_ok);
  EXPECT_GT(at_end, at_start) << "no event was appended while rebuilding";
  EXPECT_NE(store->live("kv")->generation(), gen_before);

  // The old view still reads the old generation, unchanged.
  size_t keys_after = 0;
  before->scan("", "", [&](std::string_view, std::string_view) {
    ++keys_after;
    return true;
  });
  EXPECT_EQ(keys_before, keys_after);

  auto end = log->stats().value().end_offsets;
  ASSERT_TRUE(wait_end(r, end));
  r.stop();
  EXPECT_FALSE(r.status().error);
  EXPECT_EQ(digests(*store), fresh_digests(*log));
}

TEST_P(Rebuild, VersionBumpRebuildsOnStart) {
  testing::temp_dir d;
  auto log = make_log(d.path());
  log->append(testing::make_events(5000, 15)).value();
  {
    auto store = open_store(d.path(), testing::test_models(1));
    projection_runner r(store, *log);
    ASSERT_TRUE(r.catch_up());
  }
  auto store = open_store(d.path(), testing::test_models(2), stale_policy::keep);
  auto kv = store->info("kv").value();
  EXPECT_TRUE(kv.stale());
  EXPECT_EQ(kv.stored_version, 1u);
  EXPECT_EQ(kv.code_version, 2u);
  EXPECT_FALSE(store->info("counts").value().stale());
  auto counts_gen = store->live("counts")->generation();

  projection_runner r(store, *log);
  EXPECT_TRUE(r.status().projections[0].stale);
  ASSERT_TRUE(r.start());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto st = r.status();
    if (!st.projections[0].stale) break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_FALSE(r.status().projections[0].stale);
  EXPECT_EQ(store->info("kv").value().stored_version, 2u);
  EXPECT_EQ(store->live("counts")->generation(), counts_gen);  // only the stale one
  // New events reach the rebuilt projection.
  auto last = log->append(testing::make_events(100, 16, 16, 1, "late")).value().back().position;
  ASSERT_TRUE(r.wait_for(last, 10s));
  r.stop();
  EXPECT_EQ(digests(*store), fresh_digests(*log, 2));
}

TEST_P(Rebuild, OfflineRebuildOfOneProjection) {
  testing::temp_dir d;
  auto log = make_log(d.path());
  log->append(testing::make_events(4000, 17)).value();
  auto store = open_store(d.path(), testing::test_models());
  projection_runner r(store, *log);
  ASSERT_TRUE(r.catch_up());
  auto before = digests(*store);
  auto counts_gen = store->live("counts")->generation();
  ASSERT_TRUE(r.rebuild({"kv"}));
  EXPECT_EQ(store->live("counts")->generation(), counts_gen);
  EXPECT_EQ(digests(*store), before);
  EXPECT_FALSE(r.rebuild({"nope"}));
}

INSTANTIATE_TEST_SUITE_P(Logs, Rebuild, ::testing::Values(0, 1, 3),
                         [](const auto& info) {
                           return info.param == 0 ? std::string("embedded")
                                                  : "memory" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace roms::projections
