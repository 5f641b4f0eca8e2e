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
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

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
    using is_avalanching = void;  // murmur-based (boost::unordered_flat_map needs no mixing)
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  template <class V>
  using map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;
  using set = std::unordered_set<std::string, string_hash, std::equal_to<>>;
  // Keys whose bytes live in `arena_` (never freed: the model only grows, and refolds start
  // from an empty model).
  template <class V>
  using view_map = boost::unordered_flat_map<std::string_view, V, string_hash, std::equal_to<>>;
  static constexpr uint32_t kNone = UINT32_MAX;

  // Append-only storage for the bytes of ids and keys: one allocation per 64 KiB instead of
  // one (plus a std::string) per id.
  class string_arena {
   public:
    std::string_view copy(std::string_view s);

   private:
    static constexpr size_t kBlock = 64 << 10;
    std::vector<std::unique_ptr<char[]>> blocks_;
    std::vector<std::unique_ptr<char[]>> big_;  // longer than a quarter block: their own
    size_t used_ = kBlock;  // in the last block
  };
  // Ids numbered densely in order of first sight: facts refer to each other by number (4
  // bytes) instead of holding a copy of the other's id.
  class id_table {
   public:
    uint32_t find(std::string_view id) const {
      auto it = ix_.find(id);
      return it == ix_.end() ? kNone : it->second;
    }
    // The number of `id`, added if new; `*added` says which.
    uint32_t intern(string_arena& arena, std::string_view id, bool* added = nullptr);
    std::string_view name(uint32_t i) const { return names_[i]; }
    size_t size() const { return names_.size(); }

   private:
    std::vector<std::string_view> names_;
    view_map<uint32_t> ix_;
  };

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
    uint32_t product;  // product_ids_
    int64_t qty = 0;
  };
  // An order's stock reservation while it is still "reserved" (neither shipped nor released);
  // dropped once it is, because later status changes no longer move stock.
  struct reservation {
    uint32_t warehouse;  // warehouse_ids_
    std::vector<reserved_line> items;
  };
  // One per order, at the order's number in order_ids_: 8 bytes.
  struct order_row {
    uint32_t customer = kNone;  // customer_ids_; kNone: the order names no customer
    uint32_t status = 0;        // statuses_
  };
  struct idempotency_entry {
    uint32_t order;
    std::string_view request_hash;  // in arena_
  };

  // m[key] = v, the key's bytes copied into arena_ when it is new (unless they already are).
  template <class V>
  void upsert(view_map<V>& m, std::string_view key, V v, bool key_in_arena = false) {
    if (auto it = m.find(key); it != m.end()) {
      it->second = v;
    } else {
      m.emplace(key_in_arena ? key : arena_.copy(key), v);
    }
  }
  // "<a>\0<b>": the stock key (product, warehouse) and the external-id key (channel, id).
  static std::string pair_key(std::string_view a, std::string_view b);
  void move_stock(std::string_view pid, std::string_view wh, int64_t on_hand, int64_t reserved);
  uint32_t customer(std::string_view id);     // its number, created (no phone) if new
  void set_phone(std::string_view id, const std::string& phone);
  uint32_t status_number(std::string_view status);

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

  // The catalog: few keys, plain maps.
  map<product_entry> products_;
  map<std::string> sku_;        // sku → product id
  map<stock_entry> stock_;      // "<pid>\0<warehouse>"
  set warehouses_;              // "main" exists from the start
  // Per customer and per order (the bulk of the model): numbered ids, rows, arena keys.
  string_arena arena_;
  id_table customer_ids_;
  std::vector<std::string_view> customer_phone_;  // by customer number, in arena_; "" = none
  view_map<uint32_t> phones_;                      // phone → customer number
  id_table order_ids_;
  std::vector<order_row> orders_;  // by order number
  std::vector<std::string> statuses_{"pending"};
  id_table product_ids_, warehouse_ids_;  // as reservations name them
  boost::unordered_flat_map<uint32_t, reservation> reservations_;  // order number → open one
  view_map<uint32_t> external_ids_;  // "<channel>\0<external id>" → order number
  view_map<idempotency_entry> idempotency_;
  shop_settings settings_;
  map<template_state> templates_;
  map<reminder_rule_state> rules_;
  map<alert_state> alerts_;
};

}  // namespace roms::commands
