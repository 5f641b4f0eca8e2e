// A projection is a fold of the log into a read model stored in RocksDB:
//
//   apply(event, ctx)  →  ctx.put / ctx.del on the read model's keys
//
// The engine (projections/store.h, consumers/runner.h) calls apply() for each event in log
// order (per partition), buffers the writes of a whole batch in memory (each key written
// once per batch, reads see the batch's own earlier writes) and commits them to RocksDB in
// ONE WriteBatch together with the consumed position, so a crash never applies an event twice
// or skips one.
//
// Rules for apply():
//  - Deterministic: the result depends only on the events (no wall clock, no randomness, no
//    I/O other than ctx). "Now" is the time of the event being applied (clock.ticked events
//    move it forward).
//  - Converging across partitions: on Kafka, events of different streams may arrive in any
//    interleaving. Say in the projection's header how it converges (sums, max, re-evaluation
//    when either input changes).
//  - An event it does not understand is ignored; an event it understands but cannot decode
//    is an error (reported with its position, never skipped).
//
// Keys live in the projection's own column family, so a projection can use any layout; the
// engine reserves keys starting with '\xff' for its own bookkeeping.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "events/envelope.h"

namespace roms::projections {

// Reads and writes of one fold batch, scoped to one projection's column family.
class fold_context {
 public:
  virtual ~fold_context() = default;
  // The value of `key` as of the events applied so far (this batch's writes included).
  virtual std::optional<std::string> get(std::string_view key) = 0;
  // The same without a copy: the view is valid until the next call on this context.
  virtual std::optional<std::string_view> peek(std::string_view key) = 0;
  bool contains(std::string_view key) { return peek(key).has_value(); }
  virtual void put(std::string_view key, std::string_view value) = 0;
  // put() of a value this fold does not expect to read again (a delivered or cancelled order):
  // the engine's caches let it go before anything else (a later read still finds it).
  virtual void put_cold(std::string_view key, std::string_view value) { put(key, value); }
  virtual void del(std::string_view key) = 0;
  // Calls f(key, value) for keys in [begin, end) in key order, as of the events applied so
  // far (this batch's writes merged over the store). f returns false to stop.
  virtual void scan(std::string_view begin, std::string_view end,
                    const std::function<bool(std::string_view, std::string_view)>& f) = 0;
  // Whether writes under `prefix`, one of the projection's derived_prefixes(), are dropped
  // now: a rebuild writes those entries once, from the records, when its fold is done
  // (projection::derive()). The fold may then skip making them (their keys cost more to build
  // than the drop). Default: never.
  virtual bool deferring(std::string_view prefix) const {
    (void)prefix;
    return false;
  }
};

class projection {
 public:
  virtual ~projection() = default;
  // The read model's name: the column family and the CLI name ("orders", "customers").
  virtual std::string_view name() const = 0;
  // Bump when the fold or key layout changes: the engine then rebuilds this read model.
  virtual uint32_t version() const = 0;
  // Cheap pre-filter on the event type; apply() is only called when this returns true.
  virtual bool wants(std::string_view type) const = 0;
  virtual result_msg<void> apply(const events::stored_event& e, fold_context& ctx) = 0;
  // Key prefixes apply() passes to ctx.scan() (a scan's begin and end both under one of
  // them). The engine keeps the pending writes under these in key order; a scan anywhere
  // else is just as correct, only slower in a bulk rebuild. Default: none.
  virtual std::vector<std::string> scanned_prefixes() const { return {}; }
  // Key prefixes apply() only writes (put, del) and never reads (get, peek, scan): index
  // entries that only queries read. The engine keeps those writes in an append-only list
  // instead of its keyed cache (cheaper per write; the cache keeps only what folds read back),
  // and a read under them is an error. Default: none.
  virtual std::vector<std::string> write_only_prefixes() const { return {}; }
  // Key prefixes under which new keys arrive in ascending order: ids that grow with time,
  // such as an order's UUIDv7-based id ("o/ord_0193…"). The engine remembers the greatest key
  // under each that the read model may hold; a read of a greater key (a new order's "was it
  // folded already?" check) is answered "absent" without reading RocksDB. Keys that arrive
  // out of order are just as correct: their reads go to RocksDB. Default: none.
  virtual std::vector<std::string> ascending_prefixes() const { return {}; }
  // Whether this code reads the records of a generation built by `stored`, an earlier
  // version() (a server keeps serving a stale generation while it rebuilds it). Records are
  // positional (read_models/record_codec.h): a version whose layout differs cannot be read, and
  // a view of it answers errc::unavailable instead of misreading. Say yes only for versions
  // whose bump changed the fold, not the stored form. Default: none.
  virtual bool reads_stored_version(uint32_t stored) const {
    (void)stored;
    return false;
  }
  // Index entries that are a function of one stored record each: an order's entry in the
  // by-status index is a function of the order's record. A rebuild into a fresh generation
  // (durability::bulk) does not write them while it folds (each event would move them: an
  // order's status index entry moves with each status change, a customer's rankings with each
  // order) but once, from the final records, when its first finish() has written everything
  // out; after that they are written as apply() makes them.
  //  - derived_prefixes(): the entries' prefixes. Each must be under a write-only prefix.
  //  - derived_from(): the prefix of the records they derive from ("o/").
  //  - derive(key, value, ctx): ctx.put() of the entries of the record `key` (under
  //    derived_from()) whose stored value is `value`.
  // Contract: after any sequence of events, the keys apply() leaves under derived_prefixes()
  // are exactly those derive() puts for the keys under derived_from(), with the same values
  // (each read model's tests check it). Default: none.
  virtual std::vector<std::string> derived_prefixes() const { return {}; }
  virtual std::string derived_from() const { return {}; }
  virtual result_msg<void> derive(std::string_view key, std::string_view value,
                                  fold_context& ctx) const {
    (void)key, (void)value, (void)ctx;
    return success();
  }
};

// A consistent, read-only view of one read model for queries (a RocksDB snapshot under the
// hood). Cheap to create; hold it for the duration of one request.
class read_view {
 public:
  virtual ~read_view() = default;
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  // Keys in [begin, end) in order (reverse: from the end down); f returns false to stop.
  virtual void scan(std::string_view begin, std::string_view end,
                    const std::function<bool(std::string_view, std::string_view)>& f,
                    bool reverse = false) const = 0;
};

}  // namespace roms::projections
