// projection_store: the one RocksDB that holds every read model, under <data>/projections/.
//
//   auto store = projection_store::open(data_dir, make_read_models());
//   if (!store) return store.error();                   // error_info: code + sentence
//   auto v = store.value()->view("orders");             // snapshot; hold it for one request
//   std::optional<std::string> o = v.value()->get("o/ord_1");
//
// Layout (projections/README.md has the details and the reasoning):
//  - one column family per *generation* of each projection ("p/orders/3"); the meta column
//    family says which generation of each name is live. A rebuild writes a fresh generation
//    while the live one keeps serving, then switches readers atomically;
//  - a generation holds its own bookkeeping under reserved keys ("\xff…"): the projection
//    version it was built by and the consumed position (next offset per partition), written
//    in the SAME WriteBatch as the fold's writes (fold_batch::commit), so a crash can never
//    separate an effect from the position that produced it;
//  - one memory budget: a shared LRU block cache, and a WriteBufferManager that charges every
//    memtable to that same cache.
//
// Writing is done through fold_batch (below) by the runner (consumers/runner.h), the rebuild
// and the restore. Readers use view() and digest(). All methods are thread-safe; a given
// fold_target must be written by one fold_batch at a time (a second one aborts: a programmer
// error), and a fold_target or view held keeps the DB open.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "events/envelope.h"
#include "projections/projection.h"

namespace roms::projections {

class payload_memo;

namespace internal {
class store_impl;
class batch_impl;
}  // namespace internal

// What open() does with a projection whose stored generation was built by a different
// version() than the code's (or that has never been built).
enum class stale_policy {
  // Keep serving the stored generation and report it stale (projection_info::stale()); the
  // runner rebuilds it in the background (projection_runner::start) and switches when done.
  keep,
  // Drop it now and start an empty generation at the code's version (position 0). Used by
  // restore, which folds it from 0 anyway.
  reset,
};

struct store_options {
  // One budget for the block cache and the memtables: the cache has this capacity and every
  // memtable is charged to it (memtables may take at most half). Default: 64 MiB.
  uint64_t memory_budget_bytes = 64ull << 20;
  // Open read-only: views, digests and info only (a restored dir under `serve --read-only`,
  // or inspection while another process holds the store). Default: false.
  bool read_only = false;
  // Default: stale_policy::keep.
  stale_policy on_stale = stale_policy::keep;
  // Per projection: how much the fold keeps cached in memory between batches (the most
  // recently used values, LRU; on top of memory_budget_bytes): the orders whose status moves
  // next, the customers who order again. Every miss is a RocksDB read on the live path.
  // Measured (POST /api/v1/orders, 10,000 repeat customers): runner CPU per POST 48.7/54.0 µs
  // at 1 MiB, 43.8/45.1 µs at 4 MiB, peak RSS +25 MiB; 1M-event catch-up no slower
  // (docs/benchmarks.md, session 7). Default: 4 MiB.
  uint64_t fold_cache_bytes = 4ull << 20;
  // Bulk loading (durability::bulk, rebuilds): how much the targets of one fold batch may hold
  // in memory before the largest are written out as SST files (a fraction of each stays
  // cached). Bigger means fewer, larger files and fewer reads from RocksDB. Default: 256 MiB.
  uint64_t bulk_memory_bytes = 256ull << 20;
  // How many checkpoints checkpoint() keeps under <data>/projections/checkpoints. Beyond it,
  // the one whose removal leaves the smallest gap is deleted (the oldest and newest stay):
  // recent history dense, old history sparse. Default: 16.
  size_t keep_checkpoints = 16;
};

// The state of one projection as stored.
struct projection_info {
  std::string name;
  uint32_t code_version = 0;       // projection::version()
  uint32_t stored_version = 0;     // the version that built the live generation; 0: never built
  uint64_t generation = 0;         // the live generation's number
  std::vector<int64_t> position;   // next offset per partition (index = partition)
  uint64_t approximate_bytes = 0;  // on-disk size estimate of the live generation
  bool stale() const { return stored_version != code_version; }
};

// One generation of one projection: what a fold_batch writes into. Obtained from
// projection_store::live() or ::begin_generation().
class fold_target {
 public:
  virtual ~fold_target() = default;
  virtual projection& proj() const = 0;
  virtual const std::string& name() const = 0;
  virtual uint64_t generation() const = 0;
  // The version stored with this generation (see projection_info::stored_version).
  virtual uint32_t stored_version() const = 0;
  // Committed position: next offset per partition.
  virtual std::vector<int64_t> position() const = 0;
  // Reads its folds made from RocksDB (keys the fold's cache did not hold, and could not rule
  // out: projection::ascending_prefixes()) since the store was opened. Safe from any thread.
  virtual uint64_t store_reads() const = 0;
};

// A checkpoint: a RocksDB checkpoint of the whole store (hard links) with the positions it
// holds, under <data>/projections/checkpoints/<sequence>/.
struct checkpoint_info {
  uint64_t sequence = 0;
  std::filesystem::path dir;
  timestamp created{};  // wall clock when taken (metadata only; nothing folds it)
  struct entry {
    uint32_t version = 0;
    std::vector<int64_t> position;
  };
  std::map<std::string, entry, std::less<>> projections;
};

// Whether a fold_batch's writes go through RocksDB's WAL.
enum class durability {
  // WAL on, fsync off: each commit survives a process crash on its own. For callers that
  // have no log to fold again from (tests of the store itself).
  wal,
  // No WAL: the live path (the runner's loop and catch-up) and restore. A commit sits in the
  // memtables until RocksDB flushes them (memtable full, checkpoint(), a clean close); a
  // crash loses the commits since the last flush *together with their positions*, each column
  // family (generation) at a commit boundary, and the runner folds them again from the log,
  // which is the truth. This spares each commit the WAL's copy and write: measured, see
  // docs/benchmarks.md ("live writes without the WAL"). A generation must not mix the two
  // between flushes (a crash would replay the WAL's commits around the lost ones).
  no_wal,
  // Rebuild into fresh generations: bulk loading. Writes stay in the fold's memory across
  // commits; when the targets together hold more than store_options::bulk_memory_bytes, the
  // largest are written out as sorted SST files and ingested into their column families (no
  // WAL, no memtable), with their positions. While a generation has never been written out,
  // a key the fold does not hold is absent, so its reads never touch RocksDB. finish() writes
  // out everything. Like no_wal, an unfinished generation is discarded on open.
  bulk,
};

class projection_store : public std::enable_shared_from_this<projection_store> {
 public:
  // Opens (creating if needed) <data_dir>/projections/db with the given projections (names
  // must be unique, 1..64 of [a-z0-9_-]). Generations that are not live (an interrupted
  // rebuild) are dropped. Fails with errc::locked if another process has it open for writing.
  static result_msg<std::shared_ptr<projection_store>> open(
      const std::filesystem::path& data_dir, std::vector<std::shared_ptr<projection>> projections,
      store_options opts = {});
  ~projection_store();
  projection_store(const projection_store&) = delete;
  projection_store& operator=(const projection_store&) = delete;

  // <data_dir>/projections
  const std::filesystem::path& dir() const;
  bool read_only() const;
  const std::vector<std::shared_ptr<projection>>& projections() const;

  std::vector<projection_info> info() const;
  result_msg<projection_info> info(std::string_view name) const;

  // A consistent snapshot of the live generation of `name`. Views stay valid (and keep
  // showing the old generation) across a switch; they may outlive the store object.
  // errc::unavailable while the live generation is stale and its records are in a layout this
  // code does not read (projection::reads_stored_version()): until its rebuild switches in.
  result_msg<std::shared_ptr<const read_view>> view(std::string_view name) const;

  // Hex SHA-256 over the live generation's keys and values in key order, each as
  // u64-big-endian length + bytes (key, then value); the engine's reserved keys (position,
  // version) are not included, so the digest depends on the read model's contents only.
  result_msg<std::string> digest(std::string_view name) const;

  // --- writing (runner, rebuild, restore) ---

  // The live generation of `name`; nullptr if there is no such projection.
  std::shared_ptr<fold_target> live(std::string_view name) const;
  // A fresh, empty generation of `name` at the code's version and position 0. Not visible to
  // readers until switch_to().
  result_msg<std::shared_ptr<fold_target>> begin_generation(std::string_view name);
  // Flushes `t`, makes it the live generation of its name (durably) and drops the previous
  // one; views taken before keep reading the previous one until they are released.
  result_msg<void> switch_to(const std::shared_ptr<fold_target>& t);
  // Drops a generation that never became live.
  result_msg<void> discard(const std::shared_ptr<fold_target>& t);
  // Flushes every live generation's memtables to SST files (after no_wal folds that stay
  // live, e.g. restore).
  result_msg<void> flush();
  // Flushes these generations (live or not).
  result_msg<void> flush(const std::vector<std::shared_ptr<fold_target>>& targets);

  // --- checkpoints ---

  // Takes a checkpoint of every live generation with its position (consistent with commits:
  // no commit is half in it), then deletes the oldest beyond keep_checkpoints. Flushes the
  // live generations first (no_wal commits are only in memtables), outside the commit lock;
  // the positions recorded are read back from the checkpoint, so they are exactly what it
  // holds (commits made during the flush may or may not be in it).
  result_msg<checkpoint_info> checkpoint();
  // Checkpoints under <data_dir>/projections/checkpoints, oldest first. Does not need the
  // store to be open (a running server may hold it).
  static std::vector<checkpoint_info> list_checkpoints(const std::filesystem::path& data_dir);
  // Makes <into_data_dir>/projections/db a copy of the checkpoint (SST files hard-linked when
  // on the same file system, copied otherwise), ready for open(). `into_data_dir` must not
  // hold a projections store yet.
  static result_msg<void> copy_checkpoint(const checkpoint_info& cp,
                                          const std::filesystem::path& into_data_dir);

  // For tests and the CLI: RocksDB's statistics and memory usage as text.
  std::string debug_stats() const;

 private:
  friend class fold_batch;
  explicit projection_store(std::unique_ptr<internal::store_impl> impl);
  std::unique_ptr<internal::store_impl> impl_;
};

// The writes of one batch of events into a set of generations (typically every live
// projection, or the generations a rebuild is building), committed as ONE RocksDB WriteBatch
// together with each generation's new position.
//
//   fold_batch b(*store, {store->live("orders"), store->live("customers")}, durability::wal);
//   for (auto& e : events) BOOST_OUTCOME_TRY(b.apply(e));   // error names the position
//   BOOST_OUTCOME_TRY(b.commit());
class fold_batch {
 public:
  fold_batch(projection_store& store, std::vector<std::shared_ptr<fold_target>> targets,
             durability d);
  ~fold_batch();
  fold_batch(const fold_batch&) = delete;
  fold_batch& operator=(const fold_batch&) = delete;

  // Applies `e` to every target whose projection wants its type and whose position has not
  // passed it (offset >= position[partition]); every target's position then moves past it.
  // On failure (apply() error, a reserved key written, a RocksDB read error) the message names
  // the projection and the position; the batch must then be reset() before further use.
  result_msg<void> apply(const events::stored_event& e);
  // Applies `evs` in order to every target, the targets on up to `threads` threads (they are
  // independent: separate column families, separate overlays; the slowest targets of the
  // previous call start first). Same result as apply() on each event. On failure returns the
  // error of the earliest failing event and sets `*failed_index` to its index; the batch must
  // then be reset(). `memo`: the batch's shared payloads, decoded ahead (payload_memo.h,
  // decode_shared_payloads); it must be over exactly `evs`. Without one the batch makes its own.
  result_msg<void> apply(std::span<const events::stored_event> evs, size_t threads = 1,
                         size_t* failed_index = nullptr, payload_memo* memo = nullptr);
  // Writes every target's changes and new position in one WriteBatch. On success the targets'
  // committed positions move; the batch is empty again and can be reused. (durability::bulk:
  // as commit_separately(1).)
  result_msg<void> commit();
  // Like commit(), but one WriteBatch per target, written concurrently on up to `threads`
  // threads. Each target's writes still commit atomically with its position; targets commit
  // independently of each other. For rebuild and restore, where no reader needs the targets
  // to move together.
  // With durability::bulk, commit_separately() keeps the writes in memory until the targets
  // hold more than the bulk budget, then writes the largest targets out (see durability::bulk).
  result_msg<void> commit_separately(size_t threads);
  // Writes out everything applied so far: commit_separately() for every durability, and with
  // durability::bulk every target whatever its size. Call before the batch is destroyed (a
  // batch destroyed with writes pending forgets them).
  result_msg<void> finish(size_t threads);
  // Forgets everything applied since the last commit.
  void reset();

  size_t targets() const;
  const std::shared_ptr<fold_target>& target(size_t i) const;
  // Target i's position including what is applied but not committed.
  const std::vector<int64_t>& position(size_t i) const;
  // Events given to apply() since the last commit, and keys written by the last commit.
  uint64_t pending_events() const;
  uint64_t last_commit_keys() const;

 private:
  std::unique_ptr<internal::batch_impl> impl_;
};

}  // namespace roms::projections
