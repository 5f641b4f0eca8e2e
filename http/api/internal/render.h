// The public JSON of the v1 resources, written from the read models' records. One function per
// resource, so every route (and the OpenAPI schemas in openapi.json) agrees on one shape:
//
//   events::json_writer w;
//   write_order(w, order, /*with_timeline=*/true);
//   out.respond(json(200, std::move(w).str()));
//
// Conventions (CONTRACT.md): money is an integer in the currency's minor units (IDR: rupiah),
// times are RFC 3339 UTC, optional text that is empty is written as null, and lists are
// {"items":[…],"next_cursor":"…"|null}. Internal bookkeeping (created_us, due_us, registered,
// defined, …) never leaves the server.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/settings.h"
#include "events/json_writer.h"
#include "projections/read_models.h"

namespace roms::http::api::internal {

// An order; `with_timeline` adds "timeline" (GET by id and command answers).
void write_order(events::json_writer& w, const projections::order_record& o, bool with_timeline);

// A customer with exactly the CONTRACT.md fields: id, phone, name, email, city, province,
// order_count, total_spent, first_order_at, last_order_at, segments, primary_segment,
// created_at. Callers may add members before closing: `leave_open` leaves the object open.
void write_customer(events::json_writer& w, const projections::customer_record& c,
                    bool leave_open = false);

// A product with its totals over all warehouses; `stock` (may be empty) adds
// "stock":[{"warehouse","on_hand","reserved","available"}].
void write_product(events::json_writer& w, const projections::product_record& p,
                   const std::vector<projections::stock_record>* stock = nullptr);

// One row of GET /api/v1/stock: a product in a warehouse, with the product's SKU and name.
void write_stock_row(events::json_writer& w, const projections::stock_record& s,
                     const projections::product_record* p);

void write_warehouse(events::json_writer& w, const projections::warehouse_record& wh);

void write_settings(events::json_writer& w, const shop_settings& s);

void write_geo(events::json_writer& w, const projections::geo_record& g);

// Writes `s` or null when empty.
void string_or_null(events::json_writer& w, std::string_view key, std::string_view s);

// Starts {"items":[ … and ends ],"next_cursor":…} around a list.
void begin_list(events::json_writer& w);
void end_list(events::json_writer& w, std::string_view next_cursor);

}  // namespace roms::http::api::internal
