// roms serve: one process running everything on one machine — the log (embedded or Kafka),
// the projection runner, the command executor, the HTTP API, the admin socket and the clock
// that passes time through the log.
#include <signal.h>
#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "commands/executor.h"
#include "consumers/inbox.h"
#include "consumers/media_fetcher.h"
#include "consumers/media_link.h"
#include "consumers/outbox.h"
#include "consumers/rules.h"
#include "consumers/runner.h"
#include "consumers/whatsapp/config.h"
#include "core/metrics.h"
#include "events/codec.h"
#include "events/payload.h"
#include "events/types.h"
#include "http/api/context.h"
#include "http/errors.h"
#include "http/server.h"
#include "http/static_files.h"
#include "projections/read_models.h"
#include "projections/store.h"
#include "tools/admin.h"
#include "tools/admin_socket.h"
#include "tools/cli.h"
#include "tools/serve_hooks.h"

namespace roms::tools {
namespace {

struct serve_args {
  log_options log;
  std::string listen = "127.0.0.1:8080";
  bool demo = false;
  bool read_only = false;
  bool test_clock = false;
  uint64_t memory_mb = 64;
  uint64_t rebuild_memory_mb = projections::store_options{}.bulk_memory_bytes >> 20;
  uint64_t fold_cache_mb = projections::store_options{}.fold_cache_bytes >> 20;
  std::string web_dir;
  // HTTP I/O threads: one per core, at most 4 (GETs 15.7k → 28.8k/s with 2 on 2 cores,
  // docs/benchmarks.md).
  int io_threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
};

// The server's clock: the system clock plus an offset that `--test-clock` lets tests move
// forward (POST /api/v1/test/clock).
class serve_clock final : public clock {
 public:
  timestamp now() const override {
    return system_clock().now() + std::chrono::microseconds(offset_us_.load());
  }
  void advance(int64_t seconds) { offset_us_ += seconds * 1'000'000; }

 private:
  std::atomic<int64_t> offset_us_{0};
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// Appends clock.ticked once a minute (of the server's clock) so time-based read models move
// forward through the log (DESIGN.md "Time is data").
class ticker {
 public:
  ticker(events::event_log& log, const serve_clock& clk) : log_(log), clk_(clk) {}
  ~ticker() { stop(); }
  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Appends a tick now (after the test clock moved).
  result<events::log_position> tick() {
    events::envelope e;
    auto now = clk_.now();
    e.id = events::new_event_id(now);
    e.type = std::string(events::clock_ticked::kType);
    e.stream = "clock";
    e.time = now;
    e.actor = "system";
    auto r = log_.append(std::span<const events::envelope>(&e, 1));
    if (!r) return r.error();
    return r.value()[0].position;
  }

 private:
  void loop() {
    std::unique_lock lk(mu_);
    while (!stopping_) {
      cv_.wait_for(lk, std::chrono::seconds(60), [&] { return stopping_; });
      if (stopping_) break;
      lk.unlock();
      (void)tick();
      lk.lock();
    }
  }
  events::event_log& log_;
  const serve_clock& clk_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

struct test_clock_body {
  int64_t advance_seconds = 0;
  template <class V>
  void fields(V& v) {
    v("advance_seconds", advance_seconds);
  }
};

struct admin_request {
  std::string cmd;
  std::optional<events::raw_json> event;
  std::vector<std::string> names;
  std::vector<int64_t> from;  // rules.replay
  template <class V>
  void fields(V& v) {
    v("cmd", cmd);
    v("event", event);
    v("names", names);
    v("from", from);
  }
};

int run_serve(const serve_args& a) {
  std::error_code ec;
  std::filesystem::create_directories(a.log.data_dir, ec);
  if (ec) return fail("cannot create " + a.log.data_dir + ": " + ec.message());
  ::chmod(a.log.data_dir.c_str(), 0700);

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  metrics::registry metrics;
  serve_clock clk;
  const bool single = single_partition(a.log);

  // One memory budget (--memory-mb) for every RocksDB cache and write buffer: an eighth for
  // the log's id index, the rest for the read models (one cache and write-buffer manager).
  const uint64_t budget = std::max<uint64_t>(a.memory_mb, 16) << 20;
  log_options lo = a.log;
  lo.index_memory_bytes = std::max<uint64_t>(budget / 8, 4ull << 20);
  lo.metrics = &metrics;
  std::unique_ptr<events::event_log> log;
  if (!a.read_only) {
    auto l = open_log(lo, /*read_only=*/false);
    if (!l) return fail(l.error().message);
    log = std::move(l).value();
  }

  std::vector<std::shared_ptr<projections::projection>> projs;
  for (auto& p : projections::make_read_models(single)) projs.push_back(std::move(p));
  projections::store_options so;
  so.memory_budget_bytes = budget - lo.index_memory_bytes;
  so.bulk_memory_bytes = a.rebuild_memory_mb << 20;
  so.fold_cache_bytes = a.fold_cache_mb << 20;
  so.read_only = a.read_only;
  auto st = projections::projection_store::open(a.log.data_dir, std::move(projs), so);
  if (!st) return fail("cannot open the read models: " + st.error().message);
  auto store = std::move(st).value();

  std::unique_ptr<consumers::projection_runner> runner;
  std::unique_ptr<commands::executor> executor;
  std::unique_ptr<ticker> tick;
  if (log) {
    consumers::runner_options ro;
    ro.metrics = &metrics;
    runner = std::make_unique<consumers::projection_runner>(store, *log, ro);
    std::cerr << "roms: catching up the read models…\n";
    if (auto r = runner->catch_up(); !r) return fail("catching up failed: " + r.error().message);
    if (auto r = runner->start(); !r) return fail("cannot start the runner: " + r.error().message);
    commands::executor_options eo;
    eo.metrics = &metrics;
    executor = std::make_unique<commands::executor>(*log, store, *runner, clk, eo);
    executor->start();
    tick = std::make_unique<ticker>(*log, clk);
    tick->start();
  }

  http::api::context ctx;
  ctx.executor = executor.get();
  ctx.store = store;
  ctx.runner = runner.get();
  ctx.log = log.get();
  ctx.clk = &clk;
  ctx.metrics = &metrics;
  ctx.cfg.public_url = env("ROMS_PUBLIC_URL");
  ctx.cfg.shopify_secret = env("ROMS_SHOPIFY_SECRET");
  ctx.cfg.woocommerce_secret = env("ROMS_WOOCOMMERCE_SECRET");
  ctx.cfg.metrics_token = env("ROMS_METRICS_TOKEN");
  ctx.cfg.test_clock = a.test_clock;
  ctx.cfg.read_only = a.read_only;
  ctx.cfg.single_partition = single;

  // WhatsApp (CONTRACT.md "Configuration"): the gateway's channel, the webhook secrets and
  // the signed media links. ROMS_WHATSAPP=off (the default) keeps messages queued.
  auto wa = consumers::whatsapp::whatsapp_config::from_env();
  if (auto ok = wa.validate(); !ok) return fail(ok.error().message);
  ctx.cfg.whatsapp = wa.gateway;
  ctx.cfg.wa_cloud_app_secret = wa.cloud_app_secret;
  ctx.cfg.wa_cloud_verify_token = wa.cloud_verify_token;
  ctx.cfg.waha_hmac_key = wa.waha_hmac_key;
  std::unique_ptr<consumers::channel> channel = consumers::whatsapp::make_channel(wa);
  ctx.whatsapp = channel.get();
  std::unique_ptr<consumers::media_signer> media;
  if (!a.read_only) {
    auto m = consumers::media_signer::open(std::filesystem::path(a.log.data_dir) / "media");
    if (!m) return fail("cannot open the media folder: " + m.error().message);
    media = std::move(m).value();
    ctx.media = media.get();
  }

  auto hooks = attach_services(ctx, a.log.data_dir);
  if (!hooks) return fail(hooks.error().message);

  if (a.demo && log) {
    auto d = load_demo_data(ctx, *log, clk);
    if (!d) return fail("demo data: " + d.error().message);
    if (!d.value().empty()) std::cerr << d.value();
  }

  // The rules (thank-you, reminders, alerts) start after the demo data: on first start their
  // origin is the log's end, so history never triggers anything. Then the outbox, the only
  // component that talks to the gateway.
  std::unique_ptr<consumers::rule_runner> rules;
  std::unique_ptr<consumers::outbox> outbox;
  if (log) {
    consumers::rule_runner_options rule_opts;
    rule_opts.state_dir = std::filesystem::path(a.log.data_dir) / "rules";
    rule_opts.metrics = &metrics;
    rules = std::make_unique<consumers::rule_runner>(*log, store, *runner, rule_opts);
    if (auto r = rules->start(); !r) return fail("cannot start the rules: " + r.error().message);
    if (channel) {
      consumers::outbox_options oo;
      oo.public_url = wa.public_url;
      oo.signer = media.get();
      oo.metrics = &metrics;
      outbox = std::make_unique<consumers::outbox>(*log, store, *runner, *channel, clk, oo);
      if (auto r = outbox->start(); !r)
        return fail("cannot start the outbox: " + r.error().message);
    }
  }

  // The CS inbox (consumers/README.md "CS inbox"): after the demo data, so on first start its
  // origin is the log's end and history opens no conversations.
  std::unique_ptr<consumers::inbox_runner> inbox;
  if (log) {
    consumers::inbox_runner_options io;
    io.state_dir = std::filesystem::path(a.log.data_dir) / "inbox";
    io.metrics = &metrics;
    inbox = std::make_unique<consumers::inbox_runner>(*log, io);
    if (auto r = inbox->start(); !r) return fail("cannot start the inbox: " + r.error().message);
  }
  // Inbound files (images, documents) fetched from the gateway into <data>/media.
  std::unique_ptr<consumers::media_fetcher> fetcher;
  if (log && channel && media) {
    consumers::media_fetcher_options fo;
    fo.state_dir = std::filesystem::path(a.log.data_dir) / "media-fetcher";
    fo.media_dir = media->dir();
    fo.gateway = wa.gateway;
    fo.waha_api_key = wa.waha.api_key;
    fo.cloud_base_url = wa.cloud.base_url;
    fo.cloud_token = wa.cloud.token;
    fetcher = std::make_unique<consumers::media_fetcher>(*log, fo);
    if (auto r = fetcher->start(); !r)
      return fail("cannot start the media fetcher: " + r.error().message);
  }

  // Routes: the test clock here; then the v1 API; the web app's files last.
  http::handler api = http::api::make_handler(ctx);
  std::filesystem::path web_dir = a.web_dir;
  http::handler web;
  if (!web_dir.empty() && std::filesystem::exists(web_dir / "index.html")) {
    web = http::static_files(web_dir);
  } else {
    std::cerr << "roms: no web app at " << web_dir << " (build it: bash scripts/web-build.sh)\n";
  }
  // The API (including the live stream, /api/v1/stream) first; the web app's files last.
  http::handler routes = [api, web](http::request&& req, http::responder out) {
    const bool api_path = req.path.rfind("/api/", 0) == 0 || req.path.rfind("/webhooks/", 0) == 0 ||
                          req.path == "/healthz" || req.path == "/metrics";
    if (api_path || !web) return api(std::move(req), std::move(out));
    web(std::move(req), std::move(out));
  };
  // POST /api/v1/test/clock exists only with --test-clock, and only from loopback.
  http::handler h = [&, routes](http::request&& req, http::responder out) {
    if (req.path == "/api/v1/test/clock" && a.test_clock && tick) {
      if (req.method != "POST")
        return out.respond(http::error_response(405, "method_not_allowed", "use POST"));
      if (!req.remote_is_loopback)
        return out.respond(http::error_response(403, "forbidden", "only from loopback"));
      auto b = events::decode_payload<test_clock_body>(req.body);
      if (!b || b.value().advance_seconds < 0 || b.value().advance_seconds > 10LL * 365 * 86400)
        return out.respond(http::error_response(400, "invalid_argument",
                                                "advance_seconds: a number of seconds ≥ 0"));
      clk.advance(b.value().advance_seconds);
      auto p = tick->tick();
      if (!p) return out.respond(http::error_response(p.error(), "the tick could not be appended"));
      runner->wait_for(p.value(), std::chrono::seconds(5));
      events::json_writer w;
      w.begin_object()
          .field("now", format_rfc3339(clk.now()))
          .field("position", events::to_string(p.value(), single))
          .end_object();
      return out.respond(http::response{200, "application/json", {}, std::move(w).str()});
    }
    routes(std::move(req), std::move(out));
  };

  http::server::options ho;
  ho.listen = a.listen;
  ho.io_threads = a.io_threads;
  ho.metrics = &metrics;
  http::server server(ho);
  if (auto r = server.start(h); !r)
    return fail("cannot listen on " + a.listen + ": " + r.error().message);

  auto admin = admin_server::start(a.log.data_dir, [&](std::string_view line, admin_writer& out) {
    auto req = events::decode_payload<admin_request>(line);
    if (!req) return (void)out.write_line(admin_error("invalid_argument", req.error().message));
    const auto& cmd = req.value().cmd;
    if (cmd == "log.append") {
      if (!log) return (void)out.write_line(admin_error("read_only", "the server is read-only"));
      if (!req.value().event)
        return (void)out.write_line(admin_error("invalid_argument", "event: missing"));
      auto e = events::decode_envelope(req.value().event->text);
      if (!e) return (void)out.write_line(admin_error("invalid_argument", e.error().message));
      auto r = log->append(std::span<const events::envelope>(&e.value(), 1));
      if (!r) return (void)out.write_line(admin_error("io_error", r.error().message()));
      std::string pos = events::to_string(r.value()[0].position, single);
      events::json_writer w;
      w.value(pos);
      out.write_line(admin_ok(w.str()));
    } else if (cmd == "projections.rebuild") {
      if (!runner) return (void)out.write_line(admin_error("read_only", "the server is read-only"));
      auto r = runner->rebuild(req.value().names, [&](uint64_t done, uint64_t total, double rate) {
        events::json_writer w;
        w.begin_object()
            .key("progress")
            .begin_object()
            .field("done", done)
            .field("total", total)
            .field("rate", rate)
            .end_object()
            .end_object();
        out.write_line(w.str());
      });
      if (!r) return (void)out.write_line(admin_error("internal", r.error().message));
      out.write_line(admin_ok("true"));
    } else if (cmd == "rules.status" || cmd == "rules.replay") {
      if (!rules) return (void)out.write_line(admin_error("read_only", "the server is read-only"));
      if (cmd == "rules.replay") {
        if (auto r = rules->replay(req.value().from); !r)
          return (void)out.write_line(admin_error("internal", r.error().message));
      }
      auto st = rules->status();
      events::json_writer w;
      w.begin_object()
          .field("running", st.running)
          .field("position", format_positions(st.position, single))
          .field("origin", format_positions(st.origin, single))
          .field("evaluated", st.evaluated)
          .field("appended", st.appended)
          .field("duplicates", st.duplicates)
          .field("waiting", std::string_view(st.waiting));
      if (st.error) w.field("error", std::string_view(st.error->message));
      w.end_object();
      out.write_line(admin_ok(w.str()));
    } else if (handle_admin_extension(ctx, cmd, line, out)) {
      // handled
    } else {
      out.write_line(admin_error("unsupported", "unknown admin command " + cmd));
    }
  });
  if (!admin) std::cerr << "roms: admin socket unavailable: " << admin.error().message << "\n";

  std::cout << "ROMS is running at http://"
            << (a.listen.rfind("0.0.0.0", 0) == 0 ? "127.0.0.1" + a.listen.substr(7) : a.listen)
            << "/" << (a.read_only ? "  (read-only)" : "") << "\n"
            << "  data: " << a.log.data_dir << "  log: " << a.log.backend << "\n"
            << std::flush;
  print_logins(ctx);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "roms: stopping (" << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ")…\n";
  if (admin) admin.value()->stop();
  server.stop();  // in-flight requests finish
  if (tick) tick->stop();
  if (outbox) outbox->stop();  // the send in progress records its outcome
  if (fetcher) fetcher->stop();
  if (inbox) inbox->stop();
  if (rules) rules->stop();
  if (executor) executor->stop();
  if (runner) runner->stop();
  detach_services(ctx);
  std::cerr << "roms: stopped\n";
  return 0;
}

}  // namespace

void register_serve_command(CLI::App& app) {
  auto a = std::make_shared<serve_args>();
  auto* s = app.add_subcommand("serve", "Run the server: HTTP API, web app, log, read models");
  add_log_options(s, a->log);
  s->add_option("--listen", a->listen, "HOST:PORT to listen on")->capture_default_str();
  s->add_flag("--demo", a->demo, "Fill an empty data dir with a demo shop (sends no messages)");
  s->add_flag("--read-only", a->read_only, "Serve a restored data dir read-only");
  s->add_flag("--test-clock", a->test_clock,
              "Enable POST /api/v1/test/clock (loopback only) to move time forward");
  s->add_option("--memory-mb", a->memory_mb,
                "Memory budget for every RocksDB cache and write buffer (read models and the "
                "log's id index together), in MiB; at least 16")
      ->capture_default_str();
  s->add_option("--rebuild-memory-mb", a->rebuild_memory_mb,
                "What a rebuild may hold in memory before writing SST files, in MiB (on top of "
                "--memory-mb, only while a rebuild runs)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))
      ->capture_default_str();
  s->add_option("--fold-cache-mb", a->fold_cache_mb,
                "What each read model's fold keeps cached between batches (recent orders and "
                "customers), in MiB (on top of --memory-mb; 0: nothing)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1024}))
      ->capture_default_str();
  s->add_option("--io-threads", a->io_threads,
                "HTTP I/O threads (default: one per core, at most 4)")
      ->capture_default_str();
  // Default: the web app built in this checkout (web/dist next to the build dir), or
  // $ROMS_WEB_DIR.
  a->web_dir = env("ROMS_WEB_DIR");
  if (a->web_dir.empty()) a->web_dir = ROMS_DEFAULT_WEB_DIR;
  s->add_option("--web-dir", a->web_dir, "Directory of the built web app (index.html)")
      ->capture_default_str();
  s->final_callback([a] { std::exit(run_serve(*a)); });
}

}  // namespace roms::tools
