// Small text helpers shared by the http TUs (no Boost): ASCII case-insensitive compare,
// JSON string escaping, percent-decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace roms::http::internal {

bool iequals(std::string_view a, std::string_view b) noexcept;

// Appends `s` to `out` as a quoted JSON string (RFC 8259). Control characters are escaped;
// invalid UTF-8 is replaced by U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);
inline std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Decodes %XX escapes ('+' stays '+' unless plus_is_space). nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

}  // namespace roms::http::internal
