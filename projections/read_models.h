// The read models ROMS serves, in one list: the engine runs them, `roms projections` names
// them, the HTTP layer queries them through their *_query namespaces.
#pragma once

#include <memory>
#include <vector>

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

}  // namespace roms::projections
