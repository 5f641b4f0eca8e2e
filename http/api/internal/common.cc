#include "http/api/internal/common.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "core/errc.h"
#include "core/thread_name.h"
#include "events/json_writer.h"
#include "events/position.h"

namespace roms::http::api::internal {

// ---------------------------------------------------------------- threads

namespace {

// A small fixed pool. Tasks are short (a read and a render); two threads keep one slow list
// scan from holding up every answer on a 2-core machine.
class work_pool {
 public:
  explicit work_pool(size_t n) {
    for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] {
      set_thread_name("roms-api");
      loop();
    });
  }
  ~work_pool() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void post(std::function<void()> f) {
    {
      std::lock_guard lk(mu_);
      tasks_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping and drained
      auto f = std::move(tasks_.front());
      tasks_.pop_front();
      lk.unlock();
      try {
        f();
      } catch (...) {
        // A task answers through its responder; one that throws leaves it unanswered, and the
        // server answers 500 when the responder is dropped.
      }
      lk.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

work_pool& pool() {
  static work_pool p(2);
  return p;
}

}  // namespace

void defer(std::function<void()> f) { pool().post(std::move(f)); }

// ---------------------------------------------------------------- answers

std::string field_of(std::string_view message) {
  auto colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0) return {};
  auto f = message.substr(0, colon);
  for (char c : f) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '[' || c == ']' || c == '-';
    if (!ok) return {};
  }
  return std::string(f);
}

void answer_error(const responder& out, const error_info& e) {
  std::string field = field_of(e.message);
  out.respond(error_response(e.code, e.message, field.empty() ? "{}" : field_details(field)));
}

void answer_body_error(const responder& out, const body_error& e) {
  out.respond(error_response(e.code, e.message, e.field.empty() ? "{}" : field_details(e.field)));
}

void answer_bad_param(const responder& out, std::string_view field, std::string message) {
  out.respond(error_response(400, "invalid_argument", std::move(message), field_details(field)));
}

void answer_not_found(const responder& out, std::string message) {
  out.respond(error_response(404, "not_found", std::move(message)));
}

// ---------------------------------------------------------------- commands

std::string correlation_id(const request& req) {
  auto given = req.header("X-Request-Id");
  if (!given.empty() && given.size() <= 128) {
    bool sane = true;
    for (char c : given) sane = sane && c > 0x20 && c < 0x7f;
    if (sane) return std::string(given);
  }
  // A per-process random prefix and a counter: unique without a syscall per request.
  static const uint64_t prefix = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  static std::atomic<uint64_t> counter{0};
  uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "req_";
  for (int i = 60; i >= 0; i -= 4) s.push_back(kHex[(prefix >> i) & 0xf]);
  for (int i = 60; i >= 0; i -= 4) s.push_back(kHex[(n >> i) & 0xf]);
  return s;
}

void run_command(context& ctx, const principal& who, const request& req, const responder& out,
                 commands::any_command cmd, int created_status, render_fn render,
                 std::string location) {
  if (!ctx.executor) {
    out.respond(error_response(403, "read_only", "this server is read-only"));
    return;
  }
  const bool single = ctx.cfg.single_partition;
  ctx.executor->submit(
      std::move(cmd), commands::actor_info{who.actor, correlation_id(req)},
      [out, single, created_status, render = std::move(render),
       location = std::move(location)](result_msg<commands::outcome> r) mutable {
        if (!r) return answer_error(out, r.error());
        commands::outcome o = std::move(r).value();
        std::string pos = o.position ? events::to_string(*o.position, single) : std::string();
        auto applying = [out, pos] {
          events::json_writer w;
          w.begin_object().field("status", "applying");
          w.key("position");
          if (pos.empty()) {
            w.null();
          } else {
            w.value(std::string_view(pos));
          }
          w.end_object();
          response resp = json(202, std::move(w).str());
          if (!pos.empty()) resp.headers.emplace_back("X-Roms-Position", pos);
          out.respond(std::move(resp));
        };
        if (!o.applied) return applying();
        // The read and the render leave the runner's (or executor's) thread for the
        // connection's I/O thread, where a GET reads and renders too: one hand-off to the
        // answer instead of two (through a worker).
        out.run_on_io([out, o = std::move(o), pos = std::move(pos), created_status,
               render = std::move(render), location = std::move(location), applying]() {
          auto body = render(o);
          if (!body) return applying();
          int status = o.existing ? 200 : created_status;
          response resp = json(status, std::move(body->body));
          const std::string& p = pos.empty() ? body->position : pos;
          if (!p.empty()) resp.headers.emplace_back("X-Roms-Position", p);
          if (status == 201 && !location.empty())
            resp.headers.emplace_back("Location", location + o.id);
          out.respond(std::move(resp));
        });
      });
}

// ---------------------------------------------------------------- query parameters

std::optional<size_t> parse_limit(const request& req, const responder& out, size_t def,
                                  size_t max) {
  if (!req.has_query_param("limit")) return def;
  auto s = req.query_param("limit");
  size_t v = 0;
  bool ok = !s.empty() && s.size() <= 6;
  for (char c : s) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  if (!ok || v < 1 || v > max) {
    answer_bad_param(out, "limit", "limit: a whole number from 1 to " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::string signature(std::string_view list, const request& req) {
  // FNV-1a over the list name and the filters, in the order sent.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(list);
  std::vector<std::pair<std::string_view, std::string_view>> params;
  for (const auto& [k, v] : req.query)
    if (k != "limit" && k != "cursor" && k != "min_position") params.emplace_back(k, v);
  std::sort(params.begin(), params.end());
  for (const auto& [k, v] : params) {
    mix(k);
    mix(v);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 28; i >= 0; i -= 4) s.push_back(kHex[(h >> i) & 0xf]);  // 32 bits are plenty
  return s;
}

std::string make_cursor(std::string_view list_signature, std::string_view key) {
  if (key.empty()) return {};
  std::string raw(list_signature);
  raw += '|';
  raw += key;
  return base64url_encode(raw);
}

std::optional<std::string> parse_cursor(const request& req, const responder& out,
                                        std::string_view list_signature) {
  if (!req.has_query_param("cursor")) return std::string();
  auto c = req.query_param("cursor");
  if (c.empty()) return std::string();
  auto raw = base64url_decode(c);
  if (!raw || raw->size() <= list_signature.size() ||
      raw->compare(0, list_signature.size(), list_signature) != 0 ||
      (*raw)[list_signature.size()] != '|') {
    answer_bad_param(out, "cursor",
                     "cursor: not a cursor of this list with these filters (pass next_cursor "
                     "back unchanged, with the same filters)");
    return std::nullopt;
  }
  return raw->substr(list_signature.size() + 1);
}

std::optional<int64_t> parse_time_param(const request& req, const responder& out,
                                        std::string_view name) {
  if (!req.has_query_param(name)) return int64_t{0};
  auto t = parse_rfc3339(req.query_param(name));
  if (!t || to_micros(*t) <= 0) {
    answer_bad_param(out, name,
                     std::string(name) + ": an RFC 3339 time such as 2026-11-24T00:00:00Z");
    return std::nullopt;
  }
  return to_micros(*t);
}

std::optional<bool> parse_bool_param(const request& req, const responder& out,
                                     std::string_view name) {
  if (!req.has_query_param(name)) return false;
  auto v = req.query_param(name);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  answer_bad_param(out, name, std::string(name) + ": true or false");
  return std::nullopt;
}

// ---------------------------------------------------------------- crypto

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    s.push_back(kHex[md[i] >> 4]);
    s.push_back(kHex[md[i] & 0xf]);
  }
  return s;
}

bool secret_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}

std::string base64url_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t k) { return static_cast<unsigned char>(data[k]); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8 | b(i + 2);
    out.push_back(kB64[v >> 18 & 63]);
    out.push_back(kB64[v >> 12 & 63]);
    out.push_back(kB64[v >> 6 & 63]);
    out.push_back(kB64[v & 63]);
  }
  if (data.size() - i == 1) {
    uint32_t v = b(i) << 16;
    out.push_back(kB64[v >> 18 & 63]);
    out.push_back(kB64[v >> 12 & 63]);
  } else if (data.size() - i == 2) {
    uint32_t v = b(i) << 16 | b(i + 1) << 8;
    out.push_back(kB64[v >> 18 & 63]);
    out.push_back(kB64[v >> 12 & 63]);
    out.push_back(kB64[v >> 6 & 63]);
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1 || text.size() > 4096) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>(acc >> bits & 0xff));
    }
  }
  return out;
}

}  // namespace roms::http::api::internal
