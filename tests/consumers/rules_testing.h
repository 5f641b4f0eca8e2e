// The rules' test bench: a real embedded log, the projection store with every read model, the
// projection runner and the rule runner in a temp dir, and builders for the events a shop
// produces. Time is injected: every event carries the time the test chooses (`at`), and
// clock.ticked events move "now" for reminders and pending orders.
//
//   rules_bench b;
//   b.open();                      // log + store + projection runner + rule runner (started)
//   b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", "Kak, sekalian Gula Aren-nya!", 5, 20);
//   b.customer("cus_budi", "+6281234567890", "Budi");
//   b.order("ord_1", "cus_budi", {{"prd_kopi", 2}});
//   b.settle();                    // projections and rules have handled everything
//   EXPECT_EQ(b.messages("thank_you").size(), 1u);
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consumers/rules.h"
#include "consumers/runner.h"
#include "core/metrics.h"
#include "events/embedded_log.h"
#include "events/payload.h"
#include "events/types.h"
#include "projections/read_models.h"
#include "projections/store.h"
#include "tests/testing/temp_dir.h"

namespace roms::testing {

using namespace std::chrono_literals;

constexpr int64_t kMinute = 60'000'000LL;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// 2026-03-02T01:00:00Z
constexpr int64_t kT0 = 1'772'413'200'000'000LL;

struct line {
  std::string product_id;
  int64_t qty = 1;
};

class rules_bench {
 public:
  explicit rules_bench(std::filesystem::path dir = {}) {
    if (dir.empty()) {
      own_ = std::make_unique<temp_dir>();
      dir_ = own_->path();
    } else {
      dir_ = std::move(dir);
    }
  }
  // Over a log the test owns (e.g. testing::memory_log with several partitions, Kafka-like);
  // `single_partition` = false makes order timelines print positions as "P:O".
  rules_bench(events::event_log& log, bool single_partition) : rules_bench() {
    external_ = &log;
    single_ = single_partition;
  }
  ~rules_bench() { close(); }

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path state_dir() const { return dir_ / "rules"; }

  // Opens everything; starts the projection runner, and the rule runner unless !start_rules.
  void open(bool start_rules = true) {
    if (!external_) {
      auto l = events::open_embedded_log(dir_ / "log");
      ASSERT_TRUE(l) << l.error().message;
      owned_log_ = std::move(l).value();
      log_ = owned_log_.get();
    } else {
      log_ = external_;
    }
    std::vector<std::shared_ptr<projections::projection>> models;
    for (auto& p : projections::make_read_models(single_)) models.push_back(std::move(p));
    auto s = projections::projection_store::open(dir_, std::move(models));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(s).value();
    runner_ = std::make_unique<consumers::projection_runner>(store_, *log_);
    ASSERT_TRUE(runner_->catch_up());
    ASSERT_TRUE(runner_->start());
    consumers::rule_runner_options o;
    o.state_dir = state_dir();
    o.poll_wait = 20ms;
    o.metrics = &metrics_;
    rules_ = std::make_unique<consumers::rule_runner>(*log_, store_, *runner_, o);
    if (start_rules) {
      ASSERT_TRUE(rules_->start());
    }
  }

  void close() {
    if (rules_) rules_->stop();
    if (runner_) runner_->stop();
    rules_.reset();
    runner_.reset();
    store_.reset();
    owned_log_.reset();
    log_ = nullptr;
  }

  events::event_log& log() { return *log_; }
  projections::projection_store& store() { return *store_; }
  consumers::projection_runner& runner() { return *runner_; }
  consumers::rule_runner& rules() { return *rules_; }
  metrics::registry& metrics() { return metrics_; }
  // A counter's value as rendered ("name{labels} value"), 0 when absent.
  double metric(std::string_view series) {
    std::string text = metrics_.render();
    std::string needle = std::string(series) + " ";
    auto at = text.find("\n" + needle);
    if (at == std::string::npos) return 0;
    at += 1 + needle.size();
    return std::stod(text.substr(at, text.find('\n', at) - at));
  }

  // ---- appending

  events::log_position append(std::string type, uint32_t version, std::string stream,
                              std::string payload, int64_t at, std::string actor = "user:admin",
                              std::string id = {}) {
    events::envelope e;
    e.id = id.empty() ? events::new_event_id(from_micros(at)) : std::move(id);
    e.type = std::move(type);
    e.version = version;
    e.stream = std::move(stream);
    e.time = from_micros(at);
    e.actor = std::move(actor);
    e.payload = std::move(payload);
    auto r = log_->append(std::span<const events::envelope>(&e, 1));
    EXPECT_TRUE(r);
    last_ = r ? r.value()[0].position : events::log_position{};
    return last_;
  }

  template <class T>
  events::log_position add(const T& p, std::string stream, int64_t at,
                           std::string actor = "user:admin") {
    return append(std::string(T::kType), T::kVersion, std::move(stream), events::encode_payload(p),
                  at, std::move(actor));
  }

  void product(const std::string& id, const std::string& sku, const std::string& name,
               const std::string& cross_sell, int64_t min_stock, int64_t stock,
               int64_t at = kT0 - kDay, std::string actor = "user:admin") {
    events::product_defined p;
    p.product_id = id;
    p.sku = sku;
    p.name = name;
    p.cross_sell = cross_sell;
    p.price = 45'000;
    p.cost = 30'000;
    p.min_stock = min_stock;
    names_[id] = {sku, name};
    add(p, id, at, actor);
    if (stock != 0) adjust(id, stock, at, actor);
  }

  events::log_position adjust(const std::string& product_id, int64_t delta, int64_t at,
                              std::string actor = "user:admin") {
    events::stock_adjusted a;
    a.product_id = product_id;
    a.delta = delta;
    a.reason = delta > 0 ? "received" : "count";
    return add(a, product_id, at, std::move(actor));
  }

  void customer(const std::string& id, const std::string& phone, const std::string& name,
                int64_t at = kT0 - kDay, bool phone_valid = true,
                std::string actor = "user:admin") {
    events::customer_registered c;
    c.customer_id = id;
    c.phone = phone;
    c.phone_valid = phone_valid;
    c.name = name;
    c.source = "order:web";
    add(c, id, at, std::move(actor));
  }

  events::log_position order(const std::string& id, const std::string& customer_id,
                             std::vector<line> lines, int64_t at = kT0,
                             std::string actor = "user:admin", std::string phone = "",
                             std::string name = "") {
    events::order_placed o;
    o.order_id = id;
    o.external_id = id;
    o.channel = "web";
    o.customer_id = customer_id;
    o.customer.name = name;
    o.customer.phone = phone;
    for (const auto& l : lines) {
      events::order_item i;
      i.product_id = l.product_id;
      i.sku = sku_of(l.product_id);
      i.name = name_of(l.product_id);
      i.qty = l.qty;
      i.price = 62'500;
      o.items.push_back(i);
      o.total += i.price * i.qty;
    }
    o.payment = {"bank_transfer", "prepaid"};
    return add(o, id, at, std::move(actor));
  }

  events::log_position status(const std::string& order_id, const std::string& from,
                              const std::string& to, int64_t at, std::string tracking = "") {
    events::order_status_changed c;
    c.order_id = order_id;
    c.from = from;
    c.to = to;
    c.tracking_number = std::move(tracking);
    return add(c, order_id, at);
  }

  // pending → processed → shipped → delivered at `at`.
  events::log_position deliver(const std::string& order_id, int64_t at) {
    status(order_id, "pending", "processed", at - 2 * kHour);
    status(order_id, "processed", "shipped", at - kHour, "JNE-123");
    return status(order_id, "shipped", "delivered", at);
  }

  events::log_position tick(int64_t at) {
    return append(std::string(events::clock_ticked::kType), 1, "clock", "{}", at, "system");
  }

  events::log_position rule(const std::string& id, const std::string& name, int64_t days,
                            const std::string& product_id, const std::string& body, bool enabled,
                            int64_t at, const std::string& template_id = "") {
    events::reminder_rule_saved r;
    r.rule_id = id;
    r.name = name;
    r.days_after_delivery = days;
    r.product_id = product_id;
    r.body = body;
    r.template_id = template_id;
    r.enabled = enabled;
    return add(r, "rule-" + id, at);
  }

  events::log_position settings(events::settings_changed c, int64_t at) {
    return add(c, "settings", at);
  }

  // ---- waiting

  // Projections and rules have handled everything appended so far (every partition).
  void settle() {
    auto ends = [&] {
      std::vector<events::log_position> out;
      auto st = log_->stats();
      EXPECT_TRUE(st);
      for (size_t p = 0; st && p < st.value().end_offsets.size(); ++p)
        if (st.value().end_offsets[p] > 0)
          out.push_back({static_cast<int32_t>(p), st.value().end_offsets[p] - 1});
      return out;
    };
    for (const auto& last : ends()) {
      ASSERT_TRUE(runner_->wait_for(last, 10s));
      if (rules_ && rules_->running()) {
        ASSERT_TRUE(rules_->wait_for(last, 20s)) << rules_->status().waiting;
      }
    }
    // Their own appends, too.
    for (const auto& last : ends()) ASSERT_TRUE(runner_->wait_for(last, 10s));
  }

  // ---- reading

  std::vector<events::stored_event> all_events() {
    std::vector<events::stored_event> out;
    auto r = log_->open_reader({});
    EXPECT_TRUE(r);
    int64_t end = 0;
    auto st = log_->stats();
    EXPECT_TRUE(st);
    if (st)
      for (auto e : st.value().end_offsets) end += e;
    while (static_cast<int64_t>(out.size()) < end) {
      auto b = r.value()->read(4096, 100ms);
      EXPECT_TRUE(b);
      if (!b || b.value().empty()) break;
      for (auto& e : b.value()) out.push_back(std::move(e));
    }
    return out;
  }

  std::vector<events::stored_event> of_type(std::string_view type) {
    std::vector<events::stored_event> out;
    for (auto& e : all_events())
      if (e.event.type == type) out.push_back(std::move(e));
    return out;
  }

  // message.queued payloads, optionally of one kind.
  std::vector<events::message_queued> messages(std::string_view kind = {}) {
    std::vector<events::message_queued> out;
    for (const auto& e : of_type(events::message_queued::kType)) {
      auto q = events::decode_payload<events::message_queued>(e.event.payload);
      EXPECT_TRUE(q);
      if (q && (kind.empty() || q.value().kind == kind)) out.push_back(q.value());
    }
    return out;
  }

  template <class T>
  std::vector<T> payloads() {
    std::vector<T> out;
    for (const auto& e : of_type(T::kType)) {
      auto p = events::decode_payload<T>(e.event.payload);
      EXPECT_TRUE(p);
      if (p) out.push_back(p.value());
    }
    return out;
  }

  std::shared_ptr<const projections::read_view> view(std::string_view name) {
    auto v = store_->view(name);
    EXPECT_TRUE(v);
    return v.value();
  }

 private:
  std::string sku_of(const std::string& id) const {
    auto it = names_.find(id);
    return it == names_.end() ? id : it->second.first;
  }
  std::string name_of(const std::string& id) const {
    auto it = names_.find(id);
    return it == names_.end() ? id : it->second.second;
  }

  metrics::registry metrics_;
  std::unique_ptr<temp_dir> own_;
  std::filesystem::path dir_;
  events::event_log* external_ = nullptr;
  bool single_ = true;
  std::unique_ptr<events::event_log> owned_log_;
  events::event_log* log_ = nullptr;
  std::shared_ptr<projections::projection_store> store_;
  std::unique_ptr<consumers::projection_runner> runner_;
  std::unique_ptr<consumers::rule_runner> rules_;
  events::log_position last_{};
  std::map<std::string, std::pair<std::string, std::string>> names_;
};

}  // namespace roms::testing
