// Login, sessions, users and API keys (CONTRACT.md "Auth, users, keys"). Thin: parse, check
// access with require(), call the auth_service (auth.h), render. Work that hashes a password or
// waits for the log runs on the service's workers (auth_service::post), never on an I/O thread.
//
//   POST   /api/v1/auth/login      {"email","password"} → Set-Cookie, {"user","csrf_token"}  public
//   GET    /api/v1/auth/me         the same for the current session (an API key: {"api_key"})
//   POST   /api/v1/auth/logout     ends the session, clears the cookie (204)
//   GET    /api/v1/users           Admin          POST /api/v1/users            Admin (201)
//   GET    /api/v1/users/{id}      Admin          PATCH /api/v1/users/{id}      Admin
//   GET    /api/v1/apikeys         Admin          POST /api/v1/apikeys          Admin (201, "key"
//   once) GET    /api/v1/apikeys/{id}    Admin          DELETE /api/v1/apikeys/{id}   Admin
#include <optional>
#include <string>
#include <vector>

#include "events/json_writer.h"
#include "http/api/auth.h"
#include "http/api/context.h"
#include "http/api/internal/common.h"
#include "http/errors.h"

namespace roms::http::api {
namespace {

namespace pr = projections;

struct login_body {
  std::string email, password;
  template <class V>
  void fields(V& v) {
    v("email", email);
    v("password", password);
  }
};

struct user_body {
  std::string email, password, role, display_name;
  template <class V>
  void fields(V& v) {
    v("email", email);
    v("password", password);
    v("role", role);
    v("display_name", display_name);
  }
};

struct user_patch {
  std::optional<std::string> role, display_name, password;
  std::optional<bool> disabled;
  template <class V>
  void fields(V& v) {
    v("role", role);
    v("display_name", display_name);
    v("password", password);
    v("disabled", disabled);
  }
};

struct key_body {
  std::string name;
  std::vector<std::string> scopes;
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("scopes", scopes);
  }
};

void no_store(response& r) { r.headers.emplace_back("Cache-Control", "no-store"); }

// The service behind ctx.auth; answers 503 and returns null when the server has none.
auth_service* service(context& ctx, const responder& out) {
  auto* s = dynamic_cast<auth_service*>(ctx.auth);
  if (!s) out.respond(error_response(503, "unavailable", "authentication is not configured"));
  return s;
}

// Queues `job` on the service's workers; 503 when they are saturated.
void on_worker(auth_service& svc, const responder& out, std::function<void()> job) {
  if (!svc.post(std::move(job)))
    out.respond(error_response(503, "unavailable", "the server is busy; retry shortly"));
}

// A browser form can post text/plain, urlencoded or multipart across sites without a CORS
// preflight; a JSON API only takes JSON. Refusing the rest blocks login CSRF (an attacker
// signing a victim into the attacker's account).
bool json_content(const request& req, const responder& out) {
  std::string_view ct = req.header("Content-Type");
  auto semi = ct.find(';');
  std::string t(ct.substr(0, semi));
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  if (t == "application/json") return true;
  out.respond(error_response(415, "unsupported_media_type",
                             "send the body as JSON with Content-Type: application/json"));
  return false;
}

std::string position_text(context& ctx, const std::optional<events::log_position>& p) {
  return p ? events::to_string(*p, ctx.cfg.single_partition) : std::string();
}

// 201/200 with the resource and X-Roms-Position, or 202 "applying" when the read models have
// not applied the write within the bounded wait (CONTRACT.md).
template <class T>
response written_answer(context& ctx, int status, const written<T>& w, std::string body) {
  std::string pos = position_text(ctx, w.position);
  if (!w.applied) {
    events::json_writer j;
    j.begin_object().field("status", "applying").field("position", std::string_view(pos));
    j.end_object();
    response r = json(202, std::move(j).str());
    r.headers.emplace_back("X-Roms-Position", pos);
    return r;
  }
  response r = json(status, std::move(body));
  if (!pos.empty()) r.headers.emplace_back("X-Roms-Position", pos);
  return r;
}

std::string session_json(const pr::user_record& u, std::string_view csrf) {
  events::json_writer w;
  w.begin_object().key("user").begin_object().field("id", u.id).field("email", u.email);
  w.field("role", u.role).field("display_name", u.display_name).end_object();
  w.field("csrf_token", csrf).end_object();
  return std::move(w).str();
}

template <class T, class F>
std::string list_json(const std::vector<T>& items, const std::string& next_cursor, F&& one) {
  events::json_writer w;
  w.begin_object().key("items").begin_array();
  for (const auto& i : items) w.raw(one(i));
  w.end_array().key("next_cursor");
  if (next_cursor.empty())
    w.null();
  else
    w.value(next_cursor);
  w.end_object();
  return std::move(w).str();
}

// Admin only, and only by session: keys never manage users or keys (require() refuses them
// too; this is the second lock on the door).
std::optional<principal> require_admin(context& ctx, const request& req, const responder& out) {
  auto who = require(ctx, req, out, access::admin);
  if (!who) return std::nullopt;
  if (who->via != principal::kind::session) {
    out.respond(error_response(403, "forbidden", "API keys cannot manage users or keys"));
    return std::nullopt;
  }
  return who;
}

// ---------------------------------------------------------------- session

void login(context& ctx, request&& req, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc || !json_content(req, out)) return;
  auto b = parse_request_json<login_body>(req.body);
  if (!b) return out.respond(auth_error_response(b.error()));
  on_worker(*svc, out,
            [svc, out, b = std::move(b).value(), addr = req.remote_address,
             ua = std::string(req.header("User-Agent"))]() mutable {
              auto s = svc->login(b.email, b.password, addr, ua);
              std::fill(b.password.begin(), b.password.end(), '\0');
              if (!s) return out.respond(auth_error_response(s.error()));
              const auto& ls = s.value().value;
              response r = json(200, session_json(ls.user, ls.csrf_token));
              r.headers.emplace_back("Set-Cookie", svc->session_cookie(ls));
              no_store(r);
              out.respond(std::move(r));
            });
}

void me(context& ctx, const request& req, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc) return;
  auto who = require(ctx, req, out, access::read);
  if (!who) return;
  response r;
  if (who->via == principal::kind::session) {
    auto u = svc->find_user(who->id);
    if (!u) return out.respond(error_response(401, "unauthorized", "no such user"));
    r = json(200, session_json(*u, who->csrf_token));
  } else {
    auto k = svc->find_api_key(who->id);
    events::json_writer w;
    w.begin_object().key("api_key").begin_object().field("id", who->id);
    w.field("name", k ? std::string_view(k->name) : std::string_view()).key("scopes").begin_array();
    for (const auto& s : who->scopes) w.value(s);
    w.end_array().end_object().end_object();
    r = json(200, std::move(w).str());
  }
  no_store(r);
  out.respond(std::move(r));
}

void logout(context& ctx, request&& req, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc) return;
  std::optional<principal> who;
  if (ctx.cfg.read_only) {
    // require() refuses every write on a read-only server, but ending a session (kept in
    // memory there) writes no data: check the session and its CSRF token here.
    auto p = svc->authenticate(req);
    if (!p) return out.respond(error_response(p.error().code, p.error().message));
    if (p.value().via == principal::kind::session &&
        !equal_constant_time(req.header("X-CSRF-Token"), p.value().csrf_token))
      return out.respond(
          error_response(403, "csrf_required", "send the csrf_token from login in X-CSRF-Token"));
    who = std::move(p).value();
  } else {
    who = require(ctx, req, out, access::read);
    if (!who) return;
  }
  if (who->via != principal::kind::session)
    return out.respond(error_response(400, "invalid_argument",
                                      "logout ends a session; this request used an API key"));
  on_worker(*svc, out, [svc, out, req = std::move(req)] {
    auto r = svc->logout(req);
    if (!r) return out.respond(auth_error_response(r.error()));
    response ok;
    ok.status = 204;
    ok.content_type.clear();
    ok.headers.emplace_back("Set-Cookie", svc->clear_session_cookie());
    no_store(ok);
    out.respond(std::move(ok));
  });
}

// ---------------------------------------------------------------- users

void list_users(context& ctx, const request& req, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc || !require_admin(ctx, req, out)) return;
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  const std::string sig = internal::signature("users", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  auto page = svc->list_users(*limit, *cursor);
  if (!page) return out.respond(auth_error_response(page.error()));
  out.respond(
      json(200, list_json(page.value().items, internal::make_cursor(sig, page.value().next_cursor),
                          [](const pr::user_record& u) { return user_json(u); })));
}

void create_user(context& ctx, const request& req, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc) return;
  auto who = require_admin(ctx, req, out);
  if (!who) return;
  auto b = parse_request_json<user_body>(req.body);
  if (!b) return out.respond(auth_error_response(b.error()));
  on_worker(*svc, out, [&ctx, svc, out, actor = who->actor, b = std::move(b).value()]() mutable {
    auto w = svc->create_user({b.email, b.role, b.password, b.display_name}, actor);
    std::fill(b.password.begin(), b.password.end(), '\0');
    if (!w) return out.respond(auth_error_response(w.error()));
    response r = written_answer(ctx, 201, w.value(), user_json(w.value().value));
    r.headers.emplace_back("Location", "/api/v1/users/" + w.value().value.id);
    out.respond(std::move(r));
  });
}

void get_user(context& ctx, const request& req, std::string id, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc || !require_admin(ctx, req, out)) return;
  auto u = svc->find_user(id);
  if (!u) return out.respond(error_response(404, "not_found", "no user " + id));
  out.respond(json(200, user_json(*u)));
}

void update_user(context& ctx, const request& req, std::string id, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc) return;
  auto who = require_admin(ctx, req, out);
  if (!who) return;
  auto b = parse_request_json<user_patch>(req.body);
  if (!b) return out.respond(auth_error_response(b.error()));
  on_worker(
      *svc, out,
      [&ctx, svc, out, actor = who->actor, id = std::move(id), b = std::move(b).value()]() mutable {
        auto w = svc->update_user(id, {b.role, b.display_name, b.password, b.disabled}, actor);
        if (b.password) std::fill(b.password->begin(), b.password->end(), '\0');
        if (!w) return out.respond(auth_error_response(w.error()));
        out.respond(written_answer(ctx, 200, w.value(), user_json(w.value().value)));
      });
}

// ---------------------------------------------------------------- API keys

void list_keys(context& ctx, const request& req, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc || !require_admin(ctx, req, out)) return;
  auto limit = internal::parse_limit(req, out);
  if (!limit) return;
  const std::string sig = internal::signature("apikeys", req);
  auto cursor = internal::parse_cursor(req, out, sig);
  if (!cursor) return;
  auto page = svc->list_api_keys(*limit, *cursor);
  if (!page) return out.respond(auth_error_response(page.error()));
  out.respond(
      json(200, list_json(page.value().items, internal::make_cursor(sig, page.value().next_cursor),
                          [](const pr::apikey_record& k) { return apikey_json(k); })));
}

void create_key(context& ctx, const request& req, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc) return;
  auto who = require_admin(ctx, req, out);
  if (!who) return;
  auto b = parse_request_json<key_body>(req.body);
  if (!b) return out.respond(auth_error_response(b.error()));
  on_worker(*svc, out, [&ctx, svc, out, actor = who->actor, b = std::move(b).value()] {
    auto w = svc->create_api_key(b.name, b.scopes, actor);
    if (!w) return out.respond(auth_error_response(w.error()));
    // The key is shown now or never: answer 201 with it even if the read models are slow
    // (the service keeps the new key usable in the meantime).
    const auto& k = w.value();
    response r = json(201, apikey_json(k.value.record, k.value.key));
    std::string pos = position_text(ctx, k.position);
    if (!pos.empty()) r.headers.emplace_back("X-Roms-Position", pos);
    r.headers.emplace_back("Location", "/api/v1/apikeys/" + k.value.record.id);
    no_store(r);
    out.respond(std::move(r));
  });
}

void get_key(context& ctx, const request& req, std::string id, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc || !require_admin(ctx, req, out)) return;
  auto k = svc->find_api_key(id);
  if (!k) return out.respond(error_response(404, "not_found", "no API key " + id));
  out.respond(json(200, apikey_json(*k)));
}

void revoke_key(context& ctx, const request& req, std::string id, const responder& out) {
  auto* svc = service(ctx, out);
  if (!svc) return;
  auto who = require_admin(ctx, req, out);
  if (!who) return;
  on_worker(*svc, out, [&ctx, svc, out, actor = who->actor, id = std::move(id)] {
    auto w = svc->revoke_api_key(id, actor);
    if (!w) return out.respond(auth_error_response(w.error()));
    // Revocation takes effect at once even when the read models lag (the service refuses the
    // key in the meantime), so the answer is always the revoked key.
    response r = json(200, apikey_json(w.value().value));
    std::string pos = position_text(ctx, w.value().position);
    if (!pos.empty()) r.headers.emplace_back("X-Roms-Position", pos);
    out.respond(std::move(r));
  });
}

}  // namespace

void add_auth_routes(router& r, context& ctx) {
  r.add("POST", "/api/v1/auth/login",
        [&ctx](request&& req, path_params&&, responder out) { login(ctx, std::move(req), out); });
  r.add("GET", "/api/v1/auth/me",
        [&ctx](request&& req, path_params&&, responder out) { me(ctx, req, out); });
  r.add("POST", "/api/v1/auth/logout",
        [&ctx](request&& req, path_params&&, responder out) { logout(ctx, std::move(req), out); });
  r.add("GET", "/api/v1/users",
        [&ctx](request&& req, path_params&&, responder out) { list_users(ctx, req, out); });
  r.add("POST", "/api/v1/users",
        [&ctx](request&& req, path_params&&, responder out) { create_user(ctx, req, out); });
  r.add("GET", "/api/v1/users/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_user(ctx, req, std::string(p["id"]), out);
  });
  r.add("PATCH", "/api/v1/users/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    update_user(ctx, req, std::string(p["id"]), out);
  });
  r.add("GET", "/api/v1/apikeys",
        [&ctx](request&& req, path_params&&, responder out) { list_keys(ctx, req, out); });
  r.add("POST", "/api/v1/apikeys",
        [&ctx](request&& req, path_params&&, responder out) { create_key(ctx, req, out); });
  r.add("GET", "/api/v1/apikeys/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    get_key(ctx, req, std::string(p["id"]), out);
  });
  r.add("DELETE", "/api/v1/apikeys/{id}", [&ctx](request&& req, path_params&& p, responder out) {
    revoke_key(ctx, req, std::string(p["id"]), out);
  });
}

}  // namespace roms::http::api
