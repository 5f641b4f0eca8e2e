#include "projections/internal/overlay.h"

#include <memory>

#include "projections/internal/keys.h"

namespace roms::projections::internal {

overlay::entry& overlay::insert(std::string_view key, entry e) {
  e.stamp = batch_;
  size_t c = cost(key, e.value);
  auto [it, fresh] = map_.emplace(std::string(key), std::move(e));
  if (fresh) bytes_ += c;
  return it->second;
}

overlay::entry& overlay::dirty_slot(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    it = map_.emplace(std::string(key), entry{}).first;
    bytes_ += cost(key, std::nullopt);
  }
  entry& e = it->second;
  e.stamp = batch_;
  if (!e.dirty) {
    e.dirty = true;
    dirty_keys_.emplace(std::string_view(it->first), &e);
  }
  return e;
}

void overlay::set_value(std::string_view key, entry& e, std::optional<std::string> v) {
  bytes_ -= cost(key, e.value);
  bytes_ += cost(key, v);
  e.value = std::move(v);
}

std::optional<std::string> overlay::get(std::string_view key) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second.stamp = batch_;
    return it->second.value;
  }
  scratch_.Reset();
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()), &scratch_);
  entry e;
  if (s.ok()) {
    e.value = scratch_.ToString();
  } else if (!s.IsNotFound()) {
    if (!error_) error_ = "read failed: " + s.ToString();
    return std::nullopt;
  }
  return insert(key, std::move(e)).value;
}

void overlay::put(std::string_view key, std::string_view value) {
  if (is_reserved(key)) {
    if (!error_) error_ = "write to a reserved key (keys starting with \\xff belong to the engine)";
    return;
  }
  entry& e = dirty_slot(key);
  set_value(key, e, std::string(value));
}

void overlay::del(std::string_view key) {
  if (is_reserved(key)) {
    if (!error_)
      error_ = "delete of a reserved key (keys starting with \\xff belong to the engine)";
    return;
  }
  entry& e = dirty_slot(key);
  set_value(key, e, std::nullopt);
}

void overlay::scan(std::string_view begin, std::string_view end,
                   const std::function<bool(std::string_view, std::string_view)>& f) {
  // An empty `end` means "to the end of the read model"; reserved keys are never visited.
  std::string upper(end.empty() || end > kReservedBegin ? kReservedBegin : end);
  std::string lower(begin);
  if (lower >= upper) return;
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_));
  it->Seek(lower);
  // Only this batch's writes differ from RocksDB. Writes during f() (the projection writing
  // while it scans) invalidate neither the set's iterators nor the map's elements; `ov` is
  // re-checked against `upper` at every step.
  auto ov = dirty_keys_.lower_bound(lower);
  for (;;) {
    bool db_ok = it->Valid();
    bool ov_ok = ov != dirty_keys_.end() && ov->first < std::string_view(upper);
    if (!db_ok && !ov_ok) break;
    std::string_view db_key =
        db_ok ? std::string_view(it->key().data(), it->key().size()) : std::string_view();
    if (ov_ok && (!db_ok || ov->first <= db_key)) {
      bool same = db_ok && ov->first == db_key;
      const entry& e = *ov->second;
      if (e.value) {
        if (!f(ov->first, *e.value)) return;
      }
      ++ov;
      if (same) it->Next();
    } else {
      if (!f(db_key, std::string_view(it->value().data(), it->value().size()))) return;
      it->Next();
    }
  }
  if (!it->status().ok() && !error_) error_ = "scan failed: " + it->status().ToString();
}

size_t overlay::write_to(rocksdb::WriteBatch& wb) const {
  // In key order: RocksDB's memtable inserts are cheaper for sorted keys.
  for (const auto& [k, ep] : dirty_keys_) {
    const entry& e = *ep;
    if (e.value) {
      wb.Put(cf_, rocksdb::Slice(k.data(), k.size()), *e.value);
    } else {
      wb.Delete(cf_, rocksdb::Slice(k.data(), k.size()));
    }
  }
  return dirty_keys_.size();
}

void overlay::committed(size_t keep_bytes) {
  for (auto& [k, e] : dirty_keys_) e->dirty = false;
  dirty_keys_.clear();
  pool_.release();
  error_.reset();
  evict(keep_bytes);
  ++batch_;
}

void overlay::evict(size_t keep_bytes) {
  if (bytes_ <= keep_bytes) return;
  // Over the limit: keep only what the batch just committed touched, and only if that leaves
  // room (half the limit), so eviction passes stay rare.
  for (auto it = map_.begin(); it != map_.end();) {
    if (it->second.stamp < batch_) {
      bytes_ -= cost(it->first, it->second.value);
      it = map_.erase(it);
    } else {
      ++it;
    }
  }
  if (bytes_ > keep_bytes / 2) discard();
}

void overlay::discard() {
  dirty_keys_.clear();
  pool_.release();
  map_.clear();
  bytes_ = 0;
  error_.reset();
}

}  // namespace roms::projections::internal
