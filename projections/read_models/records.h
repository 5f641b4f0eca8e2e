// The stored values of the read models. Each is stored in the binary record format of
// record_codec.h (declared once by its `fields` list, which also gives the JSON the HTTP API
// renders from it). Every key layout in read_models/*.h names the record type of its values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "events/payload.h"
#include "events/types/order.h"

namespace roms::projections {

struct timeline_entry {
  std::string position;
  std::string type;
  std::string at;
  std::string actor;
  std::string status;  // the status after this event
  std::string note;
  template <class V>
  void fields(V& v) {
    v("position", position); v("type", type); v("at", at); v("actor", actor);
    v("status", status); v("note", note);
  }
};

// orders: "o/<order_id>". Stored in fields() order: what order.placed fixed first, then what
// status changes move (status, tracking_number, courier, updated_at, timeline), so a status
// change rewrites only that tail and copies the rest as bytes (orders.cc, patch_status).
struct order_record {
  std::string id;
  std::string external_id;
  std::string channel;
  std::string status;
  std::string customer_id;
  events::order_customer customer;
  std::vector<events::order_item> items;
  int64_t total = 0;
  std::string currency;
  events::order_payment payment;
  std::string note;
  std::string warehouse;
  std::vector<std::string> flags;
  std::string tracking_number;
  std::string courier;
  std::string created_at;
  std::string updated_at;
  int64_t created_us = 0;
  std::vector<timeline_entry> timeline;
  template <class V>
  void fields(V& v) {
    v("id", id); v("external_id", external_id); v("channel", channel);
    v("customer_id", customer_id); v("customer", customer); v("items", items);
    v("total", total); v("currency", currency); v("payment", payment); v("note", note);
    v("warehouse", warehouse); v("flags", flags); v("created_at", created_at);
    v("created_us", created_us);
    // The tail a status change rewrites (patch_status in orders.cc relies on this order).
    v("status", status); v("tracking_number", tracking_number); v("courier", courier);
    v("updated_at", updated_at); v("timeline", timeline);
  }
};

// customers: "c/<customer_id>"
struct customer_record {
  std::string id;
  std::string phone;
  bool phone_valid = true;
  std::string name;
  std::string email;
  std::string city;
  std::string province;
  int64_t order_count = 0;
  int64_t total_spent = 0;  // shop currency only; other currencies in orders_other_currency
  int64_t orders_other_currency = 0;
  int64_t first_seen_us = 0;
  int64_t first_order_us = 0;
  int64_t last_order_us = 0;
  std::vector<std::string> segments;
  bool registered = false;  // false while only orders mention it (cross-partition arrival)
  int64_t due_us = 0;       // next time a time-based segment may change (0 = none)
  // Not stored: functions of the fields above, filled in by after_decode() (the fold rewrites
  // a customer with every order, so what it can recompute it does not store).
  std::string created_at;      // first_seen_us
  std::string first_order_at;  // first_order_us ("" when none)
  std::string last_order_at;   // last_order_us ("" when none)
  std::string primary_segment;  // segments.front()
  template <class V>
  void fields(V& v) {
    v("due_us", due_us);
    v("id", id); v("phone", phone); v("phone_valid", phone_valid); v("name", name);
    v("email", email); v("city", city); v("province", province); v("order_count", order_count);
    v("total_spent", total_spent); v("orders_other_currency", orders_other_currency);
    v("first_seen_us", first_seen_us); v("first_order_us", first_order_us);
    v("last_order_us", last_order_us); v("segments", segments); v("registered", registered);
  }
  // decode_record() calls it (record_codec.h).
  void after_decode() {
    created_at = format_rfc3339(from_micros(first_seen_us));
    first_order_at = first_order_us ? format_rfc3339(from_micros(first_order_us)) : "";
    last_order_at = last_order_us ? format_rfc3339(from_micros(last_order_us)) : "";
    primary_segment = segments.empty() ? "" : segments.front();
  }
};

// catalog: "p/<product_id>"
struct product_record {
  std::string id;
  std::string sku;
  std::string name;
  std::string category;
  std::string image_url;
  std::string cross_sell;
  int64_t price = 0;
  int64_t cost = 0;
  int64_t min_stock = 0;
  bool active = true;
  bool defined = false;  // false while only stock moves mention it
  int64_t on_hand = 0;   // all warehouses
  int64_t reserved = 0;
  int64_t available = 0;
  bool below_min = false;
  std::string created_at;
  std::string updated_at;
  template <class V>
  void fields(V& v) {
    v("id", id); v("sku", sku); v("name", name); v("category", category);
    v("image_url", image_url); v("cross_sell", cross_sell); v("price", price); v("cost", cost);
    v("min_stock", min_stock); v("active", active); v("defined", defined);
    v("on_hand", on_hand); v("reserved", reserved); v("available", available);
    v("below_min", below_min); v("created_at", created_at); v("updated_at", updated_at);
  }
};

// catalog: "s/<product_id>/<warehouse>"
struct stock_record {
  std::string product_id;
  std::string warehouse;
  int64_t on_hand = 0;
  int64_t reserved = 0;
  template <class V>
  void fields(V& v) {
    v("product_id", product_id); v("warehouse", warehouse); v("on_hand", on_hand);
    v("reserved", reserved);
  }
};

// daily: "d/<YYYY-MM-DD>" in the shop's time zone
struct daily_record {
  std::string date;
  int64_t orders = 0;
  int64_t revenue = 0;  // shop currency, cancelled orders excluded
  int64_t cancelled = 0;
  int64_t items_sold = 0;
  int64_t new_customers = 0;
  int64_t chats = 0;
  template <class V>
  void fields(V& v) {
    v("date", date); v("orders", orders); v("revenue", revenue); v("cancelled", cancelled);
    v("items_sold", items_sold); v("new_customers", new_customers); v("chats", chats);
  }
};

}  // namespace roms::projections
