// What the gateways' webhooks say, parsed into plain structs (pure functions, no I/O). The
// HTTP routes (http/api/messaging_routes.cc) verify the signature first, then turn these into
// events: status updates → message.delivered / .read / .failed (/ .sent when it reconciles a
// message in doubt), inbound messages → message.received, session changes →
// whatsapp.status_changed.
//
//   auto batch = whatsapp::parse_cloud_webhook(req.body);      // Meta's envelope
//   auto batch = whatsapp::parse_waha_webhook(req.body);       // one WAHA event
//   for (auto& s : batch.value().statuses) { s.gateway_message_id, s.status, … }
//
// Cloud API (object "whatsapp_business_account", entry[].changes[] with field "messages"):
//   value.statuses[]  {id, status: sent|delivered|read|failed, timestamp, recipient_id,
//                      errors[{code,title,message}], biz_opaque_callback_data}
//   value.messages[]  {from, id, timestamp, type: text|image|document|…, text{body},
//                      image{id,mime_type,caption}, document{id,filename,mime_type,caption}}
//   value.contacts[]  {wa_id, profile{name}}
// WAHA ({"event","session","payload",…}):
//   message.ack     payload {id, fromMe, ack: -1 ERROR, 0 PENDING, 1 SERVER, 2 DEVICE,
//                   3 READ, 4 PLAYED} → 2: delivered, 3/4: read, -1: failed (0/1 ignored)
//   message         payload {id, timestamp, from "628…@c.us", fromMe, body, hasMedia,
//                   media{url,mimetype,filename}} → inbound when !fromMe and from a person
//   session.status  payload {status: WORKING|SCAN_QR_CODE|STARTING|STOPPED|FAILED, statuses[]}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "events/types/messaging.h"

namespace roms::consumers::whatsapp {

struct status_update {
  std::string gateway_message_id;
  std::string status;     // sent | delivered | read | failed
  std::string error;      // failed: the gateway's reason
  std::string reference;  // Cloud API biz_opaque_callback_data ("roms:<message_id>:<attempt>")
  std::string recipient;  // E.164 when known
  int64_t time_s = 0;     // the gateway's time, Unix seconds (0: unknown)
};

struct inbound_message {
  std::string gateway_message_id;
  std::string from;  // E.164
  std::string name;  // the sender's profile name, when given
  std::string type;  // text | image | document | … (as the gateway names it)
  std::string text;  // text body or caption
  // Media: mime_type, filename and url ("cloud-media:<media id>" for the Cloud API, which
  // serves the file to a Bearer request; WAHA's own download URL). Not fetched here.
  std::optional<events::media_ref> media;
  int64_t time_s = 0;
};

struct session_update {
  std::string status;   // connected | disconnected | pairing
  std::string detail;   // the gateway's word ("WORKING")
  int64_t time_ms = 0;  // when it changed (WAHA statuses[]), 0: unknown
};

struct webhook_batch {
  std::vector<status_update> statuses;
  std::vector<inbound_message> messages;
  std::optional<session_update> session;
  std::vector<std::string> ignored;  // what was skipped and why (for the answer and metrics)
};

// errc::malformed_json when the body is not the gateway's JSON envelope.
result_msg<webhook_batch> parse_cloud_webhook(std::string_view body);
result_msg<webhook_batch> parse_waha_webhook(std::string_view body);

// "628123@c.us" → "+628123"; "" for groups, channels and hidden (@lid) ids.
std::string e164_from_waha_chat(std::string_view chat_id);

}  // namespace roms::consumers::whatsapp
