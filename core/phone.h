// Phone numbers to E.164. Indonesian sellers see "0812-3456-7890", "62812…", "+62 812…" and
// "812…" for the same customer; all become "+6281234567890". A number without a country code
// takes the order's country (Indonesia by default). One that cannot be normalised is kept as
// given with valid=false, so it is flagged, never lost.
#pragma once

#include <string>
#include <string_view>

namespace roms {

struct normalized_phone {
  std::string value;  // E.164 ("+6281234567890") when valid, else the input trimmed
  bool valid = false;
};

// `country` is an ISO 3166-1 alpha-2 code ("ID", "US"); unknown codes fall back to "ID".
normalized_phone normalize_phone(std::string_view raw, std::string_view country = "ID");

// The calling code for an ISO country ("ID" → "62"), or "" if unknown.
std::string_view calling_code(std::string_view country);

}  // namespace roms
