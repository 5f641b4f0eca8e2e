// Small helpers for read-model key layouts: fixed-width numbers sort as strings.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace roms::projections {

// 20-digit zero-padded decimal of a non-negative number ("00000000001732417380").
inline std::string fixed20(int64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(v < 0 ? 0 : v));
  return buf;
}

// The smallest key greater than every key starting with `prefix`.
inline std::string prefix_end(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto& c = s.back();
    if (static_cast<unsigned char>(c) != 0xff) {
      ++c;
      return s;
    }
    s.pop_back();
  }
  return std::string(1, '\xff');  // everything (the engine reserves '\xff…' keys)
}

template <class... P>
std::string key(const P&... parts) {
  std::string k;
  ((k.append(std::string_view(parts)), k.push_back('/')), ...);
  k.pop_back();
  return k;
}

}  // namespace roms::projections
