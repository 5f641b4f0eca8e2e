// A small, allocation-friendly JSON writer used wherever ROMS produces JSON (codec, HTTP
// answers, projections' stored values). Strings are escaped per RFC 8259; invalid UTF-8 is
// replaced with U+FFFD so the output is always valid JSON.
//
//   json_writer w;
//   w.begin_object(); w.key("total"); w.value(int64_t{45000}); w.end_object();
//   std::string s = std::move(w).str();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace roms::events {

class json_writer {
 public:
  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);
  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view(s)); }
  json_writer& value(int64_t v);
  json_writer& value(uint64_t v);
  json_writer& value(int v) { return value(static_cast<int64_t>(v)); }
  json_writer& value(uint32_t v) { return value(static_cast<uint64_t>(v)); }
  json_writer& value(double v);
  json_writer& value(bool v);
  json_writer& null();
  // Inserts already-serialised JSON (e.g. a stored payload) as the next value.
  json_writer& raw(std::string_view json);

  // key + value in one call.
  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  const std::string& str() const& { return out_; }
  std::string str() && { return std::move(out_); }
  void clear() { out_.clear(); need_comma_ = false; }
  // Reserves room for `n` bytes of output (avoids regrowth when the size is known).
  void reserve(size_t n) { out_.reserve(n); }

 private:
  void sep();
  std::string out_;
  bool need_comma_ = false;
};

// Appends `s` to `out` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view s);

}  // namespace roms::events
