// The command executor: the write side. One thread decides every command in arrival order
// (a single writer, so commands on any aggregate are serialised and stock can't be sold
// twice), against the write model (commands/write_model.h): the decision state in memory, a
// fold of the log that applies the executor's own events as it decides them. Decided events go to
// an appender thread that appends whole batches in one call, so concurrent commands share one fsync
// (group commit), while the decider already works on the next batch.
//
//   executor ex(log, store, runner, system_clock());
//   ex.start();
//   ex.submit(commands::place_order{...}, actor, [](result_msg<outcome> r) { ... });
//
// A command's callback runs once its events are durable and the read models have applied
// them (or the wait timed out: outcome.applied = false), or with its rejection. Callbacks
// run on the executor's threads: keep them short.
//
// Failure: if an append fails, its commands get the error, and the decider stops deciding
// until every in-flight append has finished, then folds the write model again from the log
// (so no decision rests on events that were never written).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "core/commands.h"
#include "core/decide.h"
#include "core/result.h"
#include "core/time.h"
#include "events/log.h"

namespace roms::projections {
class projection_store;
}
namespace roms::consumers {
class projection_runner;
}
namespace roms::metrics {
class registry;
}

namespace roms::commands {

class write_model;

using any_command =
    std::variant<place_order, change_order_status, define_product, update_product, adjust_stock,
                 transfer_stock, create_warehouse, update_customer, change_settings,
                 create_template, update_template, delete_template, create_reminder_rule,
                 update_reminder_rule, delete_reminder_rule, acknowledge_alert>;

struct actor_info {
  std::string actor;           // "user:<id>", "apikey:<id>", "webhook:shopify", "cli"
  std::string correlation_id;  // request id
};

struct outcome {
  std::string id;                                // the resource the command is about
  bool existing = false;                         // idempotent repeat / no change
  std::optional<events::log_position> position;  // of its last event, if it appended any
  bool applied = true;  // the read models have applied it (false: "accepted, still applying")
};

using done_fn = std::function<void(result_msg<outcome>)>;

struct executor_options {
  // How long a command waits for the read models before answering applied=false.
  // Default: 2 s.
  std::chrono::milliseconds apply_wait{2'000};
  // Most commands decided into one append. Default: 1024.
  size_t max_batch = 1024;
  // Commands waiting beyond this are refused with errc::unavailable (back-pressure).
  // Default: 100000.
  size_t max_queue = 100'000;
  metrics::registry* metrics = nullptr;
};

class executor {
 public:
  executor(events::event_log& log, std::shared_ptr<projections::projection_store> store,
           consumers::projection_runner& runner, const clock& clk, executor_options o = {});
  ~executor();  // stop()
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  void start();
  // Finishes what is queued and in flight, then stops. Idempotent.
  void stop();

  // Thread-safe. `done` is called exactly once.
  void submit(any_command cmd, actor_info who, done_fn done);
  // Blocking convenience for the CLI and tests.
  result_msg<outcome> execute(any_command cmd, actor_info who);
  // Runs f on the write model between two decisions (tests, diagnostics). Blocks deciding
  // while f runs.
  void inspect(const std::function<void(const write_model&)>& f);

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace roms::commands
