// A log consumer's durable state — the consumed position (next offset per partition) and the
// origin (where it starts acting) — in one small JSON file of its state dir: the rule runner
// (rules.json), the CS inbox runner (inbox.json), the media fetcher (media-fetcher.json).
// Written atomically: a temp file is written and fsync'd, renamed over the old one, and the
// directory fsync'd, so a crash leaves either the old or the new state, never a torn one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace roms::consumers::internal {

struct consumer_state {
  uint32_t version = 1;
  std::vector<int64_t> position;  // next offset per partition to evaluate
  std::vector<int64_t> origin;    // events before this never trigger anything
  std::string created_at;         // when the origin was set (RFC 3339, informational)
  template <class V>
  void fields(V& v) {
    v("version", version);
    v("position", position);
    v("origin", origin);
    v("created_at", created_at);
  }
};

// nullopt when `dir/file` does not exist (first start); an error when it exists but cannot be
// read or parsed (never silently replaced: that would move the origin). `removal_hint` ends
// the error message: what removing the file would do.
result_msg<std::optional<consumer_state>> load_consumer_state(const std::filesystem::path& dir,
                                                              std::string_view file,
                                                              std::string_view removal_hint);
result_msg<void> save_consumer_state(const std::filesystem::path& dir, std::string_view file,
                                     const consumer_state& s);

// Writes `data` to dir/name atomically and durably (temp file, fsync, rename, fsync of the
// directory), creating `dir` if needed.
result_msg<void> write_file_atomically(const std::filesystem::path& dir, std::string_view name,
                                       std::string_view data);

// The rule runner's file.
using rule_state = consumer_state;
inline result_msg<std::optional<rule_state>> load_rule_state(const std::filesystem::path& dir) {
  return load_consumer_state(dir, "rules.json",
                             "removing it makes the rules start at the log's end");
}
inline result_msg<void> save_rule_state(const std::filesystem::path& dir, const rule_state& s) {
  return save_consumer_state(dir, "rules.json", s);
}

}  // namespace roms::consumers::internal
