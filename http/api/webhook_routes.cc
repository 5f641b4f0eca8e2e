// Storefront webhooks: POST /webhooks/shopify and POST /webhooks/woocommerce.
//
// Each delivery goes: signature (HMAC-SHA256 over the raw body, constant-time compare) →
// topic → deduplication window → pure mapping (internal/storefront.h) → the executor:
// place_order (channel shopify/woocommerce, from_storefront = true, external_id = the
// storefront's order id) and, when the order already existed or a tracking number must be
// recorded, change_order_status. The answer waits until the events are durable.
//
// Answers (a storefront retries every non-2xx for hours and then disables the webhook, so
// only what a retry could fix gets one):
//   200 {"status":"accepted","order_id","order_status","changed"}  applied (or nothing to do)
//   200 {"status":"duplicate","order_id"}                           a delivery seen before
//   200 {"status":"ignored","reason"[,"order_id"]}                  unknown topic, a status
//        the order cannot move to (out of order), a payload that cannot become an order
//   200 {"status":"ok","reason"}                                    WooCommerce's ping
//   401 webhook_secret_missing | invalid_signature                  nothing appended
//   403 read_only (serve --read-only); 503 unavailable: the log or executor failed, retry
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <boost/json.hpp>

#include "commands/executor.h"
#include "core/errc.h"
#include "core/metrics.h"
#include "events/position.h"
#include "http/api/context.h"
#include "http/api/internal/hmac.h"
#include "http/api/internal/storefront.h"
#include "http/errors.h"

namespace roms::http::api {
namespace {

namespace json = boost::json;
using internal::storefront_order;

// Delivery keys handled recently, with the order each concerned: a bounded FIFO window in
// memory. It answers a redelivery without touching the executor; after a restart (or once a
// key has left the window) the domain's own idempotency answers instead (README).
class delivery_window {
 public:
  explicit delivery_window(size_t capacity) : capacity_(capacity) {}

  std::optional<std::string> find(const std::string& key) const {
    std::lock_guard lk(mu_);
    auto it = seen_.find(key);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
  }

  void remember(const std::string& key, const std::string& order_id) {
    if (key.empty()) return;
    std::lock_guard lk(mu_);
    auto [it, inserted] = seen_.try_emplace(key, order_id);
    if (!inserted) return;
    order_.push_back(key);
    while (order_.size() > capacity_) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> seen_;
  std::deque<std::string> order_;
  size_t capacity_;
};

// Everything the handlers share; kept alive by the route lambdas.
struct webhook_state {
  context* ctx = nullptr;
  delivery_window seen{100'000};
  metrics::family<metrics::counter>* deliveries = nullptr;

  void count(std::string_view source, std::string_view outcome) const {
    if (deliveries) deliveries->labels({source, outcome}).inc();
  }
};

void duplicate(const webhook_state& st, std::string_view source, const std::string& order_id,
               const responder& out) {
  st.count(source, "duplicate");
  json::object b{{"status", "duplicate"}};
  if (!order_id.empty()) b["order_id"] = order_id;
  response r;
  r.body = json::serialize(b);
  out.respond(std::move(r));
}

// One delivery on its way through the executor.
struct delivery {
  std::string source;       // "shopify" | "woocommerce"
  std::string topic;        // as sent
  std::string key;          // deduplication key ("" = none)
  std::string correlation;  // the storefront's delivery/webhook id
  storefront_order order;
};

response json_answer(int status, const json::object& body) {
  response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

response ignored(std::string_view reason, std::string_view order_id = {}) {
  json::object b{{"status", "ignored"}, {"reason", reason}};
  if (!order_id.empty()) b["order_id"] = order_id;
  return json_answer(200, b);
}

// A line on stderr for what an operator may need to look at. Only ids, topics and reasons:
// never a body, a secret or a customer's details.
void log_line(const delivery& d, std::string_view what, std::string_view reason) {
  std::fprintf(stderr, "webhook %s %s order=%s delivery=%s: %.*s: %.*s\n", d.source.c_str(),
               d.topic.c_str(), d.order.order.external_id.c_str(), d.correlation.c_str(),
               static_cast<int>(what.size()), what.data(), static_cast<int>(reason.size()),
               reason.data());
}

// Whether another delivery of the same payload could succeed where this one failed: the log
// or the executor was unavailable. Validation and domain rejections are final.
bool retryable(const std::error_code& ec) {
  return !(ec == errc::invalid_argument || ec == errc::malformed_json || ec == errc::not_found ||
           ec == errc::unknown_sku || ec == errc::out_of_stock || ec == errc::duplicate ||
           ec == errc::conflict || ec == errc::duplicate_sku || ec == errc::invalid_transition ||
           ec == errc::too_large);
}

void add_position(response& r, const webhook_state& st,
                  const std::optional<events::log_position>& p) {
  if (p)
    r.headers.emplace_back("X-Roms-Position", events::to_string(*p, st.ctx->cfg.single_partition));
}

void fail(const std::shared_ptr<webhook_state>& st, const delivery& d, const responder& out,
          const error_info& e, std::string_view order_id) {
  if (retryable(e.code)) {
    st->count(d.source, "failed");
    log_line(d, "failed, the storefront will retry", e.message);
    out.respond(error_response(503, "unavailable", "could not record the delivery: " + e.message));
    return;
  }
  // Final: remembered, so a redelivery gets the same answer without another attempt.
  st->count(d.source, "unprocessable");
  log_line(d, "ignored", e.message);
  st->seen.remember(d.key, std::string(order_id));
  out.respond(ignored(e.message, order_id));
}

void accepted(const std::shared_ptr<webhook_state>& st, const delivery& d, const responder& out,
              const std::string& order_id, std::string_view status, bool changed,
              const std::optional<events::log_position>& position) {
  st->count(d.source, "accepted");
  st->seen.remember(d.key, order_id);
  json::object body{{"status", "accepted"}, {"order_id", order_id}};
  if (!status.empty()) body["order_status"] = status;
  body["changed"] = changed;
  response r = json_answer(200, body);
  add_position(r, *st, position);
  out.respond(std::move(r));
}

// The second step: move a known order to the status the storefront reports.
void change_status(std::shared_ptr<webhook_state> st, std::shared_ptr<delivery> d, responder out,
                   commands::actor_info who, commands::outcome placed) {
  const bool created = !placed.existing;
  commands::change_order_status ch;
  ch.order_id = placed.id;
  ch.to = d->order.status;
  ch.note = d->source + " " + d->topic + " (" + d->order.storefront_status + ")";
  ch.tracking_number = d->order.tracking_number;
  ch.courier = d->order.courier;
  st->ctx->executor->submit(std::move(ch), std::move(who),
                            [st, d, out, placed, created](result_msg<commands::outcome> r) {
                              if (!r) {
                                if (r.error().code == errc::invalid_transition) {
                                  // Out of order or contradicting ROMS (delivered → processed):
                                  // never a 4xx.
                                  st->count(d->source, "invalid_transition");
                                  st->seen.remember(d->key, placed.id);
                                  return out.respond(ignored(r.error().message, placed.id));
                                }
                                return fail(st, *d, out, r.error(), placed.id);
                              }
                              const auto& changed = r.value();
                              accepted(st, *d, out, placed.id, d->order.status,
                                       created || !changed.existing,
                                       changed.position ? changed.position : placed.position);
                            });
}

// Places the order (a no-op for one ROMS has) and, when needed, changes its status.
void ingest(std::shared_ptr<webhook_state> st, delivery dv, responder out) {
  auto d = std::make_shared<delivery>(std::move(dv));
  commands::place_order cmd = d->order.order;
  // The status change decide() makes for a new order carries no tracking number: when there
  // is one, place the order pending and record the status with its tracking right after.
  const bool with_tracking = !d->order.tracking_number.empty() &&
                             (d->order.status == "shipped" || d->order.status == "delivered");
  if (with_tracking) cmd.initial_status.clear();
  commands::actor_info who{"webhook:" + d->source, d->correlation};
  st->ctx->executor->submit(
      std::move(cmd), who, [st, d, out, who, with_tracking](result_msg<commands::outcome> r) {
        if (!r) return fail(st, *d, out, r.error(), "");
        commands::outcome placed = std::move(r).value();
        const bool created = !placed.existing;
        if (created && !with_tracking)
          return accepted(st, *d, out, placed.id,
                          d->order.status.empty() ? "pending" : d->order.status, true,
                          placed.position);
        if (!created && d->order.creation)
          // A creation for an order ROMS has (a redelivery, or the update came first).
          return accepted(st, *d, out, placed.id, "", false, placed.position);
        if (d->order.status.empty()) {
          st->count(d->source, "unmapped_status");
          st->seen.remember(d->key, placed.id);
          return out.respond(ignored("storefront status '" + d->order.storefront_status +
                                         "' has no ROMS status; the order is unchanged",
                                     placed.id));
        }
        change_status(st, d, out, who, std::move(placed));
      });
}

// 401 unless `secret` is set and `signature` is its HMAC of the body. Answers itself.
bool signature_ok(const webhook_state& st, std::string_view source, std::string_view secret,
                  std::string_view secret_variable, std::string_view header_name,
                  const request& req, const responder& out) {
  if (secret.empty()) {
    st.count(source, "not_configured");
    out.respond(error_response(401, "webhook_secret_missing",
                               std::string(secret_variable) +
                                   " is not set: " + std::string(source) +
                                   " webhooks are refused until the signing secret is configured"));
    return false;
  }
  std::string_view signature = req.header(header_name);
  if (signature.empty() || !internal::verify_hmac_sha256_base64(secret, req.body, signature)) {
    st.count(source, "invalid_signature");
    out.respond(error_response(
        401, "invalid_signature",
        signature.empty() ? std::string(header_name) + " is missing"
                          : std::string(header_name) + " does not match the body and the secret"));
    return false;
  }
  return true;
}

bool writable(const webhook_state& st, std::string_view source, const responder& out) {
  if (!st.ctx->cfg.read_only && st.ctx->executor) return true;
  st.count(source, "read_only");
  out.respond(error_response(403, "read_only", "this server is read-only and takes no orders"));
  return false;
}

void handle_shopify(const std::shared_ptr<webhook_state>& st, request&& req, responder out) {
  constexpr std::string_view kSource = "shopify";
  if (!signature_ok(*st, kSource, st->ctx->cfg.shopify_secret, "ROMS_SHOPIFY_SECRET",
                    "X-Shopify-Hmac-Sha256", req, out))
    return;
  if (!writable(*st, kSource, out)) return;
  delivery d;
  d.source = kSource;
  d.topic = std::string(req.header("X-Shopify-Topic"));
  d.correlation = std::string(req.header("X-Shopify-Webhook-Id"));
  if (!d.correlation.empty()) d.key = "shopify:" + d.correlation;
  auto topic = internal::parse_shopify_topic(d.topic);
  if (topic == internal::shopify_topic::other) {
    st->count(kSource, "unknown_topic");
    return out.respond(ignored("topic '" + d.topic + "' is not handled"));
  }
  if (auto seen = st->seen.find(d.key)) return duplicate(*st, kSource, *seen, out);
  auto m = internal::map_shopify_order(req.body, topic);
  if (!m) return fail(st, d, out, m.error(), "");
  d.order = std::move(m).value();
  ingest(st, std::move(d), std::move(out));
}

void handle_woocommerce(const std::shared_ptr<webhook_state>& st, request&& req, responder out) {
  constexpr std::string_view kSource = "woocommerce";
  // Sent once, unsigned, when the webhook is created in WooCommerce; it must get a 200 or the
  // webhook is not saved as active. Nothing to record.
  if (internal::is_woocommerce_ping(req.body)) {
    st->count(kSource, "ping");
    return out.respond(
        json_answer(200, {{"status", "ok"}, {"reason", "WooCommerce webhook ping"}}));
  }
  if (!signature_ok(*st, kSource, st->ctx->cfg.woocommerce_secret, "ROMS_WOOCOMMERCE_SECRET",
                    "X-WC-Webhook-Signature", req, out))
    return;
  if (!writable(*st, kSource, out)) return;
  delivery d;
  d.source = kSource;
  d.topic = std::string(req.header("X-WC-Webhook-Topic"));
  d.correlation = std::string(req.header("X-WC-Webhook-Delivery-ID"));
  auto topic = internal::parse_woocommerce_topic(d.topic);
  if (topic == internal::woocommerce_topic::other) {
    st->count(kSource, "unknown_topic");
    return out.respond(ignored("topic '" + d.topic + "' is not handled"));
  }
  auto m = internal::map_woocommerce_order(req.body, topic);
  if (!m) return fail(st, d, out, m.error(), "");
  d.order = std::move(m).value();
  d.key = d.order.delivery_key;
  if (!d.order.skip_reason.empty()) {
    st->count(kSource, "skipped");
    return out.respond(ignored(d.order.skip_reason));
  }
  if (auto seen = st->seen.find(d.key)) return duplicate(*st, kSource, *seen, out);
  ingest(st, std::move(d), std::move(out));
}

}  // namespace

void add_webhook_routes(router& r, context& ctx) {
  auto st = std::make_shared<webhook_state>();
  st->ctx = &ctx;
  if (ctx.metrics)
    st->deliveries = &ctx.metrics->counter(
        "roms_webhook_deliveries_total",
        "Storefront webhook deliveries by source and outcome (accepted, duplicate, "
        "invalid_transition, unmapped_status, unprocessable, unknown_topic, skipped, ping, "
        "invalid_signature, not_configured, read_only, failed).",
        {"source", "outcome"});
  r.add("POST", "/webhooks/shopify", [st](request&& req, path_params&&, responder out) {
    handle_shopify(st, std::move(req), std::move(out));
  });
  r.add("POST", "/webhooks/woocommerce", [st](request&& req, path_params&&, responder out) {
    handle_woocommerce(st, std::move(req), std::move(out));
  });
}

}  // namespace roms::http::api
