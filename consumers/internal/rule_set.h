// The automation rules as pure functions: (event, read-model views, scope) → new events.
// Private to consumers/: the rule runner (consumers/rules.h) feeds them, after the projections
// have applied the event, and appends what they return.
//
//   rule_result r = evaluate(event, views, scope).value();
//   log.append(r.events);   // ids derived from idempotency keys: a re-run appends nothing new
//
// The rules (actor "rule:<name>" on what they emit):
//   thank_you      order.placed → message.queued (kind thank_you) from the order-confirmation
//                  template, to the customer's E.164 phone.
//   reminder       order.status_changed to delivered → reminder.scheduled per matching
//                  enabled rule; clock.ticked at/after due → message.queued (kind reminder);
//                  order.placed of a product a scheduled reminder is about, by the same
//                  customer → reminder.cancelled ("reordered"); rule disabled/deleted →
//                  reminder.cancelled.
//   critical_stock any event that moves a product's stock or minimum → alert.raised once per
//                  episode (available < min_stock), alert.resolved when restocked.
//   pending_order  clock.ticked → alert.raised yellow (> pending_warn_minutes) then red
//                  (> pending_critical_minutes, the yellow one resolved "escalated");
//                  order.status_changed out of pending → alert.resolved.
//
// Replay safety (consumers/README.md "Rules"): every output id is derived from an idempotency
// key, and every condition that could have been false when the event happened compares the
// event's time with when it became true (a rule's enabled_since, a switch's since, a
// reminder's scheduled time), so evaluating an old event against today's views never yields
// an action that live processing did not already take.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/settings.h"
#include "events/envelope.h"
#include "projections/read_models/automation.h"
#include "projections/read_models/records.h"

namespace roms::consumers::internal {

// What the rules read: read models that have applied (at least) the event being evaluated.
class rule_views {
 public:
  virtual ~rule_views() = default;
  virtual shop_settings settings() const = 0;
  virtual projections::switch_record automation_switch(std::string_view name) const = 0;
  virtual std::optional<projections::order_record> order(std::string_view id) const = 0;
  virtual std::optional<projections::customer_record> customer(std::string_view id) const = 0;
  virtual std::optional<projections::product_record> product(std::string_view id) const = 0;
  // The customer's orders placed at or after `since_us` (any status), oldest first.
  virtual std::vector<projections::order_record> customer_orders_since(std::string_view customer_id,
                                                                       int64_t since_us) const = 0;
  // Orders in status pending placed strictly before `before_us`, oldest first.
  virtual std::vector<projections::order_record> pending_orders(int64_t before_us) const = 0;
  virtual std::optional<projections::template_record> message_template(
      std::string_view id) const = 0;
  virtual std::optional<projections::template_record> template_for_kind(
      std::string_view kind) const = 0;
  virtual std::optional<projections::reminder_rule_record> reminder_rule(
      std::string_view id) const = 0;
  virtual std::vector<projections::reminder_rule_record> reminder_rules() const = 0;
  virtual std::vector<projections::reminder_record> due_reminders(int64_t until_us) const = 0;
  virtual std::vector<projections::reminder_record> scheduled_of_rule(
      std::string_view rule_id) const = 0;
  virtual std::vector<projections::reminder_record> scheduled_of_customer(
      std::string_view customer_id) const = 0;
  virtual std::optional<projections::alert_record> alert(std::string_view id) const = 0;
  virtual std::vector<projections::alert_record> live_alerts(std::string_view kind,
                                                             std::string_view subject) const = 0;
  virtual int64_t alert_episodes(std::string_view kind, std::string_view subject) const = 0;
  virtual int64_t units_sold(std::string_view product_id, int64_t from_day,
                             int64_t to_day) const = 0;
};

// Where the rules start acting: events before `origin` (next offset per partition when the
// runner first started) never trigger anything, however often they are replayed.
struct rule_scope {
  std::vector<int64_t> origin;
};

// A decision not to act, counted in roms_rules_skipped_total{rule,reason}.
struct rule_skip {
  std::string rule;
  std::string reason;  // phone_invalid, switched_off, order_unknown, …
};

struct rule_result {
  std::vector<events::envelope> events;  // to append, in order
  std::vector<rule_skip> skipped;
};

// Cheap pre-filter: whether any rule reacts to events of this type.
bool rules_want(std::string_view type);

// True for actors whose events record the past rather than happen now: "demo", "import",
// "import:<source>". Rules never react to them (nor to "rule:*", their own output).
bool historical_actor(std::string_view actor);

// Runs every rule on `e`. An event a rule wants but cannot decode is an error naming its
// position (the runner stops on it rather than skip it).
result_msg<rule_result> evaluate(const events::stored_event& e, const rule_views& v,
                                 const rule_scope& scope);

// Suggested purchase for a product below its minimum: enough for the 7-day lead time at the
// average daily rate of the last 30 days, plus what brings it back to the minimum:
//   ceil(units_30_days × 7 / 30) + (min_stock − available), at least 1.
int64_t recommended_purchase(int64_t units_last_30_days, int64_t min_stock, int64_t available);

// The alert id of a pending-order alert ("alr_…", derived from order and severity) and of a
// critical-stock episode.
std::string pending_alert_id(std::string_view order_id, std::string_view severity);
std::string stock_alert_id(std::string_view product_id, int64_t episode);

}  // namespace roms::consumers::internal
