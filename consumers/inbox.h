// inbox_runner: the CS inbox as a consumer of the log (consumers/README.md "CS inbox").
//
//   consumers::inbox_runner_options o;
//   o.state_dir = data_dir / "inbox";          // inbox.json: consumed position + origin
//   consumers::inbox_runner inbox(*log, o);
//   inbox.start();                              // after the projection runner
//   ...
//   inbox.stop();                               // before it
//
// It tails the log in order and folds every event the inbox reads into core/inbox.h's state;
// for inbound messages, clock ticks, agents coming online or going quiet and conversations
// closing, that state decides (customer created, conversation opened / linked / assigned /
// closed, agent OFFLINE) and the runner appends the decisions with ids derived from their
// idempotency keys (consumers/derived_id.h), one durable append per batch read. The state
// lives in memory and is folded again from position 0 at every start, so it is a function of
// the log alone: a restart or a replay decides the same things again and the log answers
// "duplicate" for each (nothing new is appended).
//
// It reads no read model and never the clock: time is the events' time.
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

#include "core/inbox.h"
#include "core/result.h"
#include "events/log.h"

namespace roms::metrics {
class registry;
}

namespace roms::consumers {

struct inbox_runner_options {
  // Where inbox.json lives (consumed position, origin). Required. `roms serve`: <data>/inbox.
  std::filesystem::path state_dir;
  // Events read per batch (their decisions are appended together). Default: 1024.
  size_t batch_events = 1024;
  // How long a read waits when caught up. Default: 100 ms.
  std::chrono::milliseconds poll_wait{100};
  // The origin on first start (no inbox.json): false = the log's end (history, demo data and
  // imports open no conversations), true = 0 (tests, or an inbox for an existing history).
  bool origin_at_zero = false;
  // roms_inbox_appended_total, roms_inbox_duplicates_total, roms_inbox_runner_up,
  // roms_inbox_open_conversations, roms_inbox_unassigned, roms_inbox_agents_online.
  metrics::registry* metrics = nullptr;
};

struct inbox_runner_status {
  bool running = false;
  std::vector<int64_t> position;  // next offset per partition to fold
  std::vector<int64_t> origin;
  uint64_t appended = 0;
  uint64_t duplicates = 0;
  std::optional<error_info> error;
};

class inbox_runner {
 public:
  inbox_runner(events::event_log& log, inbox_runner_options opts);
  ~inbox_runner();
  inbox_runner(const inbox_runner&) = delete;
  inbox_runner& operator=(const inbox_runner&) = delete;

  // Loads or creates inbox.json, folds the log from 0 up to the stored position (no appends:
  // those decisions are in the log already), then tails on its own thread.
  result_msg<void> start();
  // Finishes the batch in progress, persists the position, stops. Idempotent.
  void stop();
  bool running() const;

  // Not started: folds (and appends) up to the log's end on the caller's thread. Tests.
  result_msg<void> run_until_end();
  // Sets the stored position (origin kept); the next start folds from 0 and decides again
  // from there: everything comes out as duplicates. The runner must be stopped.
  result_msg<void> reset_position(std::vector<int64_t> position);

  // True once the event at `p` is folded and its decisions are durable.
  bool wait_for(events::log_position p, std::chrono::milliseconds timeout);

  inbox_runner_status status() const;
  // A copy of the state (tests and diagnostics); consistent between batches.
  inbox::state snapshot() const;

 private:
  result_msg<void> open_state();
  result_msg<void> persist();
  result_msg<void> loop(bool until_end, std::vector<int64_t> end);
  void register_metrics();

  events::event_log& log_;
  inbox_runner_options opts_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  inbox::state state_;
  bool running_ = false;
  std::vector<int64_t> position_;  // next offset to fold and decide (persisted)
  std::vector<int64_t> origin_;
  std::vector<int64_t> folded_;  // next offset folded into state_ (this process)
  uint64_t appended_ = 0;
  uint64_t duplicates_ = 0;
  std::optional<error_info> error_;
  std::chrono::steady_clock::time_point last_persist_{};
  bool dirty_ = false;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::string> metric_names_;
};

}  // namespace roms::consumers
