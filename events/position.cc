#include "events/position.h"

#include <charconv>
#include <limits>

namespace roms::events {

std::string to_string(log_position p, bool single_partition) {
  if (single_partition && p.partition == 0) return std::to_string(p.offset);
  std::string s = std::to_string(p.partition);
  s += ':';
  s += std::to_string(p.offset);
  return s;
}

namespace {

// Decimal digits only: no sign, no whitespace, no leading '+', nothing after; fails on
// overflow of T.
template <class T>
bool parse_non_negative(std::string_view s, T& out) {
  if (s.empty() || s.size() > std::numeric_limits<T>::digits10 + 1) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace

std::optional<log_position> parse_position(std::string_view s) {
  log_position p;
  auto colon = s.find(':');
  if (colon == std::string_view::npos) {
    if (!parse_non_negative(s, p.offset)) return std::nullopt;
    return p;
  }
  if (!parse_non_negative(s.substr(0, colon), p.partition) ||
      !parse_non_negative(s.substr(colon + 1), p.offset))
    return std::nullopt;
  return p;
}

}  // namespace roms::events
