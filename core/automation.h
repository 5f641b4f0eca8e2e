// Message templates, pure: which variables a template may use, checking a body when it is
// saved, rendering it for one message, and the built-in Indonesian defaults.
//
//   if (auto ok = validate_template_body(body); !ok) → ok.error().message:
//       "body: unknown variable {nama}; use {name}, {customer_name}, …"
//   template_values v{.name = "Budi", .order_id = "ord_1", .total = format_money(125000, "IDR")};
//   rendered_template r = render_template(body, v);   // r.text, r.params (for the Cloud API)
//
// Grammar: a variable is `{` identifier `}` with identifier = [A-Za-z_][A-Za-z0-9_]*, at most
// 64 characters. Every other brace is literal text ("{ }", "{:)}", a lone "{"), so sellers can
// type emoticons. An identifier that is not a known variable is refused when the template is
// saved (never when a message goes out). Text is UTF-8 and passes through untouched (emoji).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace roms {

// The template kinds (CONTRACT.md "type").
inline constexpr std::string_view kTemplateKinds[] = {
    "order_confirmation", "greeting", "bank_info", "shipping", "reminder", "broadcast", "custom"};
bool valid_template_kind(std::string_view kind);

// The variables a template may use, in the order they are documented.
//   {name}, {customer_name}  the customer's display name ("Kak" when unknown)
//   {product_name}           the product(s) of the order, joined with ", "
//   {recommendation}         the (first) product's cross-sell text
//   {order_id}               the order id
//   {total}                  the order total formatted ("Rp 125.000")
//   {tracking_number}        the shipment's tracking number ("" before shipping)
//   {shop_name}              the shop's name (settings)
inline constexpr std::string_view kTemplateVariables[] = {
    "name",  "customer_name",   "product_name", "recommendation", "order_id",
    "total", "tracking_number", "shop_name"};

// The values a rendering fills in. Empty values render as "" (except name, see above).
struct template_values {
  std::string name;
  std::string product_name;
  std::string recommendation;
  std::string order_id;
  std::string total;
  std::string tracking_number;
  std::string shop_name;
};

struct rendered_template {
  std::string text;
  // The value of each variable occurrence in body order: the body parameters of a WhatsApp
  // Cloud API approved template ("{{1}}", "{{2}}", …).
  std::vector<std::string> params;
};

// OK, or invalid_argument naming the first unknown variable:
// "body: unknown variable {nama}; use {name}, {customer_name}, …". Also refuses an empty body
// and one over 4096 bytes. `field` is the name used in the message ("body").
result_msg<void> validate_template_body(std::string_view body, std::string_view field = "body");

// The known variables a body uses, each once, in order of first use.
std::vector<std::string> template_variables_used(std::string_view body);

// Fills in the variables. Unknown identifiers (not possible for a validated body) are left as
// written.
rendered_template render_template(std::string_view body, const template_values& v);

// Money for people: IDR "Rp 125.000" (dot thousands, no minor unit; negative "-Rp 5.000");
// another currency "USD 12.34" from its minor units (2 decimals).
std::string format_money(int64_t amount, std::string_view currency);

// The built-in Indonesian order-confirmation template: it exists from the start under this
// id, can be edited (its kind stays order_confirmation) and cannot be deleted, so a thank-you
// always has a template.
inline constexpr std::string_view kDefaultOrderConfirmationId = "tpl_order_confirmation";
inline constexpr std::string_view kDefaultOrderConfirmationName = "Konfirmasi Pesanan";
inline constexpr std::string_view kDefaultOrderConfirmationBody =
    "Halo {name}, terima kasih sudah berbelanja di {shop_name}! \xF0\x9F\x99\x8F\n"
    "Pesanan {order_id} ({product_name}) senilai {total} sudah kami terima dan segera kami "
    "proses. Kami kabari lagi saat pesanan dikirim ya.";

// What a reminder rule says when it names neither a template nor a body (or its template was
// deleted since).
inline constexpr std::string_view kDefaultReminderBody =
    "Halo {name}, {product_name} pesanan Kakak mungkin sudah mau habis nih \xF0\x9F\x98\x8A "
    "Mau pesan lagi? {recommendation}";

// {name} when the customer's name is unknown.
inline constexpr std::string_view kDefaultCustomerName = "Kak";

}  // namespace roms
