#include "core/phone.h"

#include <array>
#include <utility>

namespace roms {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kCodes{{
    {"ID", "62"}, {"US", "1"},  {"CA", "1"},  {"SG", "65"}, {"MY", "60"}, {"AU", "61"},
    {"GB", "44"}, {"NL", "31"}, {"DE", "49"}, {"FR", "33"}, {"JP", "81"}, {"KR", "82"},
    {"CN", "86"}, {"HK", "852"}, {"TW", "886"}, {"TH", "66"}, {"PH", "63"}, {"VN", "84"},
    {"IN", "91"}, {"SA", "966"}, {"AE", "971"}, {"BN", "673"}, {"TL", "670"}, {"NZ", "64"},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view calling_code(std::string_view country) {
  for (auto& [c, code] : kCodes) {
    if (c.size() == country.size() && (c[0] == (country[0] & ~0x20)) &&
        (c[1] == (country[1] & ~0x20)))
      return code;
  }
  return "";
}

normalized_phone normalize_phone(std::string_view raw, std::string_view country) {
  std::string_view in = trim(raw);
  normalized_phone out{std::string(in), false};
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/') {
      continue;
    } else {
      return out;  // letters, extensions, anything else: keep as given, flag
    }
  }
  std::string_view cc = calling_code(country);
  if (cc.empty()) cc = "62";
  std::string e164;
  if (plus) {
    e164 = digits;
  } else if (digits.rfind("00", 0) == 0) {
    e164 = digits.substr(2);  // international prefix
  } else if (cc == "62") {
    // Indonesia: trunk prefix 0; "62…" written without the plus; mobile "8…" without 0.
    if (digits.rfind("0", 0) == 0) {
      e164 = "62" + digits.substr(1);
    } else if (digits.rfind("62", 0) == 0 && digits.size() >= 10) {
      e164 = digits;
    } else if (digits.rfind("8", 0) == 0 && digits.size() >= 9) {
      e164 = "62" + digits;
    } else {
      return out;
    }
  } else if (cc == "1") {
    // NANP: 10 digits, or 11 starting with the country code 1.
    if (digits.size() == 10) {
      e164 = "1" + digits;
    } else if (digits.size() == 11 && digits[0] == '1') {
      e164 = digits;
    } else {
      return out;
    }
  } else {
    e164 = std::string(cc) + (digits.rfind("0", 0) == 0 ? digits.substr(1) : digits);
  }
  // E.164: at most 15 digits; no real number is shorter than 8 with its country code.
  if (e164.size() < 8 || e164.size() > 15 || e164[0] == '0') return out;
  // Indonesian numbers: subscriber part 7–12 digits after 62.
  if (e164.rfind("62", 0) == 0 && (e164.size() < 10 || e164.size() > 14)) return out;
  return {"+" + e164, true};
}

}  // namespace roms
