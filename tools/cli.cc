#include "tools/cli.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "core/errc.h"
#include "events/embedded_log.h"
#include "events/kafka/kafka_log.h"

namespace roms::tools {

void add_log_options(CLI::App* cmd, log_options& o, bool data_optional) {
  auto* d =
      cmd->add_option("--data", o.data_dir, "Data directory (log, read models, admin socket)");
  if (!data_optional) d->required();
  cmd->add_option("--log", o.backend, "Log backend: embedded or kafka")
      ->check(CLI::IsMember({"embedded", "kafka"}))
      ->capture_default_str();
  if (const char* b = std::getenv("ROMS_KAFKA_BROKERS")) o.kafka_brokers = b;
  cmd->add_option("--kafka-brokers", o.kafka_brokers,
                  "Kafka bootstrap servers (env ROMS_KAFKA_BROKERS)");
  cmd->add_option("--kafka-topic", o.kafka_topic, "Kafka topic")->capture_default_str();
  cmd->add_option("--kafka-partitions", o.kafka_partitions, "Partitions when the topic is created")
      ->capture_default_str();
}

result_msg<std::unique_ptr<events::event_log>> open_log(const log_options& o, bool read_only) {
  if (o.backend == "kafka") {
    if (o.kafka_brokers.empty())
      return error_info{roms::errc::invalid_argument,
                        "--log kafka needs --kafka-brokers (or ROMS_KAFKA_BROKERS)"};
    events::kafka_log_options k;
    k.brokers = o.kafka_brokers;
    k.topic = o.kafka_topic;
    k.partitions = o.kafka_partitions;
    k.index_memory_bytes = o.index_memory_bytes;
    if (!o.data_dir.empty()) k.index_dir = std::filesystem::path(o.data_dir) / "kafka-ids";
    return events::open_kafka_log(std::move(k));
  }
  events::embedded_log_options e;
  e.read_only = read_only;
  e.index_memory_bytes = o.index_memory_bytes;
  e.metrics = o.metrics;
  e.on_repair = [](const std::string& m) { std::cerr << "roms: log repaired: " << m << "\n"; };
  return events::open_embedded_log(std::filesystem::path(o.data_dir), std::move(e));
}

int fail(const std::string& message) {
  std::cerr << "roms: " << message << "\n";
  return 1;
}

std::string format_positions(const std::vector<int64_t>& next, bool single) {
  if (single) return std::to_string(next.empty() ? 0 : next[0]);
  std::string s;
  for (size_t p = 0; p < next.size(); ++p) {
    if (!s.empty()) s += ",";
    s += std::to_string(p) + ":" + std::to_string(next[p]);
  }
  return s;
}

}  // namespace roms::tools
