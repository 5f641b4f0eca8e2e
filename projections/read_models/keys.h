// Small helpers for read-model key layouts: fixed-width numbers sort as strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace roms::projections {

// 20-digit zero-padded decimal of a non-negative number ("00000000001732417380").
inline std::string fixed20(int64_t v) {
  std::string out(20, '0');
  auto u = static_cast<uint64_t>(v < 0 ? 0 : v);
  for (size_t i = 20; u != 0 && i > 0; u /= 10) out[--i] = static_cast<char>('0' + u % 10);
  return out;
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
  k.reserve((std::string_view(parts).size() + ...) + sizeof...(parts));  // one allocation
  ((k.append(std::string_view(parts)), k.push_back('/')), ...);
  k.pop_back();
  return k;
}

}  // namespace roms::projections
