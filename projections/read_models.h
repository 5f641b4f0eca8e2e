// The read models ROMS serves, in one list: the engine runs them, `roms projections` names
// them, the HTTP layer queries them through their *_query namespaces.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "events/envelope.h"
#include "projections/payload_memo.h"
#include "projections/projection.h"
#include "projections/read_models/auth.h"
#include "projections/read_models/automation.h"
#include "projections/read_models/catalog.h"
#include "projections/read_models/conversations.h"
#include "projections/read_models/customers.h"
#include "projections/read_models/daily.h"
#include "projections/read_models/messages.h"
#include "projections/read_models/orders.h"

namespace roms::projections {

// orders, customers, catalog, daily, auth, automation. `single_partition`: positions in order
// timelines print as "N" (embedded log) rather than "P:O" (Kafka).
std::vector<std::unique_ptr<projection>> make_read_models(bool single_partition = true);

// The event types whose payloads several read models decode (read_models/fold_util.h,
// kSharedPayload): a fold batch decodes each once (payload_memo.h).
const std::vector<std::string_view>& shared_payload_types();

// Decodes the shared payloads of `evs` into `memo` (made over `evs`), so the folds only look
// them up: the runner does it on its read-ahead thread while the previous batch folds. A
// payload that does not decode is left for the fold, which reports it with its position.
void decode_shared_payloads(payload_memo& memo, std::span<const events::stored_event> evs);

}  // namespace roms::projections
