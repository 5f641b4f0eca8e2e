// The services `roms serve` attaches around the core stack: authentication (users, sessions,
// API keys), demo data, and the admin commands they add. Kept apart from cmd_serve.cc so the
// server's skeleton stays readable.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"
#include "events/log.h"
#include "http/api/context.h"
#include "tools/admin_socket.h"

namespace roms::tools {

// Creates the services and sets ctx.auth.
result_msg<void> attach_services(http::api::context& ctx, const std::filesystem::path& data_dir);
void detach_services(http::api::context& ctx);

// With --demo on an empty log: appends a realistic small shop (products, customers across
// Indonesian cities, three months of orders) and a demo admin and CS user. Returns a note to
// print ("" when the log already had events). Rules act only forward, so no message is sent.
result_msg<std::string> load_demo_data(http::api::context& ctx, events::event_log& log,
                                       const clock& clk);

// Prints how to log in (the demo users, or how to create one).
void print_logins(http::api::context& ctx);

// Admin commands beyond log/projections (users, API keys). True if `cmd` was handled.
bool handle_admin_extension(http::api::context& ctx, std::string_view cmd, std::string_view line,
                            admin_writer& out);

}  // namespace roms::tools
