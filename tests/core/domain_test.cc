#include <gtest/gtest.h>

#include "core/order_status.h"
#include "core/phone.h"
#include "core/segments.h"
#include "core/settings.h"

namespace roms {
namespace {

struct phone_case {
  const char* raw;
  const char* country;
  const char* want;
  bool valid;
};

TEST(NormalizePhone, IndonesianAndForeignForms) {
  const phone_case cases[] = {
      {"0812-3456-7890", "ID", "+6281234567890", true},
      {"62812 3456 7890", "ID", "+6281234567890", true},
      {"+62 812-3456-7890", "ID", "+6281234567890", true},
      {"812 3456 7890", "ID", "+6281234567890", true},
      {"(021) 555-1234", "ID", "+62215551234", true},
      {"0062 812 3456 7890", "ID", "+6281234567890", true},
      {"555-625-1199", "US", "+15556251199", true},
      {"+1 (555) 625-1199", "ID", "+15556251199", true},
      {"1-555-625-1199", "US", "+15556251199", true},
      {"12345", "ID", "12345", false},
      {"call me maybe", "ID", "call me maybe", false},
      {"", "ID", "", false},
      {"0812345678901234567", "ID", "0812345678901234567", false},
  };
  for (const auto& c : cases) {
    auto n = normalize_phone(c.raw, c.country);
    EXPECT_EQ(n.value, c.want) << c.raw;
    EXPECT_EQ(n.valid, c.valid) << c.raw;
  }
}

TEST(OrderStatus, TransitionsFollowTheContract) {
  using S = order_status;
  EXPECT_EQ(check_transition(S::pending, S::processed), transition::allowed);
  EXPECT_EQ(check_transition(S::pending, S::delivered), transition::allowed);  // skip steps
  EXPECT_EQ(check_transition(S::shipped, S::cancelled), transition::allowed);
  EXPECT_EQ(check_transition(S::shipped, S::processed), transition::refused);  // backwards
  EXPECT_EQ(check_transition(S::delivered, S::cancelled), transition::refused);
  EXPECT_EQ(check_transition(S::cancelled, S::pending), transition::refused);
  EXPECT_EQ(check_transition(S::processed, S::processed), transition::same);
  EXPECT_FALSE(parse_order_status("lost").has_value());
  EXPECT_EQ(to_string(*parse_order_status("shipped")), "shipped");
}

constexpr int64_t kDay = 86'400'000'000LL;

TEST(Segments, DefaultsFromTheSeed) {
  shop_settings s;
  int64_t now = 1000 * kDay;
  // new customer, one small order
  auto seg = segments_of({1, 50'000, now - 2 * kDay, now - 2 * kDay}, s, now);
  EXPECT_EQ(seg, std::vector<segment>{segment::new_member});
  // big spender exactly at the threshold is not one (strictly greater)
  seg = segments_of({1, 1'000'000, now - 90 * kDay, now - 10 * kDay}, s, now);
  EXPECT_EQ(seg, std::vector<segment>{segment::regular});
  seg = segments_of({4, 1'000'001, now - 90 * kDay, now - 61 * kDay}, s, now);
  EXPECT_EQ(seg, (std::vector<segment>{segment::big_spender, segment::loyal, segment::inactive}));
  // never ordered (chat only) is never inactive
  seg = segments_of({0, 0, now - 400 * kDay, 0}, s, now);
  EXPECT_EQ(seg, std::vector<segment>{segment::regular});
}

TEST(Segments, ThresholdsComeFromSettings) {
  shop_settings s;
  events::settings_changed c;
  c.loyal_min_orders = 1;
  c.inactive_after_days = 7;
  s.apply(c);
  int64_t now = 1000 * kDay;
  auto seg = segments_of({2, 10, now - 100 * kDay, now - 8 * kDay}, s, now);
  EXPECT_EQ(seg, (std::vector<segment>{segment::loyal, segment::inactive}));
}

TEST(Settings, LocalDateUsesTheShopZone) {
  int32_t off = 0;
  ASSERT_TRUE(zone_offset_seconds("Asia/Jakarta", off));
  EXPECT_EQ(off, 7 * 3600);
  // 2026-11-23T17:30:00Z is 2026-11-24 00:30 in Jakarta
  int64_t t = 1795455000LL * 1'000'000;
  EXPECT_EQ(local_date(t, 0), "2026-11-23");
  EXPECT_EQ(local_date(t, off), "2026-11-24");
  EXPECT_FALSE(zone_offset_seconds("Europe/Berlin", off));
}

}  // namespace
}  // namespace roms
