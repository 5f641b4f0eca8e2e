// Pure decisions: (state, command) → events or a rejection. No I/O: the state is read through
// decision_state (the command executor backs it with the read models plus its not-yet-applied
// events; tests back it with maps), ids and "now" come in through decision_context.
//
//   auto d = decide(state, ctx, commands::place_order{...});
//   if (!d) → d.error(): {errc::out_of_stock, "SKU KOPI-250: 3 requested, 2 available"}
//   d.value().events  → append them; d.value().existing_id set → idempotent repeat
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/commands.h"
#include "core/result.h"
#include "core/settings.h"
#include "core/time.h"
#include "events/types/any_event.h"

namespace roms {

struct product_state {
  std::string id;
  std::string sku;
  std::string name;
  int64_t price = 0;
  int64_t min_stock = 0;
  bool active = true;
};

struct order_state {
  std::string id;
  std::string status;
  std::string customer_id;
};

struct idempotency_state {
  std::string order_id;
  std::string request_hash;
};

// Automation state (templates, reminder rules, alerts) for the automation commands.
struct template_state {
  std::string id;
  std::string name;
  std::string kind;
  std::string body;
  std::string wa_template_name;
  std::string wa_language;
};

struct reminder_rule_state {
  std::string id;
  std::string name;
  int64_t days_after_delivery = 0;
  std::string product_id;
  std::string template_id;
  std::string body;
  bool enabled = true;
};

struct alert_state {
  std::string id;
  std::string state;  // open | acknowledged | resolved
  bool acknowledged = false;
};

class decision_state {
 public:
  virtual ~decision_state() = default;
  virtual std::optional<product_state> product(std::string_view id) = 0;
  virtual std::optional<std::string> product_id_by_sku(std::string_view sku) = 0;
  // On hand − reserved in one warehouse.
  virtual int64_t available(std::string_view product_id, std::string_view warehouse) = 0;
  virtual bool warehouse_exists(std::string_view id) = 0;
  virtual std::optional<std::string> customer_by_phone(std::string_view e164) = 0;
  virtual bool customer_exists(std::string_view id) = 0;
  virtual std::optional<order_state> order(std::string_view id) = 0;
  virtual std::optional<std::string> order_by_external_id(std::string_view channel,
                                                          std::string_view external_id) = 0;
  virtual std::optional<idempotency_state> idempotency(std::string_view key) = 0;
  virtual shop_settings settings() = 0;
  // Automation state. The defaults answer "none" for states that do not hold it (the order
  // and catalog tests); the executor backs them with the automation read model, where the
  // built-in order-confirmation template exists from the start.
  virtual std::optional<template_state> message_template(std::string_view) {
    return std::nullopt;
  }
  virtual std::optional<reminder_rule_state> reminder_rule(std::string_view) {
    return std::nullopt;
  }
  virtual std::optional<alert_state> alert(std::string_view) { return std::nullopt; }
};

struct decision_context {
  timestamp now{};
  // New ids with a prefix ("ord", "cus", "prd"): "ord_0193…". Deterministic in tests.
  std::function<std::string(std::string_view prefix)> new_id;
};

// One event to append (the executor encodes the payload and wraps it in an envelope).
struct new_event {
  std::string stream;
  events::any_event payload;
};

struct decision {
  std::vector<new_event> events;  // empty when nothing changes
  std::string id;                 // the resource the command is about (order, product, …)
  bool existing = false;          // an idempotent repeat: `id` is the original, nothing new
};

result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::place_order& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::change_order_status& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::define_product& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::update_product& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::adjust_stock& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::transfer_stock& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::create_warehouse& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::update_customer& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::change_settings& cmd);

// Automations (core/decide_automation.cc). Templates: stream "template-<id>", ids "tpl_…";
// reminder rules: stream "rule-<id>", ids "rem_…"; acknowledgements: stream "alert-<id>".
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::create_template& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::update_template& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::delete_template& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::create_reminder_rule& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::update_reminder_rule& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::delete_reminder_rule& cmd);
result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::acknowledge_alert& cmd);

// The channels an order may come from (CONTRACT.md).
bool valid_channel(std::string_view channel);

}  // namespace roms
