#include "tools/serve_hooks.h"

#include <iostream>

#include "consumers/runner.h"
#include "events/types.h"
#include "http/api/auth.h"
#include "tools/admin.h"
#include "tools/gen/generator.h"

namespace roms::tools {

namespace {
// One server per process: the services live as long as it runs.
std::unique_ptr<http::api::auth_service> g_auth;
bool g_demo = false;

constexpr std::string_view kDemoAdmin = "admin@demo.roms.id";
constexpr std::string_view kDemoAdminPassword = "admin12345";
constexpr std::string_view kDemoCs = "cs@demo.roms.id";
constexpr std::string_view kDemoCsPassword = "cs12345678";
}  // namespace

result_msg<void> attach_services(http::api::context& ctx, const std::filesystem::path&) {
  g_auth = std::make_unique<http::api::auth_service>(ctx.log, ctx.store, ctx.runner, *ctx.clk,
                                                     http::api::auth_options_for(ctx.cfg));
  ctx.auth = g_auth.get();
  return success();
}

void detach_services(http::api::context& ctx) {
  ctx.auth = nullptr;
  g_auth.reset();
}

result_msg<std::string> load_demo_data(http::api::context& ctx, events::event_log& log,
                                       const clock& clk) {
  auto st = log.stats();
  if (!st) return error_info{st.error(), "cannot read the log"};
  int64_t existing = 0;
  for (auto e : st.value().end_offsets) existing += e;
  if (existing > 0) return std::string();

  // Three months of a small shop, ending now. The generator is seeded, so every demo is the
  // same shop. Its events carry the actor "demo": rules act only forward and never on demo
  // or imported history.
  const timestamp now = clk.now();
  gen::gen_options o;
  o.seed = 2026;
  o.start = now - std::chrono::hours(24 * 90);
  o.products = 24;
  o.warehouses = 2;
  o.orders_per_minute = 6.0 / 1440.0;  // about six orders a day
  o.clock_ticks = false;               // one tick at the end instead of 130k
  o.events = 200'000;
  gen::generator g(o);
  uint64_t appended = 0;
  bool done = false;
  while (!done) {
    auto batch = g.next(2000);
    if (batch.empty()) break;
    std::vector<events::envelope> keep;
    keep.reserve(batch.size());
    for (auto& e : batch) {
      if (e.time > now) {
        done = true;
        break;
      }
      e.actor = "demo";
      keep.push_back(std::move(e));
    }
    if (keep.empty()) break;
    auto r = log.append(keep);
    if (!r) return error_info{r.error(), "cannot append the demo data"};
    appended += keep.size();
  }
  events::envelope tick;
  tick.id = events::new_event_id(now);
  tick.type = std::string(events::clock_ticked::kType);
  tick.stream = "clock";
  tick.time = now;
  tick.actor = "demo";
  auto r = log.append(std::span<const events::envelope>(&tick, 1));
  if (!r) return error_info{r.error(), "cannot append the demo clock tick"};
  if (ctx.runner) ctx.runner->wait_for(r.value()[0].position, std::chrono::seconds(60));
  // The demo's users (printed at start).
  if (g_auth) {
    for (auto [email, role, pw] : {std::tuple{kDemoAdmin, "admin", kDemoAdminPassword},
                                   std::tuple{kDemoCs, "cs", kDemoCsPassword}}) {
      http::api::new_user u{std::string(email), role, std::string(pw), ""};
      auto made = g_auth->create_user(u, "demo");
      if (!made && made.error().wire_code() != "email_taken")
        return error_info{made.error().code,
                          "demo user " + std::string(email) + ": " + made.error().message};
    }
  }
  g_demo = true;
  auto c = g.stats();
  return "roms: demo shop loaded: " + std::to_string(appended + 1) + " events (" +
         std::to_string(c.orders) + " orders, " + std::to_string(c.customers) +
         " customers over 90 days)\n";
}

void print_logins(http::api::context&) {
  if (g_demo) {
    std::cout << "  demo logins: " << kDemoAdmin << " / " << kDemoAdminPassword << " (Admin), "
              << kDemoCs << " / " << kDemoCsPassword << " (CS)\n";
  } else if (g_auth) {
    auto users = g_auth->list_users(1, "");
    if (users && users.value().items.empty())
      std::cout << "  no users yet: roms user create --data DIR --email you@shop.id --role admin "
                   "--password-stdin\n";
  }
  std::cout << std::flush;
}

bool handle_admin_extension(http::api::context&, std::string_view cmd, std::string_view line,
                            admin_writer& out) {
  if (cmd != "auth" || !g_auth) return false;
  auto r = http::api::admin_auth_command(*g_auth, line);
  if (!r) {
    out.write_line(admin_error(r.error().wire_code(), r.error().message));
  } else {
    out.write_line(admin_ok(r.value()));
  }
  return true;
}

}  // namespace roms::tools
