#include "projections/internal/rocks.h"

#include <algorithm>

#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "core/errc.h"

namespace roms::projections::internal {

error_info rocks_error(const rocksdb::Status& s, const std::string& what) {
  errc code = errc::io_error;
  std::string msg = s.ToString();
  if (s.IsCorruption()) {
    code = errc::corruption;
  } else if (s.IsNotFound()) {
    code = errc::not_found;
  } else if (s.IsNotSupported()) {
    code = errc::unsupported;
  } else if (s.IsInvalidArgument()) {
    code = errc::invalid_argument;
  } else if (s.IsTimedOut()) {
    code = errc::timeout;
  } else if (s.IsIOError() &&
             (msg.find("lock") != std::string::npos || msg.find("LOCK") != std::string::npos)) {
    code = errc::locked;
  }
  return error_info{make_error_code(code), what + ": " + msg};
}

rocks_env make_rocks_env(uint64_t budget) {
  budget = std::max<uint64_t>(budget, 8ull << 20);
  rocks_env env;
  // One budget: the block cache has the whole capacity and the memtables are charged to it
  // (dummy entries), capped at half; flushes start when they reach that. No write stalls from
  // the manager (allow_stall=false): with allow_stall RocksDB 7.8 can park a writer forever
  // when the memory it waits for is held by memtables it does not schedule for flushing
  // (seen here; facebook/rocksdb#11010, #11780). RocksDB's own L0 slowdown/stop still applies.
  // 4 shards, not RocksDB's default of one per 512 KiB (64 at 64 MiB): a shard must hold a whole
  // index or filter block (~240 KiB for a 32 MiB file of 4 KiB blocks) or point reads fetch
  // them again and again; half the cache is reserved for them (high priority).
  env.cache = rocksdb::NewLRUCache(budget, /*num_shard_bits=*/2, /*strict_capacity_limit=*/false,
                                   /*high_pri_pool_ratio=*/0.5);
  env.wbm = std::make_shared<rocksdb::WriteBufferManager>(budget / 2, env.cache,
                                                          /*allow_stall=*/false);

  auto& d = env.db;
  d.create_if_missing = true;
  d.create_missing_column_families = true;
  d.write_buffer_manager = env.wbm;
  d.max_background_jobs = 2;   // 2 cores: one flush, one compaction
  d.bytes_per_sync = 1 << 20;  // smooth write-back of SST files
  d.wal_bytes_per_sync = 1 << 20;
  d.max_total_wal_size = budget;  // a rarely written CF must not pin old WAL files
  d.keep_log_file_num = 3;        // RocksDB's own LOG files
  d.max_log_file_size = 4 << 20;
  d.avoid_unnecessary_blocking_io = true;
  d.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

  rocksdb::BlockBasedTableOptions t;
  t.block_cache = env.cache;
  t.cache_index_and_filter_blocks = true;  // index and filters count against the budget too
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));  // fold get()s are mostly misses
  t.optimize_filters_for_memory = true;
  t.block_size = 4 << 10;
  t.format_version = 5;

  auto& c = env.cf;
  c.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  c.write_buffer_size = std::clamp<uint64_t>(budget / 4, 4ull << 20, 64ull << 20);
  c.max_write_buffer_number = 4;
  // A bloom filter over whole keys in the memtable too: most fold get()s miss, and a miss
  // otherwise walks the skip list.
  c.memtable_prefix_bloom_size_ratio = 0.05;
  c.memtable_whole_key_filtering = true;
  c.level_compaction_dynamic_level_bytes = true;
  c.target_file_size_base = 32ull << 20;
  c.max_bytes_for_level_base = 256ull << 20;
  auto supported = rocksdb::GetSupportedCompressions();
  auto has = [&](rocksdb::CompressionType ct) {
    return std::find(supported.begin(), supported.end(), ct) != supported.end();
  };
  if (has(rocksdb::kLZ4Compression)) {
    c.compression = rocksdb::kLZ4Compression;
  } else if (has(rocksdb::kSnappyCompression)) {
    c.compression = rocksdb::kSnappyCompression;
  } else {
    c.compression = rocksdb::kNoCompression;
  }
  // No ZSTD at the bottom: folds read records back at random, decompression is on that path.
  return env;
}

std::unordered_map<std::string, std::string> l0_options(const rocksdb::ColumnFamilyOptions& cf) {
  return {{"level0_file_num_compaction_trigger", std::to_string(cf.level0_file_num_compaction_trigger)},
          {"level0_slowdown_writes_trigger", std::to_string(cf.level0_slowdown_writes_trigger)},
          {"level0_stop_writes_trigger", std::to_string(cf.level0_stop_writes_trigger)}};
}

std::unordered_map<std::string, std::string> bulk_l0_options(
    const rocksdb::ColumnFamilyOptions& cf) {
  constexpr int kTrigger = 16;  // 32 measured no better (10M: 87.8 s against 83.6 s)
  return {{"level0_file_num_compaction_trigger", std::to_string(kTrigger)},
          {"level0_slowdown_writes_trigger",
           std::to_string(std::max(cf.level0_slowdown_writes_trigger, 3 * kTrigger))},
          {"level0_stop_writes_trigger",
           std::to_string(std::max(cf.level0_stop_writes_trigger, 4 * kTrigger))}};
}

db_holder::~db_holder() {
  if (!db) return;
  for (auto* h : other) db->DestroyColumnFamilyHandle(h);
  if (meta) db->DestroyColumnFamilyHandle(meta);
  db->Close().PermitUncheckedError();
  delete db;
}

gen_cf::~gen_cf() { db_->db->DestroyColumnFamilyHandle(cf_); }

}  // namespace roms::projections::internal
