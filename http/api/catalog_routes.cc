// Products, stock and warehouses (CONTRACT.md "Orders, catalog, stock, customers"):
//   GET|POST /api/v1/products, GET|PATCH /api/v1/products/{id}
//   GET /api/v1/stock?warehouse=&below_min=true, POST /api/v1/stock/adjust, POST /api/v1/stock/transfer
//   GET|POST /api/v1/warehouses
#include <charconv>
#include <map>

#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/api/internal/dto.h"
#include "http/api/internal/render.h"
#include "projections/read_models.h"
#include "projections/store.h"

namespace roms::http::api {
namespace {

using internal::rendered;

std::optional<std::string> product_json(const projections::read_view& v, std::string_view id) {
  auto p = projections::catalog_query::get(v, id);
  if (!p || !p->defined) return std::nullopt;
  auto stock = projections::catalog_query::stock_of(v, id);
  events::json_writer w;
  w.reserve(512);
  internal::write_product(w, *p, &stock);
  return std::move(w).str();
}

// The product the outcome names (product definitions and updates, stock moves).
internal::render_fn render_product(std::shared_ptr<projections::projection_store> store) {
  return [store = std::move(store)](const commands::outcome& o) -> std::optional<rendered> {
    auto v = store->view("catalog");
    if (!v) return std::nullopt;
    auto body = product_json(*v.value(), o.id);
    if (!body) return std::nullopt;
    return rendered{std::move(*body), {}};
  };
}

// A non-negative integer query parameter; -1 when absent.
std::optional<int64_t> money_param(const request& req, const responder& out,
                                   std::string_view name) {
  if (!req.has_query_param(name)) return int64_t{-1};
  auto s = req.query_param(name);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size() || v < 0) {
    internal::answer_bad_param(out, name, std::string(name) + ": a non-negative whole amount");
    return std::nullopt;
  }
  return v;
}

void list_products(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  projections::product_filter f;
  f.q = std::string(req.query_param("q"));
  f.category = std::string(req.query_param("category"));
  auto active = internal::parse_bool_param(req, out, "active");
  if (!active) return;
  f.active_only = *active;
  auto in_stock = internal::parse_bool_param(req, out, "in_stock");
  if (!in_stock) return;
  f.in_stock_only = *in_stock;
  auto min_price = money_param(req, out, "min_price");
  if (!min_price) return;
  auto max_price = money_param(req, out, "max_price");
  if (!max_price) return;
  f.min_price = *min_price;
  f.max_price = *max_price;
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  f.limit = *limit;
  std::string sig = internal::signature("products", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  f.cursor = std::move(*cursor);
  after_min_position(ctx, req, out, [store = ctx.store, f = std::move(f), sig, out]() mutable {
    internal::defer([store, f = std::move(f), sig, out] {
      auto v = store->view("catalog");
      if (!v) return internal::answer_error(out, v.error());
      auto page = projections::catalog_query::list(*v.value(), f);
      events::json_writer w;
      internal::begin_list(w);
      for (const auto& p : page.items) internal::write_product(w, p);
      internal::end_list(w, internal::make_cursor(sig, page.next_cursor));
      out.respond(json(200, std::move(w).str()));
    });
  });
}

void get_product(context& ctx, request&& req, path_params&& p, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  after_min_position(ctx, req, out, [store = ctx.store, id = std::string(p["id"]), out] {
    auto v = store->view("catalog");
    if (!v) return internal::answer_error(out, v.error());
    auto body = product_json(*v.value(), id);
    if (!body) return internal::answer_not_found(out, "no product " + id);
    out.respond(json(200, std::move(*body)));
  });
}

void define_product(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::catalog_write);
  if (!who) return;
  auto body = internal::decode_body<internal::product_body>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(ctx, *who, req, out, std::move(body).value().to_command(), 201,
                        render_product(ctx.store), "/api/v1/products/");
}

void update_product(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::catalog_write);
  if (!who) return;
  auto body = internal::decode_body<internal::product_patch>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(ctx, *who, req, out,
                        std::move(body).value().to_command(std::string(p["id"])), 200,
                        render_product(ctx.store));
}

void list_stock(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  std::string warehouse(req.query_param("warehouse"));
  auto below = internal::parse_bool_param(req, out, "below_min");
  if (!below) return;
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  std::string sig = internal::signature("stock", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  after_min_position(ctx, req, out,
                     [store = ctx.store, warehouse = std::move(warehouse), below = *below,
                      limit = *limit, after = std::move(*cursor), sig, out]() mutable {
    internal::defer([store, warehouse = std::move(warehouse), below, limit,
                     after = std::move(after), sig, out] {
      auto v = store->view("catalog");
      if (!v) return internal::answer_error(out, v.error());
      // Rows come ordered by (product, warehouse); the cursor is the last row's key.
      auto rows = projections::catalog_query::stock(*v.value(), warehouse, below);
      std::map<std::string, std::optional<projections::product_record>, std::less<>> products;
      events::json_writer w;
      internal::begin_list(w);
      size_t n = 0;
      std::string last, next;
      for (const auto& s : rows) {
        std::string k = s.product_id + "/" + s.warehouse;
        if (!after.empty() && k <= after) continue;
        if (n == limit) {
          next = last;
          break;
        }
        auto it = products.find(s.product_id);
        if (it == products.end())
          it = products.emplace(s.product_id, projections::catalog_query::get(*v.value(), s.product_id))
                   .first;
        internal::write_stock_row(w, s, it->second ? &*it->second : nullptr);
        last = std::move(k);
        ++n;
      }
      internal::end_list(w, internal::make_cursor(sig, next));
      out.respond(json(200, std::move(w).str()));
    });
  });
}

void adjust(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::catalog_write);
  if (!who) return;
  auto body = internal::decode_body<internal::adjust_body>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(ctx, *who, req, out, std::move(body).value().to_command(), 200,
                        render_product(ctx.store));
}

void transfer(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::catalog_write);
  if (!who) return;
  auto body = internal::decode_body<internal::transfer_body>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  internal::run_command(ctx, *who, req, out, std::move(body).value().to_command(), 200,
                        render_product(ctx.store));
}

void list_warehouses(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  after_min_position(ctx, req, out, [store = ctx.store, out] {
    auto v = store->view("catalog");
    if (!v) return internal::answer_error(out, v.error());
    events::json_writer w;
    internal::begin_list(w);
    for (const auto& wh : projections::catalog_query::warehouses(*v.value()))
      internal::write_warehouse(w, wh);
    internal::end_list(w, "");
    out.respond(json(200, std::move(w).str()));
  });
}

void create_warehouse(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::catalog_write);
  if (!who) return;
  auto body = internal::decode_body<internal::warehouse_body>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  auto& b = body.value();
  commands::create_warehouse cmd{std::move(b.id), std::move(b.name)};
  internal::run_command(
      ctx, *who, req, out, std::move(cmd), 201,
      [store = ctx.store](const commands::outcome& o) -> std::optional<rendered> {
        auto v = store->view("catalog");
        if (!v) return std::nullopt;
        for (const auto& wh : projections::catalog_query::warehouses(*v.value())) {
          if (wh.id != o.id) continue;
          events::json_writer w;
          internal::write_warehouse(w, wh);
          return rendered{std::move(w).str(), {}};
        }
        return std::nullopt;
      });
}

}  // namespace

void add_catalog_routes(router& r, context& ctx) {
  r.add("GET", "/api/v1/products", [&ctx](request&& req, path_params&&, responder out) {
    list_products(ctx, std::move(req), std::move(out));
  });
  r.add("POST", "/api/v1/products", [&ctx](request&& req, path_params&&, responder out) {
    define_product(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/products/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_product(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("PATCH", "/api/v1/products/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    update_product(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("GET", "/api/v1/stock", [&ctx](request&& req, path_params&&, responder out) {
    list_stock(ctx, std::move(req), std::move(out));
  });
  r.add("POST", "/api/v1/stock/adjust", [&ctx](request&& req, path_params&&, responder out) {
    adjust(ctx, std::move(req), std::move(out));
  });
  r.add("POST", "/api/v1/stock/transfer", [&ctx](request&& req, path_params&&, responder out) {
    transfer(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/warehouses", [&ctx](request&& req, path_params&&, responder out) {
    list_warehouses(ctx, std::move(req), std::move(out));
  });
  r.add("POST", "/api/v1/warehouses", [&ctx](request&& req, path_params&&, responder out) {
    create_warehouse(ctx, std::move(req), std::move(out));
  });
}

}  // namespace roms::http::api
