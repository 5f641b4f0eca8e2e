#include "events/payload.h"

#include <gtest/gtest.h>

#include "events/types.h"

namespace roms::events {
namespace {

TEST(PayloadCodec, OrderPlacedRoundTrips) {
  order_placed p;
  p.order_id = "ord_1";
  p.channel = "web";
  p.customer_id = "cus_1";
  p.customer.name = "Budi \"B\" Santoso";
  p.customer.phone = "+6281234567890";
  p.items.push_back({"prd_1", "KOPI-250", "Kopi Bubuk 250g", 2, 45000, false, false});
  p.items.push_back({"", "X-1", "Unknown", 1, 1000, true, false});
  p.total = 91000;
  p.payment = {"bank_transfer", "prepaid"};
  p.flags = {"unknown_sku"};
  std::string json = encode_payload(p);
  auto back = decode_payload<order_placed>(json);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back.value().customer.name, "Budi \"B\" Santoso");
  ASSERT_EQ(back.value().items.size(), 2u);
  EXPECT_EQ(back.value().items[0].price, 45000);
  EXPECT_TRUE(back.value().items[1].unknown_sku);
  EXPECT_EQ(back.value().flags, std::vector<std::string>{"unknown_sku"});
  EXPECT_EQ(encode_payload(back.value()), json);
}

TEST(PayloadCodec, AbsentOptionalsAreOmittedAndUnchanged) {
  product_updated u;
  u.product_id = "prd_1";
  u.price = 50000;
  std::string json = encode_payload(u);
  EXPECT_EQ(json, R"({"product_id":"prd_1","price":50000})");
  auto back = decode_payload<product_updated>(json);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back.value().name.has_value());
  EXPECT_EQ(back.value().price, 50000);
}

TEST(PayloadCodec, NullResetsOptionalAndUnknownKeysAreIgnored) {
  auto back = decode_payload<product_updated>(
      R"({"product_id":"p","name":null,"future_field":{"a":[1,2]},"min_stock":3})");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(back.value().name.has_value());
  EXPECT_EQ(back.value().min_stock, 3);
}

TEST(PayloadCodec, WrongTypeNamesTheField) {
  auto back = decode_payload<stock_adjusted>(R"({"product_id":"p","delta":"ten"})");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, roms::errc::invalid_argument);
  EXPECT_NE(back.error().message.find("delta"), std::string::npos) << back.error().message;
}

TEST(PayloadCodec, MalformedJsonIsRejected) {
  auto back = decode_payload<stock_adjusted>(R"({"product_id":)");
  ASSERT_FALSE(back);
  auto arr = decode_payload<stock_adjusted>(R"([1,2])");
  ASSERT_FALSE(arr);
}

struct small {
  int32_t n = 0;
  template <class V>
  void fields(V& v) { v("n", n); }
};

TEST(PayloadCodec, IntegerOutOfRangeForMemberIsRejected) {
  EXPECT_FALSE(decode_payload<small>(R"({"n":9999999999})"));
  EXPECT_TRUE(decode_payload<small>(R"({"n":-5})"));
}

struct holder {
  raw_json changes;
  template <class V>
  void fields(V& v) { v("changes", changes); }
};

TEST(PayloadCodec, RawJsonFieldKeepsTextVerbatim) {
  auto back = decode_payload<holder>(R"({"changes":{"a":[1, 2],"b":"x"} })");
  ASSERT_TRUE(back);
  EXPECT_EQ(back.value().changes.text, R"({"a":[1, 2],"b":"x"})");
}

struct check_round_trip {
  template <class T>
  void operator()() {
    T t{};
    auto json = encode_payload(t);
    auto back = decode_payload<T>(json);
    ASSERT_TRUE(back) << T::kType << ": " << back.error().message;
    EXPECT_EQ(encode_payload(back.value()), json) << T::kType;
  }
};

TEST(PayloadCodec, EveryEventTypeRoundTripsItsDefault) {
  for_each_event_type(check_round_trip{});
}

}  // namespace
}  // namespace roms::events
