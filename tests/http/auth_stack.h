// The auth tests' stack: a real embedded log, the projection store with every read model, the
// projection runner, the REAL auth_service (http/api/auth.h) with a manual clock, and (for the
// HTTP tests) the whole v1 API handler on loopback. Reopening a stack on the same directory
// is a restart.
//
//   roms::testing::temp_dir dir;
//   roms::testing::auth_stack s(dir.path());
//   ASSERT_TRUE(s.open()); ASSERT_TRUE(s.serve());
//   auto r = s.call("POST", "/api/v1/auth/login", R"({"email":…})");
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consumers/runner.h"
#include "core/metrics.h"
#include "events/codec.h"
#include "events/embedded_log.h"
#include "http/api/auth.h"
#include "http/api/context.h"
#include "http/server.h"
#include "projections/read_models.h"
#include "projections/store.h"
#include "tests/http/http_client.h"

namespace roms::testing {

class manual_clock final : public clock {
 public:
  timestamp now() const override { return from_micros(us_.load()); }
  void advance(std::chrono::seconds s) { us_ += s.count() * 1'000'000; }

 private:
  std::atomic<int64_t> us_{to_micros(system_clock().now())};
};

// Cheap argon2 so tests that log in many times stay fast (the hash tests use the defaults).
inline http::api::auth_options test_auth_options() {
  http::api::auth_options o;
  o.argon2 = {.memory_kib = 256, .iterations = 1, .parallelism = 1};
  return o;
}

struct reply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(std::string_view name) const {
    http_reply r;
    r.headers = headers;
    return r.header(name);
  }
  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          }))
        out.push_back(v);
    return out;
  }
};

class auth_stack {
 public:
  explicit auth_stack(std::filesystem::path dir, http::api::auth_options o = test_auth_options())
      : dir_(std::move(dir)), opts_(std::move(o)) {}
  ~auth_stack() { close(); }
  auth_stack(const auth_stack&) = delete;
  auth_stack& operator=(const auth_stack&) = delete;

  // Log, store, runner (started) and the auth service.
  result_msg<void> open() {
    auto l = events::open_embedded_log(dir_);
    if (!l) return l.error();
    log_ = std::move(l).value();
    std::vector<std::shared_ptr<projections::projection>> models;
    for (auto& p : projections::make_read_models()) models.push_back(std::move(p));
    projections::store_options so;
    so.on_stale = projections::stale_policy::reset;  // a fresh dir: every model at version 1
    auto s = projections::projection_store::open(dir_, std::move(models), so);
    if (!s) return s.error();
    store_ = std::move(s).value();
    consumers::runner_options ro;
    ro.metrics = &metrics_;
    runner_ = std::make_unique<consumers::projection_runner>(store_, *log_, ro);
    if (auto r = runner_->catch_up(); !r) return r.error();
    if (auto r = runner_->start(); !r) return r.error();
    svc_ =
        std::make_unique<http::api::auth_service>(log_.get(), store_, runner_.get(), clk_, opts_);
    ctx_.store = store_;
    ctx_.runner = runner_.get();
    ctx_.log = log_.get();
    ctx_.clk = &clk_;
    ctx_.metrics = &metrics_;
    ctx_.auth = svc_.get();
    ctx_.cfg.single_partition = true;
    return success();
  }

  // The whole v1 API on 127.0.0.1:0.
  result_msg<void> serve() {
    http::server::options ho;
    ho.listen = "127.0.0.1:0";
    server_ = std::make_unique<http::server>(ho);
    return server_->start(http::api::make_handler(ctx_));
  }

  void close() {
    if (server_) server_->stop();
    server_.reset();
    svc_.reset();
    if (runner_) runner_->stop();
    runner_.reset();
    store_.reset();
    log_.reset();
  }

  http::api::auth_service& svc() { return *svc_; }
  events::event_log& log() { return *log_; }
  consumers::projection_runner& runner() { return *runner_; }
  projections::projection_store& store() { return *store_; }
  manual_clock& clk() { return clk_; }
  http::api::context& ctx() { return ctx_; }
  uint16_t port() const { return server_->port(); }

  // One request on a fresh connection; `headers` are full lines ("X-API-Key: …\r\n").
  reply call(std::string_view method, std::string_view target, std::string_view body = {},
             std::string headers = {}) {
    return call_port(port(), method, target, body, std::move(headers));
  }
  static reply call_port(uint16_t port, std::string_view method, std::string_view target,
                         std::string_view body = {}, std::string headers = {}) {
    http_conn c(port);
    if (!body.empty() && headers.find("Content-Type") == std::string::npos)
      headers += "Content-Type: application/json\r\n";
    c.send(http_request(method, target, body, headers));
    auto r = c.read_reply();
    reply out;
    if (!r) {
      ADD_FAILURE() << "no answer to " << method << " " << target;
      return out;
    }
    out.status = r->status;
    out.body = r->body;
    out.headers = r->headers;
    return out;
  }

  // Every event in the log, as `log tail` lines (envelope JSON with the payload).
  std::vector<std::string> all_events() {
    std::vector<std::string> out;
    auto reader = log_->open_reader({0});
    if (!reader) return out;
    while (true) {
      auto batch = reader.value()->read(4096, std::chrono::milliseconds(0));
      if (!batch || batch.value().empty()) break;
      for (const auto& e : batch.value()) out.push_back(events::encode_stored(e, true));
    }
    return out;
  }

 private:
  std::filesystem::path dir_;
  http::api::auth_options opts_;
  manual_clock clk_;
  metrics::registry metrics_;
  std::unique_ptr<events::event_log> log_;
  std::shared_ptr<projections::projection_store> store_;
  std::unique_ptr<consumers::projection_runner> runner_;
  std::unique_ptr<http::api::auth_service> svc_;
  http::api::context ctx_;
  std::unique_ptr<http::server> server_;
};

}  // namespace roms::testing
