// The CS inbox: conversations and agents (MISSION.md M4; consumers/README.md "CS inbox").
// Streams: the conversation id ("cnv_…") for conversation events, the user id ("usr_…") for
// agent events (so they are ordered with that user's sessions), "inbox" for inbox settings.
//
// A conversation starts with an inbound message (message.received) from a customer who has no
// open conversation; the inbox runner (consumers/inbox.h) records conversation.opened, then
// conversation.assigned to the next ONLINE agent in turn (or nothing: it waits unassigned),
// and links every later inbound message with conversation.message_linked. It closes after a
// resolve (the API) or when silent for close_after_minutes (clock ticks).
//
// Conflicts between writers (the runner and the API) are settled by the log's id
// deduplication: an assignment's id is derived from (conversation, seq), an agent status
// change's from (agent, seq), a closing's from the conversation alone, so two writers that
// decide "the next one" at the same time produce the same id and the log keeps the first.
// Folds apply an assignment or status change only when its seq is ≥ (runner) or > (read
// model) the one they hold.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roms::events {

// conversation.opened v1: the first inbound message of a new conversation.
struct conversation_opened {
  static constexpr std::string_view kType = "conversation.opened";
  static constexpr uint32_t kVersion = 1;
  std::string conversation_id;
  std::string customer_id;
  std::string phone;       // E.164
  std::string message_id;  // the inbound message that opened it
  std::string preview;     // the message's text (or caption), at most 200 bytes
  template <class V>
  void fields(V& v) {
    v("conversation_id", conversation_id);
    v("customer_id", customer_id);
    v("phone", phone);
    v("message_id", message_id);
    v("preview", preview);
  }
};

// conversation.message_linked v1: an inbound message belongs to this (already open)
// conversation. The opening message is not linked again (conversation.opened names it).
struct conversation_message_linked {
  static constexpr std::string_view kType = "conversation.message_linked";
  static constexpr uint32_t kVersion = 1;
  std::string conversation_id;
  std::string message_id;
  std::string preview;
  template <class V>
  void fields(V& v) {
    v("conversation_id", conversation_id);
    v("message_id", message_id);
    v("preview", preview);
  }
};

// conversation.assigned v1: the conversation's agent from now on ("" = back to the
// unassigned queue). reason: round_robin (a new conversation), came_online (the unassigned
// queue shared when an agent came online), admin (reassigned by an Admin), reassign_timeout
// (no reply within reassign_after_minutes), capacity (a place freed under the cap).
// seq: 1 for the first assignment of the conversation, +1 each time.
struct conversation_assigned {
  static constexpr std::string_view kType = "conversation.assigned";
  static constexpr uint32_t kVersion = 1;
  std::string conversation_id;
  std::string agent_id;
  std::string previous_agent_id;
  std::string reason;
  int64_t seq = 1;
  template <class V>
  void fields(V& v) {
    v("conversation_id", conversation_id);
    v("agent_id", agent_id);
    v("previous_agent_id", previous_agent_id);
    v("reason", reason);
    v("seq", seq);
  }
};

// conversation.closed v1: final (a new inbound message opens a new conversation).
// reason: resolved (an agent or Admin) | silent (no message for close_after_minutes).
struct conversation_closed {
  static constexpr std::string_view kType = "conversation.closed";
  static constexpr uint32_t kVersion = 1;
  std::string conversation_id;
  std::string reason;
  template <class V>
  void fields(V& v) {
    v("conversation_id", conversation_id);
    v("reason", reason);
  }
};

// agent.status_changed v1: an agent (a user) is ONLINE (gets new conversations) or OFFLINE.
// reason: manual (the header toggle) | session_ended (logout, revoked, expired: no live
// session left) | idle (no heartbeat for agent_idle_minutes) | disabled (account disabled).
// seq: the agent's status changes so far + 1.
struct agent_status_changed {
  static constexpr std::string_view kType = "agent.status_changed";
  static constexpr uint32_t kVersion = 1;
  std::string agent_id;
  std::string status;  // online | offline
  std::string reason;
  int64_t seq = 1;
  template <class V>
  void fields(V& v) {
    v("agent_id", agent_id);
    v("status", status);
    v("reason", reason);
    v("seq", seq);
  }
};

// agent.seen v1: a heartbeat from an agent's open app (at most one per agent per minute: the
// id is derived from the agent and the minute). Keeps an ONLINE agent online.
struct agent_seen {
  static constexpr std::string_view kType = "agent.seen";
  static constexpr uint32_t kVersion = 1;
  std::string agent_id;
  template <class V>
  void fields(V& v) {
    v("agent_id", agent_id);
  }
};

// inbox.settings_changed v1: the fields present changed (Admin, PATCH /api/v1/inbox/settings).
// Defaults in core/inbox.h.
struct inbox_settings_changed {
  static constexpr std::string_view kType = "inbox.settings_changed";
  static constexpr uint32_t kVersion = 1;
  std::optional<int64_t> close_after_minutes;     // silent conversations close (default 1440)
  std::optional<int64_t> agent_idle_minutes;      // no heartbeat → OFFLINE (default 10)
  std::optional<int64_t> max_open_per_agent;      // capacity cap, 0 = none (default 0)
  std::optional<int64_t> reassign_after_minutes;  // no reply → next agent, 0 = off (default 0)
  template <class V>
  void fields(V& v) {
    v("close_after_minutes", close_after_minutes);
    v("agent_idle_minutes", agent_idle_minutes);
    v("max_open_per_agent", max_open_per_agent);
    v("reassign_after_minutes", reassign_after_minutes);
  }
};

// message.media_fetched v1: the file of an inbound message (a gateway reference in
// message.received: "cloud-media:<id>" or WAHA's URL) was downloaded by the media fetcher
// (consumers/media_fetcher.h) and stored content-addressed at <data>/media/<sha256>; or it
// could not be (error set, sha256 empty). Stream: the message id. At most one per message
// (the id is derived from the message id).
struct message_media_fetched {
  static constexpr std::string_view kType = "message.media_fetched";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  std::string sha256;
  std::string mime_type;
  std::string filename;
  int64_t size = 0;
  std::string error;
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("sha256", sha256);
    v("mime_type", mime_type);
    v("filename", filename);
    v("size", size);
    v("error", error);
  }
};

}  // namespace roms::events
