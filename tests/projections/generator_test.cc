// The synthetic event generator (tools/gen): reproducible, well-formed, plausible.
#include "tools/gen/generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "events/codec.h"
#include "events/types.h"

namespace roms::tools::gen {
namespace {

std::vector<events::envelope> all(gen_options o) {
  generator g(o);
  std::vector<events::envelope> out;
  while (true) {
    auto b = g.next(777);
    if (b.empty()) break;
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

TEST(Generator, SameSeedSameEventsDifferentSeedDifferent) {
  gen_options o;
  o.events = 20000;
  auto a = all(o);
  auto b = all(o);
  ASSERT_EQ(a.size(), 20000u);
  EXPECT_EQ(a, b);
  o.seed = 43;
  auto c = all(o);
  EXPECT_NE(a, c);
  // Batch sizes do not change the stream.
  o.seed = 42;
  generator g(o);
  std::vector<events::envelope> d;
  while (true) {
    auto x = g.next(1);
    if (x.empty()) break;
    d.push_back(std::move(x[0]));
  }
  EXPECT_EQ(a, d);
}

TEST(Generator, EventsAreValidTimeOrderedAndDecodeAsTheirTypes) {
  gen_options o;
  o.events = 50000;
  auto evs = all(o);
  std::set<std::string> ids;
  timestamp last{};
  std::map<std::string, int> types;
  for (const auto& e : evs) {
    ASSERT_TRUE(events::validate_envelope(e)) << e.type << " " << e.payload;
    EXPECT_TRUE(ids.insert(e.id).second) << "duplicate id " << e.id;
    EXPECT_EQ(e.id.size(), 36u);
    EXPECT_EQ(e.id[14], '7');  // UUIDv7-shaped
    EXPECT_GE(e.time, last);
    last = e.time;
    ++types[e.type];
    bool decoded = false;
    events::for_each_event_type([&]<class T>() {
      if (e.type != T::kType) return;
      decoded = true;
      auto p = events::decode_payload<T>(e.payload);
      EXPECT_TRUE(p) << e.type << ": " << e.payload;
    });
    EXPECT_TRUE(decoded) << "unknown type " << e.type;
  }
  EXPECT_EQ(types["product.defined"], 300);
  EXPECT_GT(types["order.placed"], 5000);
  EXPECT_GT(types["customer.registered"], 1000);
  EXPECT_GT(types["clock.ticked"], 500);
  EXPECT_GT(types["order.status_changed"], types["order.placed"]);
  EXPECT_GT(types["stock.adjusted"], 300);
  EXPECT_EQ(types["warehouse.created"], 2);
}

TEST(Generator, LooksLikeAnIndonesianShop) {
  gen_options o;
  o.events = 200000;
  generator g(o);
  std::map<std::string, int> customer_orders;
  int placed = 0, cancelled = 0, delivered = 0, ticks = 0;
  std::set<std::string> cities;
  while (true) {
    auto b = g.next(10000);
    if (b.empty()) break;
    for (const auto& e : b) {
      if (e.type == "order.placed") {
        auto p = events::decode_payload<events::order_placed>(e.payload).value();
        ++placed;
        ++customer_orders[p.customer_id];
        EXPECT_GT(p.total, 0);
        EXPECT_EQ(p.currency, "IDR");
        EXPECT_EQ(p.total % 1000, 0) << "IDR prices in round thousands";
        if (p.customer.phone.starts_with("+62")) {
          EXPECT_EQ(p.customer.phone.substr(0, 4), "+628") << p.customer.phone;
        }
        cities.insert(p.customer.city);
      } else if (e.type == "order.status_changed") {
        auto c = events::decode_payload<events::order_status_changed>(e.payload).value();
        cancelled += c.to == "cancelled";
        delivered += c.to == "delivered";
      } else if (e.type == "clock.ticked") {
        ++ticks;
      }
    }
  }
  int repeat = 0;
  for (auto& [c, n] : customer_orders) repeat += n > 1;
  EXPECT_GT(repeat, static_cast<int>(customer_orders.size()) / 5) << "repeat customers";
  double cancel_rate = static_cast<double>(cancelled) / placed;
  EXPECT_GT(cancel_rate, 0.03);
  EXPECT_LT(cancel_rate, 0.12);
  EXPECT_GT(delivered, placed / 3);  // the last days' orders are still under way
  EXPECT_GT(cities.size(), 30u);
  // One tick per simulated minute: the simulated span in minutes.
  auto span = std::chrono::duration_cast<std::chrono::minutes>(g.now() - o.start).count();
  EXPECT_NEAR(ticks, span, 2);
  auto st = g.stats();
  EXPECT_EQ(st.ticks, static_cast<uint64_t>(ticks));
}

}  // namespace
}  // namespace roms::tools::gen
