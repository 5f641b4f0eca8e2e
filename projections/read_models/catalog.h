// The catalog read model (column family "catalog"): products and stock per warehouse.
//
// Key layout:
//   p/<product_id>                 → product_record (totals over all warehouses)
//   sku/<sku>                      → product_id
//   s/<product_id>/<warehouse>     → stock_record (on hand, reserved)
//   w/<warehouse_id>               → warehouse_record (id, name); "main" always exists
//   low/<product_id>               → ""  available < min_stock ("Perlu Restok")
//   r/<order_id>                   → reservation (what the order holds, and its state)
//
// Reservations: order.placed reserves each catalog item in the order's warehouse;
// order.status_changed to shipped/delivered turns the reservation into an on-hand decrease,
// to cancelled releases it (cancel after shipping changes nothing: goods come back through a
// return). Available = on hand − reserved, and may go negative only for backorders, which
// core flags when it accepts them.
//
// Convergence across partitions: product and order events are in different streams. Every
// stock figure is a sum of deltas, so the final values do not depend on the interleaving; a
// product mentioned by stock moves before its product.defined gets a stub (defined=false)
// that the definition fills in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projections/projection.h"
#include "projections/read_models/records.h"

namespace roms::projections {

struct warehouse_record {
  std::string id;
  std::string name;
  template <class V>
  void fields(V& v) { v("id", id); v("name", name); }
};

class catalog_projection final : public projection {
 public:
  std::string_view name() const override { return "catalog"; }
  uint32_t version() const override { return 2; }  // 2: binary records (record_codec.h)
  // Version 1 stored the same records as JSON, which still decodes (record_codec.h).
  bool reads_stored_version(uint32_t v) const override { return v == 1; }
  bool wants(std::string_view type) const override;
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override;
  // The restock list and the SKU index: only queries read them.
  std::vector<std::string> write_only_prefixes() const override { return {"low/", "sku/"}; }
  // Order ids grow with time: a new order's reservation check needs no RocksDB read.
  std::vector<std::string> ascending_prefixes() const override { return {"r/"}; }
};

struct product_filter {
  std::string category;
  std::string q;
  int64_t min_price = -1;
  int64_t max_price = -1;
  bool in_stock_only = false;
  bool active_only = false;
  size_t limit = 50;
  std::string cursor;
};

struct product_page {
  std::vector<product_record> items;
  std::string next_cursor;
};

namespace catalog_query {
std::optional<product_record> get(const read_view& v, std::string_view product_id);
std::optional<std::string> by_sku(const read_view& v, std::string_view sku);
product_page list(const read_view& v, const product_filter& f);
std::vector<stock_record> stock_of(const read_view& v, std::string_view product_id);
// Stock rows, optionally one warehouse and/or only products below their minimum.
std::vector<stock_record> stock(const read_view& v, std::string_view warehouse, bool below_min);
std::vector<product_record> below_min(const read_view& v);
std::vector<warehouse_record> warehouses(const read_view& v);
}  // namespace catalog_query

}  // namespace roms::projections
