#include "projections/internal/keys.h"

#include <charconv>
#include <cstring>

namespace roms::projections::internal {

std::string cf_name(std::string_view projection, uint64_t generation) {
  std::string s = "p/";
  s.append(projection);
  s.push_back('/');
  s.append(std::to_string(generation));
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::pair<std::string, uint64_t>> parse_cf_name(std::string_view cf) {
  if (!cf.starts_with("p/")) return std::nullopt;
  cf.remove_prefix(2);
  auto slash = cf.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto name = cf.substr(0, slash);
  auto gen = parse_u64(cf.substr(slash + 1));
  if (!gen || !valid_projection_name(name)) return std::nullopt;
  return std::make_pair(std::string(name), *gen);
}

bool valid_projection_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
}  // namespace

std::string encode_position(const std::vector<int64_t>& next_offsets) {
  std::string out;
  out.reserve(4 + 8 * next_offsets.size());
  uint32_t n = static_cast<uint32_t>(next_offsets.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  for (int64_t o : next_offsets) put_u64(out, static_cast<uint64_t>(o));
  return out;
}

std::optional<std::vector<int64_t>> decode_position(std::string_view bytes) {
  if (bytes.size() < 4) return std::nullopt;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (bytes.size() != 4 + 8 * static_cast<size_t>(n)) return std::nullopt;
  std::vector<int64_t> out(n);
  for (uint32_t i = 0; i < n; ++i) out[i] = static_cast<int64_t>(get_u64(bytes.data() + 4 + 8 * i));
  return out;
}

std::string position_to_string(const std::vector<int64_t>& p) {
  std::string s = "[";
  for (size_t i = 0; i < p.size(); ++i) {
    if (i) s.push_back(',');
    s.append(std::to_string(p[i]));
  }
  s.push_back(']');
  return s;
}

}  // namespace roms::projections::internal
