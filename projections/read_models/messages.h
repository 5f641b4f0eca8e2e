// The messages read model (column family "messages"): every outbound and inbound WhatsApp
// message with its status, the outbox's work lists (what is due, what is being sent), the
// gateway's ids, the last inbound time per customer (the Cloud API's 24-hour window) and the
// channel's connection status. The outbox dispatcher (consumers/outbox.h) reads it to decide
// what to send; GET /api/v1/messages and /api/v1/whatsapp/status read it to answer.
//
// Key layout:
//   m/<message_id>                         → message_record
//   a/<created_us:20>/<message_id>         → ""  every message by time
//   c/<customer_id>/<created_us:20>/<id>   → ""  by customer
//   s/<status>/<created_us:20>/<id>        → ""  by status
//   q/<ready_us:20>/<message_id>           → ""  outbound, waiting to be sent from ready_us on
//                                                 (queued: its queued time; after a retryable
//                                                 failure: the failure's retry_at)
//   x/<message_id>                         → ""  outbound, an attempt recorded (message.sending)
//                                                 without its outcome yet
//   g/<gateway>/<gateway_message_id>       → message_id (WAHA ids by their short form, see
//                                                 gateway_key())
//   li/c/<customer_id>, li/p/<e164>        → the last inbound message's time (µs, decimal)
//   wa                                     → whatsapp_status_record
//
// Status only moves forward: queued → sending → sent → delivered → read (a late "delivered"
// after "read" changes nothing). failed is final except: a retryable failure puts the message
// back in the queue (status queued, attempts kept), a failure "in doubt" (the gateway may have
// it) still accepts sent/delivered/read from a later webhook or lookup, a gateway's failure
// report after "sent" moves it to failed, and message.retry_requested queues a failed message
// again. Inbound messages have the status "received".
//
// Time: nothing here reads the clock; every time is an event's time.
//
// Convergence across partitions (Kafka): a message's events share its stream (the message id),
// so they arrive in order. whatsapp.status_changed lives in the "whatsapp" stream; the last
// one folded wins. The last inbound time is a max.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/payload.h"
#include "events/types/messaging.h"
#include "projections/projection.h"

namespace roms::projections {

// "m/<message_id>"
struct message_record {
  std::string id;
  std::string direction;  // outbound | inbound
  // queued | sending | sent | delivered | read | failed (outbound); received (inbound)
  std::string status;
  std::string customer_id;
  std::string conversation_id;
  std::string to;    // outbound: E.164
  std::string from;  // inbound: E.164
  std::string kind;  // thank_you | reminder | broadcast | reply | alert | manual (outbound)
  std::string body;
  std::string template_id;
  std::optional<events::wa_template_ref> wa_template;
  std::optional<events::media_ref> media;
  std::string idempotency_key;
  std::string cause;
  std::string queued_event_id;  // the message.queued (or .received) event's id
  std::string gateway;
  std::string gateway_message_id;
  int64_t attempts = 0;    // message.sending events folded (the last attempt's number)
  int64_t failures = 0;    // retryable failures that count towards giving up (not "disconnected")
  int64_t sending_us = 0;  // the last message.sending's time
  int64_t ready_us = 0;    // when it may be sent (while queued)
  std::string error;       // the last failure's sentence
  std::string error_code;  // events::message_failed::code
  bool in_doubt = false;
  std::string created_at;
  int64_t created_us = 0;
  std::string updated_at;
  std::string sent_at;
  std::string delivered_at;
  std::string read_at;
  std::string failed_at;
  template <class V>
  void fields(V& v) {
    v("id", id);
    v("direction", direction);
    v("status", status);
    v("customer_id", customer_id);
    v("conversation_id", conversation_id);
    v("to", to);
    v("from", from);
    v("kind", kind);
    v("body", body);
    v("template_id", template_id);
    v("wa_template", wa_template);
    v("media", media);
    v("idempotency_key", idempotency_key);
    v("cause", cause);
    v("queued_event_id", queued_event_id);
    v("gateway", gateway);
    v("gateway_message_id", gateway_message_id);
    v("attempts", attempts);
    v("failures", failures);
    v("sending_us", sending_us);
    v("ready_us", ready_us);
    v("error", error);
    v("error_code", error_code);
    v("in_doubt", in_doubt);
    v("created_at", created_at);
    v("created_us", created_us);
    v("updated_at", updated_at);
    v("sent_at", sent_at);
    v("delivered_at", delivered_at);
    v("read_at", read_at);
    v("failed_at", failed_at);
  }
};

// "wa": the channel's last reported connection status.
struct whatsapp_status_record {
  std::string gateway;  // waha | cloud | off
  std::string status;   // connected | disconnected | pairing
  std::string detail;
  std::string since;  // RFC 3339: the event that set it
  int64_t since_us = 0;
  template <class V>
  void fields(V& v) {
    v("gateway", gateway);
    v("status", status);
    v("detail", detail);
    v("since", since);
    v("since_us", since_us);
  }
};

class messages_projection final : public projection {
 public:
  std::string_view name() const override { return "messages"; }
  uint32_t version() const override { return 2; }  // 2: binary records (record_codec.h)
  // Version 1 stored the same records as JSON, which still decodes (record_codec.h).
  bool reads_stored_version(uint32_t v) const override { return v == 1; }
  bool wants(std::string_view type) const override;
  result_msg<void> apply(const events::stored_event& e, fold_context& ctx) override;
};

// The key under which a gateway's message id is indexed. WAHA writes the same message as
// "true_628…@c.us_3EB0…" or "true_628…@c.us_3EB0…_out" depending on engine and version; its
// short id (the third '_' part) is what stays the same. Cloud API ids ("wamid.…") as they are.
std::string gateway_key(std::string_view gateway, std::string_view gateway_message_id);

struct message_filter {
  std::string customer_id;
  std::string status;
  std::string direction;  // outbound | inbound | "" (both)
  size_t limit = 50;
  std::string cursor;  // the last key of the previous page
};

struct message_page {
  std::vector<message_record> items;  // newest first
  std::string next_cursor;            // "" = no more
};

namespace messages_query {

std::optional<message_record> get(const read_view& v, std::string_view message_id);
// The message a gateway's id belongs to.
std::optional<std::string> by_gateway_id(const read_view& v, std::string_view gateway,
                                         std::string_view gateway_message_id);
// Outbound messages waiting whose ready time is <= until_us, oldest first (at most `max`).
std::vector<message_record> due(const read_view& v, int64_t until_us, size_t max);
// The earliest ready time of a waiting message, if any (the dispatcher sleeps until then).
std::optional<int64_t> next_due(const read_view& v);
// Outbound messages with an attempt recorded and no outcome (message.sending last).
std::vector<message_record> sending(const read_view& v, size_t max = 1000);
// Newest first, filtered.
message_page list(const read_view& v, const message_filter& f);
// The last inbound message's time (µs) from this customer or this phone; 0 when none.
int64_t last_inbound_us(const read_view& v, std::string_view customer_id, std::string_view e164);
std::optional<whatsapp_status_record> whatsapp_status(const read_view& v);

}  // namespace messages_query

}  // namespace roms::projections
