// auth_service: users, passwords, sessions and API keys (CONTRACT.md "Auth, users, keys";
// MISSION.md M10). It is the API's `authenticator` (context.h) and the implementation behind
// the auth routes (auth_routes.cc), `roms user …` / `roms apikey …` (tools/cmd_auth.cc) and the
// admin socket's {"cmd":"auth",…} requests (admin_auth_command below).
//
//   auto svc = std::make_unique<auth_service>(log, store, runner, clk, auth_options_for(cfg));
//   ctx.auth = svc.get();
//   auto u = svc->create_user({.email = "a@b.id", .role = "admin", .password = pw}, "cli");
//   auto k = svc->create_api_key("shopify sync", {}, "cli");     // k.value().value.key, once
//
// Where things live (http/api/README.md, "## Auth", has the reasoning):
//  - Writes are events (events/types/auth.h) appended to the log, then the service waits until
//    the read models have applied them (read-your-writes), so a created user can log in and a
//    revoked key is refused as soon as the call returns. Writes of users and keys are
//    serialised by one mutex (email uniqueness, "the last Admin stays"); they are rare and do
//    not go through the command executor.
//  - Reads come from the "auth" read model (projections/read_models/auth.h).
//  - Passwords: argon2id (libargon2) PHC strings. Sessions and API keys: 256-bit random values
//    (libsodium) stored only as SHA-256 hashes, compared in constant time.
//  - Sessions are events too (session.started/refreshed/ended), so they survive a restart,
//    replay with the log, are visible to every node on Kafka and form an audit trail of logins.
//    The CSRF token is derived from the session token (SHA-256 with a label), so nothing more is
//    stored and it survives a restart with the session.
//
// Threads: every method is thread-safe. authenticate() does no blocking work (a few RocksDB
// gets), so it runs on the HTTP I/O threads. The other operations hash passwords or wait for
// the log: call them from post() (the service's worker threads) or from a CLI thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/errc.h"
#include "core/result.h"
#include "core/time.h"
#include "events/codec.h"
#include "events/envelope.h"
#include "events/payload.h"
#include "http/api/context.h"
#include "projections/read_models/auth.h"

namespace roms::http::api {

// --- building blocks (exposed for tests and the CLI) ---

struct argon2_params {
  // Default: m = 19 MiB, t = 2, p = 1: OWASP's Password Storage Cheat Sheet minimum for
  // argon2id (about 30 ms on our machines).
  uint32_t memory_kib = 19 * 1024;
  uint32_t iterations = 2;
  uint32_t parallelism = 1;
};

// An argon2id PHC string ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>") with a fresh
// 16-byte salt and a 32-byte hash. Errors: invalid_argument (params out of range).
result_msg<std::string> hash_password(std::string_view password, const argon2_params& p = {});
// Whether `password` matches `phc` (an argon2id PHC string; anything else never matches).
// Takes the time of one hash with the parameters stored in `phc`.
bool verify_password(std::string_view phc, std::string_view password);
// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);
// `bytes` random bytes (libsodium) as unpadded base64url.
std::string random_token(size_t bytes = 32);
// Constant-time equality (lengths are not secret).
bool equal_constant_time(std::string_view a, std::string_view b);

// The session cookie's name.
inline constexpr std::string_view kSessionCookie = "roms_session";
// API keys: "roms_" + 43 base64url characters (32 random bytes).
inline constexpr std::string_view kApiKeyPrefix = "roms_";
inline constexpr size_t kApiKeyLength = 48;
// The scopes a key may have (CONTRACT.md); a key created without scopes gets all three.
inline const std::vector<std::string>& all_scopes() {
  static const std::vector<std::string> s{"orders:write", "catalog:write", "read"};
  return s;
}
// The value of cookie `name` in a Cookie header ("a=1; roms_session=xyz"), or "".
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

// --- configuration ---

struct auth_options {
  argon2_params argon2;
  // Shortest password accepted, in characters. Default: 8.
  size_t min_password_length = 8;
  // A session ends this long after login, whatever happens. Default: 7 days.
  std::chrono::seconds session_lifetime{7 * 24 * 3600};
  // A session ends after this long without a request. Default: 12 h.
  std::chrono::seconds session_idle_timeout{12 * 3600};
  // How often a session's activity is recorded in the log (session.refreshed), which is the
  // precision the idle timeout keeps across a restart. Default: 1 h.
  std::chrono::seconds session_refresh_interval{3600};
  // Login throttling (in memory): after this many failed logins for one email, each further
  // attempt for it is refused (429, Retry-After) for 1 s, 2 s, 4 s … up to throttle_max_delay,
  // without checking the password. Default: 5.
  int email_failures_allowed = 5;
  // The same per remote address (higher: an office shares one address). Default: 20.
  int address_failures_allowed = 20;
  // Default: 15 min.
  std::chrono::seconds throttle_max_delay{900};
  // Failures older than this (counted from the last one) are forgotten. Default: 15 min.
  std::chrono::seconds throttle_window{900};
  // Adds `Secure` to the cookie (set when ROMS_PUBLIC_URL is https). Default: false.
  bool secure_cookie = false;
  // How long a write waits for the read models (read-your-writes) before answering "applying".
  // Default: 5 s.
  std::chrono::milliseconds apply_wait{5000};
  // The CLI without a server: no runner thread; each write folds the read models itself
  // (projection_runner::catch_up) before returning. Default: false.
  bool synchronous_fold = false;
  // Worker threads for post() (password hashing, appends). Default: 2.
  int worker_threads = 2;
  // Jobs waiting for a worker beyond this are refused (post() returns false). Default: 256.
  size_t max_queue = 256;
  // How long an authenticated API key is trusted without reading the read model again
  // (0 = always read). A revocation through this service applies at once regardless.
  // Default: 1 s.
  std::chrono::milliseconds key_cache_ttl{1000};
};

// Options for `roms serve`: secure_cookie from the public URL.
auth_options auth_options_for(const config& cfg);

// --- results ---

// An error with its wire code ("invalid_credentials", "email_taken", …), the field it is about
// (400s) and Retry-After (429).
struct auth_error {
  std::error_code code;  // roms::errc: decides the HTTP status
  std::string name;      // wire code; "" = error_name(code)
  std::string message;
  std::string field;  // the offending input field, if any
  int64_t retry_after_s = 0;
  std::string_view wire_code() const { return name.empty() ? error_name(code) : name; }
};

template <class T>
using auth_result = outcome::result<T, auth_error, outcome::policy::terminate>;

// A write's result: the value, the position of its last event, whether the read models have
// applied it (false: the wait timed out; the route answers 202 "applying").
template <class T>
struct written {
  T value;
  std::optional<events::log_position> position;
  bool applied = true;
};

struct new_user {
  std::string email;
  std::string role;  // "admin" | "cs"
  std::string password;
  std::string display_name;  // "" = the email's local part
};

struct user_changes {
  std::optional<std::string> role, display_name, password;
  std::optional<bool> disabled;
};

struct created_key {
  projections::apikey_record record;
  std::string key;  // the raw key: shown once, never stored or logged
};

struct login_session {
  projections::user_record user;
  std::string session_id;
  std::string token;  // the cookie value: never stored or logged
  std::string csrf_token;
  timestamp expires{};
};

// --- the service ---

class auth_service final : public authenticator {
 public:
  // `log` and `runner` may be null (serve --read-only): writes then fail with 403 read_only,
  // and logins make sessions kept in memory only (a read-only server has no log to write).
  auth_service(events::event_log* log, std::shared_ptr<projections::projection_store> store,
               consumers::projection_runner* runner, const clock& clk, auth_options o = {});
  ~auth_service() override;  // finishes queued jobs, joins the workers
  auth_service(const auth_service&) = delete;
  auth_service& operator=(const auth_service&) = delete;

  const auth_options& options() const { return opts_; }
  bool single_partition() const;

  // From X-API-Key (when present, it alone decides) or the roms_session cookie.
  // Errors: errc::unauthorized with a sentence saying what is missing or wrong.
  result_msg<principal> authenticate(const request& r) override;

  // Users. `actor` is the envelope actor ("user:usr_…", "cli").
  // create_user errors: invalid_argument (field), conflict "email_taken", forbidden "read_only".
  auth_result<written<projections::user_record>> create_user(const new_user& u,
                                                             std::string_view actor);
  // Errors: not_found, invalid_argument (field), conflict "last_admin" (would leave no enabled
  // Admin), forbidden "read_only". No change appends nothing. A new password or disabling
  // ends the user's sessions.
  auth_result<written<projections::user_record>> update_user(std::string_view user_id,
                                                             const user_changes& c,
                                                             std::string_view actor);
  auth_result<projections::auth_page<projections::user_record>> list_users(
      size_t limit, std::string_view cursor) const;
  std::optional<projections::user_record> find_user(std::string_view user_id) const;

  // API keys. `scopes` empty = all. The raw key is in the result only.
  auth_result<written<created_key>> create_api_key(std::string_view name,
                                                   std::vector<std::string> scopes,
                                                   std::string_view actor);
  // Errors: not_found. Revoking a revoked key answers it again and appends nothing.
  auth_result<written<projections::apikey_record>> revoke_api_key(std::string_view key_id,
                                                                  std::string_view actor);
  auth_result<projections::auth_page<projections::apikey_record>> list_api_keys(
      size_t limit, std::string_view cursor) const;
  std::optional<projections::apikey_record> find_api_key(std::string_view key_id) const;

  // Checks the password (argon2id; an unknown email costs the same time) under the login
  // throttle and starts a session. Errors: unauthorized "invalid_credentials" (wrong email,
  // wrong password and disabled account alike), rate_limited (retry_after_s),
  // invalid_argument.
  auth_result<written<login_session>> login(std::string_view email, std::string_view password,
                                            std::string_view remote_address,
                                            std::string_view user_agent);
  // Ends the session whose cookie `r` carries. Errors: unauthorized (no live session).
  auth_result<written<std::string>> logout(const request& r);

  // The Set-Cookie values that set and clear the session cookie.
  std::string session_cookie(const login_session& s) const;
  std::string clear_session_cookie() const;
  // The CSRF token of a session token (label-separated SHA-256, base64url).
  static std::string csrf_for(std::string_view session_token);

  // Runs `job` on a worker thread. False (and `job` is dropped) when the queue is full or the
  // service is stopping.
  bool post(std::function<void()> job);

 private:
  struct throttle_entry {
    int failures = 0;
    int64_t last_failure_us = 0;
    int64_t locked_until_us = 0;
  };
  // An entry of the local overlay: what this process wrote but the read model may not show
  // yet (the wait timed out), or, read-only, all sessions. nullopt value = deleted.
  template <class T>
  struct pending {
    std::optional<T> value;
    std::optional<events::log_position> until;  // drop once the read models reach it
  };
  struct activity {
    int64_t last_seen_us = 0;  // the latest request seen by this process
    int64_t recorded_us = 0;   // the latest activity in the log (or being appended)
  };

  std::shared_ptr<const projections::read_view> view() const;
  auth_result<events::log_position> append(std::vector<events::envelope> evs);
  bool make_visible(events::log_position p);
  bool applied(events::log_position p) const;
  events::envelope make_event(std::string_view type, std::string stream, std::string payload,
                              std::string_view actor, timestamp now) const;
  auth_result<int64_t> throttled(const std::string& email, const std::string& address,
                                 int64_t now_us);
  void record_failure(const std::string& email, const std::string& address, int64_t now_us);
  void prune_overlay();
  result_msg<principal> authenticate_key(std::string_view key);
  result_msg<principal> authenticate_session(std::string_view token);
  std::optional<projections::session_record> find_session(const std::string& token_hash);
  void note_activity(const projections::session_record& s, int64_t now_us);
  void forget_cached_keys();
  void worker_loop();

  events::event_log* log_;
  std::shared_ptr<projections::projection_store> store_;
  consumers::projection_runner* runner_;
  const clock& clk_;
  auth_options opts_;
  std::string dummy_hash_;  // verified for unknown emails so they cost as much as known ones

  std::mutex write_mu_;                                                      // user and key writes
  std::map<std::string, events::log_position, std::less<>> pending_emails_;  // write_mu_

  std::mutex throttle_mu_;
  std::map<std::string, throttle_entry, std::less<>> email_failures_, address_failures_;

  std::mutex overlay_mu_;  // the three maps below
  std::map<std::string, pending<projections::session_record>, std::less<>> sessions_;  // by hash
  std::map<std::string, pending<projections::apikey_record>, std::less<>> keys_;       // by hash
  std::map<std::string, activity, std::less<>> activity_;  // by session id

  // API keys recently authenticated (by hash): the hot path of storefront and script traffic
  // skips the read model for up to key_cache_ttl. Cleared by every key write of this service,
  // so a revocation here applies at once; one written by another node (Kafka) or appended by
  // hand applies within the TTL.
  struct cached_key {
    principal who;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex key_cache_mu_;
  std::map<std::string, cached_key, std::less<>> key_cache_;
  uint64_t key_cache_generation_ = 0;  // bumped by forget_cached_keys()

  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// JSON of a user for clients (no password hash), and of a key (no hash).
std::string user_json(const projections::user_record& u);
std::string apikey_json(const projections::apikey_record& k, std::string_view raw_key = {});

// The admin socket's auth requests (tools/cmd_serve.cc dispatches {"cmd":"auth",…} here; the
// CLI sends them when a server runs on its data dir). Requests, one JSON line each:
//   {"cmd":"auth","op":"user.create","email":E,"role":"admin|cs","password":P,"display_name":N}
//   {"cmd":"auth","op":"user.update","id":ID,"role"?,"display_name"?,"password"?,"disabled"?}
//   {"cmd":"auth","op":"user.list"}
//   {"cmd":"auth","op":"apikey.create","name":N,"scopes":[S,…]}
//   {"cmd":"auth","op":"apikey.revoke","id":ID}
//   {"cmd":"auth","op":"apikey.list"}
// Returns the value JSON (a user, {"…key fields…","key":K} once, a key, or
// {"items":[…]}) for admin_ok(); on error the auth_error's wire_code() and message go to
// admin_error(). Events carry the actor "cli". Blocks (hashing, waiting for the read models):
// call it from the admin connection's thread.
auth_result<std::string> admin_auth_command(auth_service& svc, std::string_view request_json);

// Parses a request body (or admin line) into T (a struct with `fields`, events/payload.h).
// Errors: malformed_json (not a JSON object), invalid_argument naming the mistyped field.
template <class T>
auth_result<T> parse_request_json(std::string_view body) {
  if (!events::is_json_object(body))
    return auth_error{make_error_code(errc::malformed_json), "", "the body must be a JSON object",
                      "", 0};
  T out{};
  std::string where;
  auto r = events::parse_object(
      body,
      [&](std::string_view k, events::json_value& v) -> result<void> {
        events::detail::decoder d{k, v};
        out.fields(d);
        if (!d.status) where = std::string(k);
        return d.status;
      },
      &where);
  if (!r) {
    if (where.empty())
      return auth_error{make_error_code(errc::malformed_json), "", "malformed JSON", "", 0};
    return auth_error{make_error_code(errc::invalid_argument), "", where + ": wrong type", where,
                      0};
  }
  return out;
}

// The error answer for `e` (status from e.code, code e.wire_code(), details {"field"} and a
// Retry-After header when set).
response auth_error_response(const auth_error& e);

}  // namespace roms::http::api
