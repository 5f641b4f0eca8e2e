#include "projections/read_models/automation.h"

#include <algorithm>
#include <charconv>

#include "core/automation.h"
#include "events/types/automation.h"
#include "events/types/messaging.h"
#include "events/types/order.h"
#include "events/types/system.h"
#include "projections/read_models/fold_util.h"
#include "projections/read_models/keys.h"

namespace roms::projections {
namespace {

constexpr int64_t kDayUs = 86'400'000'000LL;

struct sold_item {
  std::string product_id;
  int64_t qty = 0;
  template <class V>
  void fields(V& v) { v("product_id", product_id); v("qty", qty); }
};

// "so/<order_id>"
struct order_sales {
  int64_t day = 0;
  std::vector<sold_item> items;
  template <class V>
  void fields(V& v) { v("day", day); v("items", items); }
};

int64_t utc_day(int64_t us) { return us >= 0 ? us / kDayUs : (us - kDayUs + 1) / kDayUs; }

void add_int(fold_context& ctx, std::string_view k, int64_t delta) {
  int64_t n = load_int(ctx, k) + delta;
  if (n == 0) {
    ctx.del(k);
  } else {
    ctx.put(k, std::to_string(n));
  }
}

void bump_count(fold_context& ctx, std::string_view rule_id, int64_t reminder_counts::*field) {
  std::string k = key("rn", rule_id);
  auto c = load<reminder_counts>(ctx, k).value_or(reminder_counts{});
  c.*field += 1;
  store(ctx, k, c);
}

// ---------------------------------------------------------------- templates

result_msg<void> fold_template_saved(const events::stored_event& e, fold_context& ctx,
                                     const std::string& at) {
  BOOST_OUTCOME_TRY(auto t, decode_event<events::template_saved>(e));
  std::string k = key("t", t.template_id);
  template_record r;
  if (auto cur = load<template_record>(ctx, k)) {
    r = *cur;
    if (r.kind != t.kind) ctx.del(key("tk", r.kind, r.id));
  } else {
    r.id = t.template_id;
    r.builtin = t.template_id == kDefaultOrderConfirmationId;
    r.created_at = at;
  }
  r.name = t.name;
  r.kind = t.kind;
  r.body = t.body;
  r.wa_template_name = t.wa_template_name;
  r.wa_language = t.wa_language;
  r.updated_at = at;
  r.updated_us = to_micros(e.event.time);
  store(ctx, k, r);
  ctx.put(key("tk", r.kind, r.id), "");
  return success();
}

result_msg<void> fold_template_deleted(const events::stored_event& e, fold_context& ctx) {
  BOOST_OUTCOME_TRY(auto d, decode_event<events::template_deleted>(e));
  std::string k = key("t", d.template_id);
  if (auto cur = load<template_record>(ctx, k)) ctx.del(key("tk", cur->kind, cur->id));
  ctx.del(k);
  return success();
}

// ---------------------------------------------------------------- reminder rules

result_msg<void> fold_rule_saved(const events::stored_event& e, fold_context& ctx,
                                 const std::string& at) {
  BOOST_OUTCOME_TRY(auto s, decode_event<events::reminder_rule_saved>(e));
  std::string k = key("r", s.rule_id);
  reminder_rule_record r;
  bool was_on = false;
  if (auto cur = load<reminder_rule_record>(ctx, k)) {
    r = *cur;
    was_on = cur->enabled;
  } else {
    r.id = s.rule_id;
    r.created_at = at;
  }
  r.name = s.name;
  r.days_after_delivery = s.days_after_delivery;
  r.product_id = s.product_id;
  r.template_id = s.template_id;
  r.body = s.body;
  r.enabled = s.enabled;
  if (s.enabled && !was_on) r.enabled_since_us = to_micros(e.event.time);
  r.updated_at = at;
  store(ctx, k, r);
  return success();
}

result_msg<void> fold_rule_deleted(const events::stored_event& e, fold_context& ctx) {
  BOOST_OUTCOME_TRY(auto d, decode_event<events::reminder_rule_deleted>(e));
  ctx.del(key("r", d.rule_id));
  return success();
}

// ---------------------------------------------------------------- reminders

void unindex(fold_context& ctx, const reminder_record& m) {
  ctx.del(key("md", fixed20(m.due_us), m.reminder_id));
  ctx.del(key("mr", m.rule_id, m.reminder_id));
  ctx.del(key("mc", m.customer_id, m.reminder_id));
}

result_msg<void> fold_reminder_scheduled(const events::stored_event& e, fold_context& ctx) {
  BOOST_OUTCOME_TRY(auto s, decode_event<events::reminder_scheduled>(e));
  std::string k = key("m", s.reminder_id);
  auto cur = load<reminder_record>(ctx, k);
  if (cur && !cur->due_at.empty()) return success();  // already folded (one id per timer)
  reminder_record m = cur.value_or(reminder_record{});
  m.reminder_id = s.reminder_id;
  m.rule_id = s.rule_id;
  m.order_id = s.order_id;
  m.customer_id = s.customer_id;
  m.due_at = s.due_at;
  auto due = parse_rfc3339(s.due_at);
  m.due_us = due ? to_micros(*due) : to_micros(e.event.time);
  m.scheduled_us = to_micros(e.event.time);
  bump_count(ctx, m.rule_id, &reminder_counts::scheduled);
  if (m.state.empty()) {
    m.state = "scheduled";
    ctx.put(key("md", fixed20(m.due_us), m.reminder_id), "");
    ctx.put(key("mr", m.rule_id, m.reminder_id), "");
    ctx.put(key("mc", m.customer_id, m.reminder_id), "");
  }
  store(ctx, k, m);
  return success();
}

// Moves a reminder to a terminal state (fired or cancelled), creating a stub if its
// reminder.scheduled has not been folded yet.
void finish_reminder(fold_context& ctx, const std::string& reminder_id, const std::string& state,
                     const std::function<void(reminder_record&)>& fill) {
  std::string k = key("m", reminder_id);
  auto m = load<reminder_record>(ctx, k).value_or(reminder_record{});
  if (m.state == "fired" || m.state == "cancelled") return;  // terminal
  if (m.reminder_id.empty()) {
    m.reminder_id = reminder_id;
    auto colon = reminder_id.find(':');
    if (colon != std::string::npos) {
      m.rule_id = reminder_id.substr(0, colon);
      m.order_id = reminder_id.substr(colon + 1);
    }
  }
  if (m.state == "scheduled") unindex(ctx, m);
  m.state = state;
  fill(m);
  if (!m.rule_id.empty())
    bump_count(ctx, m.rule_id,
               state == "fired" ? &reminder_counts::sent : &reminder_counts::cancelled);
  store(ctx, k, m);
}

result_msg<void> fold_reminder_cancelled(const events::stored_event& e, fold_context& ctx) {
  BOOST_OUTCOME_TRY(auto c, decode_event<events::reminder_cancelled>(e));
  finish_reminder(ctx, c.reminder_id, "cancelled", [&](reminder_record& m) {
    m.reason = c.reason;
    if (m.order_id.empty()) m.order_id = c.order_id;
  });
  return success();
}

result_msg<void> fold_message_queued(const events::stored_event& e, fold_context& ctx,
                                     const std::string& at) {
  BOOST_OUTCOME_TRY(auto q, decode_event<events::message_queued>(e));
  constexpr std::string_view kPrefix = "reminder:";
  if (q.idempotency_key.rfind(kPrefix, 0) != 0) return success();
  std::string reminder_id = q.idempotency_key.substr(kPrefix.size());
  finish_reminder(ctx, reminder_id, "fired", [&](reminder_record& m) {
    m.message_id = q.message_id;
    m.fired_at = at;
  });
  return success();
}

// ---------------------------------------------------------------- alerts

void set_alert_state(fold_context& ctx, alert_record& a, const std::string& state) {
  if (!a.state.empty()) ctx.del(key("ax", a.state, fixed20(a.raised_us), a.id));
  a.state = state;
  ctx.put(key("ax", a.state, fixed20(a.raised_us), a.id), "");
}

result_msg<void> fold_alert_raised(const events::stored_event& e, fold_context& ctx,
                                   const std::string& at) {
  BOOST_OUTCOME_TRY(auto r, decode_event<events::alert_raised>(e));
  std::string k = key("a", r.alert_id);
  if (load<alert_record>(ctx, k)) return success();  // one raise per id
  alert_record a;
  a.id = r.alert_id;
  a.kind = r.kind;
  a.severity = r.severity;
  a.subject = r.subject;
  a.title = r.title;
  a.recommended_qty = r.recommended_qty;
  a.raised_at = at;
  a.raised_us = to_micros(e.event.time);
  set_alert_state(ctx, a, "open");
  store(ctx, k, a);
  ctx.put(key("as", a.kind, a.subject, a.id), "");
  add_int(ctx, key("ae", a.kind, a.subject), 1);
  return success();
}

result_msg<void> fold_alert_acknowledged(const events::stored_event& e, fold_context& ctx,
                                         const std::string& at) {
  BOOST_OUTCOME_TRY(auto r, decode_event<events::alert_acknowledged>(e));
  std::string k = key("a", r.alert_id);
  auto a = load<alert_record>(ctx, k);
  if (!a || a->acknowledged) return success();
  a->acknowledged = true;
  a->acknowledged_at = at;
  a->acknowledged_by = e.event.actor;
  if (a->state == "open") set_alert_state(ctx, *a, "acknowledged");
  store(ctx, k, *a);
  return success();
}

result_msg<void> fold_alert_resolved(const events::stored_event& e, fold_context& ctx,
                                     const std::string& at) {
  BOOST_OUTCOME_TRY(auto r, decode_event<events::alert_resolved>(e));
  std::string k = key("a", r.alert_id);
  auto a = load<alert_record>(ctx, k);
  if (!a || a->state == "resolved") return success();
  set_alert_state(ctx, *a, "resolved");
  a->resolved_at = at;
  a->resolve_reason = r.reason;
  ctx.del(key("as", a->kind, a->subject, a->id));
  store(ctx, k, *a);
  return success();
}

// ---------------------------------------------------------------- sales, switches

result_msg<void> fold_order_placed(const events::stored_event& e, fold_context& ctx) {
  BOOST_OUTCOME_TRY(auto o_ref, decode_shared<events::order_placed>(e));
  const events::order_placed& o = *o_ref;
  order_sales s;
  s.day = utc_day(to_micros(e.event.time));
  for (const auto& i : o.items) {
    if (i.product_id.empty() || i.qty <= 0) continue;
    s.items.push_back({i.product_id, i.qty});
    add_int(ctx, key("sd", i.product_id, fixed20(s.day)), i.qty);
  }
  if (!s.items.empty()) store(ctx, key("so", o.order_id), s);
  return success();
}

result_msg<void> fold_order_status(const events::stored_event& e, fold_context& ctx) {
  BOOST_OUTCOME_TRY(auto c_ref, decode_shared<events::order_status_changed>(e));
  const events::order_status_changed& c = *c_ref;
  if (c.to != "cancelled") return success();
  std::string k = key("so", c.order_id);
  auto s = load<order_sales>(ctx, k);
  if (!s) return success();
  for (const auto& i : s->items) add_int(ctx, key("sd", i.product_id, fixed20(s->day)), -i.qty);
  ctx.del(k);
  return success();
}

void fold_switch(fold_context& ctx, std::string_view name, const std::optional<bool>& value,
                 int64_t time_us) {
  if (!value) return;
  std::string k = key("sw", name);
  auto cur = load<switch_record>(ctx, k).value_or(switch_record{});
  if (cur.on == *value) return;
  cur.on = *value;
  if (cur.on) cur.since_us = time_us;
  store(ctx, k, cur);
}

result_msg<void> fold_settings(const events::stored_event& e, fold_context& ctx) {
  BOOST_OUTCOME_TRY(auto c, decode_event<events::settings_changed>(e));
  int64_t t = to_micros(e.event.time);
  fold_switch(ctx, "automation_thank_you", c.automation_thank_you, t);
  fold_switch(ctx, "automation_reminders", c.automation_reminders, t);
  fold_switch(ctx, "alerts_stock", c.alerts_stock, t);
  fold_switch(ctx, "alerts_pending", c.alerts_pending, t);
  return success();
}

// ---------------------------------------------------------------- query helpers

template <class T>
std::optional<T> load_view(const read_view& v, std::string_view k) {
  return load<T>(v, k);
}

// Scans keys under `prefix` after `cursor` (a full key), collecting up to limit+1 ids
// produced by `to_item`, newest first when `reverse`.
template <class T, class F>
list_page<T> page_of(const read_view& v, const std::string& prefix, const list_page_request& p,
                     bool reverse, F&& to_item) {
  list_page<T> out;
  std::string begin = prefix, end = prefix_end(prefix);
  if (!p.cursor.empty()) {
    if (p.cursor.rfind(prefix, 0) != 0) return out;
    if (reverse) {
      end = p.cursor;
    } else {
      begin = p.cursor + std::string(1, '\0');
    }
  }
  std::string last;
  v.scan(
      begin, end,
      [&](std::string_view k, std::string_view) {
        if (out.items.size() == p.limit) {
          out.next_cursor = last;
          return false;
        }
        if (auto item = to_item(k)) {
          out.items.push_back(std::move(*item));
          last.assign(k);
        }
        return true;
      },
      reverse);
  return out;
}

std::string_view after_last_slash(std::string_view k) { return k.substr(k.rfind('/') + 1); }

}  // namespace

bool automation_projection::wants(std::string_view t) const {
  return t == events::template_saved::kType || t == events::template_deleted::kType ||
         t == events::reminder_rule_saved::kType || t == events::reminder_rule_deleted::kType ||
         t == events::reminder_scheduled::kType || t == events::reminder_cancelled::kType ||
         t == events::message_queued::kType || t == events::alert_raised::kType ||
         t == events::alert_acknowledged::kType || t == events::alert_resolved::kType ||
         t == events::order_placed::kType || t == events::order_status_changed::kType ||
         t == events::settings_changed::kType;
}

result_msg<void> automation_projection::apply(const events::stored_event& e, fold_context& ctx) {
  const auto& type = e.event.type;
  const std::string at = format_rfc3339(e.event.time);
  if (type == events::template_saved::kType) return fold_template_saved(e, ctx, at);
  if (type == events::template_deleted::kType) return fold_template_deleted(e, ctx);
  if (type == events::reminder_rule_saved::kType) return fold_rule_saved(e, ctx, at);
  if (type == events::reminder_rule_deleted::kType) return fold_rule_deleted(e, ctx);
  if (type == events::reminder_scheduled::kType) return fold_reminder_scheduled(e, ctx);
  if (type == events::reminder_cancelled::kType) return fold_reminder_cancelled(e, ctx);
  if (type == events::message_queued::kType) return fold_message_queued(e, ctx, at);
  if (type == events::alert_raised::kType) return fold_alert_raised(e, ctx, at);
  if (type == events::alert_acknowledged::kType) return fold_alert_acknowledged(e, ctx, at);
  if (type == events::alert_resolved::kType) return fold_alert_resolved(e, ctx, at);
  if (type == events::order_placed::kType) return fold_order_placed(e, ctx);
  if (type == events::order_status_changed::kType) return fold_order_status(e, ctx);
  if (type == events::settings_changed::kType) return fold_settings(e, ctx);
  return success();
}

template_record default_order_confirmation() {
  template_record t;
  t.id = std::string(kDefaultOrderConfirmationId);
  t.name = std::string(kDefaultOrderConfirmationName);
  t.kind = "order_confirmation";
  t.body = std::string(kDefaultOrderConfirmationBody);
  t.builtin = true;
  return t;
}

namespace automation_query {

std::optional<template_record> get_template(const read_view& v, std::string_view id) {
  if (auto t = load_view<template_record>(v, key("t", id))) return t;
  if (id == kDefaultOrderConfirmationId) return default_order_confirmation();
  return std::nullopt;
}

list_page<template_record> templates(const read_view& v, std::string_view kind,
                                     const list_page_request& page) {
  // Templates are few: the whole list is read (the built-in default first while it is not
  // stored, then by id = creation order) and paged by the last id returned.
  std::vector<template_record> all;
  if (!v.get(key("t", kDefaultOrderConfirmationId)) &&
      (kind.empty() || kind == "order_confirmation"))
    all.push_back(default_order_confirmation());
  std::string prefix = kind.empty() ? std::string("t/") : key("tk", kind) + "/";
  v.scan(prefix, prefix_end(prefix), [&](std::string_view k, std::string_view) {
    if (auto t = load_view<template_record>(v, key("t", after_last_slash(k))))
      all.push_back(std::move(*t));
    return true;
  });
  list_page<template_record> out;
  size_t i = 0;
  if (!page.cursor.empty()) {
    while (i < all.size() && all[i].id != page.cursor) ++i;
    i = i < all.size() ? i + 1 : all.size();
  }
  for (; i < all.size(); ++i) {
    if (out.items.size() == page.limit) {
      out.next_cursor = out.items.back().id;
      break;
    }
    out.items.push_back(std::move(all[i]));
  }
  return out;
}

std::optional<template_record> template_for_kind(const read_view& v, std::string_view kind) {
  std::optional<template_record> best;
  std::string prefix = key("tk", kind) + "/";
  v.scan(prefix, prefix_end(prefix), [&](std::string_view k, std::string_view) {
    auto t = load_view<template_record>(v, key("t", after_last_slash(k)));
    if (t && (!best || t->updated_us >= best->updated_us)) best = std::move(t);
    return true;
  });
  if (!best && kind == "order_confirmation") best = get_template(v, kDefaultOrderConfirmationId);
  return best;
}

std::optional<reminder_rule_record> get_rule(const read_view& v, std::string_view id) {
  return load_view<reminder_rule_record>(v, key("r", id));
}

list_page<reminder_rule_record> rules(const read_view& v, const list_page_request& page) {
  return page_of<reminder_rule_record>(v, "r/", page, false, [&](std::string_view k) {
    return get_rule(v, after_last_slash(k));
  });
}

std::vector<reminder_rule_record> all_rules(const read_view& v) {
  std::vector<reminder_rule_record> out;
  v.scan("r/", prefix_end("r/"), [&](std::string_view, std::string_view val) {
    auto r = decode_record<reminder_rule_record>(val);
    if (r) out.push_back(std::move(r).value());
    return true;
  });
  return out;
}

reminder_counts rule_counts(const read_view& v, std::string_view rule_id) {
  return load_view<reminder_counts>(v, key("rn", rule_id)).value_or(reminder_counts{});
}

std::optional<reminder_record> get_reminder(const read_view& v, std::string_view id) {
  return load_view<reminder_record>(v, key("m", id));
}

std::vector<reminder_record> due_reminders(const read_view& v, int64_t until_us, size_t max) {
  std::vector<reminder_record> out;
  std::string end = key("md", fixed20(until_us + 1));
  v.scan("md/", end, [&](std::string_view k, std::string_view) {
    auto m = get_reminder(v, after_last_slash(k));
    if (m && m->state == "scheduled") out.push_back(std::move(*m));
    return out.size() < max;
  });
  return out;
}

namespace {
std::vector<reminder_record> scheduled_under(const read_view& v, const std::string& prefix) {
  std::vector<reminder_record> out;
  v.scan(prefix, prefix_end(prefix), [&](std::string_view k, std::string_view) {
    auto m = get_reminder(v, k.substr(prefix.size()));
    if (m && m->state == "scheduled") out.push_back(std::move(*m));
    return true;
  });
  return out;
}
}  // namespace

std::vector<reminder_record> scheduled_of_rule(const read_view& v, std::string_view rule_id) {
  return scheduled_under(v, key("mr", rule_id) + "/");
}

std::vector<reminder_record> scheduled_of_customer(const read_view& v,
                                                   std::string_view customer_id) {
  return scheduled_under(v, key("mc", customer_id) + "/");
}

std::optional<alert_record> get_alert(const read_view& v, std::string_view id) {
  return load_view<alert_record>(v, key("a", id));
}

list_page<alert_record> alerts(const read_view& v, std::string_view state,
                               const list_page_request& page) {
  if (!state.empty()) {
    return page_of<alert_record>(v, key("ax", state) + "/", page, true, [&](std::string_view k) {
      return get_alert(v, after_last_slash(k));
    });
  }
  // Open and acknowledged, newest first: merge the two indexes by raised time. Alerts that
  // are live are few, so both are read whole and merged.
  std::vector<std::pair<std::string, std::string>> keys;  // (raised_us/alert_id, full key)
  for (std::string_view s : {"open", "acknowledged"}) {
    std::string prefix = key("ax", s) + "/";
    v.scan(prefix, prefix_end(prefix), [&](std::string_view k, std::string_view) {
      keys.emplace_back(std::string(k.substr(prefix.size())), std::string(k));
      return true;
    });
  }
  std::sort(keys.begin(), keys.end(), [](auto& a, auto& b) { return a.first > b.first; });
  list_page<alert_record> out;
  for (const auto& [order_key, full] : keys) {
    if (!page.cursor.empty() && order_key >= page.cursor) continue;
    if (out.items.size() == page.limit) {
      out.next_cursor = out.items.empty() ? std::string() : fixed20(out.items.back().raised_us) +
                                                                "/" + out.items.back().id;
      break;
    }
    if (auto a = get_alert(v, after_last_slash(full))) out.items.push_back(std::move(*a));
  }
  return out;
}

std::vector<alert_record> live_alerts(const read_view& v, std::string_view kind,
                                      std::string_view subject) {
  std::vector<alert_record> out;
  std::string prefix = key("as", kind, subject) + "/";
  v.scan(prefix, prefix_end(prefix), [&](std::string_view k, std::string_view) {
    if (auto a = get_alert(v, k.substr(prefix.size()))) out.push_back(std::move(*a));
    return true;
  });
  return out;
}

int64_t alert_episodes(const read_view& v, std::string_view kind, std::string_view subject) {
  auto s = v.get(key("ae", kind, subject));
  return s ? parse_i64(*s) : 0;
}

int64_t units_sold(const read_view& v, std::string_view product_id, int64_t from_day,
                   int64_t to_day) {
  int64_t n = 0;
  std::string prefix = key("sd", product_id) + "/";
  v.scan(prefix + fixed20(from_day), prefix + fixed20(to_day + 1),
         [&](std::string_view, std::string_view val) {
           n += parse_i64(val);
           return true;
         });
  return n;
}

switch_record automation_switch(const read_view& v, std::string_view name) {
  return load_view<switch_record>(v, key("sw", name)).value_or(switch_record{});
}

}  // namespace automation_query

}  // namespace roms::projections
