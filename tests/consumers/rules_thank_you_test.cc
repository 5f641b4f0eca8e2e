// The thank-you rule on a real log, read models and rule runner: one message per new order,
// rendered from the order-confirmation template; never for history, demo or imported orders;
// never twice, whether the runner restarts or replays from position 0.
#include <gtest/gtest.h>

#include <set>

#include "consumers/derived_id.h"
#include "core/automation.h"
#include "tests/consumers/rules_testing.h"

namespace roms::testing {
namespace {

void shop(rules_bench& b) {
  b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g",
            "Kak, sekalian Gula Aren-nya biar makin nikmat!", 2, 100);
  b.product("prd_gula", "GULA-500", "Gula Aren 500g", "Cocok untuk kopi susu kekinian", 2, 100);
  b.customer("cus_budi", "+6281234567890", "Budi Santoso");
  b.customer("cus_sari", "+6285700001111", "Sari");
}

TEST(RulesThankYou, OneMessagePerOrderFromTheDefaultTemplate) {
  rules_bench b;
  b.open();
  shop(b);
  auto placed = b.order("ord_1", "cus_budi", {{"prd_kopi", 2}}, kT0);
  b.settle();

  auto msgs = b.messages("thank_you");
  ASSERT_EQ(msgs.size(), 1u);
  const auto& m = msgs[0];
  EXPECT_EQ(m.to, "+6281234567890");
  EXPECT_EQ(m.customer_id, "cus_budi");
  EXPECT_EQ(m.template_id, kDefaultOrderConfirmationId);
  EXPECT_EQ(m.idempotency_key, "thank_you:ord_1");
  EXPECT_EQ(m.message_id, consumers::derived_id("msg", "thank_you:ord_1"));
  EXPECT_EQ(m.cause, "ord_1");
  EXPECT_EQ(m.body,
            "Halo Budi Santoso, terima kasih sudah berbelanja di Toko Saya! \xF0\x9F\x99\x8F\n"
            "Pesanan ord_1 (Kopi Bubuk 250g) senilai Rp 125.000 sudah kami terima dan segera "
            "kami proses. Kami kabari lagi saat pesanan dikirim ya.");

  // The envelope: derived id, the order's time, caused by the order.placed, actor rule:….
  auto evs = b.of_type(events::message_queued::kType);
  ASSERT_EQ(evs.size(), 1u);
  const auto& e = evs[0].event;
  EXPECT_EQ(e.id, consumers::derived_event_id("message.queued:thank_you:ord_1"));
  EXPECT_EQ(e.actor, "rule:thank_you");
  EXPECT_EQ(e.stream, m.message_id);
  EXPECT_EQ(to_micros(e.time), kT0);
  std::string placed_id;
  for (const auto& x : b.of_type(events::order_placed::kType)) placed_id = x.event.id;
  EXPECT_EQ(e.causation_id, placed_id);
  EXPECT_EQ(placed.offset + 1, evs[0].position.offset);
}

TEST(RulesThankYou, EveryChannelButNeverHistoryDemoOrImports) {
  rules_bench b;
  // History: orders in the log before the rules ever ran.
  b.open(/*start_rules=*/false);
  shop(b);
  b.order("ord_old1", "cus_budi", {{"prd_kopi", 1}}, kT0 - 30 * kDay);
  b.order("ord_old2", "cus_sari", {{"prd_gula", 1}}, kT0 - 20 * kDay);
  b.settle();
  ASSERT_TRUE(b.rules().start());  // first start: the origin is the log's end
  b.order("ord_demo", "cus_budi", {{"prd_kopi", 1}}, kT0, "demo");
  b.order("ord_imp", "cus_budi", {{"prd_kopi", 1}}, kT0, "import");
  b.order("ord_imp2", "cus_budi", {{"prd_kopi", 1}}, kT0, "import:shopify");
  b.order("ord_new", "cus_sari", {{"prd_gula", 1}}, kT0 + kMinute, "webhook:shopify");
  b.order("ord_api", "cus_budi", {{"prd_kopi", 1}}, kT0 + 2 * kMinute, "apikey:key_1");
  b.settle();
  std::set<std::string> keys;
  for (const auto& m : b.messages()) keys.insert(m.idempotency_key);
  EXPECT_EQ(keys, (std::set<std::string>{"thank_you:ord_new", "thank_you:ord_api"}));

  // Replaying from 0 does not reach back before the origin either.
  b.rules().stop();
  ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0}));
  ASSERT_TRUE(b.rules().start());
  b.settle();
  EXPECT_EQ(b.messages().size(), 2u);
}

TEST(RulesThankYou, SwitchedOffSendsNothingAndSwitchingOnNeverSendsAboutThePast) {
  rules_bench b;
  b.open();
  shop(b);
  events::settings_changed off;
  off.automation_thank_you = false;
  b.settings(off, kT0);
  b.order("ord_while_off", "cus_budi", {{"prd_kopi", 1}}, kT0 + kMinute);
  events::settings_changed on;
  on.automation_thank_you = true;
  b.settings(on, kT0 + 2 * kMinute);
  b.order("ord_after", "cus_sari", {{"prd_gula", 1}}, kT0 + 3 * kMinute);
  b.settle();
  auto msgs = b.messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].idempotency_key, "thank_you:ord_after");
  EXPECT_EQ(b.metric(R"(roms_rules_skipped_total{rule="thank_you",reason="switched_off"})"), 1);

  // A replay evaluates ord_while_off again with the switch on today: still nothing, because
  // the switch was turned on after that order.
  b.rules().stop();
  ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0}));
  ASSERT_TRUE(b.rules().start());
  b.settle();
  EXPECT_EQ(b.messages().size(), 1u);
}

TEST(RulesThankYou, MissingOrInvalidPhoneSkipsAndSaysSo) {
  rules_bench b;
  b.open();
  shop(b);
  b.customer("cus_bad", "12ab", "Tanpa Nomor", kT0 - kDay, /*phone_valid=*/false);
  b.order("ord_bad", "cus_bad", {{"prd_kopi", 1}}, kT0, "user:admin", "12ab");
  b.order("ord_none", "", {{"prd_kopi", 1}}, kT0 + 1);
  // No customer record yet (another partition), but a usable phone on the order itself.
  b.order("ord_snap", "cus_later", {{"prd_kopi", 1}}, kT0 + 2, "user:admin", "0812-9999-0000",
          "Rina");
  b.settle();
  auto msgs = b.messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].to, "+6281299990000");
  EXPECT_NE(msgs[0].body.find("Halo Rina,"), std::string::npos) << msgs[0].body;
  EXPECT_EQ(b.metric(R"(roms_rules_skipped_total{rule="thank_you",reason="phone_invalid"})"), 1);
  EXPECT_EQ(b.metric(R"(roms_rules_skipped_total{rule="thank_you",reason="phone_missing"})"), 1);
}

TEST(RulesThankYou, UsesTheLatestOrderConfirmationTemplateWithItsCloudTemplate) {
  rules_bench b;
  b.open();
  shop(b);
  events::template_saved t;
  t.template_id = "tpl_custom";
  t.name = "Terima kasih v2";
  t.kind = "order_confirmation";
  t.body =
      "Makasih {customer_name} \xF0\x9F\x98\x8D! {order_id}: {product_name} = {total}. "
      "{recommendation}";
  t.wa_template_name = "order_thanks";
  t.wa_language = "id";
  b.add(t, "template-tpl_custom", kT0 - kHour);
  b.order("ord_1", "cus_sari", {{"prd_gula", 1}, {"prd_kopi", 3}}, kT0);
  b.settle();
  auto msgs = b.messages("thank_you");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].template_id, "tpl_custom");
  EXPECT_EQ(msgs[0].body,
            "Makasih Sari \xF0\x9F\x98\x8D! ord_1: Gula Aren 500g, Kopi Bubuk 250g = Rp 250.000. "
            "Cocok untuk kopi susu kekinian");
  ASSERT_TRUE(msgs[0].wa_template);
  EXPECT_EQ(msgs[0].wa_template->name, "order_thanks");
  EXPECT_EQ(msgs[0].wa_template->language, "id");
  EXPECT_EQ(msgs[0].wa_template->params,
            (std::vector<std::string>{"Sari", "ord_1", "Gula Aren 500g, Kopi Bubuk 250g",
                                      "Rp 250.000", "Cocok untuk kopi susu kekinian"}));
}

TEST(RulesThankYou, RestartAndReplayFromZeroAppendNothingNew) {
  rules_bench b;
  b.open();
  shop(b);
  for (int i = 0; i < 20; ++i)
    b.order("ord_" + std::to_string(i), i % 2 ? "cus_budi" : "cus_sari", {{"prd_kopi", 1}},
            kT0 + i * kMinute);
  b.settle();
  ASSERT_EQ(b.messages().size(), 20u);
  auto end_before = b.log().stats().value().end_offsets[0];

  // Restart: nothing new.
  b.close();
  b.open();
  b.settle();
  EXPECT_EQ(b.messages().size(), 20u);

  // Replay every event from 0 while running: every emit is a duplicate.
  ASSERT_TRUE(b.rules().replay());
  EXPECT_TRUE(b.rules().running());
  b.settle();
  EXPECT_EQ(b.messages().size(), 20u);
  EXPECT_EQ(b.log().stats().value().end_offsets[0], end_before);
  EXPECT_EQ(b.rules().status().appended, 0u);
  EXPECT_GE(b.rules().status().duplicates, 20u);

  // Orders after the replay still get theirs.
  b.order("ord_late", "cus_budi", {{"prd_gula", 1}}, kT0 + kDay);
  b.settle();
  EXPECT_EQ(b.messages().size(), 21u);
}

}  // namespace
}  // namespace roms::testing
