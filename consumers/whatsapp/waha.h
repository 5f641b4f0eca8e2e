// WAHA (WhatsApp HTTP API, devlikeapro), the QR-pairing gateway, as a channel.
//
//   POST {url}/api/sendText   {"session","chatId":"6281234567890@c.us","text"}
//   POST {url}/api/sendImage  {"session","chatId","file":{"mimetype","url","filename"},"caption"}
//   POST {url}/api/sendFile   {"session","chatId","file":{"mimetype","url","filename"},"caption"}
//   GET  {url}/api/sessions/{session}          → {"name","status":"WORKING|SCAN_QR_CODE|…"}
//   GET  {url}/api/{session}/auth/qr?format=image   (Accept: image/png) → the PNG
//   GET  {url}/api/{session}/chats/{chatId}/messages?limit=50&downloadMedia=false
//   every request: X-Api-Key: {api_key} (when set)
//
// The answer to a send is the engine's message: its id is "id" (a string, or an object with
// "_serialized" on WEBJS) or "key" {"id","remoteJid","fromMe"} (NOWEB, GOWS), normalised to
// the serialised form "true_<chat>_<id>" that message.ack webhooks carry.
//
// Status: WORKING → connected; SCAN_QR_CODE → pairing; STARTING, STOPPED, FAILED, an unknown
// session or a refused key → disconnected.
//
// Errors (send_error::kind): no connection → disconnected; 401/403 (key), 404 (no session),
// 422 (session not WORKING) → disconnected; 429 → retryable; other 4xx → rejected; 5xx →
// unknown_delivery with gateway_answered (the engine may have queued it before failing); no
// answer → unknown_delivery. find_sent() reads the chat's last messages and matches one of
// ours (fromMe, sent at or after the attempt, same text or caption): WAHA takes no reference
// of ours, so the text is the key. An engine without a message store answers 4xx there:
// unsupported.
#pragma once

#include <chrono>
#include <string>

#include "consumers/channel.h"

namespace roms::consumers::whatsapp {

struct waha_options {
  std::string base_url;             // ROMS_WAHA_URL, e.g. "http://127.0.0.1:3000"
  std::string api_key;              // ROMS_WAHA_API_KEY (X-Api-Key); empty: none sent
  std::string session = "default";  // ROMS_WAHA_SESSION. Default: "default"
  // Default: 5 s to connect, 30 s per request.
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{30'000};
  // How many of the chat's last messages find_sent() reads. Default: 50.
  int lookup_limit = 50;
};

class waha_channel final : public channel {
 public:
  explicit waha_channel(waha_options o);
  std::string_view name() const override { return "waha"; }
  send_result send(const outbound_message& m) override;
  channel_status status() override;
  result_msg<std::string> qr() override;
  lookup_result find_sent(const outbound_message& m, timestamp sent_after) override;

 private:
  waha_options o_;
};

// "+6281234567890" → "6281234567890@c.us"; "" when `e164` is not '+' and 8–15 digits.
std::string waha_chat_id(std::string_view e164);

}  // namespace roms::consumers::whatsapp
