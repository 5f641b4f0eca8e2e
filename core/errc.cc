#include "core/errc.h"

#include <string>

namespace roms {
namespace {

constexpr std::string_view kNames[] = {
    "ok",          "invalid_argument", "malformed_json",     "too_large",    "not_found",
    "conflict",    "duplicate",        "invalid_transition", "out_of_stock", "io_error",
    "corruption",  "unavailable",      "timeout",            "closed",       "unsupported",
    "locked",      "duplicate_sku",    "idempotency_key_reused", "unknown_sku",  "unauthorized",
    "forbidden",   "rate_limited",
};

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "roms"; }
  std::string message(int v) const override {
    if (v < 0 || static_cast<size_t>(v) >= std::size(kNames)) return "unknown roms error";
    return std::string(kNames[v]);
  }
};

}  // namespace

const std::error_category& roms_category() noexcept {
  static const category c;
  return c;
}

std::string_view error_name(const std::error_code& ec) noexcept {
  if (ec.category() != roms_category()) return "internal";
  int v = ec.value();
  if (v < 0 || static_cast<size_t>(v) >= std::size(kNames)) return "internal";
  return kNames[v];
}

}  // namespace roms
