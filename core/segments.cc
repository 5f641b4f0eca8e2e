#include "core/segments.h"

namespace roms {

std::string_view segment_name(segment s) {
  switch (s) {
    case segment::big_spender: return "big_spender";
    case segment::loyal: return "loyal";
    case segment::inactive: return "inactive";
    case segment::new_member: return "new_member";
    case segment::regular: return "regular";
  }
  return "regular";
}

std::vector<segment> segments_of(const customer_totals& c, const shop_settings& s,
                                 int64_t now_us) {
  constexpr int64_t kDay = 86'400'000'000LL;
  std::vector<segment> out;
  if (c.total_spent > s.big_spender_min_spend) out.push_back(segment::big_spender);
  if (c.order_count > s.loyal_min_orders) out.push_back(segment::loyal);
  if (c.last_order_us != 0 && now_us - c.last_order_us > s.inactive_after_days * kDay)
    out.push_back(segment::inactive);
  if (now_us - c.first_seen_us < s.new_member_days * kDay) out.push_back(segment::new_member);
  if (out.empty()) out.push_back(segment::regular);
  return out;
}

}  // namespace roms
