// An in-memory fold_context + read_view for testing read models without RocksDB: the fold's
// writes land directly in a std::map. The engine's own tests cover batching and persistence.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "events/codec.h"
#include "projections/projection.h"

namespace roms::testing {

class memory_store final : public projections::fold_context, public projections::read_view {
 public:
  std::optional<std::string> get(std::string_view key) override {
    auto it = m_.find(std::string(key));
    if (it == m_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string_view> peek(std::string_view key) override {
    auto it = m_.find(std::string(key));
    if (it == m_.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  std::optional<std::string> get(std::string_view key) const override {
    auto it = m_.find(std::string(key));
    if (it == m_.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    if (deferred_write(key)) return;
    m_[std::string(key)] = std::string(value);
  }
  void del(std::string_view key) override {
    if (deferred_write(key)) return;
    m_.erase(std::string(key));
  }
  // Like a rebuild's overlay: deferring(p) answers true for these prefixes, and writes under
  // them are dropped and counted.
  void defer(std::vector<std::string> prefixes) { deferred_ = std::move(prefixes); }
  bool deferring(std::string_view prefix) const override {
    for (const auto& p : deferred_)
      if (prefix.starts_with(p)) return true;
    return false;
  }
  size_t dropped_writes() const { return dropped_; }
  void scan(std::string_view begin, std::string_view end,
            const std::function<bool(std::string_view, std::string_view)>& f) override {
    // Copy the range first: f may write (the fold context allows it).
    std::map<std::string, std::string> range(m_.lower_bound(std::string(begin)),
                                             m_.lower_bound(std::string(end)));
    for (auto& [k, v] : range)
      if (!f(k, v)) break;
  }
  void scan(std::string_view begin, std::string_view end,
            const std::function<bool(std::string_view, std::string_view)>& f,
            bool reverse) const override {
    auto lo = m_.lower_bound(std::string(begin));
    auto hi = m_.lower_bound(std::string(end));
    if (!reverse) {
      for (auto it = lo; it != hi; ++it)
        if (!f(it->first, it->second)) return;
    } else {
      for (auto it = hi; it != lo;) {
        --it;
        if (!f(it->first, it->second)) return;
      }
    }
  }
  const std::map<std::string, std::string>& data() const { return m_; }

 private:
  bool deferred_write(std::string_view key) {
    for (const auto& p : deferred_) {
      if (key.starts_with(p)) {
        ++dropped_;
        return true;
      }
    }
    return false;
  }
  std::map<std::string, std::string> m_;
  std::vector<std::string> deferred_;
  size_t dropped_ = 0;
};

}  // namespace roms::testing
