#include "consumers/whatsapp/internal/util.h"

#include <openssl/evp.h>

namespace roms::consumers::whatsapp::internal {

bool is_e164(std::string_view s) {
  if (s.size() < 9 || s.size() > 16 || s[0] != '+' || s[1] == '0') return false;
  for (size_t i = 1; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

std::string e164_digits(std::string_view s) {
  return is_e164(s) ? std::string(s.substr(1)) : std::string();
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string in(text);
  while (in.size() % 4 != 0) in.push_back('=');
  if (in.empty()) return std::string();
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - std::min<size_t>(pad, static_cast<size_t>(n)));
  return out;
}

std::string excerpt(std::string_view s, size_t n) {
  std::string out;
  for (char c : s.substr(0, n)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  if (s.size() > n) out += "…";
  return out;
}

}  // namespace roms::consumers::whatsapp::internal
