// The auth routes through the whole v1 API on a real server on loopback, with the real
// auth_service over a real log, store and runner (auth_stack.h): login, cookies, me/logout,
// CSRF, throttling, roles, API keys and scopes, restarts.
#include <gtest/gtest.h>

#include <string>

#include "http/api/auth.h"
#include "tests/http/auth_stack.h"
#include "tests/testing/temp_dir.h"

namespace roms::http::api {
namespace {

using roms::testing::auth_stack;
using roms::testing::reply;
using roms::testing::temp_dir;

// The string value of "key" in a flat JSON answer (test data has no escapes).
std::string jstr(const std::string& body, std::string_view key) {
  std::string k = "\"" + std::string(key) + "\":\"";
  auto at = body.find(k);
  if (at == std::string::npos) return {};
  at += k.size();
  return body.substr(at, body.find('"', at) - at);
}

std::string error_code(const reply& r) { return jstr(r.body, "code"); }

struct session {
  std::string cookie;  // "roms_session=…"
  std::string csrf;
  std::string user_id;
  // Headers for a request in this session; `csrf` adds the token.
  std::string headers(bool with_csrf = true) const {
    std::string h = "Cookie: " + cookie + "\r\n";
    if (with_csrf) h += "X-CSRF-Token: " + csrf + "\r\n";
    return h;
  }
};

class AuthRoutes : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void start(auth_options o = roms::testing::test_auth_options()) {
    s_ = std::make_unique<auth_stack>(dir_.path(), o);
    auto r = s_->open();
    ASSERT_TRUE(r) << r.error().message;
    auto sv = s_->serve();
    ASSERT_TRUE(sv) << sv.error().message;
  }
  void restart(auth_options o = roms::testing::test_auth_options()) {
    s_.reset();
    start(o);
  }
  std::string make_user(const std::string& email, const std::string& role) {
    auto u = s_->svc().create_user({email, role, "password-123", ""}, "cli");
    EXPECT_TRUE(u);
    return u.value().value.id;
  }
  reply login_reply(const std::string& email, const std::string& password = "password-123") {
    return s_->call("POST", "/api/v1/auth/login",
                    R"({"email":")" + email + R"(","password":")" + password + R"("})");
  }
  session login(const std::string& email) {
    auto r = login_reply(email);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string cookie = r.header("Set-Cookie");
    return {cookie.substr(0, cookie.find(';')), jstr(r.body, "csrf_token"), jstr(r.body, "id")};
  }
  // A new API key through the API (admin session); returns {id, key}.
  std::pair<std::string, std::string> make_key(const session& admin, const std::string& body) {
    auto r = s_->call("POST", "/api/v1/apikeys", body, admin.headers());
    EXPECT_EQ(r.status, 201) << r.body;
    return {jstr(r.body, "id"), jstr(r.body, "key")};
  }

  temp_dir dir_;
  std::unique_ptr<auth_stack> s_;
};

TEST_F(AuthRoutes, LoginSetsAnHttpOnlySameSiteSessionCookie) {
  auto id = make_user("admin@example.id", "admin");
  auto r = login_reply("Admin@Example.id");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(jstr(r.body, "id"), id);
  EXPECT_EQ(jstr(r.body, "email"), "admin@example.id");
  EXPECT_EQ(jstr(r.body, "role"), "admin");
  EXPECT_EQ(jstr(r.body, "csrf_token").size(), 43u);
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  auto cookies = r.all("Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  const auto& c = cookies[0];
  EXPECT_TRUE(c.starts_with("roms_session=")) << c;
  EXPECT_EQ(c.find(';'), std::string("roms_session=").size() + 43) << c;
  EXPECT_NE(c.find("; HttpOnly"), std::string::npos) << c;
  EXPECT_NE(c.find("; SameSite=Lax"), std::string::npos) << c;
  EXPECT_NE(c.find("; Path=/"), std::string::npos) << c;
  EXPECT_NE(c.find("; Max-Age=604800"), std::string::npos) << c;
  EXPECT_EQ(c.find("Secure"), std::string::npos) << c;  // plain http here
  EXPECT_EQ(r.body.find("password"), std::string::npos);
}

TEST_F(AuthRoutes, TheCookieIsSecureWhenThePublicUrlIsHttps) {
  config cfg;
  cfg.public_url = "https://toko.example.id";
  auto o = auth_options_for(cfg);
  o.argon2 = roms::testing::test_auth_options().argon2;
  restart(o);
  make_user("admin@example.id", "admin");
  auto r = login_reply("admin@example.id");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.header("Set-Cookie").find("; Secure"), std::string::npos);
}

TEST_F(AuthRoutes, AWrongPasswordAndAnUnknownEmailGetTheSame401) {
  make_user("cs@example.id", "cs");
  auto wrong = login_reply("cs@example.id", "wrong-password");
  auto unknown = login_reply("ghost@example.id", "wrong-password");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(error_code(wrong), "invalid_credentials");
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_TRUE(wrong.all("Set-Cookie").empty());
}

TEST_F(AuthRoutes, LoginInputIsValidated) {
  auto malformed = s_->call("POST", "/api/v1/auth/login", "{nope");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(error_code(malformed), "malformed_json");
  auto missing = s_->call("POST", "/api/v1/auth/login", R"({"email":"a@b.id"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find(R"("field":"password")"), std::string::npos) << missing.body;
  auto typed = s_->call("POST", "/api/v1/auth/login", R"({"email":5,"password":"x"})");
  EXPECT_EQ(typed.status, 400);
  EXPECT_NE(typed.body.find(R"("field":"email")"), std::string::npos) << typed.body;
  // What a cross-site HTML form can send is refused (login CSRF).
  for (const char* ct :
       {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}) {
    auto form = s_->call("POST", "/api/v1/auth/login", R"({"email":"a@b.id","password":"x"})",
                         std::string("Content-Type: ") + ct + "\r\n");
    EXPECT_EQ(form.status, 415) << ct;
  }
  auto charset =
      s_->call("POST", "/api/v1/auth/login", R"({"email":"a@b.id","password":"xxxxxxxx"})",
               "Content-Type: application/json; charset=utf-8\r\n");
  EXPECT_EQ(charset.status, 401);
}

TEST_F(AuthRoutes, MeRecoversTheSessionAndLogoutEndsIt) {
  auto id = make_user("cs@example.id", "cs");
  auto s = login("cs@example.id");
  auto me = s_->call("GET", "/api/v1/auth/me", "", s.headers(false));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(jstr(me.body, "id"), id);
  EXPECT_EQ(jstr(me.body, "role"), "cs");
  EXPECT_EQ(jstr(me.body, "csrf_token"), s.csrf);
  EXPECT_EQ(me.header("Cache-Control"), "no-store");
  EXPECT_EQ(s_->call("GET", "/api/v1/auth/me").status, 401);

  auto no_csrf = s_->call("POST", "/api/v1/auth/logout", "", s.headers(false));
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(error_code(no_csrf), "csrf_required");
  auto out = s_->call("POST", "/api/v1/auth/logout", "", s.headers());
  ASSERT_EQ(out.status, 204) << out.body;
  auto cleared = out.header("Set-Cookie");
  EXPECT_TRUE(cleared.starts_with("roms_session=;")) << cleared;
  EXPECT_NE(cleared.find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(s_->call("GET", "/api/v1/auth/me", "", s.headers()).status, 401);
}

TEST_F(AuthRoutes, ASessionWriteNeedsTheCsrfToken) {
  make_user("admin@example.id", "admin");
  auto s = login("admin@example.id");
  const std::string body = R"({"email":"new@example.id","password":"password-123","role":"cs"})";
  auto none = s_->call("POST", "/api/v1/users", body, s.headers(false));
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(error_code(none), "csrf_required");
  auto wrong =
      s_->call("POST", "/api/v1/users", body,
               "Cookie: " + s.cookie + "\r\nX-CSRF-Token: " + std::string(43, 'A') + "\r\n");
  EXPECT_EQ(wrong.status, 403);
  auto ok = s_->call("POST", "/api/v1/users", body, s.headers());
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.header("Location"), "/api/v1/users/" + jstr(ok.body, "id"));
  EXPECT_FALSE(ok.header("X-Roms-Position").empty());
  // Reads need none.
  EXPECT_EQ(s_->call("GET", "/api/v1/users", "", s.headers(false)).status, 200);
  // The new user can log in at once (read-your-writes).
  EXPECT_EQ(login_reply("new@example.id").status, 200);
}

TEST_F(AuthRoutes, RepeatedFailuresAnswer429WithRetryAfter) {
  make_user("cs@example.id", "cs");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login_reply("cs@example.id", "bad-password").status, 401);
  auto r = login_reply("cs@example.id");  // even the right password, while locked
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(error_code(r), "rate_limited");
  EXPECT_GE(std::stoi(r.header("Retry-After")), 1);
  EXPECT_NE(r.body.find("\"retry_after\":"), std::string::npos);
}

TEST_F(AuthRoutes, CsCannotManageUsersOrKeys) {
  make_user("admin@example.id", "admin");
  auto admin_id = make_user("boss@example.id", "admin");
  make_user("cs@example.id", "cs");
  auto cs = login("cs@example.id");
  struct call {
    const char* method;
    std::string target;
    std::string body;
  } calls[] = {
      {"GET", "/api/v1/users", ""},
      {"POST", "/api/v1/users",
       R"({"email":"x@example.id","password":"password-123","role":"admin"})"},
      {"GET", "/api/v1/users/" + admin_id, ""},
      {"PATCH", "/api/v1/users/" + admin_id, R"({"role":"cs"})"},
      {"GET", "/api/v1/apikeys", ""},
      {"POST", "/api/v1/apikeys", R"({"name":"mine"})"},
      {"DELETE", "/api/v1/apikeys/key_x", ""},
  };
  for (const auto& c : calls) {
    auto r = s_->call(c.method, c.target, c.body, cs.headers());
    EXPECT_EQ(r.status, 403) << c.method << " " << c.target << " " << r.body;
    EXPECT_EQ(error_code(r), "forbidden");
  }
  auto me = s_->call("GET", "/api/v1/auth/me", "", cs.headers());
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(jstr(me.body, "role"), "cs");
}

TEST_F(AuthRoutes, AnApiKeyIsShownOnceWorksAndStopsWhenRevoked) {
  make_user("admin@example.id", "admin");
  auto admin = login("admin@example.id");
  auto r = s_->call("POST", "/api/v1/apikeys", R"({"name":"Shopify sync"})", admin.headers());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  const std::string id = jstr(r.body, "id"), key = jstr(r.body, "key");
  ASSERT_EQ(key.size(), kApiKeyLength);
  EXPECT_NE(r.body.find(R"("scopes":["orders:write","catalog:write","read"])"), std::string::npos);
  EXPECT_EQ(r.body.find("key_hash"), std::string::npos);

  auto list = s_->call("GET", "/api/v1/apikeys", "", admin.headers());
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(id), std::string::npos);
  EXPECT_EQ(list.body.find(key), std::string::npos);
  EXPECT_NE(list.body.find(R"("next_cursor":null)"), std::string::npos);
  auto one = s_->call("GET", "/api/v1/apikeys/" + id, "", admin.headers());
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(jstr(one.body, "prefix"), key.substr(0, 13));

  auto me = s_->call("GET", "/api/v1/auth/me", "", "X-API-Key: " + key + "\r\n");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(jstr(me.body, "id"), id);
  EXPECT_EQ(jstr(me.body, "name"), "Shopify sync");

  auto del = s_->call("DELETE", "/api/v1/apikeys/" + id, "", admin.headers());
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_NE(del.body.find(R"("revoked":true)"), std::string::npos);
  auto after = s_->call("GET", "/api/v1/auth/me", "", "X-API-Key: " + key + "\r\n");
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(error_code(after), "unauthorized");
  EXPECT_EQ(s_->call("DELETE", "/api/v1/apikeys/key_nope", "", admin.headers()).status, 404);

  // The raw key never reached the log.
  for (const auto& e : s_->all_events()) EXPECT_EQ(e.find(key.substr(5)), std::string::npos) << e;
}

TEST_F(AuthRoutes, ScopesLimitAKeyAndNoKeyManagesKeysOrUsers) {
  make_user("admin@example.id", "admin");
  auto admin = login("admin@example.id");
  auto [oid, orders_key] = make_key(admin, R"({"name":"orders","scopes":["orders:write"]})");
  auto [fid, full_key] = make_key(admin, R"({"name":"full"})");
  auto bad = s_->call("POST", "/api/v1/apikeys", R"({"name":"x","scopes":["superuser"]})",
                      admin.headers());
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"scopes")"), std::string::npos);

  auto no_read = s_->call("GET", "/api/v1/auth/me", "", "X-API-Key: " + orders_key + "\r\n");
  EXPECT_EQ(no_read.status, 403) << no_read.body;
  for (const auto& [m, t, b] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/api/v1/users", ""},
           {"POST", "/api/v1/apikeys", R"({"name":"escalate"})"},
           {"DELETE", "/api/v1/apikeys/" + oid, ""},
           {"POST", "/api/v1/users",
            R"({"email":"k@example.id","password":"password-123","role":"admin"})"}}) {
    auto r = s_->call(m, t, b, "X-API-Key: " + full_key + "\r\n");
    EXPECT_EQ(r.status, 403) << m << " " << t << " " << r.body;
  }
  // A key needs no CSRF token for its writes; logout is for sessions only.
  auto lo = s_->call("POST", "/api/v1/auth/logout", "", "X-API-Key: " + full_key + "\r\n");
  EXPECT_EQ(lo.status, 400);
}

TEST_F(AuthRoutes, AnAdminManagesUsers) {
  make_user("admin@example.id", "admin");
  auto admin = login("admin@example.id");
  auto created = s_->call(
      "POST", "/api/v1/users",
      R"({"email":"Siti@Example.id","password":"password-123","role":"cs","display_name":"Siti"})",
      admin.headers());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = jstr(created.body, "id");
  EXPECT_EQ(jstr(created.body, "email"), "siti@example.id");
  EXPECT_EQ(jstr(created.body, "display_name"), "Siti");
  EXPECT_EQ(created.body.find("password"), std::string::npos);

  auto dup = s_->call("POST", "/api/v1/users",
                      R"({"email":"siti@example.id","password":"password-123","role":"cs"})",
                      admin.headers());
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(error_code(dup), "email_taken");
  auto bad_role = s_->call("POST", "/api/v1/users",
                           R"({"email":"x@example.id","password":"password-123","role":"owner"})",
                           admin.headers());
  EXPECT_EQ(bad_role.status, 400);
  EXPECT_NE(bad_role.body.find(R"("field":"role")"), std::string::npos);
  auto short_pw =
      s_->call("POST", "/api/v1/users",
               R"({"email":"x@example.id","password":"short","role":"cs"})", admin.headers());
  EXPECT_EQ(short_pw.status, 400);
  EXPECT_NE(short_pw.body.find(R"("field":"password")"), std::string::npos);

  auto patched = s_->call("PATCH", "/api/v1/users/" + id,
                          R"({"role":"admin","display_name":"Siti A."})", admin.headers());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(jstr(patched.body, "role"), "admin");
  EXPECT_EQ(jstr(patched.body, "display_name"), "Siti A.");
  auto got = s_->call("GET", "/api/v1/users/" + id, "", admin.headers());
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(jstr(got.body, "role"), "admin");
  EXPECT_EQ(s_->call("GET", "/api/v1/users/usr_nope", "", admin.headers()).status, 404);
  EXPECT_EQ(s_->call("PATCH", "/api/v1/users/usr_nope", R"({"role":"cs"})", admin.headers()).status,
            404);
  auto typed = s_->call("PATCH", "/api/v1/users/" + id, R"({"disabled":"yes"})", admin.headers());
  EXPECT_EQ(typed.status, 400);

  auto list = s_->call("GET", "/api/v1/users?limit=1", "", admin.headers());
  ASSERT_EQ(list.status, 200);
  std::string cursor = jstr(list.body, "next_cursor");
  ASSERT_FALSE(cursor.empty()) << list.body;
  auto next = s_->call("GET", "/api/v1/users?limit=1&cursor=" + cursor, "", admin.headers());
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_NE(jstr(next.body, "id"), jstr(list.body, "id"));
  EXPECT_EQ(s_->call("GET", "/api/v1/users?limit=0", "", admin.headers()).status, 400);

  // Disabling the user ends its sessions; the last Admin stays.
  auto siti = login("siti@example.id");
  auto off = s_->call("PATCH", "/api/v1/users/" + id, R"({"disabled":true})", admin.headers());
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(s_->call("GET", "/api/v1/auth/me", "", siti.headers()).status, 401);
  auto last =
      s_->call("PATCH", "/api/v1/users/" + admin.user_id, R"({"role":"cs"})", admin.headers());
  EXPECT_EQ(last.status, 409);
  EXPECT_EQ(error_code(last), "last_admin");
}

TEST_F(AuthRoutes, EveryAuthRouteButLoginNeedsCredentials) {
  for (const auto& [m, t] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/auth/me"},
                                                        {"POST", "/api/v1/auth/logout"},
                                                        {"GET", "/api/v1/users"},
                                                        {"POST", "/api/v1/users"},
                                                        {"GET", "/api/v1/users/usr_x"},
                                                        {"PATCH", "/api/v1/users/usr_x"},
                                                        {"GET", "/api/v1/apikeys"},
                                                        {"POST", "/api/v1/apikeys"},
                                                        {"GET", "/api/v1/apikeys/key_x"},
                                                        {"DELETE", "/api/v1/apikeys/key_x"}}) {
    auto r = s_->call(m, t, m == "GET" || m == "DELETE" ? "" : "{}");
    EXPECT_EQ(r.status, 401) << m << " " << t;
    auto bogus = s_->call(m, t, m == "GET" || m == "DELETE" ? "" : "{}",
                          "Cookie: roms_session=" + random_token(32) + "\r\n");
    EXPECT_EQ(bogus.status, 401) << m << " " << t;
  }
}

TEST_F(AuthRoutes, SessionsAndKeysSurviveARestartOfTheServer) {
  make_user("admin@example.id", "admin");
  auto admin = login("admin@example.id");
  auto [kid, key] = make_key(admin, R"({"name":"survivor","scopes":["read"]})");
  restart();
  auto me = s_->call("GET", "/api/v1/auth/me", "", admin.headers(false));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(jstr(me.body, "csrf_token"), admin.csrf);
  EXPECT_EQ(s_->call("GET", "/api/v1/auth/me", "", "X-API-Key: " + key + "\r\n").status, 200);
  // And the session still writes (its CSRF token is the same).
  auto del = s_->call("DELETE", "/api/v1/apikeys/" + kid, "", admin.headers());
  EXPECT_EQ(del.status, 200) << del.body;
  ASSERT_EQ(s_->call("POST", "/api/v1/auth/logout", "", admin.headers()).status, 204);
  restart();
  EXPECT_EQ(s_->call("GET", "/api/v1/auth/me", "", admin.headers(false)).status, 401);
}

TEST_F(AuthRoutes, AReadOnlyServerKeepsSessionsInMemory) {
  make_user("admin@example.id", "admin");
  auth_service ro(nullptr, s_->ctx().store, nullptr, s_->clk(), roms::testing::test_auth_options());
  context ctx = s_->ctx();
  ctx.auth = &ro;
  ctx.log = nullptr;
  ctx.runner = nullptr;
  ctx.cfg.read_only = true;
  http::server srv(http::server::options{.listen = "127.0.0.1:0"});
  ASSERT_TRUE(srv.start(make_handler(ctx)));
  auto call = [&](std::string_view m, std::string_view t, std::string_view b, std::string h) {
    return auth_stack::call_port(srv.port(), m, t, b, std::move(h));
  };
  auto r = call("POST", "/api/v1/auth/login",
                R"({"email":"admin@example.id","password":"password-123"})", "");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string cookie = r.header("Set-Cookie");
  session s{cookie.substr(0, cookie.find(';')), jstr(r.body, "csrf_token"), jstr(r.body, "id")};
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "", s.headers(false)).status, 200);
  auto write = call("POST", "/api/v1/apikeys", R"({"name":"x"})", s.headers());
  EXPECT_EQ(write.status, 403);
  EXPECT_EQ(error_code(write), "read_only");
  EXPECT_EQ(call("POST", "/api/v1/auth/logout", "", s.headers(false)).status, 403);  // no CSRF
  EXPECT_EQ(call("POST", "/api/v1/auth/logout", "", s.headers()).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "", s.headers(false)).status, 401);
  srv.stop();
}

}  // namespace
}  // namespace roms::http::api
