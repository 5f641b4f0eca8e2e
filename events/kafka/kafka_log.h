// The Kafka backend: the same event_log on an Apache Kafka topic, through librdkafka.
// Message key = stream id (one stream stays in one partition), value = the envelope's JSON
// (events/codec.h) so analytics consumers can read the topic directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "events/log.h"

namespace roms::events {

struct kafka_log_options {
  std::string brokers;                // "127.0.0.1:9092"
  std::string topic = "roms.events";  // Default: roms.events
  int32_t partitions = 6;             // used when the topic is created. Default: 6
  int16_t replication_factor = 1;     // used when the topic is created. Default: 1
  // Where the id index (dedup) lives; empty = in memory only (tests). Default: empty.
  std::filesystem::path index_dir;
  // Memory for the id index's RocksDB block cache and write buffers together. Default: 16 MiB.
  uint64_t index_memory_bytes = 16ull << 20;
  // How long an operation may wait for the broker before failing with errc::unavailable.
  // Default: 10 s.
  std::chrono::milliseconds timeout{10'000};
  // Producer batching delay (librdkafka linger.ms): a lone append waits this long for
  // company. Default: 5 ms.
  std::chrono::milliseconds linger{5};
};

// Opens the log on `opts.topic`, creating the topic when missing (opts.partitions,
// opts.replication_factor, retention.ms=-1, max.message.bytes=2 MiB), then catches the id
// index up to the end of every partition. Fails with errc::unavailable (message naming the
// broker's last error) if the brokers do not answer within opts.timeout, and with
// errc::corruption naming "P:O" if a record in the topic is not an envelope.
result_msg<std::unique_ptr<event_log>> open_kafka_log(kafka_log_options opts);

// The partitioner: Apache Kafka's Java client default for keyed records,
// toPositive(murmur2(key)) % partitions, so Java/Kafka Streams producers keyed by stream agree
// with ROMS on where a stream lives. The Kafka log passes this partition to every produce.
int32_t kafka_partition_for(std::string_view key, int32_t partitions);

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c).
int32_t kafka_murmur2(std::string_view data);

// event_log and log_reader report a bare std::error_code. On the Kafka backend the human
// sentence of the last failure (the broker's message, the "P:O" of an undecodable record) is
// kept and returned here; "" for another backend or when nothing failed.
std::string kafka_error_message(const event_log& log);
std::string kafka_error_message(const log_reader& reader);

}  // namespace roms::events
