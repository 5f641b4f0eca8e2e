// Helpers the two adapters share. Private to consumers/whatsapp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace roms::consumers::whatsapp::internal {

// "+" followed by 8..15 digits, the first not 0.
bool is_e164(std::string_view s);
// The digits of an E.164 number ("+62812…" → "62812…"); "" when not E.164.
std::string e164_digits(std::string_view s);
// Standard base64 (padding optional); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);
// At most `n` bytes of `s` with control characters replaced, for error sentences built from a
// gateway's answer.
std::string excerpt(std::string_view s, size_t n = 200);

}  // namespace roms::consumers::whatsapp::internal
