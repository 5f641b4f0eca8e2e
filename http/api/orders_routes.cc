// Orders (CONTRACT.md "Orders, catalog, stock, customers"):
//   POST /api/v1/orders                 place an order (Idempotency-Key, external_id repeats)
//   GET  /api/v1/orders/{id}            one order with its timeline
//   GET  /api/v1/orders                 list: status, customer_id, channel, from, to, q, limit,
//   cursor POST /api/v1/orders/{id}/status     move it along its lifecycle
#include <mutex>
#include <unordered_map>

#include "core/decide.h"
#include "core/order_status.h"
#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/api/internal/dto.h"
#include "http/api/internal/render.h"
#include "projections/read_models.h"
#include "projections/read_models/record_codec.h"
#include "projections/store.h"

namespace roms::http::api {
namespace {

using internal::rendered;

// The order the outcome names, as the orders read model holds it, with its timeline.
internal::render_fn render_order(std::shared_ptr<projections::projection_store> store) {
  return [store = std::move(store)](const commands::outcome& o) -> std::optional<rendered> {
    auto v = store->view("orders");
    if (!v) return std::nullopt;
    auto rec = projections::orders_query::get(*v.value(), o.id);
    if (!rec) return std::nullopt;
    events::json_writer w;
    w.reserve(1024);
    internal::write_order(w, *rec, /*with_timeline=*/true);
    rendered r{std::move(w).str(), {}};
    if (!rec->timeline.empty()) r.position = rec->timeline.back().position;
    return r;
  };
}

void place(context& ctx, request&& req, responder out) {
  auto who = require(ctx, req, out, access::orders_write);
  if (!who) return;
  auto body = internal::decode_body<internal::order_body>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  commands::place_order cmd = std::move(body).value().to_command();
  if (req.has_header("Idempotency-Key")) {
    auto key = req.header("Idempotency-Key");
    if (key.empty())
      return internal::answer_bad_param(out, "Idempotency-Key",
                                        "Idempotency-Key: 1–255 characters, or leave it out");
    // Keys are scoped to who sends them (as Stripe does): another client reusing the same
    // key neither sees this client's order nor blocks its own request.
    cmd.idempotency_key = who->id + ":" + std::string(key);
    cmd.request_hash = internal::sha256_hex(req.body);
  }
  internal::run_command(ctx, *who, req, out, std::move(cmd), 201, render_order(ctx.store),
                        "/api/v1/orders/");
}

// The answers of GET /api/v1/orders/{id} last given, each with the stored record it was
// rendered from. Rendering is a pure function of those bytes, so when the read model still
// holds exactly them the answer is reused as is: decoding the stored JSON and rendering it
// again was most of the route's time. Bounded; emptied when full.
class order_answers {
 public:
  std::optional<std::string> find(const std::string& id, std::string_view stored) {
    std::lock_guard lk(mu_);
    auto it = map_.find(id);
    if (it == map_.end() || it->second.stored != stored) return std::nullopt;
    return it->second.body;
  }
  void put(const std::string& id, std::string_view stored, const std::string& body) {
    std::lock_guard lk(mu_);
    if (map_.size() >= kMaxEntries) map_.clear();
    auto& e = map_[id];
    e.stored.assign(stored);
    e.body = body;
  }

 private:
  static constexpr size_t kMaxEntries = 4096;
  struct entry {
    std::string stored, body;
  };
  std::mutex mu_;
  std::unordered_map<std::string, entry> map_;
};

order_answers& answers() {
  static order_answers a;
  return a;
}

void get_one(context& ctx, request&& req, path_params&& p, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  std::string id(p["id"]);
  after_min_position(ctx, req, out, [store = ctx.store, id = std::move(id), out] {
    auto v = store->view("orders");
    if (!v) return internal::answer_error(out, v.error());
    auto stored = projections::orders_query::get_stored(*v.value(), id);
    if (!stored) return internal::answer_not_found(out, "no order " + id);
    if (auto body = answers().find(id, *stored)) return out.respond(json(200, std::move(*body)));
    auto rec = projections::decode_record<projections::order_record>(*stored);
    if (!rec) return internal::answer_error(out, error_info{roms::make_error_code(roms::errc::corruption),
                                                       "order " + id + ": stored record unreadable"});
    events::json_writer w;
    w.reserve(1024);
    internal::write_order(w, rec.value(), /*with_timeline=*/true);
    std::string body = std::move(w).str();
    answers().put(id, *stored, body);
    out.respond(json(200, std::move(body)));
  });
}

void list(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  projections::order_filter f;
  f.status = std::string(req.query_param("status"));
  if (!f.status.empty() && !parse_order_status(f.status))
    return internal::answer_bad_param(
        out, "status", "status: one of pending, processed, shipped, delivered, cancelled");
  f.channel = std::string(req.query_param("channel"));
  if (!f.channel.empty() && !valid_channel(f.channel))
    return internal::answer_bad_param(out, "channel",
                                      "channel: one of web, whatsapp, phone, walk_in, "
                                      "marketplace, shopify, woocommerce, api");
  f.customer_id = std::string(req.query_param("customer_id"));
  f.q = std::string(req.query_param("q"));
  auto from = internal::parse_time_param(req, out, "from");
  if (!from) return;
  auto to = internal::parse_time_param(req, out, "to");
  if (!to) return;
  if (*from && *to && *to <= *from)
    return internal::answer_bad_param(out, "to", "to: must be later than from");
  f.from_us = *from;
  f.to_us = *to;
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  f.limit = *limit;
  std::string sig = internal::signature("orders", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  f.cursor = std::move(*cursor);
  after_min_position(ctx, req, out, [store = ctx.store, f = std::move(f), sig, out]() mutable {
    internal::defer([store, f = std::move(f), sig, out] {
      auto v = store->view("orders");
      if (!v) return internal::answer_error(out, v.error());
      auto page = projections::orders_query::list(*v.value(), f);
      events::json_writer w;
      w.reserve(512 * page.items.size() + 64);
      internal::begin_list(w);
      for (const auto& o : page.items) internal::write_order(w, o, /*with_timeline=*/false);
      internal::end_list(w, internal::make_cursor(sig, page.next_cursor));
      out.respond(json(200, std::move(w).str()));
    });
  });
}

void change_status(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::orders_write);
  if (!who) return;
  auto body = internal::decode_body<internal::status_body>(req.body);
  if (!body) return internal::answer_body_error(out, body.error());
  auto& b = body.value();
  commands::change_order_status cmd{std::string(p["id"]), std::move(b.status), std::move(b.note),
                                    std::move(b.tracking_number), std::move(b.courier)};
  internal::run_command(ctx, *who, req, out, std::move(cmd), 200, render_order(ctx.store));
}

}  // namespace

void add_order_routes(router& r, context& ctx) {
  r.add("POST", "/api/v1/orders", [&ctx](request&& req, path_params&&, responder out) {
    place(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/orders", [&ctx](request&& req, path_params&&, responder out) {
    list(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/orders/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_one(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("POST", "/api/v1/orders/{id}/status",
        [&ctx](request&& req, path_params&& p, responder out) {
          change_status(ctx, std::move(req), std::move(p), std::move(out));
        });
}

}  // namespace roms::http::api
