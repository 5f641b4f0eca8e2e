#include "events/internal/record.h"

#include <bit>
#include <cstring>

#include "events/internal/crc32c.h"

namespace roms::events::internal {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the on-disk format is little-endian and encoded with memcpy");

size_t varint_size(uint64_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void put_varint(std::string& out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

template <class T>
void put_fixed(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

size_t string_size(std::string_view s) noexcept { return varint_size(s.size()) + s.size(); }

size_t body_size(const envelope& e) noexcept {
  return 1 + string_size(e.id) + string_size(e.type) + 4 + string_size(e.stream) + 8 +
         string_size(e.actor) + string_size(e.correlation_id) + string_size(e.causation_id) +
         string_size(e.payload);
}

// A cursor over a body; every get fails (returns false) rather than reading past the end.
class cursor {
 public:
  explicit cursor(std::string_view s) noexcept : p_(s.data()), end_(s.data() + s.size()) {}
  bool done() const noexcept { return p_ == end_; }

  bool get_varint(uint64_t& v) noexcept {
    v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      auto b = static_cast<unsigned char>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool get_string(std::string_view& s) noexcept {
    uint64_t n;
    if (!get_varint(n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    s = {p_, static_cast<size_t>(n)};
    p_ += n;
    return true;
  }
  template <class T>
  bool get_fixed(T& v) noexcept {
    if (static_cast<size_t>(end_ - p_) < sizeof(T)) return false;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace

size_t record_size(const envelope& e) noexcept { return kRecordHeaderBytes + body_size(e); }

void append_record(std::string& out, int64_t offset, const envelope& e) {
  size_t start = out.size();
  size_t body = body_size(e);
  out.resize(start + kRecordHeaderBytes);  // header filled in below
  out.reserve(start + kRecordHeaderBytes + body);
  out.push_back(static_cast<char>(kBodyFormat));
  put_string(out, e.id);
  put_string(out, e.type);
  put_fixed<uint32_t>(out, e.version);
  put_string(out, e.stream);
  put_fixed<int64_t>(out, to_micros(e.time));
  put_string(out, e.actor);
  put_string(out, e.correlation_id);
  put_string(out, e.causation_id);
  put_string(out, e.payload);

  char* h = out.data() + start;
  auto length = static_cast<uint32_t>(body);
  std::memcpy(h + 4, &length, 4);
  std::memcpy(h + 8, &offset, 8);
  uint32_t crc = crc32c::value(h + 4, kRecordHeaderBytes - 4 + body);
  std::memcpy(h, &crc, 4);
}

parse_status parse_record(const char* data, size_t n, record_view& out) noexcept {
  if (n < kRecordHeaderBytes) return parse_status::incomplete;
  uint32_t crc, length;
  std::memcpy(&crc, data, 4);
  std::memcpy(&length, data + 4, 4);
  if (length < kMinBodyBytes || length > kMaxBodyBytes) return parse_status::bad;
  if (n - kRecordHeaderBytes < length) return parse_status::incomplete;
  if (crc32c::value(data + 4, kRecordHeaderBytes - 4 + length) != crc) return parse_status::bad;
  std::memcpy(&out.offset, data + 8, 8);
  out.body = {data + kRecordHeaderBytes, length};
  out.total = kRecordHeaderBytes + length;
  return parse_status::ok;
}

bool decode_body(std::string_view body, envelope& out) {
  if (body.empty() || static_cast<uint8_t>(body[0]) != kBodyFormat) return false;
  cursor c(body.substr(1));
  std::string_view id, type, stream, actor, correlation, causation, payload;
  uint32_t version;
  int64_t time;
  if (!c.get_string(id) || !c.get_string(type) || !c.get_fixed(version) || !c.get_string(stream) ||
      !c.get_fixed(time) || !c.get_string(actor) || !c.get_string(correlation) ||
      !c.get_string(causation) || !c.get_string(payload) || !c.done()) {
    return false;
  }
  out.id.assign(id);
  out.type.assign(type);
  out.version = version;
  out.stream.assign(stream);
  out.time = from_micros(time);
  out.actor.assign(actor);
  out.correlation_id.assign(correlation);
  out.causation_id.assign(causation);
  out.payload.assign(payload);
  return true;
}

bool decode_id_time(std::string_view body, std::string_view& id, int64_t& time_us) noexcept {
  if (body.empty() || static_cast<uint8_t>(body[0]) != kBodyFormat) return false;
  cursor c(body.substr(1));
  std::string_view type, stream;
  uint32_t version;
  return c.get_string(id) && c.get_string(type) && c.get_fixed(version) && c.get_string(stream) &&
         c.get_fixed(time_us);
}

}  // namespace roms::events::internal
