#include "projections/internal/overlay.h"

#include <memory>

#include "projections/internal/keys.h"

namespace roms::projections::internal {

overlay::entry& overlay::insert(std::string_view key, entry e) {
  auto [it, fresh] = map_.emplace(std::string(key), std::move(e));
  if (fresh) order_.insert(std::string_view(it->first));
  return it->second;
}

overlay::entry& overlay::slot(std::string_view key) {
  auto it = map_.find(key);
  if (it != map_.end()) return it->second;
  return insert(key, entry{});
}

std::optional<std::string> overlay::get(std::string_view key) {
  auto it = map_.find(key);
  if (it != map_.end()) return it->second.value;
  scratch_.Reset();
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf_, rocksdb::Slice(key.data(), key.size()),
                               &scratch_);
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
  entry& e = slot(key);
  if (!e.dirty) ++dirty_;
  e.dirty = true;
  e.value.emplace(value);
}

void overlay::del(std::string_view key) {
  if (is_reserved(key)) {
    if (!error_) error_ = "delete of a reserved key (keys starting with \\xff belong to the engine)";
    return;
  }
  entry& e = slot(key);
  if (!e.dirty) ++dirty_;
  e.dirty = true;
  e.value.reset();
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
  // Insertions during f() (the projection writing while it scans) invalidate neither the
  // ordered index's iterators nor the map's elements; `ov` is re-checked against `upper` at
  // every step.
  auto ov = order_.lower_bound(lower);
  for (;;) {
    bool db_ok = it->Valid();
    bool ov_ok = ov != order_.end() && *ov < std::string_view(upper);
    if (!db_ok && !ov_ok) break;
    std::string_view db_key = db_ok ? std::string_view(it->key().data(), it->key().size())
                                    : std::string_view();
    if (ov_ok && (!db_ok || *ov <= db_key)) {
      bool same = db_ok && *ov == db_key;
      const entry& e = map_.find(*ov)->second;
      if (e.value) {
        if (!f(*ov, *e.value)) return;
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
  size_t n = 0;
  for (const auto& [k, e] : map_) {
    if (!e.dirty) continue;
    ++n;
    if (e.value) {
      wb.Put(cf_, k, *e.value);
    } else {
      wb.Delete(cf_, k);
    }
  }
  return n;
}

void overlay::clear() {
  order_.clear();
  map_.clear();
  dirty_ = 0;
  error_.reset();
}

}  // namespace roms::projections::internal
