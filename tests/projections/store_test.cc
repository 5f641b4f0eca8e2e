#include "projections/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <span>

#include "core/errc.h"
#include "projections/internal/rocks.h"
#include "tests/projections/engine_testing.h"
#include "tests/testing/temp_dir.h"

namespace roms::projections {
namespace {

using testing::kv_projection;
using testing::kv_set;
using testing::make_event;

events::stored_event ev(int32_t part, int64_t off, std::string type, std::string stream,
                        std::string payload) {
  return {{part, off},
          make_event(std::move(type), std::move(stream), std::move(payload),
                     1'700'000'000'000'000 + off, "id" + std::to_string(off))};
}

events::stored_event set(int64_t off, std::string k, std::string v, int32_t part = 0) {
  return ev(part, off, "kv.set", "s", events::encode_payload(kv_set{std::move(k), std::move(v)}));
}

// A projection that records what the fold context shows it, for overlay semantics.
class probe_projection final : public projection {
 public:
  std::function<void(const events::stored_event&, fold_context&)> fn;
  std::string_view name() const override { return "probe"; }
  uint32_t version() const override { return 1; }
  bool wants(std::string_view) const override { return true; }
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override {
    fn(e, ctx);
    return success();
  }
};

std::shared_ptr<projection_store> open_store(const std::filesystem::path& dir,
                                             std::vector<std::shared_ptr<projection>> models,
                                             store_options o = {}) {
  auto s = projection_store::open(dir, std::move(models), o);
  if (!s) ADD_FAILURE() << s.error().message;
  if (!s) std::abort();
  return s.value();
}

TEST(ProjectionStore, NewProjectionIsStaleUntilBuiltAndResetPolicyStartsFresh) {
  testing::temp_dir d;
  {
    auto s = open_store(d.path(), {std::make_shared<kv_projection>()});
    auto i = s->info("kv").value();
    EXPECT_EQ(i.stored_version, 0u);
    EXPECT_TRUE(i.stale());
    EXPECT_TRUE(i.position.empty());
  }
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  auto i = s->info("kv").value();
  EXPECT_EQ(i.stored_version, 1u);
  EXPECT_FALSE(i.stale());
}

TEST(ProjectionStore, CommitsWritesAndPositionTogetherAndSkipsAppliedEvents) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  {
    auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
    fold_batch b(*s, {s->live("kv")}, durability::wal);
    ASSERT_TRUE(b.apply(set(0, "a", "1")));
    ASSERT_TRUE(b.apply(set(1, "b", "2")));
    EXPECT_EQ(b.position(0), (std::vector<int64_t>{2}));
    EXPECT_TRUE(s->live("kv")->position().empty());  // not committed yet
    ASSERT_TRUE(b.commit());
    EXPECT_EQ(s->live("kv")->position(), (std::vector<int64_t>{2}));
    EXPECT_GT(b.last_commit_keys(), 0u);
  }
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  EXPECT_EQ(s->info("kv").value().position, (std::vector<int64_t>{2}));
  auto v = s->view("kv").value();
  EXPECT_EQ(v->get("k/a"), "1");
  EXPECT_EQ(v->get("k/b"), "2");
  EXPECT_EQ(v->get("n/s"), "2");
  // Offsets below the position are not applied again.
  fold_batch b(*s, {s->live("kv")}, durability::wal);
  ASSERT_TRUE(b.apply(set(1, "b", "changed")));
  ASSERT_TRUE(b.apply(set(2, "c", "3")));
  ASSERT_TRUE(b.commit());
  v = s->view("kv").value();
  EXPECT_EQ(v->get("k/b"), "2");
  EXPECT_EQ(v->get("k/c"), "3");
  EXPECT_EQ(v->get("n/s"), "3");
}

TEST(ProjectionStore, PositionsArePerPartition) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  fold_batch b(*s, {s->live("kv")}, durability::wal);
  ASSERT_TRUE(b.apply(set(0, "a", "1", 2)));
  ASSERT_TRUE(b.apply(set(5, "b", "1", 0)));
  ASSERT_TRUE(b.commit());
  EXPECT_EQ(s->live("kv")->position(), (std::vector<int64_t>{6, 0, 1}));
  ASSERT_TRUE(b.apply(set(0, "a", "again", 2)));  // already applied on partition 2
  ASSERT_TRUE(b.apply(set(0, "z", "1", 1)));      // partition 1 is new
  ASSERT_TRUE(b.commit());
  EXPECT_EQ(s->live("kv")->position(), (std::vector<int64_t>{6, 1, 1}));
  EXPECT_EQ(s->view("kv").value()->get("k/a"), "1");
}

TEST(ProjectionStore, OverlayReadsOwnWritesAndScanMergesOverStore) {
  testing::temp_dir d;
  auto probe = std::make_shared<probe_projection>();
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {probe}, o);
  {
    probe->fn = [](const events::stored_event&, fold_context& c) {
      c.put("a", "1");
      c.put("c", "3");
      c.put("e", "5");
    };
    fold_batch b(*s, {s->live("probe")}, durability::wal);
    ASSERT_TRUE(b.apply(set(0, "x", "y")));
    ASSERT_TRUE(b.commit());
  }
  std::vector<std::string> seen;
  probe->fn = [&](const events::stored_event& e, fold_context& c) {
    if (e.position.offset == 1) {
      EXPECT_EQ(c.get("a"), "1");  // from the store
      c.put("b", "2");             // new in the overlay
      c.del("c");                  // deleted in the overlay
      c.put("e", "55");            // overwritten in the overlay
      EXPECT_EQ(c.get("b"), "2");
      EXPECT_EQ(c.get("c"), std::nullopt);
    } else {
      c.scan("", "", [&](std::string_view k, std::string_view v) {
        seen.push_back(std::string(k) + "=" + std::string(v));
        return true;
      });
      std::vector<std::string> bounded;
      c.scan("b", "e", [&](std::string_view k, std::string_view) {
        bounded.emplace_back(k);
        return true;
      });
      EXPECT_EQ(bounded, (std::vector<std::string>{"b"}));
      int n = 0;
      c.scan("a", "z", [&](std::string_view, std::string_view) { return ++n < 2; });
      EXPECT_EQ(n, 2);  // f returning false stops
    }
  };
  fold_batch b(*s, {s->live("probe")}, durability::wal);
  ASSERT_TRUE(b.apply(set(1, "x", "y")));
  ASSERT_TRUE(b.apply(set(2, "x", "y")));
  // Reserved keys never show up in a scan, overlay or store.
  EXPECT_EQ(seen, (std::vector<std::string>{"a=1", "b=2", "e=55"}));
  ASSERT_TRUE(b.commit());
  auto v = s->view("probe").value();
  EXPECT_EQ(v->get("b"), "2");
  EXPECT_EQ(v->get("c"), std::nullopt);
  EXPECT_EQ(v->get("e"), "55");
}

TEST(ProjectionStore, WritingAReservedKeyFailsNamingTheProjectionAndPosition) {
  testing::temp_dir d;
  auto probe = std::make_shared<probe_projection>();
  probe->fn = [](const events::stored_event&, fold_context& c) { c.put("\xffroms.position", "x"); };
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {probe}, o);
  fold_batch b(*s, {s->live("probe")}, durability::wal);
  auto r = b.apply(set(7, "x", "y"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'probe'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("offset 7"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("reserved"), std::string::npos) << r.error().message;
}

TEST(ProjectionStore, ApplyErrorNamesPositionAndTypeAndCommitsNothing) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  fold_batch b(*s, {s->live("kv")}, durability::wal);
  ASSERT_TRUE(b.apply(set(0, "a", "1")));
  auto r = b.apply(ev(3, 1, "poison", "s", "{}"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::invalid_argument));
  EXPECT_NE(r.error().message.find("partition 3 offset 1 (poison v1"), std::string::npos)
      << r.error().message;
  b.reset();
  ASSERT_TRUE(b.commit());
  EXPECT_TRUE(s->live("kv")->position().empty());
  EXPECT_EQ(s->view("kv").value()->get("k/a"), std::nullopt);
}

TEST(ProjectionStore, ViewIsASnapshotAndScansBothWays) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  fold_batch b(*s, {s->live("kv")}, durability::wal);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.apply(set(i, std::to_string(i), "v")));
  ASSERT_TRUE(b.commit());
  auto v = s->view("kv").value();
  ASSERT_TRUE(b.apply(set(5, "5", "v")));
  ASSERT_TRUE(b.commit());
  EXPECT_EQ(v->get("k/5"), std::nullopt);  // taken before
  EXPECT_EQ(s->view("kv").value()->get("k/5"), "v");
  std::vector<std::string> fwd, rev;
  v->scan("k/1", "k/4", [&](std::string_view k, std::string_view) {
    fwd.emplace_back(k);
    return true;
  });
  v->scan(
      "k/1", "k/4",
      [&](std::string_view k, std::string_view) {
        rev.emplace_back(k);
        return true;
      },
      true);
  EXPECT_EQ(fwd, (std::vector<std::string>{"k/1", "k/2", "k/3"}));
  EXPECT_EQ(rev, (std::vector<std::string>{"k/3", "k/2", "k/1"}));
  // Reserved keys are invisible to views.
  EXPECT_EQ(v->get("\xffroms.position"), std::nullopt);
  size_t all = 0;
  v->scan("", "", [&](std::string_view, std::string_view) {
    ++all;
    return true;
  });
  EXPECT_EQ(all, 6u);  // 5 keys + n/s
}

TEST(ProjectionStore, DigestCoversReadModelOnlyAndChangesWithAnyValue) {
  testing::temp_dir d1, d2;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto a = open_store(d1.path(), {std::make_shared<kv_projection>()}, o);
  auto b = open_store(d2.path(), {std::make_shared<kv_projection>()}, o);
  {
    fold_batch x(*a, {a->live("kv")}, durability::wal);
    ASSERT_TRUE(x.apply(set(0, "a", "1")));
    ASSERT_TRUE(x.apply(set(1, "b", "2")));
    ASSERT_TRUE(x.commit());
  }
  {
    // Same contents reached in two batches and at a different position: same digest.
    fold_batch y(*b, {b->live("kv")}, durability::no_wal);
    ASSERT_TRUE(y.apply(set(10, "a", "1")));
    ASSERT_TRUE(y.commit());
    ASSERT_TRUE(y.apply(set(11, "b", "2")));
    ASSERT_TRUE(y.commit());
  }
  auto da = a->digest("kv").value();
  EXPECT_EQ(da.size(), 64u);
  EXPECT_EQ(da, b->digest("kv").value());
  fold_batch y(*b, {b->live("kv")}, durability::wal);
  ASSERT_TRUE(y.apply(set(12, "b", "3")));
  ASSERT_TRUE(y.commit());
  EXPECT_NE(da, b->digest("kv").value());
  EXPECT_FALSE(a->digest("nope"));
}

TEST(ProjectionStore, GenerationSwitchKeepsOldViewsAndDropsOldData) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  {
    fold_batch b(*s, {s->live("kv")}, durability::wal);
    ASSERT_TRUE(b.apply(set(0, "old", "1")));
    ASSERT_TRUE(b.commit());
  }
  auto old_view = s->view("kv").value();
  auto old_target = s->live("kv");
  auto old_gen = old_target->generation();
  auto g = s->begin_generation("kv").value();
  {
    fold_batch b(*s, {g}, durability::no_wal);
    ASSERT_TRUE(b.apply(set(0, "new", "1")));
    ASSERT_TRUE(b.commit());
  }
  EXPECT_EQ(s->view("kv").value()->get("k/new"), std::nullopt);  // not live yet
  ASSERT_TRUE(s->switch_to(g));
  EXPECT_NE(s->live("kv")->generation(), old_gen);
  EXPECT_EQ(s->view("kv").value()->get("k/new"), "1");
  EXPECT_EQ(s->view("kv").value()->get("k/old"), std::nullopt);
  // A view taken before the switch still reads the dropped generation.
  EXPECT_EQ(old_view->get("k/old"), "1");
  size_t n = 0;
  old_view->scan("", "", [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  EXPECT_EQ(n, 2u);
  // Writing to the replaced generation is refused.
  {
    fold_batch stale_writer(*s, {old_target}, durability::wal);
    ASSERT_TRUE(stale_writer.apply(set(1, "late", "1")));
    auto c = stale_writer.commit();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, make_error_code(errc::conflict));
  }
  old_target.reset();
  old_view.reset();
  g.reset();  // any generation held keeps the DB open
  s.reset();
  // After reopening, the switched generation is live and its data survived (it was flushed
  // although written without WAL).
  auto s2 = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  EXPECT_EQ(s2->view("kv").value()->get("k/new"), "1");
  EXPECT_EQ(s2->info("kv").value().position, (std::vector<int64_t>{1}));
}

TEST(ProjectionStore, UnfinishedGenerationIsDroppedOnOpen) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  uint64_t live_gen = 0;
  {
    auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
    live_gen = s->live("kv")->generation();
    auto g = s->begin_generation("kv").value();
    fold_batch b(*s, {g}, durability::no_wal);
    ASSERT_TRUE(b.apply(set(0, "half", "1")));
    ASSERT_TRUE(b.commit());
  }
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  EXPECT_EQ(s->live("kv")->generation(), live_gen);
  EXPECT_EQ(s->view("kv").value()->get("k/half"), std::nullopt);
}

TEST(ProjectionStore, ViewOutlivesStore) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  std::shared_ptr<const read_view> v;
  {
    auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
    fold_batch b(*s, {s->live("kv")}, durability::wal);
    ASSERT_TRUE(b.apply(set(0, "a", "1")));
    ASSERT_TRUE(b.commit());
    v = s->view("kv").value();
  }
  EXPECT_EQ(v->get("k/a"), "1");
}

TEST(ProjectionStore, SecondWriterIsLockedOutButReadOnlyWorks) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  {
    fold_batch b(*s, {s->live("kv")}, durability::wal);
    ASSERT_TRUE(b.apply(set(0, "a", "1")));
    ASSERT_TRUE(b.commit());
    ASSERT_TRUE(s->flush());
  }
  auto second = projection_store::open(d.path(), {std::make_shared<kv_projection>()}, o);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, make_error_code(errc::locked)) << second.error().message;
  store_options ro;
  ro.read_only = true;
  auto r = projection_store::open(d.path(), {std::make_shared<kv_projection>()}, ro);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value()->view("kv").value()->get("k/a"), "1");
  EXPECT_EQ(r.value()->digest("kv").value(), s->digest("kv").value());
  EXPECT_FALSE(r.value()->begin_generation("kv"));
}

TEST(ProjectionStore, CheckpointsRecordPositionsAndKeepTheLastK) {
  testing::temp_dir d, into;
  store_options o;
  o.on_stale = stale_policy::reset;
  o.keep_checkpoints = 2;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  fold_batch b(*s, {s->live("kv")}, durability::wal);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(b.apply(set(i, "k" + std::to_string(i), "v")));
    ASSERT_TRUE(b.commit());
    auto cp = s->checkpoint();
    ASSERT_TRUE(cp) << cp.error().message;
    EXPECT_EQ(cp.value().projections.at("kv").position, (std::vector<int64_t>{i + 1}));
  }
  auto cps = projection_store::list_checkpoints(d.path());
  ASSERT_EQ(cps.size(), 2u);
  EXPECT_EQ(cps[0].sequence, 1u);  // keep 2: the oldest and the newest stay
  EXPECT_EQ(cps[1].sequence, 3u);
  EXPECT_EQ(cps[0].projections.at("kv").position, (std::vector<int64_t>{1}));
  EXPECT_EQ(cps[1].projections.at("kv").position, (std::vector<int64_t>{3}));
  EXPECT_EQ(cps[1].projections.at("kv").version, 1u);
  ASSERT_TRUE(projection_store::copy_checkpoint(cps[0], into.path()));
  EXPECT_FALSE(projection_store::copy_checkpoint(cps[0], into.path()));  // not twice
  auto c = open_store(into.path(), {std::make_shared<kv_projection>()}, o);
  EXPECT_EQ(c->info("kv").value().position, (std::vector<int64_t>{1}));
  EXPECT_EQ(c->view("kv").value()->get("k/k0"), "v");
  EXPECT_EQ(c->view("kv").value()->get("k/k1"), std::nullopt);
  ASSERT_TRUE(s->checkpoint());
  cps = projection_store::list_checkpoints(d.path());
  ASSERT_EQ(cps.size(), 2u);
  EXPECT_EQ(cps[0].sequence, 1u);
  EXPECT_EQ(cps[1].sequence, 4u);
}

// The live path commits without the WAL: what a checkpoint records must be what it holds.
TEST(ProjectionStore, CheckpointsOfWritesWithoutTheWalHoldWhatTheyRecord) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  fold_batch b(*s, {s->live("kv")}, durability::no_wal);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(b.apply(set(i, "k" + std::to_string(i), "v" + std::to_string(i))));
    ASSERT_TRUE(b.commit());
  }
  auto cp = s->checkpoint();
  ASSERT_TRUE(cp) << cp.error().message;
  EXPECT_EQ(cp.value().projections.at("kv").position, (std::vector<int64_t>{3}));
  // Committed after the checkpoint: not in it, and not recorded as in it.
  ASSERT_TRUE(b.apply(set(3, "k3", "v3")));
  ASSERT_TRUE(b.commit());
  testing::temp_dir into;
  ASSERT_TRUE(projection_store::copy_checkpoint(cp.value(), into.path()));
  auto c = open_store(into.path(), {std::make_shared<kv_projection>()}, o);
  EXPECT_EQ(c->info("kv").value().position, (std::vector<int64_t>{3}));
  EXPECT_EQ(c->view("kv").value()->get("k/k2"), "v2");
  EXPECT_EQ(c->view("kv").value()->get("k/k3"), std::nullopt);
}

// Writes without the WAL survive a clean close: RocksDB flushes them when the store closes.
TEST(ProjectionStore, WritesWithoutTheWalSurviveACleanClose) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  {
    auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
    fold_batch b(*s, {s->live("kv")}, durability::no_wal);
    ASSERT_TRUE(b.apply(set(0, "a", "1")));
    ASSERT_TRUE(b.apply(set(1, "b", "2")));
    ASSERT_TRUE(b.commit());
  }
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  EXPECT_EQ(s->info("kv").value().position, (std::vector<int64_t>{2}));
  EXPECT_EQ(s->view("kv").value()->get("k/b"), "2");
}

TEST(ProjectionStore, CheckpointThinningKeepsOldestNewestAndSpreadsTheRest) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  o.keep_checkpoints = 4;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  fold_batch b(*s, {s->live("kv")}, durability::wal);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(b.apply(set(i, "k", "v")));
    ASSERT_TRUE(b.commit());
    ASSERT_TRUE(s->checkpoint());
  }
  auto cps = projection_store::list_checkpoints(d.path());
  ASSERT_EQ(cps.size(), 4u);
  EXPECT_EQ(cps.front().sequence, 1u);
  EXPECT_EQ(cps.back().sequence, 10u);
  // Gaps grow towards the past.
  std::vector<int64_t> at;
  for (const auto& c : cps) at.push_back(c.projections.at("kv").position[0]);
  EXPECT_GE(at[1] - at[0], at[3] - at[2]) << at[0] << " " << at[1] << " " << at[2] << " " << at[3];
}

TEST(ProjectionStore, RejectsBadProjectionNames) {
  testing::temp_dir d;
  auto r = projection_store::open(d.path(), {std::make_shared<kv_projection>("Bad Name")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::invalid_argument));
  auto dup = projection_store::open(
      d.path(), {std::make_shared<kv_projection>(), std::make_shared<kv_projection>()});
  EXPECT_FALSE(dup);
}

TEST(ProjectionStore, MemoryBudgetIsOneCacheForBlocksAndMemtables) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  o.memory_budget_bytes = 16ull << 20;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  fold_batch b(*s, {s->live("kv")}, durability::wal);
  for (int i = 0; i < 20000; ++i)
    ASSERT_TRUE(b.apply(set(i, std::to_string(i), std::string(100, 'x'))));
  ASSERT_TRUE(b.commit());
  auto st = s->debug_stats();
  EXPECT_NE(st.find("of 16777216"), std::string::npos) << st;  // cache capacity
  EXPECT_NE(st.find("of 8388608"), std::string::npos) << st;   // memtables: half
}

TEST(ProjectionStore, FoldCacheSizeDoesNotChangeResults) {
  // The overlay keeps values between batches (cache); evicting more or less must not matter.
  auto evs = testing::make_events(20000, 77);
  std::vector<std::string> digests;
  for (uint64_t cache : {uint64_t{0}, uint64_t{4096}, uint64_t{8} << 20}) {
    testing::temp_dir d;
    store_options o;
    o.on_stale = stale_policy::reset;
    o.fold_cache_bytes = cache;
    auto s = open_store(d.path(), testing::test_models(), o);
    for (size_t i = 0; i < evs.size(); i += 700) {
      fold_batch b(*s, {s->live("kv"), s->live("counts")}, durability::wal);
      for (size_t j = i; j < std::min(evs.size(), i + 700); ++j) {
        events::stored_event e{{0, static_cast<int64_t>(j)}, evs[j]};
        ASSERT_TRUE(b.apply(e));
      }
      ASSERT_TRUE(b.commit());
    }
    digests.push_back(s->digest("kv").value() + s->digest("counts").value());
  }
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_EQ(digests[0], digests[2]);
}

TEST(ProjectionStore, BulkBatchKeepsWritesInMemoryUntilOverBudgetThenIngestsThem) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  o.bulk_memory_bytes = 64 << 10;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  auto g = s->begin_generation("kv").value();
  {
    fold_batch b(*s, {g}, durability::bulk);
    ASSERT_TRUE(b.apply(set(0, "a", "1")));
    ASSERT_TRUE(b.apply(set(1, "a", "2")));
    ASSERT_TRUE(b.commit_separately(1));  // well under the budget: stays in memory
    EXPECT_TRUE(g->position().empty());
    EXPECT_EQ(b.last_commit_keys(), 0u);
    EXPECT_EQ(b.position(0), (std::vector<int64_t>{2}));
    // Over the budget: written out as an SST file with the position.
    int64_t off = 2;
    for (; off < 2000; ++off)
      ASSERT_TRUE(b.apply(set(off, "k" + std::to_string(off), std::string(100, 'x'))));
    ASSERT_TRUE(b.commit_separately(1));
    EXPECT_EQ(b.last_commit_keys(), 2000u);  // k/a, n/s and 1998 more
    EXPECT_EQ(g->position(), (std::vector<int64_t>{2000}));
    // After the write-out, reads reach what was ingested (n/s counts on from 2000).
    ASSERT_TRUE(b.apply(set(off++, "a", "3")));
    ASSERT_TRUE(b.finish(1));
    EXPECT_EQ(g->position(), (std::vector<int64_t>{2001}));
  }
  EXPECT_TRUE(std::filesystem::is_empty(s->dir() / "ingest"));  // ingested files moved in
  ASSERT_TRUE(s->switch_to(g));
  auto v = s->view("kv").value();
  EXPECT_EQ(v->get("n/s"), "2001");
  EXPECT_EQ(v->get("k/a"), "3");
  EXPECT_EQ(v->get("k/k1999"), std::string(100, 'x'));
  EXPECT_EQ(s->info("kv").value().position, (std::vector<int64_t>{2001}));
  // A bulk batch destroyed with writes pending forgets them.
  auto g2 = s->begin_generation("kv").value();
  {
    fold_batch b(*s, {g2}, durability::bulk);
    ASSERT_TRUE(b.apply(set(0, "z", "1")));
    ASSERT_TRUE(b.commit_separately(1));
  }
  EXPECT_TRUE(g2->position().empty());
  ASSERT_TRUE(s->switch_to(g2));
  EXPECT_FALSE(s->view("kv").value()->get("k/z"));
}

TEST(ProjectionStore, BulkBudgetDoesNotChangeResults) {
  // Never written out before the end, written out at every batch, and in between.
  auto evs = testing::make_events(20000, 78);
  std::vector<std::string> digests;
  for (uint64_t budget : {uint64_t{1} << 30, uint64_t{1}, uint64_t{256} << 10}) {
    testing::temp_dir d;
    store_options o;
    o.on_stale = stale_policy::reset;
    o.bulk_memory_bytes = budget;
    auto s = open_store(d.path(), testing::test_models(), o);
    auto kv = s->begin_generation("kv").value();
    auto counts = s->begin_generation("counts").value();
    {
      fold_batch b(*s, {kv, counts}, durability::bulk);
      for (size_t i = 0; i < evs.size(); i += 700) {
        for (size_t j = i; j < std::min(evs.size(), i + 700); ++j) {
          events::stored_event e{{0, static_cast<int64_t>(j)}, evs[j]};
          ASSERT_TRUE(b.apply(e));
        }
        ASSERT_TRUE(b.commit_separately(2));
      }
      ASSERT_TRUE(b.finish(2));
    }
    ASSERT_TRUE(s->switch_to(kv));
    ASSERT_TRUE(s->switch_to(counts));
    digests.push_back(s->digest("kv").value() + s->digest("counts").value());
  }
  // The same events through the live path.
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), testing::test_models(), o);
  fold_batch b(*s, {s->live("kv"), s->live("counts")}, durability::wal);
  for (size_t j = 0; j < evs.size(); ++j) {
    events::stored_event e{{0, static_cast<int64_t>(j)}, evs[j]};
    ASSERT_TRUE(b.apply(e));
  }
  ASSERT_TRUE(b.commit());
  const std::string live = s->digest("kv").value() + s->digest("counts").value();
  EXPECT_EQ(digests[0], live);
  EXPECT_EQ(digests[1], live);
  EXPECT_EQ(digests[2], live);
}

// kv.set {k, v}: r/<k> → v, and the index entry v/<v>/<k>, which moves with every set of k:
// write-only, and derived from r/ (projection::derived_prefixes()). Counts derive() calls.
class indexed_projection final : public projection {
 public:
  std::atomic<int> derives{0};
  bool fail_derive = false;
  std::vector<std::string> write_only = {"v/"};
  std::string_view name() const override { return "idx"; }
  uint32_t version() const override { return 1; }
  bool wants(std::string_view t) const override { return t == "kv.set"; }
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override {
    auto p = events::decode_payload<kv_set>(e.event.payload);
    if (!p) return p.error();
    const auto& [k, v] = p.value();
    if (auto old = ctx.get("r/" + k)) ctx.del("v/" + *old + "/" + k);
    ctx.put("r/" + k, v);
    ctx.put("v/" + v + "/" + k, "");
    return success();
  }
  std::vector<std::string> write_only_prefixes() const override { return write_only; }
  std::vector<std::string> derived_prefixes() const override { return {"v/"}; }
  std::string derived_from() const override { return "r/"; }
  result_msg<void> derive(std::string_view key, std::string_view value,
                          fold_context& ctx) const override {
    ++const_cast<indexed_projection*>(this)->derives;
    if (fail_derive) return error_info{make_error_code(errc::corruption), "bad record"};
    ctx.put("v/" + std::string(value) + "/" + std::string(key.substr(2)), "");
    return success();
  }
};

std::vector<events::stored_event> index_moves(size_t n, int64_t first = 0) {
  std::vector<events::stored_event> out;
  std::mt19937 rng(7);
  for (size_t i = 0; i < n; ++i)
    out.push_back(set(first + static_cast<int64_t>(i), "key" + std::to_string(rng() % 40),
                      "val" + std::to_string(rng() % 10)));
  return out;
}

TEST(ProjectionStore, BulkLoadWritesDerivedEntriesOnceFromTheRecords) {
  auto evs = index_moves(3000);
  auto more = index_moves(500, 3000);
  // The live path: every set moves its index entry.
  std::string live;
  {
    testing::temp_dir d;
    auto p = std::make_shared<indexed_projection>();
    auto s = open_store(d.path(), {p});
    fold_batch b(*s, {s->live("idx")}, durability::wal);
    for (const auto& e : evs) ASSERT_TRUE(b.apply(e));
    for (const auto& e : more) ASSERT_TRUE(b.apply(e));
    ASSERT_TRUE(b.commit());
    live = s->digest("idx").value();
    EXPECT_EQ(p->derives, 0);  // only bulk loads derive
  }
  // Bulk loads: never written out before the end, at every commit, and in between.
  for (uint64_t budget : {uint64_t{1} << 30, uint64_t{1}, uint64_t{16} << 10}) {
    SCOPED_TRACE(budget);
    testing::temp_dir d;
    store_options o;
    o.on_stale = stale_policy::reset;
    o.bulk_memory_bytes = budget;
    auto p = std::make_shared<indexed_projection>();
    auto s = open_store(d.path(), {p}, o);
    auto g = s->begin_generation("idx").value();
    {
      fold_batch b(*s, {g}, durability::bulk);
      for (size_t i = 0; i < evs.size(); i += 250) {
        ASSERT_TRUE(b.apply(std::span(evs).subspan(i, std::min<size_t>(250, evs.size() - i))));
        ASSERT_TRUE(b.commit_separately(1));
        // What goes out while it folds: the 40 records, none of their index entries.
        EXPECT_LE(b.last_commit_keys(), 40u);
      }
      EXPECT_EQ(p->derives, 0);
      ASSERT_TRUE(b.finish(1));
      EXPECT_EQ(p->derives, 40);  // once per record
      // After the first finish the fold moves the entries itself (a rebuild's last stretch,
      // folded while the live runner waits).
      ASSERT_TRUE(b.apply(more));
      ASSERT_TRUE(b.finish(1));
      EXPECT_EQ(p->derives, 40);
    }
    ASSERT_TRUE(s->switch_to(g));
    EXPECT_EQ(s->digest("idx").value(), live);
    EXPECT_EQ(s->view("idx").value()->get("r/key1").has_value(), true);
  }
}

TEST(ProjectionStore, BulkLoadMergesMoreL0FilesAtATimeUntilTheBatchEnds) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  auto trigger = [](const std::shared_ptr<fold_target>& t) {
    auto g = std::dynamic_pointer_cast<internal::gen_cf>(t);
    return g->db()->db->GetOptions(g->cf()).level0_file_num_compaction_trigger;
  };
  auto g = s->begin_generation("kv").value();
  const int normal = trigger(g);
  EXPECT_EQ(normal, 4);  // RocksDB's default, the live path's
  {
    fold_batch b(*s, {g}, durability::bulk);
    EXPECT_EQ(trigger(g), 16);
    ASSERT_TRUE(b.apply(set(0, "a", "1")));
    ASSERT_TRUE(b.finish(1));
    EXPECT_EQ(trigger(g), 16);
  }
  EXPECT_EQ(trigger(g), normal);
  // Not for a generation that already holds data, nor on the live path.
  {
    fold_batch b(*s, {g}, durability::bulk);
    EXPECT_EQ(trigger(g), normal);
  }
  {
    fold_batch b(*s, {s->live("kv")}, durability::no_wal);
    EXPECT_EQ(trigger(s->live("kv")), normal);
  }
}

// A projection whose version and readable older versions the test chooses.
class versioned_projection final : public projection {
 public:
  versioned_projection(uint32_t v, std::vector<uint32_t> reads) : v_(v), reads_(std::move(reads)) {}
  std::string_view name() const override { return "vp"; }
  uint32_t version() const override { return v_; }
  bool wants(std::string_view t) const override { return t == "kv.set"; }
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override {
    auto p = events::decode_payload<kv_set>(e.event.payload);
    if (!p) return p.error();
    ctx.put("k/" + p.value().k, p.value().v);
    return success();
  }
  bool reads_stored_version(uint32_t v) const override {
    return std::find(reads_.begin(), reads_.end(), v) != reads_.end();
  }

 private:
  uint32_t v_;
  std::vector<uint32_t> reads_;
};

TEST(ProjectionStore, AStaleGenerationThisCodeCannotReadIsNotServed) {
  testing::temp_dir d;
  {
    store_options o;
    o.on_stale = stale_policy::reset;
    auto s = open_store(d.path(), {std::make_shared<versioned_projection>(1, std::vector<uint32_t>{})}, o);
    fold_batch b(*s, {s->live("vp")}, durability::wal);
    ASSERT_TRUE(b.apply(set(0, "a", "1")));
    ASSERT_TRUE(b.commit());
  }
  // Version 2 reads version 1's records: the stale generation keeps serving while it rebuilds.
  {
    auto s = open_store(d.path(), {std::make_shared<versioned_projection>(2, std::vector<uint32_t>{1})});
    ASSERT_TRUE(s->info("vp").value().stale());
    auto v = s->view("vp");
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v.value()->get("k/a"), "1");
  }
  // Version 3 does not: its views answer "unavailable", saying why, until the rebuild switches.
  auto s = open_store(d.path(), {std::make_shared<versioned_projection>(3, std::vector<uint32_t>{})});
  auto v = s->view("vp");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, make_error_code(errc::unavailable));
  EXPECT_NE(v.error().message.find("the 'vp' read model is being rebuilt for this version of "
                                   "ROMS (stored by version 1, read by version 3)"),
            std::string::npos)
      << v.error().message;
  EXPECT_TRUE(s->digest("vp"));  // the bytes are still there: status and digest work
  auto g = s->begin_generation("vp").value();
  {
    fold_batch b(*s, {g}, durability::bulk);
    ASSERT_TRUE(b.apply(set(0, "a", "1")));
    ASSERT_TRUE(b.finish(1));
  }
  ASSERT_TRUE(s->switch_to(g));
  v = s->view("vp");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v.value()->get("k/a"), "1");
}

TEST(ProjectionStore, AFailedDeriveFailsTheBulkLoadNamingTheProjection) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto p = std::make_shared<indexed_projection>();
  p->fail_derive = true;
  auto s = open_store(d.path(), {p}, o);
  auto g = s->begin_generation("idx").value();
  fold_batch b(*s, {g}, durability::bulk);
  ASSERT_TRUE(b.apply(index_moves(100)));
  auto r = b.finish(1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("projection 'idx' cannot derive its index entries from 'r/key"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("bad record"), std::string::npos);
}

TEST(ProjectionStore, RefusesDerivedEntriesAFoldCouldRead) {
  testing::temp_dir d;
  auto p = std::make_shared<indexed_projection>();
  p->write_only = {};  // v/ would be read back like any key
  auto s = projection_store::open(d.path(), {p});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, make_error_code(errc::invalid_argument));
  EXPECT_NE(s.error().message.find("derived prefix 'v/' must be under a write-only prefix"),
            std::string::npos)
      << s.error().message;
}

TEST(ProjectionStoreDeathTest, TwoBatchesOnOneGenerationAbort) {
  testing::temp_dir d;
  store_options o;
  o.on_stale = stale_policy::reset;
  auto s = open_store(d.path(), {std::make_shared<kv_projection>()}, o);
  fold_batch first(*s, {s->live("kv")}, durability::wal);
  EXPECT_DEATH(fold_batch second(*s, {s->live("kv")}, durability::wal), "");
}

}  // namespace
}  // namespace roms::projections
