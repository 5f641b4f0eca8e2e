// The log: the source of truth. Two backends implement this interface, the embedded on-disk
// log (events/embedded_log.h) and Apache Kafka (events/kafka/kafka_log.h); one contract test
// suite (tests/events/log_contract_test.cc) runs against both.
//
// Guarantees every backend gives:
//  - append() returns only when the events are durable (embedded: fsync'd; Kafka: acks=all).
//  - Events of one stream are totally ordered (one partition per stream).
//  - Offsets are dense and monotonic per partition.
//  - An event whose id was already appended is not stored again; its result carries the
//    original position and duplicate=true.
//  - Readers see events in offset order per partition and can wait for new ones without
//    busy polling.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "events/envelope.h"

namespace roms::events {

struct append_result {
  log_position position;
  bool duplicate = false;  // the id was already in the log; position is the original one
};

struct log_stats {
  int32_t partitions = 1;
  std::vector<int64_t> end_offsets;  // next offset per partition (== event count on embedded)
  uint64_t bytes = 0;                // on-disk size where known (embedded), else 0
  std::string backend;               // "embedded" | "kafka"
};

class log_reader {
 public:
  virtual ~log_reader() = default;
  // Returns up to `max` events in order (per partition). If none is available, waits up to
  // `wait` for one; an empty vector means nothing arrived in time. Corruption or a broker
  // error is an error, never silently skipped.
  virtual result<std::vector<stored_event>> read(size_t max, std::chrono::milliseconds wait) = 0;
  // The position the next read() starts from, per partition (index = partition).
  virtual std::vector<int64_t> next_offsets() const = 0;
};

class event_log {
 public:
  virtual ~event_log() = default;

  // Appends the events (each deduplicated by id) and returns when they are durable. Results
  // are in the order of `events`. Invalid envelopes (empty id/type/stream, payload not a JSON
  // object, over the limits) fail the whole call with errc::invalid_argument before anything
  // is written.
  virtual result<std::vector<append_result>> append(std::span<const envelope> events) = 0;

  // Number of partitions (1 for embedded).
  virtual int32_t partitions() const = 0;

  // Which partition a stream's events go to.
  virtual int32_t partition_for(std::string_view stream) const = 0;

  virtual result<log_stats> stats() = 0;

  // A reader starting at `from[p]` for each partition p (missing entries start at 0).
  // `partitions_wanted` empty = all partitions; otherwise only those (Kafka consumer-group
  // style assignment).
  virtual result<std::unique_ptr<log_reader>> open_reader(
      std::vector<int64_t> from, std::vector<int32_t> partitions_wanted = {}) = 0;

  // The first offset per partition whose event time is > t (Kafka: offsetsForTimes
  // semantics shifted to "strictly after"); end offset if none.
  virtual result<std::vector<int64_t>> offsets_after_time(timestamp t) = 0;
};

}  // namespace roms::events
