// A position in the log. The embedded log has one partition (0) and prints a position as its
// offset ("42"); Kafka has many and prints "PARTITION:OFFSET" ("3:42"). Offsets are dense and
// start at 0 within a partition.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roms::events {

struct log_position {
  int32_t partition = 0;
  int64_t offset = 0;

  friend auto operator<=>(const log_position&, const log_position&) = default;
};

// "42" for partition 0 when single_partition, otherwise "3:42".
std::string to_string(log_position p, bool single_partition);

// Parses "42" (partition 0) or "3:42".
std::optional<log_position> parse_position(std::string_view s);

}  // namespace roms::events
