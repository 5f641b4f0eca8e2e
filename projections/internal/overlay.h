// The fold_context of one generation: an in-memory overlay over the generation's column
// family that is also the fold's cache. Private to projections/.
//
// Within a batch: get() reads the overlay, then RocksDB (and remembers what it read, found
// or not); put()/del() write the overlay; scan() merges the overlay over a RocksDB iterator;
// at commit each dirty key is written once.
//
// Across batches: after a commit the written values *are* the store's values, so the entries
// stay as clean cache entries (a generation has a single writer, its fold batches, so nothing
// else can change them). After each commit the least recently used entries are evicted until
// the cache is within its byte limit (an intrusive LRU list through the entries: O(1) per
// touch and per eviction). On any failure the whole overlay is discarded.
//
// Point operations (the vast majority: read-modify-write of records and counters) go through
// a hash map. The keys written in the current batch are also kept sorted (views into the
// map's nodes, which never move): commit writes them in key order, and scan() merges them
// over a RocksDB iterator — clean entries need no merging, they equal what RocksDB holds.
// (A list sorted on demand was tried instead: folds scan often, e.g. on every clock tick, and
// re-sorting per scan cost more than the tree's inserts.)
#pragma once

#include <cstdint>
#include <map>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "projections/projection.h"

namespace roms::projections::internal {

class overlay final : public fold_context {
 public:
  overlay(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) : db_(db), cf_(cf) {
    lru_.prev = lru_.next = &lru_;
  }
  overlay(const overlay&) = delete;  // the LRU list points into itself
  overlay& operator=(const overlay&) = delete;

  std::optional<std::string> get(std::string_view key) override;
  void put(std::string_view key, std::string_view value) override;
  void del(std::string_view key) override;
  void scan(std::string_view begin, std::string_view end,
            const std::function<bool(std::string_view, std::string_view)>& f) override;

  // Adds every key written since the last commit to `wb` (one Put or Delete per key).
  // Returns the number of keys.
  size_t write_to(rocksdb::WriteBatch& wb);
  // The batch written by write_to() is durable in RocksDB: dirty entries become cache entries;
  // then the least recently used entries are evicted until the overlay holds at most
  // `keep_bytes`.
  void committed(size_t keep_bytes);
  // Forgets everything: uncommitted writes and the cache.
  void discard();
  // Dirty keys pending.
  size_t dirty() const { return dirty_keys_.size(); }
  size_t bytes() const { return bytes_; }
  // The first failure since the last commit: a RocksDB read error or a reserved key written.
  const std::optional<std::string>& error() const { return error_; }

 private:
  struct entry {
    std::optional<std::string> value;  // nullopt: absent (deleted, or not in the store)
    bool dirty = false;
    // The LRU list (most recent first) and the map node's key, for eviction.
    entry* prev = nullptr;
    entry* next = nullptr;
    const std::string* key = nullptr;
  };
  struct hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using map_type = std::unordered_map<std::string, entry, hash, std::equal_to<>>;
  static size_t cost(std::string_view key, const std::optional<std::string>& v) {
    return key.size() + (v ? v->size() : 0) + 96;  // node, index and string overheads
  }
  // The entry of `key`, created (absent, clean) if needed, and made the most recent.
  entry& slot(std::string_view key, bool* created);
  // The entry of `key` for writing (created if needed), marked dirty.
  entry& dirty_slot(std::string_view key);
  void set_value(std::string_view key, entry& e, std::optional<std::string> v);
  void touch(entry& e);
  void unlink(entry& e);
  void evict(size_t keep_bytes);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  map_type map_;
  entry lru_;  // sentinel: lru_.next is the most recent entry, lru_.prev the least
  // Keys of map_ written since the last commit, sorted, with their entries (nodes never move).
  // Its nodes come from a bump allocator released at each commit.
  std::pmr::monotonic_buffer_resource pool_{64 << 10};
  std::pmr::map<std::string_view, entry*> dirty_keys_{&pool_};
  size_t bytes_ = 0;
  std::optional<std::string> error_;
  rocksdb::PinnableSlice scratch_;
};

}  // namespace roms::projections::internal
