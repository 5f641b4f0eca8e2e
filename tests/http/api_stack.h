// The whole write and read path of the v1 API in one object, for the API tests, the crash
// test's server process (api_test_server.cc) and the API benchmark: a real embedded log,
// the projection store with every read model, the projection runner, the command executor
// and the HTTP server on loopback, with a FAKE authenticator:
//
//   X-API-Key: test-admin     key with orders:write, catalog:write, read
//   X-API-Key: test-read      key with read only
//   X-API-Key: test-orders    key with orders:write only
//   X-API-Key: test-catalog   key with catalog:write and read
//   Cookie: roms_session=admin-token   Admin session, CSRF token "csrf-admin"
//   Cookie: roms_session=cs-token      CS session, CSRF token "csrf-cs"
//
//   testing::api_stack s(dir.path());
//   ASSERT_TRUE(s.start()) ...; s.port() ...; s.stop();
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "commands/executor.h"
#include "consumers/runner.h"
#include "core/errc.h"
#include "core/metrics.h"
#include "events/embedded_log.h"
#include "http/api/context.h"
#include "http/server.h"
#include "projections/read_models.h"
#include "projections/store.h"

namespace roms::testing {

class fake_authenticator final : public http::api::authenticator {
 public:
  result_msg<http::api::principal> authenticate(const http::request& r) override {
    using http::api::principal;
    using http::api::role;
    auto key = r.header("X-API-Key");
    if (!key.empty()) {
      principal p;
      p.via = principal::kind::api_key;
      if (key == "test-admin") {
        p.scopes = {"orders:write", "catalog:write", "read"};
      } else if (key == "test-read") {
        p.scopes = {"read"};
      } else if (key == "test-orders") {
        p.scopes = {"orders:write"};
      } else if (key == "test-catalog") {
        p.scopes = {"catalog:write", "read"};
      } else {
        return error_info{errc::unauthorized, "unknown API key"};
      }
      p.id = "key_" + std::string(key.substr(5));
      p.actor = "apikey:" + p.id;
      return p;
    }
    auto cookie = r.header("Cookie");
    constexpr std::string_view kName = "roms_session=";
    if (auto at = cookie.find(kName); at != std::string_view::npos) {
      auto value = cookie.substr(at + kName.size());
      value = value.substr(0, value.find(';'));
      principal p;
      p.via = principal::kind::session;
      if (value == "admin-token") {
        p.id = "usr_admin";
        p.email = "admin@example.com";
        p.user_role = role::admin;
        p.csrf_token = "csrf-admin";
      } else if (value == "cs-token") {
        p.id = "usr_cs";
        p.email = "cs@example.com";
        p.user_role = role::cs;
        p.csrf_token = "csrf-cs";
      } else {
        return error_info{errc::unauthorized, "session expired or unknown"};
      }
      p.actor = "user:" + p.id;
      return p;
    }
    return error_info{errc::unauthorized, "send X-API-Key or sign in"};
  }
};

struct api_stack_options {
  std::string listen = "127.0.0.1:0";
  int io_threads = 1;
  bool sync = true;  // fsync the log (false only to measure the software path)
  uint64_t fold_cache_bytes = projections::store_options{}.fold_cache_bytes;  // per projection
  std::chrono::milliseconds apply_wait{2'000};
  bool read_only = false;
  std::string metrics_token;
};

class api_stack {
 public:
  explicit api_stack(std::filesystem::path dir, api_stack_options o = {})
      : dir_(std::move(dir)), opts_(std::move(o)) {}
  ~api_stack() { stop(); }
  api_stack(const api_stack&) = delete;
  api_stack& operator=(const api_stack&) = delete;

  // Opens everything and starts serving. The error names what failed.
  result_msg<void> start() {
    std::vector<std::shared_ptr<projections::projection>> models;
    for (auto& p : projections::make_read_models()) models.push_back(std::move(p));
    projections::store_options so;
    so.read_only = opts_.read_only;
    so.fold_cache_bytes = opts_.fold_cache_bytes;
    if (!opts_.read_only) {
      events::embedded_log_options lo;
      lo.sync = opts_.sync;
      lo.metrics = &metrics_;
      auto l = events::open_embedded_log(dir_, lo);
      if (!l) return l.error();
      log_ = std::move(l).value();
    }
    auto s = projections::projection_store::open(dir_, std::move(models), so);
    if (!s) return s.error();
    store_ = std::move(s).value();
    if (log_) {
      consumers::runner_options ro;
      ro.metrics = &metrics_;
      runner_ = std::make_unique<consumers::projection_runner>(store_, *log_, ro);
      if (auto r = runner_->catch_up(); !r) return r.error();
      if (auto r = runner_->start(); !r) return r.error();
      commands::executor_options eo;
      eo.apply_wait = opts_.apply_wait;
      eo.metrics = &metrics_;
      executor_ = std::make_unique<commands::executor>(*log_, store_, *runner_, system_clock(), eo);
      executor_->start();
    }
    ctx_.executor = executor_.get();
    ctx_.store = store_;
    ctx_.runner = runner_.get();
    ctx_.log = log_.get();
    ctx_.clk = &system_clock();
    ctx_.metrics = &metrics_;
    ctx_.auth = &auth_;
    ctx_.cfg.read_only = opts_.read_only;
    ctx_.cfg.metrics_token = opts_.metrics_token;
    ctx_.cfg.single_partition = true;
    http::server::options ho;
    ho.listen = opts_.listen;
    ho.io_threads = opts_.io_threads;
    ho.metrics = &metrics_;
    server_ = std::make_unique<http::server>(ho);
    if (auto r = server_->start(http::api::make_handler(ctx_)); !r) return r.error();
    return success();
  }

  // Graceful: the server first (in-flight requests finish), then the executor and runner.
  void stop() {
    if (server_) server_->stop();
    if (executor_) executor_->stop();
    if (runner_) runner_->stop();
  }

  uint16_t port() const { return server_ ? server_->port() : 0; }
  events::event_log& log() { return *log_; }
  projections::projection_store& store() { return *store_; }
  consumers::projection_runner& runner() { return *runner_; }
  http::api::context& ctx() { return ctx_; }
  metrics::registry& metrics() { return metrics_; }

  // The log's end offset (events appended so far).
  int64_t log_end() {
    auto s = log_->stats();
    return s ? s.value().end_offsets.at(0) : -1;
  }

 private:
  std::filesystem::path dir_;
  api_stack_options opts_;
  metrics::registry metrics_;
  fake_authenticator auth_;
  std::unique_ptr<events::event_log> log_;
  std::shared_ptr<projections::projection_store> store_;
  std::unique_ptr<consumers::projection_runner> runner_;
  std::unique_ptr<commands::executor> executor_;
  http::api::context ctx_;
  std::unique_ptr<http::server> server_;
};

}  // namespace roms::testing
