// The automation read model (column family "automation"): message templates, reminder rules,
// scheduled reminders (the durable timers, indexed by due time), alerts (open, acknowledged,
// resolved), recent sales per product (for purchase recommendations) and when each
// automation switch was last turned on. The rule runner (consumers/rules.h) reads it to decide;
// GET /api/v1/templates, /reminders and /alerts read it to answer.
//
// Key layout:
//   t/<template_id>                      → template_record (the built-in default is not
//                                          stored until it is edited: queries supply it)
//   tk/<kind>/<template_id>              → ""  templates by kind
//   r/<rule_id>                          → reminder_rule_record
//   rn/<rule_id>                         → reminder_counts (scheduled, sent, cancelled)
//   m/<reminder_id>                      → reminder_record (reminder_id = "<rule>:<order>")
//   md/<due_us:20>/<reminder_id>         → ""  while scheduled: the due index (timers)
//   mr/<rule_id>/<reminder_id>           → ""  while scheduled, by rule
//   mc/<customer_id>/<reminder_id>       → ""  while scheduled, by customer
//   a/<alert_id>                         → alert_record
//   ax/<state>/<raised_us:20>/<alert_id> → ""  alerts by state (open|acknowledged|resolved)
//   as/<kind>/<subject>/<alert_id>       → ""  the subject's alerts not resolved yet
//   ae/<kind>/<subject>                  → episodes: alerts ever raised for the subject
//   sd/<product_id>/<utc_day:20>         → units of the product ordered that UTC day
//   so/<order_id>                        → the order's units and day (undone on cancel)
//   sw/<switch>                          → switch_record: on, and since when
//
// Time: nothing here reads the clock; every time is an event's time.
//
// Convergence across partitions (Kafka): templates, rules and each alert live in their own
// streams (ordered). A reminder's reminder.scheduled/.cancelled are in the order's stream but
// the message.queued that fires it is in the message's stream, so they may arrive in either
// order: a reminder's state only moves forward (scheduled → fired | cancelled, terminal states
// never change), a record created by a later event first is a stub that reminder.scheduled
// fills in without indexing it, and counts are sums. Episodes are counts of distinct
// alert.raised events (the log stores each alert id once). Sales are sums per day.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/payload.h"
#include "projections/projection.h"

namespace roms::projections {

// "t/<template_id>"
struct template_record {
  std::string id;
  std::string name;
  std::string kind;
  std::string body;
  std::string wa_template_name;
  std::string wa_language;
  bool builtin = false;  // the default order confirmation (edited or not)
  std::string created_at;
  std::string updated_at;
  int64_t updated_us = 0;
  template <class V>
  void fields(V& v) {
    v("id", id); v("name", name); v("kind", kind); v("body", body);
    v("wa_template_name", wa_template_name); v("wa_language", wa_language);
    v("builtin", builtin); v("created_at", created_at); v("updated_at", updated_at);
    v("updated_us", updated_us);
  }
};

// "r/<rule_id>"
struct reminder_rule_record {
  std::string id;
  std::string name;
  int64_t days_after_delivery = 0;
  std::string product_id;  // empty = every product
  std::string template_id;
  std::string body;
  bool enabled = true;
  int64_t enabled_since_us = 0;  // time of the event that last turned it on (or created it on)
  std::string created_at;
  std::string updated_at;
  template <class V>
  void fields(V& v) {
    v("id", id); v("name", name); v("days_after_delivery", days_after_delivery);
    v("product_id", product_id); v("template_id", template_id); v("body", body);
    v("enabled", enabled); v("enabled_since_us", enabled_since_us);
    v("created_at", created_at); v("updated_at", updated_at);
  }
};

// "rn/<rule_id>"
struct reminder_counts {
  int64_t scheduled = 0;  // ever scheduled
  int64_t sent = 0;       // fired (message queued)
  int64_t cancelled = 0;
  template <class V>
  void fields(V& v) { v("scheduled", scheduled); v("sent", sent); v("cancelled", cancelled); }
};

// "m/<reminder_id>"
struct reminder_record {
  std::string reminder_id;
  std::string rule_id;
  std::string order_id;
  std::string customer_id;
  std::string state;  // scheduled | fired | cancelled ("" in a stub not scheduled yet)
  std::string due_at;
  int64_t due_us = 0;
  int64_t scheduled_us = 0;  // time of reminder.scheduled (the delivery's time)
  std::string reason;        // cancelled: why
  std::string message_id;    // fired: the message queued
  std::string fired_at;
  template <class V>
  void fields(V& v) {
    v("reminder_id", reminder_id); v("rule_id", rule_id); v("order_id", order_id);
    v("customer_id", customer_id); v("state", state); v("due_at", due_at); v("due_us", due_us);
    v("scheduled_us", scheduled_us); v("reason", reason); v("message_id", message_id);
    v("fired_at", fired_at);
  }
};

// "a/<alert_id>"
struct alert_record {
  std::string id;
  std::string kind;      // critical_stock | pending_order
  std::string severity;  // yellow | red
  std::string subject;   // product id or order id
  std::string title;
  int64_t recommended_qty = 0;
  std::string state;  // open | acknowledged | resolved
  bool acknowledged = false;
  std::string raised_at;
  int64_t raised_us = 0;
  std::string acknowledged_at;
  std::string acknowledged_by;  // the actor
  std::string resolved_at;
  std::string resolve_reason;
  template <class V>
  void fields(V& v) {
    v("id", id); v("kind", kind); v("severity", severity); v("subject", subject);
    v("title", title); v("recommended_qty", recommended_qty); v("state", state);
    v("acknowledged", acknowledged); v("raised_at", raised_at); v("raised_us", raised_us);
    v("acknowledged_at", acknowledged_at); v("acknowledged_by", acknowledged_by);
    v("resolved_at", resolved_at); v("resolve_reason", resolve_reason);
  }
};

// "sw/<switch>": automation_thank_you, automation_reminders, alerts_stock, alerts_pending.
struct switch_record {
  bool on = true;
  int64_t since_us = 0;  // when it was last turned on (0: on from the start)
  template <class V>
  void fields(V& v) { v("on", on); v("since_us", since_us); }
};

class automation_projection final : public projection {
 public:
  std::string_view name() const override { return "automation"; }
  uint32_t version() const override { return 2; }  // 2: binary records (record_codec.h)
  // Version 1 stored the same records as JSON, which still decodes (record_codec.h).
  bool reads_stored_version(uint32_t v) const override { return v == 1; }
  bool wants(std::string_view type) const override;
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override;
  // The indexes: only queries (and the rule runner, through them) read them.
  std::vector<std::string> write_only_prefixes() const override {
    return {"tk/", "md/", "mr/", "mc/", "ax/", "as/"};
  }
};

// The built-in default order-confirmation template as it reads before anyone edits it.
template_record default_order_confirmation();

struct list_page_request {
  size_t limit = 50;
  std::string cursor;  // the last key of the previous page ("" = from the start)
};

template <class T>
struct list_page {
  std::vector<T> items;
  std::string next_cursor;  // empty = no more
};

namespace automation_query {

// --- templates ---
// The stored template, or the built-in default for its id when it was never edited.
std::optional<template_record> get_template(const read_view& v, std::string_view id);
// Every template (the default first, then by id = creation order), optionally of one kind.
list_page<template_record> templates(const read_view& v, std::string_view kind,
                                     const list_page_request& page);
// The template a message of `kind` uses: the one of that kind saved last; for
// order_confirmation the built-in default when no other exists.
std::optional<template_record> template_for_kind(const read_view& v, std::string_view kind);

// --- reminder rules ---
std::optional<reminder_rule_record> get_rule(const read_view& v, std::string_view id);
list_page<reminder_rule_record> rules(const read_view& v, const list_page_request& page);
std::vector<reminder_rule_record> all_rules(const read_view& v);
reminder_counts rule_counts(const read_view& v, std::string_view rule_id);

// --- reminders (timers) ---
std::optional<reminder_record> get_reminder(const read_view& v, std::string_view id);
// Scheduled reminders with due_us <= until_us, earliest first (at most `max`).
std::vector<reminder_record> due_reminders(const read_view& v, int64_t until_us,
                                           size_t max = 1000);
std::vector<reminder_record> scheduled_of_rule(const read_view& v, std::string_view rule_id);
std::vector<reminder_record> scheduled_of_customer(const read_view& v,
                                                   std::string_view customer_id);

// --- alerts ---
std::optional<alert_record> get_alert(const read_view& v, std::string_view id);
// Newest first; state "" = open and acknowledged.
list_page<alert_record> alerts(const read_view& v, std::string_view state,
                               const list_page_request& page);
// The subject's alerts that are not resolved (open or acknowledged).
std::vector<alert_record> live_alerts(const read_view& v, std::string_view kind,
                                      std::string_view subject);
int64_t alert_episodes(const read_view& v, std::string_view kind, std::string_view subject);

// --- sales, switches ---
// Units of the product ordered (not cancelled) on UTC days [from_day, to_day].
int64_t units_sold(const read_view& v, std::string_view product_id, int64_t from_day,
                   int64_t to_day);
switch_record automation_switch(const read_view& v, std::string_view name);

}  // namespace automation_query

}  // namespace roms::projections
