// The embedded log: a durable, append-only log in a directory, no other process needed.
// Design and on-disk format: events/README.md ("Embedded log").
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/metrics.h"
#include "events/log.h"

namespace roms::events {

struct embedded_log_options {
  // Roll to a new segment file when the active one reaches this size. Default: 128 MiB.
  uint64_t segment_bytes = 128ull << 20;
  // fsync every append batch. Turning it off is only for benchmarks of the software path.
  // Default: true.
  bool sync = true;
  // Memory for the id index (RocksDB block cache + write buffer). Default: 16 MiB.
  uint64_t index_memory_bytes = 16ull << 20;
  // Open without taking the writer lock; append() fails with errc::unsupported.
  // Default: false.
  bool read_only = false;
  // Called with a human sentence when open() repairs something (torn tail truncated, index
  // rebuilt). Default: none.
  std::function<void(const std::string&)> on_repair;
  // Where to publish roms_log_sync_seconds (the time of each group commit's fdatasync: what
  // every durable append waits for). Must outlive the log. Default: none.
  metrics::registry* metrics = nullptr;
};

// Opens (creating if needed) the log in `dir`. Fails with errc::locked if another process has
// it open for writing.
result_msg<std::unique_ptr<event_log>> open_embedded_log(const std::filesystem::path& dir,
                                                         embedded_log_options opts = {});

}  // namespace roms::events
