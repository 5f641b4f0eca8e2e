#include "consumers/derived_id.h"

#include <openssl/sha.h>

#include <array>
#include <string>

namespace roms::consumers {
namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view ns, std::string_view key) {
  std::string in;
  in.reserve(ns.size() + key.size());
  in.append(ns).append(key);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out.data());
  return out;
}

}  // namespace

std::string derived_event_id(std::string_view key) {
  auto h = sha256("roms-event:", key);
  h[6] = static_cast<unsigned char>((h[6] & 0x0f) | 0x80);  // version 8
  h[8] = static_cast<unsigned char>((h[8] & 0x3f) | 0x80);  // RFC 9562 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[h[i] >> 4]);
    s.push_back(kHex[h[i] & 0x0f]);
  }
  return s;
}

std::string derived_id(std::string_view prefix, std::string_view key) {
  auto h = sha256("roms-id:", key);
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  std::string out(prefix);
  out.push_back('_');
  for (int sym = 0; sym < 26; ++sym) {
    int v = 0;
    for (int b = sym * 5; b < sym * 5 + 5; ++b) v = v << 1 | ((h[b / 8] >> (7 - b % 8)) & 1);
    out.push_back(kAlphabet[v]);
  }
  return out;
}

}  // namespace roms::consumers
