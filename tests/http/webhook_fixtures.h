// Shared by the webhook tests: the real storefront payloads in tests/http/fixtures/ and an
// HMAC signer written against OpenSSL directly (not the code under test), so a bug in
// http/api/internal/hmac.cc cannot sign and verify its own mistake.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace roms::testing {

inline std::string read_fixture(std::string_view relative) {
  std::string path = std::string(ROMS_WEBHOOK_FIXTURES) + "/" + std::string(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline boost::json::object fixture_object(std::string_view relative) {
  return boost::json::parse(read_fixture(relative)).as_object();
}

// A Shopify fixture is a REST answer {"order":{…}}; a webhook body is the inner Order.
inline boost::json::object shopify_order(
    std::string_view file = "order-resource-get-2025-07.json") {
  return fixture_object("shopify/" + std::string(file)).at("order").as_object();
}

inline boost::json::object woocommerce_order(
    std::string_view file = "order-create-response-wp-api-v3-docs-example.json") {
  return fixture_object("woocommerce/" + std::string(file));
}

inline std::string body_of(const boost::json::object& o) { return boost::json::serialize(o); }

// base64(HMAC-SHA256(secret, body)): what Shopify and WooCommerce send.
inline std::string sign(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  std::string out(4 * ((len + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace roms::testing
