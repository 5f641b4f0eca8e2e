// Time as data. A timestamp is microseconds since the Unix epoch, UTC. Nothing in core reads
// the wall clock: time arrives as a value (from an event, or from a clock passed in).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roms {

using timestamp = std::chrono::sys_time<std::chrono::microseconds>;

inline int64_t to_micros(timestamp t) { return t.time_since_epoch().count(); }
inline timestamp from_micros(int64_t us) { return timestamp{std::chrono::microseconds{us}}; }

// RFC 3339 in UTC with microseconds when non-zero: "2026-11-24T03:16:20.123456Z".
std::string format_rfc3339(timestamp t);

// Accepts RFC 3339 ("2026-11-24T03:16:20Z", fractional seconds, "+07:00" offsets).
std::optional<timestamp> parse_rfc3339(std::string_view s);

// A source of "now". The server uses system_clock(); tests and `serve --test-clock` use a
// manual clock. Only the edges of the system (HTTP, the scheduler, the log) read it.
class clock {
 public:
  virtual ~clock() = default;
  virtual timestamp now() const = 0;
};

const clock& system_clock();

}  // namespace roms
