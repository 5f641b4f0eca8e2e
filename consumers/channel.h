// channel: one outbound messaging gateway behind one interface. The outbox dispatcher
// (consumers/outbox.h) is its only caller for sending; the HTTP API asks it for the
// connection status and the pairing QR. Two implementations speak the real protocols over
// HTTP (libcurl): the WhatsApp Business Cloud API (consumers/whatsapp/cloud_api.h) and WAHA,
// the QR-pairing gateway (consumers/whatsapp/waha.h).
//
//   auto ch = consumers::make_channel(consumers::whatsapp_config::from_env()).value();
//   consumers::outbound_message m{.message_id = "msg_…", .to = "+6281234567890",
//                                 .body = "Terima kasih, Kak!", .window_open = true};
//   auto r = ch->send(m);
//   if (r) { r.value() is the gateway's message id }
//   else if (r.error().retryable()) { try again after a backoff }
//
// Contract for implementations:
//  - send() makes at most ONE request that could deliver the message, and says precisely what
//    is known afterwards (send_error::kind): the gateway refused it for good, refused it for
//    now, is not connected, or may have it (no answer after the request left: the dispatcher
//    then never resends blindly, see find_sent()).
//  - Everything blocks with bounded timeouts; all methods are thread-safe.
//  - Secrets (tokens, API keys) are never part of an error message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"
#include "events/types/messaging.h"

namespace roms::consumers {

// What the dispatcher hands a channel: the queued message plus what it decided for this
// attempt (the signed media link, whether the customer's 24-hour window is open).
struct outbound_message {
  std::string message_id;       // "msg_…": also sent to gateways that echo a reference
  std::string idempotency_key;  // "thank_you:<order>", …
  int64_t attempt = 1;
  std::string to;  // E.164 ("+6281234567890")
  std::string body;
  std::optional<events::wa_template_ref> wa_template;
  std::optional<events::media_ref> media;
  // The URL the gateway fetches the media from: an expiring signed link under
  // ROMS_PUBLIC_URL for stored media (consumers/media_link.h), or media->url as given.
  std::string media_link;
  // Whether the customer wrote within the last 24 hours (the Cloud API's customer service
  // window). Outside it, the Cloud API takes business-initiated messages only as approved
  // templates.
  bool window_open = false;
};

struct send_error {
  enum class kind {
    rejected,          // the gateway (or the adapter, before any request) refused it for good
    retryable,         // refused for now, not sent (rate limit, gateway error): retry later
    disconnected,      // the channel is not connected (session down, token refused): not
                       // sent; wait until it is back
    unknown_delivery,  // the request left and no usable answer came back: it MAY be sent
  };
  kind what = kind::rejected;
  std::string code;     // short machine code: "outside_window", "http_500", "timeout", …
  std::string message;  // a sentence for people (never a secret, never the message text)
  // For unknown_delivery: whether the gateway finished handling the request (it answered, with
  // an error) — then a lookup that does not find the message means it was not sent.
  bool gateway_answered = false;

  bool retryable() const { return what == kind::retryable || what == kind::disconnected; }
};

using send_result = outcome::result<std::string, send_error, outcome::policy::terminate>;

enum class channel_state { connected, disconnected, pairing };

std::string_view to_string(channel_state s);

struct channel_status {
  channel_state state = channel_state::disconnected;
  std::string detail;  // the gateway's own word ("WORKING", "SCAN_QR_CODE", "token refused")
};

// Whether the gateway has a message the dispatcher may or may not have sent.
struct lookup_result {
  enum class kind {
    found,        // it is there: gateway_message_id
    not_found,    // the gateway lists the chat and the message is not in it
    unsupported,  // this gateway cannot look messages up
    unavailable,  // could not ask now (not connected, error): ask again later
  };
  kind what = kind::unsupported;
  std::string gateway_message_id;
  std::string detail;
};

class channel {
 public:
  virtual ~channel() = default;
  // "waha" | "cloud": recorded in message.sending/sent and whatsapp.status_changed.
  virtual std::string_view name() const = 0;
  virtual send_result send(const outbound_message& m) = 0;
  // Asks the gateway (a request each call; the dispatcher polls it).
  virtual channel_status status() = 0;
  // The pairing QR code as PNG bytes. errc::unsupported (Cloud API: nothing to pair),
  // errc::conflict (already connected or not waiting for a scan), errc::unavailable.
  virtual result_msg<std::string> qr() = 0;
  // Looks for `m` among what the gateway sent at or after `sent_after` (crash recovery).
  virtual lookup_result find_sent(const outbound_message& m, timestamp sent_after) = 0;
};

}  // namespace roms::consumers
