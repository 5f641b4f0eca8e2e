// Templates (variables checked on save, rendering with Indonesian text, emoji and missing data,
// money) and the automation decisions (templates, reminder rules, alert acknowledgement) on an
// in-memory state.
#include "core/automation.h"

#include <gtest/gtest.h>

#include <map>

#include "core/decide.h"
#include "core/errc.h"

namespace roms {
namespace {

// ---------------------------------------------------------------- templates

TEST(TemplateBody, KnownVariablesPass) {
  for (auto v : kTemplateVariables) {
    std::string body = "Halo {" + std::string(v) + "}!";
    EXPECT_TRUE(validate_template_body(body)) << body;
  }
}

TEST(TemplateBody, AnUnknownVariableIsRefusedNamingIt) {
  auto r = validate_template_body("Halo {name}, pesanan {nomor_pesanan} sudah dikirim");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::invalid_argument));
  EXPECT_EQ(r.error().message.rfind("body: unknown variable {nomor_pesanan}; use {name}", 0), 0u)
      << r.error().message;
  // Case matters: {Name} is not {name}.
  EXPECT_FALSE(validate_template_body("Halo {Name}"));
  // The first unknown one is named.
  auto two = validate_template_body("{a} {b}", "reminder.body");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message.rfind("reminder.body: unknown variable {a};", 0), 0u);
}

TEST(TemplateBody, OtherBracesAreText) {
  for (std::string_view b : {"Diskon {10%}", "{ name }", "senyum {:)}", "{", "}", "{}", "{{name}}",
                             "{1abc}", "kurung { buka"}) {
    EXPECT_TRUE(validate_template_body(b)) << b;
  }
  // "{{name}}" holds the variable {name} inside literal braces.
  EXPECT_EQ(render_template("{{name}}", {.name = "Budi"}).text, "{Budi}");
  EXPECT_EQ(render_template("Diskon {10%} { name }", {}).text, "Diskon {10%} { name }");
}

TEST(TemplateBody, EmptyOrHugeIsRefused) {
  EXPECT_FALSE(validate_template_body(""));
  EXPECT_FALSE(validate_template_body(std::string(5000, 'a')));
  EXPECT_TRUE(validate_template_body(std::string(4096, 'a')));
}

TEST(TemplateRender, FillsIndonesianTextWithEmojiAndListsParameters) {
  template_values v;
  v.name = "Siti Nurhaliza";
  v.product_name = "Kopi Bubuk 250g, Gula Aren 500g";
  v.recommendation = "Kak, sekalian Gula Aren-nya biar makin nikmat! \xE2\x98\x95";
  v.order_id = "ord_01";
  v.total = format_money(125000, "IDR");
  auto r = render_template(
      "Halo Kak {customer_name} \xF0\x9F\x91\x8B {product_name} ({total}) pesanan {order_id}. "
      "{recommendation}",
      v);
  EXPECT_EQ(r.text,
            "Halo Kak Siti Nurhaliza \xF0\x9F\x91\x8B Kopi Bubuk 250g, Gula Aren 500g "
            "(Rp 125.000) pesanan ord_01. Kak, sekalian Gula Aren-nya biar makin nikmat! "
            "\xE2\x98\x95");
  EXPECT_EQ(r.params, (std::vector<std::string>{"Siti Nurhaliza", "Kopi Bubuk 250g, Gula Aren 500g",
                                                "Rp 125.000", "ord_01", v.recommendation}));
  EXPECT_EQ(template_variables_used("{name} {total} {name} {x}"),
            (std::vector<std::string>{"name", "total"}));
}

TEST(TemplateRender, MissingDataRendersEmptyAndAMissingNameAsKak) {
  auto r = render_template("Halo {name}! Resi: {tracking_number}. {recommendation}", {});
  EXPECT_EQ(r.text, "Halo Kak! Resi: . ");
  EXPECT_EQ(r.params, (std::vector<std::string>{"Kak", "", ""}));
}

TEST(TemplateRender, TheDefaultsAreValidTemplates) {
  EXPECT_TRUE(validate_template_body(kDefaultOrderConfirmationBody));
  EXPECT_TRUE(validate_template_body(kDefaultReminderBody));
}

TEST(Money, RupiahWithDotsAndOtherCurrenciesWithTwoDecimals) {
  EXPECT_EQ(format_money(125000, "IDR"), "Rp 125.000");
  EXPECT_EQ(format_money(0, "IDR"), "Rp 0");
  EXPECT_EQ(format_money(999, "IDR"), "Rp 999");
  EXPECT_EQ(format_money(1000, ""), "Rp 1.000");
  EXPECT_EQ(format_money(1234567890, "IDR"), "Rp 1.234.567.890");
  EXPECT_EQ(format_money(-5000, "IDR"), "-Rp 5.000");
  EXPECT_EQ(format_money(1234, "USD"), "USD 12.34");
  EXPECT_EQ(format_money(5, "SGD"), "SGD 0.05");
  EXPECT_EQ(format_money(INT64_MIN, "IDR"), "-Rp 9.223.372.036.854.775.808");
}

// ---------------------------------------------------------------- decisions

struct automation_state final : decision_state {
  std::map<std::string, template_state, std::less<>> templates;
  std::map<std::string, reminder_rule_state, std::less<>> rules;
  std::map<std::string, alert_state, std::less<>> alerts;

  std::optional<product_state> product(std::string_view id) override {
    if (id == "prd_k") return product_state{"prd_k", "KOPI-250", "Kopi", 45000, 5, true};
    return std::nullopt;
  }
  std::optional<std::string> product_id_by_sku(std::string_view) override { return std::nullopt; }
  int64_t available(std::string_view, std::string_view) override { return 0; }
  bool warehouse_exists(std::string_view) override { return true; }
  std::optional<std::string> customer_by_phone(std::string_view) override { return std::nullopt; }
  bool customer_exists(std::string_view) override { return false; }
  std::optional<order_state> order(std::string_view) override { return std::nullopt; }
  std::optional<std::string> order_by_external_id(std::string_view, std::string_view) override {
    return std::nullopt;
  }
  std::optional<idempotency_state> idempotency(std::string_view) override { return std::nullopt; }
  shop_settings settings() override { return {}; }
  std::optional<template_state> message_template(std::string_view id) override {
    auto it = templates.find(id);
    if (it != templates.end()) return it->second;
    if (id == kDefaultOrderConfirmationId)
      return template_state{std::string(id),
                            "Konfirmasi",
                            "order_confirmation",
                            std::string(kDefaultOrderConfirmationBody),
                            "",
                            ""};
    return std::nullopt;
  }
  std::optional<reminder_rule_state> reminder_rule(std::string_view id) override {
    auto it = rules.find(id);
    if (it == rules.end()) return std::nullopt;
    return it->second;
  }
  std::optional<alert_state> alert(std::string_view id) override {
    auto it = alerts.find(id);
    if (it == alerts.end()) return std::nullopt;
    return it->second;
  }
};

struct AutomationDecide : ::testing::Test {
  automation_state s;
  int next = 0;
  decision_context ctx{from_micros(1'000'000), [this](std::string_view p) {
                         return std::string(p) + "_" + std::to_string(++next);
                       }};
};

template <class T>
const T& payload(const new_event& e) {
  return std::get<T>(e.payload);
}

TEST_F(AutomationDecide, CreatesATemplateWithItsOwnStream) {
  auto d = decide(s, ctx, commands::create_template{"Salam", "greeting", "Halo {name}", "", ""});
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d.value().events.size(), 1u);
  EXPECT_EQ(d.value().id, "tpl_1");
  EXPECT_EQ(d.value().events[0].stream, "template-tpl_1");
  const auto& t = payload<events::template_saved>(d.value().events[0]);
  EXPECT_EQ(t.kind, "greeting");
  EXPECT_EQ(t.body, "Halo {name}");
}

TEST_F(AutomationDecide, RefusesBadTemplates) {
  auto unknown = decide(s, ctx, commands::create_template{"X", "greeting", "Hai {nama}", "", ""});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("{nama}"), std::string::npos);
  EXPECT_FALSE(decide(s, ctx, commands::create_template{"", "greeting", "Hai", "", ""}));
  EXPECT_FALSE(decide(s, ctx, commands::create_template{"X", "promo", "Hai", "", ""}));
  EXPECT_FALSE(decide(s, ctx, commands::create_template{"X", "custom", "Hai", "", "id"}));
  auto wa = decide(s, ctx, commands::create_template{"X", "custom", "Hai", "greet", ""});
  ASSERT_TRUE(wa);
  EXPECT_EQ(payload<events::template_saved>(wa.value().events[0]).wa_language, "id");
}

TEST_F(AutomationDecide, UpdatesMergeAndAnUnchangedTemplateAppendsNothing) {
  s.templates["tpl_a"] = {"tpl_a", "Salam", "greeting", "Halo {name}", "", ""};
  commands::update_template u;
  u.template_id = "tpl_a";
  u.body = "Halo {name}";
  auto same = decide(s, ctx, u);
  ASSERT_TRUE(same);
  EXPECT_TRUE(same.value().existing);
  EXPECT_TRUE(same.value().events.empty());
  u.body = "Selamat pagi {name}";
  auto changed = decide(s, ctx, u);
  ASSERT_TRUE(changed);
  const auto& t = payload<events::template_saved>(changed.value().events[0]);
  EXPECT_EQ(t.name, "Salam");
  EXPECT_EQ(t.body, "Selamat pagi {name}");
  u.template_id = "tpl_nope";
  auto missing = decide(s, ctx, u);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, make_error_code(errc::not_found));
}

TEST_F(AutomationDecide, TheDefaultTemplateKeepsItsTypeAndCannotBeDeleted) {
  commands::update_template u;
  u.template_id = std::string(kDefaultOrderConfirmationId);
  u.body = "Terima kasih {name}";
  auto ok = decide(s, ctx, u);
  ASSERT_TRUE(ok);
  EXPECT_EQ(payload<events::template_saved>(ok.value().events[0]).kind, "order_confirmation");
  u.kind = "greeting";
  EXPECT_FALSE(decide(s, ctx, u));
  auto del = decide(s, ctx, commands::delete_template{std::string(kDefaultOrderConfirmationId)});
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, make_error_code(errc::conflict));
}

TEST_F(AutomationDecide, ReminderRulesAreValidated) {
  commands::create_reminder_rule r{"Kopi habis", 14, "prd_k", "", "Halo {name}", true};
  auto ok = decide(s, ctx, r);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok.value().events[0].stream, "rule-rem_1");
  const auto& saved = payload<events::reminder_rule_saved>(ok.value().events[0]);
  EXPECT_EQ(saved.days_after_delivery, 14);
  EXPECT_EQ(saved.product_id, "prd_k");

  auto bad = r;
  bad.product_id = "prd_x";
  EXPECT_EQ(decide(s, ctx, bad).error().message.rfind("product_id:", 0), 0u);
  bad = r;
  bad.days_after_delivery = -3;
  EXPECT_EQ(decide(s, ctx, bad).error().message.rfind("days_after_delivery:", 0), 0u);
  bad = r;
  bad.body = "";
  EXPECT_EQ(decide(s, ctx, bad).error().message.rfind("body:", 0), 0u);
  bad.template_id = "tpl_x";
  EXPECT_EQ(decide(s, ctx, bad).error().message.rfind("template_id:", 0), 0u);
  bad.template_id = std::string(kDefaultOrderConfirmationId);
  EXPECT_TRUE(decide(s, ctx, bad));
}

TEST_F(AutomationDecide, RuleEditsKeepADeletedTemplateButRefuseNamingOne) {
  s.rules["rem_a"] = {"rem_a", "A", 7, "", "tpl_gone", "", true};
  commands::update_reminder_rule u;
  u.rule_id = "rem_a";
  u.enabled = false;
  auto off = decide(s, ctx, u);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(payload<events::reminder_rule_saved>(off.value().events[0]).enabled);
  u.template_id = "tpl_gone";
  EXPECT_FALSE(decide(s, ctx, u));
  commands::update_reminder_rule all;
  all.rule_id = "rem_a";
  all.product_id = "";
  auto same = decide(s, ctx, all);
  ASSERT_TRUE(same);
  EXPECT_TRUE(same.value().existing);
}

TEST_F(AutomationDecide, AcknowledgingIsOnceAndNeedsTheAlert) {
  s.alerts["alr_1"] = {"alr_1", "open", false};
  auto d = decide(s, ctx, commands::acknowledge_alert{"alr_1"});
  ASSERT_TRUE(d);
  ASSERT_EQ(d.value().events.size(), 1u);
  EXPECT_EQ(d.value().events[0].stream, "alert-alr_1");
  s.alerts["alr_1"] = {"alr_1", "acknowledged", true};
  auto again = decide(s, ctx, commands::acknowledge_alert{"alr_1"});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again.value().existing);
  EXPECT_TRUE(again.value().events.empty());
  EXPECT_EQ(decide(s, ctx, commands::acknowledge_alert{"alr_x"}).error().code,
            make_error_code(errc::not_found));
}

}  // namespace
}  // namespace roms
