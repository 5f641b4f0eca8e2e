#include "projections/read_models/customers.h"

#include <algorithm>
#include <cctype>

#include "core/segments.h"
#include "core/settings.h"
#include "events/types/customer.h"
#include "events/types/order.h"
#include "events/types/system.h"
#include "projections/read_models/fold_util.h"
#include "projections/read_models/keys.h"

namespace roms::projections {
namespace {

constexpr int64_t kDay = 86'400'000'000LL;

struct customer_order {
  std::string customer_id;
  int64_t total = 0;
  std::string currency;
  int64_t time_us = 0;
  bool counted = true;
  template <class V>
  void fields(V& v) {
    v("customer_id", customer_id);
    v("total", total);
    v("currency", currency);
    v("time_us", time_us);
    v("counted", counted);
  }
};

int64_t load_now(fold_context& ctx) { return load_int(ctx, "meta/now"); }

// Segments and the next due time for `c` at `now`.
void evaluate(customer_record& c, const shop_settings& s, int64_t now) {
  customer_totals t{c.order_count, c.total_spent, c.first_seen_us, c.last_order_us};
  auto segs = segments_of(t, s, now);
  c.segments.clear();
  for (auto g : segs) c.segments.emplace_back(segment_name(g));
  // The next instant at which a time-based segment flips.
  int64_t due = 0;
  auto consider = [&](int64_t t) {
    if (t > now && (due == 0 || t < due)) due = t;
  };
  consider(c.first_seen_us + s.new_member_days * kDay);  // stops being new
  if (c.last_order_us) consider(c.last_order_us + s.inactive_after_days * kDay + 1);  // inactive
  c.due_us = due;
}

// Adds (customers, orders, revenue) to the customer's city; removes the row when it empties.
void add_geo(fold_context& ctx, const customer_record& c, int64_t customers, int64_t orders,
             int64_t revenue) {
  if (c.city.empty() && c.province.empty()) return;
  if (customers == 0 && orders == 0 && revenue == 0) return;
  std::string k = key("geo", c.province, c.city);
  auto g = load<geo_record>(ctx, k).value_or(geo_record{c.province, c.city});
  g.customers += customers;
  g.orders += orders;
  g.revenue += revenue;
  if (g.customers == 0 && g.orders == 0 && g.revenue == 0) {
    ctx.del(k);
  } else {
    store(ctx, k, g);
  }
}

// Moves the index entry `prefix/<old>/<id>` to `prefix/<new>/<id>` ("" = no entry). Writes
// nothing when the part did not change: a fold batch writes every key it touches.
void move_index(fold_context& ctx, std::string_view prefix, const std::string& id,
                const std::string& old_part, const std::string& new_part) {
  if (old_part == new_part) return;
  if (!old_part.empty()) ctx.del(key(prefix, old_part, id));
  if (!new_part.empty()) ctx.put(key(prefix, new_part, id), "");
}

// Writes `c` and moves the index entries that changed since `old`.
void save(fold_context& ctx, const std::optional<customer_record>& old, const customer_record& c) {
  const std::string& id = c.id;
  static const customer_record kNone;
  const customer_record& o = old ? *old : kNone;
  // Segment membership and the rankings: a rebuild writes them from the records (derive()).
  if (!ctx.deferring("g/")) {
    for (const auto& s : o.segments) {
      if (std::find(c.segments.begin(), c.segments.end(), s) == c.segments.end())
        ctx.del(key("g", s, id));
    }
    for (const auto& s : c.segments) {
      if (std::find(o.segments.begin(), o.segments.end(), s) == o.segments.end())
        ctx.put(key("g", s, id), "");
    }
  }
  // The rankings always hold an entry; due/ only while a time-based segment can still flip.
  if ((!old || o.total_spent != c.total_spent) && !ctx.deferring("ts/"))
    move_index(ctx, "ts", id, old ? fixed20(o.total_spent) : "", fixed20(c.total_spent));
  if ((!old || o.order_count != c.order_count) && !ctx.deferring("tc/"))
    move_index(ctx, "tc", id, old ? fixed20(o.order_count) : "", fixed20(c.order_count));
  if (o.due_us != c.due_us)
    move_index(ctx, "due", id, o.due_us ? fixed20(o.due_us) : "", c.due_us ? fixed20(c.due_us) : "");
  if (o.phone != c.phone) {
    if (!o.phone.empty()) ctx.del(key("p", o.phone));
    if (!c.phone.empty()) ctx.put(key("p", c.phone), id);
  }
  if (old && o.city == c.city && o.province == c.province) {
    add_geo(ctx, c, 0, c.order_count - o.order_count, c.total_spent - o.total_spent);
  } else {
    if (old) add_geo(ctx, o, -1, -o.order_count, -o.total_spent);
    add_geo(ctx, c, 1, c.order_count, c.total_spent);
  }
  store(ctx, key("c", id), c);
}

customer_record fresh(std::string_view id) {
  customer_record c;
  c.id = std::string(id);
  return c;
}

// Recomputes first/last order from the counted orders.
void recompute_order_span(fold_context& ctx, customer_record& c) {
  std::string p = key("co", c.id) + "/";
  c.first_order_us = 0;
  c.last_order_us = 0;
  ctx.scan(p, prefix_end(p), [&](std::string_view k, std::string_view) {
    auto rest = k.substr(p.size());
    int64_t t = std::stoll(std::string(rest.substr(0, 20)));
    if (c.first_order_us == 0) c.first_order_us = t;
    c.last_order_us = t;
    return true;
  });
}

// An order counted at `t`: the span grows to include it. The same answer as
// recompute_order_span() (min and max over the counted orders) without scanning every order
// of the customer, which grew with the customer's history on the hot path.
void extend_order_span(customer_record& c, int64_t t) {
  if (c.first_order_us == 0 || t < c.first_order_us) c.first_order_us = t;
  if (t > c.last_order_us) c.last_order_us = t;
}

}  // namespace

bool customers_projection::wants(std::string_view t) const {
  return t == events::customer_registered::kType || t == events::customer_renamed::kType ||
         t == events::customer_updated::kType || t == events::order_placed::kType ||
         t == events::order_status_changed::kType || t == events::settings_changed::kType ||
         t == events::clock_ticked::kType;
}

result_msg<void> customers_projection::apply(const events::stored_event& e, fold_context& ctx) {
  const auto& type = e.event.type;
  const int64_t t = to_micros(e.event.time);
  int64_t now = load_now(ctx);
  if (t > now) {
    now = t;
    ctx.put("meta/now", std::to_string(now));
  }
  // Read when needed: most events (status changes other than cancellations) never do.
  std::optional<shop_settings> loaded;
  auto settings = [&]() -> shop_settings& {
    if (!loaded) loaded = load_shop_settings(ctx);
    return *loaded;
  };

  auto update = [&](std::string_view id, auto&& mutate) {
    auto old = load<customer_record>(ctx, key("c", id));
    customer_record c = old ? *old : fresh(id);
    if (!old) c.first_seen_us = t;
    mutate(c);
    evaluate(c, settings(), now);
    save(ctx, old, c);
  };

  if (type == events::customer_registered::kType) {
    BOOST_OUTCOME_TRY(auto r, decode_event<events::customer_registered>(e));
    update(r.customer_id, [&](customer_record& c) {
      c.registered = true;
      c.phone = r.phone;
      c.phone_valid = r.phone_valid;
      if (!r.name.empty() || c.name.empty()) c.name = r.name;
      if (!r.email.empty()) c.email = r.email;
      if (!r.city.empty()) c.city = r.city;
      if (!r.province.empty()) c.province = r.province;
      c.first_seen_us = std::min(c.first_seen_us, t);
    });
  } else if (type == events::customer_renamed::kType) {
    BOOST_OUTCOME_TRY(auto r, decode_event<events::customer_renamed>(e));
    update(r.customer_id, [&](customer_record& c) { c.name = r.name; });
  } else if (type == events::customer_updated::kType) {
    BOOST_OUTCOME_TRY(auto u, decode_event<events::customer_updated>(e));
    update(u.customer_id, [&](customer_record& c) {
      if (u.email) c.email = *u.email;
      if (u.city) c.city = *u.city;
      if (u.province) c.province = *u.province;
    });
  } else if (type == events::order_placed::kType) {
    BOOST_OUTCOME_TRY(auto p_ref, decode_shared<events::order_placed>(e));
    const events::order_placed& p = *p_ref;
    if (p.customer_id.empty() || ctx.contains(key("o", p.order_id))) return success();
    customer_order co{p.customer_id, p.total, p.currency, t, true};
    store(ctx, key("o", p.order_id), co);
    ctx.put(key("co", p.customer_id, fixed20(t), p.order_id), "");
    update(p.customer_id, [&](customer_record& c) {
      c.order_count += 1;
      if (p.currency == settings().currency) {
        c.total_spent += p.total;
      } else {
        c.orders_other_currency += 1;
      }
      if (t < c.first_seen_us) c.first_seen_us = t;
      if (c.name.empty()) c.name = p.customer.name;
      if (c.phone.empty()) c.phone = p.customer.phone;
      if (c.city.empty()) c.city = p.customer.city;
      if (c.province.empty()) c.province = p.customer.province;
      extend_order_span(c, t);
    });
  } else if (type == events::order_status_changed::kType) {
    BOOST_OUTCOME_TRY(auto s_ref, decode_shared<events::order_status_changed>(e));
    const events::order_status_changed& s = *s_ref;
    if (s.to != "cancelled") return success();
    std::string ok = key("o", s.order_id);
    auto co = load<customer_order>(ctx, ok);
    if (!co || !co->counted) return success();
    co->counted = false;
    store(ctx, ok, *co);
    ctx.del(key("co", co->customer_id, fixed20(co->time_us), s.order_id));
    update(co->customer_id, [&](customer_record& c) {
      c.order_count -= 1;
      if (co->currency == settings().currency) {
        c.total_spent -= co->total;
      } else {
        c.orders_other_currency -= 1;
      }
      recompute_order_span(ctx, c);
    });
  } else if (type == events::settings_changed::kType) {
    BOOST_OUTCOME_TRY(auto s, decode_event<events::settings_changed>(e));
    const shop_settings before = settings();
    shop_settings next = before;
    next.apply(s);
    store(ctx, "meta/settings", next.to_event());
    bool thresholds = next.big_spender_min_spend != before.big_spender_min_spend ||
                      next.loyal_min_orders != before.loyal_min_orders ||
                      next.inactive_after_days != before.inactive_after_days ||
                      next.new_member_days != before.new_member_days;
    settings() = next;
    if (thresholds) {
      std::vector<std::string> ids;
      ctx.scan("c/", prefix_end("c/"), [&](std::string_view k, std::string_view) {
        ids.emplace_back(k.substr(2));
        return true;
      });
      for (const auto& id : ids) update(id, [](customer_record&) {});
    }
  } else if (type == events::clock_ticked::kType) {
    // Customers whose time-based segments flip at or before now. A due time is always later
    // than the `now` it was computed at, and a tick handles every entry up to `now` (which is
    // at least the tick's own time), so no entry at or before the latest tick time folded so
    // far remains (meta/due_done): the scan starts after it instead of walking, on every tick,
    // the tombstones of every entry earlier ticks moved (at 10M events that walk dominated).
    // The marker is the latest tick *time*, not `now`: a max over the ticks, so it is the same
    // whatever order partitions interleave in (the digest must not depend on it).
    auto done = ctx.peek("meta/due_done");
    const int64_t done_us = done ? parse_i64(*done) : -1;
    std::vector<std::string> due;
    ctx.scan("due/" + fixed20(done_us + 1), "due/" + fixed20(now + 1),
             [&](std::string_view k, std::string_view) {
               due.emplace_back(k.substr(k.rfind('/') + 1));
               return true;
             });
    for (const auto& id : due) update(id, [](customer_record&) {});
    if (t > done_us) ctx.put("meta/due_done", std::to_string(t));
  }
  return success();
}

result_msg<void> customers_projection::derive(std::string_view k, std::string_view value,
                                              fold_context& ctx) const {
  const std::string_view id = k.substr(2);  // c/<customer_id>
  auto c = decode_record_fields<customer_record>(value);
  if (!c) return error_info{make_error_code(errc::corruption), "unreadable customer record"};
  // What save() keeps: every customer in both rankings, and in each of its segments.
  for (const auto& s : c->segments) ctx.put(key("g", s, id), "");
  ctx.put(key("ts", fixed20(c->total_spent), id), "");
  ctx.put(key("tc", fixed20(c->order_count), id), "");
  return success();
}

namespace customers_query {

std::optional<customer_record> get(const read_view& v, std::string_view id) {
  return load<customer_record>(v, key("c", id));
}

std::optional<std::string> by_phone(const read_view& v, std::string_view e164) {
  return v.get(key("p", e164));
}

customer_page list(const read_view& v, const customer_filter& f) {
  std::string prefix = f.segment.empty() ? "c/" : key("g", f.segment) + "/";
  std::string end = prefix_end(prefix);
  if (!f.cursor.empty() && f.cursor.rfind(prefix, 0) == 0 && f.cursor < end) end = f.cursor;
  size_t limit = std::clamp<size_t>(f.limit, 1, 500);
  customer_page page;
  std::string last;
  v.scan(
      prefix, end,
      [&](std::string_view k, std::string_view val) {
        std::optional<customer_record> c;
        if (f.segment.empty()) {
          auto r = decode_record<customer_record>(val);
          if (r) c = std::move(r).value();
        } else {
          c = get(v, k.substr(prefix.size()));
        }
        if (!c) return true;
        if (!f.city.empty() && !iequals(c->city, f.city)) return true;
        if (!f.q.empty() && !icontains(c->name, f.q) && !icontains(c->phone, f.q) &&
            !icontains(c->email, f.q))
          return true;
        if (page.items.size() == limit) {
          page.next_cursor = last;
          return false;
        }
        page.items.push_back(std::move(*c));
        last = std::string(k);
        return true;
      },
      /*reverse=*/true);
  return page;
}

std::vector<customer_record> top(const read_view& v, std::string_view by, size_t limit) {
  std::string prefix = by == "spend" ? "ts/" : "tc/";
  std::vector<customer_record> out;
  v.scan(
      prefix, prefix_end(prefix),
      [&](std::string_view k, std::string_view) {
        if (auto c = get(v, k.substr(k.rfind('/') + 1))) {
          if (c->order_count > 0) out.push_back(std::move(*c));
        }
        return out.size() < limit;
      },
      /*reverse=*/true);
  return out;
}

std::vector<geo_record> geo(const read_view& v) {
  std::vector<geo_record> out;
  v.scan("geo/", prefix_end("geo/"), [&](std::string_view, std::string_view val) {
    if (auto g = decode_record<geo_record>(val)) out.push_back(std::move(g).value());
    return true;
  });
  return out;
}

}  // namespace customers_query
}  // namespace roms::projections
