// Messages and WhatsApp: the outbox's read side, the gateways' webhooks and signed media.
//
//   GET  /api/v1/messages?customer_id=&status=&direction=&limit=&cursor=   (read)
//   GET  /api/v1/messages/{id}                                             (read)
//   POST /api/v1/messages/{id}/retry        a failed message back into the outbox (Admin)
//   GET  /api/v1/whatsapp/status            {"gateway","status","detail","since"} (read)
//   GET  /api/v1/whatsapp/qr                the pairing QR as image/png (Admin)
//   GET  /api/v1/media/{sha256}             ?exp=&sig= (a signed link, no login) or logged in
//   GET  /webhooks/whatsapp/cloud           hub.mode=subscribe&hub.verify_token=&hub.challenge=
//   POST /webhooks/whatsapp/cloud           X-Hub-Signature-256: sha256=<hex HMAC-SHA256>
//   POST /webhooks/whatsapp/waha            X-Webhook-Hmac: <hex HMAC-SHA512>
//
// Webhooks: signature over the raw body first (401 and nothing appended when it is missing or
// wrong, or when the secret is not configured), then the pure parse
// (consumers/whatsapp/webhooks.h), then events appended in one durable batch:
//   status sent/delivered/read/failed → message.sent (only to settle a message still sending
//     or in doubt) / .delivered / .read / .failed {code gateway_failed}, found by the gateway's
//     message id (Cloud API: also by our reference in biz_opaque_callback_data). Unknown ids
//     (a message typed on the phone) are ignored. Event ids are derived from (message,
//     status), so a redelivered webhook appends nothing; the read model moves forward only.
//   inbound message → message.received (customer matched by phone; conversation_id empty:
//     the CS inbox assigns conversations — the seam for issue 7).
//   WAHA session.status → whatsapp.status_changed when it differs from the recorded one.
// Answers: 200 {"status":"accepted","appended":n,"ignored":[…]}; 503 when the log failed (the
// gateway retries; the derived ids make that safe).
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "consumers/channel.h"
#include "consumers/derived_id.h"
#include "consumers/media_link.h"
#include "consumers/runner.h"
#include "consumers/whatsapp/cloud_api.h"
#include "consumers/whatsapp/webhooks.h"
#include "core/errc.h"
#include "core/metrics.h"
#include "events/log.h"
#include "events/payload.h"
#include "events/types/messaging.h"
#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/api/internal/hmac.h"
#include "http/errors.h"
#include "projections/read_models/customers.h"
#include "projections/read_models/messages.h"
#include "projections/store.h"

namespace roms::http::api {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using projections::message_record;

// How long a status webhook for a message id not in the read model yet waits for the read
// model to apply the log's end (the outbox may be recording message.sent right now).
constexpr auto kLookupWait = 2s;

response json_answer(int status, const json::value& body) {
  response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

// ---------------------------------------------------------------- rendering

json::object message_json(const message_record& m) {
  json::object o;
  o["id"] = m.id;
  o["direction"] = m.direction;
  o["status"] = m.status;
  o["customer_id"] = m.customer_id.empty() ? json::value(nullptr) : json::value(m.customer_id);
  o["conversation_id"] =
      m.conversation_id.empty() ? json::value(nullptr) : json::value(m.conversation_id);
  if (m.direction == "outbound") {
    o["to"] = m.to;
    o["kind"] = m.kind;
  } else {
    o["from"] = m.from;
  }
  o["body"] = m.body;
  o["template_id"] = m.template_id.empty() ? json::value(nullptr) : json::value(m.template_id);
  if (m.wa_template) {
    o["wa_template_name"] = m.wa_template->name;
    o["wa_language"] = m.wa_template->language;
  }
  if (m.media) {
    json::object media{{"mime_type", m.media->mime_type}, {"filename", m.media->filename}};
    if (!m.media->sha256.empty()) media["sha256"] = m.media->sha256;
    o["media"] = std::move(media);
  }
  o["gateway"] = m.gateway.empty() ? json::value(nullptr) : json::value(m.gateway);
  o["gateway_message_id"] =
      m.gateway_message_id.empty() ? json::value(nullptr) : json::value(m.gateway_message_id);
  o["attempts"] = m.attempts;
  if (!m.error.empty()) {
    o["error"] = json::object{{"code", m.error_code}, {"message", m.error}};
  } else {
    o["error"] = nullptr;
  }
  o["in_doubt"] = m.in_doubt;
  if (m.status == "queued" && m.attempts > 0)
    o["next_attempt_at"] = format_rfc3339(from_micros(m.ready_us));
  o["created_at"] = m.created_at;
  o["updated_at"] = m.updated_at;
  for (auto [k, v] : {std::pair<const char*, const std::string*>{"sent_at", &m.sent_at},
                      {"delivered_at", &m.delivered_at},
                      {"read_at", &m.read_at},
                      {"failed_at", &m.failed_at}}) {
    o[k] = v->empty() ? json::value(nullptr) : json::value(*v);
  }
  return o;
}

// ---------------------------------------------------------------- reads

bool valid_status(std::string_view s) {
  for (std::string_view v :
       {"queued", "sending", "sent", "delivered", "read", "failed", "received"})
    if (s == v) return true;
  return false;
}

void list_messages(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  projections::message_filter f;
  f.customer_id = std::string(req.query_param("customer_id"));
  f.status = std::string(req.query_param("status"));
  f.direction = std::string(req.query_param("direction"));
  if (!f.status.empty() && !valid_status(f.status))
    return internal::answer_bad_param(
        out, "status", "status: one of queued, sending, sent, delivered, read, failed, received");
  if (!f.direction.empty() && f.direction != "outbound" && f.direction != "inbound")
    return internal::answer_bad_param(out, "direction", "direction: outbound or inbound");
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  f.limit = *limit;
  std::string sig = internal::signature("messages", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  f.cursor = std::move(*cursor);
  after_min_position(ctx, req, out, [store = ctx.store, f = std::move(f), sig, out]() mutable {
    internal::defer([store, f = std::move(f), sig, out] {
      auto v = store->view("messages");
      if (!v) return internal::answer_error(out, v.error());
      auto page = projections::messages_query::list(*v.value(), f);
      json::array items;
      for (const auto& m : page.items) items.push_back(message_json(m));
      std::string next = internal::make_cursor(sig, page.next_cursor);
      out.respond(json_answer(
          200,
          json::object{{"items", std::move(items)},
                       {"next_cursor", next.empty() ? json::value(nullptr) : json::value(next)}}));
    });
  });
}

void get_message(context& ctx, request&& req, path_params&& p, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  after_min_position(ctx, req, out, [store = ctx.store, id = std::string(p["id"]), out] {
    auto v = store->view("messages");
    if (!v) return internal::answer_error(out, v.error());
    auto m = projections::messages_query::get(*v.value(), id);
    if (!m) return internal::answer_not_found(out, "no message " + id);
    out.respond(json_answer(200, message_json(*m)));
  });
}

void retry_message(context& ctx, request&& req, path_params&& p, responder out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return;
  if (ctx.cfg.read_only || !ctx.log)
    return out.respond(error_response(403, "read_only", "this server is read-only"));
  internal::defer([&ctx, id = std::string(p["id"]), actor = who->actor, out] {
    auto v = ctx.store->view("messages");
    if (!v) return internal::answer_error(out, v.error());
    auto m = projections::messages_query::get(*v.value(), id);
    if (!m || m->direction != "outbound")
      return internal::answer_not_found(out, "no outbound message " + id);
    if (m->status != "failed") {
      return out.respond(
          error_response(409, "invalid_transition",
                         "only a failed message can be retried (it is " + m->status + ")"));
    }
    events::message_retry_requested r;
    r.message_id = id;
    r.after_attempt = m->attempts;
    events::envelope e;
    e.id = consumers::derived_event_id("message.retry:" + id + ":" + std::to_string(m->attempts));
    e.type = std::string(events::message_retry_requested::kType);
    e.stream = id;
    e.time = ctx.clk->now();
    e.actor = actor;
    e.payload = events::encode_payload(r);
    auto a = ctx.log->append(std::span<const events::envelope>(&e, 1));
    if (!a) return out.respond(error_response(503, "unavailable", "the log could not record it"));
    auto pos = a.value()[0].position;
    if (ctx.runner) ctx.runner->wait_for(pos, 2s);
    auto v2 = ctx.store->view("messages");
    if (!v2) return internal::answer_error(out, v2.error());
    auto after = projections::messages_query::get(*v2.value(), id);
    response res = json_answer(200, message_json(after ? *after : *m));
    res.headers.emplace_back("X-Roms-Position", events::to_string(pos, ctx.cfg.single_partition));
    out.respond(std::move(res));
  });
}

void whatsapp_status(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::read)) return;
  internal::defer([&ctx, out] {
    internal::whatsapp_state st = internal::whatsapp_state_of(ctx);
    json::object o{{"gateway", ctx.cfg.whatsapp}, {"status", st.status}, {"detail", st.detail}};
    o["since"] = st.since.empty() ? json::value(nullptr) : json::value(st.since);
    out.respond(json_answer(200, o));
  });
}

void whatsapp_qr(context& ctx, request&& req, responder out) {
  if (!require(ctx, req, out, access::admin)) return;
  if (!ctx.whatsapp)
    return out.respond(error_response(409, "whatsapp_off",
                                      "WhatsApp is off: set ROMS_WHATSAPP=waha to pair by QR"));
  internal::defer([ch = ctx.whatsapp, out] {
    auto png = ch->qr();
    if (!png) {
      const auto& e = png.error();
      if (e.code == errc::unsupported)
        return out.respond(error_response(409, "qr_not_applicable", e.message));
      if (e.code == errc::conflict) return out.respond(error_response(409, "no_qr", e.message));
      return out.respond(error_response(503, "unavailable", e.message));
    }
    response r;
    r.content_type = "image/png";
    r.headers.emplace_back("Cache-Control", "no-store");
    r.body = std::move(png).value();
    out.respond(std::move(r));
  });
}

std::string sniff_content_type(std::string_view b) {
  if (b.starts_with("\x89PNG\r\n\x1a\n")) return "image/png";
  if (b.starts_with("\xff\xd8\xff")) return "image/jpeg";
  if (b.starts_with("GIF8")) return "image/gif";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  if (b.starts_with("%PDF-")) return "application/pdf";
  return "application/octet-stream";
}

constexpr uintmax_t kMaxMediaBytes = 64u << 20;

void serve_media(context& ctx, request&& req, path_params&& p, responder out) {
  std::string sha(p["sha256"]);
  const bool signed_link = req.has_query_param("sig") || req.has_query_param("exp");
  if (signed_link) {
    if (!ctx.media ||
        !ctx.media->verify(sha, req.query_param("exp"), req.query_param("sig"), ctx.clk->now()))
      return out.respond(
          error_response(403, "invalid_signature", "the media link is invalid or has expired"));
  } else if (!require(ctx, req, out, access::read)) {
    return;
  }
  if (!ctx.media || !consumers::is_sha256_hex(sha))
    return internal::answer_not_found(out, "no media " + sha);
  internal::defer([path = ctx.media->file_for(sha), sha, signed_link, out] {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return internal::answer_not_found(out, "no media " + sha);
    if (size > kMaxMediaBytes)
      return out.respond(error_response(413, "too_large", "the file is too large to serve"));
    std::ifstream in(path, std::ios::binary);
    std::string body(std::istreambuf_iterator<char>(in), {});
    response r;
    r.content_type = sniff_content_type(body);
    r.headers.emplace_back("Cache-Control",
                           signed_link ? "private, max-age=300" : "private, max-age=86400");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.body = std::move(body);
    out.respond(std::move(r));
  });
}

// ---------------------------------------------------------------- webhooks

struct hook_state {
  context* ctx = nullptr;
  metrics::family<metrics::counter>* deliveries = nullptr;
  void count(std::string_view source, std::string_view outcome) const {
    if (deliveries) deliveries->labels({source, outcome}).inc();
  }
};

// Waits (bounded) until the read models have applied everything the log holds now.
void catch_up(context& ctx) {
  if (!ctx.runner || !ctx.log) return;
  auto st = ctx.log->stats();
  if (!st) return;
  const auto& end = st.value().end_offsets;
  for (size_t p = 0; p < end.size(); ++p) {
    if (end[p] > 0)
      ctx.runner->wait_for(events::log_position{static_cast<int32_t>(p), end[p] - 1}, kLookupWait);
  }
}

int rank(std::string_view s) {
  if (s == "queued") return 0;
  if (s == "sending") return 1;
  if (s == "sent") return 2;
  if (s == "delivered") return 3;
  if (s == "read") return 4;
  return -1;
}

timestamp event_time(const context& ctx, int64_t gateway_s) {
  const timestamp now = ctx.clk->now();
  if (gateway_s <= 0) return now;
  timestamp t = from_micros(gateway_s * 1'000'000);
  // A gateway clock far off (or a very late redelivery) does not move time around.
  if (t > now + 5min || t < now - std::chrono::hours(24 * 7)) return now;
  return t;
}

// Turns one webhook's content into events. `ignored` collects what had no effect and why.
std::vector<events::envelope> to_events(context& ctx, std::string_view gateway,
                                        const consumers::whatsapp::webhook_batch& b,
                                        std::vector<std::string>& ignored) {
  std::vector<events::envelope> out;
  const std::string actor = "webhook:" + std::string(gateway);
  auto view = ctx.store->view("messages");
  if (!view) {
    ignored.push_back("the messages read model is unavailable");
    return out;
  }
  std::shared_ptr<const projections::read_view> v = view.value();
  bool caught_up = false;

  for (const auto& u : b.statuses) {
    std::optional<std::string> id =
        projections::messages_query::by_gateway_id(*v, gateway, u.gateway_message_id);
    if (!id && gateway == "cloud") {
      if (auto ref = consumers::whatsapp::message_id_from_reference(u.reference); !ref.empty())
        id = ref;
    }
    if (!id && !caught_up) {
      // The outbox may be recording message.sent for it right now.
      catch_up(ctx);
      caught_up = true;
      if (auto again = ctx.store->view("messages")) v = again.value();
      id = projections::messages_query::by_gateway_id(*v, gateway, u.gateway_message_id);
    }
    auto m = id ? projections::messages_query::get(*v, *id) : std::nullopt;
    if (!m || m->direction != "outbound") {
      ignored.push_back(u.status + " for a message ROMS did not send");
      continue;
    }
    events::envelope e;
    e.stream = m->id;
    e.time = event_time(ctx, u.time_s);
    e.actor = actor;
    e.correlation_id = u.gateway_message_id;
    const bool in_doubt = m->status == "failed" && m->in_doubt;
    if (u.status == "sent") {
      if (!(m->status == "queued" || m->status == "sending" || in_doubt)) {
        ignored.push_back("sent: already " + m->status);
        continue;
      }
      events::message_sent s;
      s.message_id = m->id;
      s.gateway = std::string(gateway);
      s.gateway_message_id = u.gateway_message_id;
      s.attempt = m->attempts;
      s.via = "webhook";
      e.id =
          consumers::derived_event_id("message.sent.webhook:" + m->id + ":" + u.gateway_message_id);
      e.type = std::string(events::message_sent::kType);
      e.payload = events::encode_payload(s);
    } else if (u.status == "delivered" || u.status == "read") {
      if (m->status == "failed" && !m->in_doubt) {
        ignored.push_back(u.status + ": the message failed");
        continue;
      }
      if (!in_doubt && rank(m->status) >= rank(u.status)) {
        ignored.push_back(u.status + ": already " + m->status);
        continue;
      }
      e.id = consumers::derived_event_id("message." + u.status + ":" + m->id);
      if (u.status == "delivered") {
        e.type = std::string(events::message_delivered::kType);
        e.payload = events::encode_payload(events::message_delivered{m->id, u.gateway_message_id});
      } else {
        e.type = std::string(events::message_read::kType);
        e.payload = events::encode_payload(events::message_read{m->id, u.gateway_message_id});
      }
    } else {  // failed
      if (!(m->status == "sent" || m->status == "sending" || in_doubt)) {
        ignored.push_back("failed: already " + m->status);
        continue;
      }
      events::message_failed f;
      f.message_id = m->id;
      f.attempt = m->attempts;
      f.retryable = false;
      f.code = "gateway_failed";
      f.error = u.error.empty() ? "the gateway reported the message failed" : u.error;
      e.id = consumers::derived_event_id("message.failed.gateway:" + m->id + ":" +
                                         u.gateway_message_id);
      e.type = std::string(events::message_failed::kType);
      e.payload = events::encode_payload(f);
    }
    out.push_back(std::move(e));
  }

  if (!b.messages.empty()) {
    auto customers = ctx.store->view("customers");
    for (const auto& in : b.messages) {
      const std::string key = std::string(gateway) + ":" + in.gateway_message_id;
      events::message_received r;
      r.message_id = consumers::derived_id("msg", "received:" + key);
      if (customers) {
        if (auto c = projections::customers_query::by_phone(*customers.value(), in.from))
          r.customer_id = *c;
      }
      r.from = in.from;
      r.text = in.text;
      r.media = in.media;
      r.gateway = std::string(gateway);
      r.gateway_message_id = in.gateway_message_id;
      events::envelope e;
      e.id = consumers::derived_event_id("message.received:" + key);
      e.type = std::string(events::message_received::kType);
      // Until the CS inbox assigns conversations, a customer's inbound messages share one
      // stream (their phone), so they stay in order.
      e.stream = "wa:" + in.from;
      e.time = event_time(ctx, in.time_s);
      e.actor = actor;
      e.correlation_id = in.gateway_message_id;
      e.payload = events::encode_payload(r);
      out.push_back(std::move(e));
    }
  }

  if (b.session) {
    auto rec = projections::messages_query::whatsapp_status(*v);
    if (rec && rec->gateway == gateway && rec->status == b.session->status) {
      ignored.push_back("session already " + b.session->status);
    } else {
      events::whatsapp_status_changed c;
      c.gateway = std::string(gateway);
      c.status = b.session->status;
      c.detail = b.session->detail;
      events::envelope e;
      e.time = ctx.clk->now();
      e.id = b.session->time_ms > 0
                 ? consumers::derived_event_id("whatsapp.status:" + std::string(gateway) + ":" +
                                               b.session->detail + ":" +
                                               std::to_string(b.session->time_ms))
                 : events::new_event_id(e.time);
      e.type = std::string(events::whatsapp_status_changed::kType);
      e.stream = "whatsapp";
      e.actor = actor;
      e.payload = events::encode_payload(c);
      out.push_back(std::move(e));
    }
  }
  return out;
}

void process(std::shared_ptr<hook_state> st, std::string gateway, std::string body, responder out) {
  internal::defer([st, gateway, body = std::move(body), out] {
    context& ctx = *st->ctx;
    auto parsed = gateway == "cloud" ? consumers::whatsapp::parse_cloud_webhook(body)
                                     : consumers::whatsapp::parse_waha_webhook(body);
    if (!parsed) {
      // Signed, but not something we understand: a retry would not help.
      st->count(gateway, "ignored");
      return out.respond(json_answer(
          200, json::object{{"status", "ignored"}, {"reason", parsed.error().message}}));
    }
    std::vector<std::string> ignored = parsed.value().ignored;
    auto evs = to_events(ctx, gateway, parsed.value(), ignored);
    json::object answer{{"status", "accepted"}, {"appended", 0}};
    if (!evs.empty()) {
      auto a = ctx.log->append(evs);
      if (!a) {
        st->count(gateway, "failed");
        return out.respond(error_response(503, "unavailable",
                                          "could not record the webhook: " + a.error().message()));
      }
      int64_t appended = 0;
      for (const auto& r : a.value())
        if (!r.duplicate) ++appended;
      answer["appended"] = appended;
      answer["position"] = events::to_string(a.value().back().position, ctx.cfg.single_partition);
    }
    json::array ig;
    for (auto& i : ignored) ig.push_back(json::value(i));
    answer["ignored"] = std::move(ig);
    st->count(gateway, "accepted");
    out.respond(json_answer(200, answer));
  });
}

bool refuse_unsigned(const hook_state& st, std::string_view gateway, std::string_view secret,
                     std::string_view variable, bool valid, std::string_view header,
                     const responder& out) {
  if (secret.empty()) {
    st.count(gateway, "secret_missing");
    out.respond(error_response(401, "webhook_secret_missing",
                               std::string(variable) + " is not set: " + std::string(gateway) +
                                   " webhooks are refused until it is configured"));
    return true;
  }
  if (!valid) {
    st.count(gateway, "invalid_signature");
    out.respond(error_response(401, "invalid_signature",
                               std::string(header) + " does not match the body and the secret"));
    return true;
  }
  return false;
}

void cloud_verify(const std::shared_ptr<hook_state>& st, request&& req, responder out) {
  const auto& cfg = st->ctx->cfg;
  const bool ok =
      req.query_param("hub.mode") == "subscribe" && !cfg.wa_cloud_verify_token.empty() &&
      internal::constant_time_equal(req.query_param("hub.verify_token"), cfg.wa_cloud_verify_token);
  if (!ok) {
    st->count("cloud", "verify_refused");
    return out.respond(error_response(
        403, "forbidden", "hub.verify_token does not match ROMS_WA_CLOUD_VERIFY_TOKEN"));
  }
  st->count("cloud", "verified");
  response r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(req.query_param("hub.challenge"));
  out.respond(std::move(r));
}

void cloud_hook(const std::shared_ptr<hook_state>& st, request&& req, responder out) {
  const auto& secret = st->ctx->cfg.wa_cloud_app_secret;
  auto sig = req.header("X-Hub-Signature-256");
  if (refuse_unsigned(*st, "cloud", secret, "ROMS_WA_CLOUD_APP_SECRET",
                      internal::verify_hub_signature_256(secret, req.body, sig),
                      "X-Hub-Signature-256", out))
    return;
  if (st->ctx->cfg.read_only || !st->ctx->log)
    return out.respond(error_response(403, "read_only", "this server is read-only"));
  process(st, "cloud", std::move(req.body), std::move(out));
}

void waha_hook(const std::shared_ptr<hook_state>& st, request&& req, responder out) {
  const auto& key = st->ctx->cfg.waha_hmac_key;
  auto algorithm = req.header("X-Webhook-Hmac-Algorithm");
  const bool valid = (algorithm.empty() || algorithm == "sha512") &&
                     internal::verify_hmac_sha512_hex(key, req.body, req.header("X-Webhook-Hmac"));
  if (refuse_unsigned(*st, "waha", key, "ROMS_WAHA_HMAC_KEY", valid, "X-Webhook-Hmac", out)) return;
  if (st->ctx->cfg.read_only || !st->ctx->log)
    return out.respond(error_response(403, "read_only", "this server is read-only"));
  process(st, "waha", std::move(req.body), std::move(out));
}

}  // namespace

void add_messaging_routes(router& r, context& ctx) {
  auto st = std::make_shared<hook_state>();
  st->ctx = &ctx;
  if (ctx.metrics) {
    st->deliveries = &ctx.metrics->counter("roms_whatsapp_webhooks_total",
                                           "WhatsApp webhook deliveries by gateway and outcome.",
                                           {"gateway", "outcome"});
  }
  r.add("GET", "/api/v1/messages", [&ctx](request&& req, path_params&&, responder out) {
    list_messages(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/messages/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_message(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("POST", "/api/v1/messages/{id}/retry",
        [&ctx](request&& req, path_params&& p, responder out) {
          retry_message(ctx, std::move(req), std::move(p), std::move(out));
        });
  r.add("GET", "/api/v1/whatsapp/status", [&ctx](request&& req, path_params&&, responder out) {
    whatsapp_status(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/whatsapp/qr", [&ctx](request&& req, path_params&&, responder out) {
    whatsapp_qr(ctx, std::move(req), std::move(out));
  });
  r.add("GET", "/api/v1/media/{sha256}", [&ctx](request&& req, path_params&& p, responder out) {
    serve_media(ctx, std::move(req), std::move(p), std::move(out));
  });
  r.add("GET", "/webhooks/whatsapp/cloud", [st](request&& req, path_params&&, responder out) {
    cloud_verify(st, std::move(req), std::move(out));
  });
  r.add("POST", "/webhooks/whatsapp/cloud", [st](request&& req, path_params&&, responder out) {
    cloud_hook(st, std::move(req), std::move(out));
  });
  r.add("POST", "/webhooks/whatsapp/waha", [st](request&& req, path_params&&, responder out) {
    waha_hook(st, std::move(req), std::move(out));
  });
}

}  // namespace roms::http::api

namespace roms::http::api::internal {

whatsapp_state whatsapp_state_of(const context& ctx) {
  if (ctx.cfg.whatsapp == "off" || !ctx.whatsapp)
    return {"disconnected", "WhatsApp is off (ROMS_WHATSAPP): messages wait in the outbox", ""};
  std::optional<projections::whatsapp_status_record> rec;
  if (ctx.store) {
    if (auto v = ctx.store->view("messages"))
      rec = projections::messages_query::whatsapp_status(*v.value());
  }
  if (rec && rec->gateway == ctx.cfg.whatsapp) return {rec->status, rec->detail, rec->since};
  return {"disconnected", "not checked yet", ""};
}

}  // namespace roms::http::api::internal
