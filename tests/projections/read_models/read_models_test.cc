// Each read model's fold on hand-written event sequences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>

#include "events/types.h"
#include "projections/read_models.h"
#include "projections/read_models/keys.h"
#include "projections/read_models/record_codec.h"
#include "tests/projections/read_models/memory_store.h"

namespace roms::projections {
namespace {

using testing::memory_store;
constexpr int64_t kDay = 86'400'000'000LL;
// 2026-11-01T00:00:00Z
constexpr int64_t kT0 = 1'793'491'200'000'000LL;

struct sequence {
  std::vector<events::stored_event> events;
  template <class T>
  void add(std::string stream, int64_t time_us, const T& payload, std::string actor = "test") {
    events::stored_event e;
    e.position = {0, static_cast<int64_t>(events.size())};
    e.event.id = "id-" + std::to_string(events.size());
    e.event.type = std::string(T::kType);
    e.event.version = T::kVersion;
    e.event.stream = std::move(stream);
    e.event.time = from_micros(time_us);
    e.event.actor = std::move(actor);
    e.event.payload = events::encode_payload(payload);
    events.push_back(std::move(e));
  }
  void fold(projection& p, memory_store& s) const {
    for (const auto& e : events) {
      if (!p.wants(e.event.type)) continue;
      auto r = p.apply(e, s);
      ASSERT_TRUE(r) << r.error().message;
    }
  }
};

events::order_placed order(std::string id, std::string customer, int64_t total,
                           std::vector<events::order_item> items = {}) {
  events::order_placed o;
  o.order_id = std::move(id);
  o.external_id = "ext-" + o.order_id;
  o.channel = "web";
  o.customer_id = std::move(customer);
  o.customer.name = "Budi";
  o.customer.phone = "+6281234567890";
  o.customer.city = "Bandung";
  o.customer.province = "Jawa Barat";
  o.items = std::move(items);
  o.total = total;
  return o;
}

events::order_status_changed status(std::string id, std::string from, std::string to) {
  return {std::move(id), std::move(from), std::move(to), "", "", ""};
}

events::customer_registered customer(std::string id, std::string phone, std::string name,
                                     std::string city = "Bandung") {
  events::customer_registered c;
  c.customer_id = std::move(id);
  c.phone = std::move(phone);
  c.name = std::move(name);
  c.city = std::move(city);
  c.province = "Jawa Barat";
  return c;
}

// ---------------------------------------------------------------- orders

// Key helpers: fixed-width numbers sort as strings; key() joins its parts with '/'.
TEST(ReadModelKeys, FixedWidthNumbersAndJoinedParts) {
  EXPECT_EQ(fixed20(0), "00000000000000000000");
  EXPECT_EQ(fixed20(1732417380), "00000000001732417380");
  EXPECT_EQ(fixed20(INT64_MAX), "09223372036854775807");
  EXPECT_EQ(fixed20(-5), "00000000000000000000");  // negatives clamp to 0
  EXPECT_LT(fixed20(9), fixed20(10));
  EXPECT_EQ(key("s", "pending", fixed20(7), "ord_1"), "s/pending/00000000000000000007/ord_1");
  EXPECT_EQ(key("o"), "o");
  EXPECT_EQ(prefix_end("s/"), "s0");
}

TEST(OrdersReadModel, ListsNewestFirstAndFollowsStatus) {
  sequence s;
  s.add("ord_1", kT0, order("ord_1", "cus_1", 90000));
  s.add("ord_2", kT0 + 1000, order("ord_2", "cus_2", 50000));
  s.add("ord_3", kT0 + 2000, order("ord_3", "cus_1", 70000));
  s.add("ord_1", kT0 + 3000, status("ord_1", "pending", "shipped"));
  orders_projection p;
  memory_store m;
  s.fold(p, m);

  auto all = orders_query::list(m, {});
  ASSERT_EQ(all.items.size(), 3u);
  EXPECT_EQ(all.items[0].id, "ord_3");
  EXPECT_EQ(all.items[2].id, "ord_1");
  EXPECT_TRUE(all.next_cursor.empty());

  auto shipped = orders_query::list(m, {.status = "shipped"});
  ASSERT_EQ(shipped.items.size(), 1u);
  EXPECT_EQ(shipped.items[0].id, "ord_1");
  EXPECT_EQ(shipped.items[0].timeline.size(), 2u);
  EXPECT_EQ(shipped.items[0].timeline[1].status, "shipped");
  EXPECT_EQ(orders_query::list(m, {.status = "pending"}).items.size(), 2u);

  auto mine = orders_query::list(m, {.customer_id = "cus_1"});
  ASSERT_EQ(mine.items.size(), 2u);
  EXPECT_EQ(mine.items[0].id, "ord_3");

  EXPECT_EQ(orders_query::by_external_id(m, "web", "ext-ord_2"), "ord_2");
  auto counts = orders_query::count_by_status(m);
  EXPECT_EQ(counts[0], (std::pair<std::string, int64_t>{"pending", 2}));
  EXPECT_EQ(counts[2], (std::pair<std::string, int64_t>{"shipped", 1}));
}

// A status change rewrites only the stored order's tail (orders.cc, patch_status): the bytes
// must be exactly what encoding the whole changed record gives, every field intact.
TEST(OrdersReadModel, StatusChangesRewriteTheTailAsAWholeEncodeWould) {
  sequence s;
  auto placed = order("ord_1", "cus_1", 180000,
                      {{"prd_1", "SKU-1", "Kopi Gayo", 2, 45000, false, false},
                       {"", "SKU-X", "Teh \"Melati\"", 1, 90000, true, true}});
  placed.note = "kirim sore";
  placed.flags = {"unknown_sku", "backorder"};
  placed.payment = {"virtual_account", "prepaid"};
  placed.warehouse = "main";
  s.add("ord_1", kT0, placed, "user:7");
  s.add("ord_1", kT0 + 1000, status("ord_1", "pending", "processed"));
  events::order_status_changed shipped{"ord_1", "processed", "shipped", "via JNE", "JN123",
                                       "JNE"};
  s.add("ord_1", kT0 + 2000, shipped, "user:8");
  s.add("ord_1", kT0 + 3000, status("ord_1", "shipped", "shipped"));  // same status again
  s.add("ord_1", kT0 + 4000, status("ord_1", "shipped", "delivered"));
  orders_projection p;
  memory_store m;
  for (size_t i = 0; i < s.events.size(); ++i) {
    ASSERT_TRUE(p.apply(s.events[i], m));
    auto stored = m.get("o/ord_1");
    ASSERT_TRUE(stored);
    auto rec = decode_record<order_record>(*stored);
    ASSERT_TRUE(rec) << "after event " << i;
    EXPECT_EQ(encode_record(*rec), *stored) << "after event " << i;
    EXPECT_EQ(rec->timeline.size(), i + 1);
  }
  auto o = orders_query::get(m, "ord_1");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, "delivered");
  EXPECT_EQ(o->tracking_number, "JN123");  // kept by the changes that carry none
  EXPECT_EQ(o->courier, "JNE");
  EXPECT_EQ(o->updated_at, format_rfc3339(from_micros(kT0 + 4000)));
  EXPECT_EQ(o->created_us, kT0);
  EXPECT_EQ(o->note, "kirim sore");
  ASSERT_EQ(o->items.size(), 2u);
  EXPECT_EQ(o->items[1].name, "Teh \"Melati\"");
  EXPECT_TRUE(o->items[1].backorder);
  EXPECT_EQ(o->flags, (std::vector<std::string>{"unknown_sku", "backorder"}));
  EXPECT_EQ(o->payment.method, "virtual_account");
  EXPECT_EQ(o->customer.city, "Bandung");
  ASSERT_EQ(o->timeline.size(), 5u);
  EXPECT_EQ(o->timeline[0].actor, "user:7");
  EXPECT_EQ(o->timeline[2].status, "shipped");
  EXPECT_EQ(o->timeline[2].note, "via JNE");
  EXPECT_EQ(o->timeline[2].actor, "user:8");
  EXPECT_EQ(o->timeline[2].position, "2");
  EXPECT_EQ(o->timeline[4].status, "delivered");
  // The indexes moved with the status: one entry under delivered, none left elsewhere.
  EXPECT_EQ(orders_query::list(m, {.status = "delivered"}).items.size(), 1u);
  for (const char* st : {"pending", "processed", "shipped"})
    EXPECT_TRUE(orders_query::list(m, {.status = st}).items.empty()) << st;
  auto counts = orders_query::count_by_status(m);
  EXPECT_EQ(counts[3], (std::pair<std::string, int64_t>{"delivered", 1}));
  EXPECT_EQ(counts[2], (std::pair<std::string, int64_t>{"shipped", 0}));
}

// An order stored as JSON by an older version still takes status changes.
TEST(OrdersReadModel, StatusChangeOnAnOrderStoredAsJson) {
  sequence s;
  s.add("ord_1", kT0, order("ord_1", "cus_1", 90000));
  s.add("ord_1", kT0 + 1000, status("ord_1", "pending", "cancelled"));
  orders_projection p;
  memory_store m;
  ASSERT_TRUE(p.apply(s.events[0], m));
  auto rec = orders_query::get(m, "ord_1");
  ASSERT_TRUE(rec);
  m.put("o/ord_1", events::encode_payload(*rec));  // JSON, as version 1 stored it
  ASSERT_TRUE(p.apply(s.events[1], m));
  auto o = orders_query::get(m, "ord_1");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status, "cancelled");
  EXPECT_EQ(o->timeline.size(), 2u);
  EXPECT_EQ(orders_query::list(m, {.status = "cancelled"}).items.size(), 1u);
  EXPECT_TRUE(orders_query::list(m, {.status = "pending"}).items.empty());
}

TEST(OrdersReadModel, CursorPagesThroughEverythingOnce) {
  sequence s;
  for (int i = 0; i < 23; ++i) {
    std::string id = "ord_" + std::to_string(100 + i);
    s.add(id, kT0 + i * 1000, order(id, "cus_1", 1000));
  }
  orders_projection p;
  memory_store m;
  s.fold(p, m);
  std::vector<std::string> seen;
  order_filter f{.limit = 5};
  for (int page = 0; page < 10; ++page) {
    auto r = orders_query::list(m, f);
    for (auto& o : r.items) seen.push_back(o.id);
    if (r.next_cursor.empty()) break;
    f.cursor = r.next_cursor;
  }
  ASSERT_EQ(seen.size(), 23u);
  EXPECT_EQ(seen.front(), "ord_122");
  EXPECT_EQ(seen.back(), "ord_100");
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
}

TEST(OrdersReadModel, FiltersByTimeRangeAndSearch) {
  sequence s;
  s.add("ord_a", kT0, order("ord_a", "cus_1", 1));
  s.add("ord_b", kT0 + kDay, order("ord_b", "cus_1", 1));
  s.add("ord_c", kT0 + 2 * kDay, order("ord_c", "cus_1", 1));
  orders_projection p;
  memory_store m;
  s.fold(p, m);
  auto r = orders_query::list(m, {.from_us = kT0 + kDay, .to_us = kT0 + 2 * kDay});
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].id, "ord_b");
  EXPECT_EQ(orders_query::list(m, {.q = "EXT-ORD_C"}).items.size(), 1u);
}

// ---------------------------------------------------------------- customers

TEST(CustomersReadModel, TotalsAndSegmentsFromOrders) {
  sequence s;
  s.add("cus_1", kT0, customer("cus_1", "+6281111111111", "Budi123"));
  for (int i = 0; i < 4; ++i) {
    std::string id = "ord_" + std::to_string(i);
    s.add(id, kT0 + (i + 1) * kDay, order(id, "cus_1", 300'000));
  }
  s.add("cus_1", kT0 + 5 * kDay, events::customer_renamed{"cus_1", "Budi Santoso"});
  customers_projection p;
  memory_store m;
  s.fold(p, m);
  auto c = customers_query::get(m, "cus_1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "Budi Santoso");
  EXPECT_EQ(c->order_count, 4);
  EXPECT_EQ(c->total_spent, 1'200'000);
  EXPECT_EQ(c->segments, (std::vector<std::string>{"big_spender", "loyal", "new_member"}));
  EXPECT_EQ(c->primary_segment, "big_spender");
  EXPECT_EQ(customers_query::by_phone(m, "+6281111111111"), "cus_1");
  EXPECT_EQ(customers_query::list(m, {.segment = "loyal"}).items.size(), 1u);
  EXPECT_EQ(customers_query::list(m, {.segment = "regular"}).items.size(), 0u);
}

// A customer is rewritten with every order: what is a function of its other fields (the
// formatted times, the primary segment) is not stored but filled in when it is read, from the
// binary record and from the JSON of version 1 stores alike.
TEST(CustomersReadModel, StoresNoFormattedTimesAndReadsThemBack) {
  sequence s;
  s.add("cus_1", kT0, customer("cus_1", "+6281111111111", "Budi"));
  s.add("ord_1", kT0 + kDay, order("ord_1", "cus_1", 300'000));
  s.add("ord_2", kT0 + 2 * kDay, order("ord_2", "cus_1", 900'000));
  customers_projection p;
  memory_store m;
  s.fold(p, m);
  const std::string stored = *m.get("c/cus_1");
  EXPECT_EQ(stored.find("2026-11"), std::string::npos) << "a formatted time is stored";
  EXPECT_EQ(stored.find("big_spender"), stored.rfind("big_spender")) << "segment stored twice";
  auto c = customers_query::get(m, "cus_1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->created_at, "2026-11-01T00:00:00Z");
  EXPECT_EQ(c->first_order_at, "2026-11-02T00:00:00Z");
  EXPECT_EQ(c->last_order_at, "2026-11-03T00:00:00Z");
  EXPECT_EQ(c->primary_segment, "big_spender");
  // The JSON of a version 1 store: its stored strings are recomputed all the same.
  auto j = decode_record<customer_record>(
      R"({"id":"cus_9","first_seen_us":1793491200000000,"first_order_us":0,)"
      R"("last_order_us":1793577600000000,"segments":["loyal","new_member"],)"
      R"("created_at":"stale","primary_segment":"stale"})");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->created_at, "2026-11-01T00:00:00Z");
  EXPECT_EQ(j->first_order_at, "");
  EXPECT_EQ(j->last_order_at, "2026-11-02T00:00:00Z");
  EXPECT_EQ(j->primary_segment, "loyal");
}

TEST(CustomersReadModel, CancelledOrdersCountForNothing) {
  sequence s;
  s.add("cus_1", kT0, customer("cus_1", "+6281111111111", "Ani"));
  s.add("ord_1", kT0 + 1, order("ord_1", "cus_1", 900'000));
  s.add("ord_2", kT0 + 2, order("ord_2", "cus_1", 200'000));
  s.add("ord_2", kT0 + 3, status("ord_2", "pending", "cancelled"));
  s.add("ord_2", kT0 + 4, status("ord_2", "cancelled", "cancelled"));  // twice: no effect
  customers_projection p;
  memory_store m;
  s.fold(p, m);
  auto c = customers_query::get(m, "cus_1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->order_count, 1);
  EXPECT_EQ(c->total_spent, 900'000);
  EXPECT_EQ(c->last_order_us, kT0 + 1);
  EXPECT_EQ(std::find(c->segments.begin(), c->segments.end(), "big_spender"), c->segments.end());
}

TEST(CustomersReadModel, TimePassingThroughTheLogChangesSegments) {
  sequence s;
  s.add("cus_1", kT0, customer("cus_1", "+6281111111111", "Citra"));
  s.add("ord_1", kT0 + kDay, order("ord_1", "cus_1", 10'000));
  customers_projection p;
  memory_store m;
  s.fold(p, m);
  EXPECT_EQ(customers_query::get(m, "cus_1")->segments, std::vector<std::string>{"new_member"});

  // No tick yet at day 31: nothing changes by itself (no wall clock in the fold).
  sequence later;
  later.events = s.events;
  later.add("clock", kT0 + 31 * kDay, events::clock_ticked{});
  memory_store m2;
  later.fold(p, m2);
  EXPECT_EQ(customers_query::get(m2, "cus_1")->segments, std::vector<std::string>{"regular"});

  later.add("clock", kT0 + kDay + 60 * kDay, events::clock_ticked{});  // exactly 60 days
  memory_store m3;
  later.fold(p, m3);
  EXPECT_EQ(customers_query::get(m3, "cus_1")->segments, std::vector<std::string>{"regular"});
  later.add("clock", kT0 + kDay + 60 * kDay + 60'000'000, events::clock_ticked{});
  memory_store m4;
  later.fold(p, m4);
  EXPECT_EQ(customers_query::get(m4, "cus_1")->segments, std::vector<std::string>{"inactive"});
  EXPECT_EQ(customers_query::list(m4, {.segment = "inactive"}).items.size(), 1u);

  // A new order makes them active again.
  later.add("ord_2", kT0 + 70 * kDay, order("ord_2", "cus_1", 10'000));
  memory_store m5;
  later.fold(p, m5);
  EXPECT_EQ(customers_query::get(m5, "cus_1")->segments, std::vector<std::string>{"regular"});
}

TEST(CustomersReadModel, EachTickHandlesTheDueTimesSinceThePreviousTick) {
  // A tick starts its scan after the previous tick's time (meta/due_done); every due time
  // between two ticks is still handled by the second, whatever happened in between.
  sequence s;
  s.add("cus_a", kT0, customer("cus_a", "+6281111111111", "Ayu"));
  s.add("clock", kT0 + 10 * kDay, events::clock_ticked{});
  s.add("cus_b", kT0 + 12 * kDay, customer("cus_b", "+6282222222222", "Bayu"));
  s.add("clock", kT0 + 31 * kDay, events::clock_ticked{});  // a: no longer new (day 30)
  customers_projection p;
  memory_store m;
  s.fold(p, m);
  EXPECT_EQ(customers_query::get(m, "cus_a")->primary_segment, "regular");
  EXPECT_EQ(customers_query::get(m, "cus_b")->primary_segment, "new_member");
  // b's due time (day 42) passes between ticks, under other events; the next tick takes it.
  s.add("ord_1", kT0 + 43 * kDay, order("ord_1", "cus_a", 10'000));
  s.add("clock", kT0 + 44 * kDay, events::clock_ticked{});
  memory_store m2;
  s.fold(p, m2);
  EXPECT_EQ(customers_query::get(m2, "cus_b")->primary_segment, "regular");
  EXPECT_EQ(customers_query::list(m2, {.segment = "new_member"}).items.size(), 0u);
  // Ticks with nothing due, and a tick older than the latest event, change nothing.
  s.add("clock", kT0 + 44 * kDay + 60'000'000, events::clock_ticked{});
  s.add("clock", kT0 + 20 * kDay, events::clock_ticked{});
  memory_store m3;
  s.fold(p, m3);
  EXPECT_EQ(customers_query::get(m3, "cus_a")->primary_segment, "regular");
  EXPECT_EQ(customers_query::get(m3, "cus_b")->primary_segment, "regular");
  // a goes inactive 60 days after its order (day 103): still taken by a tick much later.
  s.add("clock", kT0 + 200 * kDay, events::clock_ticked{});
  memory_store m4;
  s.fold(p, m4);
  EXPECT_EQ(customers_query::get(m4, "cus_a")->primary_segment, "inactive");
}

TEST(CustomersReadModel, ThresholdsFromSettingsReevaluateEveryone) {
  sequence s;
  s.add("cus_1", kT0, customer("cus_1", "+6281111111111", "Dewi"));
  s.add("ord_1", kT0 + 1, order("ord_1", "cus_1", 600'000));
  events::settings_changed c;
  c.big_spender_min_spend = 500'000;
  s.add("settings", kT0 + 2, c);
  customers_projection p;
  memory_store m;
  s.fold(p, m);
  EXPECT_EQ(customers_query::get(m, "cus_1")->primary_segment, "big_spender");
}

TEST(CustomersReadModel, ConvergesWhateverTheCrossStreamOrder) {
  // Kafka may deliver the customer's and the orders' partitions in any interleaving; the
  // per-stream order is kept. Every interleaving must give the same read model.
  sequence s;
  s.add("cus_1", kT0, customer("cus_1", "+6281111111111", "Eko", "Surabaya"));
  s.add("ord_1", kT0 + 10, order("ord_1", "cus_1", 400'000));
  s.add("ord_2", kT0 + 20, order("ord_2", "cus_1", 700'000));
  s.add("ord_2", kT0 + 30, status("ord_2", "pending", "cancelled"));
  s.add("cus_1", kT0 + 40, events::customer_renamed{"cus_1", "Eko P."});
  s.add("clock", kT0 + 35 * kDay, events::clock_ticked{});
  customers_projection p;
  memory_store reference;
  s.fold(p, reference);

  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    // Shuffle, then restore each stream's own order.
    std::vector<size_t> idx(s.events.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::shuffle(idx.begin(), idx.end(), rng);
    std::map<std::string, std::vector<size_t>> by_stream;
    for (size_t i = 0; i < s.events.size(); ++i) by_stream[s.events[i].event.stream].push_back(i);
    std::map<std::string, size_t> next;
    sequence shuffled;
    for (size_t i : idx) {
      const auto& stream = s.events[i].event.stream;
      shuffled.events.push_back(s.events[by_stream[stream][next[stream]++]]);
    }
    memory_store m;
    shuffled.fold(p, m);
    EXPECT_EQ(m.data(), reference.data()) << "round " << round;
  }
}

TEST(CustomersReadModel, TopAndGeo) {
  sequence s;
  s.add("cus_1", kT0, customer("cus_1", "+6281111111111", "A", "Bandung"));
  s.add("cus_2", kT0, customer("cus_2", "+6281111111112", "B", "Medan"));
  s.add("ord_1", kT0 + 1, order("ord_1", "cus_1", 100));
  s.add("ord_2", kT0 + 2, order("ord_2", "cus_2", 500));
  s.add("ord_3", kT0 + 3, order("ord_3", "cus_2", 500));
  customers_projection p;
  memory_store m;
  s.fold(p, m);
  auto top = customers_query::top(m, "spend", 10);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, "cus_2");
  auto geo = customers_query::geo(m);
  ASSERT_EQ(geo.size(), 2u);
  int64_t revenue = 0;
  for (auto& g : geo) revenue += g.revenue;
  EXPECT_EQ(revenue, 1100);
}

// ---------------------------------------------------------------- catalog

events::product_defined product(std::string id, std::string sku, int64_t min_stock) {
  events::product_defined p;
  p.product_id = std::move(id);
  p.sku = std::move(sku);
  p.name = "Kopi Bubuk 250g";
  p.price = 45000;
  p.cost = 30000;
  p.min_stock = min_stock;
  p.cross_sell = "Kak, sekalian Gula Aren-nya biar makin nikmat!";
  return p;
}

TEST(CatalogReadModel, ReservesShipsAndReleases) {
  sequence s;
  s.add("prd_1", kT0, product("prd_1", "KOPI-250", 5));
  s.add("prd_1", kT0 + 1, events::stock_adjusted{"prd_1", "main", 20, "received"});
  s.add("ord_1", kT0 + 2,
        order("ord_1", "cus_1", 90000, {{"prd_1", "KOPI-250", "Kopi", 3, 45000, false, false}}));
  s.add("ord_2", kT0 + 3,
        order("ord_2", "cus_1", 45000, {{"prd_1", "KOPI-250", "Kopi", 10, 45000, false, false}}));
  catalog_projection p;
  memory_store m;
  s.fold(p, m);
  auto pr = catalog_query::get(m, "prd_1");
  ASSERT_TRUE(pr);
  EXPECT_EQ(pr->on_hand, 20);
  EXPECT_EQ(pr->reserved, 13);
  EXPECT_EQ(pr->available, 7);
  EXPECT_FALSE(pr->below_min);

  s.add("ord_1", kT0 + 4, status("ord_1", "pending", "shipped"));
  s.add("ord_1", kT0 + 5, status("ord_1", "shipped", "delivered"));  // no second decrease
  s.add("ord_2", kT0 + 6, status("ord_2", "pending", "cancelled"));
  memory_store m2;
  s.fold(p, m2);
  pr = catalog_query::get(m2, "prd_1");
  EXPECT_EQ(pr->on_hand, 17);
  EXPECT_EQ(pr->reserved, 0);
  EXPECT_EQ(pr->available, 17);
}

// An order's stock moves patch the product's counters in the stored bytes (catalog.cc,
// patch_product_counters): after every event the stored record is what encoding the decoded
// record gives, its counters are right, and the below-minimum list follows them. A product an
// order mentions before it is defined takes the decoding path, and is patched afterwards.
TEST(CatalogReadModel, OrderStockMovesPatchTheCountersAsAWholeEncodeWould) {
  sequence s;
  s.add("prd_1", kT0, product("prd_1", "KOPI-250", 5));
  s.add("prd_1", kT0 + 1, events::stock_adjusted{"prd_1", "main", 8, "received"});
  auto item = [](const char* id, int64_t qty) {
    return events::order_item{id, "SKU", "Barang", qty, 45000, false, false};
  };
  s.add("ord_1", kT0 + 2, order("ord_1", "cus_1", 90000, {item("prd_1", 2)}));
  s.add("ord_2", kT0 + 3, order("ord_2", "cus_1", 90000, {item("prd_1", 2), item("prd_9", 1)}));
  s.add("ord_2", kT0 + 4, status("ord_2", "pending", "cancelled"));
  s.add("ord_3", kT0 + 5, order("ord_3", "cus_2", 90000, {item("prd_1", 3), item("prd_9", 4)}));
  s.add("prd_9", kT0 + 6, product("prd_9", "GULA-1", 1));
  s.add("ord_1", kT0 + 7, status("ord_1", "pending", "shipped"));
  s.add("ord_3", kT0 + 8, status("ord_3", "pending", "shipped"));
  struct counters {
    int64_t on_hand, reserved;
    bool low;
  };
  // prd_1 after each event (min 5, 8 received).
  const std::vector<counters> want = {{0, 0, true},  {8, 0, false}, {8, 2, false}, {8, 4, true},
                                      {8, 2, false}, {8, 5, true},  {8, 5, true},  {6, 3, true},
                                      {3, 0, true}};
  ASSERT_EQ(want.size(), s.events.size());
  catalog_projection p;
  memory_store m;
  for (size_t i = 0; i < s.events.size(); ++i) {
    ASSERT_TRUE(p.apply(s.events[i], m));
    for (const char* id : {"prd_1", "prd_9"}) {
      auto stored = m.get(key("p", id));
      if (!stored) continue;
      auto rec = decode_record<product_record>(*stored);
      ASSERT_TRUE(rec) << id << " after event " << i;
      EXPECT_EQ(encode_record(*rec), *stored) << id << " after event " << i;
      EXPECT_EQ(rec->available, rec->on_hand - rec->reserved) << id << " after event " << i;
      EXPECT_EQ(rec->below_min, rec->defined && rec->available < rec->min_stock);
      EXPECT_EQ(m.get(key("low", id)).has_value(), rec->below_min) << id << " after event " << i;
    }
    auto p1 = catalog_query::get(m, "prd_1");
    ASSERT_TRUE(p1);
    EXPECT_EQ(p1->on_hand, want[i].on_hand) << "after event " << i;
    EXPECT_EQ(p1->reserved, want[i].reserved) << "after event " << i;
    EXPECT_EQ(p1->below_min, want[i].low) << "after event " << i;
  }
  auto p9 = catalog_query::get(m, "prd_9");
  ASSERT_TRUE(p9);
  EXPECT_EQ(p9->sku, "GULA-1");
  EXPECT_EQ(p9->on_hand, -4);  // shipped before any was received: counted, not refused
  EXPECT_EQ(p9->reserved, 0);
}

TEST(CatalogReadModel, BelowMinimumListAndTransfers) {
  sequence s;
  s.add("prd_1", kT0, product("prd_1", "KOPI-250", 5));
  s.add("prd_2", kT0, product("prd_2", "GULA-1", 2));
  s.add("prd_1", kT0 + 1, events::stock_adjusted{"prd_1", "main", 4, "received"});
  s.add("prd_2", kT0 + 1, events::stock_adjusted{"prd_2", "main", 10, "received"});
  s.add("warehouse-bdg", kT0 + 2, events::warehouse_created{"bdg", "Gudang Bandung"});
  s.add("prd_2", kT0 + 3, events::stock_transferred{"prd_2", "main", "bdg", 6});
  catalog_projection p;
  memory_store m;
  s.fold(p, m);
  auto low = catalog_query::below_min(m);
  ASSERT_EQ(low.size(), 1u);
  EXPECT_EQ(low[0].sku, "KOPI-250");
  auto rows = catalog_query::stock_of(m, "prd_2");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].warehouse, "bdg");
  EXPECT_EQ(rows[0].on_hand, 6);
  EXPECT_EQ(rows[1].on_hand, 4);
  EXPECT_EQ(catalog_query::get(m, "prd_2")->on_hand, 10);
  EXPECT_EQ(catalog_query::stock(m, "bdg", false).size(), 1u);
  EXPECT_EQ(catalog_query::warehouses(m).size(), 2u);
  EXPECT_EQ(catalog_query::by_sku(m, "GULA-1"), "prd_2");
}

TEST(CatalogReadModel, SkuChangeMovesTheIndexAndFiltersWork) {
  sequence s;
  s.add("prd_1", kT0, product("prd_1", "KOPI-250", 0));
  events::product_updated u;
  u.product_id = "prd_1";
  u.sku = "KOPI-250G";
  u.price = 47000;
  s.add("prd_1", kT0 + 1, u);
  catalog_projection p;
  memory_store m;
  s.fold(p, m);
  EXPECT_FALSE(catalog_query::by_sku(m, "KOPI-250"));
  EXPECT_EQ(catalog_query::by_sku(m, "KOPI-250G"), "prd_1");
  EXPECT_EQ(catalog_query::get(m, "prd_1")->price, 47000);
  EXPECT_EQ(catalog_query::list(m, {.max_price = 46000}).items.size(), 0u);
  EXPECT_EQ(catalog_query::list(m, {.q = "kopi"}).items.size(), 1u);
  EXPECT_EQ(catalog_query::list(m, {.in_stock_only = true}).items.size(), 0u);
}

// ---------------------------------------------------------------- daily

TEST(DailyReadModel, BucketsByJakartaDayAndUndoesCancels) {
  sequence s;
  // 2026-11-01T16:59:59Z is 23:59:59 WIB on Nov 1; 17:00:00Z is Nov 2 in Jakarta.
  int64_t before_midnight = kT0 + 16 * 3600'000'000LL + 3599'000'000LL;
  int64_t after_midnight = kT0 + 17 * 3600'000'000LL;
  s.add("cus_1", kT0, customer("cus_1", "+6281111111111", "F"));
  s.add("ord_1", before_midnight,
        order("ord_1", "cus_1", 100, {{"prd_1", "A", "A", 2, 50, false, false}}));
  s.add("ord_2", after_midnight, order("ord_2", "cus_1", 300));
  s.add("ord_3", after_midnight + 1, order("ord_3", "cus_1", 50));
  s.add("ord_3", after_midnight + 2, status("ord_3", "pending", "cancelled"));
  daily_projection p;
  memory_store m;
  s.fold(p, m);
  auto d1 = daily_query::day(m, "2026-11-01");
  ASSERT_TRUE(d1);
  EXPECT_EQ(d1->orders, 1);
  EXPECT_EQ(d1->revenue, 100);
  EXPECT_EQ(d1->items_sold, 2);
  EXPECT_EQ(d1->new_customers, 1);
  auto d2 = daily_query::day(m, "2026-11-02");
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->orders, 1);
  EXPECT_EQ(d2->revenue, 300);
  EXPECT_EQ(d2->cancelled, 1);
  auto r = daily_query::range(m, "2026-10-31", "2026-11-03");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].orders, 0);
  EXPECT_EQ(r[2].revenue, 300);
}

// Folds read the settings with every order, decoded once per thread while the stored bytes
// stay the same (fold_util.h, load_shop_settings): two shops folded in turn on one thread, one
// in WIT (+9) and one on the default WIB (+7), each buckets by its own zone, and a change of
// zone is seen at the next order.
TEST(DailyReadModel, EachStoreUsesItsOwnSettingsWhenFoldedInTurn) {
  const int64_t t = kT0 + 16 * 3600'000'000LL;  // 23:00 WIB on Nov 1, 01:00 WIT on Nov 2
  events::settings_changed wit;
  wit.time_zone = "Asia/Jayapura";
  events::settings_changed wib;
  wib.time_zone = "Asia/Jakarta";
  sequence a, b;
  a.add("settings", kT0, wit);
  daily_projection p;
  memory_store ma, mb;
  for (const auto& e : a.events) ASSERT_TRUE(p.apply(e, ma));
  for (int i = 0; i < 3; ++i) {
    sequence o;
    o.add("ord_" + std::to_string(i), t + i, order("ord_" + std::to_string(i), "cus_1", 100));
    ASSERT_TRUE(p.apply(o.events[0], ma));
    ASSERT_TRUE(p.apply(o.events[0], mb));
  }
  EXPECT_EQ(daily_query::day(ma, "2026-11-02").value_or(daily_record{}).orders, 3);
  EXPECT_FALSE(daily_query::day(ma, "2026-11-01"));
  EXPECT_EQ(daily_query::day(mb, "2026-11-01").value_or(daily_record{}).orders, 3);
  EXPECT_FALSE(daily_query::day(mb, "2026-11-02"));
  // Back to WIB in the first shop: its next order counts on Nov 1.
  b.add("settings", t + 10, wib);
  b.add("ord_9", t + 11, order("ord_9", "cus_1", 100));
  for (const auto& e : b.events) ASSERT_TRUE(p.apply(e, ma));
  EXPECT_EQ(daily_query::day(ma, "2026-11-01").value_or(daily_record{}).orders, 1);
}

TEST(DailyReadModel, ForeignCurrencyIsNotRevenue) {
  sequence s;
  auto o = order("ord_1", "cus_1", 1999);
  o.currency = "USD";
  s.add("ord_1", kT0, o);
  daily_projection p;
  memory_store m;
  s.fold(p, m);
  auto d = daily_query::day(m, "2026-11-01");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->orders, 1);
  EXPECT_EQ(d->revenue, 0);
}

}  // namespace
}  // namespace roms::projections
