#include "commands/write_model.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/automation.h"
#include "core/order_status.h"
#include "events/payload.h"
#include "events/types.h"
#include "projections/read_models/automation.h"

namespace roms::commands {
namespace {

template <class T>
result_msg<void> decode_into(const events::envelope& e, T& out) {
  auto r = events::decode_payload<T>(e.payload);
  if (!r)
    return error_info{r.error().code,
                      "write model: event " + e.id + " (" + e.type + "): " + r.error().message};
  out = std::move(r).value();
  return success();
}

}  // namespace

// ------------------------------------------------------------------------------ folding

void write_model::apply(const events::any_event& e) {
  std::visit([this](const auto& p) { on(p); }, e);
}

bool write_model::wants(std::string_view t) {
  return t == events::product_defined::kType || t == events::product_updated::kType ||
         t == events::warehouse_created::kType || t == events::stock_adjusted::kType ||
         t == events::stock_transferred::kType || t == events::customer_registered::kType ||
         t == events::customer_renamed::kType || t == events::customer_updated::kType ||
         t == events::order_placed::kType || t == events::order_status_changed::kType ||
         t == events::settings_changed::kType || t == events::template_saved::kType ||
         t == events::template_deleted::kType || t == events::reminder_rule_saved::kType ||
         t == events::reminder_rule_deleted::kType || t == events::alert_raised::kType ||
         t == events::alert_acknowledged::kType || t == events::alert_resolved::kType;
}

result_msg<void> write_model::apply_logged(const events::envelope& e) {
  auto fold = [&]<class T>(std::type_identity<T>) -> result_msg<void> {
    T p;
    BOOST_OUTCOME_TRY(decode_into(e, p));
    on(p);
    return success();
  };
  const std::string_view t = e.type;
  if (t == events::order_placed::kType) return fold(std::type_identity<events::order_placed>{});
  if (t == events::customer_registered::kType)
    return fold(std::type_identity<events::customer_registered>{});
  if (t == events::order_status_changed::kType)
    return fold(std::type_identity<events::order_status_changed>{});
  if (t == events::stock_adjusted::kType) return fold(std::type_identity<events::stock_adjusted>{});
  if (t == events::stock_transferred::kType)
    return fold(std::type_identity<events::stock_transferred>{});
  if (t == events::product_defined::kType)
    return fold(std::type_identity<events::product_defined>{});
  if (t == events::product_updated::kType)
    return fold(std::type_identity<events::product_updated>{});
  if (t == events::warehouse_created::kType)
    return fold(std::type_identity<events::warehouse_created>{});
  if (t == events::customer_renamed::kType)
    return fold(std::type_identity<events::customer_renamed>{});
  if (t == events::customer_updated::kType)
    return fold(std::type_identity<events::customer_updated>{});
  if (t == events::settings_changed::kType)
    return fold(std::type_identity<events::settings_changed>{});
  if (t == events::template_saved::kType) return fold(std::type_identity<events::template_saved>{});
  if (t == events::template_deleted::kType)
    return fold(std::type_identity<events::template_deleted>{});
  if (t == events::reminder_rule_saved::kType)
    return fold(std::type_identity<events::reminder_rule_saved>{});
  if (t == events::reminder_rule_deleted::kType)
    return fold(std::type_identity<events::reminder_rule_deleted>{});
  if (t == events::alert_raised::kType) return fold(std::type_identity<events::alert_raised>{});
  if (t == events::alert_acknowledged::kType)
    return fold(std::type_identity<events::alert_acknowledged>{});
  if (t == events::alert_resolved::kType) return fold(std::type_identity<events::alert_resolved>{});
  return success();
}

std::string write_model::pair_key(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + 1 + b.size());
  k.append(a).push_back('\0');
  k.append(b);
  return k;
}

std::string_view write_model::string_arena::copy(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > kBlock / 4) {  // a long one gets an allocation of its own
    auto& own = big_.emplace_back(std::make_unique<char[]>(s.size()));
    std::memcpy(own.get(), s.data(), s.size());
    return {own.get(), s.size()};
  }
  if (kBlock - used_ < s.size()) {
    blocks_.push_back(std::make_unique<char[]>(kBlock));
    used_ = 0;
  }
  char* p = blocks_.back().get() + used_;
  std::memcpy(p, s.data(), s.size());
  used_ += s.size();
  return {p, s.size()};
}

uint32_t write_model::id_table::intern(string_arena& arena, std::string_view id, bool* added) {
  auto it = ix_.find(id);
  if (added) *added = it == ix_.end();
  if (it != ix_.end()) return it->second;
  const auto n = static_cast<uint32_t>(names_.size());
  std::string_view own = arena.copy(id);
  names_.push_back(own);
  ix_.emplace(own, n);
  return n;
}

uint32_t write_model::status_number(std::string_view status) {
  // The five of the lifecycle in practice; an ops-appended event may carry another.
  for (size_t i = 0; i < statuses_.size(); ++i)
    if (statuses_[i] == status) return static_cast<uint32_t>(i);
  statuses_.emplace_back(status);
  return static_cast<uint32_t>(statuses_.size() - 1);
}

// catalog: move_stock() — a row per (product, warehouse), created by the first move.
void write_model::move_stock(std::string_view pid, std::string_view wh, int64_t on_hand,
                             int64_t reserved) {
  if (pid.empty()) return;  // unknown SKU: nothing to count
  std::string k = pair_key(pid, wh);
  auto it = stock_.find(k);
  if (it == stock_.end()) it = stock_.emplace(std::move(k), stock_entry{}).first;
  it->second.on_hand += on_hand;
  it->second.reserved += reserved;
}

// catalog: product.defined re-points the SKU index (a redefinition with another SKU drops the
// old SKU's entry).
void write_model::on(const events::product_defined& d) {
  auto& p = products_[d.product_id];
  if (p.defined && !p.sku.empty() && p.sku != d.sku) sku_.erase(p.sku);
  p.sku = d.sku;
  p.name = d.name;
  p.price = d.price;
  p.min_stock = d.min_stock;
  p.active = d.active;
  p.defined = true;
  sku_[p.sku] = d.product_id;
}

void write_model::on(const events::product_updated& u) {
  auto& p = products_[u.product_id];
  if (u.sku && *u.sku != p.sku) {
    if (!p.sku.empty()) sku_.erase(p.sku);
    p.sku = *u.sku;
    sku_[p.sku] = u.product_id;
  }
  if (u.name) p.name = *u.name;
  if (u.price) p.price = *u.price;
  if (u.min_stock) p.min_stock = *u.min_stock;
  if (u.active) p.active = *u.active;
}

void write_model::on(const events::warehouse_created& w) { warehouses_.insert(w.warehouse_id); }

void write_model::on(const events::stock_adjusted& a) {
  move_stock(a.product_id, a.warehouse, a.delta, 0);
}

void write_model::on(const events::stock_transferred& t) {
  move_stock(t.product_id, t.from, -t.qty, 0);
  move_stock(t.product_id, t.to, t.qty, 0);
}

// customers: save() moves the phone index only when the customer's phone changes (deletes the
// old phone's entry, writes the new one), so the index names the customer whose phone most
// recently *became* that phone; a save that leaves the phone as it was writes nothing there.
uint32_t write_model::customer(std::string_view id) {
  bool added = false;
  uint32_t c = customer_ids_.intern(arena_, id, &added);
  if (added) customer_phone_.emplace_back();
  return c;
}

void write_model::set_phone(std::string_view id, const std::string& phone) {
  const uint32_t c = customer(id);
  std::string_view& cur = customer_phone_[c];
  if (cur == phone) return;
  if (!cur.empty()) phones_.erase(cur);
  cur = arena_.copy(phone);  // a changed phone leaves its old bytes behind: rare
  if (!cur.empty()) upsert(phones_, cur, c, /*key_in_arena=*/true);
}

void write_model::on(const events::customer_registered& r) { set_phone(r.customer_id, r.phone); }
void write_model::on(const events::customer_renamed& r) { customer(r.customer_id); }
void write_model::on(const events::customer_updated& u) { customer(u.customer_id); }

// orders + catalog + customers: the first order.placed for an id stands, a repeat changes
// nothing in any of the three read models.
void write_model::on(const events::order_placed& o) {
  bool added = false;
  const uint32_t n = order_ids_.intern(arena_, o.order_id, &added);
  if (!added) return;
  orders_.push_back(order_row{kNone, 0});
  if (!o.external_id.empty()) upsert(external_ids_, pair_key(o.channel, o.external_id), n);
  if (!o.idempotency_key.empty())
    upsert(idempotency_, o.idempotency_key, idempotency_entry{n, arena_.copy(o.request_hash)});
  reservation r;
  r.warehouse = warehouse_ids_.intern(arena_, o.warehouse);
  for (const auto& it : o.items) {
    if (it.product_id.empty() || it.qty <= 0) continue;
    r.items.push_back({product_ids_.intern(arena_, it.product_id), it.qty});
    move_stock(it.product_id, o.warehouse, 0, it.qty);
  }
  reservations_.emplace(n, std::move(r));
  if (!o.customer_id.empty()) {
    const uint32_t c = customer(o.customer_id);
    // The read model's "if (c.phone.empty()) c.phone = …".
    if (customer_phone_[c].empty()) set_phone(o.customer_id, o.customer.phone);
    orders_[n].customer = c;
  }
}

void write_model::on(const events::order_status_changed& s) {
  const uint32_t n = order_ids_.find(s.order_id);
  if (n == kNone) return;  // no order, so no reservation either
  order_row& o = orders_[n];
  o.status = status_number(s.to);
  auto r = reservations_.find(n);
  if (r == reservations_.end()) return;
  auto to = parse_order_status(s.to);
  if (!to) return;
  const std::string_view wh = warehouse_ids_.name(r->second.warehouse);
  if (*to == order_status::cancelled) {
    for (const auto& it : r->second.items)
      move_stock(product_ids_.name(it.product), wh, 0, -it.qty);
  } else if (is_shipped_or_later(*to)) {
    for (const auto& it : r->second.items)
      move_stock(product_ids_.name(it.product), wh, -it.qty, -it.qty);
  } else {
    return;
  }
  reservations_.erase(r);
}

void write_model::on(const events::settings_changed& c) { settings_.apply(c); }

void write_model::on(const events::template_saved& t) {
  templates_[t.template_id] =
      template_state{t.template_id, t.name, t.kind, t.body, t.wa_template_name, t.wa_language};
}
void write_model::on(const events::template_deleted& d) { templates_.erase(d.template_id); }

void write_model::on(const events::reminder_rule_saved& s) {
  rules_[s.rule_id] = reminder_rule_state{
      s.rule_id, s.name, s.days_after_delivery, s.product_id, s.template_id, s.body, s.enabled};
}
void write_model::on(const events::reminder_rule_deleted& d) { rules_.erase(d.rule_id); }

// automation: one raise per id; acknowledged once (open → acknowledged); resolved once.
void write_model::on(const events::alert_raised& r) {
  alerts_.try_emplace(r.alert_id, alert_state{r.alert_id, "open", false});
}
void write_model::on(const events::alert_acknowledged& r) {
  auto a = alerts_.find(r.alert_id);
  if (a == alerts_.end() || a->second.acknowledged) return;
  a->second.acknowledged = true;
  if (a->second.state == "open") a->second.state = "acknowledged";
}
void write_model::on(const events::alert_resolved& r) {
  auto a = alerts_.find(r.alert_id);
  if (a == alerts_.end() || a->second.state == "resolved") return;
  a->second.state = "resolved";
}

// ------------------------------------------------------------------------ decision_state

std::optional<product_state> write_model::product(std::string_view id) {
  auto it = products_.find(id);
  if (it == products_.end() || !it->second.defined) return std::nullopt;
  const auto& p = it->second;
  return product_state{it->first, p.sku, p.name, p.price, p.min_stock, p.active};
}

std::optional<std::string> write_model::product_id_by_sku(std::string_view sku) {
  auto it = sku_.find(sku);
  if (it == sku_.end()) return std::nullopt;
  return it->second;
}

int64_t write_model::available(std::string_view pid, std::string_view wh) {
  auto it = stock_.find(pair_key(pid, wh));
  return it == stock_.end() ? 0 : it->second.on_hand - it->second.reserved;
}

bool write_model::warehouse_exists(std::string_view id) {
  return id == "main" || warehouses_.find(id) != warehouses_.end();
}

std::optional<std::string> write_model::customer_by_phone(std::string_view p) {
  auto it = phones_.find(p);
  if (it == phones_.end()) return std::nullopt;
  return std::string(customer_ids_.name(it->second));
}

bool write_model::customer_exists(std::string_view id) { return customer_ids_.find(id) != kNone; }

std::optional<order_state> write_model::order(std::string_view id) {
  const uint32_t n = order_ids_.find(id);
  if (n == kNone) return std::nullopt;
  const order_row& o = orders_[n];
  return order_state{std::string(id), statuses_[o.status],
                     o.customer == kNone ? std::string()
                                         : std::string(customer_ids_.name(o.customer))};
}

std::optional<std::string> write_model::order_by_external_id(std::string_view ch,
                                                             std::string_view ext) {
  auto it = external_ids_.find(pair_key(ch, ext));
  if (it == external_ids_.end()) return std::nullopt;
  return std::string(order_ids_.name(it->second));
}

std::optional<idempotency_state> write_model::idempotency(std::string_view key) {
  auto it = idempotency_.find(key);
  if (it == idempotency_.end()) return std::nullopt;
  return idempotency_state{std::string(order_ids_.name(it->second.order)),
                           std::string(it->second.request_hash)};
}

std::optional<template_state> write_model::message_template(std::string_view id) {
  auto it = templates_.find(id);
  if (it != templates_.end()) return it->second;
  if (id != kDefaultOrderConfirmationId) return std::nullopt;
  // Built in: exists before anyone saves it (automation read model).
  auto t = projections::default_order_confirmation();
  return template_state{t.id, t.name, t.kind, t.body, t.wa_template_name, t.wa_language};
}

std::optional<reminder_rule_state> write_model::reminder_rule(std::string_view id) {
  auto it = rules_.find(id);
  if (it == rules_.end()) return std::nullopt;
  return it->second;
}

std::optional<alert_state> write_model::alert(std::string_view id) {
  auto it = alerts_.find(id);
  if (it == alerts_.end()) return std::nullopt;
  return it->second;
}

// ---------------------------------------------------------------------------- inspection

std::vector<std::string> write_model::dump() const {
  std::vector<std::string> out;
  auto nul = [](std::string s) {
    std::replace(s.begin(), s.end(), '\0', ' ');
    return s;
  };
  for (const auto& [id, p] : products_) {
    if (!p.defined) continue;
    out.push_back("product " + id + " sku=" + p.sku + " name=" + p.name + " price=" +
                  std::to_string(p.price) + " min_stock=" + std::to_string(p.min_stock) +
                  " active=" + (p.active ? "1" : "0"));
  }
  for (const auto& [sku, id] : sku_) out.push_back("sku " + sku + " " + id);
  for (const auto& [k, s] : stock_)
    out.push_back("stock " + nul(k) + " on_hand=" + std::to_string(s.on_hand) +
                  " reserved=" + std::to_string(s.reserved));
  out.push_back("warehouse main");
  for (const auto& w : warehouses_)
    if (w != "main") out.push_back("warehouse " + w);
  auto str = [](std::string_view v) { return std::string(v); };
  for (uint32_t c = 0; c < customer_ids_.size(); ++c)
    out.push_back("customer " + str(customer_ids_.name(c)) + " phone=" + str(customer_phone_[c]));
  for (const auto& [phone, c] : phones_)
    out.push_back("phone " + str(phone) + " " + str(customer_ids_.name(c)));
  for (uint32_t n = 0; n < order_ids_.size(); ++n) {
    const order_row& o = orders_[n];
    out.push_back("order " + str(order_ids_.name(n)) + " " + statuses_[o.status] + " customer=" +
                  (o.customer == kNone ? std::string() : str(customer_ids_.name(o.customer))));
  }
  for (const auto& [k, n] : external_ids_)
    out.push_back("external " + nul(str(k)) + " " + str(order_ids_.name(n)));
  for (const auto& [k, i] : idempotency_)
    out.push_back("idempotency " + str(k) + " " + str(order_ids_.name(i.order)) + " " +
                  str(i.request_hash));
  out.push_back("settings currency=" + settings_.currency +
                " allow_backorders=" + (settings_.allow_backorders ? "1" : "0") +
                " shop_name=" + settings_.shop_name + " time_zone=" + settings_.time_zone);
  for (const auto& [id, t] : templates_)
    out.push_back("template " + id + " " + t.kind + " " + t.name + " " + t.body);
  for (const auto& [id, r] : rules_)
    out.push_back("rule " + id + " " + r.name + " days=" + std::to_string(r.days_after_delivery) +
                  " enabled=" + (r.enabled ? "1" : "0"));
  for (const auto& [id, a] : alerts_)
    out.push_back("alert " + id + " " + a.state + (a.acknowledged ? " acknowledged" : ""));
  std::sort(out.begin(), out.end());
  return out;
}

write_model::sizes write_model::size() const {
  return {products_.size(),     stock_.size(),        customer_ids_.size(), orders_.size(),
          reservations_.size(), external_ids_.size(), idempotency_.size()};
}

}  // namespace roms::commands
