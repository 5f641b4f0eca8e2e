// The outbox's test bench: a real embedded log, the projection store with every read model
// and the projection runner in a directory, a clock tests can move, builders for the events
// the outbox reads (message.queued as the rules emit it, message.received), and a gateway
// stand-in (fake_gateways.h) with the channel that speaks to it.
//
//   outbox_bench b;
//   b.open();
//   fake_gateway g({.type = fake_gateway::kind::waha});  g.start();
//   auto ch = b.channel_for(g);
//   std::string id = b.queue("thank_you:ord_1", "+6281234567890", "Terima kasih!");
//   consumers::outbox box(b.log(), b.store(), b.runner(), *ch, b.clock(), b.fast_options());
//   b.run_passes(box, 5);
//   EXPECT_EQ(b.message(id)->status, "sent");
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "consumers/derived_id.h"
#include "consumers/outbox.h"
#include "consumers/runner.h"
#include "consumers/whatsapp/cloud_api.h"
#include "consumers/whatsapp/waha.h"
#include "events/embedded_log.h"
#include "events/payload.h"
#include "events/types.h"
#include "projections/read_models.h"
#include "projections/store.h"
#include "tests/consumers/fake_gateways.h"
#include "tests/testing/temp_dir.h"

namespace roms::testing {

using namespace std::chrono_literals;

// The system clock plus an offset tests move forward (like `serve --test-clock`).
class offset_clock final : public clock {
 public:
  timestamp now() const override {
    return system_clock().now() + std::chrono::microseconds(offset_us_.load());
  }
  void advance(std::chrono::microseconds d) { offset_us_ += d.count(); }

 private:
  std::atomic<int64_t> offset_us_{0};
};

inline std::unique_ptr<consumers::channel> channel_for(const fake_gateway& g,
                                                       std::chrono::milliseconds timeout = 2s) {
  if (g.config().type == fake_gateway::kind::cloud) {
    consumers::whatsapp::cloud_api_options o;
    o.base_url = g.base_url();
    o.token = g.config().token;
    o.phone_number_id = g.config().phone_number_id;
    o.timeout = timeout;
    return std::make_unique<consumers::whatsapp::cloud_api_channel>(o);
  }
  consumers::whatsapp::waha_options o;
  o.base_url = g.base_url();
  o.api_key = g.config().api_key;
  o.session = g.config().session;
  o.timeout = timeout;
  return std::make_unique<consumers::whatsapp::waha_channel>(o);
}

class outbox_bench {
 public:
  explicit outbox_bench(std::filesystem::path dir = {}) {
    if (dir.empty()) {
      own_ = std::make_unique<temp_dir>();
      dir_ = own_->path();
    } else {
      dir_ = std::move(dir);
    }
  }
  ~outbox_bench() { close(); }

  const std::filesystem::path& dir() const { return dir_; }

  // Opens the log, the store (stale_policy `sp`) and starts the projection runner, after
  // catching up unless !catch_up_first.
  void open(projections::stale_policy sp = projections::stale_policy::keep,
            bool catch_up_first = true, size_t batch_events = 4096) {
    auto l = events::open_embedded_log(dir_ / "log");
    ASSERT_TRUE(l) << l.error().message;
    log_ = std::move(l).value();
    std::vector<std::shared_ptr<projections::projection>> models;
    for (auto& p : projections::make_read_models()) models.push_back(std::move(p));
    projections::store_options so;
    so.on_stale = sp;
    auto s = projections::projection_store::open(dir_, std::move(models), so);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(s).value();
    consumers::runner_options ro;
    ro.batch_events = batch_events;
    ro.poll_wait = 10ms;
    runner_ = std::make_unique<consumers::projection_runner>(store_, *log_, ro);
    if (catch_up_first) {
      ASSERT_TRUE(runner_->catch_up());
    }
    ASSERT_TRUE(runner_->start());
    if (catch_up_first) wait_built();
  }

  // Waits until no read model is stale (a fresh store builds them in the background).
  void wait_built() {
    auto end = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < end) {
      bool stale = false;
      for (const auto& i : store_->info()) stale = stale || i.stale();
      if (!stale) return;
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "the read models were not built within 30 s";
  }

  void close() {
    if (runner_) runner_->stop();
    runner_.reset();
    store_.reset();
    log_.reset();
  }

  events::event_log& log() { return *log_; }
  std::shared_ptr<projections::projection_store> store() { return store_; }
  consumers::projection_runner& runner() { return *runner_; }
  offset_clock& clock() { return clk_; }

  // Options that make a test fast: short polls and backoffs, no grace for messages in doubt.
  static consumers::outbox_options fast_options() {
    consumers::outbox_options o;
    o.poll_every = 10ms;
    o.status_every_connected = 50ms;
    o.status_every_disconnected = 50ms;
    o.backoff_base = 20ms;
    o.backoff_max = 200ms;
    o.in_doubt_grace = 0ms;
    o.log_to_stderr = false;
    return o;
  }

  events::log_position append(const std::string& id, std::string_view type,
                              const std::string& stream, std::string payload,
                              std::string actor = "test") {
    events::envelope e;
    e.id = id;
    e.type = std::string(type);
    e.stream = stream;
    e.time = clk_.now();
    e.actor = std::move(actor);
    e.payload = std::move(payload);
    auto r = log_->append(std::span<const events::envelope>(&e, 1));
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return r.value()[0].position;
  }

  // A message queued as the rules queue it: ids derived from the idempotency key.
  std::string queue(const std::string& key, const std::string& to, const std::string& body,
                    std::optional<events::wa_template_ref> tpl = std::nullopt,
                    std::optional<events::media_ref> media = std::nullopt,
                    const std::string& customer_id = "cus_1") {
    events::message_queued q;
    q.message_id = consumers::derived_id("msg", key);
    q.customer_id = customer_id;
    q.to = to;
    q.kind = "thank_you";
    q.body = body;
    q.wa_template = std::move(tpl);
    q.media = std::move(media);
    q.idempotency_key = key;
    q.cause = key;
    append(consumers::derived_event_id("message.queued:" + key), events::message_queued::kType,
           q.message_id, events::encode_payload(q), "rule:thank_you");
    return q.message_id;
  }

  // An inbound message from `from` (opens the customer's 24-hour window).
  void inbound(const std::string& from, const std::string& customer_id, const std::string& gid) {
    events::message_received r;
    r.message_id = consumers::derived_id("msg", "received:" + gid);
    r.customer_id = customer_id;
    r.from = from;
    r.text = "Halo kak";
    r.gateway = "test";
    r.gateway_message_id = gid;
    append(consumers::derived_event_id("message.received:" + gid), events::message_received::kType,
           "wa:" + from, events::encode_payload(r), "webhook:test");
  }

  // Waits until the projections have applied everything in the log.
  void settle() {
    auto st = log_->stats();
    ASSERT_TRUE(st);
    const auto& end = st.value().end_offsets;
    for (size_t p = 0; p < end.size(); ++p) {
      if (end[p] > 0) {
        ASSERT_TRUE(runner_->wait_for({static_cast<int32_t>(p), end[p] - 1}, 10s));
      }
    }
  }

  std::optional<projections::message_record> message(const std::string& id) {
    settle();
    auto v = store_->view("messages");
    EXPECT_TRUE(v);
    return projections::messages_query::get(*v.value(), id);
  }

  // Every event of `type` in the log, in order.
  std::vector<events::envelope> events_of(std::string_view type) {
    std::vector<events::envelope> out;
    auto r = log_->open_reader({0});
    EXPECT_TRUE(r);
    while (true) {
      auto batch = r.value()->read(1000, 0ms);
      EXPECT_TRUE(batch);
      if (!batch || batch.value().empty()) break;
      for (auto& e : batch.value())
        if (e.event.type == type) out.push_back(e.event);
    }
    return out;
  }

  // run_once() n times (or until `until` holds), each after the projections caught up.
  void run_passes(consumers::outbox& box, int n, const std::function<bool()>& until = {}) {
    for (int i = 0; i < n; ++i) {
      settle();
      auto r = box.run_once();
      ASSERT_TRUE(r) << r.error().message;
      settle();
      if (until && until()) return;
    }
  }

 private:
  std::unique_ptr<temp_dir> own_;
  std::filesystem::path dir_;
  offset_clock clk_;
  std::unique_ptr<events::event_log> log_;
  std::shared_ptr<projections::projection_store> store_;
  std::unique_ptr<consumers::projection_runner> runner_;
};

// Polls `cond` every 10 ms up to `timeout`.
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

}  // namespace roms::testing
