// auth_service against a real embedded log, projection store and runner in a temp dir:
// password hashing, users, sessions (expiry, logout, restart), API keys, throttling, and that
// no secret ever reaches the log.
#include "http/api/auth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "events/types/auth.h"
#include "tests/http/auth_stack.h"
#include "tests/testing/temp_dir.h"

namespace roms::http::api {
namespace {

using namespace std::chrono_literals;
using roms::testing::auth_stack;
using roms::testing::temp_dir;

request with_cookie(const std::string& token) {
  request r;
  r.method = "GET";
  r.headers.emplace_back("Cookie", "theme=dark; roms_session=" + token + "; other=1");
  return r;
}

request with_key(const std::string& key) {
  request r;
  r.method = "GET";
  r.headers.emplace_back("X-API-Key", key);
  return r;
}

// ---------------------------------------------------------------- primitives

TEST(PasswordHash, Argon2idWithOwaspParametersRoundTrips) {
  auto t0 = std::chrono::steady_clock::now();
  auto h = hash_password("correct horse battery staple");
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_TRUE(h.value().starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << h.value();
  EXPECT_TRUE(verify_password(h.value(), "correct horse battery staple"));
  EXPECT_FALSE(verify_password(h.value(), "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(h.value(), ""));
  // A fresh salt each time.
  auto h2 = hash_password("correct horse battery staple");
  ASSERT_TRUE(h2);
  EXPECT_NE(h.value(), h2.value());
  EXPECT_TRUE(verify_password(h2.value(), "correct horse battery staple"));
  std::cout << "argon2id m=19MiB t=2 p=1: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
}

TEST(PasswordHash, AnythingButArgon2idNeverMatches) {
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("plain", "plain"));
  EXPECT_FALSE(verify_password("$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "x"));
  auto h = hash_password("password1", {.memory_kib = 256, .iterations = 1, .parallelism = 1});
  ASSERT_TRUE(h);
  EXPECT_TRUE(verify_password(h.value(), "password1"));  // parameters come from the string
}

TEST(AuthPrimitives, Sha256OfAKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AuthPrimitives, RandomTokensAreUrlSafeAndDistinct) {
  auto a = random_token(32), b = random_token(32);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST(AuthPrimitives, CookieValueFindsTheNamedCookie) {
  EXPECT_EQ(cookie_value("a=1; roms_session=xyz; b=2", "roms_session"), "xyz");
  EXPECT_EQ(cookie_value("roms_session=\"q\"", "roms_session"), "q");
  EXPECT_EQ(cookie_value("xroms_session=no; roms_session=yes", "roms_session"), "yes");
  EXPECT_EQ(cookie_value("a=1", "roms_session"), "");
  EXPECT_EQ(cookie_value("", "roms_session"), "");
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "ab"));
}

TEST(AuthPrimitives, CsrfTokenIsDerivedFromTheSessionToken) {
  auto t = random_token(32);
  EXPECT_EQ(auth_service::csrf_for(t), auth_service::csrf_for(t));
  EXPECT_NE(auth_service::csrf_for(t), auth_service::csrf_for(random_token(32)));
  EXPECT_NE(auth_service::csrf_for(t), t);
  EXPECT_NE(auth_service::csrf_for(t), sha256_hex(t));  // the stored hash does not give it away
}

// ---------------------------------------------------------------- the service

class AuthService : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open(auth_options o = roms::testing::test_auth_options()) {
    s_ = std::make_unique<auth_stack>(dir_.path(), o);
    auto r = s_->open();
    ASSERT_TRUE(r) << r.error().message;
  }
  void restart(auth_options o = roms::testing::test_auth_options()) {
    s_.reset();
    open(o);
  }
  auth_service& svc() { return s_->svc(); }

  projections::user_record make_user(const std::string& email, const std::string& role,
                                     const std::string& password = "password-123") {
    auto u = svc().create_user({email, role, password, ""}, "cli");
    EXPECT_TRUE(u) << (u ? "" : u.error().message);
    EXPECT_TRUE(u.value().applied);
    return u.value().value;
  }
  login_session login(const std::string& email, const std::string& password = "password-123",
                      const std::string& from = "10.0.0.1") {
    auto l = svc().login(email, password, from, "test-agent");
    EXPECT_TRUE(l) << (l ? "" : l.error().message);
    return l.value().value;
  }

  temp_dir dir_;
  std::unique_ptr<auth_stack> s_;
};

TEST_F(AuthService, CreatesAUserWithALowerCasedEmailWhoCanLogIn) {
  auto u = make_user("  Budi@Example.ID ", "admin");
  EXPECT_EQ(u.email, "budi@example.id");
  EXPECT_EQ(u.role, "admin");
  EXPECT_EQ(u.display_name, "budi");
  EXPECT_TRUE(u.id.starts_with("usr_"));
  EXPECT_TRUE(u.password_hash.starts_with("$argon2id$"));
  auto l = login("BUDI@example.id");
  EXPECT_EQ(l.user.id, u.id);
  EXPECT_EQ(l.token.size(), 43u);
  EXPECT_EQ(l.csrf_token, auth_service::csrf_for(l.token));
  auto found = svc().find_user(u.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->email, "budi@example.id");
}

TEST_F(AuthService, RefusesASecondUserWithTheSameEmail) {
  make_user("siti@example.id", "cs");
  auto again = svc().create_user({"SITI@example.id", "admin", "password-456", ""}, "cli");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, make_error_code(errc::conflict));
  EXPECT_EQ(again.error().wire_code(), "email_taken");
  EXPECT_EQ(again.error().field, "email");
}

TEST_F(AuthService, ValidatesEmailRolePasswordAndName) {
  struct row {
    new_user u;
    std::string field;
  } rows[] = {
      {{"", "cs", "password-1", ""}, "email"},
      {{"no-at-sign", "cs", "password-1", ""}, "email"},
      {{"a@b@c", "cs", "password-1", ""}, "email"},
      {{"@example.id", "cs", "password-1", ""}, "email"},
      {{"a b@example.id", "cs", "password-1", ""}, "email"},
      {{"a@example.id", "owner", "password-1", ""}, "role"},
      {{"a@example.id", "", "password-1", ""}, "role"},
      {{"a@example.id", "cs", "short", ""}, "password"},
      {{"a@example.id", "cs", "1234567", ""}, "password"},
      {{"a@example.id", "cs", std::string(2000, 'x'), ""}, "password"},
      {{"a@example.id", "cs", "password-1", std::string(300, 'n')}, "display_name"},
      {{"a@example.id", "cs", "password-1", "tab\there"}, "display_name"},
  };
  for (const auto& r : rows) {
    auto c = svc().create_user(r.u, "cli");
    ASSERT_FALSE(c) << r.u.email << " " << r.u.role;
    EXPECT_EQ(c.error().code, make_error_code(errc::invalid_argument)) << r.field;
    EXPECT_EQ(c.error().field, r.field) << c.error().message;
  }
  // Eight characters, counted as characters: "päßwörd1" is 8 characters, 11 bytes.
  EXPECT_TRUE(svc().create_user({"a@example.id", "cs", "päßwörd1", ""}, "cli"));
}

TEST_F(AuthService, WrongPasswordAndUnknownEmailAnswerAlike) {
  make_user("rina@example.id", "cs");
  auto wrong = svc().login("rina@example.id", "not-her-password", "10.0.0.1", "");
  auto unknown = svc().login("nobody@example.id", "whatever-123", "10.0.0.2", "");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().wire_code(), "invalid_credentials");
  EXPECT_EQ(unknown.error().wire_code(), "invalid_credentials");
  EXPECT_EQ(wrong.error().message, unknown.error().message);
  EXPECT_EQ(wrong.error().code, make_error_code(errc::unauthorized));
}

TEST_F(AuthService, UnknownEmailCostsAsMuchAsAWrongPassword) {
  restart(auth_options{});  // the real argon2 parameters
  make_user("timing@example.id", "cs");
  auto time = [&](const std::string& email, int i) {
    auto t0 = std::chrono::steady_clock::now();
    (void)svc().login(email, "wrong-password", "10.1.0." + std::to_string(i), "");
    return std::chrono::steady_clock::now() - t0;
  };
  std::chrono::nanoseconds known{}, unknown{};
  for (int i = 0; i < 3; ++i) {
    known += time("timing@example.id", i);
    unknown += time("ghost" + std::to_string(i) + "@example.id", 100 + i);
  }
  // Both run one argon2id verification with the same parameters.
  EXPECT_GT(unknown.count(), known.count() / 3);
  EXPECT_LT(unknown.count(), known.count() * 3);
}

TEST_F(AuthService, ThrottlesLoginsPerEmailAfterFiveFailures) {
  make_user("dewi@example.id", "cs");
  for (int i = 0; i < 5; ++i) {
    auto r = svc().login("dewi@example.id", "wrong-password", "10.0.0." + std::to_string(i), "");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().wire_code(), "invalid_credentials") << i;
  }
  // Locked: even the right password is refused, without being checked.
  auto locked = svc().login("Dewi@example.id", "password-123", "10.0.0.9", "");
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, make_error_code(errc::rate_limited));
  EXPECT_GE(locked.error().retry_after_s, 1);
  // The delay passes: the right password works and clears the count.
  s_->clk().advance(2s);
  EXPECT_TRUE(svc().login("dewi@example.id", "password-123", "10.0.0.9", ""));
  auto after = svc().login("dewi@example.id", "wrong-password", "10.0.0.9", "");
  EXPECT_EQ(after.error().wire_code(), "invalid_credentials");
}

TEST_F(AuthService, DelayGrowsWithEachFurtherFailure) {
  make_user("eko@example.id", "cs");
  int64_t last = 0;
  for (int i = 0; i < 11; ++i) {
    auto r = svc().login("eko@example.id", "wrong-password", "10.0.1." + std::to_string(i), "");
    ASSERT_FALSE(r);
    if (r.error().code == make_error_code(errc::rate_limited)) {
      EXPECT_GE(r.error().retry_after_s, last);
      last = r.error().retry_after_s;
      s_->clk().advance(std::chrono::seconds(r.error().retry_after_s));
    }
  }
  auto r = svc().login("eko@example.id", "wrong-password", "10.0.1.99", "");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().code, make_error_code(errc::rate_limited));
  EXPECT_GE(r.error().retry_after_s, 8);  // 1, 2, 4, 8 …
}

TEST_F(AuthService, ThrottlesLoginsPerAddress) {
  for (int i = 0; i < 20; ++i)
    (void)svc().login("user" + std::to_string(i) + "@example.id", "nope-nope", "10.9.9.9", "");
  auto r = svc().login("fresh@example.id", "nope-nope", "10.9.9.9", "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::rate_limited));
  // Another address is not affected.
  auto other = svc().login("fresh@example.id", "nope-nope", "10.9.9.10", "");
  EXPECT_EQ(other.error().wire_code(), "invalid_credentials");
}

TEST_F(AuthService, ASessionCookieAuthenticatesWithRoleAndCsrf) {
  auto u = make_user("admin@example.id", "admin");
  auto c = make_user("cs@example.id", "cs");
  auto la = login("admin@example.id");
  auto lc = login("cs@example.id");
  auto pa = svc().authenticate(with_cookie(la.token));
  ASSERT_TRUE(pa) << pa.error().message;
  EXPECT_EQ(pa.value().via, principal::kind::session);
  EXPECT_EQ(pa.value().id, u.id);
  EXPECT_EQ(pa.value().actor, "user:" + u.id);
  EXPECT_EQ(pa.value().email, "admin@example.id");
  EXPECT_EQ(pa.value().user_role, role::admin);
  EXPECT_EQ(pa.value().csrf_token, la.csrf_token);
  auto pc = svc().authenticate(with_cookie(lc.token));
  ASSERT_TRUE(pc);
  EXPECT_EQ(pc.value().user_role, role::cs);
  EXPECT_EQ(pc.value().id, c.id);

  EXPECT_FALSE(svc().authenticate(with_cookie(random_token(32))));
  EXPECT_FALSE(svc().authenticate(with_cookie("short")));
  auto none = svc().authenticate(request{});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, make_error_code(errc::unauthorized));
}

TEST_F(AuthService, ASessionEndsAfterTwelveIdleHours) {
  make_user("idle@example.id", "cs");
  auto l = login("idle@example.id");
  s_->clk().advance(11h);
  EXPECT_TRUE(svc().authenticate(with_cookie(l.token)));
  s_->clk().advance(11h);  // 11 h after the last request: still fine
  EXPECT_TRUE(svc().authenticate(with_cookie(l.token)));
  s_->clk().advance(12h + 1s);
  auto r = svc().authenticate(with_cookie(l.token));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("expired"), std::string::npos);
}

TEST_F(AuthService, ActivityIsRecordedHourlyAndSurvivesARestart) {
  make_user("active@example.id", "cs");
  auto l = login("active@example.id");
  // In use every 2 hours for 10 hours: each use is more than an hour after the last record.
  for (int i = 0; i < 5; ++i) {
    s_->clk().advance(2h);
    ASSERT_TRUE(svc().authenticate(with_cookie(l.token))) << i;
  }
  // The refreshes are appended in the background.
  int refreshed = 0;
  for (int tries = 0; tries < 100 && refreshed < 5; ++tries) {
    refreshed = 0;
    for (const auto& e : s_->all_events())
      if (e.find("\"session.refreshed\"") != std::string::npos) ++refreshed;
    if (refreshed < 5) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(refreshed, 5);
  // After a restart (activity known only from the log), 11 h after the last use is fine.
  auto now = s_->clk().now();
  restart();
  s_->clk().advance(std::chrono::duration_cast<std::chrono::seconds>(now - s_->clk().now()) + 11h);
  EXPECT_TRUE(svc().authenticate(with_cookie(l.token)));
}

TEST_F(AuthService, ASessionEndsSevenDaysAfterLoginWhateverItsUse) {
  make_user("busy@example.id", "cs");
  auto l = login("busy@example.id");
  for (int i = 0; i < 27; ++i) {  // 162 h, a request every 6 h
    s_->clk().advance(6h);
    ASSERT_TRUE(svc().authenticate(with_cookie(l.token))) << i;
  }
  s_->clk().advance(5h);  // 167 h
  EXPECT_TRUE(svc().authenticate(with_cookie(l.token)));
  s_->clk().advance(2h);  // 169 h
  EXPECT_FALSE(svc().authenticate(with_cookie(l.token)));
}

TEST_F(AuthService, LogoutEndsTheSession) {
  make_user("out@example.id", "cs");
  auto l = login("out@example.id");
  auto other = login("out@example.id");
  auto r = svc().logout(with_cookie(l.token));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r.value().applied);
  EXPECT_FALSE(svc().authenticate(with_cookie(l.token)));
  EXPECT_TRUE(svc().authenticate(with_cookie(other.token)));  // only that session
  EXPECT_FALSE(svc().logout(with_cookie(l.token)));
}

TEST_F(AuthService, APasswordChangeEndsEverySessionOfTheUser) {
  auto u = make_user("pw@example.id", "cs");
  make_user("boss@example.id", "admin");
  auto l1 = login("pw@example.id");
  auto l2 = login("pw@example.id");
  auto boss = login("boss@example.id");
  auto w = svc().update_user(u.id, {.password = "new-password-1"}, "user:boss");
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_FALSE(svc().authenticate(with_cookie(l1.token)));
  EXPECT_FALSE(svc().authenticate(with_cookie(l2.token)));
  EXPECT_TRUE(svc().authenticate(with_cookie(boss.token)));
  EXPECT_FALSE(svc().login("pw@example.id", "password-123", "10.0.0.1", ""));
  EXPECT_TRUE(svc().login("pw@example.id", "new-password-1", "10.0.0.1", ""));
}

TEST_F(AuthService, ADisabledUserCannotLogInAndLosesSessions) {
  auto u = make_user("gone@example.id", "cs");
  make_user("boss@example.id", "admin");
  auto l = login("gone@example.id");
  auto w = svc().update_user(u.id, {.disabled = true}, "user:boss");
  ASSERT_TRUE(w);
  EXPECT_TRUE(w.value().value.disabled);
  EXPECT_FALSE(svc().authenticate(with_cookie(l.token)));
  auto r = svc().login("gone@example.id", "password-123", "10.0.0.1", "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().wire_code(), "invalid_credentials");  // does not tell the password was right
  ASSERT_TRUE(svc().update_user(u.id, {.disabled = false}, "user:boss"));
  EXPECT_TRUE(svc().login("gone@example.id", "password-123", "10.0.0.1", ""));
}

TEST_F(AuthService, RoleChangesApplyToOpenSessions) {
  auto u = make_user("promo@example.id", "cs");
  make_user("boss@example.id", "admin");
  auto l = login("promo@example.id");
  ASSERT_TRUE(svc().update_user(u.id, {.role = "admin"}, "user:boss"));
  auto p = svc().authenticate(with_cookie(l.token));
  ASSERT_TRUE(p);
  EXPECT_EQ(p.value().user_role, role::admin);
}

TEST_F(AuthService, TheLastEnabledAdminStays) {
  auto a = make_user("only@example.id", "admin");
  auto demote = svc().update_user(a.id, {.role = "cs"}, "cli");
  ASSERT_FALSE(demote);
  EXPECT_EQ(demote.error().wire_code(), "last_admin");
  auto disable = svc().update_user(a.id, {.disabled = true}, "cli");
  ASSERT_FALSE(disable);
  EXPECT_EQ(disable.error().wire_code(), "last_admin");
  make_user("second@example.id", "admin");
  EXPECT_TRUE(svc().update_user(a.id, {.role = "cs"}, "cli"));
}

TEST_F(AuthService, AnUpdateThatChangesNothingAppendsNothing) {
  auto u = make_user("same@example.id", "cs");
  auto before = s_->all_events().size();
  auto w =
      svc().update_user(u.id, {.role = "cs", .display_name = "same", .disabled = false}, "cli");
  ASSERT_TRUE(w);
  EXPECT_FALSE(w.value().position);
  EXPECT_EQ(s_->all_events().size(), before);
  EXPECT_EQ(svc().update_user("usr_nope", {.role = "cs"}, "cli").error().code,
            make_error_code(errc::not_found));
}

TEST_F(AuthService, ApiKeysAuthenticateWithTheirScopesUntilRevoked) {
  auto k = svc().create_api_key("shopify sync", {}, "user:usr_x");
  ASSERT_TRUE(k) << k.error().message;
  const auto& key = k.value().value.key;
  EXPECT_EQ(key.size(), kApiKeyLength);
  EXPECT_TRUE(key.starts_with("roms_"));
  EXPECT_EQ(k.value().value.record.prefix, key.substr(0, 13));
  EXPECT_EQ(k.value().value.record.scopes, all_scopes());
  EXPECT_EQ(k.value().value.record.created_by, "user:usr_x");
  auto p = svc().authenticate(with_key(key));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p.value().via, principal::kind::api_key);
  EXPECT_EQ(p.value().id, k.value().value.record.id);
  EXPECT_EQ(p.value().actor, "apikey:" + k.value().value.record.id);
  EXPECT_EQ(p.value().scopes, all_scopes());
  EXPECT_EQ(p.value().user_role, role::cs);  // a key is never an Admin

  auto r = svc().revoke_api_key(k.value().value.record.id, "cli");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r.value().value.revoked);
  EXPECT_FALSE(svc().authenticate(with_key(key)));
  auto listed = svc().list_api_keys(50, "");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed.value().items.size(), 1u);
  EXPECT_TRUE(listed.value().items[0].revoked);
  // Revoking again answers the key and appends nothing.
  auto before = s_->all_events().size();
  auto again = svc().revoke_api_key(k.value().value.record.id, "cli");
  ASSERT_TRUE(again);
  EXPECT_FALSE(again.value().position);
  EXPECT_EQ(s_->all_events().size(), before);
  EXPECT_EQ(svc().revoke_api_key("key_nope", "cli").error().code, make_error_code(errc::not_found));
}

TEST_F(AuthService, ApiKeyScopesAreCheckedAndCanonical) {
  auto bad = svc().create_api_key("x", {"read", "admin"}, "cli");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "scopes");
  EXPECT_EQ(svc().create_api_key("", {}, "cli").error().field, "name");
  auto k = svc().create_api_key("orders only", {"read", "orders:write", "read"}, "cli");
  ASSERT_TRUE(k);
  EXPECT_EQ(k.value().value.record.scopes, (std::vector<std::string>{"orders:write", "read"}));
  auto p = svc().authenticate(with_key(k.value().value.key));
  ASSERT_TRUE(p);
  EXPECT_EQ(p.value().scopes, (std::vector<std::string>{"orders:write", "read"}));
}

TEST_F(AuthService, MalformedOrUnknownKeysAreRefused) {
  auto k = svc().create_api_key("real", {}, "cli");
  ASSERT_TRUE(k);
  std::string key = k.value().value.key;
  std::string flipped = key;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), std::string("roms_"), key.substr(0, 47), key + "A",
                                 "xxxx" + key.substr(4), flipped, "roms_" + std::string(43, '!')}) {
    auto r = svc().authenticate(with_key(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, make_error_code(errc::unauthorized));
  }
  // A key header decides alone, even next to a valid session cookie.
  make_user("both@example.id", "admin");
  auto l = login("both@example.id");
  auto r = with_cookie(l.token);
  r.headers.emplace_back("X-API-Key", "roms_bogus");
  EXPECT_FALSE(svc().authenticate(r));
}

TEST_F(AuthService, NoSecretEverReachesTheLog) {
  const std::string password = "Sup3r-Secret-Passw0rd";
  auto u = make_user("secret@example.id", "admin", password);
  auto k = svc().create_api_key("ci", {}, "cli");
  ASSERT_TRUE(k);
  auto l = login("secret@example.id", password);
  ASSERT_TRUE(svc().update_user(u.id, {.password = "Another-Secret-9"}, "cli"));
  auto l2 = login("secret@example.id", "Another-Secret-9");
  s_->clk().advance(2h);
  ASSERT_TRUE(svc().authenticate(with_cookie(l2.token)));  // a session.refreshed
  ASSERT_TRUE(svc().logout(with_cookie(l2.token)));
  std::this_thread::sleep_for(100ms);
  auto all = s_->all_events();
  ASSERT_GE(all.size(), 6u);
  const std::string key = k.value().value.key;
  bool saw_key_hash = false;
  for (const auto& e : all) {
    for (const std::string& secret : {password, std::string("Another-Secret-9"), key, key.substr(5),
                                      l.token, l.csrf_token, l2.token, l2.csrf_token}) {
      EXPECT_EQ(e.find(secret), std::string::npos) << "a secret in: " << e;
    }
    if (e.find(sha256_hex(key)) != std::string::npos) saw_key_hash = true;
  }
  EXPECT_TRUE(saw_key_hash);
}

TEST_F(AuthService, SessionsAndKeysSurviveARestart) {
  auto u = make_user("keep@example.id", "admin");
  auto l = login("keep@example.id");
  auto k = svc().create_api_key("keep", {"read"}, "cli");
  ASSERT_TRUE(k);
  restart();
  auto p = svc().authenticate(with_cookie(l.token));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p.value().id, u.id);
  EXPECT_EQ(p.value().csrf_token, l.csrf_token);
  auto pk = svc().authenticate(with_key(k.value().value.key));
  ASSERT_TRUE(pk);
  EXPECT_EQ(pk.value().scopes, std::vector<std::string>{"read"});
  ASSERT_TRUE(svc().logout(with_cookie(l.token)));
  restart();
  EXPECT_FALSE(svc().authenticate(with_cookie(l.token)));
}

TEST_F(AuthService, RevocationTakesEffectEvenWhenTheReadModelsLag) {
  auto o = roms::testing::test_auth_options();
  o.apply_wait = 100ms;
  restart(o);
  auto k = svc().create_api_key("lagging", {}, "cli");
  ASSERT_TRUE(k);
  make_user("lag@example.id", "admin");
  s_->runner().stop();  // nothing is applied any more
  auto r = svc().revoke_api_key(k.value().value.record.id, "cli");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r.value().applied);
  EXPECT_FALSE(svc().authenticate(with_key(k.value().value.key)));
  // A key created meanwhile works at once; so does a session.
  auto k2 = svc().create_api_key("new", {}, "cli");
  ASSERT_TRUE(k2);
  EXPECT_FALSE(k2.value().applied);
  EXPECT_TRUE(svc().authenticate(with_key(k2.value().value.key)));
  auto l = svc().login("lag@example.id", "password-123", "10.0.0.1", "");
  ASSERT_TRUE(l);
  EXPECT_TRUE(svc().authenticate(with_cookie(l.value().value.token)));
  // A user created meanwhile still owns its email.
  auto u = svc().create_user({"late@example.id", "cs", "password-123", ""}, "cli");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u.value().applied);
  EXPECT_EQ(
      svc().create_user({"late@example.id", "cs", "password-123", ""}, "cli").error().wire_code(),
      "email_taken");
}

TEST_F(AuthService, AReadOnlyServiceKeepsSessionsInMemory) {
  make_user("ro@example.id", "admin");
  auth_service ro(nullptr, s_->ctx().store, nullptr, s_->clk(), roms::testing::test_auth_options());
  auto l = ro.login("ro@example.id", "password-123", "10.0.0.1", "");
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_FALSE(l.value().position);
  EXPECT_TRUE(ro.authenticate(with_cookie(l.value().value.token)));
  EXPECT_FALSE(svc().authenticate(with_cookie(l.value().value.token)));  // not in the log
  auto w = ro.create_user({"x@example.id", "cs", "password-123", ""}, "cli");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().wire_code(), "read_only");
  EXPECT_EQ(ro.create_api_key("x", {}, "cli").error().wire_code(), "read_only");
  ASSERT_TRUE(ro.logout(with_cookie(l.value().value.token)));
  EXPECT_FALSE(ro.authenticate(with_cookie(l.value().value.token)));
}

TEST_F(AuthService, ListsUsersInPages) {
  for (int i = 0; i < 5; ++i) make_user("u" + std::to_string(i) + "@example.id", "cs");
  std::vector<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 3; ++page) {
    auto p = svc().list_users(2, cursor);
    ASSERT_TRUE(p);
    EXPECT_EQ(p.value().items.size(), page < 2 ? 2u : 1u);
    for (const auto& u : p.value().items) ids.push_back(u.id);
    cursor = p.value().next_cursor;
    EXPECT_EQ(cursor.empty(), page == 2);
  }
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST_F(AuthService, AdminSocketCommands) {
  auto u = admin_auth_command(
      svc(),
      R"({"cmd":"auth","op":"user.create","email":"Ops@Example.id","role":"admin","password":"password-123"})");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_NE(u.value().find(R"("email":"ops@example.id")"), std::string::npos);
  EXPECT_EQ(u.value().find("argon2"), std::string::npos);  // no hash for clients
  auto dup = admin_auth_command(
      svc(),
      R"({"cmd":"auth","op":"user.create","email":"ops@example.id","role":"cs","password":"password-123"})");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().wire_code(), "email_taken");
  auto k = admin_auth_command(
      svc(), R"({"cmd":"auth","op":"apikey.create","name":"ci","scopes":["read"]})");
  ASSERT_TRUE(k) << k.error().message;
  auto key_at = k.value().find(R"("key":"roms_)");
  ASSERT_NE(key_at, std::string::npos);
  std::string key = k.value().substr(key_at + 7, kApiKeyLength);
  EXPECT_TRUE(svc().authenticate(with_key(key)));
  auto id_at = k.value().find(R"("id":")");
  std::string id = k.value().substr(id_at + 6, k.value().find('"', id_at + 6) - id_at - 6);
  auto list = admin_auth_command(svc(), R"({"cmd":"auth","op":"apikey.list"})");
  ASSERT_TRUE(list);
  EXPECT_NE(list.value().find(id), std::string::npos);
  EXPECT_EQ(list.value().find(key), std::string::npos);  // shown once only
  auto rv = admin_auth_command(svc(), R"({"cmd":"auth","op":"apikey.revoke","id":")" + id + "\"}");
  ASSERT_TRUE(rv) << rv.error().message;
  EXPECT_FALSE(svc().authenticate(with_key(key)));
  auto users = admin_auth_command(svc(), R"({"cmd":"auth","op":"user.list"})");
  ASSERT_TRUE(users);
  EXPECT_NE(users.value().find("ops@example.id"), std::string::npos);
  auto uid_at = u.value().find(R"("id":")");
  std::string uid = u.value().substr(uid_at + 6, u.value().find('"', uid_at + 6) - uid_at - 6);
  auto upd = admin_auth_command(svc(), R"({"cmd":"auth","op":"user.update","id":")" + uid +
                                           R"(","display_name":"Ops Team"})");
  ASSERT_TRUE(upd) << upd.error().message;
  EXPECT_NE(upd.value().find("Ops Team"), std::string::npos);
  EXPECT_EQ(admin_auth_command(svc(), R"({"cmd":"auth","op":"nope"})").error().code,
            make_error_code(errc::unsupported));
  EXPECT_EQ(admin_auth_command(svc(), "not json").error().code,
            make_error_code(errc::malformed_json));
  EXPECT_EQ(
      admin_auth_command(svc(), R"({"cmd":"auth","op":"user.update","id":"x","disabled":"yes"})")
          .error()
          .field,
      "disabled");
}

// A revocation appended by another node (Kafka) or by hand reaches this node through the read
// model; an API key cached by this node is trusted for at most key_cache_ttl after it.
TEST_F(AuthService, ARevocationFromElsewhereAppliesWithinTheKeyCacheTtl) {
  auto o = roms::testing::test_auth_options();
  o.key_cache_ttl = 300ms;
  restart(o);
  auto k = svc().create_api_key("elsewhere", {}, "cli");
  ASSERT_TRUE(k);
  ASSERT_TRUE(svc().authenticate(with_key(k.value().value.key)));  // now cached
  events::apikey_revoked p{k.value().value.record.id};
  events::envelope e;
  e.id = events::new_event_id(system_clock().now());
  e.type = std::string(events::apikey_revoked::kType);
  e.stream = p.key_id;
  e.time = system_clock().now();
  e.actor = "cli";
  e.payload = events::encode_payload(p);
  auto pos = s_->log().append(std::span<const events::envelope>(&e, 1));
  ASSERT_TRUE(pos);
  ASSERT_TRUE(s_->runner().wait_for(pos.value()[0].position, 5s));
  std::this_thread::sleep_for(350ms);
  EXPECT_FALSE(svc().authenticate(with_key(k.value().value.key)));
}

// authenticate() runs on the HTTP I/O threads for every request: it must stay cheap
// (a SHA-256 and two or three read-model gets, no password hash).
TEST_F(AuthService, AuthenticateIsCheapEnoughForTheHotPath) {
  make_user("hot@example.id", "admin");
  auto l = login("hot@example.id");
  auto k = svc().create_api_key("hot", {}, "cli");
  ASSERT_TRUE(k);
  auto kr = with_key(k.value().value.key);
  auto sr = with_cookie(l.token);
  constexpr int kN = 20'000;
  auto rate = [&](const request& r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kN; ++i) {
      if (!svc().authenticate(r)) ADD_FAILURE() << "refused";
    }
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - t0;
    return kN / d.count();
  };
  double keys = rate(kr), sessions = rate(sr);
  std::cout << "authenticate: API key " << static_cast<int64_t>(keys) << "/s, session "
            << static_cast<int64_t>(sessions) << "/s (one thread)\n";
  EXPECT_GT(keys, 20'000);  // far above the API's target; a slow hash would be ~10/s
  EXPECT_GT(sessions, 10'000);
}

// ---------------------------------------------------------------- the fold

// Two user.created claiming one email (two nodes racing) converge to the smaller id whatever
// the order they are folded in.
TEST(AuthReadModel, EmailClaimsConvergeWhateverTheOrder) {
  auto created = [](std::string id, int64_t t) {
    events::user_created c{id, "same@example.id", "cs", "$argon2id$x", "x"};
    events::envelope e;
    e.id = "ev-" + id;
    e.type = std::string(events::user_created::kType);
    e.stream = id;
    e.time = from_micros(t);
    e.actor = "cli";
    e.payload = events::encode_payload(c);
    return e;
  };
  auto a = created("usr_0001", 1'700'000'000'000'000);
  auto b = created("usr_0002", 1'700'000'001'000'000);
  std::string digest[2];
  std::string owner[2];
  for (int order = 0; order < 2; ++order) {
    temp_dir d;
    auto log = events::open_embedded_log(d.path()).value();
    std::vector<events::envelope> evs = order == 0 ? std::vector{a, b} : std::vector{b, a};
    ASSERT_TRUE(log->append(evs));
    std::vector<std::shared_ptr<projections::projection>> m{
        std::make_shared<projections::auth_projection>()};
    projections::store_options so;
    so.on_stale = projections::stale_policy::reset;
    auto store = projections::projection_store::open(d.path(), m, so).value();
    consumers::projection_runner r(store, *log);
    ASSERT_TRUE(r.catch_up());
    digest[order] = store->digest("auth").value();
    auto v = store->view("auth").value();
    owner[order] = projections::auth_query::user_by_email(*v, "same@example.id")->id;
  }
  EXPECT_EQ(digest[0], digest[1]);
  EXPECT_EQ(owner[0], "usr_0001");
  EXPECT_EQ(owner[1], "usr_0001");
}

}  // namespace
}  // namespace roms::http::api
