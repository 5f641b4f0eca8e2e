// Customer segments (MISSION.md M3), a pure function of a customer's totals, the settings and
// "now" (the time of the event being folded; never the wall clock).
//   Big Spender: total spent > big_spender_min_spend (default Rp 1.000.000)
//   Loyal:       order count > loyal_min_orders (default 3)
//   Inactive:    has ordered, and no purchase for > inactive_after_days (default 60)
//   New Member:  first seen < new_member_days ago (default 30)
//   Regular:     none of the above
// Cancelled orders count for nothing (the caller passes totals without them).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/settings.h"

namespace roms {

enum class segment : uint8_t { big_spender, loyal, inactive, new_member, regular };

std::string_view segment_name(segment s);

struct customer_totals {
  int64_t order_count = 0;
  int64_t total_spent = 0;
  int64_t first_seen_us = 0;     // registration time
  int64_t last_order_us = 0;     // 0 = never ordered
};

// In the order of the enum (the first is the primary segment); never empty.
std::vector<segment> segments_of(const customer_totals& c, const shop_settings& s, int64_t now_us);

}  // namespace roms
