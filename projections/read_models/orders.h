// The orders read model (column family "orders").
//
// Key layout:
//   o/<order_id>                                → order_record (with its timeline)
//   t/<created_us:20>/<order_id>                → ""   all orders, by creation time
//   s/<status>/<created_us:20>/<order_id>       → ""   by status
//   c/<customer_id>/<created_us:20>/<order_id>  → ""   by customer
//   x/<channel>/<external_id>                   → order_id
//   n/<status>                                  → count of orders in that status (decimal)
//   i/<idempotency_key>                         → idempotency_record
// Lists are read newest first by reverse scans; a cursor is the last index key returned.
//
// Ordering: every event it folds is in the order's own stream, so one partition, in order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projections/projection.h"
#include "projections/read_models/records.h"

namespace roms::projections {

struct idempotency_record {
  std::string order_id;
  std::string request_hash;
  template <class V>
  void fields(V& v) { v("order_id", order_id); v("request_hash", request_hash); }
};

class orders_projection final : public projection {
 public:
  explicit orders_projection(bool single_partition = true) : single_(single_partition) {}
  std::string_view name() const override { return "orders"; }
  // 2: binary records (record_codec.h); 3: the order's status-change fields stored last
  uint32_t version() const override { return 3; }
  // Version 1 stored the same fields as JSON, which decodes by name; version 2's binary
  // records have another field order and would be misread.
  bool reads_stored_version(uint32_t v) const override { return v == 1; }
  // Order ids grow with time: a new order's o/ check needs no RocksDB read.
  std::vector<std::string> ascending_prefixes() const override { return {"o/"}; }
  bool wants(std::string_view type) const override;
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override;
  // The indexes: only queries read them.
  std::vector<std::string> write_only_prefixes() const override {
    return {"t/", "s/", "c/", "x/", "i/"};
  }
  // The by-status index moves with every status change: a rebuild writes it once, from the
  // orders (projection.h, derived_prefixes()).
  std::vector<std::string> derived_prefixes() const override { return {"s/"}; }
  std::string derived_from() const override { return "o/"; }
  result_msg<void> derive(std::string_view key, std::string_view value,
                          fold_context& ctx) const override;

 private:
  bool single_;
};

struct order_filter {
  std::string status;       // empty = any
  std::string customer_id;  // empty = any
  std::string channel;      // empty = any
  int64_t from_us = 0;      // inclusive; 0 = no bound
  int64_t to_us = 0;        // exclusive; 0 = no bound
  std::string q;            // case-insensitive substring of id, external id, name, phone
  size_t limit = 50;
  std::string cursor;       // from a previous page
};

struct order_page {
  std::vector<order_record> items;
  std::string next_cursor;  // empty = no more
};

namespace orders_query {
std::optional<order_record> get(const read_view& v, std::string_view order_id);
std::optional<std::string> get_stored(const read_view& v, std::string_view order_id);
std::optional<idempotency_record> by_idempotency_key(const read_view& v, std::string_view key);
std::optional<std::string> by_external_id(const read_view& v, std::string_view channel,
                                          std::string_view external_id);
order_page list(const read_view& v, const order_filter& f);
// Counts per status (for the dashboard).
std::vector<std::pair<std::string, int64_t>> count_by_status(const read_view& v);
}  // namespace orders_query

}  // namespace roms::projections
