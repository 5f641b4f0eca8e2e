// The v1 API as one handler: every route group, /healthz, /metrics and the OpenAPI document;
// and the helpers every route uses (require, json, after_min_position). README.md describes
// the flow of a request.
#include <chrono>
#include <mutex>
#include <thread>

#include "consumers/runner.h"
#include "core/errc.h"
#include "core/metrics.h"
#include "events/json_writer.h"
#include "events/log.h"
#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/api/internal/openapi.h"
#include "http/api/stream.h"
#include "http/errors.h"
#include "projections/store.h"

namespace roms::http::api {

using namespace std::chrono_literals;

// How long a read with min_position= waits for the read models.
constexpr auto kReadWait = 2s;

response json(int status, std::string body) {
  response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// ---------------------------------------------------------------- access

namespace {

bool changes_state(const request& req) {
  return req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
}

bool has_scope(const principal& p, std::string_view scope) {
  for (const auto& s : p.scopes)
    if (s == scope) return true;
  return false;
}

const char* role_name(role r) { return r == role::admin ? "admin" : "cs"; }

// Empty when allowed, else why not ({"required": …} goes into the details).
std::string refusal(const principal& p, access a, std::string& required) {
  const bool key = p.via == principal::kind::api_key;
  const bool admin = !key && p.user_role == role::admin;
  const bool cs = !key && p.user_role == role::cs;
  switch (a) {
    case access::read:
      if (key ? has_scope(p, "read") : (admin || cs)) return {};
      required = "read";
      return "this API key lacks the scope read";
    case access::orders_write:
      if (key ? has_scope(p, "orders:write") : admin) return {};
      required = key ? "orders:write" : "admin";
      return key ? "this API key lacks the scope orders:write" : "only an Admin may change orders";
    case access::catalog_write:
      if (key ? has_scope(p, "catalog:write") : admin) return {};
      required = key ? "catalog:write" : "admin";
      return key ? "this API key lacks the scope catalog:write"
                 : "only an Admin may change products and stock";
    case access::customer_edit:
      if (key ? has_scope(p, "orders:write") : (admin || cs)) return {};
      required = "orders:write";
      return "this API key lacks the scope orders:write";
    case access::admin:
      if (admin) return {};
      required = "admin";
      return key ? "API keys cannot do this; sign in as an Admin"
                 : std::string("only an Admin may do this (you are ") + role_name(p.user_role) +
                       ")";
    case access::cs_work:
      if (admin || cs) return {};
      required = "session";
      return "API keys cannot do this; sign in";
  }
  required = "admin";
  return "forbidden";
}

std::string required_details(std::string_view required) {
  events::json_writer w;
  w.begin_object().field("required", required).end_object();
  return std::move(w).str();
}

}  // namespace

std::optional<principal> require(context& ctx, const request& req, const responder& out, access a) {
  if (!ctx.auth) {
    out.respond(error_response(401, "unauthorized", "no way to check credentials on this server"));
    return std::nullopt;
  }
  auto who = ctx.auth->authenticate(req);
  if (!who) {
    const auto& e = who.error();
    if (status_for(e.code) == 500) {
      // An authenticator failing for another reason (storage) is still "not authenticated"
      // for the client; its message is not shown.
      out.respond(error_response(401, "unauthorized", "credentials could not be checked"));
    } else {
      out.respond(
          error_response(e.code, e.message.empty() ? "missing or invalid credentials" : e.message));
    }
    return std::nullopt;
  }
  principal p = std::move(who).value();
  std::string required;
  if (auto why = refusal(p, a, required); !why.empty()) {
    out.respond(error_response(403, "forbidden", std::move(why), required_details(required)));
    return std::nullopt;
  }
  if (changes_state(req)) {
    if (ctx.cfg.read_only) {
      out.respond(error_response(403, "read_only", "this server is read-only"));
      return std::nullopt;
    }
    if (p.via == principal::kind::session &&
        !internal::secret_equal(req.header("X-CSRF-Token"), p.csrf_token)) {
      out.respond(error_response(403, "csrf_required",
                                 "a signed-in request that changes state must send the "
                                 "csrf_token from login in X-CSRF-Token"));
      return std::nullopt;
    }
  }
  return p;
}

// ---------------------------------------------------------------- min_position

void after_min_position(context& ctx, const request& req, const responder& out,
                        std::function<void()> then) {
  if (!req.has_query_param("min_position")) return then();
  auto p = events::parse_position(req.query_param("min_position"));
  if (!p || (ctx.cfg.single_partition && p->partition != 0)) {
    return internal::answer_bad_param(
        out, "min_position",
        ctx.cfg.single_partition ? "min_position: a log position such as 42 (X-Roms-Position)"
                                 : "min_position: a log position such as 3:42 (X-Roms-Position)");
  }
  if (!ctx.runner) {
    // Read-only: the read models hold what they hold; a position beyond it never arrives.
    if (auto info = ctx.store->info(); !info.empty()) {
      for (const auto& i : info) {
        auto part = static_cast<size_t>(p->partition);
        int64_t next = part < i.position.size() ? i.position[part] : 0;
        if (next <= p->offset) {
          return internal::answer_bad_param(
              out, "min_position", "min_position: beyond what this read-only server holds");
        }
      }
    }
    return then();
  }
  const auto caller = std::this_thread::get_id();
  std::string pos = events::to_string(*p, ctx.cfg.single_partition);
  ctx.runner->on_reached(
      *p, std::chrono::steady_clock::now() + kReadWait,
      [out, caller, pos = std::move(pos), then = std::move(then)](bool reached) mutable {
        if (!reached) {
          events::json_writer w;
          w.begin_object().field("min_position", std::string_view(pos)).end_object();
          return out.respond(
              error_response(make_error_code(errc::timeout),
                             "the read models have not reached position " + pos + " yet; retry",
                             std::move(w).str()));
        }
        // Already reached: on_reached calls back at once on the caller's thread. Otherwise
        // this is the runner's thread, which must not do the read: the connection's I/O
        // thread does it, as it does for a request without min_position.
        if (std::this_thread::get_id() == caller) return then();
        out.run_on_io(std::move(then));
      });
}

// ---------------------------------------------------------------- healthz, metrics, openapi

namespace {

// GET /healthz computes its figures at most once a second (runner status asks the log for
// its end, which on Kafka is a broker round trip); in between it answers the cached body.
struct health_cache {
  std::mutex mu;
  std::string body;
  int status = 200;
  std::chrono::steady_clock::time_point at{};
};

std::pair<int, std::string> compute_health(context& ctx) {
  events::json_writer w;
  w.begin_object();
  int status = 200;
  std::string state = "ok";
  std::vector<projections::projection_info> infos;
  if (ctx.store) infos = ctx.store->info();
  if (ctx.runner) {
    auto st = ctx.runner->status();
    if (!st.running || st.error) {
      state = "failing";
      status = 503;
    }
    w.field("status", std::string_view(state));
    w.field("read_only", ctx.cfg.read_only);
    w.key("log").begin_object();
    w.key("end_offsets").begin_array();
    for (auto o : st.log_end) w.value(o);
    w.end_array();
    w.key("applied").begin_array();
    for (auto o : st.applied) w.value(o);
    w.end_array();
    w.end_object();
    w.key("runner").begin_object();
    w.field("running", st.running);
    w.key("error");
    if (st.error) {
      w.value(std::string_view(st.error->message));
    } else {
      w.null();
    }
    w.field("events_applied", st.events_applied);
    w.end_object();
    w.key("projections").begin_array();
    for (const auto& p : st.projections) {
      w.begin_object();
      w.field("name", std::string_view(p.name));
      w.field("lag", p.lag);
      w.key("position").begin_array();
      for (auto o : p.position) w.value(o);
      w.end_array();
      w.field("stale", p.stale);
      w.field("rebuilding", p.rebuilding);
      w.end_object();
    }
    w.end_array();
  } else {
    w.field("status", std::string_view(state));
    w.field("read_only", true);
    w.key("log").null();
    w.key("projections").begin_array();
    for (const auto& i : infos) {
      w.begin_object();
      w.field("name", std::string_view(i.name));
      w.field("lag", int64_t{0});
      w.key("position").begin_array();
      for (auto o : i.position) w.value(o);
      w.end_array();
      w.field("stale", i.stale());
      w.field("rebuilding", false);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  return {status, std::move(w).str()};
}

void healthz(context& ctx, const std::shared_ptr<health_cache>& cache, const responder& out) {
  {
    std::lock_guard lk(cache->mu);
    if (!cache->body.empty() && std::chrono::steady_clock::now() - cache->at < 1s)
      return out.respond(json(cache->status, cache->body));
  }
  internal::defer([&ctx, cache, out] {
    auto [status, body] = compute_health(ctx);
    {
      std::lock_guard lk(cache->mu);
      cache->status = status;
      cache->body = body;
      cache->at = std::chrono::steady_clock::now();
    }
    out.respond(json(status, std::move(body)));
  });
}

void serve_metrics(context& ctx, const request& req, const responder& out) {
  if (!req.remote_is_loopback) {
    if (ctx.cfg.metrics_token.empty())
      return out.respond(error_response(403, "forbidden", "metrics are served on loopback only"));
    std::string_view auth = req.header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    bool ok = auth.size() > kBearer.size() && auth.substr(0, kBearer.size()) == kBearer &&
              internal::secret_equal(auth.substr(kBearer.size()), ctx.cfg.metrics_token);
    if (!ok) {
      auto r =
          error_response(401, "unauthorized", "send Authorization: Bearer $ROMS_METRICS_TOKEN");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"metrics\"");
      return out.respond(std::move(r));
    }
  }
  metrics::registry* reg = ctx.metrics ? ctx.metrics : &metrics::default_registry();
  internal::defer([reg, out] {
    response r;
    r.content_type = std::string(metrics::content_type);
    r.body = reg->render();
    out.respond(std::move(r));
  });
}

}  // namespace

handler make_handler(context& ctx) {
  auto r = std::make_shared<router>();
  auto cache = std::make_shared<health_cache>();
  r->add("GET", "/healthz",
         [&ctx, cache](request&&, path_params&&, responder out) { healthz(ctx, cache, out); });
  r->add("GET", "/metrics",
         [&ctx](request&& req, path_params&&, responder out) { serve_metrics(ctx, req, out); });
  r->add("GET", "/api/v1/openapi.json", [](request&&, path_params&&, responder out) {
    out.respond(json(200, std::string(internal::openapi_json())));
  });
  add_order_routes(*r, ctx);
  add_catalog_routes(*r, ctx);
  add_customer_routes(*r, ctx);
  add_settings_routes(*r, ctx);
  add_auth_routes(*r, ctx);
  add_webhook_routes(*r, ctx);
  add_messaging_routes(*r, ctx);
  add_automation_routes(*r, ctx);
  add_inbox_routes(*r, ctx);
  // GET /api/v1/stream: the hub tails the log on its own thread and lives as long as the
  // handler (the server holds it until it is destroyed).
  auto hub = add_stream_routes(*r, ctx);
  return [r, hub](request&& req, responder out) { (*r)(std::move(req), std::move(out)); };
}

}  // namespace roms::http::api
