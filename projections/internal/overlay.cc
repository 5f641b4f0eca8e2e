#include "projections/internal/overlay.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>
#include <new>

#include "projections/internal/keys.h"
#include "projections/read_models/keys.h"

namespace roms::projections::internal {

void overlay::unlink(entry& e) {
  e.prev->next = e.next;
  e.next->prev = e.prev;
}

// Moves `e` (linked, not `prev`) to right after `prev`.
void overlay::move_after(entry& e, entry& prev) {
  unlink(e);
  e.prev = &prev;
  e.next = prev.next;
  prev.next->prev = &e;
  prev.next = &e;
}

void overlay::touch(entry& e) {
  if (lru_.next != &e) move_after(e, lru_);
}

void overlay::make_coldest(entry& e) {
  if (lru_.prev != &e) move_after(e, *lru_.prev);
}

void overlay::entry_deleter::operator()(entry* e) const {
  e->~entry();
  ::operator delete(static_cast<void*>(e));
}

overlay::entry_ptr overlay::make_entry(std::string_view key) {
  void* mem = ::operator new(sizeof(entry) + key.size());
  entry* e = new (mem) entry();
  e->key_size = static_cast<uint32_t>(key.size());
  if (!key.empty()) std::memcpy(static_cast<void*>(e + 1), key.data(), key.size());
  return entry_ptr(e);
}

overlay::entry& overlay::slot(std::string_view key, bool* created) {
  auto it = map_.find(key);
  *created = it == map_.end();
  if (*created) {
    auto owned = make_entry(key);
    entry& e = *owned;
    e.prev = e.next = &e;  // linked by touch()
    map_.emplace(e.key(), std::move(owned));
    bytes_ += cost(key, std::nullopt);
    touch(e);
    return e;
  }
  touch(*it->second);
  return *it->second;
}

overlay::entry& overlay::dirty_slot(std::string_view key) {
  bool created;
  entry& e = slot(key, &created);
  if (!e.dirty) {
    e.dirty = true;
    dirty_.push_back(&e);
    if (all_ordered_ || ordered_key(key)) ordered_.add(&e);
  }
  return e;
}

bool overlay::ordered_key(std::string_view key) const {
  for (const auto& p : scanned_)
    if (key.starts_with(p)) return true;
  return false;
}

bool overlay::covered(std::string_view begin, std::string_view end) const {
  for (const auto& p : scanned_) {
    if (!begin.starts_with(p)) continue;
    if (end.starts_with(p)) return true;
    // end is the first key after the prefix: the prefix with its last byte incremented.
    if (!p.empty() && end.size() == p.size() && end.substr(0, p.size() - 1) == p.substr(0, p.size() - 1) &&
        static_cast<unsigned char>(end.back()) == static_cast<unsigned char>(p.back()) + 1)
      return true;
  }
  return false;
}

uint64_t overlay::key_head(std::string_view k, size_t at) {
  if (at + 8 <= k.size()) {
    uint64_t h;
    std::memcpy(&h, k.data() + at, 8);
    return __builtin_bswap64(h);  // big-endian: integer order is byte order
  }
  uint64_t h = 0;
  for (size_t i = at; i < at + 8; ++i)
    h = (h << 8) | (i < k.size() ? static_cast<unsigned char>(k[i]) : 0u);
  return h;
}

template <class T, class Tie>
void overlay::sort_by_key(T* first, T* last, size_t off, const Tie& tie) {
  if (last - first < 2) return;
  // How much of the key lies in this digit: 0-16 bytes, or 17 for "continues past it". With
  // the zero padding of key_head() it orders a key before its own extensions.
  auto rest = [off](const T& x) -> size_t { return std::min<size_t>(x.k().size() - off, 17); };
  if (off > 0) {
    for (T* p = first; p != last; ++p) {
      p->h0 = key_head(p->k(), off);
      p->h1 = key_head(p->k(), off + 8);
    }
  }
  std::sort(first, last, [&](const T& a, const T& b) {
    if (a.h0 != b.h0) return a.h0 < b.h0;
    if (a.h1 != b.h1) return a.h1 < b.h1;
    const size_t ra = rest(a), rb = rest(b);
    if (ra != rb) return ra < rb;
    return ra <= 16 && tie(a, b);  // equal keys; longer ones are ordered by the next digit
  });
  for (T* r = first; r != last;) {
    T* s = r + 1;
    while (s != last && s->h0 == r->h0 && s->h1 == r->h1 && rest(*s) == rest(*r)) ++s;
    if (s - r > 1) {
      if (rest(*r) == 17) {
        sort_by_key(r, s, off + 16, tie);
      } else if constexpr (requires { r->dup; }) {
        for (T* p = r + 1; p != s; ++p) p->dup = true;
      }
    }
    r = s;
  }
}

std::vector<overlay::sort_item> overlay::sorted_dirty() const {
  // The keys' 16-byte digits as big-endian integers, kept next to the entry pointers
  // (sort_by_key): comparisons never touch the keys' bytes (keys share prefixes such as
  // "o/ord_01J…").
  auto head = key_head;
  std::vector<sort_item> v;
  v.reserve(dirty_.size());
  for (const entry* e : dirty_) {
    std::string_view k = e->key();
    v.push_back({head(k, 0), head(k, 8), k, e});
  }
  // Keys are unique here: no tie.
  sort_by_key(v.data(), v.data() + v.size(), 0, [](const sort_item&, const sort_item&) {
    return false;
  });
  // The merge in for_each_pending() compares by the first 16 bytes: deeper passes of the sort
  // left other digits in some items.
  for (auto& it : v) {
    it.h0 = head(it.key, 0);
    it.h1 = head(it.key, 8);
  }
  return v;
}

void overlay::set_value(std::string_view key, entry& e, std::optional<std::string> v) {
  bytes_ -= cost(key, e.value);
  bytes_ += cost(key, v);
  e.value = std::move(v);
}

bool overlay::write_only_key(std::string_view key) const {
  if (!key.empty() && !write_only_first_[static_cast<unsigned char>(key[0])]) return false;
  for (const auto& p : write_only_)
    if (key.starts_with(p)) return true;
  return false;
}

bool overlay::reaches_write_only(std::string_view begin, std::string_view end) const {
  for (const auto& p : write_only_) {
    // [begin, end) and [p, the first key after p's keys) meet.
    if (begin.starts_with(p)) return true;
    if (p > begin && (end.empty() || std::string_view(p) < end)) return true;
  }
  return false;
}

bool overlay::deferring(std::string_view prefix) const {
  if (!deferred_) return false;
  for (const auto& p : derived_)
    if (prefix.starts_with(p)) return true;
  return false;
}

void overlay::blind(std::string_view key, std::optional<std::string> value) {
  if (deferred_) {
    for (const auto& p : derived_) {
      if (key.starts_with(p)) {
        ++dropped_writes_;
        return;  // written from the records at the end
      }
    }
  }
  const size_t vsize = value ? value->size() : 0;
  char* mem = static_cast<char*>(blind_arena_.allocate(key.size() + vsize + 1, 1));
  if (!key.empty()) std::memcpy(mem, key.data(), key.size());
  if (vsize) std::memcpy(mem + key.size(), value->data(), vsize);
  const std::string_view k(mem, key.size());
  blind_.push_back({key_head(k, 0), key_head(k, 8), mem, value ? mem + key.size() : nullptr,
                    static_cast<uint32_t>(key.size()), static_cast<uint32_t>(vsize),
                    static_cast<uint32_t>(blind_.size())});
  blind_sorted_ = false;
  const size_t cost = key.size() + vsize + sizeof(blind_write);
  blind_bytes_ += cost;
  bytes_ += cost;
}

void overlay::clear_blind() {
  bytes_ -= blind_bytes_;
  blind_bytes_ = 0;
  blind_sorted_ = false;
  if (blind_.capacity() > (64u << 10)) {
    std::vector<blind_write>().swap(blind_);  // a bulk load's list: give the memory back
  } else {
    blind_.clear();
  }
  blind_arena_.release();
}

template <class F>
void overlay::for_each_pending(F&& f) {
  const std::vector<sort_item> mapped = sorted_dirty();
  // By key, and in the order written among equal keys (the last one wins). The list is sorted
  // in place: it is cleared at the commit anyway.
  if (!blind_sorted_) {
    sort_by_key(blind_.data(), blind_.data() + blind_.size(), 0,
                [](const blind_write& a, const blind_write& b) { return a.seq < b.seq; });
    blind_sorted_ = true;
  }
  const std::vector<blind_write>& listed = blind_;
  size_t i = 0, j = 0;
  // The first 16 bytes of listed[j]'s key (the sort left deeper digits in h0/h1), computed once
  // per listed key however many map keys come before it.
  size_t headed = SIZE_MAX;
  uint64_t lh0 = 0, lh1 = 0;
  while (i < mapped.size() || j < listed.size()) {
    // The two sets of keys are disjoint (a key is write-only or not).
    bool map_first = j == listed.size();
    if (!map_first && i < mapped.size()) {
      const std::string_view lk = listed[j].k();
      if (headed != j) {
        lh0 = key_head(lk, 0);
        lh1 = key_head(lk, 8);
        headed = j;
      }
      map_first = key_less(mapped[i].h0, mapped[i].h1, mapped[i].key, lh0, lh1, lk);
    }
    if (map_first) {
      const entry& e = *mapped[i].e;
      f(mapped[i].key, e.value ? std::optional<std::string_view>(*e.value) : std::nullopt);
      ++i;
    } else {
      while (j + 1 < listed.size() && listed[j + 1].dup) ++j;  // the last write of the key wins
      const blind_write& b = listed[j];
      f(b.k(), b.value ? std::optional<std::string_view>(std::string_view(b.value, b.value_size))
                       : std::nullopt);
      ++j;
    }
  }
}

overlay::entry* overlay::lookup(std::string_view key) {
  if (!write_only_.empty() && write_only_key(key)) {
    if (!error_) error_ = "read of a write-only key (projection::write_only_prefixes())";
    return nullptr;
  }
  bool created;
  entry& e = slot(key, &created);
  if (!created || complete_) return &e;
  if (!ascending_.empty()) {
    const bool failed_before = error_.has_value();
    if (beyond_ascending(key)) return &e;           // absent (see ascending_)
    if (!failed_before && error_) return nullptr;  // its seek failed
  }
  store_reads_.fetch_add(1, std::memory_order_relaxed);
  scratch_.Reset();
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()), &scratch_);
  if (s.ok()) {
    set_value(key, e, scratch_.ToString());
  } else if (!s.IsNotFound()) {
    if (!error_) error_ = "read failed: " + s.ToString();
    return nullptr;  // the entry stays "absent"; the error discards the overlay
  }
  return &e;
}

overlay::ascending* overlay::ascending_of(std::string_view key) {
  for (auto& a : ascending_)
    if (key.starts_with(a.prefix)) return &a;
  return nullptr;
}

bool overlay::beyond_ascending(std::string_view key) {
  ascending* a = ascending_of(key);
  if (!a) return false;
  if (!a->known) {
    // The last key under the prefix: one reverse seek, once per overlay.
    const std::string upper = prefix_end(a->prefix);  // "\xff" (the reserved keys) at most
    rocksdb::ReadOptions ro;
    rocksdb::Slice lower_slice(a->prefix), upper_slice(upper);
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_));
    it->SeekToLast();
    if (!it->status().ok()) {
      if (!error_) error_ = "read failed: " + it->status().ToString();
      return false;
    }
    if (it->Valid()) a->stored.assign(it->key().data(), it->key().size());
    a->known = true;
  }
  return key > a->stored && key > a->written;
}

std::optional<std::string> overlay::get(std::string_view key) {
  entry* e = lookup(key);
  if (!e) return std::nullopt;
  return e->value;
}

std::optional<std::string_view> overlay::peek(std::string_view key) {
  entry* e = lookup(key);
  if (!e || !e->value) return std::nullopt;
  return std::string_view(*e->value);
}

void overlay::put(std::string_view key, std::string_view value) {
  if (is_reserved(key)) {
    if (!error_) error_ = "write to a reserved key (keys starting with \\xff belong to the engine)";
    return;
  }
  if (!write_only_.empty() && write_only_key(key)) return blind(key, std::string(value));
  note_ascending(key);
  entry& e = dirty_slot(key);
  set_value(key, e, std::string(value));
}

void overlay::put_cold(std::string_view key, std::string_view value) {
  put(key, value);
  if (is_reserved(key) || (!write_only_.empty() && write_only_key(key))) return;
  auto it = map_.find(key);
  if (it != map_.end()) make_coldest(*it->second);
}

void overlay::del(std::string_view key) {
  if (is_reserved(key)) {
    if (!error_)
      error_ = "delete of a reserved key (keys starting with \\xff belong to the engine)";
    return;
  }
  if (!write_only_.empty() && write_only_key(key)) return blind(key, std::nullopt);
  note_ascending(key);
  entry& e = dirty_slot(key);
  set_value(key, e, std::nullopt);
}

void overlay::scan(std::string_view begin, std::string_view end,
                   const std::function<bool(std::string_view, std::string_view)>& f) {
  // An empty `end` means "to the end of the read model"; reserved keys are never visited.
  std::string upper(end.empty() || end > kReservedBegin ? kReservedBegin : end);
  std::string lower(begin);
  if (lower >= upper) return;
  if (!write_only_.empty() && reaches_write_only(lower, upper)) {
    if (!error_) error_ = "scan over write-only keys (projection::write_only_prefixes())";
    return;
  }
  if (!all_ordered_ && !covered(lower, upper)) {
    for (entry* e : dirty_)
      if (!ordered_key(e->key())) ordered_.add(e);  // the others are in already
    all_ordered_ = true;
  }
  // This batch's writes in range, in key order. When f() writes (the projection writing while
  // it scans), they are listed again from after the key just visited: keys written ahead of
  // the cursor are visited, and keys are always visited in ascending order.
  std::vector<entry*> ov;
  ordered_.range(lower, upper, ov);
  size_t i = 0;
  uint64_t seen = ordered_.adds();
  auto relist = [&](std::string_view visited) {
    if (ordered_.adds() == seen) return false;
    seen = ordered_.adds();
    std::string from(visited);
    from.push_back('\0');  // the smallest key after it
    ov.clear();
    ordered_.range(from, upper, ov);
    i = 0;
    return true;
  };
  if (complete_) {  // the store holds nothing the overlay does not
    while (i < ov.size()) {
      entry* e = ov[i];
      if (e->value) {
        if (!f(e->key(), *e->value)) return;
        if (relist(e->key())) continue;
      }
      ++i;
    }
    return;
  }
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_));
  it->Seek(lower);
  // Only this batch's writes differ from RocksDB (the iterator sees the store as it was when
  // the scan began; the fold's writes go to the overlay).
  for (;;) {
    bool db_ok = it->Valid();
    bool ov_ok = i < ov.size();
    if (!db_ok && !ov_ok) break;
    std::string_view db_key =
        db_ok ? std::string_view(it->key().data(), it->key().size()) : std::string_view();
    if (ov_ok && (!db_ok || ov[i]->key() <= db_key)) {
      entry* e = ov[i];
      bool same = db_ok && e->key() == db_key;
      bool relisted = false;
      if (e->value) {
        if (!f(e->key(), *e->value)) return;
        relisted = relist(e->key());
      }
      if (same) it->Next();
      if (!relisted) ++i;
    } else {
      if (!f(db_key, std::string_view(it->value().data(), it->value().size()))) return;
      relist(db_key);  // before Next(): db_key points into the iterator
      it->Next();
    }
  }
  if (!it->status().ok() && !error_) error_ = "scan failed: " + it->status().ToString();
}

void overlay::ordered_index::add(entry* e) {
  const std::string_view k = e->key();
  if (tail_.capacity() < kTail) tail_.reserve(kTail);
  tail_.push_back({key_head(k, 0), key_head(k, 8), k, e});
  ++adds_;
  ++size_;
  if (tail_.size() < kTail) return;
  std::sort(tail_.begin(), tail_.end(), less);
  runs_.push_back(std::move(tail_));
  tail_ = {};
  while (runs_.size() >= 2 && runs_[runs_.size() - 2].size() <= 2 * runs_.back().size()) {
    auto& a = runs_[runs_.size() - 2];
    auto& b = runs_.back();
    std::vector<item> m;
    m.reserve(a.size() + b.size());
    std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(m), less);
    runs_.pop_back();
    runs_.back() = std::move(m);
  }
}

void overlay::ordered_index::range(std::string_view lo, std::string_view hi,
                                   std::vector<entry*>& out) const {
  const item l{key_head(lo, 0), key_head(lo, 8), lo, nullptr};
  const size_t start = out.size();
  size_t sources = 0;
  for (const auto& run : runs_) {
    const size_t before = out.size();
    for (auto p = std::lower_bound(run.begin(), run.end(), l, less);
         p != run.end() && p->key < hi; ++p)
      out.push_back(p->e);
    sources += out.size() > before;
  }
  const size_t before = out.size();
  for (const auto& t : tail_)
    if (!less(t, l) && t.key < hi) out.push_back(t.e);
  sources += out.size() > before;
  if (sources > 1 || out.size() - before > 1) {
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(),
              [](const entry* a, const entry* b) { return a->key() < b->key(); });
  }
}

void overlay::ordered_index::clear() {
  tail_.clear();
  runs_.clear();
  size_ = 0;
}

size_t overlay::write_to(rocksdb::WriteBatch& wb) {
  // In key order: RocksDB's memtable inserts are cheaper for sorted keys.
  size_t n = 0;
  for_each_pending([&](std::string_view key, std::optional<std::string_view> value) {
    rocksdb::Slice k(key.data(), key.size());
    if (value) {
      wb.Put(cf_, k, rocksdb::Slice(value->data(), value->size()));
    } else {
      wb.Delete(cf_, k);
    }
    ++n;
  });
  return n;
}

rocksdb::Status overlay::write_to(rocksdb::SstFileWriter& w, size_t* n) {
  *n = 0;
  rocksdb::Status s;
  for_each_pending([&](std::string_view k, std::optional<std::string_view> value) {
    if (!s.ok()) return;
    rocksdb::Slice key(k.data(), k.size());
    if (value) {
      s = w.Put(key, rocksdb::Slice(value->data(), value->size()));
    } else if (!complete_) {
      s = w.Delete(key);
    } else {
      return;
    }
    if (s.ok()) ++*n;
  });
  return s;
}

void overlay::committed(size_t keep_bytes) {
  complete_ = false;
  clear_blind();
  for (entry* e : dirty_) e->dirty = false;
  dirty_.clear();
  ordered_.clear();
  all_ordered_ = false;
  error_.reset();
  evict(keep_bytes);
}

void overlay::evict(size_t keep_bytes) {
  while (bytes_ > keep_bytes && lru_.prev != &lru_) {
    entry* e = lru_.prev;
    if (e->dirty) break;  // never after a commit; a dirty entry must stay until written
    bytes_ -= cost(e->key(), e->value);
    unlink(*e);
    auto it = map_.find(e->key());
    map_.erase(it);  // frees *e
  }
}

void overlay::discard() {
  complete_ = false;
  blind_.clear();
  blind_arena_.release();
  blind_bytes_ = 0;
  blind_sorted_ = false;
  dirty_.clear();
  ordered_.clear();
  all_ordered_ = false;
  map_.clear();
  lru_.prev = lru_.next = &lru_;
  bytes_ = 0;
  error_.reset();
}

}  // namespace roms::projections::internal
