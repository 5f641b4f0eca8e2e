#include "http/api/internal/storefront.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include <boost/json.hpp>

#include "core/errc.h"

namespace roms::http::api::internal {
namespace {

namespace json = boost::json;

constexpr size_t kMaxName = 200;
constexpr size_t kMaxNote = 2000;
constexpr size_t kMaxTracking = 128;
constexpr size_t kMaxSku = 64;

error_info malformed(std::string why) { return {errc::malformed_json, std::move(why)}; }
error_info invalid(std::string why) { return {errc::invalid_argument, std::move(why)}; }

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// At most `max` bytes, never cutting a UTF-8 sequence in two.
std::string truncate_utf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// WooCommerce sends product names as WordPress stores them, with HTML entities
// ("Ship Your Idea &ndash; Color: Black"). Decodes numeric entities and the common named
// ones; anything else stays as written.
std::string decode_html_entities(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, uint32_t>, 14> kNamed{{
      {"amp", '&'},
      {"lt", '<'},
      {"gt", '>'},
      {"quot", '"'},
      {"apos", '\''},
      {"nbsp", 0xA0},
      {"ndash", 0x2013},
      {"mdash", 0x2014},
      {"hellip", 0x2026},
      {"lsquo", 0x2018},
      {"rsquo", 0x2019},
      {"ldquo", 0x201C},
      {"rdquo", 0x201D},
      {"times", 0xD7},
  }};
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    std::optional<uint32_t> cp;
    if (ent.size() >= 2 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t v = 0;
      bool ok = !digits.empty() && digits.size() <= 6;
      for (char c : digits) {
        int d = (c >= '0' && c <= '9')          ? c - '0'
                : (hex && c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (hex && c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                : -1;
        if (d < 0) ok = false;
        if (ok) v = v * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      }
      if (ok) cp = v;
    } else {
      for (auto& [name, v] : kNamed)
        if (name == ent) cp = v;
    }
    if (!cp) {
      out.push_back('&');
      continue;
    }
    append_utf8(out, *cp);
    i = semi;
  }
  return out;
}

// ---- JSON access: absent, null and wrong-typed fields all read as "nothing" ----

const json::value* field(const json::object* o, std::string_view key) {
  return o ? o->if_contains(key) : nullptr;
}
const json::object* object_at(const json::object* o, std::string_view key) {
  auto v = field(o, key);
  return v ? v->if_object() : nullptr;
}
const json::array* array_at(const json::object* o, std::string_view key) {
  auto v = field(o, key);
  return v ? v->if_array() : nullptr;
}

// Strings as they are (trimmed), integers in decimal; anything else "".
std::string text_of(const json::value* v) {
  if (!v) return {};
  if (auto s = v->if_string()) return std::string(trim(std::string_view(*s)));
  if (auto i = v->if_int64()) return std::to_string(*i);
  if (auto u = v->if_uint64()) return std::to_string(*u);
  return {};
}
std::string text(const json::object* o, std::string_view key) { return text_of(field(o, key)); }

std::optional<int64_t> integer(const json::object* o, std::string_view key) {
  auto v = field(o, key);
  if (!v) return std::nullopt;
  if (auto i = v->if_int64()) return *i;
  if (auto u = v->if_uint64()) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  if (auto d = v->if_double()) {
    if (!std::isfinite(*d) || std::floor(*d) != *d || std::fabs(*d) > 1e15) return std::nullopt;
    return static_cast<int64_t>(*d);
  }
  if (auto s = v->if_string()) {
    std::string_view t = trim(std::string_view(*s));
    if (t.empty() || t.size() > 18) return std::nullopt;
    int64_t n = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

enum class amount_state { absent, ok, bad };
struct amount_value {
  amount_state state = amount_state::absent;
  int64_t value = 0;
};

// A money field written as a decimal string or a JSON number.
amount_value amount(const json::object* o, std::string_view key, std::string_view currency) {
  auto v = field(o, key);
  if (!v || v->is_null()) return {};
  std::optional<int64_t> m;
  if (auto s = v->if_string()) {
    if (trim(std::string_view(*s)).empty()) return {};
    m = decimal_to_minor_units(std::string_view(*s), currency);
  } else if (auto i = v->if_int64()) {
    m = number_to_minor_units(static_cast<double>(*i), currency);
  } else if (auto u = v->if_uint64()) {
    m = number_to_minor_units(static_cast<double>(*u), currency);
  } else if (auto d = v->if_double()) {
    m = number_to_minor_units(*d, currency);
  }
  if (!m) return {amount_state::bad, 0};
  return {amount_state::ok, *m};
}

bool is_set(const json::object* o, std::string_view key) {
  auto v = field(o, key);
  if (!v || v->is_null()) return false;
  if (auto s = v->if_string()) return !trim(std::string_view(*s)).empty();
  return true;
}

std::string join_name(std::string_view first, std::string_view last) {
  std::string n(trim(first));
  std::string_view l = trim(last);
  if (!n.empty() && !l.empty()) n += ' ';
  n += l;
  return n;
}

std::string first_of(std::initializer_list<std::string> options) {
  for (const auto& o : options)
    if (!o.empty()) return o;
  return {};
}

std::string upper_code(std::string_view s) {
  std::string out(trim(s));
  for (auto& c : out) c = upper(c);
  return out;
}

bool valid_currency(std::string_view c) {
  return c.size() == 3 &&
         std::all_of(c.begin(), c.end(), [](char x) { return x >= 'A' && x <= 'Z'; });
}

// A synthetic SKU for a line without one, so the item is kept (flagged unknown_sku) rather
// than refused: stable across deliveries of the same order.
std::string fallback_sku(std::string_view source, const json::object* li,
                         std::initializer_list<std::pair<std::string_view, std::string_view>> ids) {
  for (auto [key, label] : ids) {
    std::string v = text(li, key);
    if (!v.empty() && v != "0") return std::string(source) + "-" + std::string(label) + "-" + v;
  }
  return std::string(source) + "-line";
}

result_msg<json::value> parse_object(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return malformed("body is not valid JSON: " + ec.message());
  if (!v.is_object()) return malformed("body is not a JSON object");
  return v;
}

void finish_customer(commands::customer_input& c, std::string_view fallback_name) {
  c.name = truncate_utf8(std::move(c.name), kMaxName);
  if (c.country.empty() || c.country.size() != 2) c.country = "ID";
  // decide() needs a name or a phone: an anonymous storefront order still gets in.
  if (c.name.empty() && c.phone.empty())
    c.name = truncate_utf8(c.email.empty() ? std::string(fallback_name) : c.email, kMaxName);
}

void set_status(storefront_order& out, std::string_view status) {
  out.status = std::string(status);
  out.order.initial_status = (status == "pending") ? std::string() : out.status;
}

}  // namespace

// ---- topics ----

shopify_topic parse_shopify_topic(std::string_view h) {
  h = trim(h);
  if (h == "orders/create") return shopify_topic::orders_create;
  if (h == "orders/updated") return shopify_topic::orders_updated;
  if (h == "orders/cancelled") return shopify_topic::orders_cancelled;
  if (h == "orders/fulfilled") return shopify_topic::orders_fulfilled;
  return shopify_topic::other;
}

woocommerce_topic parse_woocommerce_topic(std::string_view h) {
  h = trim(h);
  if (h == "order.created") return woocommerce_topic::order_created;
  if (h == "order.updated") return woocommerce_topic::order_updated;
  return woocommerce_topic::other;
}

// ---- money ----

int currency_exponent(std::string_view c) {
  // ISO 4217 minor units, except IDR: CONTRACT.md counts Rupiah in whole units.
  static constexpr std::string_view kZero[] = {"BIF", "CLP", "DJF", "GNF", "IDR", "ISK",
                                               "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                                               "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  static constexpr std::string_view kFour[] = {"CLF", "UYW"};
  std::string u = upper_code(c);
  auto in = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), u) != std::end(list);
  };
  if (in(kZero)) return 0;
  if (in(kThree)) return 3;
  if (in(kFour)) return 4;
  return 2;
}

std::optional<int64_t> decimal_to_minor_units(std::string_view amount, std::string_view currency) {
  amount = trim(amount);
  if (!amount.empty() && amount.front() == '+') amount.remove_prefix(1);
  size_t dot = amount.find('.');
  std::string_view whole = amount.substr(0, dot);
  std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : amount.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  if (whole.size() > 15 || frac.size() > 18) return std::nullopt;
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(whole) || !digits(frac)) return std::nullopt;
  const int exp = currency_exponent(currency);
  int64_t v = 0;
  for (char c : whole) v = v * 10 + (c - '0');
  for (int i = 0; i < exp; ++i)
    v = v * 10 + (static_cast<size_t>(i) < frac.size() ? frac[i] - '0' : 0);
  // Round half away from zero on the first dropped digit (amounts here are non-negative).
  if (frac.size() > static_cast<size_t>(exp) && frac[exp] >= '5') ++v;
  return v;
}

std::optional<int64_t> number_to_minor_units(double amount, std::string_view currency) {
  if (!std::isfinite(amount) || amount < 0) return std::nullopt;
  double scaled = amount * std::pow(10.0, currency_exponent(currency));
  if (scaled > 1e18) return std::nullopt;
  return static_cast<int64_t>(std::llround(scaled));
}

// ---- statuses ----

std::string_view shopify_status(bool cancelled, std::string_view fulfillment_status,
                                bool all_delivered) {
  if (cancelled) return "cancelled";
  if (fulfillment_status == "fulfilled") return all_delivered ? "delivered" : "shipped";
  if (fulfillment_status == "partial") return "processed";
  return "pending";
}

std::string_view shopify_topic_status(shopify_topic topic, std::string_view payload_status) {
  switch (topic) {
    case shopify_topic::orders_cancelled:
      return "cancelled";
    case shopify_topic::orders_fulfilled:
      return payload_status == "delivered" ? "delivered" : "shipped";
    default:
      return payload_status;
  }
}

std::string_view woocommerce_status(std::string_view s) {
  s = trim(s);
  if (s.substr(0, 3) == "wc-") s.remove_prefix(3);
  if (s == "pending" || s == "on-hold") return "pending";
  if (s == "processing") return "processed";
  if (s == "completed") return "delivered";
  if (s == "cancelled" || s == "failed" || s == "refunded") return "cancelled";
  return "";
}

// ---- payment ----

std::string payment_method_for(std::string_view gateway) {
  // Words of the name, lower case: "Bank Transfer (BCA)" → " bank transfer bca ".
  std::string words = " ";
  for (char c : trim(gateway)) {
    char l = lower(c);
    bool alnum = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (alnum) {
      words.push_back(l);
    } else if (words.back() != ' ') {
      words.push_back(' ');
    }
  }
  if (words.back() != ' ') words.push_back(' ');
  if (words == " ") return "";
  auto has = [&](std::string_view w) {
    return words.find(" " + std::string(w) + " ") != std::string::npos;
  };
  auto any = [&](std::initializer_list<std::string_view> ws) {
    return std::any_of(ws.begin(), ws.end(), has);
  };
  if (any({"cod", "cash on delivery", "bayar di tempat"})) return "cod";
  if (has("qris")) return "qris";
  if (has("gopay")) return "gopay";
  if (has("ovo")) return "ovo";
  if (has("shopeepay")) return "shopeepay";
  if (has("dana")) return "dana";
  if (any({"virtual account", "va"})) return "virtual_account";
  if (any({"bank", "bacs", "transfer", "deposit", "wire", "banktransfer"})) return "bank_transfer";
  if (any({"card", "credit", "debit", "stripe", "visa", "mastercard", "shopify payments",
           "braintree"}))
    return "card";
  if (any({"paypal", "ewallet", "e wallet", "wallet", "linkaja"})) return "ewallet";
  if (has("cash")) return "cash";
  return "other";
}

// ---- WooCommerce ping, provinces ----

bool is_woocommerce_ping(std::string_view body) {
  body = trim(body);
  constexpr std::string_view kPrefix = "webhook_id=";
  if (body.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view id = body.substr(kPrefix.size());
  return !id.empty() && id.size() <= 20 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string indonesian_province(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 34> kProvinces{{
      {"AC", "Daerah Istimewa Aceh"},
      {"SU", "Sumatera Utara"},
      {"SB", "Sumatera Barat"},
      {"RI", "Riau"},
      {"KR", "Kepulauan Riau"},
      {"JA", "Jambi"},
      {"SS", "Sumatera Selatan"},
      {"BB", "Bangka Belitung"},
      {"BE", "Bengkulu"},
      {"LA", "Lampung"},
      {"JK", "DKI Jakarta"},
      {"JB", "Jawa Barat"},
      {"BT", "Banten"},
      {"JT", "Jawa Tengah"},
      {"JI", "Jawa Timur"},
      {"YO", "Daerah Istimewa Yogyakarta"},
      {"BA", "Bali"},
      {"NB", "Nusa Tenggara Barat"},
      {"NT", "Nusa Tenggara Timur"},
      {"KB", "Kalimantan Barat"},
      {"KT", "Kalimantan Tengah"},
      {"KI", "Kalimantan Timur"},
      {"KS", "Kalimantan Selatan"},
      {"KU", "Kalimantan Utara"},
      {"SA", "Sulawesi Utara"},
      {"ST", "Sulawesi Tengah"},
      {"SG", "Sulawesi Tenggara"},
      {"SR", "Sulawesi Barat"},
      {"SN", "Sulawesi Selatan"},
      {"GO", "Gorontalo"},
      {"MA", "Maluku"},
      {"MU", "Maluku Utara"},
      {"PA", "Papua"},
      {"PB", "Papua Barat"},
  }};
  std::string u = upper_code(code);
  for (auto& [c, name] : kProvinces)
    if (c == u) return std::string(name);
  return std::string(trim(code));
}

// ---- Shopify ----

result_msg<storefront_order> map_shopify_order(std::string_view body, shopify_topic topic) {
  BOOST_OUTCOME_TRY(auto root, parse_object(body));
  const json::object* o = root.if_object();
  if (!field(o, "id")) {
    // A REST-style {"order":{…}} wrapper (what the API answers) is accepted too.
    if (auto inner = object_at(o, "order")) o = inner;
  }
  storefront_order out;
  auto& cmd = out.order;
  cmd.external_id = text(o, "id");
  if (cmd.external_id.empty()) return malformed("id: the order has no id");
  cmd.channel = "shopify";
  cmd.from_storefront = true;
  cmd.currency = upper_code(text(o, "currency"));
  if (!valid_currency(cmd.currency)) return invalid("currency: an ISO 4217 code is needed");

  // The customer: billing address first, then shipping address, then the customer record.
  const json::object* billing = object_at(o, "billing_address");
  const json::object* shipping = object_at(o, "shipping_address");
  const json::object* customer = object_at(o, "customer");
  const json::object* home = object_at(customer, "default_address");
  auto address_name = [](const json::object* a) {
    return first_of({text(a, "name"), join_name(text(a, "first_name"), text(a, "last_name"))});
  };
  cmd.customer.name = first_of(
      {address_name(billing), address_name(shipping),
       join_name(text(customer, "first_name"), text(customer, "last_name")), address_name(home)});
  const std::string order_country = upper_code(first_of(
      {text(billing, "country_code"), text(shipping, "country_code"), text(home, "country_code")}));
  // Each phone is read with the country of the address it was written in.
  struct phone_source {
    std::string phone, country;
  };
  const phone_source phones[] = {
      {text(billing, "phone"), upper_code(text(billing, "country_code"))},
      {text(shipping, "phone"), upper_code(text(shipping, "country_code"))},
      {text(customer, "phone"), upper_code(text(home, "country_code"))},
      {text(home, "phone"), upper_code(text(home, "country_code"))},
      {text(o, "phone"), std::string()},
  };
  cmd.customer.country = order_country;
  for (const auto& p : phones) {
    if (p.phone.empty()) continue;
    cmd.customer.phone = p.phone;
    if (!p.country.empty()) cmd.customer.country = p.country;
    break;
  }
  cmd.customer.email =
      first_of({text(o, "email"), text(o, "contact_email"), text(customer, "email")});
  cmd.customer.city = first_of({text(billing, "city"), text(shipping, "city"), text(home, "city")});
  cmd.customer.province =
      first_of({text(billing, "province"), text(shipping, "province"), text(home, "province")});
  finish_customer(cmd.customer, "Shopify customer " + first_of({text(o, "name"), cmd.external_id}));

  // Items: the quantities as ordered, unit prices in the shop currency.
  if (auto items = array_at(o, "line_items")) {
    for (size_t i = 0; i < items->size(); ++i) {
      const json::object* li = (*items)[i].if_object();
      if (!li) continue;
      auto qty = integer(li, "quantity");
      if (!qty || *qty <= 0) continue;
      commands::item_input it;
      it.sku = text(li, "sku");
      if (it.sku.empty())
        it.sku = fallback_sku(
            "shopify", li, {{"variant_id", "variant"}, {"product_id", "product"}, {"id", "line"}});
      it.sku = truncate_utf8(std::move(it.sku), kMaxSku);
      it.name = truncate_utf8(first_of({text(li, "name"), text(li, "title"), it.sku}), kMaxName);
      it.qty = *qty;
      auto price = amount(li, "price", cmd.currency);
      if (price.state != amount_state::ok)
        return invalid("line_items[" + std::to_string(i) + "].price: not an amount");
      it.price = price.value;
      cmd.items.push_back(std::move(it));
    }
  }
  if (cmd.items.empty()) return invalid("line_items: the order has no line items");
  auto total = amount(o, "total_price", cmd.currency);
  if (total.state == amount_state::bad) return invalid("total_price: not an amount");
  if (total.state == amount_state::ok) cmd.total = total.value;

  // Payment: the first gateway ROMS recognises, else "other".
  if (auto gateways = array_at(o, "payment_gateway_names")) {
    for (const auto& g : *gateways) {
      std::string m = payment_method_for(text_of(&g));
      if (m.empty()) continue;
      if (cmd.payment_method.empty() || cmd.payment_method == "other") cmd.payment_method = m;
    }
  }
  cmd.payment_timing = cmd.payment_method == "cod" ? "postpaid" : "prepaid";
  cmd.note = truncate_utf8(text(o, "note"), kMaxNote);

  // Status, and tracking from the latest usable fulfillment.
  const bool cancelled = is_set(o, "cancelled_at");
  const std::string fulfillment = text(o, "fulfillment_status");
  int successful = 0, delivered = 0;
  if (auto fs = array_at(o, "fulfillments")) {
    for (const auto& fv : *fs) {
      const json::object* f = fv.if_object();
      if (!f) continue;
      std::string st = text(f, "status");
      if (st == "success") {
        ++successful;
        if (text(f, "shipment_status") == "delivered") ++delivered;
      }
      if (st == "cancelled" || st == "error" || st == "failure") continue;
      std::string number = text(f, "tracking_number");
      if (number.empty())
        if (auto ns = array_at(f, "tracking_numbers"); ns && !ns->empty())
          number = text_of(&(*ns)[0]);
      if (number.empty()) continue;
      out.tracking_number = truncate_utf8(std::move(number), kMaxTracking);
      out.courier = truncate_utf8(text(f, "tracking_company"), kMaxName);
    }
  }
  const bool all_delivered = successful > 0 && delivered == successful;
  set_status(out,
             shopify_topic_status(topic, shopify_status(cancelled, fulfillment, all_delivered)));
  out.storefront_status =
      cancelled ? "cancelled" : (fulfillment.empty() ? "unfulfilled" : fulfillment);
  out.creation = topic == shopify_topic::orders_create;
  return out;
}

// ---- WooCommerce ----

result_msg<storefront_order> map_woocommerce_order(std::string_view body, woocommerce_topic topic) {
  BOOST_OUTCOME_TRY(auto root, parse_object(body));
  const json::object* o = root.if_object();
  storefront_order out;
  auto& cmd = out.order;
  cmd.external_id = text(o, "id");
  if (cmd.external_id.empty()) return malformed("id: the order has no id");
  cmd.channel = "woocommerce";
  cmd.from_storefront = true;
  out.creation = topic == woocommerce_topic::order_created;
  out.storefront_status = text(o, "status");
  std::string_view wc = out.storefront_status;
  if (wc.substr(0, 3) == "wc-") wc.remove_prefix(3);
  if (wc == "checkout-draft" || wc == "auto-draft" || wc == "draft" || wc == "trash")
    out.skip_reason = "WooCommerce order " + cmd.external_id + " is " + std::string(wc) +
                      ", not an order to take in";
  set_status(out, woocommerce_status(out.storefront_status));
  out.delivery_key = "woocommerce:" + cmd.external_id + "@" +
                     first_of({text(o, "date_modified_gmt"), text(o, "date_modified")}) + "#" +
                     out.storefront_status;
  cmd.currency = upper_code(text(o, "currency"));
  if (!valid_currency(cmd.currency)) return invalid("currency: an ISO 4217 code is needed");

  const json::object* billing = object_at(o, "billing");
  const json::object* shipping = object_at(o, "shipping");
  auto person = [](const json::object* a) {
    return first_of({join_name(text(a, "first_name"), text(a, "last_name")), text(a, "company")});
  };
  cmd.customer.name = decode_html_entities(first_of({person(billing), person(shipping)}));
  cmd.customer.phone = first_of({text(billing, "phone"), text(shipping, "phone")});
  cmd.customer.country =
      upper_code(first_of({text(billing, "country"), text(shipping, "country")}));
  cmd.customer.email = text(billing, "email");
  cmd.customer.city =
      decode_html_entities(first_of({text(billing, "city"), text(shipping, "city")}));
  std::string state = first_of({text(billing, "state"), text(shipping, "state")});
  cmd.customer.province = cmd.customer.country == "ID" ? indonesian_province(state) : state;
  finish_customer(cmd.customer, "WooCommerce customer " + cmd.external_id);

  if (auto items = array_at(o, "line_items")) {
    for (size_t i = 0; i < items->size(); ++i) {
      const json::object* li = (*items)[i].if_object();
      if (!li) continue;
      auto qty = integer(li, "quantity");
      if (!qty || *qty <= 0) continue;
      commands::item_input it;
      it.sku = text(li, "sku");
      if (it.sku.empty()) {
        std::string product = text(li, "product_id"), variation = text(li, "variation_id");
        it.sku = (!product.empty() && product != "0")
                     ? "woocommerce-product-" + product +
                           ((!variation.empty() && variation != "0") ? "-" + variation : "")
                     : fallback_sku("woocommerce", li, {{"id", "line"}});
      }
      it.sku = truncate_utf8(std::move(it.sku), kMaxSku);
      it.name = truncate_utf8(decode_html_entities(first_of({text(li, "name"), it.sku})), kMaxName);
      it.qty = *qty;
      // `price` is the unit price after discounts (a JSON number); else total / quantity.
      auto price = amount(li, "price", cmd.currency);
      if (price.state != amount_state::ok) {
        auto line_total = amount(li, "total", cmd.currency);
        if (line_total.state != amount_state::ok)
          return invalid("line_items[" + std::to_string(i) + "].price: not an amount");
        price = {amount_state::ok, (line_total.value + *qty / 2) / *qty};
      }
      it.price = price.value;
      cmd.items.push_back(std::move(it));
    }
  }
  if (cmd.items.empty()) return invalid("line_items: the order has no line items");
  auto total = amount(o, "total", cmd.currency);
  if (total.state == amount_state::bad) return invalid("total: not an amount");
  if (total.state == amount_state::ok) cmd.total = total.value;

  cmd.payment_method = payment_method_for(text(o, "payment_method"));
  if (cmd.payment_method.empty() || cmd.payment_method == "other") {
    std::string by_title = payment_method_for(text(o, "payment_method_title"));
    if (!by_title.empty()) cmd.payment_method = by_title;
  }
  cmd.payment_timing = cmd.payment_method == "cod" ? "postpaid" : "prepaid";
  cmd.note = truncate_utf8(text(o, "customer_note"), kMaxNote);
  return out;
}

}  // namespace roms::http::api::internal
