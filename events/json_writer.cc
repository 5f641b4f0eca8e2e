#include "events/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace roms::events {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// True for bytes that cannot be copied to the output as they are.
constexpr bool needs_attention(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the well-formed UTF-8 sequence (RFC 3629, Table 3-7 of Unicode) starting at
// s[i] with s[i] >= 0x80; 0 if ill-formed. On 0, `bad` is the length of the maximal
// ill-formed subpart to replace with one U+FFFD (Unicode "substitution of maximal subparts").
size_t utf8_sequence(std::string_view s, size_t i, size_t& bad) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;       // overlong
    if (b0 == 0xED) hi = 0x9F;       // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;       // overlong
    if (b0 == 0xF4) hi = 0x8F;       // > U+10FFFF
  } else {
    bad = 1;
    return 0;
  }
  size_t k = 1;
  for (; k < need; ++k) {
    if (i + k >= s.size()) break;
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : !is_cont(b)) break;
  }
  if (k == need) return need;
  bad = k;
  return 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    size_t run = i;
    while (run < n && !needs_attention(static_cast<unsigned char>(s[run]))) ++run;
    out.append(s.data() + i, run - i);
    i = run;
    if (i == n) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t bad = 0;
      size_t len = utf8_sequence(s, i, bad);
      if (len != 0) {
        out.append(s.data() + i, len);
        i += len;
      } else {
        out += kReplacement;
        i += bad;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, sizeof esc);
      }
    }
    ++i;
  }
  out += '"';
}

void json_writer::sep() {
  if (need_comma_) out_ += ',';
}

json_writer& json_writer::begin_object() {
  sep();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::begin_array() {
  sep();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  sep();
  append_json_string(out_, k);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::value(std::string_view s) {
  sep();
  append_json_string(out_, s);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(int64_t v) {
  sep();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(uint64_t v) {
  sep();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(double v) {
  if (!std::isfinite(v)) return null();  // JSON has no NaN or infinity
  sep();
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  out_.append(buf, end);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(bool v) {
  sep();
  out_ += v ? "true" : "false";
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::null() {
  sep();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::raw(std::string_view json) {
  sep();
  out_.append(json);
  need_comma_ = true;
  return *this;
}

}  // namespace roms::events
