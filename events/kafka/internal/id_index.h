// The Kafka log's id index: event id -> the position it was first stored at, plus, per
// partition, the offset below which every record of the topic has been indexed
// ("indexed up to"). Both change in one atomic write, so after a crash the index is never
// ahead of what it claims to cover: catching up from "indexed up to" restores it.
//
// Two implementations: in memory (tests, or no index_dir) and RocksDB in a directory.
// RocksDB key layout:
//   "i/" + id         -> "P:O"      the first position of the id
//   "u/" + P (decimal) -> "O"       indexed up to, per partition
//   "m/topic"          -> topic     the topic this index belongs to
// Not thread-safe: the Kafka log serializes calls under its state mutex.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "events/position.h"

namespace roms::events::kafka_internal {

struct index_entry {
  std::string id;
  log_position position;
};

class id_index {
 public:
  virtual ~id_index() = default;

  virtual result_msg<std::optional<log_position>> find(std::string_view id) = 0;

  // "Indexed up to" per partition (0 when unknown), for `partitions` partitions.
  virtual result_msg<std::vector<int64_t>> load_upto(int32_t partitions) = 0;

  // Adds the entries (an id already present keeps its first position) and sets "indexed up
  // to" for the given partitions, in one atomic write.
  virtual result_msg<void> add(std::span<const index_entry> entries,
                               std::span<const std::pair<int32_t, int64_t>> upto) = 0;

  // Forgets everything (the topic was deleted and created again).
  virtual result_msg<void> clear() = 0;
};

std::unique_ptr<id_index> make_memory_index();

// Opens (creating) a RocksDB index in `dir` for `topic`. An index made for another topic is
// refused with errc::invalid_argument. Its block cache and write buffers share memory_bytes.
result_msg<std::unique_ptr<id_index>> open_rocksdb_index(const std::filesystem::path& dir,
                                                         const std::string& topic,
                                                         uint64_t memory_bytes = 16ull << 20);

}  // namespace roms::events::kafka_internal
