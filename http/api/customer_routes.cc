// Customers, the dashboard and the reports (CONTRACT.md):
//   GET /api/v1/customers?segment=&q=&city=, GET|PATCH /api/v1/customers/{id}
//   GET /api/v1/dashboard/today
//   GET /api/v1/reports/top-customers?by=orders|spend&limit=10, GET /api/v1/reports/geo
#include "core/settings.h"
#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/api/internal/dto.h"
#include "http/api/internal/render.h"
#include "projections/read_models.h"
#include "projections/store.h"

namespace roms::http::api {
namespace {

using internal::rendered;

constexpr size_t kRecentOrders = 10;

bool valid_segment(std::string_view s) {
  return s == "big_spender" || s == "loyal" || s == "inactive" || s == "new_member" ||
         s == "regular";
}

// A customer with its most recent orders (without their timelines).
std::optional<std::string> customer_json(const projections::projection_store& store,
                                         std::string_view id) {
  auto cv = store.view("customers");
  if (!cv) return std::nullopt;
  auto c = projections::customers_query::get(*cv.value(), id);
  if (!c) return std::nullopt;
  events::json_writer w;
  w.reserve(2048);
  internal::write_customer(w, *c, /*leave_open=*/true);
  w.key("recent_orders").begin_array();
  if (auto ov = store.view("orders")) {
    projections::order_filter f;
    f.customer_id = std::string(id);
    f.limit = kRecentOrders;
    for (const auto& o : projections::orders_query::list(*ov.value(), f).items)
      internal::write_order(w, o, /*with_timeline=*/false);
  }
  w.end_array();
  w.end_object();
  return std::move(w).str();
}

void list_customers(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  projections::customer_filter f;
  f.segment = std::string(req.query_param("segment"));
  if (!f.segment.empty() && !valid_segment(f.segment))
    return internal::answer_bad_param(
        out, "segment", "segment: one of big_spender, loyal, inactive, new_member, regular");
  f.q = std::string(req.query_param("q"));
  f.city = std::string(req.query_param("city"));
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  f.limit = *limit;
  std::string sig = internal::signature("customers", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  f.cursor = std::move(*cursor);
  after_min_position(ctx, req, out, [store = ctx.store, f = std::move(f), sig, out]() mutable {
    internal::defer([store, f = std::move(f), sig, out] {
      auto v = store->view("customers");
      if (!v) return internal::answer_error(out, v.error());
      auto page = projections::customers_query::list(*v.value(), f);
      events::json_writer w;
      internal::begin_list(w);
      for (const auto& c : page.items) internal::write_customer(w, c);
      internal::end_list(w, internal::make_cursor(sig, page.next_cursor));
      out.respond(json(200, std::move(w).str()));
    });
  });
}

void get_customer(context& ctx, request&& req, path_params&& p, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  after_min_position(ctx, req, out, [store = ctx.store, id = std::string(p["id"]), out] {
    auto body = customer_json(*store, id);
    if (!body) return internal::answer_not_found(out, "no customer " + id);
    out.respond(json(200, std::move(*body)));
  });
}

void update_customer(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::customer_edit);
  if (!who) return;
  auto body = internal::decode_body<internal::customer_patch>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(ctx, *who, req, out,
                        std::move(body).value().to_command(std::string(p["id"])), 200,
                        [store = ctx.store](const commands::outcome& o) -> std::optional<rendered> {
                          auto b = customer_json(*store, o.id);
                          if (!b) return std::nullopt;
                          return rendered{std::move(*b), {}};
                        });
}

void dashboard_today(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  const clock& clk = ctx.clk ? *ctx.clk : system_clock();
  after_min_position(ctx, req, out, [&ctx, store = ctx.store, &clk, out] {
    internal::defer([&ctx, store, &clk, out] {
      auto dv = store->view("daily");
      auto ov = store->view("orders");
      auto cv = store->view("catalog");
      if (!dv) return internal::answer_error(out, dv.error());
      if (!ov) return internal::answer_error(out, ov.error());
      if (!cv) return internal::answer_error(out, cv.error());
      shop_settings s = projections::daily_query::settings(*dv.value());
      int32_t offset = 7 * 3600;
      (void)zone_offset_seconds(s.time_zone, offset);
      std::string date = local_date(to_micros(clk.now()), offset);
      auto day = projections::daily_query::day(*dv.value(), date)
                     .value_or(projections::daily_record{date});
      events::json_writer w;
      w.begin_object();
      w.field("date", std::string_view(date));
      w.field("time_zone", std::string_view(s.time_zone));
      w.field("currency", std::string_view(s.currency));
      w.field("new_orders", day.orders);
      w.field("sales_total", day.revenue);
      w.field("new_customers", day.new_customers);
      w.field("chats", day.chats);
      w.field("cancelled", day.cancelled);
      w.field("items_sold", day.items_sold);
      w.key("orders_by_status").begin_object();
      for (const auto& [status, n] : projections::orders_query::count_by_status(*ov.value()))
        w.field(status, n);
      w.end_object();
      w.field("low_stock_products",
              static_cast<int64_t>(projections::catalog_query::below_min(*cv.value()).size()));
      internal::whatsapp_state wa = internal::whatsapp_state_of(ctx);
      w.key("whatsapp")
          .begin_object()
          .field("gateway", std::string_view(ctx.cfg.whatsapp))
          .field("status", std::string_view(wa.status))
          .field("detail", std::string_view(wa.detail))
          .end_object();
      w.end_object();
      out.respond(json(200, std::move(w).str()));
    });
  });
}

void top_customers(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  std::string by = req.has_query_param("by") ? std::string(req.query_param("by")) : "orders";
  if (by != "orders" && by != "spend")
    return internal::answer_bad_param(out, "by", "by: orders or spend");
  auto limit = internal::parse_limit(req, out, 10, 500);
  if (!limit) return;
  after_min_position(ctx, req, out, [store = ctx.store, by, limit = *limit, out] {
    internal::defer([store, by, limit, out] {
      auto v = store->view("customers");
      if (!v) return internal::answer_error(out, v.error());
      events::json_writer w;
      internal::begin_list(w);
      for (const auto& c : projections::customers_query::top(*v.value(), by, limit))
        internal::write_customer(w, c);
      internal::end_list(w, "");
      out.respond(json(200, std::move(w).str()));
    });
  });
}

void geo(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  after_min_position(ctx, req, out, [store = ctx.store, out] {
    internal::defer([store, out] {
      auto v = store->view("customers");
      if (!v) return internal::answer_error(out, v.error());
      events::json_writer w;
      internal::begin_list(w);
      for (const auto& g : projections::customers_query::geo(*v.value())) internal::write_geo(w, g);
      internal::end_list(w, "");
      out.respond(json(200, std::move(w).str()));
    });
  });
}

}  // namespace

void add_customer_routes(router& r, context& ctx) {
  r.add("GET", "/api/v1/customers", [&ctx](request&& req, path_params&&, responder out) {
    list_customers(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/customers/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_customer(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("PATCH", "/api/v1/customers/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    update_customer(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("GET", "/api/v1/dashboard/today", [&ctx](request&& req, path_params&&, responder out) {
    dashboard_today(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/reports/top-customers",
        [&ctx](request&& req, path_params&&, responder out) {
          top_customers(ctx, std::move(req), std::move(out));
        });
  r.add("GET", "/api/v1/reports/geo", [&ctx](request&& req, path_params&&, responder out) {
    geo(ctx, std::move(req), std::move(out));
  });
}

}  // namespace roms::http::api
