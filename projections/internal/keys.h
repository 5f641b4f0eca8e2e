// The engine's own key layout inside the projections RocksDB (projections/README.md, "Key
// layout"). Private to projections/.
//
//   column family "roms.meta"          key "active/<name>"    → decimal generation number
//                                       key "next_generation" → decimal counter
//   column family "p/<name>/<gen>"      the read model's own keys (anything below "\xff")
//                                       key "\xffroms.position" → encode_position()
//                                       key "\xffroms.version"  → decimal projection version
//
// A generation's bookkeeping lives in its own column family, so the read model's writes and
// the position they bring it to are always in the same column family of the same WriteBatch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roms::projections::internal {

inline constexpr std::string_view kMetaCf = "roms.meta";
inline constexpr std::string_view kActivePrefix = "active/";
inline constexpr std::string_view kNextGenerationKey = "next_generation";

// Every key >= kReservedBegin belongs to the engine; scans and digests stop there.
inline constexpr std::string_view kReservedBegin = "\xff";
inline constexpr std::string_view kPositionKey = "\xffroms.position";
inline constexpr std::string_view kVersionKey = "\xffroms.version";

inline bool is_reserved(std::string_view key) {
  return !key.empty() && static_cast<unsigned char>(key[0]) == 0xff;
}

// "p/orders/7"
std::string cf_name(std::string_view projection, uint64_t generation);
// Splits "p/orders/7" into ("orders", 7); nullopt for other names.
std::optional<std::pair<std::string, uint64_t>> parse_cf_name(std::string_view cf);

// Projection names: 1..64 of [a-z0-9_-].
bool valid_projection_name(std::string_view name);

// Positions as stored: u32 count, then one i64 per partition, little-endian.
std::string encode_position(const std::vector<int64_t>& next_offsets);
std::optional<std::vector<int64_t>> decode_position(std::string_view bytes);

std::optional<uint64_t> parse_u64(std::string_view s);

// "[0,42,7]" for messages and JSON files.
std::string position_to_string(const std::vector<int64_t>& p);

}  // namespace roms::projections::internal
