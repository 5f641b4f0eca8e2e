// RocksDB plumbing shared by the store's translation units. Private to projections/.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_buffer_manager.h>

#include "core/result.h"
#include "projections/internal/overlay.h"
#include "projections/store.h"

namespace roms::projections::internal {

// Translates a RocksDB status into an error_info: "<what>: <rocksdb message>".
error_info rocks_error(const rocksdb::Status& s, const std::string& what);

// Options derived from the one memory budget (README.md, "Memory budget").
struct rocks_env {
  std::shared_ptr<rocksdb::Cache> cache;
  std::shared_ptr<rocksdb::WriteBufferManager> wbm;
  rocksdb::DBOptions db;
  rocksdb::ColumnFamilyOptions cf;
};
rocks_env make_rocks_env(uint64_t memory_budget_bytes);

// Owns the DB and the handles that are not generations (default, meta, unknown). Destroyed
// after the last generation (each holds a shared_ptr), so handles always die before the DB.
struct db_holder {
  rocks_env env;
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> other;
  ~db_holder();
};

// The L0 options of `cf` (RocksDB's names and values), for ColumnFamily SetOptions().
std::unordered_map<std::string, std::string> l0_options(const rocksdb::ColumnFamilyOptions& cf);
// Those of a generation being bulk loaded (durability::bulk): its write-outs are ingested
// into L0 (each spans the whole key range), and each L0 compaction rewrites the level below
// whole, so they are merged 16 at a time instead of 4. A 10M-event rebuild: compaction wrote
// 2.16 → 1.18 GB (orders) and 1.20 → 0.26 GB (customers), CPU 168 → 147 s (docs/benchmarks.md,
// session 10).
std::unordered_map<std::string, std::string> bulk_l0_options(
    const rocksdb::ColumnFamilyOptions& cf);

// A generation: one column family of one projection.
class gen_cf final : public fold_target {
 public:
  gen_cf(std::shared_ptr<db_holder> db, rocksdb::ColumnFamilyHandle* cf,
         std::shared_ptr<projection> p, std::string name, uint64_t gen, uint32_t stored_version,
         std::vector<int64_t> position)
      : db_(std::move(db)),
        cf_(cf),
        proj_(std::move(p)),
        name_(std::move(name)),
        gen_(gen),
        stored_version_(stored_version),
        position_(std::move(position)),
        overlay_(db_->db, cf_, proj_ ? proj_->scanned_prefixes() : std::vector<std::string>{},
                 proj_ ? proj_->write_only_prefixes() : std::vector<std::string>{},
                 proj_ ? proj_->ascending_prefixes() : std::vector<std::string>{},
                 proj_ ? proj_->derived_prefixes() : std::vector<std::string>{}) {}
  ~gen_cf() override;

  projection& proj() const override { return *proj_; }
  const std::string& name() const override { return name_; }
  uint64_t generation() const override { return gen_; }
  uint32_t stored_version() const override { return stored_version_; }
  uint64_t store_reads() const override { return overlay_.store_reads(); }
  std::vector<int64_t> position() const override {
    std::lock_guard lk(mu_);
    return position_;
  }
  void set_position(std::vector<int64_t> p) {
    std::lock_guard lk(mu_);
    position_ = std::move(p);
  }

  const std::shared_ptr<db_holder>& db() const { return db_; }
  rocksdb::ColumnFamilyHandle* cf() const { return cf_; }
  const std::shared_ptr<projection>& proj_ptr() const { return proj_; }
  std::atomic<bool> dropped{false};
  // The fold's overlay and cache (overlay.h). Used by one fold_batch at a time.
  overlay& fold_overlay() { return overlay_; }
  std::atomic<bool> in_batch{false};

 private:
  std::shared_ptr<db_holder> db_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::shared_ptr<projection> proj_;
  std::string name_;
  uint64_t gen_;
  uint32_t stored_version_;
  mutable std::mutex mu_;
  std::vector<int64_t> position_;
  overlay overlay_;
};

}  // namespace roms::projections::internal
