// consumers/internal/read_ahead.h: the next batch is read (and its shared payloads decoded)
// while the caller folds the current one; order, filtering and errors are the reader's.
#include "consumers/internal/read_ahead.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "events/payload.h"
#include "events/types/order.h"

namespace roms::consumers::internal {
namespace {

using namespace std::chrono_literals;

events::stored_event placed(int64_t offset, std::string id) {
  events::order_placed p;
  p.order_id = std::move(id);
  p.customer_id = "cus_1";
  p.total = 1000 + offset;
  events::stored_event e;
  e.position = {0, offset};
  e.event.type = std::string(events::order_placed::kType);
  e.event.payload = events::encode_payload(p);
  return e;
}

events::stored_event other(int64_t offset) {
  events::stored_event e;
  e.position = {0, offset};
  e.event.type = "clock.ticked";
  e.event.payload = R"({"now":"2026-12-07T00:00:00Z"})";
  return e;
}

// Hands out scripted batches (or errors) and records each call.
class scripted_reader final : public events::log_reader {
 public:
  struct step {
    std::vector<events::stored_event> events;
    std::error_code error;
  };
  std::deque<step> steps;

  result<std::vector<events::stored_event>> read(size_t max, std::chrono::milliseconds wait) override {
    std::unique_lock lk(mu);
    ++calls;
    waits.push_back(wait);
    threads.push_back(std::this_thread::get_id());
    cv.notify_all();
    if (steps.empty()) return std::vector<events::stored_event>{};
    step s = std::move(steps.front());
    steps.pop_front();
    if (s.error) return s.error;
    EXPECT_LE(s.events.size(), max);
    return std::move(s.events);
  }
  std::vector<int64_t> next_offsets() const override { return {0}; }

  // Waits until read() was called `n` times in all.
  bool called(size_t n, std::chrono::milliseconds within = 2s) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, within, [&] { return calls >= n; });
  }

  std::mutex mu;
  std::condition_variable cv;
  size_t calls = 0;
  std::vector<std::chrono::milliseconds> waits;
  std::vector<std::thread::id> threads;
};

TEST(ReadAhead, ReadsTheNextBatchWhileTheCallerFoldsAndDecodesSharedPayloadsThere) {
  scripted_reader r;
  r.steps.push_back({{placed(0, "ord_1"), other(1)}, {}});
  r.steps.push_back({{placed(2, "ord_2")}, {}});
  read_ahead ahead(r, 100, /*decode_shared=*/true);

  auto b1 = ahead.next(50ms);
  ASSERT_TRUE(b1);
  ASSERT_EQ(b1.value().events.size(), 2u);
  EXPECT_EQ(b1.value().events[0].position.offset, 0);
  // The second batch is read without another next(), on another thread.
  ASSERT_TRUE(r.called(2));
  {
    std::lock_guard lk(r.mu);
    EXPECT_EQ(r.threads[0], std::this_thread::get_id());
    EXPECT_NE(r.threads[1], std::this_thread::get_id());
    EXPECT_EQ(r.waits[1], 0ms);  // reading ahead never waits for the log
  }
  // The first batch's shared payload is decoded, over exactly its events; others are not.
  auto& m1 = b1.value().memo;
  ASSERT_TRUE(m1);
  EXPECT_TRUE(m1->covers(b1.value().events));
  const auto* p = m1->find<events::order_placed>(b1.value().events[0]);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->order_id, "ord_1");
  EXPECT_EQ(m1->find<events::order_placed>(b1.value().events[1]), nullptr);

  auto b2 = ahead.next(50ms);
  ASSERT_TRUE(b2);
  ASSERT_EQ(b2.value().events.size(), 1u);
  EXPECT_EQ(b2.value().events[0].position.offset, 2);
  ASSERT_TRUE(b2.value().memo);
  EXPECT_NE(b2.value().memo->find<events::order_placed>(b2.value().events[0]), nullptr);
}

TEST(ReadAhead, FiltersBeforeDecodingAndDecodesNothingWhenNotAsked) {
  scripted_reader r;
  r.steps.push_back({{placed(0, "ord_1"), placed(1, "ord_2"), placed(2, "ord_3")}, {}});
  read_ahead ahead(r, 100, /*decode_shared=*/false,
                   [](std::vector<events::stored_event>& evs) {
                     if (evs.size() > 2) evs.resize(2);
                   });
  auto b = ahead.next(0ms);
  ASSERT_TRUE(b);
  EXPECT_EQ(b.value().events.size(), 2u);
  EXPECT_FALSE(b.value().memo);

  scripted_reader r2;
  r2.steps.push_back({{placed(0, "ord_1"), placed(1, "ord_2"), placed(2, "ord_3")}, {}});
  read_ahead decoding(r2, 100, /*decode_shared=*/true,
                      [](std::vector<events::stored_event>& evs) {
                        if (!evs.empty()) evs.erase(evs.begin());
                      });
  auto d = decoding.next(0ms);
  ASSERT_TRUE(d);
  ASSERT_EQ(d.value().events.size(), 2u);
  ASSERT_TRUE(d.value().memo);
  EXPECT_TRUE(d.value().memo->covers(d.value().events));
  const auto* p = d.value().memo->find<events::order_placed>(d.value().events[0]);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->order_id, "ord_2");  // the memo is over the filtered events
}

TEST(ReadAhead, AnEmptyReadAheadIsReadAgainWithTheCallersWait) {
  scripted_reader r;
  r.steps.push_back({{placed(0, "ord_1")}, {}});
  r.steps.push_back({{}, {}});                   // the read-ahead finds nothing yet
  r.steps.push_back({{placed(1, "ord_2")}, {}});  // what the waiting read gets
  read_ahead ahead(r, 100, true);
  ASSERT_TRUE(ahead.next(50ms));
  auto b = ahead.next(50ms);
  ASSERT_TRUE(b);
  ASSERT_EQ(b.value().events.size(), 1u);
  EXPECT_EQ(b.value().events[0].position.offset, 1);
  std::lock_guard lk(r.mu);
  ASSERT_GE(r.waits.size(), 3u);
  EXPECT_EQ(r.waits[2], 50ms);
}

TEST(ReadAhead, AnErrorIsReturnedInOrderAndNothingIsReadAheadOfIt) {
  scripted_reader r;
  r.steps.push_back({{placed(0, "ord_1")}, {}});
  r.steps.push_back({{}, std::make_error_code(std::errc::io_error)});
  r.steps.push_back({{placed(1, "ord_2")}, {}});
  read_ahead ahead(r, 100, true);
  ASSERT_TRUE(ahead.next(0ms));
  ASSERT_TRUE(r.called(2));
  auto e = ahead.next(0ms);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), std::make_error_code(std::errc::io_error));
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard lk(r.mu);
    EXPECT_EQ(r.calls, 2u);  // not read past the error until asked again
  }
  auto b = ahead.next(0ms);
  ASSERT_TRUE(b);
  ASSERT_EQ(b.value().events.size(), 1u);
  EXPECT_EQ(b.value().events[0].position.offset, 1);
}

}  // namespace
}  // namespace roms::consumers::internal
