#include "core/order_status.h"

namespace roms {

std::string_view to_string(order_status s) {
  switch (s) {
    case order_status::pending: return "pending";
    case order_status::processed: return "processed";
    case order_status::shipped: return "shipped";
    case order_status::delivered: return "delivered";
    case order_status::cancelled: return "cancelled";
  }
  return "pending";
}

std::optional<order_status> parse_order_status(std::string_view s) {
  if (s == "pending") return order_status::pending;
  if (s == "processed") return order_status::processed;
  if (s == "shipped") return order_status::shipped;
  if (s == "delivered") return order_status::delivered;
  if (s == "cancelled") return order_status::cancelled;
  return std::nullopt;
}

transition check_transition(order_status from, order_status to) {
  if (from == to) return transition::same;
  if (from == order_status::cancelled || from == order_status::delivered) return transition::refused;
  if (to == order_status::cancelled) return transition::allowed;
  return static_cast<int>(to) > static_cast<int>(from) ? transition::allowed : transition::refused;
}

}  // namespace roms
