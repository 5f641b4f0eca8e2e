// The error codes of ROMS, one enum for the whole system (a small system; split per folder
// when one grows past a screen). Each value maps to a stable snake_case name used on the wire
// (CONTRACT.md error format) and to an HTTP status in http/.
#pragma once

#include <string_view>
#include <system_error>

namespace roms {

enum class errc {
  ok = 0,
  // input
  invalid_argument = 1,   // a field is missing or malformed
  malformed_json,         // not JSON, or not the expected shape
  too_large,              // input over a configured limit
  // state
  not_found,
  conflict,               // generic conflict (duplicate key, version mismatch)
  duplicate,              // the same id/key was already used (answer the original)
  invalid_transition,
  out_of_stock,
  // infrastructure
  io_error,
  corruption,             // a stored record failed its checksum or could not be decoded
  unavailable,            // a dependency (broker, gateway) cannot be reached
  timeout,
  closed,                 // the component was shut down
  unsupported,
  locked,                 // another process holds the data directory
  // domain (appended: values are stable)
  duplicate_sku,          // 409: a product with that SKU exists
  idempotency_key_reused, // 409: same Idempotency-Key, different body
  unknown_sku,            // 400: an API/manual order names a SKU the catalog lacks
  unauthorized,           // 401: missing or invalid credentials
  forbidden,              // 403: wrong role or scope, or missing CSRF token
  rate_limited,           // 429
};

const std::error_category& roms_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), roms_category()};
}

// The wire name of a code ("invalid_transition"); for foreign categories "internal".
std::string_view error_name(const std::error_code& ec) noexcept;

}  // namespace roms

template <>
struct std::is_error_code_enum<roms::errc> : std::true_type {};
