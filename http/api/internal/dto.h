// Request bodies of the v1 routes as plain structs with a `fields` list (events/payload.h), and
// decode_body<T>(), which parses one into its struct and names the offending field on error:
//
//   auto b = decode_body<order_body>(req.body);
//   if (!b) → b.error(): {code malformed_json | invalid_argument, message, field "items[1].qty"}
//
// Unknown keys are ignored (forward compatibility), absent keys keep the default, a key of the
// wrong JSON type is invalid_argument naming its path ("customer.phone", "items[0].qty"), and
// a body that is not a JSON object is malformed_json. Optional members distinguish "absent"
// (PATCH leaves the value alone) from present; `null` counts as absent.
//
// The DTOs carry no rules: what a valid order or product is, is decided in core/decide.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/commands.h"
#include "core/errc.h"
#include "core/result.h"
#include "events/payload.h"

namespace roms::http::api::internal {

// ---------------------------------------------------------------- decoding with paths

struct body_error {
  std::error_code code;  // errc::malformed_json or errc::invalid_argument
  std::string message;
  std::string field;  // "items[0].qty"; empty for malformed JSON
};

template <class T>
result<void> read_tracked(events::json_value& j, T& out, std::string& path);

// Prepends `name` (a member) or `[i]` (an element) to the path of a nested failure.
inline void prefix_path(std::string& path, std::string_view part) {
  if (path.empty()) {
    path.assign(part);
  } else if (path.front() == '[') {
    path.insert(0, part);
  } else {
    path.insert(0, std::string(part) + ".");
  }
}

struct tracked_decoder {
  std::string_view key;
  events::json_value& value;
  std::string& path;
  bool matched = false;
  result<void> status = success();
  template <class M>
  void operator()(std::string_view name, M& member) {
    if (matched || name != key) return;
    matched = true;
    status = read_tracked(value, member, path);
    if (!status) prefix_path(path, name);
  }
};

template <class T>
result<void> read_tracked(events::json_value& j, T& out, std::string& path) {
  if constexpr (events::detail::is_optional<T>::value) {
    if (j.is_null()) {
      out.reset();
      return success();
    }
    typename T::value_type v{};
    BOOST_OUTCOME_TRY(read_tracked(j, v, path));
    out = std::move(v);
    return success();
  } else if constexpr (events::detail::is_vector<T>::value) {
    out.clear();
    size_t i = 0;
    return j.for_each_element([&](events::json_value& e) -> result<void> {
      typename T::value_type v{};
      auto r = read_tracked(e, v, path);
      if (!r) {
        prefix_path(path, "[" + std::to_string(i) + "]");
        return r;
      }
      out.push_back(std::move(v));
      ++i;
      return success();
    });
  } else if constexpr (events::detail::has_fields<T>::value) {
    return j.for_each_field([&](std::string_view k, events::json_value& v) -> result<void> {
      tracked_decoder d{k, v, path};
      out.fields(d);
      return d.status;
    });
  } else {
    return events::detail::read_value(j, out);
  }
}

template <class T>
outcome::result<T, body_error, outcome::policy::terminate> decode_body(std::string_view json) {
  T out{};
  std::string path;
  std::string where;
  auto r = events::parse_object(
      json,
      [&](std::string_view k, events::json_value& v) -> result<void> {
        tracked_decoder d{k, v, path};
        out.fields(d);
        return d.status;
      },
      &where);
  if (r) return out;
  if (r.error() == make_error_code(errc::invalid_argument) && !path.empty())
    return body_error{r.error(), path + ": wrong type or out of range", path};
  if (r.error() == make_error_code(errc::invalid_argument))
    return body_error{make_error_code(errc::malformed_json), "the body must be a JSON object", ""};
  return body_error{make_error_code(errc::malformed_json), "the body is not valid JSON", ""};
}

// ---------------------------------------------------------------- orders

struct customer_body {
  std::string name, phone, email, city, province;
  std::string country = "ID";
  template <class V>
  void fields(V& v) {
    v("name", name); v("phone", phone); v("email", email); v("city", city);
    v("province", province); v("country", country);
  }
};

struct item_body {
  std::string sku;
  std::string product_id;
  int64_t qty = 0;
  std::optional<int64_t> price;
  template <class V>
  void fields(V& v) { v("sku", sku); v("product_id", product_id); v("qty", qty); v("price", price); }
};

struct payment_body {
  std::string method;
  std::string timing = "prepaid";
  template <class V>
  void fields(V& v) { v("method", method); v("timing", timing); }
};

// POST /api/v1/orders
struct order_body {
  std::string external_id;
  std::string channel = "api";
  customer_body customer;
  std::vector<item_body> items;
  payment_body payment;
  std::string note;
  std::string warehouse = "main";
  std::string currency;
  template <class V>
  void fields(V& v) {
    v("external_id", external_id); v("channel", channel); v("customer", customer);
    v("items", items); v("payment", payment); v("note", note); v("warehouse", warehouse);
    v("currency", currency);
  }

  commands::place_order to_command() && {
    commands::place_order c;
    c.external_id = std::move(external_id);
    c.channel = std::move(channel);
    c.customer = {std::move(customer.name), std::move(customer.phone), std::move(customer.email),
                  std::move(customer.city),  std::move(customer.province),
                  std::move(customer.country)};
    c.items.reserve(items.size());
    for (auto& i : items)
      c.items.push_back({std::move(i.sku), std::move(i.product_id), i.qty, i.price, ""});
    c.payment_method = std::move(payment.method);
    c.payment_timing = std::move(payment.timing);
    c.note = std::move(note);
    c.warehouse = std::move(warehouse);
    c.currency = std::move(currency);
    return c;
  }
};

// POST /api/v1/orders/{id}/status
struct status_body {
  std::string status, note, tracking_number, courier;
  template <class V>
  void fields(V& v) {
    v("status", status); v("note", note); v("tracking_number", tracking_number);
    v("courier", courier);
  }
};

// ---------------------------------------------------------------- catalog

// POST /api/v1/products
struct product_body {
  std::string sku, name, category, image_url, cross_sell;
  int64_t price = 0, cost = 0, min_stock = 0;
  bool active = true;
  template <class V>
  void fields(V& v) {
    v("sku", sku); v("name", name); v("category", category); v("image_url", image_url);
    v("cross_sell", cross_sell); v("price", price); v("cost", cost); v("min_stock", min_stock);
    v("active", active);
  }
  commands::define_product to_command() && {
    return {std::move(sku),       std::move(name), std::move(category), std::move(image_url),
            std::move(cross_sell), price,          cost,                min_stock,
            active};
  }
};

// PATCH /api/v1/products/{id}
struct product_patch {
  std::optional<std::string> sku, name, category, image_url, cross_sell;
  std::optional<int64_t> price, cost, min_stock;
  std::optional<bool> active;
  template <class V>
  void fields(V& v) {
    v("sku", sku); v("name", name); v("category", category); v("image_url", image_url);
    v("cross_sell", cross_sell); v("price", price); v("cost", cost); v("min_stock", min_stock);
    v("active", active);
  }
  commands::update_product to_command(std::string product_id) && {
    commands::update_product c;
    c.product_id = std::move(product_id);
    c.sku = std::move(sku);
    c.name = std::move(name);
    c.category = std::move(category);
    c.image_url = std::move(image_url);
    c.cross_sell = std::move(cross_sell);
    c.price = price;
    c.cost = cost;
    c.min_stock = min_stock;
    c.active = active;
    return c;
  }
};

// POST /api/v1/stock/adjust
struct adjust_body {
  std::string sku, product_id;
  std::string warehouse = "main";
  int64_t delta = 0;
  std::string reason;
  template <class V>
  void fields(V& v) {
    v("sku", sku); v("product_id", product_id); v("warehouse", warehouse); v("delta", delta);
    v("reason", reason);
  }
  commands::adjust_stock to_command() && {
    return {std::move(product_id), std::move(sku), std::move(warehouse), delta, std::move(reason)};
  }
};

// POST /api/v1/stock/transfer
struct transfer_body {
  std::string sku, product_id, from, to;
  int64_t qty = 0;
  template <class V>
  void fields(V& v) {
    v("sku", sku); v("product_id", product_id); v("from", from); v("to", to); v("qty", qty);
  }
  commands::transfer_stock to_command() && {
    return {std::move(product_id), std::move(sku), std::move(from), std::move(to), qty};
  }
};

// POST /api/v1/warehouses
struct warehouse_body {
  std::string id, name;
  template <class V>
  void fields(V& v) { v("id", id); v("name", name); }
};

// ---------------------------------------------------------------- customers, settings

// PATCH /api/v1/customers/{id}
struct customer_patch {
  std::optional<std::string> name, email, city, province;
  template <class V>
  void fields(V& v) { v("name", name); v("email", email); v("city", city); v("province", province); }
  commands::update_customer to_command(std::string id) && {
    return {std::move(id), std::move(name), std::move(email), std::move(city), std::move(province)};
  }
};

// PATCH /api/v1/settings: the field names of GET /api/v1/settings.
struct settings_patch {
  std::optional<std::string> shop_name, currency, time_zone;
  std::optional<int64_t> big_spender_min_spend, loyal_min_orders, inactive_after_days,
      new_member_days, pending_warn_minutes, pending_critical_minutes;
  std::optional<bool> allow_backorders, alerts_stock, alerts_pending, automation_thank_you,
      automation_reminders;
  template <class V>
  void fields(V& v) {
    v("shop_name", shop_name); v("currency", currency); v("time_zone", time_zone);
    v("big_spender_min_spend", big_spender_min_spend); v("loyal_min_orders", loyal_min_orders);
    v("inactive_after_days", inactive_after_days); v("new_member_days", new_member_days);
    v("pending_warn_minutes", pending_warn_minutes);
    v("pending_critical_minutes", pending_critical_minutes);
    v("allow_backorders", allow_backorders); v("alerts_stock", alerts_stock);
    v("alerts_pending", alerts_pending); v("automation_thank_you", automation_thank_you);
    v("automation_reminders", automation_reminders);
  }
  commands::change_settings to_command() && {
    commands::change_settings c;
    c.shop_name = std::move(shop_name);
    c.currency = std::move(currency);
    c.time_zone = std::move(time_zone);
    c.big_spender_min_spend = big_spender_min_spend;
    c.loyal_min_orders = loyal_min_orders;
    c.inactive_after_days = inactive_after_days;
    c.new_member_days = new_member_days;
    c.pending_warn_minutes = pending_warn_minutes;
    c.pending_critical_minutes = pending_critical_minutes;
    c.allow_backorders = allow_backorders;
    c.alerts_stock = alerts_stock;
    c.alerts_pending = alerts_pending;
    c.automation_thank_you = automation_thank_you;
    c.automation_reminders = automation_reminders;
    return c;
  }
};

}  // namespace roms::http::api::internal
