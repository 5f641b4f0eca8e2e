#include "core/settings.h"

#include <chrono>
#include <cstdio>

namespace roms {

void shop_settings::apply(const events::settings_changed& c) {
  if (c.shop_name) shop_name = *c.shop_name;
  if (c.currency) currency = *c.currency;
  if (c.time_zone) time_zone = *c.time_zone;
  if (c.big_spender_min_spend) big_spender_min_spend = *c.big_spender_min_spend;
  if (c.loyal_min_orders) loyal_min_orders = *c.loyal_min_orders;
  if (c.inactive_after_days) inactive_after_days = *c.inactive_after_days;
  if (c.new_member_days) new_member_days = *c.new_member_days;
  if (c.allow_backorders) allow_backorders = *c.allow_backorders;
  if (c.pending_warn_minutes) pending_warn_minutes = *c.pending_warn_minutes;
  if (c.pending_critical_minutes) pending_critical_minutes = *c.pending_critical_minutes;
  if (c.alerts_stock) alerts_stock = *c.alerts_stock;
  if (c.alerts_pending) alerts_pending = *c.alerts_pending;
  if (c.automation_thank_you) automation_thank_you = *c.automation_thank_you;
  if (c.automation_reminders) automation_reminders = *c.automation_reminders;
}

events::settings_changed shop_settings::to_event() const {
  events::settings_changed c;
  c.shop_name = shop_name;
  c.currency = currency;
  c.time_zone = time_zone;
  c.big_spender_min_spend = big_spender_min_spend;
  c.loyal_min_orders = loyal_min_orders;
  c.inactive_after_days = inactive_after_days;
  c.new_member_days = new_member_days;
  c.allow_backorders = allow_backorders;
  c.pending_warn_minutes = pending_warn_minutes;
  c.pending_critical_minutes = pending_critical_minutes;
  c.alerts_stock = alerts_stock;
  c.alerts_pending = alerts_pending;
  c.automation_thank_you = automation_thank_you;
  c.automation_reminders = automation_reminders;
  return c;
}

bool zone_offset_seconds(std::string_view zone, int32_t& offset) {
  if (zone == "Asia/Jakarta" || zone == "Asia/Pontianak") {
    offset = 7 * 3600;
  } else if (zone == "Asia/Makassar") {
    offset = 8 * 3600;
  } else if (zone == "Asia/Jayapura") {
    offset = 9 * 3600;
  } else if (zone == "UTC" || zone == "Etc/UTC") {
    offset = 0;
  } else {
    return false;
  }
  return true;
}

std::string local_date(int64_t unix_micros, int32_t offset_seconds) {
  using namespace std::chrono;
  int64_t secs = (unix_micros >= 0 ? unix_micros / 1'000'000 : (unix_micros - 999'999) / 1'000'000) +
                 offset_seconds;
  year_month_day ymd{floor<days>(sys_seconds{seconds{secs}})};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace roms
