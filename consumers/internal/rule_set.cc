#include "consumers/internal/rule_set.h"

#include <algorithm>
#include <set>

#include "consumers/derived_id.h"
#include "core/automation.h"
#include "core/phone.h"
#include "events/payload.h"
#include "events/types.h"

namespace roms::consumers::internal {
namespace {

constexpr int64_t kMinuteUs = 60'000'000LL;
constexpr int64_t kDayUs = 86'400'000'000LL;
constexpr int64_t kLeadTimeDays = 7;
constexpr int64_t kSalesWindowDays = 30;

constexpr std::string_view kThankYou = "thank_you";
constexpr std::string_view kReminder = "reminder";
constexpr std::string_view kCriticalStock = "critical_stock";
constexpr std::string_view kPendingOrder = "pending_order";

int64_t utc_day(int64_t us) { return us >= 0 ? us / kDayUs : (us - kDayUs + 1) / kDayUs; }

template <class T>
result_msg<T> decode(const events::stored_event& e) {
  auto r = events::decode_payload<T>(e.event.payload);
  if (!r) {
    return error_info{r.error().code, "rules: event at " + events::to_string(e.position, false) +
                                          " (" + e.event.type + "): " + r.error().message};
  }
  return r;
}

// The envelope of an event a rule emits about `cause`. Its id is derived from `key` (the
// idempotency key of what it stands for), so emitting it again appends nothing. Its time is
// the cause's time: the output of a rule is a function of its input, on replay too.
template <class T>
events::envelope emit(const events::stored_event& cause, std::string_view rule,
                      std::string_view key, std::string stream, const T& payload) {
  events::envelope e;
  e.id = derived_event_id(std::string(T::kType) + ":" + std::string(key));
  e.type = std::string(T::kType);
  e.version = T::kVersion;
  e.stream = std::move(stream);
  e.time = cause.event.time;
  e.actor = "rule:" + std::string(rule);
  e.correlation_id =
      cause.event.correlation_id.empty() ? cause.event.id : cause.event.correlation_id;
  e.causation_id = cause.event.id;
  e.payload = events::encode_payload(payload);
  return e;
}

// A switch (settings) is on now and was already on when the event happened.
bool switched_on(const rule_views& v, bool on_now, std::string_view name, int64_t at_us) {
  return on_now && v.automation_switch(name).since_us <= at_us;
}

struct recipient {
  std::string phone;
  std::string name;
};

// The customer's E.164 phone and display name: the customer read model first (renames), the
// order's own snapshot otherwise. Empty phone: none usable.
recipient recipient_of(const rule_views& v, std::string_view customer_id,
                       const events::order_customer& snapshot) {
  recipient r;
  auto c = customer_id.empty() ? std::nullopt : v.customer(customer_id);
  // A record made from an order before its customer.registered (registered=false) holds the
  // phone as typed on the order: normalise that instead.
  if (c && c->registered && c->phone_valid && !c->phone.empty()) r.phone = c->phone;
  if (c && !c->name.empty() && c->name != c->phone) r.name = c->name;
  if (r.phone.empty() && !snapshot.phone.empty()) {
    auto n = normalize_phone(snapshot.phone);
    if (n.valid) r.phone = n.value;
  }
  if (r.name.empty() && snapshot.name != snapshot.phone) r.name = snapshot.name;
  return r;
}

std::string item_name(const rule_views& v, const events::order_item& i) {
  if (!i.name.empty()) return i.name;
  if (!i.product_id.empty())
    if (auto p = v.product(i.product_id); p && !p->name.empty()) return p->name;
  return i.sku;
}

// {product_name}: the items' names joined; {recommendation}: the first item with a catalog
// product, its cross-sell text.
void describe_items(const rule_views& v, const std::vector<events::order_item>& items,
                    template_values& out) {
  std::vector<std::string> names;
  bool have_recommendation = false;
  for (const auto& i : items) {
    std::string n = item_name(v, i);
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    if (!have_recommendation && !i.product_id.empty()) {
      if (auto p = v.product(i.product_id)) {
        out.recommendation = p->cross_sell;
        have_recommendation = true;
      }
    }
  }
  for (size_t k = 0; k < names.size(); ++k) {
    if (k > 0) out.product_name += ", ";
    out.product_name += names[k];
  }
}

events::message_queued message_from(const projections::template_record* tpl, std::string_view body,
                                    const template_values& values) {
  events::message_queued q;
  auto r = render_template(body, values);
  q.body = std::move(r.text);
  if (tpl) {
    q.template_id = tpl->id;
    if (!tpl->wa_template_name.empty()) {
      q.wa_template = events::wa_template_ref{tpl->wa_template_name,
                                              tpl->wa_language.empty() ? "id" : tpl->wa_language,
                                              std::move(r.params)};
    }
  }
  return q;
}

events::envelope queue_message(const events::stored_event& cause, std::string_view rule,
                               events::message_queued q, std::string idempotency_key) {
  q.message_id = derived_id("msg", idempotency_key);
  q.idempotency_key = std::move(idempotency_key);
  std::string stream = q.message_id;
  std::string key = q.idempotency_key;
  return emit(cause, rule, key, std::move(stream), q);
}

// ---------------------------------------------------------------- thank you

void thank_you(const events::stored_event& e, const events::order_placed& o, const rule_views& v,
               rule_result& out) {
  const auto s = v.settings();
  const int64_t at = to_micros(e.event.time);
  if (!switched_on(v, s.automation_thank_you, "automation_thank_you", at)) {
    out.skipped.push_back({std::string(kThankYou), "switched_off"});
    return;
  }
  recipient to = recipient_of(v, o.customer_id, o.customer);
  if (to.phone.empty()) {
    out.skipped.push_back(
        {std::string(kThankYou), o.customer.phone.empty() ? "phone_missing" : "phone_invalid"});
    return;
  }
  auto tpl = v.template_for_kind("order_confirmation");
  template_values values;
  values.name = to.name;
  values.order_id = o.order_id;
  values.total = format_money(o.total, o.currency);
  values.shop_name = s.shop_name;
  describe_items(v, o.items, values);
  auto q = message_from(tpl ? &*tpl : nullptr,
                        tpl ? std::string_view(tpl->body) : kDefaultOrderConfirmationBody, values);
  q.customer_id = o.customer_id;
  q.to = to.phone;
  q.kind = "thank_you";
  q.cause = o.order_id;
  out.events.push_back(queue_message(e, kThankYou, std::move(q), "thank_you:" + o.order_id));
}

// ---------------------------------------------------------------- reminders

std::vector<events::order_item> matching_items(const projections::reminder_rule_record& rule,
                                               const projections::order_record& o) {
  std::vector<events::order_item> out;
  for (const auto& i : o.items)
    if (rule.product_id.empty() || i.product_id == rule.product_id) out.push_back(i);
  return out;
}

void cancel_reminder(const events::stored_event& e, const projections::reminder_record& r,
                     std::string reason, rule_result& out) {
  events::reminder_cancelled c{r.reminder_id, r.order_id, std::move(reason)};
  out.events.push_back(emit(e, kReminder, r.reminder_id, r.order_id, c));
}

void schedule_reminders(const events::stored_event& e, const events::order_status_changed& c,
                        const rule_views& v, rule_result& out) {
  const int64_t at = to_micros(e.event.time);
  if (!switched_on(v, v.settings().automation_reminders, "automation_reminders", at)) {
    out.skipped.push_back({std::string(kReminder), "switched_off"});
    return;
  }
  auto o = v.order(c.order_id);
  if (!o) {
    out.skipped.push_back({std::string(kReminder), "order_unknown"});
    return;
  }
  // Orders the customer placed since this delivery: a re-order evaluated before it (another
  // partition, or read models ahead of the event) means no reminder, the same outcome as a
  // re-order cancelling it afterwards.
  std::set<std::string> reordered;
  if (!o->customer_id.empty())
    for (const auto& later : v.customer_orders_since(o->customer_id, at))
      if (later.id != o->id)
        for (const auto& i : later.items)
          if (!i.product_id.empty()) reordered.insert(i.product_id);
  for (const auto& rule : v.reminder_rules()) {
    // Only deliveries that happen while the rule is on: a rule saved (or switched on) today
    // says nothing about yesterday's deliveries.
    if (!rule.enabled || rule.enabled_since_us > at) continue;
    auto items = matching_items(rule, *o);
    if (items.empty()) continue;
    const bool moot = std::any_of(items.begin(), items.end(), [&](const events::order_item& i) {
      return reordered.count(i.product_id) > 0;
    });
    if (moot) {
      out.skipped.push_back({std::string(kReminder), "reordered"});
      continue;
    }
    events::reminder_scheduled s;
    s.reminder_id = rule.id + ":" + o->id;
    s.rule_id = rule.id;
    s.order_id = o->id;
    s.customer_id = o->customer_id;
    s.due_at = format_rfc3339(from_micros(at + rule.days_after_delivery * kDayUs));
    out.events.push_back(emit(e, kReminder, s.reminder_id, o->id, s));
  }
}

// The products a scheduled reminder is about: its rule's product, or its order's products.
std::set<std::string> reminder_products(const rule_views& v,
                                        const projections::reminder_record& r) {
  std::set<std::string> out;
  auto rule = v.reminder_rule(r.rule_id);
  if (rule && !rule->product_id.empty()) {
    out.insert(rule->product_id);
    return out;
  }
  if (auto o = v.order(r.order_id))
    for (const auto& i : o->items)
      if (!i.product_id.empty()) out.insert(i.product_id);
  return out;
}

// A new order of a product a scheduled reminder is about, by the same customer, cancels it:
// the customer has already re-ordered, and the new order gets its own reminder once it is
// delivered.
void cancel_on_reorder(const events::stored_event& e, const events::order_placed& o,
                       const rule_views& v, rule_result& out) {
  if (o.customer_id.empty()) return;
  std::set<std::string> bought;
  for (const auto& i : o.items)
    if (!i.product_id.empty()) bought.insert(i.product_id);
  if (bought.empty()) return;
  const int64_t at = to_micros(e.event.time);
  for (const auto& r : v.scheduled_of_customer(o.customer_id)) {
    if (r.order_id == o.order_id || r.scheduled_us > at) continue;  // later than this order
    auto about = reminder_products(v, r);
    bool overlap = std::any_of(about.begin(), about.end(),
                               [&](const std::string& p) { return bought.count(p) > 0; });
    if (overlap) cancel_reminder(e, r, "reordered", out);
  }
}

void cancel_for_rule(const events::stored_event& e, const std::string& rule_id,
                     const std::string& reason, const rule_views& v, rule_result& out) {
  const int64_t at = to_micros(e.event.time);
  for (const auto& r : v.scheduled_of_rule(rule_id))
    if (r.scheduled_us <= at) cancel_reminder(e, r, reason, out);
}

void fire_due_reminders(const events::stored_event& e, const rule_views& v, rule_result& out) {
  const int64_t now = to_micros(e.event.time);
  auto due = v.due_reminders(now);
  if (due.empty()) return;
  const auto s = v.settings();
  for (const auto& r : due) {
    auto rule = v.reminder_rule(r.rule_id);
    if (!rule) {
      cancel_reminder(e, r, "rule_deleted", out);
      continue;
    }
    // Off now, or switched on only after this tick (the read models may be ahead of it).
    if (!rule->enabled || rule->enabled_since_us > now) {
      cancel_reminder(e, r, "rule_disabled", out);
      continue;
    }
    if (!switched_on(v, s.automation_reminders, "automation_reminders", now)) {
      // Reminders due while the switch is off are dropped, so switching it on again never
      // sends a burst about the past.
      cancel_reminder(e, r, "switched_off", out);
      out.skipped.push_back({std::string(kReminder), "switched_off"});
      continue;
    }
    auto o = v.order(r.order_id);
    if (!o) {
      cancel_reminder(e, r, "order_unknown", out);
      out.skipped.push_back({std::string(kReminder), "order_unknown"});
      continue;
    }
    recipient to = recipient_of(v, o->customer_id, o->customer);
    if (to.phone.empty()) {
      cancel_reminder(e, r, "phone_invalid", out);
      out.skipped.push_back({std::string(kReminder), "phone_invalid"});
      continue;
    }
    std::optional<projections::template_record> tpl;
    if (!rule->template_id.empty()) tpl = v.message_template(rule->template_id);
    std::string_view body = tpl                   ? std::string_view(tpl->body)
                            : !rule->body.empty() ? std::string_view(rule->body)
                                                  : kDefaultReminderBody;
    template_values values;
    values.name = to.name;
    values.order_id = o->id;
    values.total = format_money(o->total, o->currency);
    values.tracking_number = o->tracking_number;
    values.shop_name = s.shop_name;
    auto items = matching_items(*rule, *o);
    if (items.empty()) items = o->items;  // the rule's product changed since: the order's
    describe_items(v, items, values);
    auto q = message_from(tpl ? &*tpl : nullptr, body, values);
    q.customer_id = o->customer_id;
    q.to = to.phone;
    q.kind = "reminder";
    q.cause = r.reminder_id;
    out.events.push_back(queue_message(e, kReminder, std::move(q), "reminder:" + r.reminder_id));
  }
}

// ---------------------------------------------------------------- alerts

void raise(const events::stored_event& e, std::string_view rule, std::string key,
           events::alert_raised a, rule_result& out) {
  std::string stream = "alert-" + a.alert_id;
  out.events.push_back(emit(e, rule, key, std::move(stream), a));
}

void resolve(const events::stored_event& e, std::string_view rule,
             const projections::alert_record& a, std::string reason, rule_result& out) {
  events::alert_resolved r{a.id, std::move(reason)};
  out.events.push_back(emit(e, rule, a.id, "alert-" + a.id, r));
}

void check_stock(const events::stored_event& e, const std::string& product_id, const rule_views& v,
                 rule_result& out) {
  if (product_id.empty()) return;
  auto p = v.product(product_id);
  if (!p || !p->defined) return;
  const bool below = p->active && p->available < p->min_stock;
  auto live = v.live_alerts(kCriticalStock, product_id);
  if (!below) {
    for (const auto& a : live)
      resolve(e, kCriticalStock, a, p->active ? "restocked" : "inactive", out);
    return;
  }
  if (!live.empty()) return;  // this episode is already raised
  const int64_t at = to_micros(e.event.time);
  if (!switched_on(v, v.settings().alerts_stock, "alerts_stock", at)) {
    out.skipped.push_back({std::string(kCriticalStock), "switched_off"});
    return;
  }
  const int64_t episode = v.alert_episodes(kCriticalStock, product_id) + 1;
  const int64_t today = utc_day(at);
  const int64_t sold = v.units_sold(product_id, today - (kSalesWindowDays - 1), today);
  events::alert_raised a;
  a.alert_id = stock_alert_id(product_id, episode);
  a.kind = std::string(kCriticalStock);
  a.severity = "red";
  a.subject = product_id;
  a.recommended_qty = recommended_purchase(sold, p->min_stock, p->available);
  a.title = "Stok kritis: " + (p->name.empty() ? p->id : p->name) +
            (p->sku.empty() ? "" : " (" + p->sku + ")") + " tersisa " +
            std::to_string(p->available) + ", minimum " + std::to_string(p->min_stock) +
            ". Saran beli " + std::to_string(a.recommended_qty) + " unit.";
  raise(e, kCriticalStock,
        std::string(kCriticalStock) + ":" + product_id + ":" + std::to_string(episode), a, out);
}

// Whether the rules may act on this order: placed live (at or after the origin), not by a
// historical actor. The orders read model keeps the placing event's position and actor as the
// first timeline entry.
bool placed_forward(const projections::order_record& o, const rule_scope& scope) {
  if (o.timeline.empty()) return false;
  const auto& first = o.timeline.front();
  if (historical_actor(first.actor)) return false;
  auto pos = events::parse_position(first.position);
  if (!pos) return false;
  auto part = static_cast<size_t>(pos->partition);
  int64_t origin = part < scope.origin.size() ? scope.origin[part] : 0;
  return pos->offset >= origin;
}

std::string duration_text(int64_t minutes) {
  if (minutes % 60 == 0) return std::to_string(minutes / 60) + " jam";
  return std::to_string(minutes) + " menit";
}

void check_pending(const events::stored_event& e, const rule_views& v, const rule_scope& scope,
                   rule_result& out) {
  const auto s = v.settings();
  const int64_t now = to_micros(e.event.time);
  if (!switched_on(v, s.alerts_pending, "alerts_pending", now)) return;
  const int64_t warn = std::max<int64_t>(s.pending_warn_minutes, 1) * kMinuteUs;
  const int64_t critical = std::max<int64_t>(s.pending_critical_minutes, 1) * kMinuteUs;
  for (const auto& o : v.pending_orders(now - std::min(warn, critical))) {
    if (!placed_forward(o, scope)) continue;
    const int64_t age = now - o.created_us;
    const std::string who = recipient_of(v, o.customer_id, o.customer).name;
    const std::string red_id = pending_alert_id(o.id, "red");
    const std::string yellow_id = pending_alert_id(o.id, "yellow");
    auto make = [&](std::string severity, std::string id, int64_t minutes) {
      events::alert_raised a;
      a.alert_id = std::move(id);
      a.kind = std::string(kPendingOrder);
      a.severity = std::move(severity);
      a.subject = o.id;
      a.title = "Pesanan " + o.id + (who.empty() ? "" : " dari " + who) +
                " belum diproses lebih dari " + duration_text(minutes);
      return a;
    };
    if (age > critical) {
      if (!v.alert(red_id)) {
        raise(e, kPendingOrder, std::string(kPendingOrder) + ":" + o.id + ":red",
              make("red", red_id, s.pending_critical_minutes), out);
      }
      if (auto y = v.alert(yellow_id); y && y->state != "resolved")
        resolve(e, kPendingOrder, *y, "escalated", out);
    } else if (age > warn && !v.alert(yellow_id) && !v.alert(red_id)) {
      raise(e, kPendingOrder, std::string(kPendingOrder) + ":" + o.id + ":yellow",
            make("yellow", yellow_id, s.pending_warn_minutes), out);
    }
  }
}

}  // namespace

bool rules_want(std::string_view t) {
  return t == events::order_placed::kType || t == events::order_status_changed::kType ||
         t == events::stock_adjusted::kType || t == events::stock_transferred::kType ||
         t == events::product_defined::kType || t == events::product_updated::kType ||
         t == events::clock_ticked::kType || t == events::reminder_rule_saved::kType ||
         t == events::reminder_rule_deleted::kType;
}

bool historical_actor(std::string_view actor) {
  return actor == "demo" || actor == "import" || actor.rfind("import:", 0) == 0;
}

int64_t recommended_purchase(int64_t units_last_30_days, int64_t min_stock, int64_t available) {
  const int64_t sold = std::max<int64_t>(units_last_30_days, 0);
  const int64_t lead = (sold * kLeadTimeDays + kSalesWindowDays - 1) / kSalesWindowDays;
  return std::max<int64_t>(lead + (min_stock - available), 1);
}

std::string pending_alert_id(std::string_view order_id, std::string_view severity) {
  return derived_id("alr", std::string(kPendingOrder) + ":" + std::string(order_id) + ":" +
                               std::string(severity));
}

std::string stock_alert_id(std::string_view product_id, int64_t episode) {
  return derived_id("alr", std::string(kCriticalStock) + ":" + std::string(product_id) + ":" +
                               std::to_string(episode));
}

result_msg<rule_result> evaluate(const events::stored_event& e, const rule_views& v,
                                 const rule_scope& scope) {
  rule_result out;
  auto part = static_cast<size_t>(e.position.partition);
  if (part < scope.origin.size() && e.position.offset < scope.origin[part]) return out;
  if (historical_actor(e.event.actor) || e.event.actor.rfind("rule:", 0) == 0) return out;
  const auto& type = e.event.type;

  if (type == events::order_placed::kType) {
    BOOST_OUTCOME_TRY(auto o, decode<events::order_placed>(e));
    thank_you(e, o, v, out);
    cancel_on_reorder(e, o, v, out);
    std::set<std::string> products;
    for (const auto& i : o.items) products.insert(i.product_id);
    for (const auto& p : products) check_stock(e, p, v, out);
  } else if (type == events::order_status_changed::kType) {
    BOOST_OUTCOME_TRY(auto c, decode<events::order_status_changed>(e));
    if (c.to == "delivered") schedule_reminders(e, c, v, out);
    if (c.from == "pending" && c.to != "pending") {
      for (const auto& a : v.live_alerts(kPendingOrder, c.order_id))
        resolve(e, kPendingOrder, a, c.to == "cancelled" ? "cancelled" : "processed", out);
    }
    if (auto o = v.order(c.order_id)) {
      std::set<std::string> products;
      for (const auto& i : o->items) products.insert(i.product_id);
      for (const auto& p : products) check_stock(e, p, v, out);
    }
  } else if (type == events::stock_adjusted::kType) {
    BOOST_OUTCOME_TRY(auto s, decode<events::stock_adjusted>(e));
    check_stock(e, s.product_id, v, out);
  } else if (type == events::stock_transferred::kType) {
    BOOST_OUTCOME_TRY(auto s, decode<events::stock_transferred>(e));
    check_stock(e, s.product_id, v, out);
  } else if (type == events::product_defined::kType) {
    BOOST_OUTCOME_TRY(auto p, decode<events::product_defined>(e));
    check_stock(e, p.product_id, v, out);
  } else if (type == events::product_updated::kType) {
    BOOST_OUTCOME_TRY(auto p, decode<events::product_updated>(e));
    check_stock(e, p.product_id, v, out);
  } else if (type == events::clock_ticked::kType) {
    fire_due_reminders(e, v, out);
    check_pending(e, v, scope, out);
  } else if (type == events::reminder_rule_saved::kType) {
    BOOST_OUTCOME_TRY(auto r, decode<events::reminder_rule_saved>(e));
    if (!r.enabled) cancel_for_rule(e, r.rule_id, "rule_disabled", v, out);
  } else if (type == events::reminder_rule_deleted::kType) {
    BOOST_OUTCOME_TRY(auto r, decode<events::reminder_rule_deleted>(e));
    cancel_for_rule(e, r.rule_id, "rule_deleted", v, out);
  }
  return out;
}

}  // namespace roms::consumers::internal
