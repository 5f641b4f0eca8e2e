// The admin protocol on top of the admin socket (tools/admin_socket.h). A request is one JSON
// line {"cmd":"…", …}; the server answers with zero or more progress lines
// {"progress":{…}} or {"line":"…"} and ends with {"ok":true,"value":…} or
// {"error":{"code":"…","message":"…"}}.
//
// Commands a running server answers:
//   {"cmd":"log.append","event":{envelope}}      → value: position ("42" / "3:42")
//   {"cmd":"projections.rebuild","names":[…]}    → progress lines, then ok
//   {"cmd":"projections.status"}                 → value: status JSON
//   {"cmd":"auth",…}                              → see http/api/auth.h
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace roms::tools {

struct admin_answer {
  bool ok = false;
  std::string value;       // raw JSON of "value" (a string value keeps its quotes removed)
  std::string error_code;  // when !ok
  std::string error;       // when !ok: the message
};

// Calls the server running on `data_dir`, if any. nullopt: no server is running (the caller
// opens the data dir itself). `on_line` receives each non-final line (progress).
std::optional<admin_answer> admin_call_if_running(
    const std::filesystem::path& data_dir, const std::string& request,
    const std::function<void(std::string_view)>& on_line = {});

// Server side helpers: the final lines.
std::string admin_ok(std::string_view value_json);
std::string admin_error(std::string_view code, std::string_view message);

}  // namespace roms::tools
