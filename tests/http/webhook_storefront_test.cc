// The pure storefront mapping (http/api/internal/storefront.h) on the real Shopify and
// WooCommerce payloads, its tables, and what decide() makes of a mapped order.
#include "http/api/internal/storefront.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/decide.h"
#include "core/errc.h"
#include "core/phone.h"
#include "tests/http/webhook_fixtures.h"

namespace roms::http::api::internal {
namespace {

namespace json = boost::json;
using testing::body_of;
using testing::shopify_order;
using testing::woocommerce_order;

storefront_order shopify(const json::object& o, shopify_topic t = shopify_topic::orders_create) {
  auto m = map_shopify_order(body_of(o), t);
  EXPECT_TRUE(m) << (m ? "" : m.error().message);
  return m ? m.value() : storefront_order{};
}

storefront_order woo(const json::object& o,
                     woocommerce_topic t = woocommerce_topic::order_created) {
  auto m = map_woocommerce_order(body_of(o), t);
  EXPECT_TRUE(m) << (m ? "" : m.error().message);
  return m ? m.value() : storefront_order{};
}

// ---- Shopify ----

TEST(ShopifyMapping, FixtureOrderBecomesAStorefrontPlaceOrder) {
  auto m = shopify(shopify_order());
  const auto& c = m.order;
  EXPECT_EQ(c.external_id, "450789469");
  EXPECT_EQ(c.channel, "shopify");
  EXPECT_TRUE(c.from_storefront);
  EXPECT_EQ(c.currency, "USD");
  ASSERT_TRUE(c.total);
  EXPECT_EQ(*c.total, 59894) << "total_price \"598.94\" in cents";
  ASSERT_EQ(c.items.size(), 3u);
  const char* skus[] = {"IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c.items[i].sku, skus[i]);
    EXPECT_EQ(c.items[i].qty, 1);
    ASSERT_TRUE(c.items[i].price);
    EXPECT_EQ(*c.items[i].price, 19900);
  }
  EXPECT_EQ(c.items[0].name, "IPod Nano - 8gb - green");
  EXPECT_EQ(c.customer.name, "Bob Norman");
  EXPECT_EQ(c.customer.phone, "+1(502)-459-2181") << "the billing address phone, as typed";
  EXPECT_EQ(c.customer.country, "US") << "with the billing address country";
  EXPECT_EQ(normalize_phone(c.customer.phone, c.customer.country).value, "+15024592181");
  EXPECT_EQ(c.customer.email, "bob.norman@mail.example.com");
  EXPECT_EQ(c.customer.city, "Louisville");
  EXPECT_EQ(c.customer.province, "Kentucky");
  EXPECT_EQ(c.payment_method, "other") << "Shopify's test gateway 'bogus'";
  EXPECT_EQ(c.payment_timing, "prepaid");
  EXPECT_EQ(c.note, "");
  EXPECT_EQ(m.status, "pending") << "partially refunded but unfulfilled: still to be packed";
  EXPECT_EQ(c.initial_status, "");
  EXPECT_TRUE(m.creation);
  EXPECT_EQ(m.tracking_number, "") << "the fixture's only fulfillment failed";
  EXPECT_EQ(m.delivery_key, "") << "Shopify deduplicates by X-Shopify-Webhook-Id";
}

TEST(ShopifyMapping, AcceptsTheRestWrapperToo) {
  auto m = map_shopify_order(testing::read_fixture("shopify/order-resource-get-2025-07.json"),
                             shopify_topic::orders_updated);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m.value().order.external_id, "450789469");
  EXPECT_FALSE(m.value().creation);
}

TEST(ShopifyMapping, CancelledFixtureIsCancelled) {
  auto m = shopify(shopify_order("order-resource-after-cancel-2025-07.json"),
                   shopify_topic::orders_updated);
  EXPECT_EQ(m.status, "cancelled");
  EXPECT_EQ(m.order.initial_status, "cancelled") << "an unknown order is created cancelled";
  EXPECT_EQ(m.storefront_status, "cancelled");
}

TEST(ShopifyMapping, TopicsSayWhatHappened) {
  EXPECT_EQ(shopify(shopify_order(), shopify_topic::orders_cancelled).status, "cancelled");
  EXPECT_EQ(shopify(shopify_order(), shopify_topic::orders_fulfilled).status, "shipped");
  EXPECT_EQ(shopify(shopify_order(), shopify_topic::orders_updated).status, "pending");
}

TEST(ShopifyMapping, SuccessfulFulfillmentGivesTrackingAndCarrierDeliveryGivesDelivered) {
  // The fixture with its fulfillment succeeded (the fixture's own status is "failure").
  auto o = shopify_order();
  o["fulfillment_status"] = "fulfilled";
  auto& f = o["fulfillments"].as_array()[0].as_object();
  f["status"] = "success";
  auto m = shopify(o, shopify_topic::orders_updated);
  EXPECT_EQ(m.status, "shipped");
  EXPECT_EQ(m.tracking_number, "1Z1234512345123456");
  EXPECT_EQ(m.courier, "USPS");
  f["shipment_status"] = "delivered";
  EXPECT_EQ(shopify(o, shopify_topic::orders_updated).status, "delivered");
  EXPECT_EQ(shopify(o, shopify_topic::orders_fulfilled).status, "delivered");
  // Only tracking_numbers (no tracking_number) still counts.
  f.erase("tracking_number");
  EXPECT_EQ(shopify(o).tracking_number, "1Z1234512345123456");
}

TEST(ShopifyMapping, StatusTable) {
  struct row {
    bool cancelled;
    std::string_view fulfillment;
    bool delivered;
    std::string_view want;
  };
  for (auto r :
       {row{false, "", false, "pending"}, row{false, "unfulfilled", false, "pending"},
        row{false, "restocked", false, "pending"}, row{false, "partial", false, "processed"},
        row{false, "fulfilled", false, "shipped"}, row{false, "fulfilled", true, "delivered"},
        row{true, "", false, "cancelled"}, row{true, "fulfilled", true, "cancelled"}})
    EXPECT_EQ(shopify_status(r.cancelled, r.fulfillment, r.delivered), r.want)
        << r.cancelled << " " << r.fulfillment << " " << r.delivered;
  EXPECT_EQ(shopify_topic_status(shopify_topic::orders_create, "pending"), "pending");
  EXPECT_EQ(shopify_topic_status(shopify_topic::orders_updated, "processed"), "processed");
  EXPECT_EQ(shopify_topic_status(shopify_topic::orders_cancelled, "shipped"), "cancelled");
  EXPECT_EQ(shopify_topic_status(shopify_topic::orders_fulfilled, "pending"), "shipped");
  EXPECT_EQ(shopify_topic_status(shopify_topic::orders_fulfilled, "delivered"), "delivered");
  EXPECT_EQ(parse_shopify_topic("orders/create"), shopify_topic::orders_create);
  EXPECT_EQ(parse_shopify_topic("orders/updated"), shopify_topic::orders_updated);
  EXPECT_EQ(parse_shopify_topic("orders/cancelled"), shopify_topic::orders_cancelled);
  EXPECT_EQ(parse_shopify_topic("orders/fulfilled"), shopify_topic::orders_fulfilled);
  EXPECT_EQ(parse_shopify_topic("orders/paid"), shopify_topic::other);
  EXPECT_EQ(parse_shopify_topic(""), shopify_topic::other);
}

TEST(ShopifyMapping, EachPhoneIsReadWithItsOwnAddressCountry) {
  auto o = shopify_order();
  o["billing_address"].as_object()["phone"] = nullptr;
  o["shipping_address"].as_object()["phone"] = "";
  auto m = shopify(o);
  EXPECT_EQ(m.order.customer.phone, "+16136120707") << "the customer record's phone";
  // The customer's default address: "555-625-1199" is a US number without +1.
  o["customer"].as_object()["phone"] = nullptr;
  m = shopify(o);
  EXPECT_EQ(m.order.customer.phone, "555-625-1199");
  EXPECT_EQ(normalize_phone(m.order.customer.phone, m.order.customer.country).value,
            "+15556251199");
  // With only the order's own phone (+55…, a Brazilian number), the plus decides.
  o["customer"].as_object()["default_address"].as_object()["phone"] = nullptr;
  m = shopify(o);
  EXPECT_EQ(m.order.customer.phone, "+557734881234");
  EXPECT_EQ(normalize_phone(m.order.customer.phone, m.order.customer.country).value,
            "+557734881234");
  // An Indonesian shipping address: 0812… takes +62.
  o["billing_address"] = nullptr;
  o["shipping_address"].as_object()["phone"] = "0812-3456-7890";
  o["shipping_address"].as_object()["country_code"] = "ID";
  m = shopify(o);
  EXPECT_EQ(m.order.customer.country, "ID");
  EXPECT_EQ(normalize_phone(m.order.customer.phone, m.order.customer.country).value,
            "+6281234567890");
}

TEST(ShopifyMapping, LineWithoutSkuKeepsAStableSyntheticSku) {
  auto o = shopify_order();
  o["line_items"].as_array()[0].as_object()["sku"] = nullptr;
  o["line_items"].as_array()[1].as_object()["sku"] = "";
  o["line_items"].as_array()[1].as_object()["variant_id"] = nullptr;
  auto m = shopify(o);
  EXPECT_EQ(m.order.items[0].sku, "shopify-variant-39072856");
  EXPECT_EQ(m.order.items[1].sku, "shopify-product-632910392");
  EXPECT_EQ(m.order.items[0].name, "IPod Nano - 8gb - green");
}

TEST(ShopifyMapping, IdrShopAmountsAreWholeRupiah) {
  auto o = shopify_order();
  o["currency"] = "IDR";
  o["total_price"] = "1250000.00";
  o["line_items"].as_array()[0].as_object()["price"] = "450000.00";
  auto m = shopify(o);
  EXPECT_EQ(*m.order.total, 1250000);
  EXPECT_EQ(*m.order.items[0].price, 450000);
}

TEST(ShopifyMapping, AnonymousOrderStillGetsACustomerName) {
  auto o = shopify_order();
  for (auto key :
       {"billing_address", "shipping_address", "customer", "phone", "email", "contact_email"})
    o[key] = nullptr;
  auto m = shopify(o);
  EXPECT_EQ(m.order.customer.name, "Shopify customer #1001");
  EXPECT_EQ(m.order.customer.country, "ID");
}

TEST(ShopifyMapping, RefusesWhatCannotBeAnOrder) {
  auto code = [](std::string_view body) {
    auto m = map_shopify_order(body, shopify_topic::orders_create);
    return m ? std::error_code() : m.error().code;
  };
  EXPECT_EQ(code("not json"), errc::malformed_json);
  EXPECT_EQ(code("[1,2]"), errc::malformed_json);
  EXPECT_EQ(code(R"({"currency":"USD"})"), errc::malformed_json) << "no id";
  EXPECT_EQ(code(R"({"id":1,"currency":"USD","line_items":[]})"), errc::invalid_argument);
  EXPECT_EQ(
      code(R"({"id":1,"currency":"dollars","line_items":[{"sku":"A","quantity":1,"price":"1"}]})"),
      errc::invalid_argument);
  EXPECT_EQ(
      code(R"({"id":1,"currency":"USD","line_items":[{"sku":"A","quantity":1,"price":"1,50"}]})"),
      errc::invalid_argument);
  EXPECT_EQ(
      code(R"({"id":1,"currency":"USD","line_items":[{"sku":"A","quantity":1,"price":"1.50"}]})"),
      std::error_code());
}

// ---- money ----

TEST(StorefrontMoney, MinorUnitsPerCurrency) {
  struct row {
    std::string_view amount, currency;
    std::optional<int64_t> want;
  };
  for (auto r : {row{"598.94", "USD", 59894},
                 row{"0.00", "USD", 0},
                 row{"12", "USD", 1200},
                 row{"12.5", "EUR", 1250},
                 row{"0.005", "USD", 1},
                 row{"0.004", "USD", 0},
                 row{"45000", "IDR", 45000},
                 row{"150000.00", "IDR", 150000},
                 row{"150000.50", "IDR", 150001},
                 row{"1200", "JPY", 1200},
                 row{"1.234", "KWD", 1234},
                 row{"1.5", "BHD", 1500},
                 row{".5", "USD", 50},
                 row{"7.", "USD", 700},
                 row{" 3.10 ", "usd", 310},
                 row{"", "USD", std::nullopt},
                 row{".", "USD", std::nullopt},
                 row{"-1.00", "USD", std::nullopt},
                 row{"1,50", "USD", std::nullopt},
                 row{"1e3", "USD", std::nullopt},
                 row{"1.2.3", "USD", std::nullopt},
                 row{"1234567890123456", "USD", std::nullopt}})
    EXPECT_EQ(decimal_to_minor_units(r.amount, r.currency), r.want)
        << r.amount << " " << r.currency;
  EXPECT_EQ(number_to_minor_units(3, "USD"), 300);
  EXPECT_EQ(number_to_minor_units(12.99, "USD"), 1299);
  EXPECT_EQ(number_to_minor_units(0.1 + 0.2, "USD"), 30);
  EXPECT_EQ(number_to_minor_units(45000, "IDR"), 45000);
  EXPECT_EQ(number_to_minor_units(-1, "USD"), std::nullopt);
  EXPECT_EQ(currency_exponent("IDR"), 0);
  EXPECT_EQ(currency_exponent("JPY"), 0);
  EXPECT_EQ(currency_exponent("USD"), 2);
  EXPECT_EQ(currency_exponent("SGD"), 2);
  EXPECT_EQ(currency_exponent("KWD"), 3);
}

// ---- WooCommerce ----

TEST(WooCommerceMapping, FixtureOrderBecomesAStorefrontPlaceOrder) {
  auto m = woo(woocommerce_order());
  const auto& c = m.order;
  EXPECT_EQ(c.external_id, "727");
  EXPECT_EQ(c.channel, "woocommerce");
  EXPECT_TRUE(c.from_storefront);
  EXPECT_EQ(c.currency, "USD");
  EXPECT_EQ(*c.total, 2935);
  ASSERT_EQ(c.items.size(), 2u);
  EXPECT_EQ(c.items[0].sku, "woocommerce-product-93") << "the fixture's first line has no SKU";
  EXPECT_EQ(c.items[0].name, "Woo Single #1");
  EXPECT_EQ(c.items[0].qty, 2);
  EXPECT_EQ(*c.items[0].price, 300);
  EXPECT_EQ(c.items[1].sku, "Bar3");
  EXPECT_EQ(c.items[1].name, "Ship Your Idea \u2013 Color: Black, Size: M Test")
      << "&ndash; decoded";
  EXPECT_EQ(*c.items[1].price, 1200);
  EXPECT_EQ(c.customer.name, "John Doe");
  EXPECT_EQ(c.customer.phone, "(555) 555-5555");
  EXPECT_EQ(c.customer.country, "US");
  EXPECT_EQ(normalize_phone(c.customer.phone, c.customer.country).value, "+15555555555");
  EXPECT_EQ(c.customer.city, "San Francisco");
  EXPECT_EQ(c.customer.province, "CA");
  EXPECT_EQ(c.customer.email, "john.doe@example.com");
  EXPECT_EQ(c.payment_method, "bank_transfer") << "bacs";
  EXPECT_EQ(c.payment_timing, "prepaid");
  EXPECT_EQ(m.status, "processed");
  EXPECT_EQ(c.initial_status, "processed");
  EXPECT_EQ(m.storefront_status, "processing");
  EXPECT_TRUE(m.creation);
  EXPECT_EQ(m.delivery_key, "woocommerce:727@2017-03-22T19:28:08#processing");
}

TEST(WooCommerceMapping, UpdateFixtureIsDeliveredWithItsOwnDeliveryKey) {
  auto m = woo(woocommerce_order("order-update-response-wp-api-v3-docs-example.json"),
               woocommerce_topic::order_updated);
  EXPECT_EQ(m.status, "delivered");
  EXPECT_FALSE(m.creation);
  EXPECT_EQ(m.delivery_key, "woocommerce:727@2017-03-22T19:30:35#completed");
}

TEST(WooCommerceMapping, StatusTable) {
  struct row {
    std::string_view wc, want;
  };
  for (auto r :
       {row{"pending", "pending"}, row{"on-hold", "pending"}, row{"processing", "processed"},
        row{"completed", "delivered"}, row{"cancelled", "cancelled"}, row{"failed", "cancelled"},
        row{"refunded", "cancelled"}, row{"wc-processing", "processed"}, row{"checkout-draft", ""},
        row{"shipped-custom", ""}, row{"", ""}})
    EXPECT_EQ(woocommerce_status(r.wc), r.want) << r.wc;
  EXPECT_EQ(parse_woocommerce_topic("order.created"), woocommerce_topic::order_created);
  EXPECT_EQ(parse_woocommerce_topic("order.updated"), woocommerce_topic::order_updated);
  EXPECT_EQ(parse_woocommerce_topic("order.deleted"), woocommerce_topic::other);
  EXPECT_EQ(parse_woocommerce_topic("product.updated"), woocommerce_topic::other);
}

TEST(WooCommerceMapping, IndonesianOrderGetsProvinceNameAndPlus62) {
  auto o = woocommerce_order();
  auto& b = o["billing"].as_object();
  b["country"] = "ID";
  b["state"] = "JB";
  b["city"] = "Bandung";
  b["phone"] = "0812-3456-7890";
  o["currency"] = "IDR";
  o["total"] = "150000.00";
  o["payment_method"] = "cod";
  o["payment_method_title"] = "Bayar di tempat";
  auto& li = o["line_items"].as_array()[0].as_object();
  li["price"] = 75000;
  auto m = woo(o);
  EXPECT_EQ(m.order.customer.province, "Jawa Barat");
  EXPECT_EQ(normalize_phone(m.order.customer.phone, m.order.customer.country).value,
            "+6281234567890");
  EXPECT_EQ(*m.order.total, 150000);
  EXPECT_EQ(*m.order.items[0].price, 75000);
  EXPECT_EQ(m.order.payment_method, "cod");
  EXPECT_EQ(m.order.payment_timing, "postpaid");
}

TEST(WooCommerceMapping, PriceFallsBackToLineTotalOverQuantity) {
  auto o = woocommerce_order();
  o["line_items"].as_array()[0].as_object().erase("price");
  EXPECT_EQ(*woo(o).order.items[0].price, 300) << "\"6.00\" for 2";
}

TEST(WooCommerceMapping, DraftsAndTrashAreNotOrders) {
  auto o = woocommerce_order();
  o["status"] = "checkout-draft";
  EXPECT_NE(woo(o).skip_reason, "");
  o["status"] = "trash";
  EXPECT_NE(woo(o).skip_reason, "");
  o["status"] = "on-hold";
  EXPECT_EQ(woo(o).skip_reason, "");
}

TEST(WooCommerceMapping, PingIsRecognised) {
  EXPECT_TRUE(is_woocommerce_ping("webhook_id=3"));
  EXPECT_TRUE(is_woocommerce_ping("webhook_id=12345\n"));
  EXPECT_FALSE(is_woocommerce_ping("webhook_id="));
  EXPECT_FALSE(is_woocommerce_ping("webhook_id=3&x=1"));
  EXPECT_FALSE(is_woocommerce_ping(R"({"webhook_id":3})"));
  EXPECT_FALSE(is_woocommerce_ping(""));
}

TEST(StorefrontPayment, GatewayNamesTable) {
  struct row {
    std::string_view gateway, want;
  };
  for (auto r : {row{"", ""},
                 row{"bogus", "other"},
                 row{"manual", "other"},
                 row{"Cash on Delivery (COD)", "cod"},
                 row{"cod", "cod"},
                 row{"bacs", "bank_transfer"},
                 row{"Bank Deposit", "bank_transfer"},
                 row{"Transfer Bank BCA", "bank_transfer"},
                 row{"BCA Virtual Account", "virtual_account"},
                 row{"shopify_payments", "card"},
                 row{"stripe", "card"},
                 row{"paypal", "ewallet"},
                 row{"QRIS", "qris"},
                 row{"GoPay", "gopay"},
                 row{"OVO", "ovo"},
                 row{"DANA", "dana"},
                 row{"Bank Danamon", "bank_transfer"},
                 row{"ShopeePay", "shopeepay"},
                 row{"cash", "cash"},
                 row{"codes", "other"}})
    EXPECT_EQ(payment_method_for(r.gateway), r.want) << r.gateway;
}

// ---- what decide() makes of a mapped order: accepted and flagged, never refused ----

struct shop_state final : decision_state {
  std::map<std::string, product_state, std::less<>> products;
  std::map<std::string, int64_t, std::less<>> stock;
  std::optional<product_state> product(std::string_view id) override {
    auto it = products.find(id);
    if (it == products.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> product_id_by_sku(std::string_view sku) override {
    for (auto& [id, p] : products)
      if (p.sku == sku) return id;
    return std::nullopt;
  }
  int64_t available(std::string_view pid, std::string_view) override {
    auto it = stock.find(pid);
    return it == stock.end() ? 0 : it->second;
  }
  bool warehouse_exists(std::string_view w) override { return w == "main"; }
  std::optional<std::string> customer_by_phone(std::string_view) override { return std::nullopt; }
  bool customer_exists(std::string_view) override { return false; }
  std::optional<order_state> order(std::string_view) override { return std::nullopt; }
  std::optional<std::string> order_by_external_id(std::string_view, std::string_view) override {
    return std::nullopt;
  }
  std::optional<idempotency_state> idempotency(std::string_view) override { return std::nullopt; }
  shop_settings settings() override { return {}; }  // IDR shop, no backorders for the API
};

TEST(StorefrontDecide, ShopifyFixtureIsAcceptedAndFlagged) {
  shop_state s;
  // IPOD2008RED is in the catalog with no stock; the other two SKUs are unknown.
  s.products["prd_red"] = {"prd_red", "IPOD2008RED", "iPod merah", 2'500'000, 0, true};
  int n = 0;
  decision_context ctx{from_micros(1'000'000), [&](std::string_view p) {
                         return std::string(p) + "_" + std::to_string(++n);
                       }};
  auto d = decide(s, ctx, shopify(shopify_order()).order);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d.value().events.size(), 2u);
  const auto& c = std::get<events::customer_registered>(d.value().events[0].payload);
  EXPECT_EQ(c.phone, "+15024592181");
  EXPECT_TRUE(c.phone_valid);
  const auto& o = std::get<events::order_placed>(d.value().events[1].payload);
  EXPECT_EQ(o.currency, "USD");
  EXPECT_EQ(o.total, 59894);
  auto has = [&](std::string_view f) {
    return std::find(o.flags.begin(), o.flags.end(), f) != o.flags.end();
  };
  EXPECT_TRUE(has("foreign_currency"));
  EXPECT_TRUE(has("unknown_sku"));
  EXPECT_TRUE(has("backorder"));
  EXPECT_FALSE(has("phone_invalid"));
  EXPECT_TRUE(o.items[0].unknown_sku);
  EXPECT_EQ(o.items[0].name, "IPod Nano - 8gb - green");
  EXPECT_EQ(o.items[0].price, 19900);
  EXPECT_FALSE(o.items[1].unknown_sku);
  EXPECT_TRUE(o.items[1].backorder);
  EXPECT_EQ(o.items[1].price, 19900) << "the storefront's price, in its currency";
}

TEST(StorefrontDecide, WooCommerceFixtureIsPlacedAndMovedToProcessed) {
  shop_state s;
  int n = 0;
  decision_context ctx{from_micros(1'000'000), [&](std::string_view p) {
                         return std::string(p) + "_" + std::to_string(++n);
                       }};
  auto d = decide(s, ctx, woo(woocommerce_order()).order);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d.value().events.size(), 3u);
  const auto& o = std::get<events::order_placed>(d.value().events[1].payload);
  EXPECT_EQ(o.total, 2935);
  EXPECT_EQ(o.customer.phone, "+15555555555");
  const auto& st = std::get<events::order_status_changed>(d.value().events[2].payload);
  EXPECT_EQ(st.to, "processed");
}

}  // namespace
}  // namespace roms::http::api::internal
