// The on-disk record of the embedded log (events/README.md, "Embedded log"):
//
//   header (16 bytes, little-endian)   u32 crc32c   CRC-32C of everything after this field:
//                                                   the rest of the header and the body
//                                      u32 length   body bytes
//                                      u64 offset   the event's log offset
//   body   u8 format (1), then         id, type     varint length + bytes
//                                      u32 version
//                                      stream       varint length + bytes
//                                      i64 time     microseconds since the epoch
//                                      actor, correlation_id, causation_id, payload
//                                                   varint length + bytes each
//
// A body is decoded field by field; the payload is copied as text and never parsed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/envelope.h"

namespace roms::events::internal {

inline constexpr size_t kRecordHeaderBytes = 16;
inline constexpr uint8_t kBodyFormat = 1;
// Smallest body: format byte, 8 one-byte varints, u32 version, i64 time.
inline constexpr uint32_t kMinBodyBytes = 1 + 8 + 4 + 8;
// Largest body the reader accepts; anything longer is garbage. Generous over the envelope
// limits so that raising them later does not make old logs unreadable.
inline constexpr uint32_t kMaxBodyBytes = 4 * kMaxPayloadBytes;

// Bytes the record for `e` takes (header included).
size_t record_size(const envelope& e) noexcept;

// Appends the record for `e` at `offset` to `out` (which may already hold other records).
void append_record(std::string& out, int64_t offset, const envelope& e);

enum class parse_status {
  ok,
  incomplete,  // fewer bytes than the header or its length announce (a torn tail at EOF)
  bad,         // length out of range or checksum mismatch
};

struct record_view {
  int64_t offset = 0;
  std::string_view body;
  size_t total = 0;  // header + body bytes
};

// Checks the record at the start of [data, data + n): length bounds and CRC.
parse_status parse_record(const char* data, size_t n, record_view& out) noexcept;

// Decodes a body whose CRC already matched. False if it is not a well-formed body (which,
// with a matching CRC, means a bug or a newer format: reported as corruption).
bool decode_body(std::string_view body, envelope& out);

// Only the id and the time, without copying (for the id index and time searches).
bool decode_id_time(std::string_view body, std::string_view& id, int64_t& time_us) noexcept;

}  // namespace roms::events::internal
