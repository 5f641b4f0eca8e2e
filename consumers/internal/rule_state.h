// The rule runner's durable state: the consumed position (next offset per partition) and the
// origin (where the rules start acting), in <state_dir>/rules.json. Written atomically: a temp
// file is written and fsync'd, renamed over the old one, and the directory fsync'd, so a crash
// leaves either the old or the new state, never a torn one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace roms::consumers::internal {

struct rule_state {
  uint32_t version = 1;
  std::vector<int64_t> position;  // next offset per partition to evaluate
  std::vector<int64_t> origin;    // events before this never trigger rules
  std::string created_at;         // when the origin was set (RFC 3339, informational)
  template <class V>
  void fields(V& v) {
    v("version", version); v("position", position); v("origin", origin);
    v("created_at", created_at);
  }
};

// nullopt when the file does not exist (first start); an error when it exists but cannot be
// read or parsed (never silently replaced: that would move the origin).
result_msg<std::optional<rule_state>> load_rule_state(const std::filesystem::path& dir);
result_msg<void> save_rule_state(const std::filesystem::path& dir, const rule_state& s);

}  // namespace roms::consumers::internal
