// The daily stats read model (column family "daily"): per calendar day in the shop's time
// zone (Asia/Jakarta by default): orders, revenue, cancellations, items sold, new customers.
// Also the shop settings as folded (GET /api/v1/settings reads them here).
//
// Key layout:
//   d/<YYYY-MM-DD>     → daily_record
//   o/<order_id>       → the order's day, total and currency (to undo on cancel)
//   meta/settings      → shop settings (settings.changed folded over the defaults)
//
// An order counts on the day it was placed; a cancellation removes it from that day and adds
// to that day's "cancelled". Revenue counts the shop currency only. Changing the time zone
// applies to events folded afterwards (a rebuild re-buckets everything).
//
// Convergence: every figure is a sum, keyed by the order's own placement time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/settings.h"
#include "projections/projection.h"
#include "projections/read_models/records.h"

namespace roms::projections {

class daily_projection final : public projection {
 public:
  std::string_view name() const override { return "daily"; }
  uint32_t version() const override { return 2; }  // 2: binary records (record_codec.h)
  // Version 1 stored the same records as JSON, which still decodes (record_codec.h).
  bool reads_stored_version(uint32_t v) const override { return v == 1; }
  // Order ids grow with time: a new order's o/ check needs no RocksDB read.
  std::vector<std::string> ascending_prefixes() const override { return {"o/"}; }
  bool wants(std::string_view type) const override;
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override;
};

namespace daily_query {
std::optional<daily_record> day(const read_view& v, std::string_view date);
// Days in [from, to] inclusive ("YYYY-MM-DD"), missing days filled with zeros.
std::vector<daily_record> range(const read_view& v, std::string_view from, std::string_view to);
shop_settings settings(const read_view& v);
}  // namespace daily_query

}  // namespace roms::projections
