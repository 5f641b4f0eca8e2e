// Storefront order payloads (Shopify, WooCommerce) → ROMS commands. Pure functions: no I/O,
// no clock, no state; the webhook routes (webhook_routes.cc) verify signatures, deduplicate
// deliveries and submit what these functions produce.
//
//   auto m = internal::map_shopify_order(req.body, internal::shopify_topic::orders_create);
//   if (!m) → m.error(): {errc::malformed_json, "body is not a JSON object"}
//   m.value().order   → commands::place_order (channel "shopify", from_storefront = true)
//   m.value().status  → the ROMS status the storefront reports ("" = no mapping)
//
// Mapping rules (also in http/api/README.md, "Storefront webhooks"):
// - Money: decimal strings (Shopify "598.94") and JSON numbers (WooCommerce's line `price`)
//   become integers in the currency's minor units (ISO 4217 exponent; IDR counts as 0
//   decimals as CONTRACT.md says, JPY/KRW/VND… 0, BHD/KWD/OMR… 3, anything else 2),
//   rounded half away from zero. The currency is kept; decide() flags foreign ones.
// - Phones are passed as typed with the ISO country of the address they came from, so
//   decide() normalises "+1(502)-459-2181" with "US" to +15024592181.
// - Items by SKU with the storefront's name and unit price; a line without a SKU gets a
//   stable synthetic one ("shopify-variant-<id>", "woocommerce-product-<id>[-<variation>]")
//   so it is kept and flagged unknown_sku rather than refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/commands.h"
#include "core/result.h"

namespace roms::http::api::internal {

// What one storefront delivery says about one order.
struct storefront_order {
  // The whole order, placed when ROMS does not know it yet. from_storefront = true;
  // initial_status = `status` (pending is left empty).
  commands::place_order order;
  // The ROMS status the storefront reports: pending, processed, shipped, delivered or
  // cancelled; "" when the storefront status has no mapping (kept as pending on creation,
  // ignored on update).
  std::string status;
  std::string storefront_status;  // as the storefront writes it, for notes and answers
  std::string tracking_number;    // shipped/delivered: from the storefront, if it has one
  std::string courier;
  // True for creation topics (orders/create, order.created): a creation for an order ROMS
  // already has changes nothing (the updates carry the later states).
  bool creation = false;
  // Non-empty: the payload is not an order to ingest (a WooCommerce draft or trashed order).
  std::string skip_reason;
  // WooCommerce: "woocommerce:<id>@<date_modified_gmt>#<status>", the delivery's identity
  // for deduplication. Shopify uses its X-Shopify-Webhook-Id header instead ("").
  std::string delivery_key;
};

enum class shopify_topic {
  orders_create,
  orders_updated,
  orders_cancelled,
  orders_fulfilled,
  other
};
enum class woocommerce_topic { order_created, order_updated, other };

shopify_topic parse_shopify_topic(std::string_view header);
woocommerce_topic parse_woocommerce_topic(std::string_view header);

// A Shopify webhook body for an orders/* topic: the Order resource (not wrapped in
// {"order":…}; a wrapped one is accepted too). Errors: malformed_json (not a JSON object,
// no id), invalid_argument (no line items, an amount or currency that cannot be read).
result_msg<storefront_order> map_shopify_order(std::string_view body, shopify_topic topic);

// A WooCommerce order.created / order.updated body (the /wc/v3/orders/{id} resource).
// Same errors.
result_msg<storefront_order> map_woocommerce_order(std::string_view body, woocommerce_topic topic);

// ---- the tables, exposed for tests ----

// Decimal places of an ISO 4217 currency as ROMS counts money (IDR 0, see above).
int currency_exponent(std::string_view currency);
// "598.94" in USD → 59894; "150000.00" in IDR → 150000; "0.005" in USD → 1. nullopt for
// anything but digits with at most one '.', negative amounts, or more than 15 integer digits.
std::optional<int64_t> decimal_to_minor_units(std::string_view amount, std::string_view currency);
// A JSON number (WooCommerce line `price`), rounded half away from zero. nullopt when
// negative, not finite or too large.
std::optional<int64_t> number_to_minor_units(double amount, std::string_view currency);

// Shopify order state → ROMS status: cancelled_at set → cancelled; fulfillment_status
// "fulfilled" → shipped (delivered when every successful fulfillment's shipment_status is
// "delivered"); "partial" → processed; null, "unfulfilled", "restocked" → pending.
// Payment (financial_status) does not move the status: paid-but-unpacked is still pending.
std::string_view shopify_status(bool cancelled, std::string_view fulfillment_status,
                                bool all_delivered);
// The topic's own meaning on top of the payload's state: orders/cancelled → cancelled;
// orders/fulfilled → shipped (or delivered when the payload says so); others: the payload's.
std::string_view shopify_topic_status(shopify_topic topic, std::string_view payload_status);

// WooCommerce status → ROMS status: pending, on-hold → pending; processing → processed;
// completed → delivered; cancelled, failed, refunded → cancelled; anything else "" (no
// mapping). A "wc-" prefix is ignored.
std::string_view woocommerce_status(std::string_view wc_status);

// A gateway or payment-method name → a ROMS payment method (bank_transfer, virtual_account,
// card, ewallet, ovo, gopay, dana, shopeepay, qris, cod, cash, other); "" for an empty name.
std::string payment_method_for(std::string_view gateway);

// WooCommerce's creation ping: the form body "webhook_id=<digits>" (sent unsigned).
bool is_woocommerce_ping(std::string_view body);

// WooCommerce's province codes for Indonesia ("JB" → "Jawa Barat"); the code itself when
// unknown.
std::string indonesian_province(std::string_view code);

}  // namespace roms::http::api::internal
