// Payloads decoded once per fold batch (projections/payload_memo.h) and decode_shared()'s use
// of it (read_models/fold_util.h).
#include "projections/payload_memo.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "events/payload.h"
#include "events/types/order.h"
#include "projections/read_models/fold_util.h"

namespace roms::projections {
namespace {

events::stored_event status_event(int64_t off, std::string order_id, std::string to) {
  events::stored_event e;
  e.position = {0, off};
  e.event.type = std::string(events::order_status_changed::kType);
  e.event.version = 1;
  e.event.id = "e" + std::to_string(off);
  e.event.stream = "order-" + order_id;
  events::order_status_changed p;
  p.order_id = std::move(order_id);
  p.from = "pending";
  p.to = std::move(to);
  e.event.payload = events::encode_payload(p);
  return e;
}

TEST(PayloadMemo, KeepsTheFirstValueOfferedPerEventAndOnlyForItsBatch) {
  std::vector<events::stored_event> evs{status_event(0, "o1", "shipped"),
                                        status_event(1, "o2", "cancelled")};
  payload_memo m(evs);
  EXPECT_EQ(m.find<events::order_status_changed>(evs[0]), nullptr);
  events::order_status_changed a;
  a.order_id = "o1";
  const auto* kept = m.offer(evs[0], std::move(a));
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->order_id, "o1");
  EXPECT_EQ(m.find<events::order_status_changed>(evs[0]), kept);
  // A second offer for the same event answers the first value.
  events::order_status_changed b;
  b.order_id = "other";
  EXPECT_EQ(m.offer(evs[0], std::move(b)), kept);
  // Another type for the same event is not shared, and the offered value stays with the caller.
  events::order_placed placed;
  placed.order_id = "kept by the caller";
  EXPECT_EQ(m.offer(evs[0], std::move(placed)), nullptr);
  EXPECT_EQ(placed.order_id, "kept by the caller");
  EXPECT_EQ(m.find<events::order_placed>(evs[0]), nullptr);
  // An event outside the batch (a copy) is not remembered.
  events::stored_event outside = evs[1];
  events::order_status_changed c;
  c.order_id = "o2";
  EXPECT_EQ(m.offer(outside, std::move(c)), nullptr);
  EXPECT_EQ(c.order_id, "o2");
  EXPECT_EQ(m.find<events::order_status_changed>(evs[1]), nullptr);
}

TEST(PayloadMemo, DecodeSharedParsesOnceAndHandsOutTheSharedCopyWhileAMemoIsInstalled) {
  std::vector<events::stored_event> evs{status_event(0, "o1", "shipped")};
  payload_memo m(evs);
  EXPECT_EQ(payload_memo::current(), nullptr);
  {
    payload_memo::scope use(&m);
    EXPECT_EQ(payload_memo::current(), &m);
    auto first = decode_shared<events::order_status_changed>(evs[0]);
    ASSERT_TRUE(first);
    EXPECT_EQ(first.value()->to, "shipped");
    const auto* kept = m.find<events::order_status_changed>(evs[0]);
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(&*first.value(), kept);  // the shared copy itself, not a copy of it
    // The memo answers from now on: a payload changed behind it is not parsed again.
    evs[0].event.payload = "{not json";
    auto second = decode_shared<events::order_status_changed>(evs[0]);
    ASSERT_TRUE(second);
    EXPECT_EQ(second.value()->order_id, "o1");
    EXPECT_EQ(&*second.value(), kept);
  }
  EXPECT_EQ(payload_memo::current(), nullptr);
  // Without a memo the event is parsed (and the broken payload is an error naming it).
  auto third = decode_shared<events::order_status_changed>(evs[0]);
  ASSERT_FALSE(third);
  EXPECT_NE(third.error().message.find("order.status_changed"), std::string::npos);
}

TEST(PayloadMemo, ConcurrentDecodersAgreeOnOneValue) {
  std::vector<events::stored_event> evs;
  for (int i = 0; i < 2000; ++i) evs.push_back(status_event(i, "o" + std::to_string(i), "processed"));
  payload_memo m(evs);
  std::vector<std::vector<const events::order_status_changed*>> seen(4);
  std::vector<std::thread> ts;
  for (size_t t = 0; t < seen.size(); ++t) {
    ts.emplace_back([&, t] {
      payload_memo::scope use(&m);
      for (const auto& e : evs) {
        auto r = decode_shared<events::order_status_changed>(e);
        ASSERT_TRUE(r);
        ASSERT_EQ(r.value()->order_id, "o" + std::to_string(e.position.offset));
        seen[t].push_back(&*r.value());
      }
    });
  }
  for (auto& t : ts) t.join();
  for (size_t t = 1; t < seen.size(); ++t) EXPECT_EQ(seen[t], seen[0]);
}

}  // namespace
}  // namespace roms::projections
