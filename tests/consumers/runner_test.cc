#include "consumers/runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "core/errc.h"
#include "core/metrics.h"
#include "events/embedded_log.h"
#include "events/kafka/kafka_log.h"
#include "tests/projections/engine_testing.h"
#include "tests/testing/kafka_env.h"
#include "tests/testing/temp_dir.h"

namespace roms::consumers {
namespace {

using namespace std::chrono_literals;
using projections::projection_store;
using projections::stale_policy;
using projections::store_options;

std::shared_ptr<projection_store> open_store(
    const std::filesystem::path& dir, std::vector<std::shared_ptr<projections::projection>> m,
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

// Digests of a fresh store folded from 0 to the log's end.
std::map<std::string, std::string> fresh_digests(events::event_log& log) {
  testing::temp_dir d;
  auto s = open_store(d.path(), testing::test_models());
  projection_runner r(s, log);
  auto c = r.catch_up();
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return digests(*s);
}

events::log_position append_all(events::event_log& log, const std::vector<events::envelope>& evs) {
  auto r = log.append(evs);
  EXPECT_TRUE(r);
  return r.value().back().position;
}

TEST(ProjectionRunner, LiveFoldOverPartitionsMatchesAFreshFold) {
  testing::memory_log log(3);
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  runner_options o;
  o.batch_events = 500;
  projection_runner r(store, log, o);
  ASSERT_TRUE(r.start());
  auto evs = testing::make_events(20000, 7);
  for (size_t i = 0; i < evs.size(); i += 1000) {
    std::vector<events::envelope> chunk(evs.begin() + static_cast<long>(i),
                                        evs.begin() + static_cast<long>(i + 1000));
    auto res = log.append(chunk).value();
    for (const auto& a : res) ASSERT_TRUE(r.wait_for(a.position, 10s)) << a.position.offset;
  }
  auto st = r.status();
  EXPECT_TRUE(st.running);
  EXPECT_FALSE(st.error);
  EXPECT_EQ(st.events_applied, 20000u);
  for (const auto& p : st.projections) {
    EXPECT_EQ(p.lag, 0) << p.name;
    EXPECT_FALSE(p.stale);
  }
  EXPECT_EQ(st.applied, st.log_end);
  r.stop();
  EXPECT_EQ(digests(*store), fresh_digests(log));
}

TEST(ProjectionRunner, OnReachedFiresFromTheRunnerOrTimesOut) {
  testing::memory_log log(1);
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  projection_runner r(store, log);
  ASSERT_TRUE(r.start());
  auto first = append_all(log, testing::make_events(10, 1));
  ASSERT_TRUE(r.wait_for(first, 5s));

  // Already reached: called at once, on this thread.
  bool immediate = false;
  r.on_reached(first, std::chrono::steady_clock::now() + 1s, [&](bool ok) { immediate = ok; });
  EXPECT_TRUE(immediate);

  // Reached later: called from the runner thread.
  std::promise<std::pair<bool, std::thread::id>> later;
  r.on_reached({0, 14}, std::chrono::steady_clock::now() + 5s, [&](bool ok) {
    later.set_value({ok, std::this_thread::get_id()});
  });
  append_all(log, testing::make_events(10, 2));
  auto got = later.get_future().get();
  EXPECT_TRUE(got.first);
  EXPECT_NE(got.second, std::this_thread::get_id());

  // Never reached: false at the deadline, from the timer thread.
  auto t0 = std::chrono::steady_clock::now();
  std::promise<bool> never;
  r.on_reached({0, 1000}, t0 + 150ms, [&](bool ok) { never.set_value(ok); });
  EXPECT_FALSE(never.get_future().get());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 140ms);
  EXPECT_FALSE(r.wait_for({0, 1000}, 50ms));

  // A deadline sooner than every pending one still fires on time: the timer thread sleeps
  // until the earliest deadline and is woken only for a sooner one.
  // (Promises shared with the callbacks: a failed check returns early, and the runner's
  // destructor still calls them.)
  auto on_stop = std::make_shared<std::promise<bool>>();
  r.on_reached({0, 2000}, std::chrono::steady_clock::now() + 60s,
               [on_stop](bool ok) { on_stop->set_value(ok); });
  std::this_thread::sleep_for(20ms);  // the timer is asleep until the 60 s deadline
  auto t1 = std::chrono::steady_clock::now();
  auto sooner = std::make_shared<std::promise<bool>>();
  r.on_reached({0, 3000}, t1 + 100ms, [sooner](bool ok) { sooner->set_value(ok); });
  auto f = sooner->get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready) << "the sooner deadline did not fire";
  EXPECT_FALSE(f.get());
  EXPECT_GE(std::chrono::steady_clock::now() - t1, 90ms);

  // Pending callbacks get false when the runner stops.
  r.stop();
  EXPECT_FALSE(on_stop->get_future().get());
}

TEST(ProjectionRunner, FailingEventStopsTheRunnerExactlyAtItsPosition) {
  testing::memory_log log(1);
  auto evs = testing::make_events(100, 3);
  evs[60] = testing::make_event("poison", "s1", "{}", 1, "poison-1");
  append_all(log, evs);
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  runner_options o;
  o.batch_events = 1000;  // the poison is in the middle of a batch
  for (int round = 0; round < 2; ++round) {
    projection_runner r(store, log, o);
    ASSERT_TRUE(r.start());
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!r.status().error && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    auto st = r.status();
    ASSERT_TRUE(st.error);
    EXPECT_FALSE(st.running);
    ASSERT_TRUE(st.failed_at);
    EXPECT_EQ(*st.failed_at, (events::log_position{0, 60}));
    EXPECT_NE(st.error->message.find("offset 60 (poison"), std::string::npos) << st.error->message;
    // Everything before it is applied and committed, nothing after.
    EXPECT_EQ(store->info("kv").value().position, (std::vector<int64_t>{60}));
    EXPECT_EQ(store->info("counts").value().position, (std::vector<int64_t>{60}));
    EXPECT_FALSE(r.wait_for({0, 61}, 10ms));
  }
}

TEST(ProjectionRunner, LagAndCatchUpWithoutStarting) {
  testing::memory_log log(2);
  append_all(log, testing::make_events(3000, 4));
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  projection_runner r(store, log);
  auto st = r.status();
  EXPECT_FALSE(st.running);
  for (const auto& p : st.projections) EXPECT_EQ(p.lag, 3000) << p.name;
  uint64_t last_done = 0, last_total = 0;
  ASSERT_TRUE(r.catch_up([&](uint64_t done, uint64_t total, double) {
    last_done = done;
    last_total = total;
  }));
  EXPECT_EQ(last_done, 3000u);
  EXPECT_EQ(last_total, 3000u);
  for (const auto& p : r.status().projections) EXPECT_EQ(p.lag, 0) << p.name;
  EXPECT_TRUE(r.reached({0, 0}));
}

TEST(ProjectionRunner, RunUntilStopsAtTheLimitPerPartition) {
  testing::memory_log log(2);
  append_all(log, testing::make_events(1000, 5));
  auto end = log.stats().value().end_offsets;
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  projection_runner r(store, log);
  std::vector<int64_t> until = {end[0] / 2, end[1] / 3};
  ASSERT_TRUE(r.run_until(until, projections::durability::no_wal));
  EXPECT_EQ(store->info("kv").value().position, until);
  EXPECT_EQ(store->info("counts").value().position, until);
}

TEST(ProjectionRunner, TakesCheckpointsEveryNEvents) {
  testing::memory_log log(1);
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  runner_options o;
  o.batch_events = 100;
  o.checkpoint_every_events = 1000;
  projection_runner r(store, log, o);
  ASSERT_TRUE(r.start());
  auto last = append_all(log, testing::make_events(3500, 6));
  ASSERT_TRUE(r.wait_for(last, 10s));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (r.status().checkpoints < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  r.stop();
  EXPECT_EQ(r.status().checkpoints, 3u);
  auto cps = projection_store::list_checkpoints(d.path());
  ASSERT_EQ(cps.size(), 3u);
  // Cut on the checkpoint thread while the live loop goes on: each projection's position is
  // what the checkpoint holds of it, at or past the multiple that asked for it.
  for (const auto& cp : cps) {
    for (const char* name : {"kv", "counts"}) {
      EXPECT_GE(cp.projections.at(name).position[0], 1000 * static_cast<int64_t>(cp.sequence));
      EXPECT_LE(cp.projections.at(name).position[0], 3500);
    }
  }
}

TEST(ProjectionRunner, PublishesLagAndAppliedCounters) {
  metrics::registry reg;
  testing::memory_log log(1);
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  runner_options o;
  o.metrics = &reg;
  {
    projection_runner r(store, log, o);
    ASSERT_TRUE(r.start());
    auto last = append_all(log, testing::make_events(50, 8));
    ASSERT_TRUE(r.wait_for(last, 5s));
    auto text = reg.render();
    EXPECT_NE(text.find("roms_projection_events_applied_total{projection=\"kv\"} 50"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("roms_projection_lag_events{projection=\"counts\"}"), std::string::npos)
        << text;
    EXPECT_NE(text.find("roms_projection_runner_up 1"), std::string::npos) << text;
    // The counters it reads back miss its cache at first: reads from RocksDB, counted.
    const uint64_t reads = store->live("counts")->store_reads();
    EXPECT_GT(reads, 0u);
    EXPECT_NE(text.find("roms_projection_store_reads_total{projection=\"counts\"} " +
                        std::to_string(reads) + "\n"),
              std::string::npos)
        << text;
  }
  // The callbacks are gone with the runner.
  EXPECT_EQ(reg.render().find("roms_projection_lag_events"), std::string::npos);
}

TEST(ProjectionRunner, EmbeddedLogEndToEnd) {
  testing::temp_dir d;
  events::embedded_log_options lo;
  lo.sync = false;
  auto log = events::open_embedded_log(d.path() / "log", lo);
  ASSERT_TRUE(log) << log.error().message;
  auto store = open_store(d.path(), testing::test_models());
  projection_runner r(store, *log.value());
  ASSERT_TRUE(r.start());
  events::log_position last{};
  auto evs = testing::make_events(5000, 9);
  for (size_t i = 0; i < evs.size(); i += 500) {
    std::vector<events::envelope> chunk(evs.begin() + static_cast<long>(i),
                                        evs.begin() + static_cast<long>(i + 500));
    last = append_all(*log.value(), chunk);
  }
  ASSERT_TRUE(r.wait_for(last, 10s));
  r.stop();
  EXPECT_EQ(digests(*store), fresh_digests(*log.value()));
}

}  // namespace
}  // namespace roms::consumers

// --- the same on Apache Kafka (skips without a broker, fails on CI) ---

namespace roms::consumers {
namespace {

std::unique_ptr<events::event_log> kafka_log(const std::string& brokers, const std::string& topic) {
  events::kafka_log_options ko;
  ko.brokers = brokers;
  ko.topic = topic;
  ko.partitions = 3;
  auto l = events::open_kafka_log(ko);
  if (!l) {
    ADD_FAILURE() << l.error().message;
    std::abort();
  }
  return std::move(l).value();
}

bool wait_end(projection_runner& r, const std::vector<int64_t>& end) {
  for (size_t p = 0; p < end.size(); ++p) {
    if (end[p] > 0 && !r.wait_for({static_cast<int32_t>(p), end[p] - 1}, 30s)) return false;
  }
  return true;
}

TEST(ProjectionRunnerKafka, LiveFoldRebuildAndRestoreAgreeOverPartitions) {
  ROMS_REQUIRE_KAFKA(brokers);
  auto log = kafka_log(brokers, testing::unique_topic("roms.runner"));
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  runner_options o;
  o.batch_events = 500;
  projection_runner r(store, *log, o);
  ASSERT_TRUE(r.start());
  auto evs = testing::make_events(12000, 41);
  for (size_t i = 0; i < evs.size(); i += 2000) {
    std::vector<events::envelope> chunk(evs.begin() + static_cast<long>(i),
                                        evs.begin() + static_cast<long>(i + 2000));
    auto res = log->append(chunk).value();
    // Read-your-writes on the last event of each chunk.
    ASSERT_TRUE(r.wait_for(res.back().position, 30s));
  }
  auto end = log->stats().value().end_offsets;
  ASSERT_EQ(end.size(), 3u);
  ASSERT_TRUE(wait_end(r, end));
  auto st = r.status();
  EXPECT_EQ(st.applied, end);
  for (const auto& p : st.projections) EXPECT_EQ(p.lag, 0) << p.name;
  auto live = digests(*store);

  // Rebuild while running: same digests.
  ASSERT_TRUE(r.rebuild());
  EXPECT_EQ(digests(*store), live);
  r.stop();
  EXPECT_EQ(fresh_digests(*log), live);

  // Restore by time: events with time <= T on every partition.
  testing::temp_dir into;
  restore_options ro;
  ro.source_data_dir = d.path();
  ro.into = into.path();
  ro.at_time = from_micros(1'700'000'000'000'000 + 7'000 * 1000);
  auto rr = restore(*log, testing::test_models(), ro);
  ASSERT_TRUE(rr) << rr.error().message;
  auto limits = log->offsets_after_time(*ro.at_time).value();
  EXPECT_EQ(rr.value().limits, limits);
  int64_t sum = 0;
  for (auto l : limits) sum += l;
  EXPECT_EQ(sum, 7001);
  {
    store_options so;
    so.read_only = true;
    auto restored = projection_store::open(into.path(), testing::test_models(), so).value();
    testing::temp_dir fresh;
    auto f = open_store(fresh.path(), testing::test_models());
    projection_runner fr(f, *log);
    ASSERT_TRUE(fr.run_until(limits));
    EXPECT_EQ(digests(*restored), digests(*f));
  }
}

TEST(ProjectionRunnerKafka, OwnsOnlyItsPartitions) {
  ROMS_REQUIRE_KAFKA(brokers);
  auto log = kafka_log(brokers, testing::unique_topic("roms.runner"));
  log->append(testing::make_events(3000, 42)).value();
  auto end = log->stats().value().end_offsets;
  testing::temp_dir d;
  auto store = open_store(d.path(), testing::test_models());
  runner_options o;
  o.partitions = {1};  // this node's share
  projection_runner r(store, *log, o);
  ASSERT_TRUE(r.start());
  ASSERT_TRUE(r.wait_for({1, end[1] - 1}, 30s));
  EXPECT_FALSE(r.wait_for({0, 0}, 200ms));
  r.stop();
  auto pos = store->info("kv").value().position;
  pos.resize(3, 0);
  EXPECT_EQ(pos[0], 0);
  EXPECT_EQ(pos[1], end[1]);
  EXPECT_EQ(pos[2], 0);
  EXPECT_EQ(r.status().projections[0].lag, 0);  // lag counts the owned partitions
}

}  // namespace
}  // namespace roms::consumers
