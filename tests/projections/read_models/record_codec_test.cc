// The binary record format of the read models (projections/read_models/record_codec.h).
#include "projections/read_models/record_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "events/payload.h"
#include "projections/read_models/records.h"

namespace roms::projections {
namespace {

struct rec {
  std::optional<std::string> a;
  std::optional<int64_t> b;
  double d = 0;
  bool f = false;
  std::vector<std::optional<int32_t>> v;
  template <class V>
  void fields(V& x) { x("a", a); x("b", b); x("d", d); x("f", f); x("v", v); }
};
struct strings {
  std::vector<std::string> s;
  template <class V>
  void fields(V& x) { x("s", s); }
};
struct v1 {
  std::string a;
  int64_t n = 0;
  template <class V>
  void fields(V& x) { x("a", a); x("n", n); }
};
struct v2 {
  std::string a;
  int64_t n = 0;
  int64_t added = 77;
  template <class V>
  void fields(V& x) { x("a", a); x("n", n); x("added", added); }
};

order_record sample_order() {
  order_record o;
  o.id = "ord_00000042";
  o.external_id = "#1042";
  o.channel = "shopify";
  o.status = "shipped";
  o.customer_id = "cus_7";
  o.customer = {"Siti Rahayu", "+6281234567890", "siti@example.com", "Bandung", "Jawa Barat"};
  events::order_item a;
  a.product_id = "prd_1";
  a.sku = "KOPI-250";
  a.name = "Kopi Gayo 250 g \"premium\"";
  a.qty = 3;
  a.price = 85'000;
  events::order_item b;
  b.sku = "UNKNOWN";
  b.name = "Tas kain";
  b.qty = 1;
  b.price = -1;  // negative numbers survive zigzag
  b.backorder = true;
  o.items = {a, b};
  o.total = 254'999;
  o.currency = "IDR";
  o.payment = {"transfer", "prepaid"};
  o.note = "Tolong dibungkus rapi ya kak\n(ÿ ü 日本)";
  o.flags = {"backorder", "unknown_sku"};
  o.tracking_number = "JP0123456789";
  o.courier = "J&T";
  o.created_at = "2026-12-01T03:04:05Z";
  o.updated_at = "2026-12-02T03:04:05Z";
  o.created_us = 1'764'558'245'000'000;
  o.timeline.push_back({"0:12", "order.placed", "2026-12-01T03:04:05Z", "api", "pending", ""});
  o.timeline.push_back({"0:99", "order.status_changed", "2026-12-02T03:04:05Z", "user:u1",
                        "shipped", "kirim sore"});
  return o;
}

TEST(RecordCodec, RoundTripsEveryMemberKind) {
  order_record o = sample_order();
  std::string bytes = encode_record(o);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.front(), kRecordFormat);
  auto back = decode_record<order_record>(bytes);
  ASSERT_TRUE(back);
  // Same JSON rendering = every field equal (the JSON encoder covers every member).
  EXPECT_EQ(events::encode_payload(*back), events::encode_payload(o));
  EXPECT_EQ(back->items.at(1).price, -1);
  EXPECT_TRUE(back->items.at(1).backorder);
  EXPECT_EQ(back->timeline.at(1).note, "kirim sore");
}

TEST(RecordCodec, OptionalsDoublesAndBooleans) {
  rec r;
  r.b = INT64_MIN;
  r.d = -2.5e-7;
  r.f = true;
  r.v = {1, std::nullopt, -7};
  auto back = decode_record<rec>(encode_record(r));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->a);
  ASSERT_TRUE(back->b);
  EXPECT_EQ(*back->b, INT64_MIN);
  EXPECT_EQ(back->d, -2.5e-7);
  EXPECT_TRUE(back->f);
  ASSERT_EQ(back->v.size(), 3u);
  EXPECT_EQ(back->v[0], 1);
  EXPECT_FALSE(back->v[1]);
  EXPECT_EQ(back->v[2], -7);
}

TEST(RecordCodec, SmallerThanJson) {
  order_record o = sample_order();
  EXPECT_LT(encode_record(o).size() * 10, events::encode_payload(o).size() * 7)
      << encode_record(o).size() << " vs " << events::encode_payload(o).size();
}

TEST(RecordCodec, RejectsTruncatedAndForeignBytes) {
  std::string bytes = encode_record(sample_order());
  // Every strict prefix is refused.
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_record<order_record>(std::string_view(bytes).substr(0, n))) << n;
  EXPECT_FALSE(decode_record<order_record>(""));
  EXPECT_FALSE(decode_record<order_record>("xyz"));
  EXPECT_FALSE(decode_record<order_record>(bytes + "extra"));  // trailing bytes
  // A huge vector count cannot allocate beyond the input.
  std::string evil{kRecordFormat};
  evil += "\xff\xff\xff\xff\x0f";
  EXPECT_FALSE(decode_record<strings>(evil));
}

TEST(RecordCodec, ALayoutChangeDoesNotDecode) {
  // A struct with a field more (or less) than the stored one is refused, not misread: the
  // projection's version() is bumped and the read model rebuilt instead.
  EXPECT_FALSE(decode_record<v2>(encode_record(v1{"x", 5})));
  EXPECT_FALSE(decode_record<v1>(encode_record(v2{"x", 5, 9})));
  auto same = decode_record<v1>(encode_record(v1{"x", 5}));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->a, "x");
  EXPECT_EQ(same->n, 5);
}

TEST(RecordCodec, ReadsTheJsonOfEarlierStores) {
  order_record o = sample_order();
  auto back = decode_record<order_record>(events::encode_payload(o));
  ASSERT_TRUE(back);
  EXPECT_EQ(events::encode_payload(*back), events::encode_payload(o));
  EXPECT_FALSE(decode_record<order_record>("{\"total\":\"not a number\"}"));
}

}  // namespace
}  // namespace roms::projections
