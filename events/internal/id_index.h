// The embedded log's event-id index: RocksDB at <dir>/log/ids, key "e" + id -> u64 offset
// (little-endian), plus key "mindexed_up_to" -> u64: every record below that offset is
// indexed. Both are written in one WriteBatch, WAL on and sync=false: the index is derived
// from the segments, which are fsync'd first, so after a crash it is at most behind (and is
// caught up on open), never ahead.
//
// Memory: one LRU block cache of `memory_bytes` that also accounts the memtables (a
// WriteBufferManager charging the cache), index and filter blocks cached in it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace roms::events::internal {

class id_index {
 public:
  ~id_index();
  id_index(const id_index&) = delete;
  id_index& operator=(const id_index&) = delete;

  static result_msg<std::unique_ptr<id_index>> open(const std::filesystem::path& dir,
                                                    uint64_t memory_bytes);
  // Deletes the index files (the directory and everything in it).
  static result_msg<void> destroy(const std::filesystem::path& dir);

  // 0 for a new index.
  result_msg<int64_t> indexed_up_to();

  // out[i] = the offset stored for ids[i], or nullopt.
  result_msg<void> lookup(std::span<const std::string_view> ids,
                          std::vector<std::optional<int64_t>>& out);

  // Stores (id, offset) pairs and indexed_up_to in one batch.
  result_msg<void> put(std::span<const std::pair<std::string_view, int64_t>> entries,
                       int64_t indexed_up_to);

 private:
  struct impl;
  explicit id_index(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace roms::events::internal
