// Versioned restore: the read models as of a position or a time, from the nearest checkpoint.
#include <gtest/gtest.h>

#include "consumers/runner.h"
#include "core/errc.h"
#include "events/embedded_log.h"
#include "tests/projections/engine_testing.h"
#include "tests/testing/temp_dir.h"

namespace roms::projections {
namespace {

using namespace std::chrono_literals;
using consumers::projection_runner;
using consumers::restore_options;
using consumers::runner_options;

constexpr int64_t kT0 = 1'700'000'000'000'000;  // make_events: event i at kT0 + i ms

std::shared_ptr<projection_store> open_store(const std::filesystem::path& dir,
                                             std::vector<std::shared_ptr<projection>> m,
                                             store_options o = {}) {
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

// A fresh fold of exactly the events below `until`.
std::map<std::string, std::string> fresh_digests(events::event_log& log,
                                                 std::vector<int64_t> until,
                                                 uint32_t kv_version = 1) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), testing::test_models(kv_version), o);
  projection_runner r(s, log);
  auto c = r.run_until(std::move(until));
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return digests(*s);
}

std::map<std::string, std::string> restored_digests(const std::filesystem::path& dir,
                                                    uint32_t kv_version = 1) {
  store_options o;
  o.read_only = true;  // as `serve --read-only` opens it
  auto s = open_store(dir, testing::test_models(kv_version), o);
  return digests(*s);
}

class RestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    events::embedded_log_options lo;
    lo.sync = false;
    log_ = events::open_embedded_log(data_.path() / "log", lo).value();
    log_->append(testing::make_events(50000, 21)).value();
    store_options o;
    o.on_stale = stale_policy::reset;
    o.keep_checkpoints = 10;
    auto store = open_store(data_.path(), testing::test_models(), o);
    // Checkpoints at exactly 10000, 20000, … 50000 (the live runner's own checkpoints land
    // at or past each multiple: runner_test).
    projection_runner r(store, *log_);
    for (int64_t at = 10000; at <= 50000; at += 10000) {
      ASSERT_TRUE(r.run_until({at}));
      auto cp = store->checkpoint();
      ASSERT_TRUE(cp) << cp.error().message;
      ASSERT_EQ(cp.value().projections.at("kv").position, (std::vector<int64_t>{at}));
    }
    ASSERT_EQ(projection_store::list_checkpoints(data_.path()).size(), 5u);
  }

  testing::temp_dir data_;
  std::unique_ptr<events::event_log> log_;
};

TEST_F(RestoreTest, AtPositionEqualsAFreshFoldBelowIt) {
  struct kase {
    int64_t p;
    std::optional<uint64_t> checkpoint;  // expected checkpoint sequence
  };
  for (kase k : {kase{0, std::nullopt}, kase{1, std::nullopt}, kase{9999, std::nullopt},
                 kase{10000, 1}, kase{23456, 2}, kase{49999, 4}, kase{50000, 5},
                 kase{70000, 5}}) {
    SCOPED_TRACE("P=" + std::to_string(k.p));
    testing::temp_dir into;
    restore_options o;
    o.source_data_dir = data_.path();
    o.into = into.path() / "restored";
    o.before = std::vector<int64_t>{k.p};
    uint64_t done = 0;
    o.progress = [&](uint64_t d, uint64_t, double) { done = d; };
    auto r = consumers::restore(*log_, testing::test_models(), o);
    ASSERT_TRUE(r) << r.error().message;
    int64_t limit = std::min<int64_t>(k.p, 50000);
    EXPECT_EQ(r.value().limits, (std::vector<int64_t>{limit}));
    EXPECT_EQ(r.value().checkpoint, k.checkpoint);
    EXPECT_EQ(r.value().events_folded,
              static_cast<uint64_t>(limit - (k.checkpoint ? 10000 * static_cast<int64_t>(*k.checkpoint) : 0)));
    EXPECT_EQ(done, static_cast<uint64_t>(limit));
    EXPECT_EQ(restored_digests(o.into), fresh_digests(*log_, {limit}));
    EXPECT_EQ(consumers::restored_limits(o.into), (std::vector<int64_t>{limit}));
  }
}

TEST_F(RestoreTest, AtTimeHoldsEveryEventAtOrBeforeIt) {
  testing::temp_dir into;
  restore_options o;
  o.source_data_dir = data_.path();
  o.into = into.path();
  o.at_time = from_micros(kT0 + 31'337 * 1000);  // exactly event 31337's time
  auto r = consumers::restore(*log_, testing::test_models(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().limits, (std::vector<int64_t>{31338}));
  EXPECT_EQ(r.value().checkpoint, 3u);
  EXPECT_EQ(restored_digests(o.into), fresh_digests(*log_, {31338}));
}

TEST_F(RestoreTest, WithoutCheckpointsFoldsFromZero) {
  testing::temp_dir into;
  restore_options o;
  o.into = into.path();
  o.before = std::vector<int64_t>{12345};
  auto r = consumers::restore(*log_, testing::test_models(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().checkpoint, std::nullopt);
  EXPECT_EQ(r.value().events_folded, 12345u);
  EXPECT_EQ(restored_digests(o.into), fresh_digests(*log_, {12345}));
}

TEST_F(RestoreTest, ProjectionOfANewerVersionIgnoresTheCheckpointCopyOfIt) {
  testing::temp_dir into;
  restore_options o;
  o.source_data_dir = data_.path();
  o.into = into.path();
  o.before = std::vector<int64_t>{25000};
  auto r = consumers::restore(*log_, testing::test_models(2), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().checkpoint, 2u);  // usable for "counts"; "kv" folds from 0
  EXPECT_EQ(restored_digests(o.into, 2), fresh_digests(*log_, {25000}, 2));
}

TEST_F(RestoreTest, RefusesAnOccupiedTargetAndAmbiguousRequests) {
  testing::temp_dir into;
  restore_options o;
  o.into = into.path();
  o.before = std::vector<int64_t>{10};
  ASSERT_TRUE(consumers::restore(*log_, testing::test_models(), o));
  auto again = consumers::restore(*log_, testing::test_models(), o);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, make_error_code(errc::conflict));
  restore_options both = o;
  both.into = into.path() / "x";
  both.at_time = from_micros(kT0);
  EXPECT_FALSE(consumers::restore(*log_, testing::test_models(), both));
}

TEST(RestoreMultiPartition, AtTimeOnEveryPartition) {
  testing::memory_log log(4);
  log.append(testing::make_events(20000, 22)).value();
  testing::temp_dir data, into;
  {
    store_options so;
    so.on_stale = stale_policy::reset;
    auto store = open_store(data.path(), testing::test_models(), so);
    projection_runner r(store, log);
    // The checkpoint holds the events up to t0 + 10 s on every partition.
    ASSERT_TRUE(r.run_until(log.offsets_after_time(from_micros(kT0 + 10'000 * 1000)).value()));
    ASSERT_TRUE(store->checkpoint());
  }
  restore_options o;
  o.source_data_dir = data.path();
  o.into = into.path();
  o.at_time = from_micros(kT0 + 15'000 * 1000);
  auto r = consumers::restore(log, testing::test_models(), o);
  ASSERT_TRUE(r) << r.error().message;
  auto limits = log.offsets_after_time(*o.at_time).value();
  EXPECT_EQ(r.value().limits, limits);
  int64_t sum = 0;
  for (auto l : limits) sum += l;
  EXPECT_EQ(sum, 15001);
  EXPECT_EQ(r.value().checkpoint, 1u);
  EXPECT_EQ(restored_digests(o.into), fresh_digests(log, limits));
}

}  // namespace
}  // namespace roms::projections
