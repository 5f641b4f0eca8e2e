#include "consumers/rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "consumers/internal/consumer_state.h"
#include "consumers/internal/rule_set.h"
#include "consumers/runner.h"
#include "core/errc.h"
#include "core/metrics.h"
#include "core/thread_name.h"
#include "projections/read_models.h"
#include "projections/read_models/keys.h"

namespace roms::consumers {
namespace {

using namespace std::chrono_literals;
using projections::read_view;

// The rules' views over read-model snapshots taken after the projections applied the event.
class snapshot_views final : public internal::rule_views {
 public:
  explicit snapshot_views(const projections::projection_store& store) {
    orders_ = view(store, "orders");
    customers_ = view(store, "customers");
    catalog_ = view(store, "catalog");
    daily_ = view(store, "daily");
    automation_ = view(store, "automation");
  }
  bool ok() const { return orders_ && customers_ && catalog_ && daily_ && automation_; }

  shop_settings settings() const override { return projections::daily_query::settings(*daily_); }
  projections::switch_record automation_switch(std::string_view name) const override {
    return projections::automation_query::automation_switch(*automation_, name);
  }
  std::optional<projections::order_record> order(std::string_view id) const override {
    return projections::orders_query::get(*orders_, id);
  }
  std::optional<projections::customer_record> customer(std::string_view id) const override {
    return projections::customers_query::get(*customers_, id);
  }
  std::optional<projections::product_record> product(std::string_view id) const override {
    return projections::catalog_query::get(*catalog_, id);
  }
  std::vector<projections::order_record> customer_orders_since(std::string_view customer_id,
                                                               int64_t since_us) const override {
    // orders.h: c/<customer_id>/<created_us:20>/<order_id>
    std::vector<projections::order_record> out;
    const std::string prefix = "c/" + std::string(customer_id) + "/";
    orders_->scan(
        prefix + projections::fixed20(since_us), projections::prefix_end(prefix),
        [&](std::string_view k, std::string_view) {
          if (auto o = projections::orders_query::get(*orders_, k.substr(k.rfind('/') + 1)))
            out.push_back(std::move(*o));
          return true;
        });
    return out;
  }
  std::vector<projections::order_record> pending_orders(int64_t before_us) const override {
    // orders.h: s/<status>/<created_us:20>/<order_id>
    std::vector<projections::order_record> out;
    const std::string prefix = "s/pending/";
    orders_->scan(prefix, prefix + projections::fixed20(before_us),
                  [&](std::string_view k, std::string_view) {
                    auto id = k.substr(k.rfind('/') + 1);
                    if (auto o = projections::orders_query::get(*orders_, id);
                        o && o->status == "pending")
                      out.push_back(std::move(*o));
                    return true;
                  });
    return out;
  }
  std::optional<projections::template_record> message_template(std::string_view id) const override {
    return projections::automation_query::get_template(*automation_, id);
  }
  std::optional<projections::template_record> template_for_kind(
      std::string_view kind) const override {
    return projections::automation_query::template_for_kind(*automation_, kind);
  }
  std::optional<projections::reminder_rule_record> reminder_rule(
      std::string_view id) const override {
    return projections::automation_query::get_rule(*automation_, id);
  }
  std::vector<projections::reminder_rule_record> reminder_rules() const override {
    return projections::automation_query::all_rules(*automation_);
  }
  std::vector<projections::reminder_record> due_reminders(int64_t until_us) const override {
    return projections::automation_query::due_reminders(*automation_, until_us);
  }
  std::vector<projections::reminder_record> scheduled_of_rule(
      std::string_view rule_id) const override {
    return projections::automation_query::scheduled_of_rule(*automation_, rule_id);
  }
  std::vector<projections::reminder_record> scheduled_of_customer(
      std::string_view customer_id) const override {
    return projections::automation_query::scheduled_of_customer(*automation_, customer_id);
  }
  std::optional<projections::alert_record> alert(std::string_view id) const override {
    return projections::automation_query::get_alert(*automation_, id);
  }
  std::vector<projections::alert_record> live_alerts(std::string_view kind,
                                                     std::string_view subject) const override {
    return projections::automation_query::live_alerts(*automation_, kind, subject);
  }
  int64_t alert_episodes(std::string_view kind, std::string_view subject) const override {
    return projections::automation_query::alert_episodes(*automation_, kind, subject);
  }
  int64_t units_sold(std::string_view product_id, int64_t from_day, int64_t to_day) const override {
    return projections::automation_query::units_sold(*automation_, product_id, from_day, to_day);
  }

 private:
  static std::shared_ptr<const read_view> view(const projections::projection_store& s,
                                               std::string_view name) {
    auto v = s.view(name);
    return v ? std::move(v).value() : nullptr;
  }
  std::shared_ptr<const read_view> orders_, customers_, catalog_, daily_, automation_;
};

std::string rule_of(const events::envelope& e) {
  constexpr std::string_view kPrefix = "rule:";
  return e.actor.rfind(kPrefix, 0) == 0 ? e.actor.substr(kPrefix.size()) : e.actor;
}

}  // namespace

rule_runner::rule_runner(events::event_log& log,
                         std::shared_ptr<projections::projection_store> store,
                         projection_runner& projections, rule_runner_options opts)
    : log_(log), store_(std::move(store)), projections_(projections), opts_(std::move(opts)) {
  register_metrics();
}

rule_runner::~rule_runner() {
  stop();
  if (opts_.metrics)
    for (const auto& n : metric_names_) opts_.metrics->remove(n);
}

void rule_runner::register_metrics() {
  if (!opts_.metrics) return;
  auto& reg = *opts_.metrics;
  reg.counter("roms_rules_appended_total", "Events the rules appended, by rule.", {"rule"});
  reg.counter("roms_rules_duplicates_total",
              "Events the rules emitted that the log already had (re-evaluation, replay).");
  reg.counter("roms_rules_skipped_total",
              "Decisions not to act, by rule and reason (phone_invalid, switched_off, …).",
              {"rule", "reason"});
  reg.counter("roms_rules_evaluated_total", "Events the rules evaluated.");
  reg.gauge_callback("roms_rules_runner_up", "1 while the rule runner is running.",
                     [this] { return running() ? 1.0 : 0.0; });
  reg.gauge_callback("roms_rules_lag_events", "Events in the log the rules have not evaluated.",
                     [this] {
                       std::lock_guard lk(mu_);
                       double lag = 0;
                       for (size_t p = 0; p < log_end_.size(); ++p) {
                         int64_t at = p < position_.size() ? position_[p] : 0;
                         lag += static_cast<double>(std::max<int64_t>(log_end_[p] - at, 0));
                       }
                       return lag;
                     });
  metric_names_ = {"roms_rules_runner_up", "roms_rules_lag_events"};
}

result_msg<void> rule_runner::open_state() {
  if (opts_.state_dir.empty())
    return error_info{errc::invalid_argument, "rule runner: state_dir is required"};
  BOOST_OUTCOME_TRY(auto loaded, internal::load_rule_state(opts_.state_dir));
  auto st = log_.stats();
  if (!st) return error_info{st.error(), "rule runner: cannot read the log's end"};
  const auto& end = st.value().end_offsets;
  internal::rule_state s;
  bool changed = false;
  if (loaded) {
    s = std::move(*loaded);
  } else {
    // First start: the rules act on what happens from now on.
    s.origin = end;
    s.position = end;
    s.created_at = format_rfc3339(system_clock().now());
    changed = true;
  }
  // Partitions added since (Kafka): they start at their end too.
  while (s.origin.size() < end.size()) {
    s.origin.push_back(end[s.origin.size()]);
    changed = true;
  }
  while (s.position.size() < s.origin.size()) s.position.push_back(s.origin[s.position.size()]);
  if (changed) {
    BOOST_OUTCOME_TRY(internal::save_rule_state(opts_.state_dir, s));
  }
  std::lock_guard lk(mu_);
  origin_ = std::move(s.origin);
  position_ = std::move(s.position);
  created_at_ = std::move(s.created_at);
  opened_ = true;
  last_persist_ = std::chrono::steady_clock::now();
  return success();
}

result_msg<void> rule_runner::persist() {
  internal::rule_state s;
  {
    std::lock_guard lk(mu_);
    if (!dirty_) return success();
    s.origin = origin_;
    s.position = position_;
    s.created_at = created_at_;
    dirty_ = false;
    appended_unpersisted_ = false;
  }
  auto r = internal::save_rule_state(opts_.state_dir, s);
  std::lock_guard lk(mu_);
  if (!r) dirty_ = true;
  last_persist_ = std::chrono::steady_clock::now();
  return r;
}

void rule_runner::sleep_unless_stopped(std::chrono::milliseconds d) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, d, [&] { return stop_; });
}

bool rule_runner::await_projections(events::log_position p) {
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    if (projections_.wait_for(p, opts_.projection_wait)) {
      std::lock_guard lk(mu_);
      waiting_.clear();
      return true;
    }
    if (stopping_) return false;
    {
      std::lock_guard lk(mu_);
      waiting_ = "the read models have not applied " + events::to_string(p, false) + " yet";
    }
    // The projection runner is stopped or failing: do not spin.
    if (std::chrono::steady_clock::now() - t0 < opts_.projection_wait / 2)
      sleep_unless_stopped(std::min<std::chrono::milliseconds>(opts_.projection_wait, 200ms));
    if (stopping_) return false;
  }
}

bool rule_runner::models_ready() {
  // A read model the rules read that is stale (new, or its version changed) is being rebuilt
  // in the background and is not applied live until then: evaluating against it would see
  // an empty or old state. Wait for the switch.
  static constexpr std::string_view kModels[] = {"orders", "customers", "catalog", "daily",
                                                 "automation"};
  bool waited = false;
  for (;;) {
    std::string stale;
    for (auto name : kModels) {
      auto i = store_->info(name);
      if (!i || i.value().stale()) {
        stale = std::string(name);
        break;
      }
    }
    if (stale.empty()) {
      if (waited) {
        std::lock_guard lk(mu_);
        waiting_.clear();
      }
      return true;
    }
    waited = true;
    {
      std::lock_guard lk(mu_);
      waiting_ = "the " + stale + " read model is being rebuilt";
    }
    if (stopping_) return false;
    sleep_unless_stopped(200ms);
    if (stopping_) return false;
  }
}

result_msg<bool> rule_runner::process(const events::stored_event& e) {
  const auto part = static_cast<size_t>(e.position.partition);
  internal::rule_scope scope;
  {
    std::lock_guard lk(mu_);
    if (part < origin_.size() && e.position.offset < origin_[part]) return true;
    scope.origin = origin_;
  }
  if (!internal::rules_want(e.event.type) || internal::historical_actor(e.event.actor) ||
      e.event.actor.rfind("rule:", 0) == 0)
    return true;
  if (!await_projections(e.position)) return false;

  snapshot_views views(*store_);
  if (!views.ok())
    return error_info{errc::unavailable, "rule runner: a read model the rules need is missing"};
  BOOST_OUTCOME_TRY(auto r, internal::evaluate(e, views, scope));
  {
    std::lock_guard lk(mu_);
    ++evaluated_;
  }
  if (opts_.metrics) {
    opts_.metrics->counter("roms_rules_evaluated_total", "").get().inc();
    for (const auto& s : r.skipped)
      opts_.metrics->counter("roms_rules_skipped_total", "", {"rule", "reason"})
          .labels({s.rule, s.reason})
          .inc();
  }
  if (r.events.empty()) return true;

  // One id once per append (two rules never emit the same id, but be strict).
  std::vector<events::envelope> out;
  std::set<std::string> ids;
  for (auto& ev : r.events)
    if (ids.insert(ev.id).second) out.push_back(std::move(ev));

  auto backoff = 100ms;
  std::vector<events::append_result> res;
  for (;;) {
    auto a = log_.append(out);
    if (a) {
      res = std::move(a).value();
      break;
    }
    {
      std::lock_guard lk(mu_);
      waiting_ = "the log refused an append (" + a.error().message() + "); retrying";
    }
    if (stopping_) return false;
    sleep_unless_stopped(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
    if (stopping_) return false;
  }
  uint64_t fresh = 0, dup = 0;
  std::map<int32_t, events::log_position> last;
  for (size_t i = 0; i < res.size(); ++i) {
    if (res[i].duplicate) {
      ++dup;
    } else {
      ++fresh;
      if (opts_.metrics)
        opts_.metrics->counter("roms_rules_appended_total", "", {"rule"})
            .labels({rule_of(out[i])})
            .inc();
    }
    auto& l = last[res[i].position.partition];
    l = std::max(l, res[i].position);
  }
  if (opts_.metrics && dup)
    opts_.metrics->counter("roms_rules_duplicates_total", "").get().inc(dup);
  {
    std::lock_guard lk(mu_);
    appended_ += fresh;
    duplicates_ += dup;
    appended_unpersisted_ = true;
    waiting_.clear();
  }
  // The next evaluation must see these (an alert raised, a reminder fired).
  for (const auto& [p, pos] : last)
    if (!await_projections(pos)) return false;
  return true;
}

void rule_runner::fail(error_info e) {
  std::lock_guard lk(mu_);
  error_ = std::move(e);
  cv_.notify_all();
}

result_msg<void> rule_runner::run_loop(bool until_end, std::vector<int64_t> end) {
  std::vector<int64_t> from;
  {
    std::lock_guard lk(mu_);
    from = position_;
  }
  auto reader = log_.open_reader(from, opts_.partitions);
  if (!reader) return error_info{reader.error(), "rule runner: cannot read the log"};
  std::set<int32_t> owned(opts_.partitions.begin(), opts_.partitions.end());
  auto done = [&] {
    if (!until_end) return false;
    std::lock_guard lk(mu_);
    for (size_t p = 0; p < end.size(); ++p) {
      if (!owned.empty() && !owned.count(static_cast<int32_t>(p))) continue;
      if ((p < position_.size() ? position_[p] : 0) < end[p]) return false;
    }
    return true;
  };
  std::chrono::steady_clock::time_point last_end_refresh{};
  while (!stopping_ && !done()) {
    auto batch = reader.value()->read(opts_.batch_events, opts_.poll_wait);
    if (!batch) return error_info{batch.error(), "rule runner: reading the log failed"};
    bool stopped = false;
    if (!batch.value().empty() && !models_ready()) break;  // stopping
    for (const auto& e : batch.value()) {
      auto r = process(e);
      if (!r) {
        (void)persist();
        return r.error();
      }
      if (!r.value()) {
        stopped = true;
        break;
      }
      {
        std::lock_guard lk(mu_);
        auto p = static_cast<size_t>(e.position.partition);
        if (position_.size() <= p) position_.resize(p + 1, 0);
        position_[p] = std::max(position_[p], e.position.offset + 1);
        dirty_ = true;
      }
      cv_.notify_all();
    }
    if (stopped) break;
    bool due;
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lk(mu_);
      // After appends, persist at once (cheap next to the appends); else now and then.
      due = appended_unpersisted_ || (dirty_ && now - last_persist_ >= opts_.persist_every);
    }
    if (due) {
      if (auto r = persist(); !r) return r.error();
    }
    if (opts_.metrics && now - last_end_refresh >= 5s) {
      last_end_refresh = now;
      if (auto st = log_.stats()) {
        std::lock_guard lk(mu_);
        log_end_ = st.value().end_offsets;
      }
    }
  }
  return persist();
}

result_msg<void> rule_runner::start() {
  if (store_->read_only())
    return error_info{errc::unsupported, "rule runner: the read models are read-only"};
  {
    std::lock_guard lk(mu_);
    if (running_) return error_info{errc::conflict, "rule runner: already running"};
  }
  BOOST_OUTCOME_TRY(open_state());
  {
    std::lock_guard lk(mu_);
    running_ = true;
    stop_ = false;
    error_.reset();
  }
  stopping_ = false;
  thread_ = std::thread([this] {
    set_thread_name("roms-rules");
    auto r = run_loop(false, {});
    if (!r) fail(r.error());
    std::lock_guard lk(mu_);
    running_ = false;
    cv_.notify_all();
  });
  return success();
}

void rule_runner::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool rule_runner::running() const {
  std::lock_guard lk(mu_);
  return running_;
}

result_msg<void> rule_runner::run_until_end() {
  {
    std::lock_guard lk(mu_);
    if (running_) return error_info{errc::conflict, "rule runner: running on its thread"};
    stop_ = false;
  }
  stopping_ = false;
  BOOST_OUTCOME_TRY(open_state());
  auto st = log_.stats();
  if (!st) return error_info{st.error(), "rule runner: cannot read the log's end"};
  return run_loop(true, st.value().end_offsets);
}

result_msg<void> rule_runner::replay(std::vector<int64_t> from) {
  const bool was_running = running();
  stop();
  if (from.empty()) {
    auto st = log_.stats();
    if (!st) return error_info{st.error(), "rule runner: cannot read the log"};
    from.assign(st.value().end_offsets.size(), 0);
  }
  BOOST_OUTCOME_TRY(reset_rule_position(opts_.state_dir, std::move(from)));
  {
    std::lock_guard lk(mu_);
    opened_ = false;  // reload the position
  }
  if (was_running) return start();
  return success();
}

bool rule_runner::wait_for(events::log_position p, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  auto part = static_cast<size_t>(p.partition);
  return cv_.wait_for(lk, timeout, [&] {
    if (part < position_.size() && position_[part] > p.offset) return true;
    if (part < origin_.size() && p.offset < origin_[part] && opened_) return true;
    return false;
  });
}

rule_runner_status rule_runner::status() const {
  std::lock_guard lk(mu_);
  rule_runner_status s;
  s.running = running_;
  s.position = position_;
  s.origin = origin_;
  s.evaluated = evaluated_;
  s.appended = appended_;
  s.duplicates = duplicates_;
  s.error = error_;
  s.waiting = waiting_;
  return s;
}

result_msg<void> reset_rule_position(const std::filesystem::path& state_dir,
                                     std::vector<int64_t> position) {
  BOOST_OUTCOME_TRY(auto loaded, internal::load_rule_state(state_dir));
  if (!loaded)
    return error_info{errc::not_found,
                      "no rule state in " + state_dir.string() + " (the rules never ran here)"};
  loaded->position = std::move(position);
  while (loaded->position.size() < loaded->origin.size()) loaded->position.push_back(0);
  return internal::save_rule_state(state_dir, *loaded);
}

result_msg<std::optional<rule_position_info>> read_rule_position(
    const std::filesystem::path& state_dir) {
  BOOST_OUTCOME_TRY(auto loaded, internal::load_rule_state(state_dir));
  if (!loaded) return std::optional<rule_position_info>();
  return std::optional<rule_position_info>(
      rule_position_info{loaded->position, loaded->origin, loaded->created_at});
}

}  // namespace roms::consumers
