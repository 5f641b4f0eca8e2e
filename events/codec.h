// JSON codec for envelopes, built on simdjson (on-demand API). This is the wire format of
// `roms log tail`, of the Kafka topic's message values, and of golden files:
//
//   {"position":"42","id":"0192…","type":"order.placed","version":1,"stream":"order-1",
//    "time":"2026-11-24T03:16:20.123456Z","actor":"cli","correlation_id":"",
//    "causation_id":"","payload":{…}}
//
// The payload is embedded verbatim (it is already a JSON object). Decoding rejects malformed
// JSON, missing or mistyped fields, payloads that are not objects and anything over the
// limits in envelope.h, with a message naming the field.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "events/envelope.h"

namespace roms::events {

// Input larger than this is refused before parsing. Default: payload limit + 64 KiB.
inline constexpr size_t kMaxEnvelopeBytes = kMaxPayloadBytes + (64 << 10);

// {"id":…,"type":…,…,"payload":{…}} without position.
std::string encode_envelope(const envelope& e);

// The `log tail` line: like encode_envelope with "position" first.
std::string encode_stored(const stored_event& e, bool single_partition);

// Decodes an envelope; "position" if present is ignored. "version" defaults to 1, "time" is
// RFC 3339, optional string fields default to "".
result_msg<envelope> decode_envelope(std::string_view json);

// Checks the limits and that the payload is a JSON object. The log calls this on append.
result_msg<void> validate_envelope(const envelope& e);

// True if `json` is one syntactically valid JSON object (nothing after it but whitespace).
bool is_json_object(std::string_view json);

}  // namespace roms::events
