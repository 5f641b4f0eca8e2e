// Commands: what a user or a system asks ROMS to do. decide.h turns a command plus the
// current state into events (or a rejection), purely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace roms::commands {

struct customer_input {
  std::string name;
  std::string phone;  // as typed; normalised to E.164 by decide
  std::string email;
  std::string city;
  std::string province;
  std::string country = "ID";  // ISO 3166-1 alpha-2, for numbers without a country code
};

struct item_input {
  std::string sku;                     // either sku or product_id
  std::string product_id;
  int64_t qty = 0;
  std::optional<int64_t> price;        // overrides the catalog price
  std::string name;                    // storefront's item name (used for unknown SKUs)
};

struct place_order {
  std::string external_id;             // unique per channel; repeats answer the original
  std::string channel = "api";
  customer_input customer;
  std::vector<item_input> items;
  std::string payment_method;          // bank_transfer, virtual_account, card, ewallet, qris, cod, cash
  std::string payment_timing = "prepaid";
  std::string note;
  std::string warehouse = "main";
  std::string currency;                // empty = the shop currency
  std::optional<int64_t> total;        // storefront's own total (else the sum of the items)
  // Storefront orders are never refused for stock or unknown SKUs: they are accepted and
  // flagged (CONTRACT.md, webhooks).
  bool from_storefront = false;
  std::string idempotency_key;
  std::string request_hash;            // of the body that carried idempotency_key
  std::string initial_status;          // storefronts: a status to move to right away
};

struct change_order_status {
  std::string order_id;
  std::string to;
  std::string note;
  std::string tracking_number;
  std::string courier;
};

struct define_product {
  std::string sku, name, category, image_url, cross_sell;
  int64_t price = 0, cost = 0, min_stock = 0;
  bool active = true;
};

struct update_product {
  std::string product_id;
  std::optional<std::string> sku, name, category, image_url, cross_sell;
  std::optional<int64_t> price, cost, min_stock;
  std::optional<bool> active;
};

struct adjust_stock {
  std::string product_id;  // or sku
  std::string sku;
  std::string warehouse = "main";
  int64_t delta = 0;
  std::string reason;
};

struct transfer_stock {
  std::string product_id;  // or sku
  std::string sku;
  std::string from, to;
  int64_t qty = 0;
};

struct create_warehouse {
  std::string warehouse_id, name;
};

struct update_customer {
  std::string customer_id;
  std::optional<std::string> name, email, city, province;
};

// The fields present change (PATCH semantics); validated in decide.
struct change_settings {
  std::optional<std::string> shop_name, currency, time_zone;
  std::optional<int64_t> big_spender_min_spend, loyal_min_orders, inactive_after_days,
      new_member_days, pending_warn_minutes, pending_critical_minutes;
  std::optional<bool> allow_backorders, alerts_stock, alerts_pending, automation_thank_you,
      automation_reminders;
};

// --- automations (templates, reminder rules, alerts) ---

struct create_template {
  std::string name;
  std::string kind;  // order_confirmation|greeting|bank_info|shipping|reminder|broadcast|custom
  std::string body;
  std::string wa_template_name;  // the Cloud API's approved template, optional
  std::string wa_language;       // its language ("id"); defaults to "id" when a name is given
};

// The fields present change.
struct update_template {
  std::string template_id;
  std::optional<std::string> name, kind, body, wa_template_name, wa_language;
};

struct delete_template {
  std::string template_id;
};

struct create_reminder_rule {
  std::string name;
  int64_t days_after_delivery = 0;
  std::string product_id;   // empty = every product
  std::string template_id;  // either a template ...
  std::string body;         // ... or a body of its own
  bool enabled = true;
};

// The fields present change; product_id "" = every product.
struct update_reminder_rule {
  std::string rule_id;
  std::optional<std::string> name;
  std::optional<int64_t> days_after_delivery;
  std::optional<std::string> product_id, template_id, body;
  std::optional<bool> enabled;
};

struct delete_reminder_rule {
  std::string rule_id;
};

struct acknowledge_alert {
  std::string alert_id;
};

}  // namespace roms::commands
