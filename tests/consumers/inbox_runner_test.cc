// The inbox runner over a real embedded log (consumers/inbox.h): decisions appended with
// derived ids, only forward from the origin, a restart or a replay appends nothing new, a
// crash between the append and the position write (the position set back) neither, time via
// clock.ticked (silent conversations close, idle agents go OFFLINE).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "consumers/derived_id.h"
#include "consumers/inbox.h"
#include "core/time.h"
#include "events/embedded_log.h"
#include "events/payload.h"
#include "events/types.h"
#include "tests/testing/temp_dir.h"

namespace roms::consumers {
namespace {

constexpr int64_t kMin = 60'000'000;
constexpr int64_t kT0 = 1'764'000'000'000'000;

class InboxRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    events::embedded_log_options o;
    o.sync = false;
    auto l = events::open_embedded_log(dir_.path() / "data", o);
    ASSERT_TRUE(l) << l.error().message;
    log_ = std::move(l).value();
  }

  template <class T>
  void append(const T& p, int64_t t, std::string actor, std::string stream = "s") {
    events::envelope e;
    e.id = events::new_event_id(from_micros(t));
    e.type = std::string(T::kType);
    e.version = T::kVersion;
    e.stream = std::move(stream);
    e.time = from_micros(t);
    e.actor = std::move(actor);
    e.payload = events::encode_payload(p);
    ASSERT_TRUE(log_->append(std::span<const events::envelope>(&e, 1)));
  }
  void message(const std::string& phone, const std::string& gid, int64_t t) {
    events::message_received m;
    m.message_id = derived_id("msg", gid);
    m.from = phone;
    m.text = "halo " + gid;
    m.gateway = "waha";
    m.gateway_message_id = gid;
    append(m, t, "webhook:waha", "wa:" + phone);
  }
  void online(const std::string& agent, int64_t seq, int64_t t, bool on = true) {
    append(events::agent_status_changed{agent, on ? "online" : "offline", "manual", seq}, t,
           "user:" + agent, agent);
  }
  void tick(int64_t t) { append(events::clock_ticked{}, t, "clock", "clock"); }

  std::vector<events::stored_event> all() {
    auto r = log_->open_reader({0});
    std::vector<events::stored_event> out;
    for (;;) {
      auto b = r.value()->read(1000, std::chrono::milliseconds(0));
      if (!b || b.value().empty()) break;
      for (auto& e : b.value()) out.push_back(std::move(e));
    }
    return out;
  }
  std::map<std::string, int> types() {
    std::map<std::string, int> n;
    for (const auto& e : all()) ++n[e.event.type];
    return n;
  }
  // conversation → agent, from the log's conversation.assigned events (last seq wins).
  std::map<std::string, std::string> assignments() {
    std::map<std::string, std::pair<int64_t, std::string>> m;
    for (const auto& e : all()) {
      if (e.event.type != events::conversation_assigned::kType) continue;
      auto a = events::decode_payload<events::conversation_assigned>(e.event.payload).value();
      auto& cur = m[a.conversation_id];
      if (a.seq > cur.first) cur = {a.seq, a.agent_id};
    }
    std::map<std::string, std::string> out;
    for (auto& [k, v] : m) out[k] = v.second;
    return out;
  }
  inbox_runner_options opts(bool zero = true) {
    inbox_runner_options o;
    o.state_dir = dir_.path() / "inbox";
    o.origin_at_zero = zero;
    return o;
  }

  testing::temp_dir dir_;
  std::unique_ptr<events::event_log> log_;
};

TEST_F(InboxRunner, AppendsDecisionsWithDerivedIdsAndARunAgainAppendsNothing) {
  online("usr_a", 1, kT0);
  online("usr_b", 1, kT0);
  for (int i = 0; i < 6; ++i)
    message("+62811" + std::to_string(i), "g" + std::to_string(i), kT0 + i);
  message("+628110", "g-again", kT0 + 10);
  {
    inbox_runner r(*log_, opts());
    ASSERT_TRUE(r.run_until_end());
    EXPECT_EQ(r.status().appended, 6u * 3 + 1);  // customer, opened, assigned ×6 + 1 link
  }
  auto n = types();
  EXPECT_EQ(n["conversation.opened"], 6);
  EXPECT_EQ(n["conversation.assigned"], 6);
  EXPECT_EQ(n["conversation.message_linked"], 1);
  EXPECT_EQ(n["customer.registered"], 6);
  std::map<std::string, int> per;
  for (auto& [c, a] : assignments()) ++per[a];
  EXPECT_EQ(per["usr_a"], 3);
  EXPECT_EQ(per["usr_b"], 3);
  const auto before = all().size();
  // A restart: folds again from 0, decides nothing new.
  {
    inbox_runner r(*log_, opts());
    ASSERT_TRUE(r.run_until_end());
    EXPECT_EQ(r.status().appended, 0u);
  }
  // A crash between the append and the position write: the position is behind.
  {
    inbox_runner r(*log_, opts());
    ASSERT_TRUE(r.reset_position({3}));
    ASSERT_TRUE(r.run_until_end());
    EXPECT_EQ(r.status().appended, 0u);
    EXPECT_GT(r.status().duplicates, 10u);
  }
  EXPECT_EQ(all().size(), before);
}

TEST_F(InboxRunner, OnlyForwardFromTheOriginOnFirstStart) {
  online("usr_a", 1, kT0);
  message("+6281200", "old", kT0 + 1);  // history: before the inbox existed
  {
    inbox_runner r(*log_, opts(/*zero=*/false));
    ASSERT_TRUE(r.run_until_end());
    EXPECT_EQ(r.status().appended, 0u);
  }
  message("+6281201", "new", kT0 + 2);
  inbox_runner r(*log_, opts(false));
  ASSERT_TRUE(r.run_until_end());
  EXPECT_EQ(types()["conversation.opened"], 1);
  EXPECT_EQ(assignments().begin()->second, "usr_a");  // the agent's status before the origin counts
}

TEST_F(InboxRunner, TicksCloseSilentConversationsAndTakeIdleAgentsOffline) {
  online("usr_a", 1, kT0);
  message("+6281300", "s1", kT0);
  for (int m = 1; m <= 10; ++m) tick(kT0 + m * kMin);  // no heartbeat: idle after 10 min
  events::inbox_settings_changed s;
  s.close_after_minutes = 30;
  append(s, kT0 + 11 * kMin, "user:usr_admin", "inbox");
  tick(kT0 + 30 * kMin);
  inbox_runner r(*log_, opts());
  ASSERT_TRUE(r.run_until_end());
  bool offline = false, closed = false;
  for (const auto& e : all()) {
    if (e.event.type == events::agent_status_changed::kType && e.event.actor == "inbox") {
      auto p = events::decode_payload<events::agent_status_changed>(e.event.payload).value();
      EXPECT_EQ(p.reason, "idle");
      EXPECT_EQ(to_micros(e.event.time), kT0 + 10 * kMin);  // the tick's time, not the clock's
      offline = true;
    }
    if (e.event.type == events::conversation_closed::kType) {
      auto p = events::decode_payload<events::conversation_closed>(e.event.payload).value();
      EXPECT_EQ(p.reason, "silent");
      EXPECT_EQ(to_micros(e.event.time), kT0 + 30 * kMin);
      closed = true;
    }
  }
  EXPECT_TRUE(offline);
  EXPECT_TRUE(closed);
  auto snap = r.snapshot();
  EXPECT_FALSE(snap.agents().at("usr_a").online);
  EXPECT_EQ(snap.open_conversations(), 0u);
}

TEST_F(InboxRunner, LiveTailingDecidesAsEventsArrive) {
  inbox_runner r(*log_, opts());
  ASSERT_TRUE(r.start());
  online("usr_a", 1, kT0);
  message("+6281400", "live", kT0 + 1);
  auto end = log_->stats().value().end_offsets[0];
  ASSERT_TRUE(r.wait_for({0, end - 1}, std::chrono::seconds(10)));
  r.stop();
  EXPECT_EQ(assignments().size(), 1u);
  EXPECT_EQ(assignments().begin()->second, "usr_a");
}

}  // namespace
}  // namespace roms::consumers
