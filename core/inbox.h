// The CS inbox's decisions, pure (consumers/README.md "CS inbox"): which conversation an
// inbound message belongs to, who gets a new conversation (round robin over the ONLINE
// agents), when an agent stops being ONLINE, when a conversation closes.
//
//   inbox::state s(make_id);                 // make_id: (prefix, key) → a stable id
//   for (each event of the log, in order)
//     for (auto& out : s.apply(in))          // the events to append (already applied to s)
//       append(derived_event_id(out.key), out.stream, out.body);
//
// The state is a function of the log's prefix only: apply() folds recorded facts (whoever
// wrote them) and, for the inputs that call for a decision (an inbound message, a clock tick,
// an agent coming online, a conversation closing), decides and applies its own decision at
// once. Its own decisions come back later from the log and change nothing; a decision that
// lost a race (the API recorded another assignment with the same seq first, so the log kept
// that one) is corrected when the winner is folded. So folding the same log again gives the
// same decisions with the same keys: a replay appends nothing (the log deduplicates ids).
//
// Time is data: "now" is the time of the event being applied (clock.ticked moves it).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/types/auth.h"
#include "events/types/customer.h"
#include "events/types/inbox.h"
#include "events/types/messaging.h"
#include "events/types/system.h"

namespace roms::inbox {

struct settings {
  int64_t close_after_minutes = 24 * 60;
  int64_t agent_idle_minutes = 10;
  int64_t max_open_per_agent = 0;      // 0 = no cap
  int64_t reassign_after_minutes = 0;  // 0 = never
  void apply(const events::inbox_settings_changed& c);
};

// What the inbox reads from the log.
using payload =
    std::variant<std::monostate, events::message_received, events::message_queued,
                 events::clock_ticked, events::customer_registered, events::session_started,
                 events::session_refreshed, events::session_ended, events::user_updated,
                 events::conversation_opened, events::conversation_message_linked,
                 events::conversation_assigned, events::conversation_closed,
                 events::agent_status_changed, events::agent_seen, events::inbox_settings_changed>;

// Whether the inbox reads events of this type.
bool wants(std::string_view type);

struct input {
  std::string event_id;
  int64_t time_us = 0;
  std::string actor;  // "user:<id>" counts as that agent being active
  payload body;
};

using output_payload =
    std::variant<events::customer_registered, events::conversation_opened,
                 events::conversation_message_linked, events::conversation_assigned,
                 events::conversation_closed, events::agent_status_changed>;

struct output {
  std::string key;     // idempotency key: the event id derives from it
  std::string stream;  // conversation id, user id or customer id
  output_payload body;
};

// The idempotency keys, shared with the API (http/api/inbox_routes.cc) so that two writers
// deciding the same "next" thing collide in the log's id index.
std::string assigned_key(std::string_view conversation_id, int64_t seq);
std::string closed_key(std::string_view conversation_id);
std::string status_key(std::string_view agent_id, int64_t seq);
// agent.seen: one per agent per minute.
std::string seen_key(std::string_view agent_id, int64_t time_us);

// At most 200 bytes of `text`, cut at a UTF-8 boundary.
std::string preview_of(std::string_view text);

struct agent_info {
  bool online = false;
  int64_t status_seq = 0;
  int64_t last_seen_us = 0;
  int64_t open = 0;  // open conversations assigned
  bool disabled = false;
  struct session {
    int64_t expires_us = 0;
    int64_t idle_us = 0;
    int64_t last_us = 0;
  };
  std::map<std::string, session> sessions;
};

struct conversation_info {
  std::string id;
  std::string customer_id;
  std::string phone;
  std::string agent;
  int64_t seq = 0;  // assignments folded
  bool open = true;
  int64_t opened_us = 0;
  int64_t last_activity_us = 0;  // last inbound or outbound message
  int64_t awaiting_us = 0;       // first inbound message not answered yet (0 = answered)
};

class state {
 public:
  // make_id(prefix, key): a stable id for a new resource ("cnv", "cus"); must be a pure
  // function (consumers::derived_id).
  using id_fn = std::function<std::string(std::string_view prefix, std::string_view key)>;
  explicit state(id_fn make_id) : make_id_(std::move(make_id)) {}

  // Folds one event (log order). decide=false (events before the inbox's origin): facts only,
  // no decision and nothing returned.
  std::vector<output> apply(const input& in, bool decide = true);

  // Queries (tests, metrics).
  const std::map<std::string, agent_info>& agents() const { return agents_; }
  const std::vector<std::string>& ring() const { return ring_; }
  const std::deque<std::string>& unassigned() const { return unassigned_; }
  const conversation_info* conversation(std::string_view id) const;
  std::optional<std::string> open_conversation_of(std::string_view phone) const;
  const settings& config() const { return settings_; }
  size_t open_conversations() const { return open_by_phone_.size(); }

 private:
  struct ctx {
    const input& in;
    bool decide;
    std::vector<output>& out;
  };
  void on_received(ctx& c, const events::message_received& m);
  void on_tick(ctx& c);
  void set_status(ctx& c, const std::string& agent, bool online, std::string_view reason);
  void assign(ctx& c, conversation_info& conv, const std::string& agent, std::string_view reason);
  void close(ctx& c, conversation_info& conv, std::string_view reason, bool emit);
  void drain(ctx& c, std::string_view reason);
  std::optional<std::string> pick(std::string_view exclude = {});
  void move_agent(conversation_info& conv, const std::string& agent);
  void unqueue(const std::string& conversation_id);
  agent_info& agent(const std::string& id);

  id_fn make_id_;
  settings settings_;
  std::map<std::string, agent_info> agents_;
  std::vector<std::string> ring_;  // agents in the order they first came online
  size_t cursor_ = 0;              // ring_ index where the next pick starts
  std::map<std::string, conversation_info, std::less<>> conversations_;
  std::map<std::string, std::string, std::less<>> open_by_phone_;
  std::deque<std::string> unassigned_;  // open, no agent, oldest first
  std::map<std::string, std::string, std::less<>> customer_by_phone_;
};

}  // namespace roms::inbox
