// The plain parts of http/server.h (no Boost here).
#include "http/internal/text.h"
#include "http/server.h"

namespace roms::http {

std::string_view request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (internal::iequals(k, name)) return v;
  return {};
}

bool request::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (internal::iequals(k, name)) return true;
  return false;
}

std::string_view request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return {};
}

bool request::has_query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return true;
  return false;
}

}  // namespace roms::http
