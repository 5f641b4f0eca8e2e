// Ids derived from an idempotency key, so that whoever emits "the same thing" twice (a rule
// re-running after a crash or a replay, the outbox recording a send again) produces the same
// id and the log stores it once (events/log.h: append deduplicates by event id).
//
//   envelope e;
//   e.id = derived_event_id("message.queued:thank_you:ord_01h…");   // UUIDv8 text
//   std::string msg = derived_id("msg", "thank_you:ord_01h…");       // "msg_3kq…" (26 chars)
//
// Both are SHA-256 of a namespaced key: different keys give different ids (collisions are as
// unlikely as SHA-256 collisions truncated to 122 / 130 bits), the same key always the same.
#pragma once

#include <string>
#include <string_view>

namespace roms::consumers {

// An RFC 9562 UUIDv8 ("8" version nibble, RFC variant) whose 122 free bits are the first bits
// of SHA-256("roms-event:" + key), as lowercase 8-4-4-4-12 hex text.
std::string derived_event_id(std::string_view key);

// "<prefix>_" + 26 Crockford base32 symbols (130 bits) of SHA-256("roms-id:" + key): the same
// shape as the executor's ids ("ord_…"), for resources a rule creates (messages, alerts).
std::string derived_id(std::string_view prefix, std::string_view key);

}  // namespace roms::consumers
