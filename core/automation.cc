#include "core/automation.h"

#include <algorithm>
#include <cstdio>

#include "core/errc.h"

namespace roms {
namespace {

constexpr size_t kMaxBody = 4096;
constexpr size_t kMaxIdentifier = 64;

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

bool known_variable(std::string_view name) {
  return std::find(std::begin(kTemplateVariables), std::end(kTemplateVariables), name) !=
         std::end(kTemplateVariables);
}

// Calls text(literal) and var(identifier) over the body in order.
template <class Text, class Var>
void scan(std::string_view body, Text&& text, Var&& var) {
  size_t i = 0;
  size_t lit = 0;
  while (i < body.size()) {
    if (body[i] != '{') {
      ++i;
      continue;
    }
    size_t j = i + 1;
    if (j < body.size() && ident_start(body[j])) {
      size_t k = j;
      while (k < body.size() && ident_char(body[k]) && k - j <= kMaxIdentifier) ++k;
      if (k < body.size() && body[k] == '}' && k - j <= kMaxIdentifier) {
        text(body.substr(lit, i - lit));
        var(body.substr(j, k - j));
        i = k + 1;
        lit = i;
        continue;
      }
    }
    ++i;
  }
  text(body.substr(lit));
}

std::string variable_list() {
  std::string s;
  for (auto v : kTemplateVariables) {
    if (!s.empty()) s += ", ";
    s += "{";
    s += v;
    s += "}";
  }
  return s;
}

}  // namespace

bool valid_template_kind(std::string_view kind) {
  return std::find(std::begin(kTemplateKinds), std::end(kTemplateKinds), kind) !=
         std::end(kTemplateKinds);
}

result_msg<void> validate_template_body(std::string_view body, std::string_view field) {
  const std::string f(field);
  if (body.empty()) return error_info{errc::invalid_argument, f + ": must not be empty"};
  if (body.size() > kMaxBody)
    return error_info{errc::invalid_argument,
                      f + ": at most " + std::to_string(kMaxBody) + " bytes"};
  std::string unknown;
  scan(
      body, [](std::string_view) {},
      [&](std::string_view v) {
        if (unknown.empty() && !known_variable(v)) unknown.assign(v);
      });
  if (!unknown.empty())
    return error_info{errc::invalid_argument,
                      f + ": unknown variable {" + unknown + "}; use " + variable_list()};
  return success();
}

std::vector<std::string> template_variables_used(std::string_view body) {
  std::vector<std::string> out;
  scan(
      body, [](std::string_view) {},
      [&](std::string_view v) {
        if (known_variable(v) && std::find(out.begin(), out.end(), v) == out.end())
          out.emplace_back(v);
      });
  return out;
}

rendered_template render_template(std::string_view body, const template_values& v) {
  rendered_template r;
  r.text.reserve(body.size() + 64);
  scan(
      body, [&](std::string_view t) { r.text.append(t); },
      [&](std::string_view name) {
        const std::string* value = nullptr;
        std::string fallback;
        if (name == "name" || name == "customer_name") {
          if (v.name.empty()) {
            fallback = std::string(kDefaultCustomerName);
            value = &fallback;
          } else {
            value = &v.name;
          }
        } else if (name == "product_name") {
          value = &v.product_name;
        } else if (name == "recommendation") {
          value = &v.recommendation;
        } else if (name == "order_id") {
          value = &v.order_id;
        } else if (name == "total") {
          value = &v.total;
        } else if (name == "tracking_number") {
          value = &v.tracking_number;
        } else if (name == "shop_name") {
          value = &v.shop_name;
        }
        if (!value) {
          r.text.push_back('{');
          r.text.append(name);
          r.text.push_back('}');
          return;
        }
        r.text.append(*value);
        r.params.push_back(*value);
      });
  return r;
}

std::string format_money(int64_t amount, std::string_view currency) {
  const bool negative = amount < 0;
  // Magnitude without overflow on INT64_MIN.
  uint64_t mag = negative ? static_cast<uint64_t>(-(amount + 1)) + 1 : static_cast<uint64_t>(amount);
  std::string out = negative ? "-" : "";
  if (currency.empty() || currency == "IDR") {
    std::string digits = std::to_string(mag);
    std::string grouped;
    int n = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      if (n > 0 && n % 3 == 0) grouped.push_back('.');
      grouped.push_back(*it);
      ++n;
    }
    std::reverse(grouped.begin(), grouped.end());
    return out + "Rp " + grouped;
  }
  char frac[8];
  std::snprintf(frac, sizeof frac, "%02u", static_cast<unsigned>(mag % 100));
  return out + std::string(currency) + " " + std::to_string(mag / 100) + "." + frac;
}

}  // namespace roms
