// Repeat-order reminders: a durable timer per (rule, delivered order), fired by clock.ticked
// at or after its due time, exactly once across restarts and replays; cancelled by a re-order
// of the same product or by the rule being switched off or deleted; rules apply only to
// deliveries made while they are on.
#include <gtest/gtest.h>

#include "core/automation.h"
#include "tests/consumers/rules_testing.h"

namespace roms::testing {
namespace {

constexpr const char* kBody =
    "Halo {name}! Stok {product_name} Kakak sudah mau habis? Pesan lagi yuk. {recommendation}";

void shop(rules_bench& b) {
  b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g",
            "Kak, sekalian Gula Aren-nya biar makin nikmat!", 0, 100);
  b.product("prd_gula", "GULA-500", "Gula Aren 500g", "Cocok untuk kopi susu kekinian", 0, 100);
  b.customer("cus_budi", "+6281234567890", "Budi");
  b.customer("cus_sari", "+6285700001111", "Sari");
}

int64_t due_of(const std::vector<events::reminder_scheduled>& s, size_t i) {
  return to_micros(*parse_rfc3339(s.at(i).due_at));
}

TEST(RulesReminder, FiresOnceAtTheDueTimeNotBefore) {
  rules_bench b;
  b.open();
  shop(b);
  b.rule("rem_kopi", "Reminder Kopi Habis", 7, "prd_kopi", kBody, true, kT0 - kDay);
  b.order("ord_1", "cus_budi", {{"prd_kopi", 1}}, kT0);
  const int64_t delivered = kT0 + 2 * kDay;
  b.deliver("ord_1", delivered);
  b.settle();

  auto sched = b.payloads<events::reminder_scheduled>();
  ASSERT_EQ(sched.size(), 1u);
  EXPECT_EQ(sched[0].reminder_id, "rem_kopi:ord_1");
  EXPECT_EQ(sched[0].customer_id, "cus_budi");
  const int64_t due = delivered + 7 * kDay;
  EXPECT_EQ(due_of(sched, 0), due);

  b.tick(due - kDay);
  b.tick(due - kMinute);
  b.settle();
  EXPECT_TRUE(b.messages("reminder").empty());

  b.tick(due);
  b.settle();
  auto msgs = b.messages("reminder");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].to, "+6281234567890");
  EXPECT_EQ(msgs[0].idempotency_key, "reminder:rem_kopi:ord_1");
  EXPECT_EQ(msgs[0].body,
            "Halo Budi! Stok Kopi Bubuk 250g Kakak sudah mau habis? Pesan lagi yuk. Kak, "
            "sekalian Gula Aren-nya biar makin nikmat!");
  // The message carries the tick's time.
  auto evs = b.of_type(events::message_queued::kType);
  EXPECT_EQ(to_micros(evs.back().event.time), due);
  EXPECT_EQ(evs.back().event.actor, "rule:reminder");

  for (int i = 1; i <= 5; ++i) b.tick(due + i * kMinute);
  b.settle();
  EXPECT_EQ(b.messages("reminder").size(), 1u);

  auto v = b.view("automation");
  auto m = projections::automation_query::get_reminder(*v, "rem_kopi:ord_1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->state, "fired");
  EXPECT_EQ(m->message_id, msgs[0].message_id);
  auto counts = projections::automation_query::rule_counts(*v, "rem_kopi");
  EXPECT_EQ(counts.scheduled, 1);
  EXPECT_EQ(counts.sent, 1);
  EXPECT_TRUE(projections::automation_query::due_reminders(*v, due + kDay).empty());
}

TEST(RulesReminder, TimersSurviveRestartsAndFireExactlyOnce) {
  testing::temp_dir dir;
  const int64_t delivered = kT0 + kDay;
  const int64_t due = delivered + 3 * kDay;
  {
    rules_bench b(dir.path());
    b.open();
    shop(b);
    b.rule("rem_all", "Semua produk", 3, "", kBody, true, kT0 - kDay);
    b.order("ord_1", "cus_sari", {{"prd_gula", 2}}, kT0);
    b.deliver("ord_1", delivered);
    b.tick(due - kHour);
    b.settle();
    EXPECT_EQ(b.payloads<events::reminder_scheduled>().size(), 1u);
    EXPECT_TRUE(b.messages("reminder").empty());
  }
  {
    // The server was down across the due time; the first tick after restart fires it.
    rules_bench b(dir.path());
    b.open();
    b.tick(due + 2 * kDay);
    b.settle();
    EXPECT_EQ(b.messages("reminder").size(), 1u);
  }
  {
    rules_bench b(dir.path());
    b.open();
    b.tick(due + 3 * kDay);
    b.settle();
    EXPECT_EQ(b.messages("reminder").size(), 1u);
    // And a replay of everything from position 0.
    b.rules().stop();
    ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0}));
    ASSERT_TRUE(b.rules().start());
    b.settle();
    EXPECT_EQ(b.messages("reminder").size(), 1u);
    EXPECT_EQ(b.payloads<events::reminder_scheduled>().size(), 1u);
    EXPECT_EQ(b.rules().status().appended, 0u);
  }
}

TEST(RulesReminder, ReorderingTheProductBeforeItFiresCancelsIt) {
  rules_bench b;
  b.open();
  shop(b);
  b.rule("rem_kopi", "Reminder Kopi", 10, "prd_kopi", kBody, true, kT0 - kDay);
  b.order("ord_1", "cus_budi", {{"prd_kopi", 1}}, kT0);
  b.deliver("ord_1", kT0 + kDay);
  // Another customer's order and Budi's order of something else change nothing.
  b.order("ord_x", "cus_sari", {{"prd_kopi", 1}}, kT0 + 2 * kDay);
  b.order("ord_y", "cus_budi", {{"prd_gula", 1}}, kT0 + 2 * kDay + kMinute);
  b.settle();
  EXPECT_TRUE(b.payloads<events::reminder_cancelled>().empty());
  // Budi re-orders coffee: the pending reminder for ord_1 is moot.
  b.order("ord_2", "cus_budi", {{"prd_kopi", 2}}, kT0 + 3 * kDay);
  b.settle();
  auto cancelled = b.payloads<events::reminder_cancelled>();
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].reminder_id, "rem_kopi:ord_1");
  EXPECT_EQ(cancelled[0].reason, "reordered");
  b.tick(kT0 + 20 * kDay);
  b.settle();
  EXPECT_TRUE(b.messages("reminder").empty());

  // The new order gets its own reminder once delivered.
  b.deliver("ord_2", kT0 + 21 * kDay);
  b.tick(kT0 + 31 * kDay);
  b.settle();
  auto msgs = b.messages("reminder");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].idempotency_key, "reminder:rem_kopi:ord_2");
}

TEST(RulesReminder, AReorderAlreadyKnownWhenTheDeliveryIsEvaluatedMeansNoReminder) {
  // The re-order reaches the log before the (late-reported) delivery it follows in time:
  // the same outcome as a re-order cancelling the reminder, without the reminder.
  rules_bench b;
  b.open();
  shop(b);
  b.rule("rem_kopi", "Reminder Kopi", 10, "prd_kopi", kBody, true, kT0 - kDay);
  b.order("ord_1", "cus_budi", {{"prd_kopi", 1}}, kT0);
  b.order("ord_2", "cus_budi", {{"prd_kopi", 1}}, kT0 + 3 * kDay);
  b.settle();
  b.deliver("ord_1", kT0 + 2 * kDay);
  b.tick(kT0 + 20 * kDay);
  b.settle();
  EXPECT_TRUE(b.payloads<events::reminder_scheduled>().empty());
  EXPECT_TRUE(b.messages("reminder").empty());
  EXPECT_EQ(b.metric(R"(roms_rules_skipped_total{rule="reminder",reason="reordered"})"), 1);
}

TEST(RulesReminder, SeveralMatchingItemsMakeOneMessageListingThem) {
  rules_bench b;
  b.open();
  shop(b);
  b.rule("rem_all", "Semua produk", 5, "", "{customer_name}: {product_name} | {recommendation}",
         true, kT0 - kDay);
  b.rule("rem_gula", "Gula saja", 5, "prd_gula", "{product_name} / {recommendation}", true,
         kT0 - kDay);
  b.order("ord_1", "cus_budi", {{"prd_kopi", 1}, {"prd_gula", 2}}, kT0);
  b.deliver("ord_1", kT0 + kDay);
  b.tick(kT0 + 6 * kDay);
  b.settle();
  auto msgs = b.messages("reminder");
  ASSERT_EQ(msgs.size(), 2u);  // one per matching rule, one per order
  std::map<std::string, std::string> by_key;
  for (const auto& m : msgs) by_key[m.idempotency_key] = m.body;
  EXPECT_EQ(by_key["reminder:rem_all:ord_1"],
            "Budi: Kopi Bubuk 250g, Gula Aren 500g | Kak, sekalian Gula Aren-nya biar makin "
            "nikmat!");
  EXPECT_EQ(by_key["reminder:rem_gula:ord_1"], "Gula Aren 500g / Cocok untuk kopi susu kekinian");
}

TEST(RulesReminder, ARuleAppliesOnlyToDeliveriesWhileItIsOn) {
  rules_bench b;
  b.open();
  shop(b);
  b.order("ord_before", "cus_budi", {{"prd_kopi", 1}}, kT0);
  b.deliver("ord_before", kT0 + kDay);
  // Saved after that delivery: nothing about it, ever.
  b.rule("rem_kopi", "Reminder Kopi", 2, "prd_kopi", kBody, true, kT0 + kDay + kHour);
  b.order("ord_after", "cus_sari", {{"prd_kopi", 1}}, kT0 + 2 * kDay);
  b.deliver("ord_after", kT0 + 3 * kDay);
  // (The rules look at the read models as they are when they evaluate, which may be ahead of
  // the event; settle so the rule is still on when this delivery is evaluated.)
  b.settle();
  // Switched off, a delivery, switched on again: that delivery gets none either.
  b.rule("rem_kopi", "Reminder Kopi", 2, "prd_kopi", kBody, false, kT0 + 4 * kDay);
  b.order("ord_off", "cus_budi", {{"prd_kopi", 1}}, kT0 + 4 * kDay + kHour);
  b.deliver("ord_off", kT0 + 4 * kDay + 4 * kHour);
  b.rule("rem_kopi", "Reminder Kopi", 2, "prd_kopi", kBody, true, kT0 + 5 * kDay);
  b.tick(kT0 + 30 * kDay);
  b.settle();
  auto msgs = b.messages("reminder");
  ASSERT_EQ(msgs.size(), 0u);  // ord_after's reminder was cancelled when the rule went off
  auto cancelled = b.payloads<events::reminder_cancelled>();
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].reminder_id, "rem_kopi:ord_after");
  EXPECT_EQ(cancelled[0].reason, "rule_disabled");
  EXPECT_EQ(b.payloads<events::reminder_scheduled>().size(), 1u);

  // Replaying all of it with the rule on today schedules nothing new.
  b.rules().stop();
  ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0}));
  ASSERT_TRUE(b.rules().start());
  b.settle();
  EXPECT_EQ(b.payloads<events::reminder_scheduled>().size(), 1u);
  EXPECT_TRUE(b.messages("reminder").empty());
}

TEST(RulesReminder, DeletedRuleOrRemindersSwitchedOffNeverFire) {
  rules_bench b;
  b.open();
  shop(b);
  b.rule("rem_a", "A", 1, "", kBody, true, kT0 - kDay);
  b.rule("rem_b", "B", 2, "", kBody, true, kT0 - kDay);
  b.order("ord_1", "cus_budi", {{"prd_kopi", 1}}, kT0);
  b.deliver("ord_1", kT0 + kDay);
  b.settle();
  ASSERT_EQ(b.payloads<events::reminder_scheduled>().size(), 2u);
  b.add(events::reminder_rule_deleted{"rem_a"}, "rule-rem_a", kT0 + kDay + kHour);
  // Reminders switched off while rem_b falls due: it is dropped, and switching on again
  // does not send it late.
  events::settings_changed off;
  off.automation_reminders = false;
  b.settings(off, kT0 + kDay + 2 * kHour);
  b.tick(kT0 + 4 * kDay);
  events::settings_changed on;
  on.automation_reminders = true;
  b.settings(on, kT0 + 5 * kDay);
  b.tick(kT0 + 6 * kDay);
  b.settle();
  EXPECT_TRUE(b.messages("reminder").empty());
  std::map<std::string, std::string> reasons;
  for (const auto& c : b.payloads<events::reminder_cancelled>()) reasons[c.reminder_id] = c.reason;
  EXPECT_EQ(reasons["rem_a:ord_1"], "rule_deleted");
  EXPECT_EQ(reasons["rem_b:ord_1"], "switched_off");
}

TEST(RulesReminder, UsesTheRulesTemplateOrTheDefaultText) {
  rules_bench b;
  b.open();
  shop(b);
  events::template_saved t;
  t.template_id = "tpl_rem";
  t.name = "Pengingat";
  t.kind = "reminder";
  t.body = "Hai {name} \xF0\x9F\x91\x8B {product_name} habis? Resi lalu: {tracking_number}";
  b.add(t, "template-tpl_rem", kT0 - kDay);
  b.rule("rem_tpl", "Pakai template", 1, "", "", true, kT0 - kDay, "tpl_rem");
  b.rule("rem_def", "Tanpa teks", 1, "prd_gula", "", true, kT0 - kDay);
  b.order("ord_1", "cus_sari", {{"prd_gula", 1}}, kT0);
  b.deliver("ord_1", kT0 + kDay);
  b.tick(kT0 + 2 * kDay);
  b.settle();
  std::map<std::string, events::message_queued> by_key;
  for (const auto& m : b.messages("reminder")) by_key[m.idempotency_key] = m;
  ASSERT_EQ(by_key.size(), 2u);
  EXPECT_EQ(by_key["reminder:rem_tpl:ord_1"].body,
            "Hai Sari \xF0\x9F\x91\x8B Gula Aren 500g habis? Resi lalu: JNE-123");
  EXPECT_EQ(by_key["reminder:rem_tpl:ord_1"].template_id, "tpl_rem");
  EXPECT_EQ(by_key["reminder:rem_def:ord_1"].body,
            render_template(kDefaultReminderBody,
                            {"Sari", "Gula Aren 500g", "Cocok untuk kopi susu kekinian", "ord_1",
                             "Rp 62.500", "JNE-123", "Toko Saya"})
                .text);
}

}  // namespace
}  // namespace roms::testing
