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
// a hash map. The keys written since the last commit are listed in the order they were first
// written; commit sorts them (RocksDB's memtable inserts are cheaper in key order, and an SST
// file must be in key order). scan() merges the written keys in its range over a RocksDB
// iterator (clean entries need no merging: they equal what RocksDB holds), so written keys
// under the prefixes the projection scans (projection::scanned_prefixes()) are also kept in
// an ordered index; a scan elsewhere first adds every written key to it (correct, slower). The
// index is not kept for all keys: in a bulk load the written keys number in the millions. It is
// not a tree either: a tree of millions of keys took a cache miss per level on every insert
// (a quarter of the customers' fold in a 3M-event rebuild). It is sorted runs (ordered_index):
// an insert is an append, sorted 256 at a time and merged with runs of similar size, so each
// key is moved O(log n) times through sequential memory; a scan binary-searches each run.
//
// Writes under the projection's write-only prefixes (projection::write_only_prefixes(): index
// entries the fold never reads back) skip the map: they are appended to a list, sorted at
// commit (the last write of a key wins) and merged with the map's writes. They are never
// cached, so the cache holds only what folds read. A read under those prefixes is an error.
//
// Under the projection's ascending prefixes (projection::ascending_prefixes(): ids that grow
// with time) the overlay knows the greatest key the column family may hold: the last key
// RocksDB held there when first asked (one reverse seek), raised by every later write through
// the overlay. A generation has a single writer, its fold batches, so no key beyond that bound
// can exist: get() of a greater key answers "absent" without a RocksDB read. That is the check
// every read model makes before folding a new order (orders, customers, daily, catalog).
#pragma once

#include <atomic>
#include <bitset>
#include <cstdint>
#include <map>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <boost/unordered/unordered_flat_map.hpp>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include "projections/projection.h"

namespace roms::projections::internal {

class overlay final : public fold_context {
 public:
  // `scanned_prefixes`, `write_only_prefixes`: those of the projection it folds.
  overlay(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
          std::vector<std::string> scanned_prefixes = {},
          std::vector<std::string> write_only_prefixes = {},
          std::vector<std::string> ascending_prefixes = {},
          std::vector<std::string> derived_prefixes = {})
      : db_(db),
        cf_(cf),
        scanned_(std::move(scanned_prefixes)),
        write_only_(std::move(write_only_prefixes)),
        derived_(std::move(derived_prefixes)) {
    for (auto& p : ascending_prefixes)
      if (!p.empty()) ascending_.push_back({std::move(p), {}, {}, false});
    for (const auto& p : write_only_) {
      if (p.empty()) {
        write_only_first_.set();  // everything
      } else {
        write_only_first_.set(static_cast<unsigned char>(p[0]));
      }
    }
    lru_.prev = lru_.next = &lru_;
  }
  overlay(const overlay&) = delete;  // the LRU list points into itself
  overlay& operator=(const overlay&) = delete;

  std::optional<std::string> get(std::string_view key) override;
  std::optional<std::string_view> peek(std::string_view key) override;
  void put(std::string_view key, std::string_view value) override;
  // Written like put(), then made the least recently used entry: evicted first.
  void put_cold(std::string_view key, std::string_view value) override;
  void del(std::string_view key) override;
  void scan(std::string_view begin, std::string_view end,
            const std::function<bool(std::string_view, std::string_view)>& f) override;

  // Adds every key written since the last commit to `wb` (one Put or Delete per key).
  // Returns the number of keys.
  size_t write_to(rocksdb::WriteBatch& wb);
  // The same into an SST file being built (bulk loading, durability::bulk), in key order.
  // Deletions are left out while complete(): the store holds none of those keys. `*n` is the
  // number of keys written.
  rocksdb::Status write_to(rocksdb::SstFileWriter& w, size_t* n);
  // Bulk loading into a fresh generation: while complete, the overlay holds everything the
  // column family holds (nothing was ever evicted or committed), so a key it does not hold
  // is absent: get() and scan() read nothing from RocksDB. Cleared by committed() and
  // discard().
  void set_complete(bool c) { complete_ = c; }
  bool complete() const { return complete_; }
  // While deferred, writes under the projection's derived prefixes (projection::
  // derived_prefixes(), all under write-only prefixes) are dropped: a rebuild writes them
  // once at the end (fold_batch::finish()).
  void set_deferred(bool d) { deferred_ = d && !derived_.empty(); }
  bool deferred() const { return deferred_; }
  bool deferring(std::string_view prefix) const override;
  // Writes dropped while deferred, since creation (tests: the read models ask deferring()).
  uint64_t dropped_writes() const { return dropped_writes_; }
  // The batch written by write_to() is durable in RocksDB: dirty entries become cache entries;
  // then the least recently used entries are evicted until the overlay holds at most
  // `keep_bytes`.
  void committed(size_t keep_bytes);
  // Forgets everything: uncommitted writes and the cache.
  void discard();
  // Writes pending (dirty keys, plus writes under write-only prefixes).
  size_t dirty() const { return dirty_.size() + blind_.size(); }
  size_t bytes() const { return bytes_; }
  // bytes() plus the sorted index of the dirty keys: what the overlay costs in memory.
  size_t footprint() const {
    return bytes_ + dirty_.size() * sizeof(entry*) + ordered_.bytes();
  }
  // The first failure since the last commit: a RocksDB read error or a reserved key written.
  const std::optional<std::string>& error() const { return error_; }
  // Reads that went to RocksDB (get/peek of a key the overlay did not hold), since creation.
  // Safe from any thread (a metrics scrape).
  uint64_t store_reads() const { return store_reads_.load(std::memory_order_relaxed); }

 private:
  struct entry {
    std::optional<std::string> value;  // nullopt: absent (deleted, or not in the store)
    // The LRU list (most recent first).
    entry* prev = nullptr;
    entry* next = nullptr;
    uint32_t key_size = 0;
    bool dirty = false;
    // The key's bytes follow the entry in the same allocation (make_entry()): one allocation
    // per entry, and a lookup's key compare touches the entry's own cache lines.
    std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }
  };
  struct entry_deleter {
    void operator()(entry* e) const;
  };
  using entry_ptr = std::unique_ptr<entry, entry_deleter>;
  static entry_ptr make_entry(std::string_view key);
  struct hash {
    using is_avalanching = void;  // murmur-based: no extra mixing needed
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Open addressing (one probe of a metadata group, then the entry): the map holds millions
  // of keys in a bulk load, where a chained table's extra pointer hops dominated the fold.
  // Entries live on the heap, so their addresses (LRU links, ordered_) never move.
  using map_type = boost::unordered_flat_map<std::string_view, entry_ptr, hash>;
  static size_t cost(std::string_view key, const std::optional<std::string>& v) {
    // The entry with its key (one allocation), the value's allocation, the map slot, allocator
    // size classes: ~128 B beyond the bytes themselves (RSS at a 4 GiB bulk budget).
    return key.size() + (v ? v->size() : 0) + 128;
  }
  // The entry of `key`, created (absent, clean) if needed, and made the most recent.
  entry& slot(std::string_view key, bool* created);
  // The entry of `key` for writing (created if needed), marked dirty.
  entry& dirty_slot(std::string_view key);
  void set_value(std::string_view key, entry& e, std::optional<std::string> v);
  // The entry of `key`, its value read from RocksDB when not held; null after a read error
  // or for a write-only key (both set error_).
  entry* lookup(std::string_view key);
  void touch(entry& e);
  void make_coldest(entry& e);
  void move_after(entry& e, entry& prev);
  void unlink(entry& e);
  void evict(size_t keep_bytes);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  map_type map_;
  entry lru_;  // sentinel (no key): lru_.next is the most recent entry, lru_.prev the least
  // Entries of map_ written since the last commit, in the order they were first written.
  std::vector<entry*> dirty_;
  // Keys added one at a time, never twice, listed in key order by range. Sorted runs: adds
  // go to an unsorted tail; a full tail is sorted into a run, and the last two runs are
  // merged while the earlier is at most twice the later (a binary counter: ~log2(n / 256)
  // runs, each key moved that many times). A range binary-searches every run and filters the
  // tail.
  class ordered_index {
   public:
    void add(entry* e);
    // Appends the entries whose keys are in [lo, hi) to `out`, in key order.
    void range(std::string_view lo, std::string_view hi, std::vector<entry*>& out) const;
    // Counts every add(): a scan whose callback wrote compares it to see new keys.
    uint64_t adds() const { return adds_; }
    size_t bytes() const { return size_ * kItemBytes; }
    void clear();

   private:
    struct item {
      uint64_t h0, h1;  // key_head() at 0 and 8
      std::string_view key;
      entry* e;
    };
    static bool less(const item& a, const item& b) {
      return key_less(a.h0, a.h1, a.key, b.h0, b.h1, b.key);
    }
    static constexpr size_t kTail = 256;
    static constexpr size_t kItemBytes = sizeof(item) + sizeof(item) / 2;  // merges copy
    std::vector<item> tail_;
    std::vector<std::vector<item>> runs_;
    uint64_t adds_ = 0;
    size_t size_ = 0;
  };
  // Those under scanned_ (all of them once all_ordered_).
  std::vector<std::string> scanned_;
  ordered_index ordered_;
  bool all_ordered_ = false;
  bool ordered_key(std::string_view key) const;
  bool covered(std::string_view begin, std::string_view end) const;
  // dirty_ in key order.
  struct sort_item {
    uint64_t h0, h1;  // the key's bytes 0-7 and 8-15, big-endian, zero-padded
    std::string_view key;
    const entry* e;
    std::string_view k() const { return key; }
  };
  std::vector<sort_item> sorted_dirty() const;
  // Bytes [at, at + 8) of `k` as a big-endian integer, zero-padded.
  static uint64_t key_head(std::string_view k, size_t at);
  // Writes under write_only_ since the last commit, in the order made; blind_bytes_ of bytes_.
  // A write's key and value bytes live in blind_arena_ (no allocation per write).
  struct blind_write {
    uint64_t h0, h1;  // scratch of sort_by_key(); the key's first 16 bytes when written
    const char* key;
    const char* value;  // null: a delete
    uint32_t key_size, value_size;
    uint32_t seq;       // the order written (among writes of one key, the last wins)
    bool dup = false;   // after sort_by_key(): the key equals the previous item's
    std::string_view k() const { return {key, key_size}; }
  };
  std::vector<std::string> write_only_;
  std::vector<std::string> derived_;
  bool deferred_ = false;
  uint64_t dropped_writes_ = 0;
  std::bitset<256> write_only_first_;  // first bytes of write_only_: most keys miss at once
  std::vector<blind_write> blind_;
  std::pmr::monotonic_buffer_resource blind_arena_{256 << 10};
  size_t blind_bytes_ = 0;
  bool blind_sorted_ = false;  // blind_ is in key order, its heads no longer its first bytes
  bool write_only_key(std::string_view key) const;
  // Whether [begin, end) reaches under a write-only prefix.
  bool reaches_write_only(std::string_view begin, std::string_view end) const;
  void blind(std::string_view key, std::optional<std::string> value);
  // Every pending write, the map's and the list's, in key order, once per key (the list's
  // last write of a key): f(key, the value, or nullopt for a delete).
  template <class F>
  void for_each_pending(F&& f);
  // Sorts [first, last) by key, then (equal keys) by tie(a, b); sets `dup` on every item
  // whose key equals the previous item's when the item type has one. An MSD radix sort on
  // 16-byte digits: each pass sorts integers (h0, h1: the digit at `off`, big-endian) and only
  // runs that agree on a whole digit go on to the next, so keys that share long prefixes
  // ("ts/0000000000000…", "co/cus_01J…") are never compared byte by byte.
  template <class T, class Tie>
  static void sort_by_key(T* first, T* last, size_t off, const Tie& tie);
  // Key order for keys whose first 16 bytes are (h0, h1) (key_head).
  static bool key_less(uint64_t ah0, uint64_t ah1, std::string_view a, uint64_t bh0, uint64_t bh1,
                       std::string_view b) {
    if (ah0 != bh0) return ah0 < bh0;
    if (ah1 != bh1) return ah1 < bh1;
    // Equal heads of two keys longer than 16 bytes: their first 16 bytes are equal.
    if (a.size() > 16 && b.size() > 16) return a.substr(16) < b.substr(16);
    return a < b;
  }
  void clear_blind();
  // An ascending prefix and the bound on the keys under it: the greatest key RocksDB held
  // there when first needed (`stored`, once `known`) and the greatest written through the
  // overlay ever since it was created (`written`, committed or not: a pending write is in
  // RocksDB after its commit). "" = none.
  struct ascending {
    std::string prefix;
    std::string stored;
    std::string written;
    bool known = false;
  };
  std::vector<ascending> ascending_;
  // The ascending prefix `key` is under, or null.
  ascending* ascending_of(std::string_view key);
  // Whether `key` is beyond every key the column family may hold under its ascending prefix.
  // Sets error_ (and answers false) when RocksDB cannot be read.
  bool beyond_ascending(std::string_view key);
  // A write of `key` through the overlay: raises the bound of its ascending prefix.
  void note_ascending(std::string_view key) {
    if (ascending_.empty()) return;
    if (ascending* a = ascending_of(key); a && key > a->written) a->written.assign(key);
  }
  std::atomic<uint64_t> store_reads_{0};
  size_t bytes_ = 0;
  std::optional<std::string> error_;
  bool complete_ = false;
  rocksdb::PinnableSlice scratch_;
};

}  // namespace roms::projections::internal
