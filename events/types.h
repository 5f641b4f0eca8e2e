// Every domain event type, in one include. One header per aggregate under events/types/.
#pragma once

#include "events/payload.h"
#include "events/types/auth.h"
#include "events/types/automation.h"
#include "events/types/catalog.h"
#include "events/types/customer.h"
#include "events/types/inbox.h"
#include "events/types/messaging.h"
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
  f.template operator()<user_created>();
  f.template operator()<user_updated>();
  f.template operator()<session_started>();
  f.template operator()<session_refreshed>();
  f.template operator()<session_ended>();
  f.template operator()<apikey_created>();
  f.template operator()<apikey_revoked>();
  f.template operator()<message_queued>();
  f.template operator()<message_sending>();
  f.template operator()<message_sent>();
  f.template operator()<message_delivered>();
  f.template operator()<message_read>();
  f.template operator()<message_failed>();
  f.template operator()<message_retry_requested>();
  f.template operator()<message_received>();
  f.template operator()<whatsapp_status_changed>();
  f.template operator()<template_saved>();
  f.template operator()<template_deleted>();
  f.template operator()<reminder_rule_saved>();
  f.template operator()<reminder_rule_deleted>();
  f.template operator()<reminder_scheduled>();
  f.template operator()<reminder_cancelled>();
  f.template operator()<alert_raised>();
  f.template operator()<alert_acknowledged>();
  f.template operator()<alert_resolved>();
  f.template operator()<conversation_opened>();
  f.template operator()<conversation_message_linked>();
  f.template operator()<conversation_assigned>();
  f.template operator()<conversation_closed>();
  f.template operator()<agent_status_changed>();
  f.template operator()<agent_seen>();
  f.template operator()<inbox_settings_changed>();
  f.template operator()<message_media_fetched>();
}

}  // namespace roms::events
