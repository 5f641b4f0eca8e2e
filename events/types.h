// Every domain event type, in one include. One header per aggregate under events/types/.
#pragma once

#include "events/payload.h"
#include "events/types/catalog.h"
#include "events/types/customer.h"
#include "events/types/order.h"
#include "events/types/system.h"

namespace roms::events {

// Calls f.template operator()<T>() for every event type T (for registries and golden tests).
template <class F>
void for_each_event_type(F&& f) {
  f.template operator()<product_defined>();
  f.template operator()<product_updated>();
  f.template operator()<warehouse_created>();
  f.template operator()<stock_adjusted>();
  f.template operator()<stock_transferred>();
  f.template operator()<customer_registered>();
  f.template operator()<customer_renamed>();
  f.template operator()<customer_updated>();
  f.template operator()<order_placed>();
  f.template operator()<order_status_changed>();
  f.template operator()<settings_changed>();
  f.template operator()<clock_ticked>();
}

}  // namespace roms::events
