// The stored form of read-model records: a compact binary encoding generic over the same
// `fields` list that gives a type its JSON shape (events/payload.h), so a record's fields are
// declared once and the two encodings cannot drift apart.
//
//   std::string bytes = encode_record(order);            // what the fold stores
//   std::optional<order_record> o = decode_record<order_record>(bytes);
//
// Why not JSON: a fold reads a record back, changes it and writes it again for nearly every
// event, so encoding and decoding are on the hottest path of every projection, and the bytes
// stored are what RocksDB flushes, compacts, caches and decompresses. The binary form is
// about half the size of the JSON and several times cheaper to encode and decode (figures in
// docs/benchmarks.md, "Projections"). HTTP answers are rendered from the decoded record.
//
// Layout: one format byte (kRecordFormat), then the fields in declaration order, without
// names:
//   std::string, raw_json     varint length, bytes
//   integers                  zigzag varint (LEB128)
//   bool                      one byte, 0 or 1
//   double                    8 bytes, IEEE 754, little endian
//   std::optional<T>          one byte (0 absent, 1 present), then T
//   std::vector<T>            varint count, then each T
//   struct with fields()      its fields, inline
// Fields are positional and all of them must be present: any change to a stored struct bumps
// the projection's version(), which rebuilds the read model from the log (a record cut short,
// or with bytes left over, does not decode).
// A value starting with '{' is the JSON of earlier stores and is decoded as JSON.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "events/payload.h"

namespace roms::projections {

inline constexpr char kRecordFormat = '\x01';

namespace record_detail {

using events::raw_json;
using events::detail::has_fields;
using events::detail::is_optional;
using events::detail::is_vector;

inline void put_varint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

inline uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

template <class T>
void write(std::string& out, const T& v);

struct writer {
  std::string& out;
  template <class T>
  void operator()(std::string_view, const T& v) {
    write(out, v);
  }
};

template <class T>
void write(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    put_varint(out, v.size());
    out.append(v);
  } else if constexpr (std::is_same_v<T, raw_json>) {
    put_varint(out, v.text.size());
    out.append(v.text);
  } else if constexpr (std::is_same_v<T, bool>) {
    out.push_back(v ? '\1' : '\0');
  } else if constexpr (std::is_integral_v<T>) {
    put_varint(out, zigzag(static_cast<int64_t>(v)));
  } else if constexpr (std::is_floating_point_v<T>) {
    double d = static_cast<double>(v);
    char b[8];
    std::memcpy(b, &d, 8);
    out.append(b, 8);
  } else if constexpr (is_optional<T>::value) {
    out.push_back(v ? '\1' : '\0');
    if (v) write(out, *v);
  } else if constexpr (is_vector<T>::value) {
    put_varint(out, v.size());
    for (const auto& e : v) write(out, e);
  } else {
    static_assert(has_fields<T>::value, "record member type not supported");
    writer w{out};
    const_cast<T&>(v).fields(w);  // fields() only reads through the writer
  }
}

// A bounds-checked cursor; any overrun sets `bad` and reads zeros from then on.
struct reader {
  const char* p;
  const char* end;
  bool bad = false;

  bool at_end() const { return p == end; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end) {
        bad = true;
        return 0;
      }
      auto b = static_cast<uint8_t>(*p++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    bad = true;
    return 0;
  }
  std::string_view bytes(uint64_t n) {
    if (n > static_cast<uint64_t>(end - p)) {
      bad = true;
      p = end;
      return {};
    }
    std::string_view s(p, n);
    p += n;
    return s;
  }
  uint8_t byte() {
    if (p == end) {
      bad = true;
      return 0;
    }
    return static_cast<uint8_t>(*p++);
  }
};

template <class T>
void read(reader& r, T& v);

struct field_reader {
  reader& r;
  template <class T>
  void operator()(std::string_view, T& v) {
    if (!r.bad) read(r, v);
  }
};

template <class T>
void read(reader& r, T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    v.assign(r.bytes(r.varint()));
  } else if constexpr (std::is_same_v<T, raw_json>) {
    v.text.assign(r.bytes(r.varint()));
  } else if constexpr (std::is_same_v<T, bool>) {
    v = r.byte() != 0;
  } else if constexpr (std::is_integral_v<T>) {
    v = static_cast<T>(unzigzag(r.varint()));
  } else if constexpr (std::is_floating_point_v<T>) {
    auto b = r.bytes(8);
    double d = 0;
    if (b.size() == 8) std::memcpy(&d, b.data(), 8);
    v = static_cast<T>(d);
  } else if constexpr (is_optional<T>::value) {
    if (r.byte()) {
      typename T::value_type x{};
      read(r, x);
      v = std::move(x);
    } else {
      v.reset();
    }
  } else if constexpr (is_vector<T>::value) {
    uint64_t n = r.varint();
    v.clear();
    // Each element takes at least one byte: a corrupt count cannot allocate without bound.
    if (n > static_cast<uint64_t>(r.end - r.p)) {
      r.bad = true;
      return;
    }
    v.reserve(n);
    for (uint64_t i = 0; i < n && !r.bad; ++i) read(r, v.emplace_back());
  } else {
    static_assert(has_fields<T>::value, "record member type not supported");
    field_reader fr{r};
    v.fields(fr);
  }
}

// Moves the cursor past one encoded T without decoding it (no allocation).
template <class T>
void skip(reader& r);

struct field_skipper {
  reader& r;
  template <class T>
  void operator()(std::string_view, T&) {
    if (!r.bad) skip<T>(r);
  }
};

template <class T>
void skip(reader& r) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, raw_json>) {
    r.bytes(r.varint());
  } else if constexpr (std::is_same_v<T, bool>) {
    r.byte();
  } else if constexpr (std::is_integral_v<T>) {
    r.varint();
  } else if constexpr (std::is_floating_point_v<T>) {
    r.bytes(8);
  } else if constexpr (is_optional<T>::value) {
    if (r.byte()) skip<typename T::value_type>(r);
  } else if constexpr (is_vector<T>::value) {
    uint64_t n = r.varint();
    if (n > static_cast<uint64_t>(r.end - r.p)) {
      r.bad = true;
      return;
    }
    for (uint64_t i = 0; i < n && !r.bad; ++i) skip<typename T::value_type>(r);
  } else {
    static_assert(has_fields<T>::value, "record member type not supported");
    T shape{};  // only its members' types are used
    field_skipper fs{r};
    shape.fields(fs);
  }
}

}  // namespace record_detail

template <class T>
void encode_record_to(std::string& out, const T& value) {
  out.clear();
  out.push_back(kRecordFormat);
  record_detail::write(out, value);
}

template <class T>
std::string encode_record(const T& value) {
  std::string out;
  out.reserve(256);
  encode_record_to(out, value);
  return out;
}

// nullopt if `bytes` is neither a record of this format nor JSON of T.
// A record type may keep members that are functions of its stored fields out of fields() and
// fill them in `void after_decode()`, which decode_record() calls (customer_record) and
// decode_record_fields() does not (a fold, which never reads them).
template <class T>
std::optional<T> decode_record_fields(std::string_view bytes) {
  std::optional<T> out;
  if (!bytes.empty() && bytes.front() == '{') {
    auto r = events::decode_payload<T>(bytes);
    if (!r) return std::nullopt;
    out = std::move(r).value();
  } else {
    if (bytes.empty() || bytes.front() != kRecordFormat) return std::nullopt;
    record_detail::reader r{bytes.data() + 1, bytes.data() + bytes.size()};
    out.emplace();
    record_detail::read(r, *out);
    if (r.bad || !r.at_end()) return std::nullopt;
  }
  return out;
}

template <class T>
std::optional<T> decode_record(std::string_view bytes) {
  auto out = decode_record_fields<T>(bytes);
  if constexpr (requires(T& t) { t.after_decode(); })
    if (out) out->after_decode();
  return out;
}

}  // namespace roms::projections
