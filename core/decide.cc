#include "core/decide.h"

#include <algorithm>
#include <map>

#include "core/errc.h"
#include "core/order_status.h"
#include "core/phone.h"
#include "core/settings.h"

namespace roms {
namespace {

using namespace std::string_literals;

error_info bad(std::string field, std::string why) {
  return {errc::invalid_argument, field + ": " + why};
}

bool valid_sku(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '/';
  });
}

bool valid_code(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

bool valid_payment_method(std::string_view m) {
  static constexpr std::string_view kMethods[] = {
      "bank_transfer", "virtual_account", "card", "ewallet", "ovo", "gopay", "dana",
      "shopeepay",     "qris",            "cod",  "cash",    "other"};
  return std::find(std::begin(kMethods), std::end(kMethods), m) != std::end(kMethods);
}

constexpr int64_t kMaxQty = 1'000'000;
constexpr int64_t kMaxMoney = 1'000'000'000'000LL;  // Rp 1 trillion: beyond is a typo

// Resolves a product by id or SKU.
result_msg<std::string> resolve_product(decision_state& s, const std::string& id,
                                        const std::string& sku, const std::string& field) {
  if (!id.empty()) {
    if (!s.product(id)) return error_info{errc::not_found, field + ": no product " + id};
    return id;
  }
  if (sku.empty()) return bad(field, "give sku or product_id");
  auto p = s.product_id_by_sku(sku);
  if (!p) return error_info{errc::not_found, field + ": no product with SKU " + sku};
  return *p;
}

}  // namespace

bool valid_channel(std::string_view c) {
  static constexpr std::string_view kChannels[] = {
      "web", "whatsapp", "phone", "walk_in", "marketplace", "shopify", "woocommerce", "api"};
  return std::find(std::begin(kChannels), std::end(kChannels), c) != std::end(kChannels);
}

result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::place_order& cmd) {
  // Idempotent repeats first: they answer the original whatever the state is now.
  if (!cmd.idempotency_key.empty()) {
    if (cmd.idempotency_key.size() > 255) return bad("Idempotency-Key", "longer than 255");
    if (auto prev = s.idempotency(cmd.idempotency_key)) {
      if (prev->request_hash != cmd.request_hash)
        return error_info{errc::idempotency_key_reused,
                          "Idempotency-Key was used with a different request body"};
      return decision{{}, prev->order_id, true};
    }
  }
  if (!valid_channel(cmd.channel))
    return bad("channel", "one of web, whatsapp, phone, walk_in, marketplace, shopify, "
                          "woocommerce, api");
  if (cmd.external_id.size() > 128) return bad("external_id", "longer than 128");
  if (!cmd.external_id.empty()) {
    if (auto id = s.order_by_external_id(cmd.channel, cmd.external_id))
      return decision{{}, *id, true};
  }
  if (cmd.items.empty()) return bad("items", "an order needs at least one item");
  if (cmd.items.size() > 500) return bad("items", "at most 500 items");
  if (cmd.customer.name.empty() && cmd.customer.phone.empty())
    return bad("customer", "give at least a name or a phone number");
  if (cmd.customer.name.size() > 200) return bad("customer.name", "longer than 200");
  if (!cmd.payment_method.empty() && !valid_payment_method(cmd.payment_method))
    return bad("payment.method",
               "one of bank_transfer, virtual_account, card, ewallet, ovo, gopay, dana, "
               "shopeepay, qris, cod, cash, other");
  if (cmd.payment_timing != "prepaid" && cmd.payment_timing != "postpaid")
    return bad("payment.timing", "prepaid or postpaid");
  if (!s.warehouse_exists(cmd.warehouse)) return bad("warehouse", "no warehouse " + cmd.warehouse);
  if (cmd.note.size() > 2000) return bad("note", "longer than 2000");

  const shop_settings settings = s.settings();
  events::order_placed o;
  o.order_id = c.new_id("ord");
  o.external_id = cmd.external_id;
  o.channel = cmd.channel;
  o.currency = cmd.currency.empty() ? settings.currency : cmd.currency;
  if (o.currency.size() != 3) return bad("currency", "an ISO 4217 code such as IDR");
  if (o.currency != settings.currency) o.flags.push_back("foreign_currency");
  o.payment = {cmd.payment_method, cmd.payment_timing};
  o.note = cmd.note;
  o.warehouse = cmd.warehouse;
  o.idempotency_key = cmd.idempotency_key;
  o.request_hash = cmd.request_hash;

  // Items, and how much of each product the order needs.
  std::map<std::string, int64_t> need;
  int64_t total = 0;
  bool any_unknown = false;
  for (size_t i = 0; i < cmd.items.size(); ++i) {
    const auto& in = cmd.items[i];
    std::string f = "items[" + std::to_string(i) + "]";
    if (in.qty <= 0 || in.qty > kMaxQty) return bad(f + ".qty", "a whole number from 1 to 1000000");
    if (in.price && (*in.price < 0 || *in.price > kMaxMoney))
      return bad(f + ".price", "a non-negative amount");
    events::order_item item;
    item.qty = in.qty;
    std::optional<std::string> pid;
    if (!in.product_id.empty()) {
      if (s.product(in.product_id)) pid = in.product_id;
    } else if (!in.sku.empty()) {
      pid = s.product_id_by_sku(in.sku);
    } else {
      return bad(f, "give sku or product_id");
    }
    if (!pid) {
      if (!cmd.from_storefront)
        return error_info{errc::unknown_sku,
                          f + ": no product with " +
                              (in.product_id.empty() ? "SKU " + in.sku : "id " + in.product_id)};
      if (!in.price) return bad(f + ".price", "needed for an item not in the catalog");
      item.sku = in.sku;
      item.name = in.name.empty() ? in.sku : in.name;
      item.price = *in.price;
      item.unknown_sku = true;
      any_unknown = true;
    } else {
      auto p = s.product(*pid);
      item.product_id = *pid;
      item.sku = p->sku;
      item.name = p->name;
      item.price = in.price ? *in.price : p->price;
      need[*pid] += in.qty;
    }
    total += item.price * item.qty;
    if (total > kMaxMoney) return bad("items", "the order total is implausibly large");
    o.items.push_back(std::move(item));
  }
  if (any_unknown) o.flags.push_back("unknown_sku");

  // Stock: never silently negative. Storefront orders and shops allowing backorders accept
  // the excess as a backorder, flagged.
  bool any_backorder = false;
  for (const auto& [pid, qty] : need) {
    int64_t avail = s.available(pid, cmd.warehouse);
    if (qty <= avail) continue;
    if (!cmd.from_storefront && !settings.allow_backorders) {
      auto p = s.product(pid);
      return error_info{errc::out_of_stock, "SKU " + p->sku + ": " + std::to_string(qty) +
                                                " requested, " + std::to_string(std::max<int64_t>(avail, 0)) +
                                                " available in " + cmd.warehouse};
    }
    any_backorder = true;
    for (auto& it : o.items)
      if (it.product_id == pid) it.backorder = true;
  }
  if (any_backorder) o.flags.push_back("backorder");
  o.total = cmd.total ? *cmd.total : total;
  if (o.total < 0) return bad("total", "a non-negative amount");

  // The customer, deduplicated by E.164 phone.
  decision d;
  auto phone = normalize_phone(cmd.customer.phone, cmd.customer.country);
  std::optional<std::string> cid;
  if (phone.valid) cid = s.customer_by_phone(phone.value);
  if (!cmd.customer.phone.empty() && !phone.valid) o.flags.push_back("phone_invalid");
  if (!cid) {
    events::customer_registered r;
    r.customer_id = c.new_id("cus");
    r.phone = phone.value;
    r.phone_valid = phone.valid;
    r.name = cmd.customer.name.empty() ? phone.value : cmd.customer.name;
    r.email = cmd.customer.email;
    r.city = cmd.customer.city;
    r.province = cmd.customer.province;
    r.source = "order:" + cmd.channel;
    cid = r.customer_id;
    d.events.push_back({r.customer_id, std::move(r)});
  }
  o.customer_id = *cid;
  o.customer = {cmd.customer.name, phone.value, cmd.customer.email, cmd.customer.city,
                cmd.customer.province};
  d.id = o.order_id;
  std::string stream = o.order_id;
  std::string order_id = o.order_id;
  d.events.push_back({stream, std::move(o)});

  if (!cmd.initial_status.empty() && cmd.initial_status != "pending") {
    auto to = parse_order_status(cmd.initial_status);
    if (!to) return bad("status", "unknown status " + cmd.initial_status);
    d.events.push_back(
        {order_id, events::order_status_changed{order_id, "pending", cmd.initial_status,
                                                 "from the storefront", "", ""}});
  }
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::change_order_status& cmd) {
  auto o = s.order(cmd.order_id);
  if (!o) return error_info{errc::not_found, "no order " + cmd.order_id};
  auto to = parse_order_status(cmd.to);
  if (!to) return bad("status", "one of processed, shipped, delivered, cancelled");
  auto from = parse_order_status(o->status);
  if (!from) return error_info{errc::corruption, "order " + o->id + " has status " + o->status};
  if (cmd.note.size() > 2000) return bad("note", "longer than 2000");
  if (cmd.tracking_number.size() > 128) return bad("tracking_number", "longer than 128");
  switch (check_transition(*from, *to)) {
    case transition::same:
      return decision{{}, o->id, true};
    case transition::refused:
      return error_info{errc::invalid_transition,
                        "an order cannot move from " + o->status + " to " + cmd.to};
    case transition::allowed:
      break;
  }
  decision d;
  d.id = o->id;
  d.events.push_back({o->id, events::order_status_changed{o->id, o->status, cmd.to, cmd.note,
                                                           cmd.tracking_number, cmd.courier}});
  return d;
}

namespace {
result_msg<void> check_product_fields(const std::optional<std::string>& sku,
                                      const std::optional<std::string>& name,
                                      std::optional<int64_t> price, std::optional<int64_t> cost,
                                      std::optional<int64_t> min_stock) {
  if (sku && !valid_sku(*sku))
    return bad("sku", "1–64 characters of letters, digits, '-', '_', '.', '/'");
  if (name && (name->empty() || name->size() > 200)) return bad("name", "1–200 characters");
  if (price && (*price < 0 || *price > kMaxMoney)) return bad("price", "a non-negative amount");
  if (cost && (*cost < 0 || *cost > kMaxMoney)) return bad("cost", "a non-negative amount");
  if (min_stock && (*min_stock < 0 || *min_stock > kMaxQty))
    return bad("min_stock", "a whole number from 0 to 1000000");
  return success();
}
}  // namespace

result_msg<decision> decide(decision_state& s, const decision_context& c,
                            const commands::define_product& cmd) {
  BOOST_OUTCOME_TRY(check_product_fields(cmd.sku, cmd.name, cmd.price, cmd.cost, cmd.min_stock));
  if (cmd.cross_sell.size() > 1000) return bad("cross_sell", "longer than 1000");
  if (s.product_id_by_sku(cmd.sku))
    return error_info{errc::duplicate_sku, "a product with SKU " + cmd.sku + " exists"};
  events::product_defined p{c.new_id("prd"), cmd.sku,   cmd.name,  cmd.category,
                            cmd.image_url,    cmd.cross_sell, cmd.price, cmd.cost,
                            cmd.min_stock,    cmd.active};
  decision d;
  d.id = p.product_id;
  d.events.push_back({p.product_id, std::move(p)});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::update_product& cmd) {
  auto p = s.product(cmd.product_id);
  if (!p) return error_info{errc::not_found, "no product " + cmd.product_id};
  BOOST_OUTCOME_TRY(check_product_fields(cmd.sku, cmd.name, cmd.price, cmd.cost, cmd.min_stock));
  if (cmd.cross_sell && cmd.cross_sell->size() > 1000) return bad("cross_sell", "longer than 1000");
  if (cmd.sku && *cmd.sku != p->sku) {
    if (s.product_id_by_sku(*cmd.sku))
      return error_info{errc::duplicate_sku, "a product with SKU " + *cmd.sku + " exists"};
  }
  events::product_updated u;
  u.product_id = p->id;
  u.sku = cmd.sku;
  u.name = cmd.name;
  u.category = cmd.category;
  u.image_url = cmd.image_url;
  u.cross_sell = cmd.cross_sell;
  u.price = cmd.price;
  u.cost = cmd.cost;
  u.min_stock = cmd.min_stock;
  u.active = cmd.active;
  decision d;
  d.id = p->id;
  bool any = u.sku || u.name || u.category || u.image_url || u.cross_sell || u.price || u.cost ||
             u.min_stock || u.active;
  if (!any) {
    d.existing = true;
    return d;
  }
  d.events.push_back({p->id, std::move(u)});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::adjust_stock& cmd) {
  BOOST_OUTCOME_TRY(auto pid, resolve_product(s, cmd.product_id, cmd.sku, "sku"));
  if (!s.warehouse_exists(cmd.warehouse)) return bad("warehouse", "no warehouse " + cmd.warehouse);
  if (cmd.delta == 0 || cmd.delta > kMaxQty || cmd.delta < -kMaxQty)
    return bad("delta", "a non-zero whole number within ±1000000");
  if (cmd.reason.size() > 500) return bad("reason", "longer than 500");
  int64_t avail = s.available(pid, cmd.warehouse);
  if (cmd.delta < 0 && avail + cmd.delta < 0)
    return error_info{errc::out_of_stock, "removing " + std::to_string(-cmd.delta) + " would leave " +
                                              std::to_string(avail + cmd.delta) +
                                              " available in " + cmd.warehouse};
  decision d;
  d.id = pid;
  d.events.push_back({pid, events::stock_adjusted{pid, cmd.warehouse, cmd.delta,
                                                   cmd.reason.empty() ? "adjustment" : cmd.reason}});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::transfer_stock& cmd) {
  BOOST_OUTCOME_TRY(auto pid, resolve_product(s, cmd.product_id, cmd.sku, "sku"));
  if (!s.warehouse_exists(cmd.from)) return bad("from", "no warehouse " + cmd.from);
  if (!s.warehouse_exists(cmd.to)) return bad("to", "no warehouse " + cmd.to);
  if (cmd.from == cmd.to) return bad("to", "the same warehouse as from");
  if (cmd.qty <= 0 || cmd.qty > kMaxQty) return bad("qty", "a whole number from 1 to 1000000");
  int64_t avail = s.available(pid, cmd.from);
  if (avail < cmd.qty)
    return error_info{errc::out_of_stock, std::to_string(cmd.qty) + " requested, " +
                                              std::to_string(std::max<int64_t>(avail, 0)) +
                                              " available in " + cmd.from};
  decision d;
  d.id = pid;
  d.events.push_back({pid, events::stock_transferred{pid, cmd.from, cmd.to, cmd.qty}});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::create_warehouse& cmd) {
  if (!valid_code(cmd.warehouse_id))
    return bad("id", "1–32 characters of lower-case letters, digits, '-', '_'");
  if (cmd.name.empty() || cmd.name.size() > 200) return bad("name", "1–200 characters");
  if (s.warehouse_exists(cmd.warehouse_id))
    return error_info{errc::conflict, "warehouse " + cmd.warehouse_id + " exists"};
  decision d;
  d.id = cmd.warehouse_id;
  d.events.push_back(
      {"warehouse-" + cmd.warehouse_id, events::warehouse_created{cmd.warehouse_id, cmd.name}});
  return d;
}

result_msg<decision> decide(decision_state& s, const decision_context&,
                            const commands::update_customer& cmd) {
  if (!s.customer_exists(cmd.customer_id))
    return error_info{errc::not_found, "no customer " + cmd.customer_id};
  if (cmd.name && (cmd.name->empty() || cmd.name->size() > 200))
    return bad("name", "1–200 characters");
  if (cmd.email && cmd.email->size() > 254) return bad("email", "longer than 254");
  if (cmd.email && !cmd.email->empty() && cmd.email->find('@') == std::string::npos)
    return bad("email", "not an email address");
  decision d;
  d.id = cmd.customer_id;
  if (cmd.name) d.events.push_back({cmd.customer_id, events::customer_renamed{cmd.customer_id, *cmd.name}});
  if (cmd.email || cmd.city || cmd.province) {
    events::customer_updated u{cmd.customer_id, cmd.email, cmd.city, cmd.province};
    d.events.push_back({cmd.customer_id, std::move(u)});
  }
  if (d.events.empty()) d.existing = true;
  return d;
}

result_msg<decision> decide(decision_state&, const decision_context&,
                            const commands::change_settings& cmd) {
  if (cmd.shop_name && (cmd.shop_name->empty() || cmd.shop_name->size() > 200))
    return bad("shop_name", "1–200 characters");
  if (cmd.currency && (cmd.currency->size() != 3 ||
                       !std::all_of(cmd.currency->begin(), cmd.currency->end(),
                                    [](char ch) { return ch >= 'A' && ch <= 'Z'; })))
    return bad("currency", "an ISO 4217 code such as IDR");
  int32_t off = 0;
  if (cmd.time_zone && !zone_offset_seconds(*cmd.time_zone, off))
    return bad("time_zone", "one of Asia/Jakarta, Asia/Pontianak, Asia/Makassar, Asia/Jayapura, UTC");
  auto nonneg = [](const std::optional<int64_t>& v) { return !v || (*v >= 0 && *v <= kMaxMoney); };
  if (!nonneg(cmd.big_spender_min_spend)) return bad("big_spender_min_spend", "a non-negative amount");
  if (!nonneg(cmd.loyal_min_orders)) return bad("loyal_min_orders", "a non-negative number");
  if (cmd.inactive_after_days && (*cmd.inactive_after_days < 1 || *cmd.inactive_after_days > 3650))
    return bad("inactive_after_days", "from 1 to 3650");
  if (cmd.new_member_days && (*cmd.new_member_days < 0 || *cmd.new_member_days > 3650))
    return bad("new_member_days", "from 0 to 3650");
  if (cmd.pending_warn_minutes && (*cmd.pending_warn_minutes < 1 || *cmd.pending_warn_minutes > 100000))
    return bad("pending_warn_minutes", "from 1 to 100000");
  if (cmd.pending_critical_minutes &&
      (*cmd.pending_critical_minutes < 1 || *cmd.pending_critical_minutes > 100000))
    return bad("pending_critical_minutes", "from 1 to 100000");
  events::settings_changed c{cmd.shop_name, cmd.currency, cmd.time_zone,
                             cmd.big_spender_min_spend, cmd.loyal_min_orders,
                             cmd.inactive_after_days, cmd.new_member_days, cmd.allow_backorders,
                             cmd.pending_warn_minutes, cmd.pending_critical_minutes,
                             cmd.alerts_stock, cmd.alerts_pending, cmd.automation_thank_you,
                             cmd.automation_reminders};
  decision d;
  d.id = "settings";
  d.events.push_back({"settings", std::move(c)});
  return d;
}

}  // namespace roms
