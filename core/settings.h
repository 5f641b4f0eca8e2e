// The shop's settings, as folded from settings.changed events. Defaults are the seed's:
// Big Spender > Rp 1.000.000 spent, Loyal > 3 orders, Inactive after 60 days without a
// purchase, New Member for 30 days, pending orders yellow after 2 h and red after 4 h.
#pragma once

#include <cstdint>
#include <string>

#include "events/types/system.h"

namespace roms {

struct shop_settings {
  std::string shop_name = "Toko Saya";
  std::string currency = "IDR";
  std::string time_zone = "Asia/Jakarta";
  int64_t big_spender_min_spend = 1'000'000;
  int64_t loyal_min_orders = 3;
  int64_t inactive_after_days = 60;
  int64_t new_member_days = 30;
  bool allow_backorders = false;
  int64_t pending_warn_minutes = 120;
  int64_t pending_critical_minutes = 240;
  bool alerts_stock = true;
  bool alerts_pending = true;
  bool automation_thank_you = true;
  bool automation_reminders = true;

  // Applies the fields present in `c`.
  void apply(const events::settings_changed& c);
  // The same values as a settings.changed with every field present.
  events::settings_changed to_event() const;
};

// UTC offset in seconds of an IANA zone among Indonesia's (Asia/Jakarta WIB +7,
// Asia/Pontianak +7, Asia/Makassar WITA +8, Asia/Jayapura WIT +9) and "UTC". Indonesia has
// no daylight saving time, so a fixed offset is exact. Returns false for other zones.
bool zone_offset_seconds(std::string_view zone, int32_t& offset);

// "YYYY-MM-DD" of instant `t` in a zone with a fixed UTC offset.
std::string local_date(int64_t unix_micros, int32_t offset_seconds);

}  // namespace roms
