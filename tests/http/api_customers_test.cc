// The v1 customers, dashboard, reports and settings API against the real stack (api_stack.h).
#include <set>

#include "core/settings.h"
#include "core/time.h"
#include "tests/http/api_test_util.h"

namespace roms::testing {
namespace {

class ApiCustomers : public ApiFixture {};

std::set<std::string> keys_of(const json::object& o) {
  std::set<std::string> k;
  for (const auto& [key, v] : o) k.emplace(key);
  return k;
}

const std::set<std::string> kCustomerFields = {
    "id",       "phone",           "name",        "email",          "city",
    "province", "order_count",     "total_spent", "first_order_at", "last_order_at",
    "segments", "primary_segment", "created_at"};

TEST_F(ApiCustomers, OrdersMakeOneCustomerPerPhoneWithTheContractFields) {
  product("KOPI-250", 45000, 10);
  auto a = place(order_body("KOPI-250", 1, "0812-3456-7890"));
  auto b = place(order_body("KOPI-250", 2, "+62 812 3456 7890"));
  ASSERT_EQ(a.str("customer_id"), b.str("customer_id")) << "one customer per E.164 phone";
  auto c = admin().get("/api/v1/customers/" + a.str("customer_id"));
  ASSERT_EQ(c.status, 200) << c;
  auto fields = keys_of(c.json.as_object());
  auto expected = kCustomerFields;
  expected.insert("recent_orders");
  EXPECT_EQ(fields, expected) << c;
  EXPECT_EQ(c.str("phone"), "+6281234567890");
  EXPECT_EQ(c.str("name"), "Budi");
  EXPECT_EQ(c.str("email"), "budi@example.com");
  EXPECT_EQ(c.str("city"), "Bandung");
  EXPECT_EQ(c.str("province"), "Jawa Barat");
  EXPECT_EQ(c.num("order_count"), 2);
  EXPECT_EQ(c.num("total_spent"), 135000);
  EXPECT_TRUE(parse_rfc3339(c.str("first_order_at")));
  EXPECT_TRUE(parse_rfc3339(c.str("last_order_at")));
  EXPECT_TRUE(parse_rfc3339(c.str("created_at")));
  ASSERT_FALSE(c.at("segments").as_array().empty());
  EXPECT_EQ(c.str("primary_segment"), std::string(c.at("segments").as_array()[0].as_string()));
  EXPECT_EQ(c.str("primary_segment"), "new_member");
  ASSERT_EQ(c.at("recent_orders").as_array().size(), 2u);
  EXPECT_EQ(c.at("recent_orders").as_array()[0].as_object().at("id").as_string(), b.str("id"))
      << "newest first";

  // Cancelled orders count for nothing.
  ASSERT_EQ(
      admin().post("/api/v1/orders/" + b.str("id") + "/status", R"({"status":"cancelled"})").status,
      200);
  auto after = admin().get("/api/v1/customers/" + a.str("customer_id"));
  EXPECT_EQ(after.num("order_count"), 1);
  EXPECT_EQ(after.num("total_spent"), 45000);
}

TEST_F(ApiCustomers, ListsWithFiltersAndExactFields) {
  product("KOPI-250", 100000, 100);
  place(order_body("KOPI-250", 1, "081200000001"));
  place(R"({"customer":{"name":"Sari","phone":"081200000002","city":"Surabaya"},
            "items":[{"sku":"KOPI-250","qty":11}]})");  // Rp 1.100.000: big spender
  place(R"({"customer":{"name":"Joko","phone":"081200000003","city":"surabaya"},
            "items":[{"sku":"KOPI-250","qty":1}]})");
  auto all = admin().get("/api/v1/customers");
  ASSERT_EQ(all.status, 200) << all;
  ASSERT_EQ(all.items().size(), 3u);
  for (const auto& c : all.items()) EXPECT_EQ(keys_of(c.as_object()), kCustomerFields);
  auto big = admin().get("/api/v1/customers?segment=big_spender");
  ASSERT_EQ(big.items().size(), 1u) << big;
  EXPECT_EQ(big.items()[0].as_object().at("name").as_string(), "Sari");
  EXPECT_EQ(big.items()[0].as_object().at("primary_segment").as_string(), "big_spender");
  EXPECT_EQ(admin().get("/api/v1/customers?city=Surabaya").items().size(), 2u);
  EXPECT_EQ(admin().get("/api/v1/customers?q=jok").items().size(), 1u);
  EXPECT_EQ(admin().get("/api/v1/customers?q=%2B6281200000002").items().size(), 1u);
  auto bad = admin().get("/api/v1/customers?segment=vip");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.field(), "segment");

  std::set<std::string> seen;
  std::string target = "/api/v1/customers?limit=2";
  for (int i = 0; i < 5; ++i) {
    auto r = admin().get(target);
    for (const auto& c : r.items()) seen.insert(std::string(c.as_object().at("id").as_string()));
    if (r.at("next_cursor").is_null()) break;
    target = "/api/v1/customers?limit=2&cursor=" + r.str("next_cursor");
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(ApiCustomers, AdminAndCsEditCustomers) {
  product("KOPI-250", 45000, 10);
  std::string id = place(order_body("KOPI-250", 1, "081234567890")).str("customer_id");
  auto r = admin().patch("/api/v1/customers/" + id, R"({"name":"Budi Santoso","city":"Jakarta"})");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.str("name"), "Budi Santoso");
  EXPECT_EQ(r.str("city"), "Jakarta");
  EXPECT_EQ(r.str("email"), "budi@example.com");
  EXPECT_FALSE(r.header("X-Roms-Position").empty());

  auto cs = as(kCsSessionCsrf).patch("/api/v1/customers/" + id, R"({"name":"Pak Budi"})");
  EXPECT_EQ(cs.status, 200) << cs;
  EXPECT_EQ(cs.str("name"), "Pak Budi");
  auto no_csrf = as(kCsSession).patch("/api/v1/customers/" + id, R"({"name":"X"})");
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(no_csrf.code(), "csrf_required");
  auto reader = as(kReadKey).patch("/api/v1/customers/" + id, R"({"name":"X"})");
  EXPECT_EQ(reader.status, 403);
  EXPECT_EQ(reader.code(), "forbidden");

  auto email = admin().patch("/api/v1/customers/" + id, R"({"email":"not-an-email"})");
  EXPECT_EQ(email.status, 400);
  EXPECT_EQ(email.field(), "email");
  auto empty = admin().patch("/api/v1/customers/" + id, R"({"name":""})");
  EXPECT_EQ(empty.field(), "name");
  auto type = admin().patch("/api/v1/customers/" + id, R"({"city":42})");
  EXPECT_EQ(type.field(), "city");
  EXPECT_EQ(admin().patch("/api/v1/customers/cus_nope", R"({"name":"X"})").status, 404);
  EXPECT_EQ(admin().get("/api/v1/customers/cus_nope").status, 404);
}

TEST_F(ApiCustomers, DashboardToday) {
  product("KOPI-250", 45000, 10, 20);
  auto a = place(order_body("KOPI-250", 2, "081234567890"));
  place(order_body("KOPI-250", 1, "081234567891"));
  admin().post("/api/v1/orders/" + a.str("id") + "/status", R"({"status":"processed"})");
  auto d = admin().get("/api/v1/dashboard/today");
  ASSERT_EQ(d.status, 200) << d;
  int32_t offset = 0;
  ASSERT_TRUE(zone_offset_seconds("Asia/Jakarta", offset));
  EXPECT_EQ(d.str("date"), local_date(to_micros(system_clock().now()), offset));
  EXPECT_EQ(d.str("time_zone"), "Asia/Jakarta");
  EXPECT_EQ(d.str("currency"), "IDR");
  EXPECT_EQ(d.num("new_orders"), 2);
  EXPECT_EQ(d.num("sales_total"), 135000);
  EXPECT_EQ(d.num("new_customers"), 2);
  EXPECT_EQ(d.num("chats"), 0);
  const auto& by = d.at("orders_by_status").as_object();
  EXPECT_EQ(by.at("pending").to_number<int64_t>(), 1);
  EXPECT_EQ(by.at("processed").to_number<int64_t>(), 1);
  EXPECT_EQ(by.at("cancelled").to_number<int64_t>(), 0);
  EXPECT_EQ(d.num("low_stock_products"), 1);
  EXPECT_EQ(d.at("whatsapp").as_object().at("status").as_string(), "disconnected");
}

TEST_F(ApiCustomers, TopCustomersAndGeo) {
  product("KOPI-250", 10000, 1000);
  // Ani: 3 small orders; Budi: 1 big order; Cici: 1 small order.
  for (int i = 0; i < 3; ++i)
    place(
        R"({"customer":{"name":"Ani","phone":"081200000001","city":"Bandung","province":"Jawa Barat"},
              "items":[{"sku":"KOPI-250","qty":1}]})");
  place(
      R"({"customer":{"name":"Budi","phone":"081200000002","city":"Surabaya","province":"Jawa Timur"},
            "items":[{"sku":"KOPI-250","qty":50}]})");
  place(
      R"({"customer":{"name":"Cici","phone":"081200000003","city":"Bandung","province":"Jawa Barat"},
            "items":[{"sku":"KOPI-250","qty":1}]})");
  auto by_orders = admin().get("/api/v1/reports/top-customers?by=orders");
  ASSERT_EQ(by_orders.status, 200) << by_orders;
  ASSERT_EQ(by_orders.items().size(), 3u);
  EXPECT_EQ(by_orders.items()[0].as_object().at("name").as_string(), "Ani");
  auto by_spend = admin().get("/api/v1/reports/top-customers?by=spend&limit=1");
  ASSERT_EQ(by_spend.items().size(), 1u) << by_spend;
  EXPECT_EQ(by_spend.items()[0].as_object().at("name").as_string(), "Budi");
  EXPECT_EQ(by_spend.items()[0].as_object().at("total_spent").to_number<int64_t>(), 500000);
  EXPECT_EQ(admin().get("/api/v1/reports/top-customers?by=love").field(), "by");
  EXPECT_EQ(admin().get("/api/v1/reports/top-customers?limit=0").field(), "limit");

  auto geo = admin().get("/api/v1/reports/geo");
  ASSERT_EQ(geo.status, 200) << geo;
  bool bandung = false;
  for (const auto& g : geo.items()) {
    const auto& o = g.as_object();
    if (o.at("city").is_string() && o.at("city").as_string() == "Bandung") {
      bandung = true;
      EXPECT_EQ(o.at("province").as_string(), "Jawa Barat");
      EXPECT_EQ(o.at("customers").to_number<int64_t>(), 2);
      EXPECT_EQ(o.at("orders").to_number<int64_t>(), 4);
      EXPECT_EQ(o.at("revenue").to_number<int64_t>(), 40000);
    }
  }
  EXPECT_TRUE(bandung) << geo;
}

TEST_F(ApiCustomers, SettingsReadByAllChangedByAdminOnly) {
  auto g = admin().get("/api/v1/settings");
  ASSERT_EQ(g.status, 200) << g;
  EXPECT_EQ(g.str("currency"), "IDR");
  EXPECT_EQ(g.str("time_zone"), "Asia/Jakarta");
  EXPECT_FALSE(g.at("allow_backorders").as_bool());
  EXPECT_EQ(g.num("big_spender_min_spend"), 1000000);
  EXPECT_EQ(as(kCsSession).get("/api/v1/settings").status, 200);

  auto p = as(kAdminSessionCsrf)
               .patch("/api/v1/settings", R"({"shop_name":"Toko Budi","time_zone":"Asia/Makassar",
                                              "allow_backorders":true})");
  ASSERT_EQ(p.status, 200) << p;
  EXPECT_EQ(p.str("shop_name"), "Toko Budi");
  EXPECT_EQ(p.str("time_zone"), "Asia/Makassar");
  EXPECT_TRUE(p.at("allow_backorders").as_bool());
  EXPECT_EQ(p.str("currency"), "IDR") << "absent fields are unchanged";
  EXPECT_FALSE(p.header("X-Roms-Position").empty());
  EXPECT_EQ(admin().get("/api/v1/settings").str("shop_name"), "Toko Budi");

  auto key = admin().patch("/api/v1/settings", R"({"shop_name":"X"})");
  EXPECT_EQ(key.status, 403) << "API keys never change settings";
  EXPECT_EQ(key.code(), "forbidden");
  auto cs = as(kCsSessionCsrf).patch("/api/v1/settings", R"({"shop_name":"X"})");
  EXPECT_EQ(cs.status, 403);
  EXPECT_EQ(cs.code(), "forbidden");
  auto no_csrf = as(kAdminSession).patch("/api/v1/settings", R"({"shop_name":"X"})");
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(no_csrf.code(), "csrf_required");
  auto zone = as(kAdminSessionCsrf).patch("/api/v1/settings", R"({"time_zone":"Mars/Olympus"})");
  EXPECT_EQ(zone.status, 400);
  EXPECT_EQ(zone.field(), "time_zone");
  auto type = as(kAdminSessionCsrf).patch("/api/v1/settings", R"({"allow_backorders":"yes"})");
  EXPECT_EQ(type.status, 400);
  EXPECT_EQ(type.field(), "allow_backorders");

  // Backorders allowed: an order beyond stock is accepted and flagged.
  product("KOPI-250", 45000, 1);
  auto o = place(order_body("KOPI-250", 3, "081234567890"));
  ASSERT_EQ(o.status, 201) << o;
  bool flagged = false;
  for (const auto& f : o.at("flags").as_array()) flagged = flagged || f.as_string() == "backorder";
  EXPECT_TRUE(flagged) << o;
  EXPECT_TRUE(o.at("items").as_array()[0].as_object().at("backorder").as_bool());
}

}  // namespace
}  // namespace roms::testing
