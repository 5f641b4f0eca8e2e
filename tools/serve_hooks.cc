#include "tools/serve_hooks.h"

#include <iostream>

namespace roms::tools {

// Authentication is attached here once http/api/auth.h lands; until then ctx.auth stays
// null and every authenticated route answers 401.
result_msg<void> attach_services(http::api::context&, const std::filesystem::path&) {
  return success();
}

void detach_services(http::api::context&) {}

result_msg<std::string> load_demo_data(http::api::context&, events::event_log&, const clock&) {
  return std::string();
}

void print_logins(http::api::context&) {}

bool handle_admin_extension(http::api::context&, std::string_view, std::string_view,
                            admin_writer&) {
  return false;
}

}  // namespace roms::tools
