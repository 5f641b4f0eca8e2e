#include "projections/internal/overlay.h"

#include <memory>

#include "projections/internal/keys.h"

namespace roms::projections::internal {

void overlay::unlink(entry& e) {
  e.prev->next = e.next;
  e.next->prev = e.prev;
}

void overlay::touch(entry& e) {
  if (lru_.next == &e) return;
  unlink(e);
  e.next = lru_.next;
  e.prev = &lru_;
  lru_.next->prev = &e;
  lru_.next = &e;
}

overlay::entry& overlay::slot(std::string_view key, bool* created) {
  auto it = map_.find(key);
  *created = it == map_.end();
  if (*created) {
    it = map_.emplace(std::string(key), entry{}).first;
    entry& e = it->second;
    e.key = &it->first;
    e.prev = e.next = &e;  // linked by touch()
    bytes_ += cost(key, std::nullopt);
  }
  touch(it->second);
  return it->second;
}

overlay::entry& overlay::dirty_slot(std::string_view key) {
  bool created;
  entry& e = slot(key, &created);
  if (!e.dirty) {
    e.dirty = true;
    dirty_keys_.emplace(std::string_view(*e.key), &e);
  }
  return e;
}

void overlay::set_value(std::string_view key, entry& e, std::optional<std::string> v) {
  bytes_ -= cost(key, e.value);
  bytes_ += cost(key, v);
  e.value = std::move(v);
}

std::optional<std::string> overlay::get(std::string_view key) {
  bool created;
  entry& e = slot(key, &created);
  if (!created) return e.value;
  scratch_.Reset();
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()), &scratch_);
  if (s.ok()) {
    set_value(key, e, scratch_.ToString());
  } else if (!s.IsNotFound()) {
    if (!error_) error_ = "read failed: " + s.ToString();
    return std::nullopt;  // the entry stays "absent"; the error discards the overlay
  }
  return e.value;
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
  // re-checked against `upper` at every step, so keys written ahead of the cursor are visited.
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

size_t overlay::write_to(rocksdb::WriteBatch& wb) {
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
}

void overlay::evict(size_t keep_bytes) {
  while (bytes_ > keep_bytes && lru_.prev != &lru_) {
    entry* e = lru_.prev;
    if (e->dirty) break;  // never after a commit; a dirty entry must stay until written
    bytes_ -= cost(*e->key, e->value);
    unlink(*e);
    map_.erase(map_.find(std::string_view(*e->key)));
  }
}

void overlay::discard() {
  dirty_keys_.clear();
  pool_.release();
  map_.clear();
  lru_.prev = lru_.next = &lru_;
  bytes_ = 0;
  error_.reset();
}

}  // namespace roms::projections::internal
