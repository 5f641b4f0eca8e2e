// The WhatsApp Business Cloud API (Meta's Graph API) as a channel.
//
//   POST {base_url}/{phone_number_id}/messages       Authorization: Bearer {token}
//     text      {"messaging_product":"whatsapp","recipient_type":"individual","to":"628…",
//                "type":"text","text":{"preview_url":false,"body":"…"}}
//     template  {…,"type":"template","template":{"name":"…","language":{"code":"id"},
//                "components":[{"type":"body","parameters":[{"type":"text","text":"…"}]}]}}
//     image     {…,"type":"image","image":{"link":"<signed URL>","caption":"…"}}
//     document  {…,"type":"document","document":{"link":"…","caption":"…","filename":"…"}}
//   every request carries "biz_opaque_callback_data":"roms:<message_id>:<attempt>", which Meta
//   echoes in the status webhooks: a status can name our message even before (or without)
//   message.sent being recorded.
//   → 200 {"messaging_product":"whatsapp","contacts":[…],"messages":[{"id":"wamid.…"}]}
//   → 4xx/5xx {"error":{"message","type","code","error_subcode","fbtrace_id"}}
//   GET {base_url}/{phone_number_id}?fields=id,display_phone_number   (status(): connected
//   when the token and the number are accepted)
//
// The 24-hour customer service window: when outbound_message::window_open is false, only an
// approved template may go (wa_template: name, language, body parameters in order); without
// one the message is rejected here, before any request (code "outside_window"). Media are sent
// by link (outbound_message::media_link) and only inside the window; outside it the template
// alone goes (an approved template with a media header would need that header's parameter).
//
// Errors (send_error::kind): no connection → disconnected; 401 or code 190 (token), 3/10/200
// (permissions) → disconnected; 429 and codes 4, 80007, 130429, 131048, 131056 → retryable;
// 5xx and codes 1, 2, 131000, 131016, 133004 → retryable (Meta did not accept it); 131047
// (re-engagement: outside the window) → rejected "outside_window"; other 4xx → rejected; no
// answer after the request left → unknown_delivery. find_sent() is unsupported: the Cloud API
// cannot list sent messages (a later status webhook carrying our reference reconciles instead).
#pragma once

#include <chrono>
#include <string>

#include "consumers/channel.h"

namespace roms::consumers::whatsapp {

struct cloud_api_options {
  // ROMS_WA_CLOUD_URL: the Graph API base including its version.
  // Default: "https://graph.facebook.com/v23.0".
  std::string base_url = "https://graph.facebook.com/v23.0";
  std::string token;            // ROMS_WA_CLOUD_TOKEN (a system user's access token)
  std::string phone_number_id;  // ROMS_WA_CLOUD_PHONE_ID
  // Default: 5 s to connect, 30 s per request.
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{30'000};
};

class cloud_api_channel final : public channel {
 public:
  explicit cloud_api_channel(cloud_api_options o);
  std::string_view name() const override { return "cloud"; }
  send_result send(const outbound_message& m) override;
  channel_status status() override;
  result_msg<std::string> qr() override;
  lookup_result find_sent(const outbound_message& m, timestamp sent_after) override;

  // The request body send() would post (tests, dry runs); an error when the message cannot go
  // (outside the window without a template, bad phone).
  outcome::result<std::string, send_error, outcome::policy::terminate> request_body(
      const outbound_message& m) const;

 private:
  cloud_api_options o_;
};

// "roms:<message_id>:<attempt>" → message_id; "" when `data` is not ours.
std::string message_id_from_reference(std::string_view data);

}  // namespace roms::consumers::whatsapp
