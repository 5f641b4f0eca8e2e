// Webhook signatures: HMAC-SHA256 (OpenSSL), base64 (RFC 4648, standard alphabet) and a
// constant-time comparison. Shopify (X-Shopify-Hmac-Sha256) and WooCommerce
// (X-WC-Webhook-Signature) both send base64(HMAC-SHA256(secret, raw body)).
//
//   if (!internal::verify_hmac_sha256_base64(cfg.shopify_secret, req.body,
//                                            req.header("X-Shopify-Hmac-Sha256")))
//     → 401 invalid_signature
//
// The comparison runs over the decoded 32-byte digests with CRYPTO_memcmp, so its time does
// not depend on how many leading bytes of a forged signature are right.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace roms::http::api::internal {

using sha256_digest = std::array<unsigned char, 32>;

// HMAC-SHA256 of `data` keyed with `key` (any length, including empty).
sha256_digest hmac_sha256(std::string_view key, std::string_view data);

// Standard base64 with '=' padding.
std::string base64_encode(std::span<const unsigned char> bytes);
inline std::string base64_encode(std::string_view bytes) {
  return base64_encode(
      std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

// Decodes standard base64; padding may be omitted. nullopt on any other character
// (whitespace included) or an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

// Equal sizes and equal bytes; the time taken depends on the sizes only.
bool constant_time_equal(std::string_view a, std::string_view b);

// True when `signature_b64` (surrounding spaces ignored) is the base64 of
// HMAC-SHA256(secret, body). False for an empty secret, a missing or malformed signature.
bool verify_hmac_sha256_base64(std::string_view secret, std::string_view body,
                               std::string_view signature_b64);

// --- hex signatures (WhatsApp gateways) ---
//
// Meta's Cloud API sends X-Hub-Signature-256: "sha256=" + hex(HMAC-SHA256(app secret, raw
// body)); WAHA sends X-Webhook-Hmac: hex(HMAC-SHA512(key, raw body)) with
// X-Webhook-Hmac-Algorithm: sha512. Hex is accepted in either case.

using sha512_digest = std::array<unsigned char, 64>;

// HMAC-SHA512 of `data` keyed with `key`.
sha512_digest hmac_sha512(std::string_view key, std::string_view data);

// Lower-case hex.
std::string hex_encode(std::span<const unsigned char> bytes);
// Hex (either case) to bytes; nullopt on an odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view text);

// True when `header` is "sha256=" + the hex HMAC-SHA256(secret, body) (surrounding spaces
// ignored). False for an empty secret, a missing or malformed header.
bool verify_hub_signature_256(std::string_view secret, std::string_view body,
                              std::string_view header);
// True when `signature_hex` is the hex HMAC-SHA512(key, body). False for an empty key, a
// missing or malformed signature.
bool verify_hmac_sha512_hex(std::string_view key, std::string_view body,
                            std::string_view signature_hex);

}  // namespace roms::http::api::internal
