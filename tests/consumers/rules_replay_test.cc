// Replay safety of the rules (issue item 7, the rule side): a shop's worth of events through
// every rule, then every projection rebuilt from the log, the rules replayed from position 0
// and everything restarted: not one event is appended, and the automation read model has the
// same digest.
#include <gtest/gtest.h>

#include "tests/consumers/rules_testing.h"

namespace roms::testing {
namespace {

TEST(RulesReplay, RebuildReplayAndRestartAppendNothing) {
  temp_dir dir;
  std::string digest;
  int64_t end = 0;
  {
    rules_bench b(dir.path());
    b.open();
    b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", "Gula Aren-nya sekalian?", 5, 12);
    b.product("prd_gula", "GULA-500", "Gula Aren 500g", "", 0, 100);
    b.customer("cus_budi", "+6281234567890", "Budi");
    b.customer("cus_sari", "+6285700001111", "Sari");
    b.rule("rem_all", "Semua", 2, "", "Halo {name}, {product_name} lagi? {recommendation}", true,
           kT0 - kDay);
    int64_t t = kT0;
    for (int i = 0; i < 40; ++i, t += 30 * kMinute) {
      std::string id = "ord_" + std::to_string(i);
      b.order(id, i % 2 ? "cus_budi" : "cus_sari", {{i % 3 ? "prd_gula" : "prd_kopi", 1}}, t);
      if (i % 5 == 0) b.deliver(id, t + 3 * kHour);
      if (i % 7 == 0) b.adjust("prd_kopi", 3, t + kMinute);
      b.tick(t + 10 * kMinute);
    }
    for (int d = 0; d < 5; ++d) b.tick(t + d * kDay);
    b.settle();
    EXPECT_EQ(b.messages("thank_you").size(), 40u);
    EXPECT_FALSE(b.messages("reminder").empty());
    EXPECT_FALSE(b.payloads<events::alert_raised>().empty());
    EXPECT_FALSE(b.payloads<events::alert_resolved>().empty());
    digest = b.store().digest("automation").value();
    end = b.log().stats().value().end_offsets[0];

    // Rebuild every projection (rules running), then replay the rules from 0.
    auto rebuilt = b.runner().rebuild();
    ASSERT_TRUE(rebuilt) << rebuilt.error().message;
    b.settle();
    EXPECT_EQ(b.store().digest("automation").value(), digest);
    const auto appended = b.rules().status().appended;
    b.rules().stop();
    ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0}));
    ASSERT_TRUE(b.rules().start());
    b.settle();
    EXPECT_EQ(b.log().stats().value().end_offsets[0], end);
    EXPECT_EQ(b.rules().status().appended, appended);
    EXPECT_GT(b.rules().status().duplicates, 40u);
  }
  // Restart everything.
  rules_bench b(dir.path());
  b.open();
  b.settle();
  EXPECT_EQ(b.log().stats().value().end_offsets[0], end);
  EXPECT_EQ(b.store().digest("automation").value(), digest);
}

}  // namespace
}  // namespace roms::testing
