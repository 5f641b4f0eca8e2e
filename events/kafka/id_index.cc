#include <algorithm>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include "core/errc.h"
#include "events/kafka/internal/id_index.h"

namespace roms::events::kafka_internal {
namespace {

error_info index_error(errc code, std::string message) {
  return error_info{make_error_code(code), "kafka id index: " + std::move(message)};
}

class memory_index final : public id_index {
 public:
  result_msg<std::optional<log_position>> find(std::string_view id) override {
    auto it = ids_.find(std::string(id));
    if (it == ids_.end()) return std::optional<log_position>{};
    return std::optional<log_position>{it->second};
  }

  result_msg<std::vector<int64_t>> load_upto(int32_t partitions) override {
    upto_.resize(static_cast<size_t>(partitions), 0);
    return upto_;
  }

  result_msg<void> add(std::span<const index_entry> entries,
                       std::span<const std::pair<int32_t, int64_t>> upto) override {
    for (const auto& e : entries) ids_.emplace(e.id, e.position);
    for (auto [p, o] : upto) {
      if (static_cast<size_t>(p) >= upto_.size()) upto_.resize(static_cast<size_t>(p) + 1, 0);
      upto_[static_cast<size_t>(p)] = o;
    }
    return success();
  }

  result_msg<void> clear() override {
    ids_.clear();
    upto_.assign(upto_.size(), 0);
    return success();
  }

 private:
  std::unordered_map<std::string, log_position> ids_;
  std::vector<int64_t> upto_;
};

constexpr std::string_view kIdPrefix = "i/";
constexpr std::string_view kUptoPrefix = "u/";
constexpr std::string_view kTopicKey = "m/topic";

std::string id_key(std::string_view id) {
  std::string k(kIdPrefix);
  k += id;
  return k;
}

std::string upto_key(int32_t p) { return std::string(kUptoPrefix) + std::to_string(p); }

std::optional<int64_t> parse_i64(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

class rocksdb_index final : public id_index {
 public:
  explicit rocksdb_index(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

  result_msg<std::optional<log_position>> find(std::string_view id) override {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), id_key(id), &v);
    if (s.IsNotFound()) return std::optional<log_position>{};
    if (!s.ok()) return failure(index_error(errc::io_error, s.ToString()));
    auto pos = parse_position(v);
    if (!pos)
      return failure(
          index_error(errc::corruption, "bad position '" + v + "' for id " + std::string(id)));
    return std::optional<log_position>{*pos};
  }

  result_msg<std::vector<int64_t>> load_upto(int32_t partitions) override {
    std::vector<int64_t> out(static_cast<size_t>(partitions), 0);
    for (int32_t p = 0; p < partitions; ++p) {
      std::string v;
      auto s = db_->Get(rocksdb::ReadOptions(), upto_key(p), &v);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return failure(index_error(errc::io_error, s.ToString()));
      auto o = parse_i64(v);
      if (!o || *o < 0)
        return failure(index_error(errc::corruption, "bad indexed-up-to '" + v + "'"));
      out[static_cast<size_t>(p)] = *o;
    }
    return out;
  }

  result_msg<void> add(std::span<const index_entry> entries,
                       std::span<const std::pair<int32_t, int64_t>> upto) override {
    rocksdb::WriteBatch batch;
    std::unordered_set<std::string_view> in_batch;
    std::string existing;
    for (const auto& e : entries) {
      if (!in_batch.insert(e.id).second) continue;
      std::string key = id_key(e.id);
      auto s = db_->Get(rocksdb::ReadOptions(), key, &existing);
      if (s.ok()) continue;  // the first position wins
      if (!s.IsNotFound()) return failure(index_error(errc::io_error, s.ToString()));
      batch.Put(key, to_string(e.position, /*single_partition=*/false));
    }
    for (auto [p, o] : upto) batch.Put(upto_key(p), std::to_string(o));
    if (batch.Count() == 0) return success();
    // No fsync: Kafka holds the events; a lost tail of the index comes back by catching up
    // from "indexed up to", which is in the same batch as the ids it covers.
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return failure(index_error(errc::io_error, s.ToString()));
    return success();
  }

  result_msg<void> clear() override {
    rocksdb::WriteBatch batch;
    for (auto prefix : {kIdPrefix, kUptoPrefix}) {
      std::string begin(prefix);
      std::string end(prefix);
      end.back() = static_cast<char>(end.back() + 1);
      batch.DeleteRange(begin, end);
    }
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return failure(index_error(errc::io_error, s.ToString()));
    return success();
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::unique_ptr<id_index> make_memory_index() { return std::make_unique<memory_index>(); }

result_msg<std::unique_ptr<id_index>> open_rocksdb_index(const std::filesystem::path& dir,
                                                         const std::string& topic,
                                                         uint64_t memory_bytes) {
  std::error_code fs_ec;
  std::filesystem::create_directories(dir, fs_ec);
  if (fs_ec) {
    return failure(
        index_error(errc::io_error, "cannot create " + dir.string() + ": " + fs_ec.message()));
  }
  // Bounded memory: the block cache and the write buffers share memory_bytes (the write
  // buffers are charged to the cache), as in the embedded log's index.
  const uint64_t mem = std::max<uint64_t>(memory_bytes, 4ull << 20);
  auto cache = rocksdb::NewLRUCache(mem);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(mem / 2, cache);
  options.write_buffer_size = std::max<uint64_t>(mem / 4, 1 << 20);
  options.max_write_buffer_number = 2;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.whole_key_filtering = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir.string(), &raw);
  if (!s.ok()) {
    errc code = s.IsIOError() && s.ToString().find("lock") != std::string::npos ? errc::locked
                                                                                : errc::io_error;
    return failure(index_error(code, "cannot open " + dir.string() + ": " + s.ToString()));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string stored;
  s = db->Get(rocksdb::ReadOptions(), std::string(kTopicKey), &stored);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, std::string(kTopicKey), topic);
    if (!s.ok()) return failure(index_error(errc::io_error, s.ToString()));
  } else if (!s.ok()) {
    return failure(index_error(errc::io_error, s.ToString()));
  } else if (stored != topic) {
    return failure(index_error(errc::invalid_argument, dir.string() + " indexes topic '" + stored +
                                                           "', not '" + topic + "'"));
  }
  return std::unique_ptr<id_index>(std::make_unique<rocksdb_index>(std::move(db)));
}

}  // namespace roms::events::kafka_internal
