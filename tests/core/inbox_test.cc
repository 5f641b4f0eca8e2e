// The CS inbox's pure decisions (core/inbox.h): round robin over ONLINE agents, nobody online →
// the unassigned queue shared when someone comes online, OFFLINE agents get none, Admin
// reassignment, closing (resolved, silent), agents going OFFLINE (session ended, idle), the
// capacity cap, reassignment after no reply, lost races settled by seq, and replay = the same
// decisions with the same keys.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/inbox.h"

namespace roms::inbox {
namespace {

constexpr int64_t kMin = 60'000'000;
constexpr int64_t kT0 = 1'764'000'000'000'000;  // some day in 2025, µs

std::string fake_id(std::string_view prefix, std::string_view key) {
  return std::string(prefix) + "_" + std::string(key);
}

// A log in memory: every event applied is kept (with the decisions appended after it), so a
// second state can fold exactly the same sequence.
class harness {
 public:
  harness() : s(fake_id) {}

  std::vector<output> apply(payload p, int64_t t, std::string actor = "webhook:waha") {
    input in{"ev" + std::to_string(++n_), t, std::move(actor), std::move(p)};
    log.push_back(in);
    auto out = s.apply(in);
    // The decisions go into the log after the event that caused them, as the runner does.
    for (const auto& o : out) {
      input rec{"out:" + o.key, t, "inbox", {}};
      std::visit([&](const auto& b) { rec.body = to_payload(b); }, o.body);
      if (!std::holds_alternative<std::monostate>(rec.body)) log.push_back(rec);
    }
    for (const auto& o : out) keys.push_back(o.key);
    return out;
  }

  std::vector<output> message(const std::string& phone, int64_t t, std::string text = "halo") {
    events::message_received m;
    m.message_id = "msg" + std::to_string(++msgs_);
    m.from = phone;
    m.text = std::move(text);
    return apply(m, t);
  }
  std::vector<output> status(const std::string& agent, bool online, int64_t t) {
    auto it = s.agents().find(agent);
    int64_t seq = it == s.agents().end() ? 1 : it->second.status_seq + 1;
    events::agent_status_changed c{agent, online ? "online" : "offline", "manual", seq};
    return apply(c, t, "user:" + agent);
  }
  std::vector<output> tick(int64_t t) { return apply(events::clock_ticked{}, t, "clock"); }

  // Agent of each conversation opened so far, in opening order.
  std::vector<std::string> assignments() const {
    std::vector<std::string> out;
    for (const auto& id : opened)
      out.push_back(s.conversation(id) ? s.conversation(id)->agent : "?");
    return out;
  }

  static payload to_payload(const events::customer_registered& b) { return b; }
  static payload to_payload(const events::conversation_opened& b) { return b; }
  static payload to_payload(const events::conversation_message_linked& b) { return b; }
  static payload to_payload(const events::conversation_assigned& b) { return b; }
  static payload to_payload(const events::conversation_closed& b) { return b; }
  static payload to_payload(const events::agent_status_changed& b) { return b; }

  state s;
  std::vector<input> log;
  std::vector<std::string> keys;
  std::vector<std::string> opened;

 private:
  int n_ = 0;
  int msgs_ = 0;
};

template <class T>
std::vector<T> of(const std::vector<output>& out) {
  std::vector<T> v;
  for (const auto& o : out)
    if (auto p = std::get_if<T>(&o.body)) v.push_back(*p);
  return v;
}

std::string open_new(harness& h, const std::string& phone, int64_t t) {
  auto out = h.message(phone, t);
  auto o = of<events::conversation_opened>(out);
  EXPECT_EQ(o.size(), 1u);
  if (o.empty()) return "";
  h.opened.push_back(o[0].conversation_id);
  return o[0].conversation_id;
}

TEST(Inbox, NewConversationsGoRoundRobinOverOnlineAgents) {
  harness h;
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  h.status("usr_c", true, kT0);
  for (int i = 0; i < 7; ++i) open_new(h, "+62811000" + std::to_string(i), kT0 + i);
  EXPECT_EQ(h.assignments(), (std::vector<std::string>{"usr_a", "usr_b", "usr_c", "usr_a", "usr_b",
                                                       "usr_c", "usr_a"}));
  EXPECT_EQ(h.s.agents().at("usr_a").open, 3);
  EXPECT_EQ(h.s.agents().at("usr_b").open, 2);
}

TEST(Inbox, FollowUpMessagesJoinTheOpenConversation) {
  harness h;
  h.status("usr_a", true, kT0);
  auto first = h.message("+6281100", kT0);
  ASSERT_EQ(of<events::customer_registered>(first).size(), 1u);  // an unknown phone
  ASSERT_EQ(of<events::conversation_opened>(first).size(), 1u);
  ASSERT_EQ(of<events::conversation_assigned>(first).size(), 1u);
  const auto conv = of<events::conversation_opened>(first)[0].conversation_id;
  EXPECT_EQ(of<events::conversation_opened>(first)[0].customer_id, "cus_phone:+6281100");
  auto second = h.message("+6281100", kT0 + 1, "ada warna lain?");
  ASSERT_EQ(second.size(), 1u);
  auto l = of<events::conversation_message_linked>(second);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].conversation_id, conv);
  EXPECT_EQ(l[0].preview, "ada warna lain?");
}

TEST(Inbox, KnownCustomersAreMatchedByPhone) {
  harness h;
  events::customer_registered c;
  c.customer_id = "cus_budi";
  c.phone = "+6281234";
  h.apply(c, kT0, "user:usr_admin");
  auto out = h.message("+6281234", kT0 + 1);
  EXPECT_TRUE(of<events::customer_registered>(out).empty());
  ASSERT_EQ(of<events::conversation_opened>(out).size(), 1u);
  EXPECT_EQ(of<events::conversation_opened>(out)[0].customer_id, "cus_budi");
}

TEST(Inbox, OfflineAgentsGetNone) {
  harness h;
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  h.status("usr_b", false, kT0 + 1);
  for (int i = 0; i < 4; ++i) open_new(h, "+62812" + std::to_string(i), kT0 + 2 + i);
  EXPECT_EQ(h.assignments(), (std::vector<std::string>(4, "usr_a")));
}

TEST(Inbox, NobodyOnlineQueuesThenSharesTheQueueWhenSomeoneComesOnline) {
  harness h;
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  h.status("usr_a", false, kT0 + 1);
  h.status("usr_b", false, kT0 + 1);
  for (int i = 0; i < 5; ++i) open_new(h, "+62813" + std::to_string(i), kT0 + 2 + i);
  EXPECT_EQ(h.s.unassigned().size(), 5u);
  EXPECT_EQ(h.assignments(), (std::vector<std::string>(5, "")));
  // a comes online: everything waiting goes to the agents online (only a).
  auto out = h.status("usr_a", true, kT0 + 10);
  EXPECT_EQ(of<events::conversation_assigned>(out).size(), 5u);
  for (const auto& a : of<events::conversation_assigned>(out)) EXPECT_EQ(a.reason, "came_online");
  EXPECT_TRUE(h.s.unassigned().empty());
}

TEST(Inbox, TheQueueIsSharedRoundRobinAmongTheAgentsOnline) {
  harness h;
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  h.status("usr_b", false, kT0);
  h.status("usr_a", false, kT0);
  for (int i = 0; i < 4; ++i) open_new(h, "+62814" + std::to_string(i), kT0 + 1 + i);
  h.status("usr_b", true, kT0 + 5);  // b takes all four...
  for (int i = 4; i < 8; ++i) open_new(h, "+62814" + std::to_string(i), kT0 + 6 + i);
  // ...then, with a back, new ones alternate.
  h.status("usr_a", true, kT0 + 20);
  for (int i = 8; i < 12; ++i) open_new(h, "+62814" + std::to_string(i), kT0 + 21 + i);
  auto got = h.assignments();
  EXPECT_EQ(std::vector<std::string>(got.begin(), got.begin() + 8),
            (std::vector<std::string>(8, "usr_b")));
  std::map<std::string, int> last4;
  for (size_t i = 8; i < 12; ++i) ++last4[got[i]];
  EXPECT_EQ(last4["usr_a"], 2);
  EXPECT_EQ(last4["usr_b"], 2);
}

TEST(Inbox, AdminReassignmentMovesTheConversationAndTheCounts) {
  harness h;
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  auto conv = open_new(h, "+6281500", kT0 + 1);
  ASSERT_EQ(h.s.conversation(conv)->agent, "usr_a");
  events::conversation_assigned a{conv, "usr_b", "usr_a", "admin", 2};
  EXPECT_TRUE(h.apply(a, kT0 + 2, "user:usr_admin").empty());
  EXPECT_EQ(h.s.conversation(conv)->agent, "usr_b");
  EXPECT_EQ(h.s.agents().at("usr_a").open, 0);
  EXPECT_EQ(h.s.agents().at("usr_b").open, 1);
  // A stale one (seq 1 again) changes nothing.
  events::conversation_assigned stale{conv, "usr_a", "", "round_robin", 1};
  h.apply(stale, kT0 + 3, "inbox");
  EXPECT_EQ(h.s.conversation(conv)->agent, "usr_b");
}

TEST(Inbox, ALostRaceIsSettledByTheRecordedWinner) {
  // The runner decided seq 1 → usr_a, but the API's seq 1 → usr_b reached the log first (the
  // runner's append came back "duplicate"): folding the winner corrects the state.
  harness h;
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  auto conv = open_new(h, "+6281600", kT0 + 1);
  events::conversation_assigned api{conv, "usr_b", "", "admin", 1};
  h.apply(api, kT0 + 2, "user:usr_admin");
  EXPECT_EQ(h.s.conversation(conv)->agent, "usr_b");
  EXPECT_EQ(h.s.agents().at("usr_a").open, 0);
}

TEST(Inbox, ResolvedAndSilentConversationsClose) {
  harness h;
  h.status("usr_a", true, kT0);
  auto c1 = open_new(h, "+6281700", kT0);
  auto c2 = open_new(h, "+6281701", kT0);
  h.apply(events::conversation_closed{c1, "resolved"}, kT0 + kMin, "user:usr_a");
  EXPECT_FALSE(h.s.conversation(c1)->open);
  // The next message from that customer opens a new conversation.
  auto c3 = open_new(h, "+6281700", kT0 + 2 * kMin);
  EXPECT_NE(c3, c1);
  // Keep usr_a online through a day of ticks (heartbeats), then c2 has been silent 24 h.
  for (int m = 5; m <= 24 * 60; m += 5) {
    h.apply(events::agent_seen{"usr_a"}, kT0 + m * kMin, "user:usr_a");
    auto out = h.tick(kT0 + m * kMin);
    if (m < 24 * 60) {
      EXPECT_TRUE(of<events::conversation_closed>(out).empty()) << m;
    } else {
      auto closed = of<events::conversation_closed>(out);
      ASSERT_EQ(closed.size(), 1u);
      EXPECT_EQ(closed[0].conversation_id, c2);
      EXPECT_EQ(closed[0].reason, "silent");
    }
  }
  EXPECT_TRUE(h.s.conversation(c3)->open);  // opened later: not silent for 24 h yet
  EXPECT_EQ(h.s.agents().at("usr_a").open, 1);
}

TEST(Inbox, AgentsWithoutAHeartbeatGoOfflineOnATick) {
  harness h;
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  h.apply(events::agent_seen{"usr_a"}, kT0 + 9 * kMin, "user:usr_a");
  EXPECT_TRUE(h.tick(kT0 + 9 * kMin).empty());
  auto out = h.tick(kT0 + 10 * kMin);
  auto st = of<events::agent_status_changed>(out);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].agent_id, "usr_b");
  EXPECT_EQ(st[0].status, "offline");
  EXPECT_EQ(st[0].reason, "idle");
  EXPECT_EQ(st[0].seq, 2);
  // Any request of theirs (an event with their actor) counts as a heartbeat.
  h.apply(events::conversation_closed{"cnv_none", "resolved"}, kT0 + 15 * kMin, "user:usr_a");
  EXPECT_TRUE(h.tick(kT0 + 19 * kMin).empty());
}

TEST(Inbox, AnAgentWhoseLastSessionEndsGoesOffline) {
  harness h;
  events::session_started s1{"ses_1", "usr_a", "h1", kT0 + 100 * kMin, 0, "", ""};
  events::session_started s2{"ses_2", "usr_a", "h2", kT0 + 100 * kMin, 0, "", ""};
  h.apply(s1, kT0);
  h.apply(s2, kT0);
  h.status("usr_a", true, kT0);
  EXPECT_TRUE(h.apply(events::session_ended{"ses_1", "usr_a", "logout"}, kT0 + 1).empty());
  auto out = h.apply(events::session_ended{"ses_2", "usr_a", "logout"}, kT0 + 2);
  auto st = of<events::agent_status_changed>(out);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].reason, "session_ended");
  // An expired session too (on the tick after its end).
  events::session_started s3{"ses_3", "usr_a", "h3", kT0 + 5 * kMin, 0, "", ""};
  h.apply(s3, kT0 + 3);
  h.status("usr_a", true, kT0 + 3);
  h.apply(events::agent_seen{"usr_a"}, kT0 + 5 * kMin, "user:usr_a");
  auto t = h.tick(kT0 + 5 * kMin);
  ASSERT_EQ(of<events::agent_status_changed>(t).size(), 1u);
  EXPECT_EQ(of<events::agent_status_changed>(t)[0].reason, "session_ended");
}

TEST(Inbox, CapacityCapQueuesAndAFreedPlaceTakesTheOldestWaiting) {
  harness h;
  events::inbox_settings_changed cap;
  cap.max_open_per_agent = 2;
  h.apply(cap, kT0, "user:usr_admin");
  h.status("usr_a", true, kT0);
  auto c1 = open_new(h, "+6281800", kT0 + 1);
  open_new(h, "+6281801", kT0 + 2);
  auto c3 = open_new(h, "+6281802", kT0 + 3);
  EXPECT_EQ(h.s.conversation(c3)->agent, "");
  auto out = h.apply(events::conversation_closed{c1, "resolved"}, kT0 + 4, "user:usr_a");
  auto a = of<events::conversation_assigned>(out);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].conversation_id, c3);
  EXPECT_EQ(a[0].reason, "capacity");
}

TEST(Inbox, NoReplyWithinTheLimitMovesToTheNextAgent) {
  harness h;
  events::inbox_settings_changed r;
  r.reassign_after_minutes = 15;
  h.apply(r, kT0, "user:usr_admin");
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  auto c = open_new(h, "+6281900", kT0);
  ASSERT_EQ(h.s.conversation(c)->agent, "usr_a");
  for (auto who : {"usr_a", "usr_b"})
    h.apply(events::agent_seen{who}, kT0 + 14 * kMin, std::string("user:") + who);
  EXPECT_TRUE(of<events::conversation_assigned>(h.tick(kT0 + 14 * kMin)).empty());
  auto out = h.tick(kT0 + 15 * kMin);
  auto a = of<events::conversation_assigned>(out);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].agent_id, "usr_b");
  EXPECT_EQ(a[0].reason, "reassign_timeout");
  // A reply stops it.
  events::message_queued q;
  q.message_id = "msg_r";
  q.conversation_id = c;
  q.kind = "reply";
  h.apply(q, kT0 + 16 * kMin, "user:usr_b");
  for (auto who : {"usr_a", "usr_b"})
    h.apply(events::agent_seen{who}, kT0 + 40 * kMin, std::string("user:") + who);
  EXPECT_TRUE(of<events::conversation_assigned>(h.tick(kT0 + 40 * kMin)).empty());
}

TEST(Inbox, FoldingTheSameLogAgainDecidesTheSameWithTheSameKeys) {
  harness h;
  h.status("usr_a", true, kT0);
  h.status("usr_b", true, kT0);
  for (int i = 0; i < 30; ++i) {
    if (i == 10) h.status("usr_c", true, kT0 + i);
    if (i == 20) h.status("usr_b", false, kT0 + i);
    open_new(h, "+62820" + std::to_string(i), kT0 + i * kMin);
    if (i % 5 == 0) h.message("+62820" + std::to_string(i / 2), kT0 + i * kMin + 1);
    if (i % 7 == 0) h.tick(kT0 + i * kMin);
  }
  // Replay: a fresh state over the recorded log (inputs and decisions interleaved as the
  // runner appended them) decides the same things: every key again, nothing else.
  state replay(fake_id);
  std::vector<std::string> again;
  for (const auto& in : h.log) {
    if (in.actor == "inbox") {
      replay.apply(in);  // a recorded decision: changes nothing
      continue;
    }
    for (const auto& o : replay.apply(in)) again.push_back(o.key);
  }
  EXPECT_EQ(again, h.keys);
  for (const auto& id : h.opened) {
    ASSERT_NE(replay.conversation(id), nullptr);
    EXPECT_EQ(replay.conversation(id)->agent, h.s.conversation(id)->agent);
  }
}

}  // namespace
}  // namespace roms::inbox
