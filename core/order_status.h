// The order lifecycle (CONTRACT.md): pending → processed → shipped → delivered, forward moves
// may skip steps, cancelled from any state before delivered, nothing moves backwards or out
// of cancelled/delivered.
#pragma once

#include <optional>
#include <string_view>

#include "core/result.h"

namespace roms {

enum class order_status : uint8_t { pending, processed, shipped, delivered, cancelled };

std::string_view to_string(order_status s);
std::optional<order_status> parse_order_status(std::string_view s);

enum class transition { allowed, same, refused };

// Whether `from` → `to` is allowed; `same` when to == from (answered 200, nothing appended).
transition check_transition(order_status from, order_status to);

// True once the goods have left the warehouse (shipped or delivered).
inline bool is_shipped_or_later(order_status s) {
  return s == order_status::shipped || s == order_status::delivered;
}

}  // namespace roms
