// Catalog and stock events. Stream: the product id ("prd_…") for product and stock events, so
// one product's definition and stock moves are totally ordered; "warehouse-<code>" for
// warehouses. Money is an integer in the shop currency (IDR: 45000 = Rp 45.000).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roms::events {

// product.defined v1: a new product. SKU uniqueness is decided in core before this exists.
struct product_defined {
  static constexpr std::string_view kType = "product.defined";
  static constexpr uint32_t kVersion = 1;
  std::string product_id;
  std::string sku;
  std::string name;
  std::string category;
  std::string image_url;
  std::string cross_sell;  // recommendation text used by reminders ({recommendation})
  int64_t price = 0;
  int64_t cost = 0;  // HPP
  int64_t min_stock = 0;
  bool active = true;
  template <class V>
  void fields(V& v) {
    v("product_id", product_id); v("sku", sku); v("name", name); v("category", category);
    v("image_url", image_url); v("cross_sell", cross_sell); v("price", price); v("cost", cost);
    v("min_stock", min_stock); v("active", active);
  }
};

// product.updated v1: the fields present changed; absent fields are unchanged.
struct product_updated {
  static constexpr std::string_view kType = "product.updated";
  static constexpr uint32_t kVersion = 1;
  std::string product_id;
  std::optional<std::string> sku, name, category, image_url, cross_sell;
  std::optional<int64_t> price, cost, min_stock;
  std::optional<bool> active;
  template <class V>
  void fields(V& v) {
    v("product_id", product_id); v("sku", sku); v("name", name); v("category", category);
    v("image_url", image_url); v("cross_sell", cross_sell); v("price", price); v("cost", cost);
    v("min_stock", min_stock); v("active", active);
  }
};

// warehouse.created v1. Stream "warehouse-<code>". Warehouse "main" exists implicitly.
struct warehouse_created {
  static constexpr std::string_view kType = "warehouse.created";
  static constexpr uint32_t kVersion = 1;
  std::string warehouse_id;  // short code: "main", "jakarta-2"
  std::string name;
  template <class V>
  void fields(V& v) { v("warehouse_id", warehouse_id); v("name", name); }
};

// stock.adjusted v1: on-hand change in one warehouse (receipt: positive, reason "received";
// count correction, damage: negative). Stream: the product id.
struct stock_adjusted {
  static constexpr std::string_view kType = "stock.adjusted";
  static constexpr uint32_t kVersion = 1;
  std::string product_id;
  std::string warehouse = "main";
  int64_t delta = 0;
  std::string reason;
  template <class V>
  void fields(V& v) {
    v("product_id", product_id); v("warehouse", warehouse); v("delta", delta); v("reason", reason);
  }
};

// stock.transferred v1: qty moved between warehouses. Stream: the product id.
struct stock_transferred {
  static constexpr std::string_view kType = "stock.transferred";
  static constexpr uint32_t kVersion = 1;
  std::string product_id;
  std::string from;
  std::string to;
  int64_t qty = 0;
  template <class V>
  void fields(V& v) { v("product_id", product_id); v("from", from); v("to", to); v("qty", qty); }
};

}  // namespace roms::events
