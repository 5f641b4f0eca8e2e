// projection_runner: drives the projections of a projection_store from an event_log, on either
// backend. Design and crash-safety argument: consumers/README.md.
//
//   auto store = projections::projection_store::open(dir, models).value();
//   consumers::projection_runner runner(store, *log, {.metrics = &metrics::default_registry()});
//   runner.start();                                    // tails the log on its own thread
//   ...
//   auto pos = log->append(events).value().back().position;
//   if (runner.wait_for(pos, 2s)) { /* every read model has applied it */ }
//
// Each batch of events read from the log is applied to every projection that wants it and has
// not applied it yet (per-projection, per-partition positions), and committed as ONE RocksDB
// WriteBatch holding all projections' writes and their new positions. An event that fails to
// apply stops the runner with an error naming its position (it is never skipped).
//
// Rebuild (rebuild()) folds from offset 0 into fresh generations while the live ones keep
// serving and being updated, then pauses the runner between two batches, folds the last few
// events and switches readers atomically. Restore (restore()) produces the read models as of a
// log position or time in a new data directory, starting from the newest usable checkpoint.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "events/log.h"
#include "projections/store.h"

namespace roms::metrics {
class registry;
}

namespace roms::consumers {

// Progress of a rebuild or restore: events folded so far, events to fold (grows if the log
// does), and the current rate. Called at most every ~100 ms and once at the end.
using progress_fn = std::function<void(uint64_t done, uint64_t total, double events_per_second)>;

struct runner_options {
  // Events read and committed per batch on the live path (one WriteBatch each).
  // Default: 4096.
  size_t batch_events = 4096;
  // Events per batch where nobody waits for a batch to be applied: rebuild, restore and the
  // synchronous run_until()/catch_up() (bigger batches aggregate more writes per key; a 1M
  // catch-up: 46.4–47.8k events/s at 4096, 51.4–53.7k at 16384). Default: 16384.
  size_t rebuild_batch_events = 16384;
  // Threads that apply a batch (projections fold in parallel, each on one thread; the
  // caller's thread is one of them). Batches under 256 events use one. Default: 2.
  size_t fold_threads = 2;
  // How long one read waits for new events when the runner is caught up. Default: 50 ms.
  std::chrono::milliseconds poll_wait{50};
  // The partitions this runner owns (Kafka: this node's share of the topic); empty = all.
  // Default: all.
  std::vector<int32_t> partitions;
  // Take a checkpoint of the store every this many events applied by the live path
  // (0 = never); a restore folds at most this many events past its checkpoint, so this
  // bounds restore time (at the measured 10–30k events/s, 100k is a few seconds; a
  // checkpoint costs a memtable flush and hard links). Taken on the runner's checkpoint
  // thread, so it holds the events up to where the live loop was when it was cut: at or past
  // each multiple. Default: 100,000.
  uint64_t checkpoint_every_events = 100'000;
  // At start(), rebuild stale projections (stored version != code version, or never built) in
  // the background; until each is switched in, it is not applied and does not count for
  // wait_for(). Default: true.
  bool rebuild_stale_on_start = true;
  // Where to publish metrics (roms_projection_events_applied_total{projection},
  // roms_projection_lag_events{projection}, roms_projection_runner_up). Default: none.
  metrics::registry* metrics = nullptr;
};

struct projection_progress {
  std::string name;
  std::vector<int64_t> position;  // next offset per partition
  int64_t lag = 0;                // events in the owned partitions not applied yet
  bool stale = false;             // waiting for (or in) its first rebuild; not applied live
  bool rebuilding = false;
  uint64_t rebuild_done = 0, rebuild_total = 0;
  std::string error;  // the last rebuild failure, if any
};

struct runner_status {
  bool running = false;
  // Why the runner stopped (an event that failed to apply, a log error); names the position.
  std::optional<error_info> error;
  std::optional<events::log_position> failed_at;
  std::vector<int64_t> log_end;  // next offset per partition
  std::vector<int64_t> applied;  // what every live projection has applied (min)
  uint64_t events_applied = 0;   // by the live path since construction
  uint64_t batches = 0;
  uint64_t checkpoints = 0;
  std::string last_checkpoint_error;
  std::vector<projection_progress> projections;
};

class projection_runner {
 public:
  projection_runner(std::shared_ptr<projections::projection_store> store, events::event_log& log,
                    runner_options opts = {});
  // Stops (see stop()).
  ~projection_runner();
  projection_runner(const projection_runner&) = delete;
  projection_runner& operator=(const projection_runner&) = delete;

  // Starts tailing the log on the runner thread (and rebuilding stale projections, see
  // runner_options::rebuild_stale_on_start). Fails if already running or the store is
  // read-only.
  result_msg<void> start();
  // Stops after the batch in progress; cancels a rebuild in progress (its generations are
  // discarded); pending on_reached callbacks are called with false; flushes the store (the
  // live loop commits without the WAL). Idempotent.
  void stop();
  bool running() const;

  // Synchronous fold on the caller's thread, the runner not started: applies every event
  // with offset < until[p] (per partition; missing entries = 0) to every live, non-stale
  // projection that has not applied it. With `d` = no_wal (the default: catch-up, restore)
  // the projections commit in parallel without the WAL and the store is flushed at the end.
  result_msg<void> run_until(std::vector<int64_t> until,
                             projections::durability d = projections::durability::no_wal,
                             progress_fn progress = {});
  // run_until(the log's end now).
  result_msg<void> catch_up(progress_fn progress = {});

  // Rebuilds the named projections (empty = all) from offset 0 into fresh generations and
  // switches readers to them atomically. Works whether or not the runner is started: when it
  // is, live reads and read-your-writes keep working throughout, and the runner pauses only
  // for the last few events. Blocks until done. One rebuild at a time.
  result_msg<void> rebuild(std::vector<std::string> names = {}, progress_fn progress = {});

  // What every live (non-stale) projection has applied: next offset per partition.
  std::vector<int64_t> applied() const;
  // True once every live projection has applied the event at `p`.
  bool reached(events::log_position p) const;
  // Blocks until reached(p), the timeout, or the runner stopping. True if reached.
  bool wait_for(events::log_position p, std::chrono::milliseconds timeout);
  // Calls cb(true) from the runner thread once reached(p), or cb(false) from the timer
  // thread at `deadline` (or from stop()). If already reached, calls cb(true) at once on the
  // calling thread. cb must be quick and must not call back into the runner.
  void on_reached(events::log_position p, std::chrono::steady_clock::time_point deadline,
                  std::function<void(bool)> cb);

  // Positions, lag (asks the log for its end), errors.
  runner_status status() const;

 private:
  struct waiter {
    events::log_position pos;
    std::chrono::steady_clock::time_point deadline;
    std::function<void(bool)> cb;
  };
  struct rebuild_state {
    uint64_t done = 0, total = 0;
  };

  std::vector<int32_t> owned() const;
  size_t threads_for(size_t events) const;
  std::vector<std::shared_ptr<projections::fold_target>> live_targets() const;  // apply_mu_
  std::vector<int64_t> start_positions(
      const std::vector<std::shared_ptr<projections::fold_target>>& targets) const;
  void run_loop();
  void timer_loop();
  void publish_applied(std::vector<int64_t> applied);
  void fail(error_info e, std::optional<events::log_position> at);
  void fire_all_waiters(bool reached);
  bool reached_locked(events::log_position p) const;
  result_msg<void> rebuild_locked(std::vector<std::string> names, progress_fn progress);
  void refresh_log_end();
  void register_metrics();

  std::shared_ptr<projections::projection_store> store_;
  events::event_log& log_;
  runner_options opts_;

  // Held while a batch is applied and committed (runner thread, run_until) and by a rebuild
  // while it switches: a switch always happens between two batches.
  mutable std::mutex apply_mu_;
  std::vector<int64_t> committed_;  // the live reader's position after the last commit

  std::mutex rebuild_mu_;  // one rebuild at a time
  std::atomic<bool> cancel_rebuild_{false};

  mutable std::mutex mu_;  // everything below
  std::condition_variable cv_;
  std::set<std::string, std::less<>> excluded_;  // stale: not applied live until rebuilt
  std::map<std::string, rebuild_state, std::less<>> rebuilding_;
  std::map<std::string, std::string, std::less<>> rebuild_errors_;
  bool running_ = false;
  bool stop_ = false;
  std::optional<error_info> error_;
  std::optional<events::log_position> failed_at_;
  std::vector<int64_t> applied_;
  bool have_applied_ = false;
  std::vector<int64_t> log_end_;  // cached for metrics
  uint64_t events_applied_ = 0;
  uint64_t batches_ = 0;
  uint64_t checkpoints_ = 0;
  std::string checkpoint_error_;
  uint64_t next_waiter_ = 0;
  std::map<uint64_t, waiter> waiters_;
  bool timer_stop_ = false;
  std::condition_variable timer_cv_;
  // When the timer thread wakes next (max: not until notified). A new waiter wakes it only
  // if its deadline is earlier: the deadlines of commands (now + apply_wait) only grow, so
  // under load the timer sleeps instead of waking once per command.
  std::chrono::steady_clock::time_point timer_next_ =
      std::chrono::steady_clock::time_point::max();

  // Checkpoints are cut on their own thread (runner_options::checkpoint_every_events): one
  // flushes memtables, which would otherwise hold up the live loop and every answer waiting
  // on it. The runner thread only asks; each ask is one checkpoint, taken in turn.
  uint64_t checkpoints_wanted_ = 0;
  bool checkpointer_stop_ = false;
  std::condition_variable checkpoint_cv_;
  void checkpoint_loop();

  std::thread thread_;
  std::thread rebuild_thread_;
  std::thread timer_;
  std::thread checkpointer_;
  std::vector<std::string> metric_names_;
};

// --- restore ---

struct restore_options {
  // The data dir whose checkpoints may be used (<source>/projections/checkpoints). Empty:
  // fold from 0.
  std::filesystem::path source_data_dir;
  // The new data dir; must not hold a projections store yet.
  std::filesystem::path into;
  // Exactly one of: every event with offset < before[p] in partition p (missing entries: 0),
  // or every event with time <= at_time (per partition, event_log::offsets_after_time).
  std::optional<std::vector<int64_t>> before;
  std::optional<timestamp> at_time;
  // Memory budget of the restored store while folding. Default: 64 MiB.
  uint64_t memory_budget_bytes = 64ull << 20;
  // Partitions to restore (Kafka: a node's share); empty = all. Default: all.
  std::vector<int32_t> partitions;
  // Default: 16384.
  size_t batch_events = 16384;
  progress_fn progress;
};

struct restore_result {
  std::vector<int64_t> limits;         // the exclusive end per partition that was folded to
  std::optional<uint64_t> checkpoint;  // the checkpoint started from; nullopt: from 0
  uint64_t events_folded = 0;          // events read from the log (after the checkpoint)
  double seconds = 0;
};

// Writes <into>/projections/db (the read models holding exactly the events selected) and
// <into>/restore.json (what it holds: limits, time or position asked for, checkpoint used,
// per projection version and position), which `serve --read-only` opens.
result_msg<restore_result> restore(events::event_log& log,
                                   std::vector<std::shared_ptr<projections::projection>> models,
                                   const restore_options& o);

// Reads <data_dir>/restore.json's limits (nullopt: not a restored dir).
std::optional<std::vector<int64_t>> restored_limits(const std::filesystem::path& data_dir);

}  // namespace roms::consumers
