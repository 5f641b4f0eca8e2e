// Given/when/then on the pure decisions, against an in-memory state.
#include "core/decide.h"

#include <gtest/gtest.h>

#include <map>

#include "core/errc.h"

namespace roms {
namespace {

struct fake_state final : decision_state {
  std::map<std::string, product_state, std::less<>> products;
  std::map<std::string, int64_t, std::less<>> stock;  // "<product>/<warehouse>" → available
  std::map<std::string, std::string, std::less<>> phones;
  std::map<std::string, order_state, std::less<>> orders;
  std::map<std::string, std::string, std::less<>> external;
  std::map<std::string, idempotency_state, std::less<>> idem;
  shop_settings shop;

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
  int64_t available(std::string_view pid, std::string_view wh) override {
    auto it = stock.find(std::string(pid) + "/" + std::string(wh));
    return it == stock.end() ? 0 : it->second;
  }
  bool warehouse_exists(std::string_view w) override { return w == "main" || w == "bdg"; }
  std::optional<std::string> customer_by_phone(std::string_view p) override {
    auto it = phones.find(p);
    if (it == phones.end()) return std::nullopt;
    return it->second;
  }
  bool customer_exists(std::string_view id) override {
    for (auto& [p, c] : phones)
      if (c == id) return true;
    return false;
  }
  std::optional<order_state> order(std::string_view id) override {
    auto it = orders.find(id);
    if (it == orders.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> order_by_external_id(std::string_view ch, std::string_view ext) override {
    auto it = external.find(std::string(ch) + "/" + std::string(ext));
    if (it == external.end()) return std::nullopt;
    return it->second;
  }
  std::optional<idempotency_state> idempotency(std::string_view k) override {
    auto it = idem.find(k);
    if (it == idem.end()) return std::nullopt;
    return it->second;
  }
  shop_settings settings() override { return shop; }
};

struct DecideTest : ::testing::Test {
  fake_state s;
  int next = 0;
  decision_context ctx{from_micros(1'000'000), [this](std::string_view p) {
                         return std::string(p) + "_" + std::to_string(++next);
                       }};
  void SetUp() override {
    s.products["prd_k"] = {"prd_k", "KOPI-250", "Kopi Bubuk 250g", 45000, 5, true};
    s.stock["prd_k/main"] = 10;
  }
  commands::place_order order(int64_t qty) {
    commands::place_order o;
    o.channel = "web";
    o.customer = {"Budi", "0812-3456-7890", "", "Bandung", "Jawa Barat", "ID"};
    o.items = {{"KOPI-250", "", qty, std::nullopt, ""}};
    o.payment_method = "bank_transfer";
    return o;
  }
};

template <class T>
const T& payload(const new_event& e) {
  return std::get<T>(e.payload);
}

TEST_F(DecideTest, PlacesAnOrderAndRegistersANewCustomer) {
  auto d = decide(s, ctx, order(2));
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d.value().events.size(), 2u);
  const auto& c = payload<events::customer_registered>(d.value().events[0]);
  EXPECT_EQ(c.phone, "+6281234567890");
  const auto& o = payload<events::order_placed>(d.value().events[1]);
  EXPECT_EQ(o.total, 90000);
  EXPECT_EQ(o.customer_id, c.customer_id);
  EXPECT_EQ(o.items[0].product_id, "prd_k");
  EXPECT_EQ(o.items[0].name, "Kopi Bubuk 250g");
  EXPECT_EQ(d.value().events[1].stream, o.order_id);
  EXPECT_TRUE(o.flags.empty());
}

TEST_F(DecideTest, KnownPhoneInAnyFormIsTheSameCustomer) {
  s.phones["+6281234567890"] = "cus_old";
  auto cmd = order(1);
  cmd.customer.phone = "+62 812 3456 7890";
  auto d = decide(s, ctx, cmd);
  ASSERT_TRUE(d);
  ASSERT_EQ(d.value().events.size(), 1u);
  EXPECT_EQ(payload<events::order_placed>(d.value().events[0]).customer_id, "cus_old");
}

TEST_F(DecideTest, RefusesMoreThanAvailableUnlessBackordersAreAllowed) {
  auto d = decide(s, ctx, order(11));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::out_of_stock);
  EXPECT_NE(d.error().message.find("10 available"), std::string::npos) << d.error().message;
  s.shop.allow_backorders = true;
  auto ok = decide(s, ctx, order(11));
  ASSERT_TRUE(ok);
  const auto& o = payload<events::order_placed>(ok.value().events.back());
  EXPECT_TRUE(o.items[0].backorder);
  EXPECT_EQ(o.flags, std::vector<std::string>{"backorder"});
}

TEST_F(DecideTest, StorefrontOrdersAreNeverRefusedButFlagged) {
  auto cmd = order(50);
  cmd.channel = "shopify";
  cmd.from_storefront = true;
  cmd.currency = "USD";
  cmd.customer.country = "US";
  cmd.customer.phone = "555-625-1199";
  cmd.items.push_back({"UNKNOWN-1", "", 1, 1999, "Mystery item"});
  cmd.total = 123456;
  auto d = decide(s, ctx, cmd);
  ASSERT_TRUE(d) << d.error().message;
  const auto& o = payload<events::order_placed>(d.value().events.back());
  EXPECT_EQ(o.total, 123456);
  EXPECT_EQ(o.currency, "USD");
  EXPECT_EQ(o.customer.phone, "+15556251199");
  EXPECT_EQ(o.flags, (std::vector<std::string>{"foreign_currency", "unknown_sku", "backorder"}));
  EXPECT_TRUE(o.items[1].unknown_sku);
  EXPECT_EQ(o.items[1].name, "Mystery item");
}

TEST_F(DecideTest, ApiOrdersWithUnknownSkuAreRefused) {
  auto cmd = order(1);
  cmd.items[0].sku = "NOPE";
  auto d = decide(s, ctx, cmd);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::unknown_sku);
  EXPECT_NE(d.error().message.find("items[0]"), std::string::npos);
}

TEST_F(DecideTest, RepeatsAnswerTheOriginal) {
  s.external["web/web-1001"] = "ord_first";
  auto cmd = order(1);
  cmd.external_id = "web-1001";
  auto d = decide(s, ctx, cmd);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d.value().existing);
  EXPECT_EQ(d.value().id, "ord_first");
  EXPECT_TRUE(d.value().events.empty());

  s.idem["key-1"] = {"ord_k", "hash-a"};
  cmd.external_id.clear();
  cmd.idempotency_key = "key-1";
  cmd.request_hash = "hash-a";
  d = decide(s, ctx, cmd);
  ASSERT_TRUE(d);
  EXPECT_EQ(d.value().id, "ord_k");
  cmd.request_hash = "hash-b";
  d = decide(s, ctx, cmd);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::idempotency_key_reused);
}

struct bad_case {
  const char* name;
  std::function<void(commands::place_order&)> mutate;
  const char* field;
};

TEST_F(DecideTest, InvalidOrdersNameTheField) {
  const bad_case cases[] = {
      {"no items", [](auto& o) { o.items.clear(); }, "items"},
      {"zero qty", [](auto& o) { o.items[0].qty = 0; }, "items[0].qty"},
      {"negative price", [](auto& o) { o.items[0].price = -1; }, "items[0].price"},
      {"bad channel", [](auto& o) { o.channel = "fax"; }, "channel"},
      {"no customer", [](auto& o) { o.customer = {}; }, "customer"},
      {"bad payment", [](auto& o) { o.payment_method = "beads"; }, "payment.method"},
      {"bad timing", [](auto& o) { o.payment_timing = "later"; }, "payment.timing"},
      {"bad warehouse", [](auto& o) { o.warehouse = "mars"; }, "warehouse"},
  };
  for (const auto& c : cases) {
    auto cmd = order(1);
    c.mutate(cmd);
    auto d = decide(s, ctx, cmd);
    ASSERT_FALSE(d) << c.name;
    EXPECT_EQ(d.error().code, errc::invalid_argument) << c.name;
    EXPECT_EQ(d.error().message.rfind(c.field, 0), 0u) << c.name << ": " << d.error().message;
  }
}

TEST_F(DecideTest, UnparseablePhoneIsKeptAndFlagged) {
  auto cmd = order(1);
  cmd.customer.phone = "ext. 12";
  auto d = decide(s, ctx, cmd);
  ASSERT_TRUE(d);
  const auto& c = payload<events::customer_registered>(d.value().events[0]);
  EXPECT_FALSE(c.phone_valid);
  EXPECT_EQ(c.phone, "ext. 12");
  EXPECT_EQ(payload<events::order_placed>(d.value().events[1]).flags,
            std::vector<std::string>{"phone_invalid"});
}

TEST_F(DecideTest, StatusTransitions) {
  s.orders["ord_1"] = {"ord_1", "shipped", "cus_1"};
  auto d = decide(s, ctx, commands::change_order_status{"ord_1", "processed", "", "", ""});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::invalid_transition);
  d = decide(s, ctx, commands::change_order_status{"ord_1", "shipped", "", "", ""});
  ASSERT_TRUE(d);
  EXPECT_TRUE(d.value().events.empty());
  d = decide(s, ctx, commands::change_order_status{"ord_1", "delivered", "ok", "", ""});
  ASSERT_TRUE(d);
  EXPECT_EQ(payload<events::order_status_changed>(d.value().events[0]).from, "shipped");
  d = decide(s, ctx, commands::change_order_status{"ord_9", "delivered", "", "", ""});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::not_found);
  d = decide(s, ctx, commands::change_order_status{"ord_1", "lost", "", "", ""});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::invalid_argument);
}

TEST_F(DecideTest, ProductsAndStock) {
  auto dup = decide(s, ctx, commands::define_product{"KOPI-250", "Kopi", "", "", "", 1, 1, 0, true});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::duplicate_sku);
  auto badsku = decide(s, ctx, commands::define_product{"KOPI 250", "Kopi", "", "", "", 1, 1, 0, true});
  ASSERT_FALSE(badsku);
  EXPECT_EQ(badsku.error().code, errc::invalid_argument);
  auto ok = decide(s, ctx, commands::define_product{"GULA-1", "Gula Aren", "", "", "", 20000, 12000, 3, true});
  ASSERT_TRUE(ok);
  EXPECT_EQ(payload<events::product_defined>(ok.value().events[0]).sku, "GULA-1");

  auto take = decide(s, ctx, commands::adjust_stock{"", "KOPI-250", "main", -11, "broken"});
  ASSERT_FALSE(take);
  EXPECT_EQ(take.error().code, errc::out_of_stock);
  auto add = decide(s, ctx, commands::adjust_stock{"", "KOPI-250", "main", 5, "received"});
  ASSERT_TRUE(add);
  auto tr = decide(s, ctx, commands::transfer_stock{"prd_k", "", "main", "bdg", 11});
  ASSERT_FALSE(tr);
  EXPECT_EQ(tr.error().code, errc::out_of_stock);
  tr = decide(s, ctx, commands::transfer_stock{"prd_k", "", "main", "bdg", 4});
  ASSERT_TRUE(tr);
  tr = decide(s, ctx, commands::transfer_stock{"prd_k", "", "main", "main", 4});
  ASSERT_FALSE(tr);
}

}  // namespace
}  // namespace roms
