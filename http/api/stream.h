// GET /api/v1/stream — Server-Sent Events carrying changes the user may see, on every open
// device (MISSION.md M11). One hub per server tails the log; an event is pushed only after
// the read models have applied it, so a client that refetches on the event sees the change.
//
// Wire format, one SSE message per event:
//   event: order.placed
//   id: 42                       (the log position; "3:42" on Kafka)
//   data: {"type":"order.placed","stream":"ord_…","position":"42","time":"…"}
// plus ": keep-alive" comments every 15 s. Event types sent: order.*, product.*, stock.*,
// warehouse.*, customer.*, settings.*; CS users get the same (they may read all of these).
#pragma once

#include <memory>

#include "http/api/context.h"

namespace roms::http::api {

class stream_hub;

// Starts the hub (a thread tailing the log from its current end) and registers
// GET /api/v1/stream. The hub lives as long as the returned pointer.
std::shared_ptr<stream_hub> add_stream_routes(router& r, context& ctx);

// Stops the hub and ends every open stream (for graceful shutdown).
void stop_stream_hub(const std::shared_ptr<stream_hub>& hub);

}  // namespace roms::http::api
