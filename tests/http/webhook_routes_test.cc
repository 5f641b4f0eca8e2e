// POST /webhooks/shopify and /webhooks/woocommerce against a real server on loopback, with a
// real embedded log, RocksDB read models, runner and executor in a temp dir, fed the real
// storefront payloads of tests/http/fixtures/ signed by the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "commands/executor.h"
#include "consumers/runner.h"
#include "core/metrics.h"
#include "events/embedded_log.h"
#include "http/api/context.h"
#include "http/router.h"
#include "http/server.h"
#include "projections/read_models.h"
#include "projections/read_models/catalog.h"
#include "projections/read_models/orders.h"
#include "projections/store.h"
#include "tests/http/http_client.h"
#include "tests/http/webhook_fixtures.h"
#include "tests/testing/temp_dir.h"

namespace roms::http {
namespace {

namespace json = boost::json;
using roms::testing::body_of;
using roms::testing::http_conn;
using roms::testing::http_reply;
using roms::testing::http_request;
using roms::testing::shopify_order;
using roms::testing::sign;
using roms::testing::woocommerce_order;

constexpr std::string_view kShopifySecret = "shpss_5f2d0c9e7b";
constexpr std::string_view kWooSecret = "wc_sk_84b1f0aa";

struct WebhookRoutesTest : ::testing::Test {
  roms::testing::temp_dir dir;
  std::unique_ptr<events::event_log> log;
  std::shared_ptr<projections::projection_store> store;
  std::unique_ptr<consumers::projection_runner> runner;
  std::unique_ptr<commands::executor> ex;
  metrics::registry reg;
  api::context ctx;
  std::unique_ptr<router> routes;
  std::unique_ptr<server> srv;
  int next_delivery = 0;

  void SetUp() override {
    auto l = events::open_embedded_log(dir.path());
    ASSERT_TRUE(l) << l.error().message;
    log = std::move(l).value();
    std::vector<std::shared_ptr<projections::projection>> ps;
    for (auto& p : projections::make_read_models()) ps.push_back(std::move(p));
    auto s = projections::projection_store::open(dir.path(), std::move(ps));
    ASSERT_TRUE(s) << s.error().message;
    store = std::move(s).value();
    runner = std::make_unique<consumers::projection_runner>(store, *log);
    ASSERT_TRUE(runner->start());
    ex = std::make_unique<commands::executor>(*log, store, *runner, system_clock());
    ex->start();
    ctx.executor = ex.get();
    ctx.store = store;
    ctx.runner = runner.get();
    ctx.log = log.get();
    ctx.clk = &system_clock();
    ctx.metrics = &reg;
    ctx.cfg.shopify_secret = std::string(kShopifySecret);
    ctx.cfg.woocommerce_secret = std::string(kWooSecret);
    restart_routes();
  }

  void TearDown() override {
    if (srv) srv->stop();
    ex->stop();
    runner->stop();
  }

  // A fresh router and server: the webhook routes' in-memory window starts empty, as after
  // a process restart (the log and read models stay).
  void restart_routes() {
    if (srv) srv->stop();
    srv.reset();
    routes = std::make_unique<router>();
    api::add_webhook_routes(*routes, ctx);
    server::options o;
    o.listen = "127.0.0.1:0";
    srv = std::make_unique<server>(o);
    ASSERT_TRUE(srv->start(routes->as_handler()));
  }

  int64_t log_end() {
    auto st = log->stats();
    EXPECT_TRUE(st);
    return st.value().end_offsets.at(0);
  }

  http_reply post(std::string_view path, std::string_view body, std::string_view headers) {
    http_conn c(srv->port());
    c.send(http_request("POST", path, body, headers));
    auto r = c.read_reply();
    EXPECT_TRUE(r) << "no answer";
    return r ? *r : http_reply{};
  }

  http_reply shopify(std::string_view topic, const std::string& body, std::string webhook_id = "",
                     std::optional<std::string> signature = std::nullopt) {
    if (webhook_id.empty())
      webhook_id = "b54557e4-bdd9-4b37-8a5f-" + std::to_string(++next_delivery);
    std::string h =
        "Content-Type: application/json\r\nX-Shopify-Topic: " + std::string(topic) +
        "\r\nX-Shopify-Shop-Domain: jsmith.myshopify.com\r\nX-Shopify-Webhook-Id: " + webhook_id +
        "\r\nX-Shopify-API-Version: 2025-07\r\n";
    std::string sig = signature ? *signature : sign(kShopifySecret, body);
    if (!sig.empty()) h += "X-Shopify-Hmac-Sha256: " + sig + "\r\n";
    return post("/webhooks/shopify", body, h);
  }

  http_reply woo(std::string_view topic, const std::string& body,
                 std::optional<std::string> signature = std::nullopt) {
    std::string h = "Content-Type: application/json\r\nX-WC-Webhook-Topic: " + std::string(topic) +
                    "\r\nX-WC-Webhook-Source: https://toko.example.id/\r\nX-WC-Webhook-ID: 3\r\n"
                    "X-WC-Webhook-Delivery-ID: d" +
                    std::to_string(++next_delivery) + "\r\n";
    std::string sig = signature ? *signature : sign(kWooSecret, body);
    if (!sig.empty()) h += "X-WC-Webhook-Signature: " + sig + "\r\n";
    return post("/webhooks/woocommerce", body, h);
  }

  std::optional<projections::order_record> order(std::string_view channel, std::string_view ext) {
    auto v = store->view("orders");
    EXPECT_TRUE(v);
    auto id = projections::orders_query::by_external_id(*v.value(), channel, ext);
    if (!id) return std::nullopt;
    return projections::orders_query::get(*v.value(), *id);
  }

  int64_t available(std::string_view sku) {
    auto v = store->view("catalog");
    EXPECT_TRUE(v);
    auto pid = projections::catalog_query::by_sku(*v.value(), sku);
    EXPECT_TRUE(pid);
    return pid ? projections::catalog_query::get(*v.value(), *pid)->available : -1;
  }

  std::string metrics_text() { return reg.render(); }
};

json::object answer(const http_reply& r) {
  auto v = json::parse(r.body);
  return v.as_object();
}
std::string str(const json::object& o, std::string_view k) {
  auto p = o.if_contains(k);
  return p && p->is_string() ? std::string(p->as_string()) : std::string();
}
std::string error_code(const http_reply& r) {
  return str(answer(r).at("error").as_object(), "code");
}
bool has_flag(const projections::order_record& o, std::string_view f) {
  return std::find(o.flags.begin(), o.flags.end(), f) != o.flags.end();
}

// ---- Shopify ----

TEST_F(WebhookRoutesTest, ShopifyCreateWithAGoodSignaturePlacesTheOrder) {
  auto r = shopify("orders/create", body_of(shopify_order()));
  ASSERT_EQ(r.status, 200) << r.body;
  auto a = answer(r);
  EXPECT_EQ(str(a, "status"), "accepted");
  EXPECT_EQ(a.at("changed").as_bool(), true);
  EXPECT_EQ(str(a, "order_status"), "pending");
  EXPECT_TRUE(r.has_header("X-Roms-Position"));
  auto o = order("shopify", "450789469");
  ASSERT_TRUE(o) << "readable as soon as the webhook is answered";
  EXPECT_EQ(o->id, str(a, "order_id"));
  EXPECT_EQ(o->channel, "shopify");
  EXPECT_EQ(o->status, "pending");
  EXPECT_EQ(o->currency, "USD");
  EXPECT_EQ(o->total, 59894);
  EXPECT_TRUE(has_flag(*o, "foreign_currency"));
  EXPECT_TRUE(has_flag(*o, "unknown_sku"));
  EXPECT_FALSE(has_flag(*o, "phone_invalid"));
  EXPECT_EQ(o->customer.phone, "+15024592181");
  EXPECT_EQ(o->customer.name, "Bob Norman");
  EXPECT_EQ(o->customer.city, "Louisville");
  ASSERT_EQ(o->items.size(), 3u);
  for (const auto& it : o->items) {
    EXPECT_TRUE(it.unknown_sku) << it.sku;
    EXPECT_EQ(it.price, 19900);
  }
  ASSERT_FALSE(o->timeline.empty());
  EXPECT_EQ(o->timeline.front().actor, "webhook:shopify");
  EXPECT_NE(metrics_text().find("outcome=\"accepted\""), std::string::npos);
}

TEST_F(WebhookRoutesTest, RepeatedShopifyDeliveryAppendsNothing) {
  const std::string body = body_of(shopify_order());
  auto first = shopify("orders/create", body, "wh-1");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string id = str(answer(first), "order_id");
  const int64_t end = log_end();
  EXPECT_EQ(end, 2) << "customer.registered + order.placed";

  // Shopify's retry of the same delivery: same X-Shopify-Webhook-Id.
  auto again = shopify("orders/create", body, "wh-1");
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(str(answer(again), "status"), "duplicate");
  EXPECT_EQ(str(answer(again), "order_id"), id);
  EXPECT_EQ(log_end(), end);

  // Another delivery of the same order state (new webhook id): external_id dedups.
  auto other = shopify("orders/create", body, "wh-2");
  ASSERT_EQ(other.status, 200);
  EXPECT_EQ(str(answer(other), "order_id"), id);
  EXPECT_FALSE(answer(other).at("changed").as_bool());
  auto update = shopify("orders/updated", body, "wh-3");
  ASSERT_EQ(update.status, 200);
  EXPECT_EQ(str(answer(update), "status"), "accepted");
  EXPECT_FALSE(answer(update).at("changed").as_bool()) << "pending again: same status";
  EXPECT_EQ(log_end(), end);

  // After a restart the window is empty; the domain still appends nothing.
  restart_routes();
  for (auto [topic, wh] :
       {std::pair{"orders/create", "wh-1"}, std::pair{"orders/updated", "wh-3"}}) {
    auto r = shopify(topic, body, wh);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(str(answer(r), "order_id"), id);
  }
  EXPECT_EQ(log_end(), end);
}

TEST_F(WebhookRoutesTest, BadOrMissingShopifySignatureIs401AndAppendsNothing) {
  const std::string body = body_of(shopify_order());
  struct attempt {
    std::string name, signature, body;
  };
  for (const auto& a :
       {attempt{"wrong secret", sign("not-the-secret", body), body}, attempt{"missing", "", body},
        attempt{"garbage", "definitely-not-base64!!", body},
        attempt{"hex instead of base64", std::string(64, 'a'), body},
        attempt{"body changed after signing", sign(kShopifySecret, body),
                body.substr(0, body.size() - 1) + " }"}}) {
    auto r = shopify("orders/create", a.body, "", a.signature);
    EXPECT_EQ(r.status, 401) << a.name;
    EXPECT_EQ(error_code(r), "invalid_signature") << a.name;
  }
  EXPECT_EQ(log_end(), 0);
  EXPECT_FALSE(order("shopify", "450789469"));
  EXPECT_NE(metrics_text().find("outcome=\"invalid_signature\""), std::string::npos);
}

TEST_F(WebhookRoutesTest, MissingSecretRefusesEveryDelivery) {
  ctx.cfg.shopify_secret.clear();
  ctx.cfg.woocommerce_secret.clear();
  const std::string body = body_of(shopify_order());
  // Even a body "signed" with the empty secret.
  for (auto sig : {sign("", body), std::string()}) {
    auto r = shopify("orders/create", body, "", sig);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(error_code(r), "webhook_secret_missing");
    EXPECT_NE(r.body.find("ROMS_SHOPIFY_SECRET"), std::string::npos) << r.body;
  }
  auto w =
      woo("order.created", body_of(woocommerce_order()), sign("", body_of(woocommerce_order())));
  EXPECT_EQ(w.status, 401);
  EXPECT_EQ(error_code(w), "webhook_secret_missing");
  EXPECT_NE(w.body.find("ROMS_WOOCOMMERCE_SECRET"), std::string::npos) << w.body;
  EXPECT_EQ(log_end(), 0);
}

TEST_F(WebhookRoutesTest, UnknownTopicIsIgnoredWith200AndCounted) {
  auto r = shopify("orders/paid", body_of(shopify_order()));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(str(answer(r), "status"), "ignored");
  EXPECT_EQ(log_end(), 0);
  EXPECT_NE(metrics_text().find("outcome=\"unknown_topic\""), std::string::npos);
  auto w = woo("order.deleted", R"({"id":727})");
  ASSERT_EQ(w.status, 200);
  EXPECT_EQ(str(answer(w), "status"), "ignored");
  EXPECT_EQ(log_end(), 0);
}

TEST_F(WebhookRoutesTest, SignedButUnusableBodyIs200IgnoredNotARetryLoop) {
  for (std::string body :
       {std::string("{not json"), std::string(R"({"id":1,"currency":"USD","line_items":[]})")}) {
    auto r = shopify("orders/create", body);
    ASSERT_EQ(r.status, 200) << body;
    EXPECT_EQ(str(answer(r), "status"), "ignored");
    EXPECT_NE(str(answer(r), "reason"), "");
  }
  EXPECT_EQ(log_end(), 0);
}

TEST_F(WebhookRoutesTest, ShopifyOrderFlowsToShippedAndDeliveredAndRefusesToMoveBack) {
  auto o = shopify_order();
  ASSERT_EQ(shopify("orders/create", body_of(o)).status, 200);

  // Fulfilled with a tracking number (the fixture's fulfillment, succeeded).
  o["fulfillment_status"] = "fulfilled";
  auto& f = o["fulfillments"].as_array()[0].as_object();
  f["status"] = "success";
  auto r = shopify("orders/fulfilled", body_of(o));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(answer(r), "order_status"), "shipped");
  EXPECT_TRUE(answer(r).at("changed").as_bool());
  auto rec = order("shopify", "450789469");
  EXPECT_EQ(rec->status, "shipped");
  EXPECT_EQ(rec->tracking_number, "1Z1234512345123456");
  EXPECT_EQ(rec->courier, "USPS");

  // The carrier reports delivery.
  f["shipment_status"] = "delivered";
  r = shopify("orders/updated", body_of(o));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(order("shopify", "450789469")->status, "delivered");
  const int64_t end = log_end();

  // A late orders/updated from before the fulfillment, and a cancellation after delivery:
  // 200 ignored, nothing appended (a 4xx would make Shopify retry for hours).
  r = shopify("orders/updated", body_of(shopify_order()));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(str(answer(r), "status"), "ignored");
  EXPECT_NE(str(answer(r), "reason").find("delivered"), std::string::npos) << r.body;
  r = shopify("orders/cancelled",
              body_of(shopify_order("order-resource-after-cancel-2025-07.json")));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(str(answer(r), "status"), "ignored");
  EXPECT_EQ(log_end(), end);
  EXPECT_EQ(order("shopify", "450789469")->status, "delivered");
  EXPECT_NE(metrics_text().find("outcome=\"invalid_transition\""), std::string::npos);
}

TEST_F(WebhookRoutesTest, ShopifyCancellationCancelsAndReleasesTheReservation) {
  // IPOD2008RED is in the catalog with 5 in stock: the order reserves one.
  ASSERT_TRUE(ex->execute(commands::define_product{"IPOD2008RED", "iPod Nano merah", "", "", "",
                                                   2'500'000, 2'000'000, 0, true},
                          {"test", ""}));
  ASSERT_TRUE(
      ex->execute(commands::adjust_stock{"", "IPOD2008RED", "main", 5, "received"}, {"test", ""}));
  ASSERT_EQ(shopify("orders/create", body_of(shopify_order())).status, 200);
  auto rec = order("shopify", "450789469");
  EXPECT_FALSE(has_flag(*rec, "backorder"));
  EXPECT_FALSE(rec->items[1].unknown_sku);
  EXPECT_EQ(available("IPOD2008RED"), 4);

  auto r = shopify("orders/cancelled",
                   body_of(shopify_order("order-resource-after-cancel-2025-07.json")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(answer(r), "order_status"), "cancelled");
  EXPECT_EQ(order("shopify", "450789469")->status, "cancelled");
  EXPECT_EQ(available("IPOD2008RED"), 5);
}

TEST_F(WebhookRoutesTest, KnownSkuBeyondStockIsABackorderNotARefusal) {
  ASSERT_TRUE(ex->execute(commands::define_product{"IPOD2008RED", "iPod Nano merah", "", "", "",
                                                   2'500'000, 2'000'000, 0, true},
                          {"test", ""}));
  auto r = shopify("orders/create", body_of(shopify_order()));
  ASSERT_EQ(r.status, 200) << r.body;
  auto rec = order("shopify", "450789469");
  EXPECT_TRUE(has_flag(*rec, "backorder"));
  EXPECT_TRUE(rec->items[1].backorder);
  EXPECT_EQ(rec->items[1].price, 19900) << "the storefront's price, not the catalog's";
}

TEST_F(WebhookRoutesTest, UpdateForAnUnknownOrderCreatesItInItsStatus) {
  auto cancelled = shopify_order("order-resource-after-cancel-2025-07.json");
  cancelled["id"] = 450789470;
  auto r = shopify("orders/updated", body_of(cancelled));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(order("shopify", "450789470")->status, "cancelled");

  // A fulfilled one with tracking: placed, then shipped with its tracking number.
  auto fulfilled = shopify_order();
  fulfilled["id"] = 450789471;
  fulfilled["fulfillment_status"] = "fulfilled";
  fulfilled["fulfillments"].as_array()[0].as_object()["status"] = "success";
  r = shopify("orders/fulfilled", body_of(fulfilled));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(answer(r).at("changed").as_bool());
  auto rec = order("shopify", "450789471");
  EXPECT_EQ(rec->status, "shipped");
  EXPECT_EQ(rec->tracking_number, "1Z1234512345123456");

  // The orders/create that arrives afterwards changes nothing.
  const int64_t end = log_end();
  for (const auto* o : {&cancelled, &fulfilled}) {
    r = shopify("orders/create", body_of(*o));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(str(answer(r), "status"), "accepted");
    EXPECT_FALSE(answer(r).at("changed").as_bool());
  }
  EXPECT_EQ(log_end(), end);
}

TEST_F(WebhookRoutesTest, ConcurrentDeliveriesForOneOrderMakeOneOrder) {
  const std::string create = body_of(shopify_order());
  const std::string cancel = body_of(shopify_order("order-resource-after-cancel-2025-07.json"));
  std::vector<std::thread> ts;
  std::mutex mu;
  std::set<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    ts.emplace_back([&, i] {
      auto r = i % 2 ? shopify("orders/updated", cancel, "c-" + std::to_string(i))
                     : shopify("orders/create", create, "c-" + std::to_string(i));
      ASSERT_EQ(r.status, 200) << r.body;
      std::lock_guard lk(mu);
      ids.insert(str(answer(r), "order_id"));
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(order("shopify", "450789469")->status, "cancelled");
  EXPECT_EQ(log_end(), 3) << "customer.registered, order.placed, order.status_changed";
}

TEST_F(WebhookRoutesTest, ReadOnlyServerTakesNoOrders) {
  ctx.cfg.read_only = true;
  auto r = shopify("orders/create", body_of(shopify_order()));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_code(r), "read_only");
  EXPECT_EQ(log_end(), 0);
}

// ---- WooCommerce ----

TEST_F(WebhookRoutesTest, WooCommercePingIs200AndAppendsNothing) {
  for (bool with_secret : {true, false}) {
    if (!with_secret) ctx.cfg.woocommerce_secret.clear();
    auto r = post("/webhooks/woocommerce", "webhook_id=3",
                  "Content-Type: application/x-www-form-urlencoded\r\n"
                  "User-Agent: WooCommerce/3.9.1 Hookshot (WordPress/5.3.2)\r\n");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(str(answer(r), "status"), "ok");
  }
  EXPECT_EQ(log_end(), 0);
  EXPECT_NE(metrics_text().find("outcome=\"ping\""), std::string::npos);
}

TEST_F(WebhookRoutesTest, WooCommerceOrderIsCreatedDeduplicatedAndCompleted) {
  const std::string created = body_of(woocommerce_order());
  auto r = woo("order.created", created);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(answer(r), "order_status"), "processed");
  auto rec = order("woocommerce", "727");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->status, "processed");
  EXPECT_EQ(rec->currency, "USD");
  EXPECT_EQ(rec->total, 2935);
  EXPECT_EQ(rec->customer.phone, "+15555555555");
  EXPECT_EQ(rec->customer.city, "San Francisco");
  EXPECT_EQ(rec->customer.province, "CA");
  EXPECT_TRUE(has_flag(*rec, "foreign_currency"));
  EXPECT_TRUE(has_flag(*rec, "unknown_sku"));
  ASSERT_EQ(rec->items.size(), 2u);
  EXPECT_EQ(rec->items[0].sku, "woocommerce-product-93");
  EXPECT_EQ(rec->items[0].qty, 2);
  EXPECT_EQ(rec->items[1].sku, "Bar3");
  EXPECT_EQ(rec->payment.method, "bank_transfer");
  const int64_t end = log_end();
  EXPECT_EQ(end, 3) << "customer.registered, order.placed, order.status_changed";

  // WooCommerce redelivers (same id + date_modified): nothing appended.
  r = woo("order.created", created);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(str(answer(r), "status"), "duplicate");
  EXPECT_EQ(log_end(), end);

  // Completed.
  r = woo("order.updated",
          body_of(woocommerce_order("order-update-response-wp-api-v3-docs-example.json")));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(answer(r), "order_status"), "delivered");
  EXPECT_EQ(order("woocommerce", "727")->status, "delivered");

  // A late update that would move it back: 200 ignored, nothing appended.
  auto late = woocommerce_order();
  late["date_modified_gmt"] = "2017-03-22T19:31:00";
  const int64_t after = log_end();
  r = woo("order.updated", body_of(late));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(str(answer(r), "status"), "ignored");
  EXPECT_EQ(log_end(), after);
  EXPECT_EQ(order("woocommerce", "727")->status, "delivered");
}

TEST_F(WebhookRoutesTest, WooCommerceBadSignatureIs401AndAppendsNothing) {
  const std::string body = body_of(woocommerce_order());
  for (auto sig : {sign("wrong", body), std::string(),
                   std::string("5poyFy4qB6fdvvT5pGbefZmfkpL48uD47F0WYwfmpo4=")}) {
    auto r = woo("order.created", body, sig);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(error_code(r), "invalid_signature");
  }
  EXPECT_EQ(log_end(), 0);
}

TEST_F(WebhookRoutesTest, WooCommerceStatusesMapOnCreation) {
  struct row {
    int id;
    std::string_view wc, want;
  };
  for (auto [id, wc, want] :
       {row{801, "pending", "pending"}, row{802, "on-hold", "pending"},
        row{803, "processing", "processed"}, row{804, "completed", "delivered"},
        row{805, "cancelled", "cancelled"}, row{806, "failed", "cancelled"},
        row{807, "refunded", "cancelled"}}) {
    auto o = woocommerce_order();
    o["id"] = id;
    o["status"] = wc;
    auto r = woo("order.created", body_of(o));
    ASSERT_EQ(r.status, 200) << r.body;
    auto rec = order("woocommerce", std::to_string(id));
    ASSERT_TRUE(rec) << wc;
    EXPECT_EQ(rec->status, want) << wc;
  }
  // A draft is not an order; a custom status creates the order pending and otherwise waits.
  auto draft = woocommerce_order();
  draft["id"] = 810;
  draft["status"] = "checkout-draft";
  auto r = woo("order.created", body_of(draft));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(str(answer(r), "status"), "ignored");
  EXPECT_FALSE(order("woocommerce", "810"));
  auto custom = woocommerce_order();
  custom["id"] = 811;
  custom["status"] = "awaiting-shipment";
  ASSERT_EQ(woo("order.created", body_of(custom)).status, 200);
  EXPECT_EQ(order("woocommerce", "811")->status, "pending");
  custom["date_modified_gmt"] = "2017-03-23T10:00:00";
  r = woo("order.updated", body_of(custom));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(str(answer(r), "status"), "ignored");
}

}  // namespace
}  // namespace roms::http
