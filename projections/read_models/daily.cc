#include "projections/read_models/daily.h"

#include <chrono>
#include <cstdio>

#include "events/types/customer.h"
#include "events/types/order.h"
#include "events/types/system.h"
#include "projections/read_models/fold_util.h"
#include "projections/read_models/keys.h"

namespace roms::projections {
namespace {

struct order_day {
  std::string date;
  int64_t total = 0;
  int64_t items = 0;
  bool counts_revenue = true;
  bool cancelled = false;
  template <class V>
  void fields(V& v) {
    v("date", date); v("total", total); v("items", items); v("counts_revenue", counts_revenue);
    v("cancelled", cancelled);
  }
};

std::string day_of(const events::stored_event& e, const shop_settings& s) {
  int32_t off = 7 * 3600;
  zone_offset_seconds(s.time_zone, off);  // unknown zones keep WIB
  return local_date(to_micros(e.event.time), off);
}

template <class F>
void update_day(fold_context& ctx, const std::string& date, F&& f) {
  std::string k = key("d", date);
  auto d = load<daily_record>(ctx, k).value_or(daily_record{date});
  f(d);
  store(ctx, k, d);
}

}  // namespace

bool daily_projection::wants(std::string_view t) const {
  return t == events::order_placed::kType || t == events::order_status_changed::kType ||
         t == events::customer_registered::kType || t == events::settings_changed::kType;
}

result_msg<void> daily_projection::apply(const events::stored_event& e, fold_context& ctx) {
  const auto& type = e.event.type;
  shop_settings s = load_shop_settings(ctx);
  if (type == events::settings_changed::kType) {
    BOOST_OUTCOME_TRY(auto c, decode_event<events::settings_changed>(e));
    s.apply(c);
    store(ctx, "meta/settings", s.to_event());
  } else if (type == events::customer_registered::kType) {
    update_day(ctx, day_of(e, s), [](daily_record& d) { d.new_customers += 1; });
  } else if (type == events::order_placed::kType) {
    BOOST_OUTCOME_TRY(auto o_ref, decode_shared<events::order_placed>(e));
    const events::order_placed& o = *o_ref;
    std::string ok = key("o", o.order_id);
    if (ctx.contains(ok)) return success();
    order_day od{day_of(e, s), o.total, 0, o.currency == s.currency, false};
    for (const auto& it : o.items) od.items += it.qty;
    store(ctx, ok, od);
    update_day(ctx, od.date, [&](daily_record& d) {
      d.orders += 1;
      d.items_sold += od.items;
      if (od.counts_revenue) d.revenue += od.total;
    });
  } else if (type == events::order_status_changed::kType) {
    BOOST_OUTCOME_TRY(auto c_ref, decode_shared<events::order_status_changed>(e));
    const events::order_status_changed& c = *c_ref;
    if (c.to != "cancelled") return success();
    std::string ok = key("o", c.order_id);
    auto od = load<order_day>(ctx, ok);
    if (!od || od->cancelled) return success();
    od->cancelled = true;
    store(ctx, ok, *od);
    update_day(ctx, od->date, [&](daily_record& d) {
      d.orders -= 1;
      d.cancelled += 1;
      d.items_sold -= od->items;
      if (od->counts_revenue) d.revenue -= od->total;
    });
  }
  return success();
}

namespace daily_query {

std::optional<daily_record> day(const read_view& v, std::string_view date) {
  return load<daily_record>(v, key("d", date));
}

std::vector<daily_record> range(const read_view& v, std::string_view from, std::string_view to) {
  using namespace std::chrono;
  std::vector<daily_record> out;
  auto parse = [](std::string_view s, sys_days& d) {
    int y = 0;
    unsigned m = 0, dd = 0;
    if (std::sscanf(std::string(s).c_str(), "%d-%u-%u", &y, &m, &dd) != 3) return false;
    year_month_day ymd{year{y}, month{m}, std::chrono::day{dd}};
    if (!ymd.ok()) return false;
    d = sys_days{ymd};
    return true;
  };
  sys_days a, b;
  if (!parse(from, a) || !parse(to, b) || b < a || (b - a).count() > 3660) return out;
  for (auto d = a; d <= b; d += days{1}) {
    std::string date = local_date(duration_cast<microseconds>(d.time_since_epoch()).count(), 0);
    out.push_back(day(v, date).value_or(daily_record{date}));
  }
  return out;
}

shop_settings settings(const read_view& v) {
  shop_settings s;
  if (auto c = load<events::settings_changed>(v, "meta/settings")) s.apply(*c);
  return s;
}

}  // namespace daily_query
}  // namespace roms::projections
