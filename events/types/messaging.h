// Outbound and inbound messages (WhatsApp), and the channel's connection. Stream: the message
// id ("msg_…") for a message's life; "whatsapp" for connection status.
//
// Life of an outbound message:
//   message.queued → (message.sending) → message.sent → message.delivered → message.read
//                                     ↘ message.failed (retryable: queued again later)
// Only the outbox dispatcher appends sending/sent/failed; gateway webhooks append
// delivered/read/failed. Status only moves forward (a late "delivered" after "read" is
// ignored by the read model).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roms::events {

// A Cloud API approved template to use outside the 24-hour customer window.
struct wa_template_ref {
  std::string name;
  std::string language;             // "id", "en_US"
  std::vector<std::string> params;  // body parameters, in order
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("language", language);
    v("params", params);
  }
};

struct media_ref {
  std::string sha256;     // content-addressed file under <data>/media/
  std::string mime_type;  // "image/jpeg", "application/pdf"
  std::string filename;
  std::string url;  // an external URL (when not stored locally)
  template <class V>
  void fields(V& v) {
    v("sha256", sha256);
    v("mime_type", mime_type);
    v("filename", filename);
    v("url", url);
  }
};

// message.queued v1: a message waits in the outbox. Its event id is derived from
// `idempotency_key`, so a rule that re-emits it after a crash appends nothing new.
struct message_queued {
  static constexpr std::string_view kType = "message.queued";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  std::string customer_id;
  std::string conversation_id;  // empty for automations outside a conversation
  std::string to;               // E.164 phone
  std::string kind;             // thank_you | reminder | broadcast | reply | alert | manual
  std::string body;             // rendered text
  std::string template_id;      // our template, if any
  std::optional<wa_template_ref> wa_template;
  std::optional<media_ref> media;
  std::string idempotency_key;  // "thank_you:<order_id>", "reminder:<rule>:<order>", …
  std::string cause;            // the id of what caused it (order, rule, broadcast)
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("customer_id", customer_id);
    v("conversation_id", conversation_id);
    v("to", to);
    v("kind", kind);
    v("body", body);
    v("template_id", template_id);
    v("wa_template", wa_template);
    v("media", media);
    v("idempotency_key", idempotency_key);
    v("cause", cause);
  }
};

// message.sending v1: the dispatcher is about to hand the message to the gateway (attempt n).
// A message found "sending" after a crash is not resent blindly (see consumers/README.md).
struct message_sending {
  static constexpr std::string_view kType = "message.sending";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  int64_t attempt = 1;
  std::string gateway;  // waha | cloud
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("attempt", attempt);
    v("gateway", gateway);
  }
};

// message.sent v1: the gateway accepted it; gateway_message_id links later status updates.
struct message_sent {
  static constexpr std::string_view kType = "message.sent";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  std::string gateway;
  std::string gateway_message_id;
  // Added (absent in older events = 0 / "response"): the attempt it answers, and how the
  // dispatcher learned the gateway id: "response" (the send's answer), "lookup" (found at the
  // gateway after a crash or a lost answer), "webhook" (a status webhook named it).
  int64_t attempt = 0;
  std::string via;
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("gateway", gateway);
    v("gateway_message_id", gateway_message_id);
    v("attempt", attempt);
    v("via", via);
  }
};

// message.delivered / message.read v1: from the gateway's status webhooks.
struct message_delivered {
  static constexpr std::string_view kType = "message.delivered";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  std::string gateway_message_id;
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("gateway_message_id", gateway_message_id);
  }
};

struct message_read {
  static constexpr std::string_view kType = "message.read";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  std::string gateway_message_id;
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("gateway_message_id", gateway_message_id);
  }
};

// message.failed v1: the gateway refused it or reported failure. retryable → the dispatcher
// tries again after a backoff; otherwise it stays failed.
struct message_failed {
  static constexpr std::string_view kType = "message.failed";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  std::string error;
  bool retryable = false;
  int64_t attempt = 1;
  // Added (absent in older events = defaults):
  //   code: rejected | retryable | disconnected | unknown_delivery | outside_window | expired |
  //         gave_up | gateway_failed (a status webhook) | invalid
  //   retry_at: RFC 3339, when a retryable failure may be tried again (backoff); "" = now
  //   in_doubt: the gateway may have it (crash between send and record, answer lost); never
  //             resent automatically, a later webhook or lookup may still prove delivery
  std::string code;
  std::string retry_at;
  bool in_doubt = false;
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("error", error);
    v("retryable", retryable);
    v("attempt", attempt);
    v("code", code);
    v("retry_at", retry_at);
    v("in_doubt", in_doubt);
  }
};

// message.retry_requested v1: someone (Admin) asks to send a failed message again, e.g. after
// an "unknown delivery" they checked with the customer. Its event id is derived from
// (message, attempts so far), so a double click queues it once.
struct message_retry_requested {
  static constexpr std::string_view kType = "message.retry_requested";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  int64_t after_attempt = 0;  // the attempts made before the request
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("after_attempt", after_attempt);
  }
};

// message.received v1: an inbound message from a customer. Stream: the conversation id.
struct message_received {
  static constexpr std::string_view kType = "message.received";
  static constexpr uint32_t kVersion = 1;
  std::string message_id;
  std::string conversation_id;
  std::string customer_id;
  std::string from;  // E.164
  std::string text;  // text or caption
  std::optional<media_ref> media;
  std::string gateway;
  std::string gateway_message_id;
  template <class V>
  void fields(V& v) {
    v("message_id", message_id);
    v("conversation_id", conversation_id);
    v("customer_id", customer_id);
    v("from", from);
    v("text", text);
    v("media", media);
    v("gateway", gateway);
    v("gateway_message_id", gateway_message_id);
  }
};

// whatsapp.status_changed v1: the channel connected or dropped. Stream: "whatsapp".
struct whatsapp_status_changed {
  static constexpr std::string_view kType = "whatsapp.status_changed";
  static constexpr uint32_t kVersion = 1;
  std::string gateway;  // waha | cloud | off
  std::string status;   // connected | disconnected | pairing
  std::string detail;
  template <class V>
  void fields(V& v) {
    v("gateway", gateway);
    v("status", status);
    v("detail", detail);
  }
};

}  // namespace roms::events
