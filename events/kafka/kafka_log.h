// The Kafka backend: the same event_log on an Apache Kafka topic, through librdkafka.
// Message key = stream id (one stream stays in one partition), value = the envelope's JSON
// (events/codec.h) so analytics consumers can read the topic directly.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "events/log.h"

namespace roms::events {

struct kafka_log_options {
  std::string brokers;               // "127.0.0.1:9092"
  std::string topic = "roms.events";  // Default: roms.events
  int32_t partitions = 6;            // used when the topic is created. Default: 6
  int16_t replication_factor = 1;    // used when the topic is created. Default: 1
  // Where the id index (dedup) lives; empty = in memory only (tests). Default: empty.
  std::filesystem::path index_dir;
  // How long an operation may wait for the broker before failing with errc::unavailable.
  // Default: 10 s.
  std::chrono::milliseconds timeout{10'000};
};

result_msg<std::unique_ptr<event_log>> open_kafka_log(kafka_log_options opts);

}  // namespace roms::events
