// An in-memory fold_context + read_view for testing read models without RocksDB: the fold's
// writes land directly in a std::map. The engine's own tests cover batching and persistence.
#pragma once

#include <map>
#include <string>

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
    m_[std::string(key)] = std::string(value);
  }
  void del(std::string_view key) override { m_.erase(std::string(key)); }
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
  std::map<std::string, std::string> m_;
};

}  // namespace roms::testing
