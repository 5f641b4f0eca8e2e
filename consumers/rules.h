// rule_runner: the automation rules (thank-you messages, repeat-order reminders, critical-stock
// and pending-order alerts) as a consumer of the log. Design, and why it never acts twice nor
// about the past: consumers/README.md "Rules".
//
//   consumers::rule_runner_options o;
//   o.state_dir = data_dir / "rules";          // consumed position + origin (rules.json)
//   o.metrics = &metrics;
//   consumers::rule_runner rules(*log, store, *projection_runner, o);
//   rules.start();                              // after projection_runner.start()
//   ...
//   rules.stop();                               // before projection_runner.stop()
//
// For each event after its origin, in log order (per partition), the runner waits until the
// projections have applied it, evaluates the rules (pure functions of the event and read-model
// snapshots, consumers/internal/rule_set.h) and appends what they return. Every appended event
// has an id derived from an idempotency key ("thank_you:<order>", "reminder:<rule>:<order>",
// "critical_stock:<product>:<episode>"), so evaluating an event again (after a crash, or a
// replay from position 0) appends nothing new: the log deduplicates ids. The consumed position
// is persisted only after the appends it covers are durable, and before the next event is
// evaluated the runner waits until the projections have applied its own appends, so each rule
// sees its earlier decisions (an alert already raised, a reminder already fired).
//
// Rules act only forward: on first start the origin is the log's end, and events before it
// (history, imports, demo data) never trigger anything, not even on replay. Events whose
// actor is "demo", "import" or "import:*" never trigger anything either.
//
// Time is data: the runner never reads the clock to decide. Reminders fire and pending orders
// age on clock.ticked events (their event time is "now"); events it emits carry the time of
// the event that caused them, causation_id = that event's id, actor "rule:<name>".
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "events/log.h"
#include "projections/store.h"

namespace roms::metrics {
class registry;
}

namespace roms::consumers {

class projection_runner;

struct rule_runner_options {
  // Where the runner keeps rules.json (consumed position and origin). Required; created if
  // missing. `roms serve` uses <data>/rules.
  std::filesystem::path state_dir;
  // The partitions this runner owns (Kafka: this node's share); empty = all. Default: all.
  std::vector<int32_t> partitions;
  // Events read from the log per batch. Default: 512.
  size_t batch_events = 512;
  // How long one read waits for new events when caught up. Default: 100 ms.
  std::chrono::milliseconds poll_wait{100};
  // How long one wait for the projections lasts before the runner re-checks for stop (it then
  // waits again: an event is never evaluated against read models that have not applied it).
  // Default: 1 s.
  std::chrono::milliseconds projection_wait{1'000};
  // The position is persisted after every batch that appended something, and otherwise at
  // most this often (re-evaluating a few events after a crash appends nothing). Default: 1 s.
  std::chrono::milliseconds persist_every{1'000};
  // Publishes roms_rules_appended_total{rule}, roms_rules_duplicates_total,
  // roms_rules_skipped_total{rule,reason}, roms_rules_evaluated_total, roms_rules_lag_events,
  // roms_rules_runner_up. Default: none.
  metrics::registry* metrics = nullptr;
};

struct rule_runner_status {
  bool running = false;
  std::vector<int64_t> position;    // next offset per partition to evaluate
  std::vector<int64_t> origin;      // rules act on events at or after this
  uint64_t evaluated = 0;           // events evaluated since construction
  uint64_t appended = 0;            // new events appended
  uint64_t duplicates = 0;          // events the log already had (re-evaluation, replay)
  std::optional<error_info> error;  // why the runner stopped (names the position)
  std::string waiting;              // what it is waiting for, if anything ("" = nothing)
};

class rule_runner {
 public:
  rule_runner(events::event_log& log, std::shared_ptr<projections::projection_store> store,
              projection_runner& projections, rule_runner_options opts);
  // Stops (see stop()).
  ~rule_runner();
  rule_runner(const rule_runner&) = delete;
  rule_runner& operator=(const rule_runner&) = delete;

  // Loads (or, on first start, creates with origin = the log's end) the state and starts
  // evaluating on the runner's thread. Fails if already running, the store is read-only or the
  // state file is damaged.
  result_msg<void> start();
  // Finishes the event in progress, persists the position and stops. Idempotent.
  void stop();
  bool running() const;

  // Synchronous, the runner not started: evaluates every event up to the log's end now on the
  // caller's thread (the projection runner must be running). For tests and tools.
  result_msg<void> run_until_end();

  // Evaluates again from `from` (next offset per partition; empty = 0 everywhere): the ops
  // "replay the rules" (after a projection rebuild, say). Stops the thread if it runs, stores
  // the position (the origin is kept: history still triggers nothing) and starts it again if
  // it was running. Everything already emitted comes out as duplicates, nothing new.
  result_msg<void> replay(std::vector<int64_t> from = {});

  // True once the runner has evaluated the event at `p` and its appends are durable (or `p`
  // is before the origin). Blocks up to `timeout`.
  bool wait_for(events::log_position p, std::chrono::milliseconds timeout);

  rule_runner_status status() const;

 private:
  result_msg<void> open_state();
  // Evaluates one event. False: stopping before it was done (not consumed).
  result_msg<bool> process(const events::stored_event& e);
  bool await_projections(events::log_position p);
  // False: stopping while a read model the rules read is still being (re)built.
  bool models_ready();
  result_msg<void> persist();
  result_msg<void> run_loop(bool until_end, std::vector<int64_t> end);
  void fail(error_info e);
  void register_metrics();
  void sleep_unless_stopped(std::chrono::milliseconds d);

  events::event_log& log_;
  std::shared_ptr<projections::projection_store> store_;
  projection_runner& projections_;
  rule_runner_options opts_;

  mutable std::mutex mu_;  // everything below
  std::condition_variable cv_;
  bool opened_ = false;
  bool running_ = false;
  bool stop_ = false;
  std::vector<int64_t> position_;
  std::vector<int64_t> origin_;
  std::string created_at_;
  std::optional<error_info> error_;
  std::string waiting_;
  uint64_t evaluated_ = 0;
  uint64_t appended_ = 0;
  uint64_t duplicates_ = 0;
  bool dirty_ = false;                 // position moved since the last persist
  bool appended_unpersisted_ = false;  // appended since the last persist
  std::vector<int64_t> log_end_;       // for the lag metric, refreshed every few seconds
  std::chrono::steady_clock::time_point last_persist_{};

  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::string> metric_names_;
};

// Sets the stored position (the origin is kept), so the next start re-evaluates from there:
// `roms` ops replay, and the replay tests. Events before the origin still trigger nothing and
// what was already emitted is not emitted again. The runner must not be running on `state_dir`.
result_msg<void> reset_rule_position(const std::filesystem::path& state_dir,
                                     std::vector<int64_t> position);

// The stored state in `state_dir`, for `roms rules status` on a data dir no server holds.
// nullopt: the rules never ran there.
struct rule_position_info {
  std::vector<int64_t> position;  // next offset per partition to evaluate
  std::vector<int64_t> origin;
  std::string created_at;
};
result_msg<std::optional<rule_position_info>> read_rule_position(
    const std::filesystem::path& state_dir);

}  // namespace roms::consumers
