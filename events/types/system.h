// Settings and clock events. Streams: "settings" and "clock".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roms::events {

// settings.changed v1: the fields present changed; absent fields unchanged. Defaults live in
// core/settings.h.
struct settings_changed {
  static constexpr std::string_view kType = "settings.changed";
  static constexpr uint32_t kVersion = 1;
  std::optional<std::string> shop_name, currency, time_zone;
  std::optional<int64_t> big_spender_min_spend;  // segment Big Spender: total spent > this
  std::optional<int64_t> loyal_min_orders;       // segment Loyal: order count > this
  std::optional<int64_t> inactive_after_days;    // segment Inactive: no purchase for > this
  std::optional<int64_t> new_member_days;        // segment New Member: joined < this days ago
  std::optional<bool> allow_backorders;
  std::optional<int64_t> pending_warn_minutes, pending_critical_minutes;
  std::optional<bool> alerts_stock, alerts_pending, automation_thank_you, automation_reminders;
  template <class V>
  void fields(V& v) {
    v("shop_name", shop_name); v("currency", currency); v("time_zone", time_zone);
    v("big_spender_min_spend", big_spender_min_spend); v("loyal_min_orders", loyal_min_orders);
    v("inactive_after_days", inactive_after_days); v("new_member_days", new_member_days);
    v("allow_backorders", allow_backorders); v("pending_warn_minutes", pending_warn_minutes);
    v("pending_critical_minutes", pending_critical_minutes); v("alerts_stock", alerts_stock);
    v("alerts_pending", alerts_pending); v("automation_thank_you", automation_thank_you);
    v("automation_reminders", automation_reminders);
  }
};

// clock.ticked v1: time passes through the log. The scheduler appends one per minute; the
// event's envelope time is "now" for every time-based fold (segments, pending alerts,
// reminders). Payload is empty.
struct clock_ticked {
  static constexpr std::string_view kType = "clock.ticked";
  static constexpr uint32_t kVersion = 1;
  template <class V>
  void fields(V&) {}
};

}  // namespace roms::events
