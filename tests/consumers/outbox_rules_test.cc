// The whole automation path with requests counted at the gateway (issue 5 "Done when" and item
// 7): an order → the thank-you rule queues one message → the outbox sends it once; the order is
// delivered and time passes → one reminder with the cross-sell text. Then every projection is
// rebuilt, the rules are replayed from position 0 and everything restarts, with the dispatcher
// running throughout: not one more request reaches the gateway.
#include <gtest/gtest.h>

#include "consumers/outbox.h"
#include "consumers/rules.h"
#include "tests/consumers/fake_gateways.h"
#include "tests/consumers/outbox_testing.h"
#include "tests/consumers/rules_testing.h"

namespace roms::testing {
namespace {

consumers::outbox_options options() {
  auto o = outbox_bench::fast_options();
  o.max_age = std::chrono::seconds(0);  // the bench's events carry 2026-03 times
  return o;
}

TEST(OutboxWithRules, OneThankYouOneReminderAndNothingMoreOnReplayOrRestart) {
  fake_gateway gw({.type = fake_gateway::kind::waha});
  ASSERT_TRUE(gw.start());
  auto ch = channel_for(gw);
  temp_dir dir;
  const std::string cross_sell = "Kak, sekalian Gula Aren-nya biar makin nikmat!";
  {
    rules_bench b(dir.path());
    b.open();
    b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", cross_sell, 5, 50);
    b.customer("cus_budi", "+6281234567890", "Budi");
    b.rule("rem_7", "Repeat 7 hari", 7, "",
           "Halo {name}, {product_name} sudah habis? {recommendation}", true, kT0 - kDay);
    consumers::outbox box(b.log(), b.store().shared_from_this(), b.runner(), *ch, system_clock(),
                          options());
    ASSERT_TRUE(box.start());

    b.order("ord_1", "cus_budi", {{"prd_kopi", 2}}, kT0);
    b.settle();
    ASSERT_TRUE(eventually([&] { return gw.accepted_count() == 1; }));
    auto first = gw.accepted()[0];
    EXPECT_EQ(first.to, "6281234567890@c.us");
    EXPECT_NE(first.text.find("Budi"), std::string::npos) << first.text;

    b.deliver("ord_1", kT0 + kHour);
    b.tick(kT0 + kHour + 6 * kDay);
    b.settle();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(gw.accepted_count(), 1u);  // not due yet
    b.tick(kT0 + kHour + 7 * kDay + kMinute);
    b.settle();
    ASSERT_TRUE(eventually([&] { return gw.accepted_count() == 2; }));
    auto reminder = gw.accepted()[1];
    EXPECT_NE(reminder.text.find(cross_sell), std::string::npos) << reminder.text;
    EXPECT_NE(reminder.text.find("Kopi Bubuk 250g"), std::string::npos) << reminder.text;
    std::this_thread::sleep_for(200ms);
    ASSERT_EQ(gw.send_requests(), 2u);

    // Rebuild every projection, replay the rules from 0: the dispatcher keeps running.
    auto rebuilt = b.runner().rebuild();
    ASSERT_TRUE(rebuilt) << rebuilt.error().message;
    b.rules().stop();
    ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0}));
    ASSERT_TRUE(b.rules().start());
    b.settle();
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(gw.send_requests(), 2u);
    EXPECT_GE(b.rules().status().duplicates, 2u);
    box.stop();
  }
  // Restart everything on the same data dir.
  rules_bench b(dir.path());
  b.open();
  consumers::outbox box(b.log(), b.store().shared_from_this(), b.runner(), *ch, system_clock(),
                        options());
  ASSERT_TRUE(box.start());
  b.settle();
  std::this_thread::sleep_for(500ms);
  box.stop();
  EXPECT_EQ(gw.send_requests(), 2u);
  EXPECT_EQ(gw.accepted_count(), 2u);
  EXPECT_TRUE(gw.violations().empty());
}

}  // namespace
}  // namespace roms::testing
