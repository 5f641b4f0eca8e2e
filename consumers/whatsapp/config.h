// The WhatsApp configuration (CONTRACT.md "Configuration") and the channel it selects.
//
//   auto cfg = consumers::whatsapp::whatsapp_config::from_env();
//   if (auto bad = cfg.validate(); !bad) { … bad.error().message … }
//   std::unique_ptr<consumers::channel> ch = consumers::whatsapp::make_channel(cfg);  // null: off
//
// Variables: ROMS_WHATSAPP (waha | cloud | off; default off: messages wait in the outbox),
// ROMS_PUBLIC_URL, ROMS_WAHA_URL, ROMS_WAHA_API_KEY, ROMS_WAHA_SESSION (default "default"),
// ROMS_WAHA_HMAC_KEY, ROMS_WA_CLOUD_URL (default https://graph.facebook.com/v23.0),
// ROMS_WA_CLOUD_TOKEN, ROMS_WA_CLOUD_PHONE_ID, ROMS_WA_CLOUD_APP_SECRET,
// ROMS_WA_CLOUD_VERIFY_TOKEN. A variable NAME_FILE (e.g. ROMS_WA_CLOUD_TOKEN_FILE) names a
// file holding the secret instead (its trailing newline ignored).
#pragma once

#include <memory>
#include <string>

#include "consumers/channel.h"
#include "consumers/whatsapp/cloud_api.h"
#include "consumers/whatsapp/waha.h"
#include "core/result.h"

namespace roms::consumers::whatsapp {

struct whatsapp_config {
  std::string gateway = "off";  // waha | cloud | off
  std::string public_url;       // ROMS_PUBLIC_URL: where gateways fetch signed media links
  waha_options waha;
  std::string waha_hmac_key;  // ROMS_WAHA_HMAC_KEY: X-Webhook-Hmac (HMAC-SHA512)
  cloud_api_options cloud;
  std::string cloud_app_secret;    // ROMS_WA_CLOUD_APP_SECRET: X-Hub-Signature-256
  std::string cloud_verify_token;  // ROMS_WA_CLOUD_VERIFY_TOKEN: GET hub.verify_token

  static whatsapp_config from_env();
  // errc::invalid_argument naming the variable that is missing or wrong for the gateway.
  result_msg<void> validate() const;
};

// The configured gateway's channel; nullptr when gateway is "off".
std::unique_ptr<channel> make_channel(const whatsapp_config& c);

}  // namespace roms::consumers::whatsapp
