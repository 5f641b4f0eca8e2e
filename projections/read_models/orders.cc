#include "projections/read_models/orders.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <type_traits>

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
  if (!ctx.deferring("s/")) ctx.put(key("s", o.status, t, o.id), "");
  if (!o.customer_id.empty()) ctx.put(key("c", o.customer_id, t, o.id), "");
}

// A stored order (record_codec.h binary form) split where its status-change tail begins
// (records.h: status, tracking_number, courier, updated_at, timeline, in that order). Views
// into the stored bytes.
struct stored_order {
  std::string_view head;  // the format byte and every field before status, as stored
  int64_t created_us = 0;
  std::string_view status;
  std::string_view tracking_number;
  std::string_view courier;
  uint64_t timeline_size = 0;
  std::string_view timeline_entries;  // the encoded entries, as stored
};

// Walks an order_record's fields up to status: skips each, reads created_us.
struct head_walker {
  record_detail::reader& r;
  stored_order& so;
  bool at_tail = false;
  template <class T>
  void operator()(std::string_view name, T&) {
    if (r.bad || at_tail) return;
    if (name == "status") {
      at_tail = true;
      return;
    }
    if constexpr (std::is_same_v<T, int64_t>) {
      if (name == "created_us") {
        record_detail::read(r, so.created_us);
        return;
      }
    }
    record_detail::skip<T>(r);
  }
};

// nullopt for a value that is not of this binary form (the JSON of older stores).
std::optional<stored_order> split_stored(std::string_view bytes) {
  if (bytes.empty() || bytes.front() != kRecordFormat) return std::nullopt;
  record_detail::reader r{bytes.data() + 1, bytes.data() + bytes.size()};
  stored_order so;
  order_record shape;
  head_walker w{r, so};
  shape.fields(w);
  if (r.bad || !w.at_tail) return std::nullopt;
  so.head = bytes.substr(0, static_cast<size_t>(r.p - bytes.data()));
  so.status = r.bytes(r.varint());
  so.tracking_number = r.bytes(r.varint());
  so.courier = r.bytes(r.varint());
  r.bytes(r.varint());  // updated_at: replaced
  so.timeline_size = r.varint();
  if (r.bad) return std::nullopt;
  so.timeline_entries = std::string_view(r.p, static_cast<size_t>(r.end - r.p));
  return so;
}

void put_text(std::string& out, std::string_view s) {
  record_detail::put_varint(out, s.size());
  out.append(s);
}

// The stored order after a status change: the head and the earlier timeline entries copied as
// bytes, the tail written anew with `te` appended. The same bytes encode_record() gives for
// the decoded record so changed (orders_test checks).
std::string patch_status(const stored_order& so, std::string_view status,
                         std::string_view tracking_number, std::string_view courier,
                         std::string_view updated_at, const timeline_entry& te) {
  std::string out;
  out.reserve(so.head.size() + so.timeline_entries.size() + status.size() +
              tracking_number.size() + courier.size() + updated_at.size() + 96);
  out.append(so.head);
  put_text(out, status);
  put_text(out, tracking_number);
  put_text(out, courier);
  put_text(out, updated_at);
  record_detail::put_varint(out, so.timeline_size + 1);
  out.append(so.timeline_entries);
  record_detail::write(out, te);
  return out;
}

void move_status(fold_context& ctx, std::string_view id, int64_t created_us,
                 const std::string& from, const std::string& to) {
  bump(ctx, from, -1);
  bump(ctx, to, 1);
  if (ctx.deferring("s/")) return;  // a rebuild writes it from the record (derive())
  std::string t = fixed20(created_us);
  ctx.del(key("s", from, t, id));
  ctx.put(key("s", to, t, id), "");
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
  auto cur = ctx.peek(ok);
  if (!cur) return success();  // unknown order (an ops-appended event): nothing to fold into
  te.status = c.to;
  te.note = c.note;
  if (auto so = split_stored(*cur)) {
    // The common case: rewrite the tail only. Everything read from `cur` is used before the
    // next write (a write may move the engine's copy).
    std::string value = patch_status(
        *so, c.to, c.tracking_number.empty() ? so->tracking_number : c.tracking_number,
        c.courier.empty() ? so->courier : c.courier, te.at, te);
    std::string from(so->status);
    int64_t created_us = so->created_us;
    if (from != c.to) move_status(ctx, c.order_id, created_us, from, c.to);
    // A delivered or cancelled order moves no further: caches keep the open ones instead.
    if (c.to == "delivered" || c.to == "cancelled") {
      ctx.put_cold(ok, value);
    } else {
      ctx.put(ok, value);
    }
    return success();
  }
  auto o = load<order_record>(ctx, ok);  // the JSON of an older store
  if (!o) return success();
  if (o->status != c.to) {
    move_status(ctx, o->id, o->created_us, o->status, c.to);
    o->status = c.to;
  }
  if (!c.tracking_number.empty()) o->tracking_number = c.tracking_number;
  if (!c.courier.empty()) o->courier = c.courier;
  o->updated_at = te.at;
  o->timeline.push_back(std::move(te));
  store(ctx, ok, *o);
  return success();
}

result_msg<void> orders_projection::derive(std::string_view k, std::string_view value,
                                           fold_context& ctx) const {
  const std::string_view id = k.substr(2);  // o/<order_id>
  auto so = split_stored(value);
  std::optional<order_record> o;  // the JSON of an older store
  if (!so && !(o = decode_record<order_record>(value)))
    return error_info{make_error_code(errc::corruption), "unreadable order record"};
  // What index_put() and move_status() keep: the order under its current status.
  ctx.put(key("s", so ? so->status : o->status, fixed20(so ? so->created_us : o->created_us), id),
          "");
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
