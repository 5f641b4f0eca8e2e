#include "projections/read_models/orders.h"

#include <algorithm>
#include <cctype>

#include "events/types/order.h"
#include "projections/read_models/fold_util.h"
#include "projections/read_models/keys.h"

namespace roms::projections {

bool orders_projection::wants(std::string_view type) const {
  return type == events::order_placed::kType || type == events::order_status_changed::kType;
}

namespace {

void bump(fold_context& ctx, std::string_view status, int64_t d) {
  std::string k = key("n", status);
  ctx.put(k, std::to_string(load_int(ctx, k) + d));
}

void index_put(fold_context& ctx, const order_record& o) {
  std::string t = fixed20(o.created_us);
  ctx.put(key("t", t, o.id), "");
  ctx.put(key("s", o.status, t, o.id), "");
  if (!o.customer_id.empty()) ctx.put(key("c", o.customer_id, t, o.id), "");
}

}  // namespace

result_msg<void> orders_projection::apply(const events::stored_event& e, fold_context& ctx) {
  timeline_entry te;
  te.position = events::to_string(e.position, single_);
  te.type = e.event.type;
  te.at = format_rfc3339(e.event.time);
  te.actor = e.event.actor;

  if (e.event.type == events::order_placed::kType) {
    BOOST_OUTCOME_TRY(auto p_ref, decode_shared<events::order_placed>(e));
    const events::order_placed& p = *p_ref;
    std::string ok = key("o", p.order_id);
    if (ctx.contains(ok)) return success();  // placed twice: the first one stands
    order_record o;
    o.id = p.order_id;
    o.external_id = p.external_id;
    o.channel = p.channel;
    o.status = "pending";
    o.customer_id = p.customer_id;
    o.customer = std::move(p.customer);
    o.items = std::move(p.items);
    o.total = p.total;
    o.currency = p.currency;
    o.payment = std::move(p.payment);
    o.note = p.note;
    o.warehouse = p.warehouse;
    o.flags = std::move(p.flags);
    o.created_at = te.at;
    o.updated_at = te.at;
    o.created_us = to_micros(e.event.time);
    te.status = o.status;
    te.note = o.note;
    o.timeline.push_back(std::move(te));
    store(ctx, ok, o);
    index_put(ctx, o);
    bump(ctx, o.status, 1);
    if (!o.external_id.empty()) ctx.put(key("x", o.channel, o.external_id), o.id);
    if (!p.idempotency_key.empty())
      store(ctx, key("i", p.idempotency_key), idempotency_record{o.id, p.request_hash});
    return success();
  }

  BOOST_OUTCOME_TRY(auto c_ref, decode_shared<events::order_status_changed>(e));
  const events::order_status_changed& c = *c_ref;
  std::string ok = key("o", c.order_id);
  auto o = load<order_record>(ctx, ok);
  if (!o) return success();  // unknown order (an ops-appended event): nothing to fold into
  if (o->status != c.to) {
    ctx.del(key("s", o->status, fixed20(o->created_us), o->id));
    bump(ctx, o->status, -1);
    bump(ctx, c.to, 1);
    o->status = c.to;
    ctx.put(key("s", o->status, fixed20(o->created_us), o->id), "");
  }
  if (!c.tracking_number.empty()) o->tracking_number = c.tracking_number;
  if (!c.courier.empty()) o->courier = c.courier;
  o->updated_at = te.at;
  te.status = c.to;
  te.note = c.note;
  o->timeline.push_back(std::move(te));
  store(ctx, ok, *o);
  return success();
}

namespace orders_query {

std::optional<order_record> get(const read_view& v, std::string_view order_id) {
  return load<order_record>(v, key("o", order_id));
}

std::optional<std::string> get_stored(const read_view& v, std::string_view order_id) {
  return v.get(key("o", order_id));
}

std::optional<idempotency_record> by_idempotency_key(const read_view& v, std::string_view k) {
  return load<idempotency_record>(v, key("i", k));
}

std::optional<std::string> by_external_id(const read_view& v, std::string_view channel,
                                          std::string_view external_id) {
  return v.get(key("x", channel, external_id));
}

order_page list(const read_view& v, const order_filter& f) {
  // Pick the narrowest index; the time bounds apply to its time component.
  std::string prefix;
  if (!f.customer_id.empty()) {
    prefix = key("c", f.customer_id) + "/";
  } else if (!f.status.empty()) {
    prefix = key("s", f.status) + "/";
  } else {
    prefix = "t/";
  }
  std::string begin = prefix + (f.from_us ? fixed20(f.from_us) : "");
  std::string end = f.to_us ? prefix + fixed20(f.to_us) : prefix_end(prefix);
  if (!f.cursor.empty() && f.cursor.rfind(prefix, 0) == 0 && f.cursor < end) end = f.cursor;
  size_t limit = std::clamp<size_t>(f.limit, 1, 500);

  order_page page;
  std::string last_key;
  v.scan(
      begin, end,
      [&](std::string_view k, std::string_view) {
        auto slash = k.rfind('/');
        auto id = k.substr(slash + 1);
        auto o = get(v, id);
        if (!o) return true;
        if (!f.status.empty() && o->status != f.status) return true;
        if (!f.channel.empty() && o->channel != f.channel) return true;
        if (!f.q.empty() && !icontains(o->id, f.q) && !icontains(o->external_id, f.q) &&
            !icontains(o->customer.name, f.q) && !icontains(o->customer.phone, f.q))
          return true;
        if (page.items.size() == limit) {
          page.next_cursor = last_key;  // there is at least one more
          return false;
        }
        page.items.push_back(std::move(*o));
        last_key = std::string(k);
        return true;
      },
      /*reverse=*/true);
  return page;
}

std::vector<std::pair<std::string, int64_t>> count_by_status(const read_view& v) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const char* s : {"pending", "processed", "shipped", "delivered", "cancelled"}) {
    auto n = v.get(key("n", s));
    out.emplace_back(s, n ? std::stoll(*n) : 0);
  }
  return out;
}

}  // namespace orders_query
}  // namespace roms::projections
