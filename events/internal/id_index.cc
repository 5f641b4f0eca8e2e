#include "events/internal/id_index.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "events/internal/io.h"

namespace roms::events::internal {
namespace {

constexpr std::string_view kUpToKey = "mindexed_up_to";
constexpr char kIdPrefix = 'e';

error_info rocks_error(std::string_view what, const std::filesystem::path& p,
                       const rocksdb::Status& s) {
  std::string msg(what);
  msg += " ";
  msg += p.string();
  msg += ": ";
  msg += s.ToString();
  return make_error(s.IsCorruption() ? errc::corruption : errc::io_error, std::move(msg));
}

std::string encode_u64(int64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}

bool decode_u64(const rocksdb::Slice& s, int64_t& v) {
  if (s.size() != 8) return false;
  std::memcpy(&v, s.data(), 8);
  return true;
}

void id_key(std::string& key, std::string_view id) {
  key.clear();
  key.push_back(kIdPrefix);
  key.append(id);
}

}  // namespace

struct id_index::impl {
  std::filesystem::path path;
  std::shared_ptr<rocksdb::Cache> cache;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<std::string> keys;  // scratch, reused by lookup
};

id_index::id_index(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

id_index::~id_index() = default;

result_msg<std::unique_ptr<id_index>> id_index::open(const std::filesystem::path& dir,
                                                     uint64_t memory_bytes) {
  auto p = std::make_unique<impl>();
  p->path = dir;
  uint64_t mem = std::max<uint64_t>(memory_bytes, 4 << 20);
  p->cache = rocksdb::NewLRUCache(mem);

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = p->cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));

  rocksdb::Options o;
  o.create_if_missing = true;
  o.paranoid_checks = true;
  o.track_and_verify_wals_in_manifest = true;  // a missing WAL (partial copy) is an error
  o.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(mem / 2, p->cache);
  o.write_buffer_size = std::max<uint64_t>(mem / 4, 1 << 20);
  o.max_write_buffer_number = 2;
  o.memtable_whole_key_filtering = true;  // most lookups are for new ids: misses
  o.memtable_prefix_bloom_size_ratio = 0.1;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  o.max_open_files = 256;
  o.keep_log_file_num = 2;
  o.max_log_file_size = 1 << 20;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.max_background_jobs = 2;
  // The WAL already holds the memtable: no flush (an SST write and its syncs) on every close
  // and reopen; the memtable is flushed when it fills.
  o.avoid_flush_during_shutdown = true;
  o.avoid_flush_during_recovery = true;

  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(o, dir.string(), &db);
  if (!s.ok()) return rocks_error("cannot open id index", dir, s);
  p->db.reset(db);
  return std::unique_ptr<id_index>(new id_index(std::move(p)));
}

result_msg<void> id_index::destroy(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return errno_error("cannot delete id index", dir, ec.value());
  return success();
}

result_msg<int64_t> id_index::indexed_up_to() {
  std::string v;
  auto s =
      impl_->db->Get(rocksdb::ReadOptions(), rocksdb::Slice(kUpToKey.data(), kUpToKey.size()), &v);
  if (s.IsNotFound()) return int64_t{0};
  if (!s.ok()) return rocks_error("cannot read id index", impl_->path, s);
  int64_t up_to;
  if (!decode_u64(v, up_to) || up_to < 0) {
    return make_error(errc::corruption,
                      "id index " + impl_->path.string() + ": malformed indexed_up_to value");
  }
  return up_to;
}

result_msg<void> id_index::lookup(std::span<const std::string_view> ids,
                                  std::vector<std::optional<int64_t>>& out) {
  out.assign(ids.size(), std::nullopt);
  if (ids.empty()) return success();
  auto& keys = impl_->keys;
  if (keys.size() < ids.size()) keys.resize(ids.size());
  std::vector<rocksdb::Slice> slices(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    id_key(keys[i], ids[i]);
    slices[i] = keys[i];
  }
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  impl_->db->MultiGet(rocksdb::ReadOptions(), impl_->db->DefaultColumnFamily(), ids.size(),
                      slices.data(), values.data(), statuses.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return rocks_error("cannot read id index", impl_->path, statuses[i]);
    int64_t off;
    if (!decode_u64(values[i], off) || off < 0) {
      return make_error(errc::corruption,
                        "id index " + impl_->path.string() + ": malformed offset value");
    }
    out[i] = off;
  }
  return success();
}

result_msg<void> id_index::put(std::span<const std::pair<std::string_view, int64_t>> entries,
                               int64_t indexed_up_to) {
  rocksdb::WriteBatch batch;
  std::string key;
  for (const auto& [id, off] : entries) {
    id_key(key, id);
    batch.Put(key, encode_u64(off));
  }
  batch.Put(rocksdb::Slice(kUpToKey.data(), kUpToKey.size()), encode_u64(indexed_up_to));
  rocksdb::WriteOptions wo;
  wo.sync = false;
  auto s = impl_->db->Write(wo, &batch);
  if (!s.ok()) return rocks_error("cannot write id index", impl_->path, s);
  return success();
}

}  // namespace roms::events::internal
