#include "projections/internal/overlay.h"

#include <algorithm>
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
    dirty_.emplace_back(std::string_view(*e.key), &e);
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

void overlay::sort_dirty() {
  if (sorted_ == dirty_.size()) return;
  auto mid = dirty_.begin() + static_cast<std::ptrdiff_t>(sorted_);
  std::sort(mid, dirty_.end(), [](const dirty_item& a, const dirty_item& b) {
    return a.first < b.first;
  });
  std::inplace_merge(dirty_.begin(), mid, dirty_.end(), [](const dirty_item& a,
                                                           const dirty_item& b) {
    return a.first < b.first;
  });
  sorted_ = dirty_.size();
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
  // Only this batch's writes differ from RocksDB. The dirty keys to merge are those written
  // before the scan started: dirty_[i, n) once sorted. The callback may write (appending to
  // dirty_ past n, or changing an entry's value in place: map nodes never move); a nested scan
  // cannot re-sort the list under us, it works on a sorted copy.
  std::vector<dirty_item> copy;
  const std::vector<dirty_item>* list = &dirty_;
  if (scanning_ == 0) {
    sort_dirty();
  } else {
    copy = dirty_;
    std::sort(copy.begin(), copy.end(),
              [](const dirty_item& a, const dirty_item& b) { return a.first < b.first; });
    list = &copy;
  }
  const size_t n = list->size();
  size_t i = static_cast<size_t>(
      std::lower_bound(list->begin(), list->end(), std::string_view(lower),
                       [](const dirty_item& a, std::string_view k) { return a.first < k; }) -
      list->begin());
  ++scanning_;
  struct leave {
    int& depth;
    ~leave() { --depth; }
  } guard{scanning_};
  for (;;) {
    bool db_ok = it->Valid();
    bool ov_ok = i < n && (*list)[i].first < std::string_view(upper);
    if (!db_ok && !ov_ok) break;
    std::string_view db_key =
        db_ok ? std::string_view(it->key().data(), it->key().size()) : std::string_view();
    if (ov_ok && (!db_ok || (*list)[i].first <= db_key)) {
      auto [k, ep] = (*list)[i];
      bool same = db_ok && k == db_key;
      if (ep->value) {
        if (!f(k, *ep->value)) return;
      }
      ++i;
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
  sort_dirty();
  for (const auto& [k, ep] : dirty_) {
    const entry& e = *ep;
    if (e.value) {
      wb.Put(cf_, rocksdb::Slice(k.data(), k.size()), *e.value);
    } else {
      wb.Delete(cf_, rocksdb::Slice(k.data(), k.size()));
    }
  }
  return dirty_.size();
}

void overlay::committed(size_t keep_bytes) {
  for (auto& [k, e] : dirty_) e->dirty = false;
  dirty_.clear();
  sorted_ = 0;
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
  dirty_.clear();
  sorted_ = 0;
  map_.clear();
  lru_.prev = lru_.next = &lru_;
  bytes_ = 0;
  error_.reset();
}

}  // namespace roms::projections::internal
