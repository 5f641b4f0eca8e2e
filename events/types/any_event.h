// Any domain event payload, as a value. core's decisions return these (core has no JSON);
// the command executor encodes them with events::encode_payload.
#pragma once

#include <variant>

#include "events/types/automation.h"
#include "events/types/catalog.h"
#include "events/types/customer.h"
#include "events/types/order.h"
#include "events/types/system.h"

namespace roms::events {

using any_event =
    std::variant<product_defined, product_updated, warehouse_created, stock_adjusted,
                 stock_transferred, customer_registered, customer_renamed, customer_updated,
                 order_placed, order_status_changed, settings_changed, clock_ticked,
                 template_saved, template_deleted, reminder_rule_saved, reminder_rule_deleted,
                 alert_acknowledged>;

}  // namespace roms::events
