// Alerts: critical stock (raised once per episode with a recommended purchase, resolved when
// restocked) and pending orders (yellow after pending_warn_minutes, red after
// pending_critical_minutes, resolved when the order moves on), switches from the settings.
#include <gtest/gtest.h>

#include "consumers/internal/rule_set.h"
#include "tests/consumers/rules_testing.h"

namespace roms::testing {
namespace {

using consumers::internal::pending_alert_id;
using consumers::internal::recommended_purchase;
using consumers::internal::stock_alert_id;

TEST(RulesAlerts, RecommendedPurchaseFormula) {
  // 30 units in 30 days = 1 a day → 7 for the lead time, + back to the minimum (10 − 4).
  EXPECT_EQ(recommended_purchase(30, 10, 4), 13);
  // 31 units: 7.23 a week → 8.
  EXPECT_EQ(recommended_purchase(31, 10, 4), 14);
  // No sales: just back to the minimum.
  EXPECT_EQ(recommended_purchase(0, 5, 2), 3);
  // Oversold (backorders): available is negative.
  EXPECT_EQ(recommended_purchase(0, 5, -3), 8);
  // Never less than one.
  EXPECT_EQ(recommended_purchase(0, 0, 0), 1);
}

TEST(RulesAlerts, CriticalStockIsRaisedOncePerEpisodeAndResolvedWhenRestocked) {
  rules_bench b;
  b.open();
  b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", "", 5, 9);
  b.customer("cus_budi", "+6281234567890", "Budi");
  // Sales over the last 30 days: 3 + 2 = 5 units before the alert.
  b.order("ord_1", "cus_budi", {{"prd_kopi", 3}}, kT0 - 10 * kDay);  // available 6
  b.order("ord_2", "cus_budi", {{"prd_kopi", 2}}, kT0);              // available 4 < 5
  b.order("ord_3", "cus_budi", {{"prd_kopi", 1}}, kT0 + kHour);      // 3: same episode
  b.settle();
  auto raised = b.payloads<events::alert_raised>();
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].alert_id, stock_alert_id("prd_kopi", 1));
  EXPECT_EQ(raised[0].kind, "critical_stock");
  EXPECT_EQ(raised[0].subject, "prd_kopi");
  EXPECT_EQ(raised[0].severity, "red");
  // ceil(5 × 7 / 30) = 2, + (5 − 4) = 3
  EXPECT_EQ(raised[0].recommended_qty, 3);
  EXPECT_NE(raised[0].title.find("Kopi Bubuk 250g"), std::string::npos) << raised[0].title;

  auto v = b.view("automation");
  auto open = projections::automation_query::alerts(*v, "open", {});
  ASSERT_EQ(open.items.size(), 1u);

  // Restocked: resolved once.
  b.adjust("prd_kopi", 20, kT0 + 2 * kHour);
  b.adjust("prd_kopi", 5, kT0 + 3 * kHour);
  b.settle();
  auto resolved = b.payloads<events::alert_resolved>();
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].alert_id, raised[0].alert_id);
  EXPECT_EQ(resolved[0].reason, "restocked");

  // Below again: a new episode, a new alert.
  b.adjust("prd_kopi", -25, kT0 + 4 * kHour);
  b.settle();
  raised = b.payloads<events::alert_raised>();
  ASSERT_EQ(raised.size(), 2u);
  EXPECT_EQ(raised[1].alert_id, stock_alert_id("prd_kopi", 2));
  v = b.view("automation");
  EXPECT_EQ(projections::automation_query::alert_episodes(*v, "critical_stock", "prd_kopi"), 2);
  EXPECT_EQ(projections::automation_query::alerts(*v, "resolved", {}).items.size(), 1u);

  // Replay from 0: nothing new.
  b.rules().stop();
  ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0}));
  ASSERT_TRUE(b.rules().start());
  b.settle();
  EXPECT_EQ(b.payloads<events::alert_raised>().size(), 2u);
  EXPECT_EQ(b.payloads<events::alert_resolved>().size(), 1u);
}

TEST(RulesAlerts, StockAlertsSwitchedOffRaiseNothing) {
  rules_bench b;
  b.open();
  events::settings_changed off;
  off.alerts_stock = false;
  b.settings(off, kT0 - 2 * kDay);
  b.product("prd_kopi", "KOPI-250", "Kopi", "", 5, 3);
  b.settle();
  EXPECT_TRUE(b.payloads<events::alert_raised>().empty());
}

TEST(RulesAlerts, PendingOrdersTurnYellowThenRedAndResolveWhenProcessed) {
  rules_bench b;
  b.open();
  b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", "", 0, 100);
  b.customer("cus_budi", "+6281234567890", "Budi");
  b.order("ord_1", "cus_budi", {{"prd_kopi", 1}}, kT0, "user:admin", "", "Budi");
  b.order("ord_2", "cus_budi", {{"prd_kopi", 1}}, kT0 + kHour);
  b.tick(kT0 + 2 * kHour);  // exactly 2 h: not more than 2 h yet
  b.settle();
  EXPECT_TRUE(b.payloads<events::alert_raised>().empty());

  b.tick(kT0 + 2 * kHour + kMinute);
  b.tick(kT0 + 2 * kHour + 2 * kMinute);
  b.settle();
  auto raised = b.payloads<events::alert_raised>();
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].alert_id, pending_alert_id("ord_1", "yellow"));
  EXPECT_EQ(raised[0].severity, "yellow");
  EXPECT_EQ(raised[0].kind, "pending_order");
  EXPECT_EQ(raised[0].title, "Pesanan ord_1 dari Budi belum diproses lebih dari 2 jam");

  // ord_2 is processed in time: nothing for it.
  b.status("ord_2", "pending", "processed", kT0 + 2 * kHour + 30 * kMinute);
  b.tick(kT0 + 4 * kHour + kMinute);  // ord_1 is over 4 h: red, the yellow one escalated
  b.settle();
  raised = b.payloads<events::alert_raised>();
  ASSERT_EQ(raised.size(), 2u);
  EXPECT_EQ(raised[1].alert_id, pending_alert_id("ord_1", "red"));
  EXPECT_EQ(raised[1].severity, "red");
  auto resolved = b.payloads<events::alert_resolved>();
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].reason, "escalated");

  b.tick(kT0 + 5 * kHour);
  b.status("ord_1", "pending", "processed", kT0 + 5 * kHour + kMinute);
  b.tick(kT0 + 6 * kHour);
  b.settle();
  EXPECT_EQ(b.payloads<events::alert_raised>().size(), 2u);
  resolved = b.payloads<events::alert_resolved>();
  ASSERT_EQ(resolved.size(), 2u);
  EXPECT_EQ(resolved[1].alert_id, pending_alert_id("ord_1", "red"));
  EXPECT_EQ(resolved[1].reason, "processed");

  auto v = b.view("automation");
  EXPECT_TRUE(projections::automation_query::alerts(*v, "", {}).items.empty());
  EXPECT_EQ(projections::automation_query::alerts(*v, "resolved", {}).items.size(), 2u);
}

TEST(RulesAlerts, PendingThresholdsAndSwitchComeFromTheSettings) {
  rules_bench b;
  b.open();
  b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", "", 0, 100);
  b.customer("cus_budi", "+6281234567890", "Budi");
  events::settings_changed s;
  s.pending_warn_minutes = 30;
  s.pending_critical_minutes = 90;
  b.settings(s, kT0 - kHour);
  b.order("ord_1", "cus_budi", {{"prd_kopi", 1}}, kT0);
  b.tick(kT0 + 31 * kMinute);
  b.settle();
  auto raised = b.payloads<events::alert_raised>();
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].severity, "yellow");
  EXPECT_EQ(raised[0].title, "Pesanan ord_1 dari Budi belum diproses lebih dari 30 menit");

  events::settings_changed off;
  off.alerts_pending = false;
  b.settings(off, kT0 + 40 * kMinute);
  b.tick(kT0 + 3 * kHour);
  b.settle();
  EXPECT_EQ(b.payloads<events::alert_raised>().size(), 1u);
}

TEST(RulesAlerts, HistoryAndDemoOrdersRaiseNoPendingAlerts) {
  rules_bench b;
  b.open(/*start_rules=*/false);
  b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", "", 0, 100);
  b.customer("cus_budi", "+6281234567890", "Budi");
  b.order("ord_hist", "cus_budi", {{"prd_kopi", 1}}, kT0 - kDay);
  b.settle();
  ASSERT_TRUE(b.rules().start());
  b.order("ord_demo", "cus_budi", {{"prd_kopi", 1}}, kT0, "demo");
  b.order("ord_live", "cus_budi", {{"prd_kopi", 1}}, kT0);
  b.tick(kT0 + 5 * kHour);
  b.settle();
  auto raised = b.payloads<events::alert_raised>();
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].subject, "ord_live");
}

}  // namespace
}  // namespace roms::testing
