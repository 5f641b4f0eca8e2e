// Schema evolution: old event versions are upcast on read; the log is never rewritten.
//
// An upcaster turns the payload of `type` at version N into the payload at N+1. Steps are
// registered explicitly (no static-initialiser magic, so no init-order surprises), usually
// from one function per aggregate called at start-up:
//
//   void register_order_upcasters(upcaster_registry& r) {
//     // order.placed v1 -> v2: "total" became "total_rupiah".
//     r.add("order.placed", 1, [](std::string_view p) {
//       return rename_field(p, "total", "total_rupiah");
//     });
//   }
//   register_order_upcasters(default_upcasters());
//   ...
//   BOOST_OUTCOME_TRY(auto current, upcast(std::move(decoded)));  // now at latest_version
//
// Rules (events/README.md, "Codec and golden files"):
//  - every step N -> N+1 is registered, from 1 to the latest version, without gaps;
//  - a step is pure (payload in, payload out; no clock, no I/O) and never fails on a payload
//    that was valid at version N; it may fail on garbage, and the reader reports that
//    event with its position instead of skipping it;
//  - each version bump gets a golden file tests/events/golden/<type>/v<N>.json.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "events/envelope.h"

namespace roms::events {

// Payload at version N -> payload at version N+1 (a JSON object in, a JSON object out).
using upcaster_fn = std::function<result_msg<std::string>(std::string_view payload)>;

// The set of upcasters, keyed by (type, from_version). Thread-safe: registration takes an
// exclusive lock, upcasting a shared one (registration normally ends before reading starts).
class upcaster_registry {
 public:
  // Registers the step from `from_version` (>= 1) to `from_version + 1` of `type`.
  // Registering the same step twice is a programming error: throws std::logic_error.
  void add(std::string type, uint32_t from_version, upcaster_fn fn);

  // The newest version of `type` this registry can produce: 1 + the highest registered
  // from_version, or 1 when `type` has no upcasters.
  uint32_t latest_version(std::string_view type) const;

  // Applies the steps from e.version up to latest_version(e.type), updating version and
  // payload. Passes through unchanged: types without upcasters, events already at (or, from a
  // newer writer, beyond) the latest version. Fails with errc::unsupported if a step in the
  // chain is missing, with the upcaster's own error (message prefixed with the type and
  // versions) if a step fails, and with errc::invalid_argument if a step returns something
  // other than a JSON object.
  result_msg<envelope> upcast(envelope e) const;

  // The types with at least one upcaster, sorted (golden tests check each has its files).
  std::vector<std::string> types() const;

  // Removes everything (tests).
  void clear();

 private:
  struct type_steps {
    std::map<uint32_t, upcaster_fn> steps;  // from_version -> step
  };
  mutable std::shared_mutex mu_;
  std::map<std::string, type_steps, std::less<>> types_;
};

// The process-wide registry (a function-local static: safe to use from any initialiser).
upcaster_registry& default_upcasters();

// Shorthands for the default registry.
void register_upcaster(std::string type, uint32_t from_version, upcaster_fn fn);
uint32_t latest_version(std::string_view type);
result_msg<envelope> upcast(envelope e);

// Helpers for writing upcasters. Each takes a payload that must be a JSON object, keeps the
// other members verbatim and in order, and fails with errc::invalid_argument otherwise.

// Renames member `from` to `to` (no-op when `from` is absent; fails if `to` already exists).
result_msg<std::string> rename_field(std::string_view payload, std::string_view from,
                                     std::string_view to);
// Sets member `key` to `json_value` (raw JSON text, e.g. "0", "\"idr\"", "[]"): replaces it
// in place when present, appends it otherwise.
result_msg<std::string> set_field(std::string_view payload, std::string_view key,
                                  std::string_view json_value);
// Removes member `key` (no-op when absent).
result_msg<std::string> remove_field(std::string_view payload, std::string_view key);

}  // namespace roms::events
