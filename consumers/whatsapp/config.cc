#include "consumers/whatsapp/config.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "core/errc.h"

namespace roms::consumers::whatsapp {
namespace {

std::string env(const char* name) {
  if (const char* v = std::getenv(name); v && *v) return v;
  std::string file_var = std::string(name) + "_FILE";
  if (const char* f = std::getenv(file_var.c_str()); f && *f) {
    std::ifstream in(f, std::ios::binary);
    std::string s(std::istreambuf_iterator<char>(in), {});
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  return {};
}

}  // namespace

whatsapp_config whatsapp_config::from_env() {
  whatsapp_config c;
  if (auto g = env("ROMS_WHATSAPP"); !g.empty()) c.gateway = g;
  c.public_url = env("ROMS_PUBLIC_URL");
  c.waha.base_url = env("ROMS_WAHA_URL");
  c.waha.api_key = env("ROMS_WAHA_API_KEY");
  if (auto s = env("ROMS_WAHA_SESSION"); !s.empty()) c.waha.session = s;
  c.waha_hmac_key = env("ROMS_WAHA_HMAC_KEY");
  if (auto u = env("ROMS_WA_CLOUD_URL"); !u.empty()) c.cloud.base_url = u;
  c.cloud.token = env("ROMS_WA_CLOUD_TOKEN");
  c.cloud.phone_number_id = env("ROMS_WA_CLOUD_PHONE_ID");
  c.cloud_app_secret = env("ROMS_WA_CLOUD_APP_SECRET");
  c.cloud_verify_token = env("ROMS_WA_CLOUD_VERIFY_TOKEN");
  return c;
}

result_msg<void> whatsapp_config::validate() const {
  auto missing = [](const char* var, const char* why) {
    return error_info{errc::invalid_argument, std::string(var) + " must be set " + why};
  };
  if (gateway == "off") return success();
  if (gateway == "waha") {
    if (waha.base_url.empty()) return missing("ROMS_WAHA_URL", "when ROMS_WHATSAPP=waha");
    if (waha.session.empty()) return missing("ROMS_WAHA_SESSION", "(or left unset)");
    return success();
  }
  if (gateway == "cloud") {
    if (cloud.token.empty()) return missing("ROMS_WA_CLOUD_TOKEN", "when ROMS_WHATSAPP=cloud");
    if (cloud.phone_number_id.empty())
      return missing("ROMS_WA_CLOUD_PHONE_ID", "when ROMS_WHATSAPP=cloud");
    return success();
  }
  return error_info{errc::invalid_argument,
                    "ROMS_WHATSAPP must be waha, cloud or off (got \"" + gateway + "\")"};
}

std::unique_ptr<channel> make_channel(const whatsapp_config& c) {
  if (c.gateway == "waha") return std::make_unique<waha_channel>(c.waha);
  if (c.gateway == "cloud") return std::make_unique<cloud_api_channel>(c.cloud);
  return nullptr;
}

}  // namespace roms::consumers::whatsapp
