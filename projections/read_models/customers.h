// The customers read model (column family "customers"): profiles, totals and segments.
//
// Key layout:
//   c/<customer_id>                        → customer_record
//   p/<phone>                              → customer_id
//   g/<segment>/<customer_id>              → ""  segment membership
//   ts/<total_spent:20>/<customer_id>      → ""  ranking by spend
//   tc/<order_count:20>/<customer_id>      → ""  ranking by order count
//   geo/<province>/<city>                  → geo_record (customers, orders, revenue)
//   o/<order_id>                           → customer_order (what the order contributed)
//   co/<customer_id>/<time_us:20>/<order_id> → ""  the customer's counted orders
//   due/<time_us:20>/<customer_id>         → ""  when its time-based segments next change
//   meta/settings, meta/now                → folded settings; the latest event time seen
//   meta/due_done                          → the latest clock tick time folded (due entries at
//                                            or before it were all handled by a tick)
//
// Time: "now" is the latest event time folded (clock.ticked moves it each minute). Inactive
// and New Member change when a tick passes a customer's due time; never from the wall clock.
//
// Convergence across partitions (Kafka): a customer's orders live in other streams than the
// customer. Totals are sums, first/last order are min/max over the counted orders, now is a
// max, and segments are re-evaluated whenever any input changes, so the final state does not
// depend on how partitions interleave. An order that arrives before its customer.registered
// creates the record (registered=false) and registration fills the profile in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projections/projection.h"
#include "projections/read_models/records.h"

namespace roms::projections {

struct geo_record {
  std::string province;
  std::string city;
  int64_t customers = 0;
  int64_t orders = 0;
  int64_t revenue = 0;
  template <class V>
  void fields(V& v) {
    v("province", province); v("city", city); v("customers", customers); v("orders", orders);
    v("revenue", revenue);
  }
};

class customers_projection final : public projection {
 public:
  std::string_view name() const override { return "customers"; }
  // 2: binary records (record_codec.h); 3: the formatted times and the primary segment are no
  // longer stored (customer_record::after_decode()).
  uint32_t version() const override { return 3; }
  // Version 1 stored the records as JSON, which decodes by name (the extra keys are ignored);
  // version 2's binary records have fields this one does not.
  bool reads_stored_version(uint32_t v) const override { return v == 1; }
  bool wants(std::string_view type) const override;
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override;
  // Ticks scan due/, cancellations co/<customer>/ (settings changes scan c/: rare, unlisted).
  std::vector<std::string> scanned_prefixes() const override { return {"due/", "co/"}; }
  // Order and customer ids grow with time: a new order's o/ check and a new customer's first
  // load need no RocksDB read.
  std::vector<std::string> ascending_prefixes() const override { return {"o/", "c/"}; }
  // The phone index, segment membership and the rankings: only queries read them.
  std::vector<std::string> write_only_prefixes() const override {
    return {"p/", "g/", "ts/", "tc/"};
  }
  // Segment membership and the rankings move with every order: a rebuild writes them once,
  // from the customers (projection.h, derived_prefixes()).
  std::vector<std::string> derived_prefixes() const override { return {"g/", "ts/", "tc/"}; }
  std::string derived_from() const override { return "c/"; }
  result_msg<void> derive(std::string_view key, std::string_view value,
                          fold_context& ctx) const override;
};

struct customer_filter {
  std::string segment;  // big_spender | loyal | inactive | new_member | regular
  std::string q;        // substring of name, phone, email (case-insensitive)
  std::string city;     // exact, case-insensitive
  size_t limit = 50;
  std::string cursor;
};

struct customer_page {
  std::vector<customer_record> items;
  std::string next_cursor;
};

namespace customers_query {
std::optional<customer_record> get(const read_view& v, std::string_view customer_id);
std::optional<std::string> by_phone(const read_view& v, std::string_view e164);
customer_page list(const read_view& v, const customer_filter& f);
// Top customers by "orders" or "spend".
std::vector<customer_record> top(const read_view& v, std::string_view by, size_t limit);
std::vector<geo_record> geo(const read_view& v);
}  // namespace customers_query

}  // namespace roms::projections
