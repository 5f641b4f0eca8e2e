#include "tools/admin.h"

#include <iostream>

#include "events/json_writer.h"
#include "events/payload.h"
#include "tools/admin_socket.h"

namespace roms::tools {
namespace {

struct error_part {
  std::string code, message;
  template <class V>
  void fields(V& v) { v("code", code); v("message", message); }
};

struct final_line {
  std::optional<bool> ok;
  std::optional<events::raw_json> value;
  std::optional<error_part> error;
  template <class V>
  void fields(V& v) { v("ok", ok); v("value", value); v("error", error); }
};

}  // namespace

std::optional<admin_answer> admin_call_if_running(
    const std::filesystem::path& data_dir, const std::string& request,
    const std::function<void(std::string_view)>& on_line) {
  auto c = admin_client::connect(data_dir);
  if (!c) return admin_answer{false, "", "unavailable", c.error().message};
  if (!c.value()) return std::nullopt;
  admin_answer a{false, "", "unavailable", "the server closed the connection without an answer"};
  auto r = c.value()->call(request, [&](std::string_view line) {
    auto f = events::decode_payload<final_line>(line);
    if (f && f.value().ok) {
      a.ok = *f.value().ok;
      a.error.clear();
      a.error_code.clear();
      if (f.value().value) {
        a.value = f.value().value->text;
        if (a.value.size() >= 2 && a.value.front() == '"' && a.value.back() == '"')
          a.value = a.value.substr(1, a.value.size() - 2);
      }
    } else if (f && f.value().error) {
      a.ok = false;
      a.error_code = f.value().error->code;
      a.error = f.value().error->message;
    } else if (on_line) {
      on_line(line);
    }
  });
  if (!r) return admin_answer{false, "", "unavailable", r.error().message};
  return a;
}

std::string admin_ok(std::string_view value_json) {
  events::json_writer w;
  w.begin_object().field("ok", true).key("value").raw(value_json).end_object();
  return std::move(w).str();
}

std::string admin_error(std::string_view code, std::string_view message) {
  events::json_writer w;
  w.begin_object().key("error").begin_object().field("code", code).field("message", message);
  w.end_object().end_object();
  return std::move(w).str();
}

}  // namespace roms::tools
