// projection::derived_prefixes() (projection.h): a rebuild writes a read model's derived index
// entries once, from its records, instead of moving them with every event. That is only right
// if the fold and derive() agree: after any sequence of events, the entries the fold leaves
// under the derived prefixes are exactly those derive() makes from the records. Checked here
// for every read model that has derived entries, on generated shop data, at many points.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "projections/read_models.h"
#include "tests/projections/read_models/memory_store.h"
#include "tools/gen/generator.h"

namespace roms::projections {
namespace {

using testing::memory_store;

bool under(std::string_view key, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (key.starts_with(p)) return true;
  return false;
}

// Generated shop data with many orders in flight (status changes, cancellations, ticks), as
// one partition's stored events.
std::vector<events::stored_event> generated(uint64_t seed, uint64_t count) {
  tools::gen::gen_options go;
  go.seed = seed;
  go.events = count;
  go.orders_per_minute = 20;
  tools::gen::generator g(go);
  std::vector<events::stored_event> evs;
  while (true) {
    auto b = g.next(4096);
    if (b.empty()) break;
    for (auto& e : b) evs.push_back({{0, static_cast<int64_t>(evs.size())}, std::move(e)});
  }
  return evs;
}

// The fold's entries under the derived prefixes, and what derive() makes from the records.
void expect_agree(const projection& p, const memory_store& folded, size_t* derived_count) {
  std::map<std::string, std::string> from_fold;
  for (const auto& [k, v] : folded.data())
    if (under(k, p.derived_prefixes())) from_fold.emplace(k, v);
  memory_store d;
  const std::string from = p.derived_from();
  for (auto it = folded.data().lower_bound(from);
       it != folded.data().end() && it->first.starts_with(from); ++it) {
    auto r = p.derive(it->first, it->second, d);
    ASSERT_TRUE(r) << r.error().message;
  }
  for (const auto& [k, v] : d.data())
    ASSERT_TRUE(under(k, p.derived_prefixes())) << p.name() << ": derive() put " << k;
  EXPECT_EQ(from_fold, d.data()) << p.name();
  *derived_count = d.data().size();
}

TEST(DerivedIndexes, EachReadModelsFoldLeavesWhatDeriveMakes) {
  const auto evs = generated(11, 30000);
  size_t with_derived = 0;
  for (auto& m : make_read_models(true)) {
    if (m->derived_prefixes().empty()) continue;
    ++with_derived;
    memory_store s;
    size_t count = 0;
    for (size_t i = 0; i < evs.size(); ++i) {
      if (m->wants(evs[i].event.type)) {
        auto r = m->apply(evs[i], s);
        ASSERT_TRUE(r) << r.error().message;
      }
      if (i % 5000 == 4999) expect_agree(*m, s, &count);
    }
    expect_agree(*m, s, &count);
    EXPECT_GT(count, 1000u) << m->name();  // the check saw real indexes
  }
  EXPECT_GE(with_derived, 2u);  // orders and customers
}

// While a rebuild defers the derived entries (fold_context::deferring()), the read models do
// not make them at all (building their keys cost more than the engine's drop), and everything
// else they write is what they write otherwise.
TEST(DerivedIndexes, ReadModelsSkipDerivedEntriesWhileDeferred) {
  const auto evs = generated(5, 20000);
  size_t with_derived = 0;
  for (auto& m : make_read_models(true)) {
    if (m->derived_prefixes().empty()) continue;
    ++with_derived;
    memory_store plain, deferred;
    deferred.defer(m->derived_prefixes());
    for (const auto& e : evs) {
      if (!m->wants(e.event.type)) continue;
      ASSERT_TRUE(m->apply(e, plain));
      ASSERT_TRUE(m->apply(e, deferred));
    }
    EXPECT_EQ(deferred.dropped_writes(), 0u) << m->name();
    std::map<std::string, std::string> rest;
    size_t derived = 0;
    for (const auto& [k, v] : plain.data()) {
      if (under(k, m->derived_prefixes())) {
        ++derived;
      } else {
        rest.emplace(k, v);
      }
    }
    EXPECT_GT(derived, 1000u) << m->name();
    EXPECT_EQ(deferred.data(), rest) << m->name();
  }
  EXPECT_GE(with_derived, 2u);
}

// Every derived prefix lies under a write-only prefix (the store refuses a projection whose
// does not): a fold never reads what a rebuild writes only at the end.
TEST(DerivedIndexes, DerivedPrefixesAreWriteOnly) {
  for (auto& m : make_read_models(true))
    for (const auto& d : m->derived_prefixes())
      EXPECT_TRUE(under(d, m->write_only_prefixes())) << m->name() << ": " << d;
}

}  // namespace
}  // namespace roms::projections
