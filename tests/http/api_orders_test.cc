// The v1 orders API against a real server, embedded log, read models, runner and executor
// (api_stack.h): placing, reading, listing, lifecycle, idempotency, read-your-writes, errors.
#include <atomic>
#include <set>
#include <thread>

#include "core/time.h"
#include "tests/http/api_test_util.h"

namespace roms::testing {
namespace {

class ApiOrders : public ApiFixture {};

TEST_F(ApiOrders, PlacesAnOrderAndReadsItBackAtOnce) {
  std::string pid = product("KOPI-250", 45000, 10);
  auto r = place(order_body("KOPI-250", 2, "0812-3456-7890", "web-1001"));
  ASSERT_EQ(r.status, 201);
  std::string id = r.str("id");
  EXPECT_EQ(id.rfind("ord_", 0), 0u) << id;
  EXPECT_EQ(r.str("status"), "pending");
  EXPECT_EQ(r.str("channel"), "web");
  EXPECT_EQ(r.str("external_id"), "web-1001");
  EXPECT_EQ(r.num("total"), 90000);
  EXPECT_EQ(r.str("currency"), "IDR");
  EXPECT_FALSE(r.str("customer_id").empty());
  EXPECT_TRUE(parse_rfc3339(r.str("created_at"))) << r.str("created_at");
  const auto& item = r.at("items").as_array().at(0).as_object();
  EXPECT_EQ(item.at("sku").as_string(), "KOPI-250");
  EXPECT_EQ(item.at("product_id").as_string(), pid);
  EXPECT_EQ(item.at("qty").to_number<int64_t>(), 2);
  EXPECT_EQ(item.at("price").to_number<int64_t>(), 45000);
  EXPECT_EQ(r.at("customer").as_object().at("phone").as_string(), "+6281234567890");
  EXPECT_EQ(r.at("payment").as_object().at("method").as_string(), "bank_transfer");
  ASSERT_EQ(r.at("timeline").as_array().size(), 1u);
  EXPECT_EQ(r.at("timeline").as_array()[0].as_object().at("type").as_string(), "order.placed");
  std::string pos = r.header("X-Roms-Position");
  ASSERT_FALSE(pos.empty());
  EXPECT_EQ(pos.find_first_not_of("0123456789"), std::string::npos) << pos;
  EXPECT_EQ(r.header("Location"), "/api/v1/orders/" + id);
  EXPECT_EQ(r.header("Content-Type"), "application/json");

  // Read your writes: the very next GET sees it, and so does every read model.
  auto g = admin().get("/api/v1/orders/" + id);
  ASSERT_EQ(g.status, 200) << g;
  EXPECT_EQ(g.str("id"), id);
  EXPECT_EQ(g.num("total"), 90000);
  EXPECT_EQ(g.at("timeline").as_array().size(), 1u);
  auto p = admin().get("/api/v1/products/" + pid);
  EXPECT_EQ(p.num("available"), 8) << p;
  EXPECT_EQ(p.num("reserved"), 2) << p;
  auto c = admin().get("/api/v1/customers/" + r.str("customer_id"));
  EXPECT_EQ(c.num("order_count"), 1) << c;
  auto m = admin().get("/api/v1/orders/" + id + "?min_position=" + pos);
  EXPECT_EQ(m.status, 200) << m;
}

TEST_F(ApiOrders, ItemPriceOverridesTheCatalog) {
  product("TEH-100", 20000, 5);
  auto r = place(R"({"customer":{"name":"Sari","phone":"081311112222"},
                     "items":[{"sku":"TEH-100","qty":2,"price":15000}]})");
  EXPECT_EQ(r.num("total"), 30000);
  EXPECT_EQ(r.str("channel"), "api") << "channel defaults to api";
}

TEST_F(ApiOrders, SameIdempotencyKeyAndBodyAnswersTheOriginalAndAppendsNothing) {
  product("KOPI-250", 45000, 10);
  std::string body = order_body("KOPI-250", 1, "081234567890");
  auto first = place(body, "Idempotency-Key: key-123\r\n");
  int64_t end = stack().log_end();
  auto again = admin().post("/api/v1/orders", body, "Idempotency-Key: key-123\r\n");
  EXPECT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.str("id"), first.str("id"));
  EXPECT_EQ(again.body, first.body) << "the repeat answers the original order";
  EXPECT_FALSE(again.header("X-Roms-Position").empty());
  EXPECT_EQ(stack().log_end(), end) << "a repeat appends nothing";

  auto other = admin().post("/api/v1/orders", order_body("KOPI-250", 2, "081234567890"),
                            "Idempotency-Key: key-123\r\n");
  EXPECT_EQ(other.status, 409) << other;
  EXPECT_EQ(other.code(), "idempotency_key_reused");
  EXPECT_EQ(stack().log_end(), end);

  // Keys are per client: another API key using the same key places its own order.
  auto other_client = as(kOrdersKey).post("/api/v1/orders", body, "Idempotency-Key: key-123\r\n");
  EXPECT_EQ(other_client.status, 201) << other_client;
  EXPECT_NE(other_client.str("id"), first.str("id"));

  auto empty = admin().post("/api/v1/orders", body, "Idempotency-Key: \r\n");
  EXPECT_EQ(empty.status, 400) << empty;
  EXPECT_EQ(empty.field(), "Idempotency-Key");
}

TEST_F(ApiOrders, SameExternalIdPerChannelAnswersTheOriginal) {
  product("KOPI-250", 45000, 10);
  auto first = place(order_body("KOPI-250", 1, "081234567890", "web-7"));
  int64_t end = stack().log_end();
  auto again = admin().post("/api/v1/orders", order_body("KOPI-250", 3, "081234567890", "web-7"));
  EXPECT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.str("id"), first.str("id"));
  EXPECT_EQ(again.num("total"), 45000) << "the original, not the repeat's body";
  EXPECT_EQ(stack().log_end(), end);
  auto other_channel =
      admin().post("/api/v1/orders", order_body("KOPI-250", 1, "081234567890", "web-7", "phone"));
  EXPECT_EQ(other_channel.status, 201) << other_channel;
  EXPECT_NE(other_channel.str("id"), first.str("id"));
}

TEST_F(ApiOrders, MoreThanAvailableIs409OutOfStock) {
  product("KOPI-250", 45000, 1);
  int64_t end = stack().log_end();
  auto r = admin().post("/api/v1/orders", order_body("KOPI-250", 2, "081234567890"));
  EXPECT_EQ(r.status, 409) << r;
  EXPECT_EQ(r.code(), "out_of_stock");
  EXPECT_EQ(stack().log_end(), end);
}

TEST_F(ApiOrders, UnknownSkuIs400NamingTheItem) {
  auto r = admin().post("/api/v1/orders", order_body("NOPE-1", 1, "081234567890"));
  EXPECT_EQ(r.status, 400) << r;
  EXPECT_EQ(r.code(), "unknown_sku");
  EXPECT_EQ(r.field(), "items[0]");
}

TEST_F(ApiOrders, MalformedJsonIs400) {
  for (std::string_view body :
       {"{", "{\"items\":[", "not json", "[1,2]", "\"text\"", "{\"a\":1,}"}) {
    auto r = admin().post("/api/v1/orders", body);
    EXPECT_EQ(r.status, 400) << body << " → " << r;
    EXPECT_EQ(r.code(), "malformed_json") << body;
  }
  auto empty = admin().request("POST", "/api/v1/orders", "");
  EXPECT_EQ(empty.status, 400) << empty;
  EXPECT_EQ(empty.code(), "malformed_json");
}

TEST_F(ApiOrders, WrongTypesAre400NamingTheField) {
  product("KOPI-250", 45000, 10);
  struct row {
    std::string_view body, field;
  };
  const row rows[] = {
      {R"({"channel":5,"customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":1}]})", "channel"},
      {R"({"customer":"Budi","items":[{"sku":"KOPI-250","qty":1}]})", "customer"},
      {R"({"customer":{"name":"A","phone":812},"items":[{"sku":"KOPI-250","qty":1}]})",
       "customer.phone"},
      {R"({"customer":{"name":"A"},"items":{"sku":"KOPI-250"}})", "items"},
      {R"({"customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":"2"}]})", "items[0].qty"},
      {R"({"customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":1},{"sku":"KOPI-250","qty":1.5}]})",
       "items[1].qty"},
      {R"({"customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":1,"price":"free"}]})",
       "items[0].price"},
      {R"({"customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":1}],"payment":{"timing":true}})",
       "payment.timing"},
  };
  int64_t end = stack().log_end();
  for (const auto& r : rows) {
    auto a = admin().post("/api/v1/orders", r.body);
    EXPECT_EQ(a.status, 400) << r.body << " → " << a;
    EXPECT_EQ(a.code(), "invalid_argument") << r.body;
    EXPECT_EQ(a.field(), r.field) << r.body << " → " << a;
  }
  EXPECT_EQ(stack().log_end(), end);
}

TEST_F(ApiOrders, InvalidValuesAre400NamingTheField) {
  product("KOPI-250", 45000, 10);
  struct row {
    std::string_view body, field;
  };
  const row rows[] = {
      {R"({"channel":"fax","customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":1}]})",
       "channel"},
      {R"({"customer":{"name":"A"},"items":[]})", "items"},
      {R"({"customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":0}]})", "items[0].qty"},
      {R"({"customer":{},"items":[{"sku":"KOPI-250","qty":1}]})", "customer"},
      {R"({"customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":1}],"payment":{"method":"barter"}})",
       "payment.method"},
      {R"({"customer":{"name":"A"},"items":[{"sku":"KOPI-250","qty":1}],"warehouse":"nowhere"})",
       "warehouse"},
  };
  for (const auto& r : rows) {
    auto a = admin().post("/api/v1/orders", r.body);
    EXPECT_EQ(a.status, 400) << r.body << " → " << a;
    EXPECT_EQ(a.code(), "invalid_argument") << r.body;
    EXPECT_EQ(a.field(), r.field) << r.body << " → " << a;
  }
}

TEST_F(ApiOrders, UnknownFieldsAreIgnored) {
  product("KOPI-250", 45000, 10);
  auto r = place(R"({"future_field":{"x":[1,2]},"customer":{"name":"A","nickname":"a"},
                     "items":[{"sku":"KOPI-250","qty":1,"gift_wrap":true}]})");
  EXPECT_EQ(r.num("total"), 45000);
}

TEST_F(ApiOrders, BodyOverOneMebibyteIs413) {
  std::string big = R"({"note":")" + std::string((1 << 20) + 10, 'x') + R"("})";
  int64_t end = stack().log_end();
  auto r = admin().post("/api/v1/orders", big);
  EXPECT_EQ(r.status, 413) << r.status;
  EXPECT_EQ(r.code(), "too_large");
  EXPECT_EQ(stack().log_end(), end);
}

TEST_F(ApiOrders, StatusMovesForwardOnly) {
  product("KOPI-250", 45000, 10);
  std::string id = place(order_body("KOPI-250", 1, "081234567890")).str("id");
  std::string base = "/api/v1/orders/" + id + "/status";

  auto processed = admin().post(base, R"({"status":"processed","note":"dikemas"})");
  ASSERT_EQ(processed.status, 200) << processed;
  EXPECT_EQ(processed.str("status"), "processed");
  EXPECT_FALSE(processed.header("X-Roms-Position").empty());

  auto shipped =
      admin().post(base, R"({"status":"shipped","tracking_number":"JNE123","courier":"jne"})");
  ASSERT_EQ(shipped.status, 200) << shipped;
  EXPECT_EQ(shipped.str("tracking_number"), "JNE123");
  EXPECT_EQ(shipped.str("courier"), "jne");
  ASSERT_EQ(shipped.at("timeline").as_array().size(), 3u);
  const auto& last = shipped.at("timeline").as_array()[2].as_object();
  EXPECT_EQ(last.at("status").as_string(), "shipped");
  EXPECT_EQ(last.at("actor").as_string(), "apikey:key_admin");

  int64_t end = stack().log_end();
  auto same = admin().post(base, R"({"status":"shipped"})");
  EXPECT_EQ(same.status, 200) << same;
  EXPECT_EQ(stack().log_end(), end) << "setting the current status again appends nothing";

  auto back = admin().post(base, R"({"status":"pending"})");
  EXPECT_EQ(back.status, 409) << back;
  EXPECT_EQ(back.code(), "invalid_transition");

  EXPECT_EQ(admin().post(base, R"({"status":"delivered"})").status, 200);
  auto cancel = admin().post(base, R"({"status":"cancelled"})");
  EXPECT_EQ(cancel.status, 409) << cancel;
  EXPECT_EQ(cancel.code(), "invalid_transition");

  auto unknown = admin().post(base, R"({"status":"lost"})");
  EXPECT_EQ(unknown.status, 400) << unknown;
  EXPECT_EQ(unknown.field(), "status");
  auto missing = admin().post(base, R"({})");
  EXPECT_EQ(missing.status, 400) << missing;
  EXPECT_EQ(missing.field(), "status");
  auto no_order = admin().post("/api/v1/orders/ord_nope/status", R"({"status":"processed"})");
  EXPECT_EQ(no_order.status, 404) << no_order;
  EXPECT_EQ(no_order.code(), "not_found");
}

TEST_F(ApiOrders, RepeatedGetsFollowEveryChange) {
  // GET answers are reused while the stored order is unchanged (orders_routes.cc): each change
  // must show at once, and repeated reads must be identical.
  product("KOPI-250", 45000, 10);
  std::string id = place(order_body("KOPI-250", 1, "081234567890")).str("id");
  std::string path = "/api/v1/orders/" + id;
  auto first = admin().get(path);
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_EQ(first.str("status"), "pending");
  EXPECT_EQ(admin().get(path).body, first.body);
  for (const char* to : {"processed", "shipped", "delivered"}) {
    auto moved = admin().post(path + "/status", std::string(R"({"status":")") + to + R"("})");
    ASSERT_EQ(moved.status, 200) << moved;
    auto again = admin().get(path);
    ASSERT_EQ(again.status, 200) << again;
    EXPECT_EQ(again.str("status"), to);
    EXPECT_EQ(again.body, moved.body) << "the GET right after the change shows it";
    EXPECT_EQ(admin().get(path).body, again.body);
  }
}

TEST_F(ApiOrders, CancelReleasesStock) {
  std::string pid = product("KOPI-250", 45000, 3);
  std::string id = place(order_body("KOPI-250", 3, "081234567890")).str("id");
  EXPECT_EQ(admin().post("/api/v1/orders", order_body("KOPI-250", 1, "081234567891")).code(),
            "out_of_stock");
  auto c = admin().post("/api/v1/orders/" + id + "/status", R"({"status":"cancelled"})");
  ASSERT_EQ(c.status, 200) << c;
  EXPECT_EQ(admin().get("/api/v1/products/" + pid).num("available"), 3);
  place(order_body("KOPI-250", 1, "081234567891"));
}

TEST_F(ApiOrders, UnknownOrderIs404) {
  auto r = admin().get("/api/v1/orders/ord_doesnotexist");
  EXPECT_EQ(r.status, 404) << r;
  EXPECT_EQ(r.code(), "not_found");
}

TEST_F(ApiOrders, ListsNewestFirstWithFiltersAndCursors) {
  product("KOPI-250", 45000, 100);
  std::vector<std::string> ids;  // oldest first
  for (int i = 0; i < 7; ++i) {
    std::string phone = i % 2 ? "081200000001" : "081200000002";
    std::string channel = i < 5 ? "web" : "whatsapp";
    ids.push_back(
        place(order_body("KOPI-250", 1, phone, "ext-" + std::to_string(i), channel)).str("id"));
  }
  // Pages of 3, newest first, until next_cursor is null.
  std::vector<std::string> seen;
  std::string target = "/api/v1/orders?limit=3";
  for (int page = 0; page < 5; ++page) {
    auto r = admin().get(target);
    ASSERT_EQ(r.status, 200) << r;
    for (const auto& o : r.items()) {
      seen.emplace_back(o.as_object().at("id").as_string());
      EXPECT_FALSE(o.as_object().contains("timeline")) << "lists carry no timelines";
    }
    if (r.at("next_cursor").is_null()) break;
    target = "/api/v1/orders?limit=3&cursor=" + r.str("next_cursor");
  }
  std::vector<std::string> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);

  auto web = admin().get("/api/v1/orders?channel=whatsapp");
  EXPECT_EQ(web.items().size(), 2u) << web;
  auto pending = admin().get("/api/v1/orders?status=pending&limit=500");
  EXPECT_EQ(pending.items().size(), 7u);
  admin().post("/api/v1/orders/" + ids[0] + "/status", R"({"status":"processed"})");
  EXPECT_EQ(admin().get("/api/v1/orders?status=processed").items().size(), 1u);
  EXPECT_EQ(admin().get("/api/v1/orders?status=pending").items().size(), 6u);
  std::string cust = admin().get("/api/v1/orders/" + ids[1]).str("customer_id");
  auto by_customer = admin().get("/api/v1/orders?customer_id=" + cust);
  EXPECT_EQ(by_customer.items().size(), 3u) << by_customer;
  auto q = admin().get("/api/v1/orders?q=EXT-3");
  ASSERT_EQ(q.items().size(), 1u) << q;
  EXPECT_EQ(q.items()[0].as_object().at("id").as_string(), ids[3]);

  // Time bounds: from inclusive, to exclusive.
  auto created = admin().get("/api/v1/orders/" + ids[3]).str("created_at");
  auto from = admin().get("/api/v1/orders?limit=500&from=" + created);
  EXPECT_EQ(from.items().size(), 4u) << from;
  auto to = admin().get("/api/v1/orders?limit=500&to=" + created);
  EXPECT_EQ(to.items().size(), 3u) << to;
  EXPECT_EQ(admin().get("/api/v1/orders?from=2100-01-01T00:00:00Z").items().size(), 0u);
  EXPECT_EQ(admin().get("/api/v1/orders?to=2000-01-01T00:00:00%2B07:00").items().size(), 0u);
}

TEST_F(ApiOrders, ListParametersAreValidated) {
  struct row {
    std::string_view target, field;
  };
  const row rows[] = {
      {"/api/v1/orders?limit=0", "limit"},
      {"/api/v1/orders?limit=501", "limit"},
      {"/api/v1/orders?limit=ten", "limit"},
      {"/api/v1/orders?status=lost", "status"},
      {"/api/v1/orders?channel=fax", "channel"},
      {"/api/v1/orders?from=yesterday", "from"},
      {"/api/v1/orders?to=2026-13-01T00:00:00Z", "to"},
      {"/api/v1/orders?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"},
      {"/api/v1/orders?cursor=!!!", "cursor"},
      {"/api/v1/orders?min_position=abc", "min_position"},
  };
  for (const auto& r : rows) {
    auto a = admin().get(r.target);
    EXPECT_EQ(a.status, 400) << r.target << " → " << a;
    EXPECT_EQ(a.field(), r.field) << r.target;
  }
  EXPECT_EQ(admin().get("/api/v1/orders?limit=500").status, 200);
}

TEST_F(ApiOrders, CursorFromOtherFiltersIsRefused) {
  product("KOPI-250", 45000, 10);
  for (int i = 0; i < 3; ++i) place(order_body("KOPI-250", 1, "08120000000" + std::to_string(i)));
  auto page = admin().get("/api/v1/orders?limit=1&status=pending");
  ASSERT_FALSE(page.at("next_cursor").is_null()) << page;
  std::string cursor = page.str("next_cursor");
  EXPECT_EQ(admin().get("/api/v1/orders?limit=1&status=pending&cursor=" + cursor).status, 200);
  auto other = admin().get("/api/v1/orders?limit=1&cursor=" + cursor);
  EXPECT_EQ(other.status, 400) << other;
  EXPECT_EQ(other.field(), "cursor");
}

TEST_F(ApiOrders, MinPositionWaitsBoundedForTheReadModels) {
  product("KOPI-250", 45000, 10);
  auto r = place(order_body("KOPI-250", 1, "081234567890"));
  std::string id = r.str("id");
  int64_t pos = std::stoll(r.header("X-Roms-Position"));
  EXPECT_EQ(admin().get("/api/v1/orders/" + id + "?min_position=" + std::to_string(pos)).status,
            200);
  EXPECT_EQ(admin().get("/api/v1/orders?min_position=0").status, 200);
  EXPECT_EQ(admin().get("/api/v1/orders?min_position=1:0").status, 400)
      << "the embedded log has one partition";
  auto start = std::chrono::steady_clock::now();
  auto late = admin().get("/api/v1/orders/" + id + "?min_position=" + std::to_string(pos + 1000));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(late.status, 504) << late;
  EXPECT_EQ(late.code(), "timeout");
  EXPECT_GE(waited, std::chrono::milliseconds(1500));
}

TEST_F(ApiOrders, ConcurrentPostsAreEachReadableRightAway) {
  product("KOPI-250", 1000, 1000);
  std::atomic<int> created{0}, seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        auto r = admin().post("/api/v1/orders",
                              order_body("KOPI-250", 1, "0813000000" + std::to_string(t),
                                         "c-" + std::to_string(t) + "-" + std::to_string(i)));
        if (r.status != 201) continue;
        ++created;
        if (admin().get("/api/v1/orders/" + r.str("id")).status == 200) ++seen;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 120);
  EXPECT_EQ(seen.load(), 120);
  EXPECT_EQ(admin()
                .get("/api/v1/products?q=KOPI")
                .items()[0]
                .as_object()
                .at("available")
                .to_number<int64_t>(),
            880);
}

// CONTRACT.md/issue: 50 concurrent orders for the last 10 units ⇒ exactly 10 accepted, the rest
// 409 out_of_stock, stock ends at 0.
TEST_F(ApiOrders, FiftyConcurrentOrdersForTheLastTenUnits) {
  std::string pid = product("KOPI-250", 45000, 10);
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 50; ++t) {
    threads.emplace_back([&, t] {
      auto r = admin().post("/api/v1/orders",
                            order_body("KOPI-250", 1, "0813100000" + std::to_string(10 + t)));
      if (r.status == 201) {
        ++created;
      } else if (r.status == 409 && r.code() == "out_of_stock") {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 10);
  EXPECT_EQ(refused.load(), 40);
  EXPECT_EQ(other.load(), 0);
  auto p = admin().get("/api/v1/products/" + pid);
  EXPECT_EQ(p.num("available"), 0) << p;
  EXPECT_EQ(p.num("reserved"), 10) << p;
}

// Not applied within the executor's bounded wait (2 s): 202 with the position.
TEST_F(ApiOrders, AnswersAcceptedStillApplyingWhenTheReadModelsLag) {
  product("KOPI-250", 45000, 10);
  stack().runner().stop();  // the read models stop applying
  auto r = admin().post("/api/v1/orders", order_body("KOPI-250", 1, "081234567890"));
  EXPECT_EQ(r.status, 202) << r;
  EXPECT_EQ(r.str("status"), "applying");
  EXPECT_FALSE(r.str("position").empty());
  EXPECT_EQ(r.header("X-Roms-Position"), r.str("position"));
}

// GET /api/v1/stream (server-sent events): a client hears what is appended after it connected
// (once the read models show it), never what came before. The hub follows the log only while
// a client listens.
TEST_F(ApiOrders, StreamSendsWhatIsAppendedAfterTheClientConnected) {
  product("KOPI-250", 45000, 10);
  auto before = place(order_body("KOPI-250", 1, "081234567890", "web-before"));
  ASSERT_EQ(before.status, 201) << before;
  const std::string before_pos = before.header("X-Roms-Position");

  http_conn c(stack().port(), std::chrono::seconds(10));
  ASSERT_TRUE(c.send("GET /api/v1/stream HTTP/1.1\r\nHost: t\r\n" + std::string(kAdminKey) +
                     "\r\n"));
  auto head = c.read_reply_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Type"), "text/event-stream");
  auto hello = c.read_chunk();
  ASSERT_TRUE(hello);
  EXPECT_NE(hello->find(": connected"), std::string::npos) << *hello;

  // The hub opens its reader when the client arrives; give it a moment, then append.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto after = place(order_body("KOPI-250", 1, "081234567891", "web-after"));
  ASSERT_EQ(after.status, 201) << after;
  const std::string after_pos = after.header("X-Roms-Position");

  std::string got;
  while (got.find("id: " + after_pos + "\n") == std::string::npos) {
    auto chunk = c.read_chunk();
    ASSERT_TRUE(chunk) << "no event for position " << after_pos << " in: " << got;
    got += *chunk;
  }
  EXPECT_NE(got.find("event: order.placed"), std::string::npos) << got;
  EXPECT_EQ(got.find("id: " + before_pos + "\n"), std::string::npos)
      << "an event from before the client connected: " << got;
}

}  // namespace
}  // namespace roms::testing
