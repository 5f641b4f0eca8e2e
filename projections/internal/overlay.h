// The fold_context of one generation during one fold batch: an in-memory overlay over the
// generation's column family. get() reads the overlay, then RocksDB (and caches what it read);
// scan() merges the overlay over a RocksDB iterator; at commit each dirty key is written once.
// Private to projections/.
//
// Point operations (the vast majority: read-modify-write of records and counters) go through
// a hash map; an ordered index of the same keys (views into the map's nodes, which never
// move) serves scans.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "projections/projection.h"

namespace roms::projections::internal {

class overlay final : public fold_context {
 public:
  overlay(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) : db_(db), cf_(cf) {}

  std::optional<std::string> get(std::string_view key) override;
  void put(std::string_view key, std::string_view value) override;
  void del(std::string_view key) override;
  void scan(std::string_view begin, std::string_view end,
            const std::function<bool(std::string_view, std::string_view)>& f) override;

  // Adds every key written since the last clear() to `wb` (one Put or Delete per key).
  // Returns the number of keys.
  size_t write_to(rocksdb::WriteBatch& wb) const;
  void clear();
  // Dirty keys pending.
  size_t dirty() const { return dirty_; }
  // The first failure since clear(): a RocksDB read error or a write to a reserved key.
  const std::optional<std::string>& error() const { return error_; }

 private:
  struct entry {
    std::optional<std::string> value;  // nullopt: absent (deleted, or not in the store)
    bool dirty = false;
  };
  struct hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using map_type = std::unordered_map<std::string, entry, hash, std::equal_to<>>;
  entry& slot(std::string_view key);
  entry& insert(std::string_view key, entry e);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  map_type map_;
  std::set<std::string_view> order_;  // the keys of map_, sorted
  size_t dirty_ = 0;
  std::optional<std::string> error_;
  rocksdb::PinnableSlice scratch_;
};

}  // namespace roms::projections::internal
