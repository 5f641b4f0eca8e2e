// Automations over HTTP against the real stack (api_stack.h): templates (the Indonesian
// default from the start, CRUD, unknown {variable} refused on save naming it), reminder rules,
// alerts (list by state, acknowledge), roles; and the rule runner next to the stack turning an
// order placed over the API into exactly one queued thank-you.
#include <gtest/gtest.h>

#include "consumers/rules.h"
#include "core/automation.h"
#include "events/payload.h"
#include "events/types.h"
#include "tests/http/api_test_util.h"

namespace roms::testing {
namespace {

using namespace std::chrono_literals;

class ApiAutomation : public ApiFixture {
 protected:
  api_client admin_session() { return as(kAdminSessionCsrf); }
  api_client cs() { return as(kCsSessionCsrf); }
  static api_reply del(const api_client& c, std::string_view target) {
    return c.request("DELETE", target);
  }
};

bool has_id(const api_reply& r, std::string_view id) {
  for (const auto& t : r.items())
    if (t.as_object().at("id").as_string() == id) return true;
  return false;
}

TEST_F(ApiAutomation, TheDefaultOrderConfirmationTemplateExistsFromTheStart) {
  auto list = cs().get("/api/v1/templates");
  ASSERT_EQ(list.status, 200) << list;
  ASSERT_EQ(list.items().size(), 1u);
  const auto& t = list.items()[0].as_object();
  EXPECT_EQ(t.at("id").as_string(), kDefaultOrderConfirmationId);
  EXPECT_EQ(t.at("type").as_string(), "order_confirmation");
  EXPECT_TRUE(t.at("default").as_bool());
  EXPECT_EQ(t.at("body").as_string(), kDefaultOrderConfirmationBody);
  EXPECT_TRUE(list.at("next_cursor").is_null());

  auto one = as(kReadKey).get("/api/v1/templates/tpl_order_confirmation");
  ASSERT_EQ(one.status, 200) << one;
  auto vars = one.at("variables").as_array();
  EXPECT_EQ(vars.size(), 5u);  // name, shop_name, order_id, product_name, total
  EXPECT_EQ(as(kReadKey).get("/api/v1/templates?type=greeting").items().size(), 0u);
}

TEST_F(ApiAutomation, TemplatesAreCreatedEditedAndDeleted) {
  auto c = admin_session().post(
      "/api/v1/templates",
      R"({"name":"Info Rekening","type":"bank_info","body":"Halo {name}, transfer ke BCA 123 a.n. Toko ya \ud83d\ude4f"})");
  ASSERT_EQ(c.status, 201) << c;
  std::string id = c.str("id");
  EXPECT_EQ(id.rfind("tpl_", 0), 0u);
  EXPECT_EQ(c.header("Location"), "/api/v1/templates/" + id);
  EXPECT_FALSE(c.header("X-Roms-Position").empty());
  EXPECT_EQ(c.str("body"), "Halo {name}, transfer ke BCA 123 a.n. Toko ya \xF0\x9F\x99\x8F");
  EXPECT_FALSE(c.at("default").as_bool());
  EXPECT_TRUE(c.at("wa_template_name").is_null());

  auto got = cs().get("/api/v1/templates/" + id);
  ASSERT_EQ(got.status, 200) << got;
  EXPECT_EQ(got.str("name"), "Info Rekening");

  auto p = admin_session().patch("/api/v1/templates/" + id,
                                 R"({"name":"Rekening BCA","wa_template_name":"bank_info"})");
  ASSERT_EQ(p.status, 200) << p;
  EXPECT_EQ(p.str("name"), "Rekening BCA");
  EXPECT_EQ(p.str("type"), "bank_info");
  EXPECT_EQ(p.str("wa_template_name"), "bank_info");
  EXPECT_EQ(p.str("wa_language"), "id");

  auto list = cs().get("/api/v1/templates?limit=1");
  ASSERT_EQ(list.status, 200) << list;
  ASSERT_EQ(list.items().size(), 1u);
  ASSERT_TRUE(list.at("next_cursor").is_string());
  auto page2 = cs().get("/api/v1/templates?limit=1&cursor=" + list.str("next_cursor"));
  ASSERT_EQ(page2.status, 200) << page2;
  EXPECT_TRUE(has_id(page2, id));

  auto d = del(admin_session(), "/api/v1/templates/" + id);
  ASSERT_EQ(d.status, 200) << d;
  EXPECT_TRUE(d.at("deleted").as_bool());
  EXPECT_EQ(cs().get("/api/v1/templates/" + id).status, 404);
  EXPECT_EQ(del(admin_session(), "/api/v1/templates/" + id).status, 404);
}

TEST_F(ApiAutomation, AnUnknownVariableIsRefusedWhenTheTemplateIsSaved) {
  auto r = admin_session().post("/api/v1/templates",
                                R"({"name":"Salam","type":"greeting","body":"Halo {nama}!"})");
  ASSERT_EQ(r.status, 400) << r;
  EXPECT_EQ(r.code(), "invalid_argument");
  EXPECT_EQ(r.field(), "body");
  EXPECT_NE(r.body.find("{nama}"), std::string::npos) << r;
  // Literal braces are text, not variables.
  auto ok = admin_session().post(
      "/api/v1/templates", R"({"name":"Salam","type":"greeting","body":"Halo {name} {:)} { }"})");
  ASSERT_EQ(ok.status, 201) << ok;
  auto p = admin_session().patch("/api/v1/templates/" + ok.str("id"),
                                 R"({"body":"Resi {tracking_no}"})");
  ASSERT_EQ(p.status, 400) << p;
  EXPECT_NE(p.body.find("{tracking_no}"), std::string::npos) << p;
  auto t =
      admin_session().post("/api/v1/templates", R"({"name":"X","type":"promo","body":"Halo"})");
  ASSERT_EQ(t.status, 400) << t;
  EXPECT_EQ(t.field(), "type");
  auto e = admin_session().post("/api/v1/templates", R"({"name":"X","type":"custom","body":""})");
  ASSERT_EQ(e.status, 400) << e;
  EXPECT_EQ(e.field(), "body");
}

TEST_F(ApiAutomation, TheDefaultTemplateCanBeEditedButNotDeleted) {
  auto p = admin_session().patch(
      "/api/v1/templates/tpl_order_confirmation",
      R"({"body":"Makasih {name}! Pesanan {order_id} senilai {total} \u2705"})");
  ASSERT_EQ(p.status, 200) << p;
  EXPECT_TRUE(p.at("default").as_bool());
  EXPECT_EQ(p.str("body"), "Makasih {name}! Pesanan {order_id} senilai {total} \xE2\x9C\x85");
  auto k =
      admin_session().patch("/api/v1/templates/tpl_order_confirmation", R"({"type":"greeting"})");
  EXPECT_EQ(k.status, 400) << k;
  auto d = del(admin_session(), "/api/v1/templates/tpl_order_confirmation");
  EXPECT_EQ(d.status, 409) << d;
  auto list = cs().get("/api/v1/templates");
  ASSERT_EQ(list.items().size(), 1u);
  EXPECT_EQ(list.items()[0].as_object().at("body").as_string(),
            "Makasih {name}! Pesanan {order_id} senilai {total} \xE2\x9C\x85");
}

TEST_F(ApiAutomation, RolesTemplatesAreAdminsToWriteAndEveryonesToRead) {
  auto body = R"({"name":"Salam","type":"greeting","body":"Halo {name}"})";
  EXPECT_EQ(cs().post("/api/v1/templates", body).status, 403);
  EXPECT_EQ(admin().post("/api/v1/templates", body).status, 403);  // API keys: never
  EXPECT_EQ(as("").get("/api/v1/templates").status, 401);
  EXPECT_EQ(as(kAdminSession).post("/api/v1/templates", body).status, 403);  // no CSRF token
  EXPECT_EQ(cs().get("/api/v1/reminders").status, 403);
  EXPECT_EQ(as(kReadKey).get("/api/v1/alerts").status, 200);
  EXPECT_EQ(admin_session().post("/api/v1/templates", body).status, 201);
}

TEST_F(ApiAutomation, ReminderRulesAreCreatedEditedAndDeleted) {
  std::string kopi = product("KOPI-250", 45000, 10);
  auto a = admin_session();
  auto bad_product =
      a.post("/api/v1/reminders",
             R"({"name":"X","days_after_delivery":7,"product_id":"prd_nope","body":"Halo"})");
  ASSERT_EQ(bad_product.status, 400) << bad_product;
  EXPECT_EQ(bad_product.field(), "product_id");
  auto bad_tpl = a.post("/api/v1/reminders",
                        R"({"name":"X","days_after_delivery":7,"template_id":"tpl_nope"})");
  ASSERT_EQ(bad_tpl.status, 400) << bad_tpl;
  EXPECT_EQ(bad_tpl.field(), "template_id");
  auto no_text = a.post("/api/v1/reminders", R"({"name":"X","days_after_delivery":7})");
  ASSERT_EQ(no_text.status, 400) << no_text;
  EXPECT_EQ(no_text.field(), "body");
  auto bad_var = a.post("/api/v1/reminders",
                        R"({"name":"X","days_after_delivery":7,"body":"{produk} habis?"})");
  ASSERT_EQ(bad_var.status, 400) << bad_var;
  EXPECT_NE(bad_var.body.find("{produk}"), std::string::npos);
  auto neg = a.post("/api/v1/reminders", R"({"name":"X","days_after_delivery":-1,"body":"Hi"})");
  ASSERT_EQ(neg.status, 400) << neg;
  EXPECT_EQ(neg.field(), "days_after_delivery");

  auto c =
      a.post("/api/v1/reminders",
             R"({"name":"Reminder Kopi Habis","days_after_delivery":14,"product_id":")" + kopi +
                 R"(","body":"Halo {customer_name}, {product_name} habis? {recommendation}"})");
  ASSERT_EQ(c.status, 201) << c;
  std::string id = c.str("id");
  EXPECT_EQ(c.str("product_id"), kopi);
  EXPECT_TRUE(c.at("enabled").as_bool());
  EXPECT_TRUE(c.at("template_id").is_null());
  EXPECT_EQ(c.at("stats").as_object().at("pending").as_int64(), 0);

  auto p = a.patch("/api/v1/reminders/" + id,
                   R"({"product_id":null,"enabled":false,"template_id":"tpl_order_confirmation"})");
  ASSERT_EQ(p.status, 200) << p;
  EXPECT_TRUE(p.at("product_id").is_null());
  EXPECT_FALSE(p.at("enabled").as_bool());
  EXPECT_EQ(p.str("template_id"), "tpl_order_confirmation");
  EXPECT_EQ(p.num("days_after_delivery"), 14);
  auto wrong = a.patch("/api/v1/reminders/" + id, R"({"product_id":7})");
  ASSERT_EQ(wrong.status, 400) << wrong;
  EXPECT_EQ(wrong.field(), "product_id");

  auto list = a.get("/api/v1/reminders");
  ASSERT_EQ(list.status, 200) << list;
  ASSERT_EQ(list.items().size(), 1u);
  EXPECT_EQ(a.get("/api/v1/reminders/" + id).str("name"), "Reminder Kopi Habis");

  auto d = del(a, "/api/v1/reminders/" + id);
  ASSERT_EQ(d.status, 200) << d;
  EXPECT_EQ(a.get("/api/v1/reminders/" + id).status, 404);
  EXPECT_EQ(a.patch("/api/v1/reminders/" + id, R"({"enabled":true})").status, 404);
}

TEST_F(ApiAutomation, AlertsAreListedByStateAndAcknowledged) {
  auto raise = [&](std::string id, std::string kind, int64_t t) {
    events::alert_raised a;
    a.alert_id = id;
    a.kind = kind;
    a.severity = "red";
    a.subject = "prd_x";
    a.title = "Stok kritis";
    a.recommended_qty = 12;
    events::envelope e;
    e.id = events::new_event_id(from_micros(t));
    e.type = std::string(events::alert_raised::kType);
    e.stream = "alert-" + id;
    e.time = from_micros(t);
    e.actor = "rule:critical_stock";
    e.payload = events::encode_payload(a);
    auto r = stack().log().append(std::span<const events::envelope>(&e, 1));
    EXPECT_TRUE(r);
    EXPECT_TRUE(stack().runner().wait_for(r.value()[0].position, 5s));
  };
  raise("alr_one", "critical_stock", 1'772'413'200'000'000LL);
  raise("alr_two", "pending_order", 1'772'413'300'000'000LL);

  auto open = cs().get("/api/v1/alerts?state=open");
  ASSERT_EQ(open.status, 200) << open;
  ASSERT_EQ(open.items().size(), 2u);
  EXPECT_EQ(open.items()[0].as_object().at("id").as_string(), "alr_two");  // newest first
  EXPECT_TRUE(open.items()[0].as_object().at("recommended_qty").is_null());
  EXPECT_EQ(open.items()[1].as_object().at("recommended_qty").as_int64(), 12);

  auto ack = cs().post("/api/v1/alerts/alr_one/ack", "");
  ASSERT_EQ(ack.status, 200) << ack;
  EXPECT_EQ(ack.str("state"), "acknowledged");
  EXPECT_EQ(ack.str("acknowledged_by"), "user:usr_cs");
  EXPECT_EQ(cs().post("/api/v1/alerts/alr_one/ack", "").status, 200);  // again: no change
  EXPECT_EQ(cs().post("/api/v1/alerts/alr_nope/ack", "").status, 404);
  EXPECT_EQ(admin().post("/api/v1/alerts/alr_two/ack", "").status, 403);  // API key

  EXPECT_EQ(cs().get("/api/v1/alerts?state=open").items().size(), 1u);
  auto acked = cs().get("/api/v1/alerts?state=acknowledged");
  ASSERT_EQ(acked.items().size(), 1u);
  EXPECT_EQ(acked.items()[0].as_object().at("id").as_string(), "alr_one");
  EXPECT_EQ(cs().get("/api/v1/alerts").items().size(), 2u);  // open and acknowledged
  auto page = cs().get("/api/v1/alerts?limit=1");
  ASSERT_EQ(page.items().size(), 1u);
  auto page2 = cs().get("/api/v1/alerts?limit=1&cursor=" + page.str("next_cursor"));
  ASSERT_EQ(page2.status, 200) << page2;
  ASSERT_EQ(page2.items().size(), 1u);
  EXPECT_EQ(page2.items()[0].as_object().at("id").as_string(), "alr_one");
  EXPECT_EQ(cs().get("/api/v1/alerts?state=closed").status, 400);
  EXPECT_EQ(cs().get("/api/v1/alerts/alr_one").str("state"), "acknowledged");
}

TEST_F(ApiAutomation, OpenApiDocumentsTheAutomationRoutes) {
  auto doc = as("").get("/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  const auto& paths = doc.at("paths").as_object();
  const std::pair<std::string_view, std::string_view> documented[] = {
      {"get", "/api/v1/templates"},
      {"post", "/api/v1/templates"},
      {"get", "/api/v1/templates/{id}"},
      {"patch", "/api/v1/templates/{id}"},
      {"delete", "/api/v1/templates/{id}"},
      {"get", "/api/v1/reminders"},
      {"post", "/api/v1/reminders"},
      {"get", "/api/v1/reminders/{id}"},
      {"patch", "/api/v1/reminders/{id}"},
      {"delete", "/api/v1/reminders/{id}"},
      {"get", "/api/v1/alerts"},
      {"get", "/api/v1/alerts/{id}"},
      {"post", "/api/v1/alerts/{id}/ack"},
  };
  for (const auto& [method, path] : documented) {
    auto* p = paths.if_contains(path);
    ASSERT_TRUE(p) << path << " is not documented";
    EXPECT_TRUE(p->as_object().contains(method)) << method << " " << path;
  }
}

TEST_F(ApiAutomation, AnOrderPlacedOverTheApiGetsExactlyOneThankYou) {
  temp_dir rules_dir;
  consumers::rule_runner_options o;
  o.state_dir = rules_dir.path();
  o.poll_wait = 20ms;
  consumers::rule_runner rules(stack().log(), stack().ctx().store, stack().runner(), o);
  ASSERT_TRUE(rules.start());
  product("KOPI-250", 62500, 10);
  auto r = place(order_body("KOPI-250", 2, "0812-3456-7890", "web-1001"));
  auto again =
      admin().post("/api/v1/orders", order_body("KOPI-250", 2, "0812-3456-7890", "web-1001"));
  EXPECT_EQ(again.status, 200) << again;  // the same order again: nothing new
  auto pos = events::parse_position(r.header("X-Roms-Position"));
  ASSERT_TRUE(pos);
  ASSERT_TRUE(rules.wait_for(*pos, 10s));
  rules.stop();

  std::vector<events::message_queued> queued;
  auto reader = stack().log().open_reader({0});
  ASSERT_TRUE(reader);
  for (;;) {
    auto b = reader.value()->read(1000, 100ms);
    ASSERT_TRUE(b);
    if (b.value().empty()) break;
    for (const auto& e : b.value())
      if (e.event.type == events::message_queued::kType)
        queued.push_back(events::decode_payload<events::message_queued>(e.event.payload).value());
  }
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].kind, "thank_you");
  EXPECT_EQ(queued[0].to, "+6281234567890");
  EXPECT_EQ(queued[0].idempotency_key, "thank_you:" + r.str("id"));
  EXPECT_NE(queued[0].body.find("Rp 125.000"), std::string::npos) << queued[0].body;
  EXPECT_NE(queued[0].body.find("Halo Budi,"), std::string::npos) << queued[0].body;
}

// The "done when" of the automations, minus the gateway: a reminder rule made over the API,
// an order placed and delivered over the API, the clock advanced by ticks: exactly one
// reminder with the product's cross-sell text, at the due time and not before.
TEST_F(ApiAutomation, ADeliveredOrderGetsExactlyOneReminderWhenTheClockReachesItsDay) {
  temp_dir rules_dir;
  consumers::rule_runner_options o;
  o.state_dir = rules_dir.path();
  o.poll_wait = 20ms;
  consumers::rule_runner rules(stack().log(), stack().ctx().store, stack().runner(), o);
  ASSERT_TRUE(rules.start());
  auto p = admin().post(
      "/api/v1/products",
      R"({"sku":"KOPI-250","name":"Kopi Bubuk 250g","price":62500,"cost":30000,"min_stock":0,"cross_sell":"Kak, sekalian Gula Aren-nya biar makin nikmat!"})");
  ASSERT_EQ(p.status, 201) << p;
  ASSERT_EQ(
      admin()
          .post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":50,"reason":"received"})")
          .status,
      200);
  auto rule = admin_session().post(
      "/api/v1/reminders",
      R"({"name":"Reminder Kopi Habis","days_after_delivery":3,"product_id":")" + p.str("id") +
          R"(","body":"Halo {customer_name}, {product_name} sudah mau habis? {recommendation}"})");
  ASSERT_EQ(rule.status, 201) << rule;
  auto order = place(order_body("KOPI-250", 1, "0812-3456-7890", "web-7"));
  const std::string id = order.str("id");
  ASSERT_EQ(admin().post("/api/v1/orders/" + id + "/status", R"({"status":"processed"})").status,
            200);
  ASSERT_EQ(admin()
                .post("/api/v1/orders/" + id + "/status",
                      R"({"status":"shipped","tracking_number":"JNE-1","courier":"jne"})")
                .status,
            200);
  auto delivered = admin().post("/api/v1/orders/" + id + "/status", R"({"status":"delivered"})");
  ASSERT_EQ(delivered.status, 200) << delivered;
  const timestamp at = system_clock().now();

  auto tick = [&](timestamp t) {
    events::envelope e;
    e.id = events::new_event_id(t);
    e.type = std::string(events::clock_ticked::kType);
    e.stream = "clock";
    e.time = t;
    e.actor = "system";
    auto r = stack().log().append(std::span<const events::envelope>(&e, 1));
    EXPECT_TRUE(r);
    EXPECT_TRUE(rules.wait_for(r.value()[0].position, 10s));
    auto end = stack().log_end();
    EXPECT_TRUE(stack().runner().wait_for({0, end - 1}, 10s));
  };
  auto reminders = [&] {
    std::vector<events::message_queued> out;
    auto reader = stack().log().open_reader({0});
    for (;;) {
      auto b = reader.value()->read(1000, 100ms);
      if (!b || b.value().empty()) break;
      for (const auto& e : b.value()) {
        if (e.event.type != events::message_queued::kType) continue;
        auto q = events::decode_payload<events::message_queued>(e.event.payload).value();
        if (q.kind == "reminder") out.push_back(std::move(q));
      }
    }
    return out;
  };
  tick(at + std::chrono::hours(24 * 2));
  EXPECT_TRUE(reminders().empty());
  tick(at + std::chrono::hours(24 * 3) + std::chrono::minutes(1));
  tick(at + std::chrono::hours(24 * 3) + std::chrono::minutes(2));
  auto got = reminders();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].to, "+6281234567890");
  EXPECT_EQ(got[0].body,
            "Halo Budi, Kopi Bubuk 250g sudah mau habis? Kak, sekalian Gula Aren-nya biar makin "
            "nikmat!");
  auto r = admin_session().get("/api/v1/reminders/" + rule.str("id"));
  EXPECT_EQ(r.at("stats").as_object().at("sent").as_int64(), 1) << r;
  rules.stop();
}

}  // namespace
}  // namespace roms::testing
