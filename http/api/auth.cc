// auth_service (see auth.h). No secret (password, session token, API key) is ever written to
// the log, a read model, stderr or an error message: only argon2id PHC strings and SHA-256
// hashes leave this file.
#include "http/api/auth.h"

#include <argon2.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <span>

#include "consumers/runner.h"
#include "core/thread_name.h"
#include "events/codec.h"
#include "events/json_writer.h"
#include "events/log.h"
#include "events/payload.h"
#include "events/types/auth.h"
#include "http/errors.h"
#include "projections/store.h"

namespace roms::http::api {
namespace {

namespace pr = projections;

constexpr int64_t kMicros = 1'000'000;
constexpr size_t kMaxPasswordBytes = 1024;  // argon2 hashes any length; bound the work
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxUserAgentBytes = 200;
constexpr size_t kMaxThrottleEntries = 100'000;
constexpr size_t kMaxActivityEntries = 100'000;
constexpr std::string_view kCsrfLabel = "roms-csrf-v1:";

void init_sodium() {
  static const int ok = sodium_init();
  (void)ok;  // 0 first time, 1 when already initialised; -1 cannot happen on Linux
}

auth_error fail(errc code, std::string message, std::string field = {}, std::string name = {}) {
  return auth_error{make_error_code(code), std::move(name), std::move(message), std::move(field),
                    0};
}

bool is_base64url(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string base64url(const unsigned char* data, size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Code points in valid UTF-8 (the JSON parser has validated it).
size_t utf8_length(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// A normalised email or an error naming the field.
auth_result<std::string> normalise_email(std::string_view raw) {
  std::string e = lower(trim(raw));
  auto at = e.find('@');
  if (e.empty()) return fail(errc::invalid_argument, "email: required", "email");
  if (e.size() > 254 || at == std::string::npos || at == 0 || at + 1 == e.size() ||
      e.find('@', at + 1) != std::string::npos || has_control(e) ||
      e.find(' ') != std::string::npos || e.find('/') != std::string::npos) {
    return fail(errc::invalid_argument, "email: not a valid address", "email");
  }
  return e;
}

auth_result<void> check_role(std::string_view role) {
  if (role == "admin" || role == "cs") return success();
  return fail(errc::invalid_argument, "role: must be \"admin\" or \"cs\"", "role");
}

auth_result<void> check_password(std::string_view p, size_t min_length) {
  if (utf8_length(p) < min_length)
    return fail(errc::invalid_argument,
                "password: at least " + std::to_string(min_length) + " characters", "password");
  if (p.size() > kMaxPasswordBytes)
    return fail(errc::invalid_argument,
                "password: at most " + std::to_string(kMaxPasswordBytes) + " bytes", "password");
  return success();
}

auth_result<std::string> check_name(std::string_view raw, std::string_view field, bool required) {
  std::string n(trim(raw));
  if (n.empty() && required)
    return fail(errc::invalid_argument, std::string(field) + ": required", std::string(field));
  if (n.size() > kMaxNameBytes || has_control(n))
    return fail(errc::invalid_argument,
                std::string(field) + ": at most " + std::to_string(kMaxNameBytes) +
                    " bytes, no control characters",
                std::string(field));
  return n;
}

auth_error read_only_error() {
  return fail(errc::forbidden, "the server is read-only", "", "read_only");
}

}  // namespace

// --- building blocks ---

result_msg<std::string> hash_password(std::string_view password, const argon2_params& p) {
  init_sodium();
  unsigned char salt[16];
  randombytes_buf(salt, sizeof salt);
  constexpr uint32_t kHashLen = 32;
  size_t len = argon2_encodedlen(p.iterations, p.memory_kib, p.parallelism, sizeof salt, kHashLen,
                                 Argon2_id);
  std::string out(len, '\0');
  int rc =
      argon2id_hash_encoded(p.iterations, p.memory_kib, p.parallelism, password.data(),
                            password.size(), salt, sizeof salt, kHashLen, out.data(), out.size());
  sodium_memzero(salt, sizeof salt);
  if (rc != ARGON2_OK)
    return error_info{make_error_code(errc::invalid_argument),
                      std::string("argon2id: ") + argon2_error_message(rc)};
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

bool verify_password(std::string_view phc, std::string_view password) {
  if (!phc.starts_with("$argon2id$")) return false;
  std::string encoded(phc);  // argon2 wants a NUL-terminated string
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string sha256_hex(std::string_view data) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * sizeof h, '\0');
  for (size_t i = 0; i < sizeof h; ++i) {
    out[2 * i] = kHex[h[i] >> 4];
    out[2 * i + 1] = kHex[h[i] & 15];
  }
  return out;
}

std::string random_token(size_t bytes) {
  init_sodium();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out = base64url(buf.data(), buf.size());
  sodium_memzero(buf.data(), buf.size());
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim(pair.substr(0, eq)) != name) continue;
    std::string_view v = trim(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return {};
}

auth_options auth_options_for(const config& cfg) {
  auth_options o;
  o.secure_cookie = lower(cfg.public_url).starts_with("https://");
  return o;
}

// --- JSON for clients ---

std::string user_json(const pr::user_record& u) {
  events::json_writer w;
  w.begin_object().field("id", u.id).field("email", u.email).field("role", u.role);
  w.field("display_name", u.display_name).field("disabled", u.disabled);
  w.field("created_at", u.created_at).field("updated_at", u.updated_at).end_object();
  return std::move(w).str();
}

std::string apikey_json(const pr::apikey_record& k, std::string_view raw_key) {
  events::json_writer w;
  w.begin_object().field("id", k.id).field("name", k.name).key("scopes").begin_array();
  for (const auto& s : k.scopes) w.value(s);
  w.end_array().field("prefix", k.prefix).field("created_at", k.created_at);
  w.field("created_by", k.created_by).field("revoked", k.revoked).key("revoked_at");
  if (k.revoked_at.empty())
    w.null();
  else
    w.value(k.revoked_at);
  if (!raw_key.empty()) w.field("key", raw_key);
  w.end_object();
  return std::move(w).str();
}

response auth_error_response(const auth_error& e) {
  std::string details = "{}";
  if (!e.field.empty()) {
    details = field_details(e.field);
  } else if (e.retry_after_s > 0) {
    details = R"({"retry_after":)" + std::to_string(e.retry_after_s) + "}";
  }
  response r = error_response(status_for(e.code), e.wire_code(), e.message, details);
  if (e.retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_s));
  return r;
}

// --- the service ---

auth_service::auth_service(events::event_log* log,
                           std::shared_ptr<projections::projection_store> store,
                           consumers::projection_runner* runner, const clock& clk, auth_options o)
    : log_(log), store_(std::move(store)), runner_(runner), clk_(clk), opts_(std::move(o)) {
  init_sodium();
  // A hash of a random password with the current parameters: verified when the email is
  // unknown, so a wrong email and a wrong password take the same time.
  auto h = hash_password(random_token(24), opts_.argon2);
  dummy_hash_ = h ? std::move(h).value() : std::string();
  int n = std::max(1, opts_.worker_threads);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] {
      set_thread_name("roms-auth");
      worker_loop();
    });
}

auth_service::~auth_service() {
  {
    std::lock_guard lk(jobs_mu_);
    stopping_ = true;
  }
  jobs_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

bool auth_service::single_partition() const { return !log_ || log_->partitions() == 1; }

bool auth_service::post(std::function<void()> job) {
  {
    std::lock_guard lk(jobs_mu_);
    if (stopping_ || jobs_.size() >= opts_.max_queue) return false;
    jobs_.push_back(std::move(job));
  }
  jobs_cv_.notify_one();
  return true;
}

void auth_service::worker_loop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lk(jobs_mu_);
      jobs_cv_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and everything queued has run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (...) {
      // A job's responder, if any, answers 500 when dropped; nothing else to do here.
    }
  }
}

std::shared_ptr<const projections::read_view> auth_service::view() const {
  auto v = store_->view("auth");
  if (!v) return nullptr;
  return std::move(v).value();
}

events::envelope auth_service::make_event(std::string_view type, std::string stream,
                                          std::string payload, std::string_view actor,
                                          timestamp now) const {
  events::envelope e;
  e.id = events::new_event_id(now);
  e.type = std::string(type);
  e.version = 1;
  e.stream = std::move(stream);
  e.time = now;
  e.actor = std::string(actor);
  e.payload = std::move(payload);
  return e;
}

auth_result<events::log_position> auth_service::append(std::vector<events::envelope> evs) {
  if (!log_) return read_only_error();
  auto r = log_->append(std::span<const events::envelope>(evs));
  if (!r) return fail(errc::unavailable, "the log refused the write: " + r.error().message());
  return r.value().back().position;
}

bool auth_service::applied(events::log_position p) const {
  // The auth read model's own position, not runner.reached(): that one counts live models
  // only, and while "auth" is being built (a new data dir, a version bump) its view does not
  // hold new events yet.
  auto t = store_->live("auth");
  if (!t) return false;
  auto pos = t->position();
  auto part = static_cast<size_t>(p.partition);
  return part < pos.size() && pos[part] > p.offset;
}

bool auth_service::make_visible(events::log_position p) {
  if (!runner_) return false;
  if (opts_.synchronous_fold) return runner_->catch_up() && applied(p);
  const auto deadline = std::chrono::steady_clock::now() + opts_.apply_wait;
  if (!runner_->wait_for(p, opts_.apply_wait)) return false;
  while (!applied(p)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void auth_service::prune_overlay() {
  // overlay_mu_ held. Entries written by this process go once the read models show them;
  // read-only sessions (no position) once they are over.
  const int64_t now = to_micros(clk_.now());
  auto reached = [&](const std::optional<events::log_position>& p) { return p && applied(*p); };
  std::erase_if(keys_, [&](const auto& kv) { return reached(kv.second.until); });
  std::erase_if(sessions_, [&](const auto& kv) {
    const auto& e = kv.second;
    if (e.until) return reached(e.until);
    if (!e.value) return true;
    int64_t seen = e.value->last_seen_us;
    if (auto it = activity_.find(e.value->id); it != activity_.end())
      seen = std::max(seen, it->second.last_seen_us);
    return e.value->expired(now, seen);
  });
}

// --- authentication ---

result_msg<principal> auth_service::authenticate(const request& r) {
  if (r.has_header("X-API-Key")) return authenticate_key(trim(r.header("X-API-Key")));
  for (const auto& [name, value] : r.headers) {
    if (name.size() != 6) continue;
    if (lower(name) != "cookie") continue;
    auto token = cookie_value(value, kSessionCookie);
    if (!token.empty()) return authenticate_session(token);
  }
  return error_info{make_error_code(errc::unauthorized),
                    "missing credentials: send an X-API-Key header or log in"};
}

result_msg<principal> auth_service::authenticate_key(std::string_view key) {
  auto refuse = [] {
    return error_info{make_error_code(errc::unauthorized), "invalid or revoked API key"};
  };
  if (key.size() != kApiKeyLength || !key.starts_with(kApiKeyPrefix) ||
      !is_base64url(key.substr(kApiKeyPrefix.size())))
    return refuse();
  const std::string hash = sha256_hex(key);
  const auto steady_now = std::chrono::steady_clock::now();
  uint64_t generation = 0;
  if (opts_.key_cache_ttl.count() > 0) {
    std::lock_guard lk(key_cache_mu_);
    generation = key_cache_generation_;
    if (auto it = key_cache_.find(hash); it != key_cache_.end()) {
      if (it->second.until > steady_now) return it->second.who;
      key_cache_.erase(it);
    }
  }
  std::optional<pr::apikey_record> rec;
  bool decided = false;
  {
    std::lock_guard lk(overlay_mu_);
    if (!keys_.empty()) {
      prune_overlay();
      if (auto it = keys_.find(hash); it != keys_.end()) {
        rec = it->second.value;
        decided = true;
      }
    }
  }
  if (!decided) {
    auto v = view();
    if (v) rec = pr::auth_query::key_by_hash(*v, hash);
  }
  if (!rec || rec->revoked || !equal_constant_time(rec->key_hash, hash)) return refuse();
  principal p;
  p.via = principal::kind::api_key;
  p.id = rec->id;
  p.actor = "apikey:" + rec->id;
  p.user_role = role::cs;  // least privilege: a key's rights are its scopes, never a role
  p.scopes = rec->scopes;
  if (opts_.key_cache_ttl.count() > 0 && !decided) {
    std::lock_guard lk(key_cache_mu_);
    // Not if a key write cleared the cache since this request read the read model: what it
    // read may predate a revocation.
    if (generation == key_cache_generation_) {
      if (key_cache_.size() >= 4096) key_cache_.clear();
      key_cache_[hash] = {p, steady_now + opts_.key_cache_ttl};
    }
  }
  return p;
}

void auth_service::forget_cached_keys() {
  std::lock_guard lk(key_cache_mu_);
  key_cache_.clear();
  ++key_cache_generation_;
}

std::optional<pr::session_record> auth_service::find_session(const std::string& token_hash) {
  {
    std::lock_guard lk(overlay_mu_);
    if (!sessions_.empty()) {
      prune_overlay();
      if (auto it = sessions_.find(token_hash); it != sessions_.end()) return it->second.value;
    }
  }
  auto v = view();
  if (!v) return std::nullopt;
  return pr::auth_query::session_by_token_hash(*v, token_hash);
}

result_msg<principal> auth_service::authenticate_session(std::string_view token) {
  auto refuse = [](std::string m) {
    return error_info{make_error_code(errc::unauthorized), std::move(m)};
  };
  if (token.size() != 43 || !is_base64url(token))
    return refuse("invalid session cookie: log in again");
  const std::string hash = sha256_hex(token);
  auto s = find_session(hash);
  if (!s || !equal_constant_time(s->token_hash, hash))
    return refuse("no such session (logged out or expired): log in again");
  const int64_t now = to_micros(clk_.now());
  int64_t seen = s->last_seen_us;
  {
    std::lock_guard lk(overlay_mu_);
    if (auto it = activity_.find(s->id); it != activity_.end())
      seen = std::max(seen, it->second.last_seen_us);
  }
  if (s->expired(now, seen)) return refuse("session expired: log in again");
  auto v = view();
  std::optional<pr::user_record> u;
  if (v) u = pr::auth_query::user(*v, s->user_id);
  if (!u || u->disabled) return refuse("the account is disabled");
  note_activity(*s, now);
  principal p;
  p.via = principal::kind::session;
  p.id = u->id;
  p.actor = "user:" + u->id;
  p.email = u->email;
  p.user_role = u->role == "admin" ? role::admin : role::cs;
  p.csrf_token = csrf_for(token);
  return p;
}

void auth_service::note_activity(const pr::session_record& s, int64_t now_us) {
  bool refresh = false;
  {
    std::lock_guard lk(overlay_mu_);
    if (activity_.size() > kMaxActivityEntries) {
      const int64_t idle = opts_.session_idle_timeout.count() * kMicros;
      std::erase_if(activity_,
                    [&](const auto& kv) { return kv.second.last_seen_us + idle < now_us; });
      if (activity_.size() > kMaxActivityEntries) activity_.clear();
    }
    auto& a = activity_[s.id];
    a.last_seen_us = std::max(a.last_seen_us, now_us);
    a.recorded_us = std::max(a.recorded_us, s.last_seen_us);
    if (log_ && now_us - a.recorded_us >= opts_.session_refresh_interval.count() * kMicros) {
      a.recorded_us = now_us;
      refresh = true;
    }
  }
  if (!refresh) return;
  // Recorded in the background: authenticate() runs on an I/O thread and must not block.
  events::session_refreshed p{s.id, s.user_id};
  auto e = make_event(events::session_refreshed::kType, s.user_id, events::encode_payload(p),
                      "user:" + s.user_id, from_micros(now_us));
  post([this, e = std::move(e)]() mutable {
    std::vector<events::envelope> v;
    v.push_back(std::move(e));
    (void)append(std::move(v));
  });
}

std::string auth_service::csrf_for(std::string_view session_token) {
  std::string input(kCsrfLabel);
  input.append(session_token);
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sodium_memzero(input.data(), input.size());
  return base64url(h, sizeof h);
}

std::string auth_service::session_cookie(const login_session& s) const {
  std::string c(kSessionCookie);
  c += '=';
  c += s.token;
  c += "; Path=/; Max-Age=" + std::to_string(opts_.session_lifetime.count());
  c += "; HttpOnly; SameSite=Lax";
  if (opts_.secure_cookie) c += "; Secure";
  return c;
}

std::string auth_service::clear_session_cookie() const {
  std::string c(kSessionCookie);
  c += "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax";
  if (opts_.secure_cookie) c += "; Secure";
  return c;
}

// --- login throttling ---

auth_result<int64_t> auth_service::throttled(const std::string& email, const std::string& address,
                                             int64_t now_us) {
  std::lock_guard lk(throttle_mu_);
  int64_t until = 0;
  if (auto it = email_failures_.find(email); it != email_failures_.end())
    until = std::max(until, it->second.locked_until_us);
  if (auto it = address_failures_.find(address); it != address_failures_.end())
    until = std::max(until, it->second.locked_until_us);
  if (until <= now_us) return int64_t{0};
  auth_error e = fail(errc::rate_limited, "too many failed logins: try again later");
  e.retry_after_s = (until - now_us + kMicros - 1) / kMicros;
  return e;
}

void auth_service::record_failure(const std::string& email, const std::string& address,
                                  int64_t now_us) {
  std::lock_guard lk(throttle_mu_);
  const int64_t window = opts_.throttle_window.count() * kMicros;
  auto bump = [&](auto& m, const std::string& k, int allowed) {
    if (m.size() >= kMaxThrottleEntries) {
      std::erase_if(m, [&](const auto& kv) {
        return kv.second.locked_until_us <= now_us && kv.second.last_failure_us + window < now_us;
      });
      if (m.size() >= kMaxThrottleEntries) m.clear();
    }
    auto& t = m[k];
    if (now_us - t.last_failure_us > window && t.locked_until_us <= now_us) t.failures = 0;
    t.failures += 1;
    t.last_failure_us = now_us;
    if (t.failures >= allowed) {
      int shift = std::min(t.failures - allowed, 30);
      int64_t delay = std::min<int64_t>(int64_t{1} << shift, opts_.throttle_max_delay.count());
      t.locked_until_us = now_us + delay * kMicros;
    }
  };
  bump(email_failures_, email, opts_.email_failures_allowed);
  bump(address_failures_, address, opts_.address_failures_allowed);
}

// --- login / logout ---

auth_result<written<login_session>> auth_service::login(std::string_view email_raw,
                                                        std::string_view password,
                                                        std::string_view remote_address,
                                                        std::string_view user_agent) {
  if (trim(email_raw).empty()) return fail(errc::invalid_argument, "email: required", "email");
  if (password.empty()) return fail(errc::invalid_argument, "password: required", "password");
  if (password.size() > kMaxPasswordBytes)
    return fail(errc::invalid_argument, "password: too long", "password");
  const std::string email = lower(trim(email_raw));
  const std::string address(remote_address);
  const timestamp now = clk_.now();
  const int64_t now_us = to_micros(now);
  if (auto t = throttled(email, address, now_us); !t) return t.error();

  auto v = view();
  std::optional<pr::user_record> u;
  if (v) u = pr::auth_query::user_by_email(*v, email);
  bool ok = false;
  if (u && !u->disabled) {
    ok = verify_password(u->password_hash, password);
  } else {
    (void)verify_password(dummy_hash_, password);  // the same cost as a known email
  }
  if (!ok) {
    record_failure(email, address, to_micros(clk_.now()));
    return fail(errc::unauthorized, "wrong email or password", "", "invalid_credentials");
  }
  {
    std::lock_guard lk(throttle_mu_);
    email_failures_.erase(email);
  }

  login_session out;
  out.user = *u;
  out.token = random_token(32);
  out.csrf_token = csrf_for(out.token);
  out.session_id = events::new_compact_id("ses", now);
  out.expires = now + std::chrono::duration_cast<std::chrono::microseconds>(opts_.session_lifetime);
  std::string ua(user_agent.substr(0, kMaxUserAgentBytes));
  while (!ua.empty() && (static_cast<unsigned char>(ua.back()) & 0xC0) == 0x80) ua.pop_back();
  if (!ua.empty() && static_cast<unsigned char>(ua.back()) >= 0xC0) ua.pop_back();
  events::session_started p{out.session_id,
                            u->id,
                            sha256_hex(out.token),
                            to_micros(out.expires),
                            opts_.session_idle_timeout.count(),
                            address,
                            ua};
  pr::session_record rec{p.session_id, p.user_id,        p.token_hash,     now_us,      now_us,
                         p.expires_us, p.idle_timeout_s, p.remote_address, p.user_agent};
  written<login_session> w{std::move(out), std::nullopt, true};
  if (!log_) {  // read-only server: the session lives in this process only
    std::lock_guard lk(overlay_mu_);
    sessions_[rec.token_hash] = {rec, std::nullopt};
    return w;
  }
  std::vector<events::envelope> evs;
  evs.push_back(make_event(events::session_started::kType, u->id, events::encode_payload(p),
                           "user:" + u->id, now));
  auto pos = append(std::move(evs));
  if (!pos) return pos.error();
  w.position = pos.value();
  w.applied = make_visible(pos.value());
  if (!w.applied) {
    std::lock_guard lk(overlay_mu_);
    sessions_[rec.token_hash] = {rec, pos.value()};
  }
  return w;
}

auth_result<written<std::string>> auth_service::logout(const request& r) {
  std::string_view token;
  for (const auto& [name, value] : r.headers) {
    if (name.size() == 6 && lower(name) == "cookie") {
      token = cookie_value(value, kSessionCookie);
      if (!token.empty()) break;
    }
  }
  if (token.size() != 43 || !is_base64url(token))
    return fail(errc::unauthorized, "no session to end");
  const std::string hash = sha256_hex(token);
  auto s = find_session(hash);
  if (!s) return fail(errc::unauthorized, "no session to end");
  {
    std::lock_guard lk(overlay_mu_);
    activity_.erase(s->id);
    if (!log_) {
      sessions_.erase(hash);
      return written<std::string>{s->id, std::nullopt, true};
    }
  }
  events::session_ended p{s->id, s->user_id, "logout"};
  std::vector<events::envelope> evs;
  evs.push_back(make_event(events::session_ended::kType, s->user_id, events::encode_payload(p),
                           "user:" + s->user_id, clk_.now()));
  auto pos = append(std::move(evs));
  if (!pos) return pos.error();
  written<std::string> w{s->id, pos.value(), make_visible(pos.value())};
  {
    std::lock_guard lk(overlay_mu_);
    if (!w.applied) {
      sessions_[hash] = {std::nullopt, pos.value()};
    } else {
      sessions_.erase(hash);
    }
  }
  return w;
}

// --- users ---

auth_result<written<pr::user_record>> auth_service::create_user(const new_user& in,
                                                                std::string_view actor) {
  if (!log_) return read_only_error();
  BOOST_OUTCOME_TRY(auto email, normalise_email(in.email));
  BOOST_OUTCOME_TRY(check_role(in.role));
  BOOST_OUTCOME_TRY(check_password(in.password, opts_.min_password_length));
  BOOST_OUTCOME_TRY(auto display, check_name(in.display_name, "display_name", false));
  if (display.empty()) display = email.substr(0, email.find('@'));
  auto hash = hash_password(in.password, opts_.argon2);
  if (!hash) return fail(errc::invalid_argument, hash.error().message);

  std::lock_guard lk(write_mu_);
  std::erase_if(pending_emails_, [&](const auto& kv) { return applied(kv.second); });
  auto v = view();
  if (!v) return fail(errc::unavailable, "the auth read model is not available");
  if (pr::auth_query::user_by_email(*v, email) || pending_emails_.contains(email))
    return fail(errc::conflict, "a user with this email exists", "email", "email_taken");
  const timestamp now = clk_.now();
  events::user_created p{events::new_compact_id("usr", now), email, in.role, std::move(hash).value(), display};
  std::vector<events::envelope> evs;
  evs.push_back(
      make_event(events::user_created::kType, p.user_id, events::encode_payload(p), actor, now));
  BOOST_OUTCOME_TRY(auto pos, append(std::move(evs)));
  bool applied = make_visible(pos);
  if (!applied) pending_emails_[email] = pos;
  const std::string at = format_rfc3339(now);
  pr::user_record u{p.user_id, p.email, p.role, p.display_name, p.password_hash, false, at, at};
  if (applied) {
    if (auto nv = view()) {
      if (auto stored = pr::auth_query::user(*nv, p.user_id)) u = std::move(*stored);
    }
  }
  return written<pr::user_record>{std::move(u), pos, applied};
}

auth_result<written<pr::user_record>> auth_service::update_user(std::string_view user_id,
                                                                const user_changes& c,
                                                                std::string_view actor) {
  if (!log_) return read_only_error();
  if (c.role) {
    BOOST_OUTCOME_TRY(check_role(*c.role));
  }
  std::optional<std::string> display;
  if (c.display_name) {
    BOOST_OUTCOME_TRY(auto d, check_name(*c.display_name, "display_name", true));
    display = std::move(d);
  }
  std::optional<std::string> hash;
  if (c.password) {
    BOOST_OUTCOME_TRY(check_password(*c.password, opts_.min_password_length));
    auto h = hash_password(*c.password, opts_.argon2);
    if (!h) return fail(errc::invalid_argument, h.error().message);
    hash = std::move(h).value();
  }

  std::lock_guard lk(write_mu_);
  auto v = view();
  if (!v) return fail(errc::unavailable, "the auth read model is not available");
  auto u = pr::auth_query::user(*v, user_id);
  if (!u) return fail(errc::not_found, "no user " + std::string(user_id));
  events::user_updated p;
  p.user_id = u->id;
  if (c.role && *c.role != u->role) p.role = *c.role;
  if (display && *display != u->display_name) p.display_name = *display;
  if (hash) p.password_hash = *hash;
  if (c.disabled && *c.disabled != u->disabled) p.disabled = *c.disabled;
  if (!p.role && !p.display_name && !p.password_hash && !p.disabled)
    return written<pr::user_record>{std::move(*u), std::nullopt, true};
  const bool was_admin = !u->disabled && u->role == "admin";
  const bool stays_admin = !(p.disabled && *p.disabled) && p.role.value_or(u->role) == "admin";
  if (was_admin && !stays_admin && pr::auth_query::enabled_admins(*v) <= 1)
    return fail(errc::conflict, "this is the last enabled Admin: make another user Admin first", "",
                "last_admin");
  const bool ends_sessions = p.password_hash || (p.disabled && *p.disabled);
  const auto sessions =
      ends_sessions ? pr::auth_query::sessions_of(*v, u->id) : std::vector<pr::session_record>{};
  const timestamp now = clk_.now();
  std::vector<events::envelope> evs;
  evs.push_back(
      make_event(events::user_updated::kType, u->id, events::encode_payload(p), actor, now));
  BOOST_OUTCOME_TRY(auto pos, append(std::move(evs)));
  bool applied = make_visible(pos);
  if (p.role) u->role = *p.role;
  if (p.display_name) u->display_name = *p.display_name;
  if (p.password_hash) u->password_hash = *p.password_hash;
  if (p.disabled) u->disabled = *p.disabled;
  u->updated_at = format_rfc3339(now);
  {
    std::lock_guard olk(overlay_mu_);
    for (const auto& s : sessions) {
      activity_.erase(s.id);
      if (!applied) sessions_[s.token_hash] = {std::nullopt, pos};
    }
  }
  if (applied) {
    if (auto nv = view()) {
      if (auto stored = pr::auth_query::user(*nv, u->id)) u = std::move(stored);
    }
  }
  return written<pr::user_record>{std::move(*u), pos, applied};
}

auth_result<pr::auth_page<pr::user_record>> auth_service::list_users(
    size_t limit, std::string_view cursor) const {
  auto v = view();
  if (!v) return fail(errc::unavailable, "the auth read model is not available");
  return pr::auth_query::users(*v, limit, cursor);
}

std::optional<pr::user_record> auth_service::find_user(std::string_view user_id) const {
  auto v = view();
  if (!v) return std::nullopt;
  return pr::auth_query::user(*v, user_id);
}

// --- API keys ---

auth_result<written<created_key>> auth_service::create_api_key(std::string_view name_raw,
                                                               std::vector<std::string> scopes,
                                                               std::string_view actor) {
  if (!log_) return read_only_error();
  BOOST_OUTCOME_TRY(auto name, check_name(name_raw, "name", true));
  std::vector<std::string> clean;
  for (auto& s : scopes) {
    std::string t(trim(s));
    if (std::find(all_scopes().begin(), all_scopes().end(), t) == all_scopes().end())
      return fail(
          errc::invalid_argument,
          "scopes: unknown scope \"" + t.substr(0, 40) + "\" (orders:write, catalog:write, read)",
          "scopes");
    if (std::find(clean.begin(), clean.end(), t) == clean.end()) clean.push_back(std::move(t));
  }
  if (clean.empty()) clean = all_scopes();
  // Canonical order, whatever the caller's.
  std::vector<std::string> ordered;
  for (const auto& s : all_scopes())
    if (std::find(clean.begin(), clean.end(), s) != clean.end()) ordered.push_back(s);

  created_key out;
  out.key = std::string(kApiKeyPrefix) + random_token(32);
  const timestamp now = clk_.now();
  events::apikey_created p{events::new_compact_id("key", now), name, ordered, sha256_hex(out.key),
                           out.key.substr(0, kApiKeyPrefix.size() + 8)};
  std::lock_guard lk(write_mu_);
  std::vector<events::envelope> evs;
  evs.push_back(
      make_event(events::apikey_created::kType, p.key_id, events::encode_payload(p), actor, now));
  BOOST_OUTCOME_TRY(auto pos, append(std::move(evs)));
  bool applied = make_visible(pos);
  out.record = pr::apikey_record{p.key_id,           p.name,     p.scopes,
                                 p.prefix,           p.key_hash, format_rfc3339(now),
                                 std::string(actor), false,      ""};
  if (!applied) {
    std::lock_guard olk(overlay_mu_);
    keys_[p.key_hash] = {out.record, pos};
  }
  return written<created_key>{std::move(out), pos, applied};
}

auth_result<written<pr::apikey_record>> auth_service::revoke_api_key(std::string_view key_id,
                                                                     std::string_view actor) {
  if (!log_) return read_only_error();
  std::lock_guard lk(write_mu_);
  auto v = view();
  if (!v) return fail(errc::unavailable, "the auth read model is not available");
  auto k = pr::auth_query::key(*v, key_id);
  if (!k) return fail(errc::not_found, "no API key " + std::string(key_id));
  if (k->revoked) return written<pr::apikey_record>{std::move(*k), std::nullopt, true};
  const timestamp now = clk_.now();
  events::apikey_revoked p{k->id};
  std::vector<events::envelope> evs;
  evs.push_back(
      make_event(events::apikey_revoked::kType, k->id, events::encode_payload(p), actor, now));
  BOOST_OUTCOME_TRY(auto pos, append(std::move(evs)));
  forget_cached_keys();
  bool applied = make_visible(pos);
  forget_cached_keys();  // what requests cached while the revocation was being applied
  k->revoked = true;
  k->revoked_at = format_rfc3339(now);
  {
    std::lock_guard olk(overlay_mu_);
    if (!applied) {
      keys_[k->key_hash] = {std::nullopt, pos};
    } else {
      keys_.erase(k->key_hash);
    }
  }
  return written<pr::apikey_record>{std::move(*k), pos, applied};
}

auth_result<pr::auth_page<pr::apikey_record>> auth_service::list_api_keys(
    size_t limit, std::string_view cursor) const {
  auto v = view();
  if (!v) return fail(errc::unavailable, "the auth read model is not available");
  return pr::auth_query::keys(*v, limit, cursor);
}

std::optional<pr::apikey_record> auth_service::find_api_key(std::string_view key_id) const {
  auto v = view();
  if (!v) return std::nullopt;
  return pr::auth_query::key(*v, key_id);
}

// --- admin socket ---

namespace {

struct admin_request {
  std::string cmd, op, id, email, role, password, display_name, name;
  std::vector<std::string> scopes;
  std::string cursor;
  int64_t limit = 500;
  template <class V>
  void fields(V& v) {
    v("cmd", cmd);
    v("op", op);
    v("id", id);
    v("email", email);
    v("role", role);
    v("password", password);
    v("display_name", display_name);
    v("name", name);
    v("scopes", scopes);
    v("cursor", cursor);
    v("limit", limit);
  }
};

// user.update takes the same keys, optional.
struct admin_update {
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

template <class T, class F>
std::string items_json(const pr::auth_page<T>& page, F&& one) {
  events::json_writer w;
  w.begin_object().key("items").begin_array();
  for (const auto& i : page.items) w.raw(one(i));
  w.end_array().key("next_cursor");
  if (page.next_cursor.empty())
    w.null();
  else
    w.value(page.next_cursor);
  w.end_object();
  return std::move(w).str();
}

}  // namespace

auth_result<std::string> admin_auth_command(auth_service& svc, std::string_view line) {
  BOOST_OUTCOME_TRY(auto req, parse_request_json<admin_request>(line));
  const std::string_view actor = "cli";
  const size_t limit = static_cast<size_t>(std::clamp<int64_t>(req.limit, 1, 500));
  if (req.op == "user.create") {
    new_user nu{req.email, req.role, req.password, req.display_name};
    BOOST_OUTCOME_TRY(auto w, svc.create_user(nu, actor));
    return user_json(w.value);
  }
  if (req.op == "user.update") {
    BOOST_OUTCOME_TRY(auto u, parse_request_json<admin_update>(line));
    user_changes ch{u.role, u.display_name, u.password, u.disabled};
    BOOST_OUTCOME_TRY(auto w, svc.update_user(req.id, ch, actor));
    return user_json(w.value);
  }
  if (req.op == "user.list") {
    BOOST_OUTCOME_TRY(auto page, svc.list_users(limit, req.cursor));
    return items_json(page, [](const pr::user_record& u) { return user_json(u); });
  }
  if (req.op == "apikey.create") {
    BOOST_OUTCOME_TRY(auto w, svc.create_api_key(req.name, req.scopes, actor));
    return apikey_json(w.value.record, w.value.key);
  }
  if (req.op == "apikey.revoke") {
    BOOST_OUTCOME_TRY(auto w, svc.revoke_api_key(req.id, actor));
    return apikey_json(w.value);
  }
  if (req.op == "apikey.list") {
    BOOST_OUTCOME_TRY(auto page, svc.list_api_keys(limit, req.cursor));
    return items_json(page, [](const pr::apikey_record& k) { return apikey_json(k); });
  }
  return fail(errc::unsupported, "unknown auth operation \"" + req.op.substr(0, 40) + "\"", "op");
}

}  // namespace roms::http::api
