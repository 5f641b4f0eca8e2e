// Shared pieces of the `roms` command line: the options every command that touches the log
// takes, and opening the log they name. Each command group lives in tools/cmd_<group>.cc and
// registers itself on the CLI11 app from tools/main.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/errc.h"
#include "core/metrics.h"
#include "core/result.h"
#include "events/log.h"

namespace CLI {
class App;
}

namespace roms::tools {

struct log_options {
  std::string data_dir;
  std::string backend = "embedded";  // embedded | kafka
  std::string kafka_brokers;         // env ROMS_KAFKA_BROKERS
  std::string kafka_topic = "roms.events";
  int kafka_partitions = 6;
  // The log's id index (dedup): RocksDB cache + write buffers. `serve` sets it from its
  // --memory-mb budget. Default: 16 MiB.
  uint64_t index_memory_bytes = 16ull << 20;
  // Where the log publishes its metrics (`serve`: the process registry). Default: none.
  metrics::registry* metrics = nullptr;
};

// Adds --data (required unless `data_optional`), --log, --kafka-brokers, --kafka-topic,
// --kafka-partitions to `cmd`, bound to `o`.
void add_log_options(CLI::App* cmd, log_options& o, bool data_optional = false);

// Opens the log `o` names. read_only: the embedded log is opened without its writer lock (a
// server may be running on the same data dir).
result_msg<std::unique_ptr<events::event_log>> open_log(const log_options& o, bool read_only);

// Whether positions print as plain offsets (embedded) or "P:O" (Kafka).
inline bool single_partition(const log_options& o) { return o.backend == "embedded"; }

// Next offsets per partition as users read them: "42" (embedded) or "0:42,1:17" (Kafka).
std::string format_positions(const std::vector<int64_t>& next, bool single);

// Prints "roms: <message>" to stderr and returns the exit code 1.
int fail(const std::string& message);

// Command groups.
void register_log_commands(CLI::App& app);
void register_serve_command(CLI::App& app);
void register_projection_commands(CLI::App& app);
void register_auth_commands(CLI::App& app);
void register_rules_commands(CLI::App& app);

}  // namespace roms::tools
