// Order events. Stream: the order id ("ord_…"). Stock reservations are not separate events:
// the stock read model derives them from order.placed (reserve) and order.status_changed
// (release on cancel, ship out when the order reaches shipped or beyond).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace roms::events {

struct order_item {
  std::string product_id;  // empty when the SKU is not in the catalog (storefront orders)
  std::string sku;
  std::string name;
  int64_t qty = 0;
  int64_t price = 0;         // unit price in the order currency's minor units
  bool unknown_sku = false;  // flagged for the Admin
  bool backorder = false;    // accepted beyond available stock
  template <class V>
  void fields(V& v) {
    v("product_id", product_id); v("sku", sku); v("name", name); v("qty", qty);
    v("price", price); v("unknown_sku", unknown_sku); v("backorder", backorder);
  }
};

struct order_customer {
  std::string name, phone, email, city, province;
  template <class V>
  void fields(V& v) {
    v("name", name); v("phone", phone); v("email", email); v("city", city);
    v("province", province);
  }
};

struct order_payment {
  std::string method;  // bank_transfer, virtual_account, card, ewallet, qris, cod, cash
  std::string timing;  // prepaid | postpaid
  template <class V>
  void fields(V& v) { v("method", method); v("timing", timing); }
};

// order.placed v1: a new order in status pending.
struct order_placed {
  static constexpr std::string_view kType = "order.placed";
  static constexpr uint32_t kVersion = 1;
  std::string order_id;
  std::string external_id;  // the channel's own id; unique per channel
  std::string channel;      // web|whatsapp|phone|walk_in|marketplace|shopify|woocommerce|api
  std::string customer_id;
  order_customer customer;  // snapshot as given with the order
  std::vector<order_item> items;
  int64_t total = 0;
  std::string currency = "IDR";
  order_payment payment;
  std::string note;
  std::string warehouse = "main";
  std::vector<std::string> flags;  // "unknown_sku", "backorder", "foreign_currency", "phone_invalid"
  std::string idempotency_key;     // the API caller's Idempotency-Key, if any
  std::string request_hash;        // SHA-256 of the request body that carried that key
  template <class V>
  void fields(V& v) {
    v("order_id", order_id); v("external_id", external_id); v("channel", channel);
    v("customer_id", customer_id); v("customer", customer); v("items", items);
    v("total", total); v("currency", currency); v("payment", payment); v("note", note);
    v("warehouse", warehouse); v("flags", flags); v("idempotency_key", idempotency_key);
    v("request_hash", request_hash);
  }
};

// order.status_changed v1: pending → processed → shipped → delivered, or cancelled.
struct order_status_changed {
  static constexpr std::string_view kType = "order.status_changed";
  static constexpr uint32_t kVersion = 1;
  std::string order_id;
  std::string from;
  std::string to;
  std::string note;
  std::string tracking_number;
  std::string courier;
  template <class V>
  void fields(V& v) {
    v("order_id", order_id); v("from", from); v("to", to); v("note", note);
    v("tracking_number", tracking_number); v("courier", courier);
  }
};

}  // namespace roms::events
