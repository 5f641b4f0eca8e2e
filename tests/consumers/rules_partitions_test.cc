// The rules over a multi-partition log (Kafka-like, testing::memory_log): streams land in
// different partitions, so an order's events, its customer, the clock and the messages
// interleave arbitrarily; positions and the origin are per partition. Every order still gets
// one thank-you, every due reminder one message, and a replay from 0 appends nothing.
#include <gtest/gtest.h>

#include <map>

#include "tests/consumers/rules_testing.h"
#include "tests/projections/engine_testing.h"

namespace roms::testing {
namespace {

TEST(RulesPartitions, OneMessageEachAcrossFourPartitionsAndNothingOnReplay) {
  memory_log log(4);
  rules_bench b(log, /*single_partition=*/false);
  b.open(/*start_rules=*/false);
  b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", "Gula Aren-nya sekalian?", 0, 1000);
  b.customer("cus_budi", "+6281234567890", "Budi");
  b.customer("cus_sari", "+6285700001111", "Sari");
  // History before the rules first start, in several partitions.
  for (int i = 0; i < 10; ++i)
    b.order("ord_old" + std::to_string(i), "cus_budi", {{"prd_kopi", 1}}, kT0 - kDay + i);
  b.settle();
  ASSERT_TRUE(b.rules().start());
  auto origin = b.rules().status().origin;
  ASSERT_EQ(origin.size(), 4u);

  b.rule("rem_all", "Semua", 1, "", "Halo {name}, {product_name}? {recommendation}", true, kT0);
  b.settle();
  for (int i = 0; i < 30; ++i) {
    std::string id = "ord_" + std::to_string(i);
    b.order(id, i % 2 ? "cus_budi" : "cus_sari", {{"prd_kopi", 1}}, kT0 + kHour + i * kMinute);
    if (i % 3 == 0) b.status(id, "pending", "delivered", kT0 + 2 * kHour + i * kMinute);
  }
  b.settle();
  b.tick(kT0 + 3 * kDay);
  b.settle();

  std::map<std::string, int> per_key;
  for (const auto& m : b.messages()) ++per_key[m.idempotency_key];
  int thanks = 0, reminders = 0;
  for (const auto& [k, n] : per_key) {
    EXPECT_EQ(n, 1) << k;
    EXPECT_EQ(k.find("ord_old"), std::string::npos) << "history triggered " << k;
    thanks += k.rfind("thank_you:", 0) == 0;
    reminders += k.rfind("reminder:", 0) == 0;
  }
  EXPECT_EQ(thanks, 30);
  // Each delivered order's reminder fired, unless the same customer re-ordered coffee after
  // its delivery: then it was cancelled, or never scheduled when the re-order was evaluated
  // first (another partition). fired + cancelled = scheduled.
  auto scheduled = b.payloads<events::reminder_scheduled>().size();
  EXPECT_LE(scheduled, 10u);
  EXPECT_GT(scheduled, 0u);
  EXPECT_EQ(reminders + b.payloads<events::reminder_cancelled>().size(), scheduled);

  std::vector<int64_t> ends = log.stats().value().end_offsets;
  const auto appended = b.rules().status().appended;
  b.rules().stop();
  ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0, 0, 0, 0}));
  ASSERT_TRUE(b.rules().start());
  EXPECT_EQ(b.rules().status().origin, origin);
  b.settle();
  EXPECT_EQ(log.stats().value().end_offsets, ends);
  EXPECT_EQ(b.rules().status().appended, appended);
}

}  // namespace
}  // namespace roms::testing
