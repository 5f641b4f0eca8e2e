#include "tools/serve_hooks.h"

#include <iostream>

#include "consumers/runner.h"
#include "events/types.h"
#include "tools/gen/generator.h"

namespace roms::tools {

// Authentication is attached here once http/api/auth.h lands; until then ctx.auth stays
// null and every authenticated route answers 401.
result_msg<void> attach_services(http::api::context&, const std::filesystem::path&) {
  return success();
}

void detach_services(http::api::context&) {}

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
  o.clock_ticks = false;                // one tick at the end instead of 130k
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
  auto c = g.stats();
  return "roms: demo shop loaded: " + std::to_string(appended + 1) + " events (" +
         std::to_string(c.orders) + " orders, " + std::to_string(c.customers) +
         " customers over 90 days)\n";
}

void print_logins(http::api::context&) {}

bool handle_admin_extension(http::api::context&, std::string_view, std::string_view,
                            admin_writer&) {
  return false;
}

}  // namespace roms::tools
