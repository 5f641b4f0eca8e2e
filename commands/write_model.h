// The executor's write model: exactly the state core::decide reads (decision_state), held in
// memory in compact form, as a fold of the log. No JSON and no RocksDB on the decision path.
//
//   write_model m;
//   m.apply(ev);                  // an event the executor just decided (typed payload)
//   m.apply_logged(stored.event); // an event read from the log (decoded by type)
//   decide(m, ctx, cmd);          // m is a decision_state
//
// What it holds (and which read model holds the same thing, for the same events):
//   products (id → sku, name, price, min stock, active), the SKU index        — catalog
//   stock per (product, warehouse): on hand and reserved; open reservations   — catalog
//   warehouses                                                                 — catalog
//   customers (id → phone) and the phone index                                — customers
//   orders (id → status, customer), external ids per channel, idempotency keys — orders
//   the shop settings                                                          — daily
//   templates, reminder rules, alerts                                          — automation
// Each apply mirrors the read model's fold for those keys (commands/README.md, "The write
// model"), so folding the same events gives the same answers; tests/commands/
// write_model_test.cc checks it against the read models.
//
// Not thread-safe: the executor's decider thread owns it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/decide.h"
#include "core/result.h"
#include "core/settings.h"
#include "events/envelope.h"
#include "events/types/any_event.h"

namespace roms::commands {

class write_model final : public decision_state {
 public:
  // --- folding
  // An event the executor decided (before it is appended).
  void apply(const events::any_event& e);
  // An event read from the log: the types the model needs are decoded and applied, the others
  // skipped. A payload that does not decode is an error naming the event (the runner would
  // stop on it too).
  result_msg<void> apply_logged(const events::envelope& e);
  // Whether apply_logged() needs the event (cheap: compares the type).
  static bool wants(std::string_view type);

  // --- decision_state
  std::optional<product_state> product(std::string_view id) override;
  std::optional<std::string> product_id_by_sku(std::string_view sku) override;
  int64_t available(std::string_view product_id, std::string_view warehouse) override;
  bool warehouse_exists(std::string_view id) override;
  std::optional<std::string> customer_by_phone(std::string_view e164) override;
  bool customer_exists(std::string_view id) override;
  std::optional<order_state> order(std::string_view id) override;
  std::optional<std::string> order_by_external_id(std::string_view channel,
                                                  std::string_view external_id) override;
  std::optional<idempotency_state> idempotency(std::string_view key) override;
  shop_settings settings() override { return settings_; }
  std::optional<template_state> message_template(std::string_view id) override;
  std::optional<reminder_rule_state> reminder_rule(std::string_view id) override;
  std::optional<alert_state> alert(std::string_view id) override;

  // --- inspection (tests, status)
  // Every fact the model holds as sorted lines ("product <id> …", "stock <pid> <wh> …"), for
  // comparing two models or a model with the read models. Costly: not for the hot path.
  std::vector<std::string> dump() const;
  struct sizes {
    size_t products = 0, stock_rows = 0, customers = 0, orders = 0, open_reservations = 0,
           external_ids = 0, idempotency_keys = 0;
  };
  sizes size() const;
  void clear() { *this = write_model(); }

 private:
  struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  template <class V>
  using map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;
  using set = std::unordered_set<std::string, string_hash, std::equal_to<>>;

  struct product_entry {
    std::string sku, name;
    int64_t price = 0, min_stock = 0;
    bool active = true;
    bool defined = false;  // stock moves may name a product before (or without) its definition
  };
  struct stock_entry {
    int64_t on_hand = 0, reserved = 0;
  };
  struct reserved_line {
    std::string product_id;
    int64_t qty = 0;
  };
  // An order's stock reservation while it is still "reserved" (neither shipped nor released);
  // dropped once it is, because later status changes no longer move stock.
  struct reservation {
    std::string warehouse;
    std::vector<reserved_line> items;
  };
  struct order_entry {
    std::string status, customer_id;
    bool counted = true;  // the customers read model counts it (false once cancelled)
  };

  static std::string stock_key(std::string_view pid, std::string_view wh);
  static std::string ext_key(std::string_view channel, std::string_view ext);
  void move_stock(std::string_view pid, std::string_view wh, int64_t on_hand, int64_t reserved);
  void touch_customer(std::string_view id);  // re-saves: the phone index names it again
  void set_phone(const std::string& id, const std::string& phone);

  void on(const events::product_defined&);
  void on(const events::product_updated&);
  void on(const events::warehouse_created&);
  void on(const events::stock_adjusted&);
  void on(const events::stock_transferred&);
  void on(const events::customer_registered&);
  void on(const events::customer_renamed&);
  void on(const events::customer_updated&);
  void on(const events::order_placed&);
  void on(const events::order_status_changed&);
  void on(const events::settings_changed&);
  void on(const events::clock_ticked&) {}
  void on(const events::template_saved&);
  void on(const events::template_deleted&);
  void on(const events::reminder_rule_saved&);
  void on(const events::reminder_rule_deleted&);
  void on(const events::alert_raised&);
  void on(const events::alert_acknowledged&);
  void on(const events::alert_resolved&);

  map<product_entry> products_;
  map<std::string> sku_;        // sku → product id
  map<stock_entry> stock_;      // "<pid>\0<warehouse>"
  set warehouses_;              // "main" exists from the start
  map<std::string> customers_;  // id → phone ("" = none)
  map<std::string> phones_;     // phone → customer id
  map<order_entry> orders_;
  map<reservation> reservations_;  // order id → open reservation
  map<std::string> external_ids_;  // "<channel>\0<external id>" → order id
  map<idempotency_state> idempotency_;
  shop_settings settings_;
  map<template_state> templates_;
  map<reminder_rule_state> rules_;
  map<alert_state> alerts_;
};

}  // namespace roms::commands
