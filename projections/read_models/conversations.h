// The conversations read model (column family "conversations"): the CS inbox's conversations,
// the messages in each (ids; content and status live in the messages read model), the agents'
// ONLINE/OFFLINE status and open counts, and the inbox settings. Folded from the inbox
// runner's decisions and the API's (consumers/inbox.h, http/api/inbox_routes.cc).
//
// Key layout:
//   c/<conversation_id>                               → conversation_record
//   l/<last_us:20>/<conversation_id>                  → ""  every conversation by last message
//   s/<state>/<last_us:20>/<conversation_id>          → ""  by state (open | closed)
//   a/<agent_id>/<state>/<last_us:20>/<conv_id>       → ""  by assignee and state
//   u/<last_us:20>/<conversation_id>                  → ""  open and unassigned
//   p/<customer_id>/<last_us:20>/<conversation_id>    → ""  by customer (the customer panel)
//   m/<conversation_id>/<time_us:20>/<message_id>     → "in" | "out"  its messages in time order
//   g/<agent_id>                                      → agent_record
//   md/<message_id>                                   → fetched_media_record (an inbound
//                                                        message's file, consumers/media_fetcher.h)
//   settings                                          → inbox_settings_record
//
// Assignments and status changes apply only when their seq is greater than the one held (the
// log keeps one event per seq: see events/types/inbox.h).
//
// Convergence across partitions (Kafka): a conversation's events share its stream and an
// agent's theirs. An outbound reply (message.queued, its own stream) that arrives before its
// conversation.opened is not listed (replies are only sent to conversations that exist, so
// this needs an interleaving across partitions the inbox runner does not produce on one node).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/projection.h"

namespace roms::projections {

struct conversation_record {
  std::string id;
  std::string customer_id;
  std::string phone;
  std::string assignee_id;  // "" = unassigned
  int64_t assignment_seq = 0;
  std::string assigned_at;
  std::string state;  // open | closed
  std::string close_reason;
  std::string opened_at;
  std::string closed_at;
  std::string last_message_at;
  int64_t last_us = 0;
  std::string last_preview;
  std::string last_direction;  // inbound | outbound
  int64_t unread = 0;          // inbound messages since the last reply
  int64_t message_count = 0;
  template <class V>
  void fields(V& v) {
    v("id", id);
    v("customer_id", customer_id);
    v("phone", phone);
    v("assignee_id", assignee_id);
    v("assignment_seq", assignment_seq);
    v("assigned_at", assigned_at);
    v("state", state);
    v("close_reason", close_reason);
    v("opened_at", opened_at);
    v("closed_at", closed_at);
    v("last_message_at", last_message_at);
    v("last_us", last_us);
    v("last_preview", last_preview);
    v("last_direction", last_direction);
    v("unread", unread);
    v("message_count", message_count);
  }
};

struct agent_record {
  std::string id;
  std::string status = "offline";  // online | offline
  std::string reason;
  int64_t status_seq = 0;
  std::string since;
  int64_t open = 0;  // open conversations assigned
  std::string last_seen_at;
  template <class V>
  void fields(V& v) {
    v("id", id);
    v("status", status);
    v("reason", reason);
    v("status_seq", status_seq);
    v("since", since);
    v("open", open);
    v("last_seen_at", last_seen_at);
  }
};

struct inbox_settings_record {
  int64_t close_after_minutes = 24 * 60;
  int64_t agent_idle_minutes = 10;
  int64_t max_open_per_agent = 0;
  int64_t reassign_after_minutes = 0;
  template <class V>
  void fields(V& v) {
    v("close_after_minutes", close_after_minutes);
    v("agent_idle_minutes", agent_idle_minutes);
    v("max_open_per_agent", max_open_per_agent);
    v("reassign_after_minutes", reassign_after_minutes);
  }
};

// An inbound message's file once the media fetcher stored it (or why it could not).
struct fetched_media_record {
  std::string sha256;  // "" when it failed
  std::string mime_type;
  std::string filename;
  int64_t size = 0;
  std::string error;
  template <class V>
  void fields(V& v) {
    v("sha256", sha256);
    v("mime_type", mime_type);
    v("filename", filename);
    v("size", size);
    v("error", error);
  }
};

class conversations_projection final : public projection {
 public:
  std::string_view name() const override { return "conversations"; }
  uint32_t version() const override { return 3; }  // 2: the p/ index by customer; 3: binary records
  // Version 2 stored the same records as JSON (decodes by name) with the p/ index; version 1
  // lacks the index.
  bool reads_stored_version(uint32_t v) const override { return v == 2; }
  bool wants(std::string_view type) const override;
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override;
};

struct conversation_filter {
  std::string customer_id;   // set: this customer's conversations (view and state ignored)
  std::string view = "all";  // all | mine | unassigned
  std::string agent_id;      // view=mine
  std::string state;         // open | closed | "" (both; unassigned: open only)
  size_t limit = 50;
  std::string cursor;  // the last key of the previous page
};

struct conversation_page {
  std::vector<conversation_record> items;  // latest message first
  std::string next_cursor;
};

struct conversation_message_ref {
  std::string message_id;
  std::string direction;  // inbound | outbound
  int64_t time_us = 0;
};

struct conversation_message_page {
  std::vector<conversation_message_ref> items;  // oldest first
  std::string next_cursor;                      // older ones: "" = none
};

namespace conversations_query {
std::optional<conversation_record> get(const read_view& v, std::string_view id);
conversation_page list(const read_view& v, const conversation_filter& f);
// The newest `limit` messages before `cursor` ("" = the newest), returned oldest first.
conversation_message_page messages(const read_view& v, std::string_view conversation_id,
                                   size_t limit, std::string_view cursor);
std::optional<agent_record> agent(const read_view& v, std::string_view agent_id);
std::vector<agent_record> agents(const read_view& v);
inbox_settings_record settings(const read_view& v);
std::optional<fetched_media_record> fetched_media(const read_view& v, std::string_view message_id);
}  // namespace conversations_query

}  // namespace roms::projections
