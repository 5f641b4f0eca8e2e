#include "events/internal/segment.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "events/internal/crc32c.h"

namespace roms::events::internal {
namespace {

constexpr size_t kDigits = 20;

}  // namespace

std::string segment_file_name(int64_t base, std::string_view ext) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(base));
  std::string s(buf);
  s += ext;
  return s;
}

std::optional<int64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != kDigits + 4 || name.substr(kDigits) != ".seg") return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < kDigits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

void encode_idx_entry(std::string& out, const index_entry& e, uint32_t kind) {
  char b[kIndexEntryBytes];
  std::memcpy(b, &e.offset, 8);
  std::memcpy(b + 8, &e.pos, 8);
  std::memcpy(b + 16, &e.max_time_before, 8);
  std::memcpy(b + 24, &kind, 4);
  uint32_t crc = crc32c::value(b, 28);
  std::memcpy(b + 28, &crc, 4);
  out.append(b, sizeof b);
}

idx_contents load_idx(const std::filesystem::path& p, int64_t base, uint64_t data_size) {
  idx_contents out;
  auto fd = open_file(p, O_RDONLY);
  if (!fd) {
    out.clean = false;
    return out;
  }
  auto size = file_size(fd.value().get(), p);
  if (!size) {
    out.clean = false;
    return out;
  }
  std::string data(size.value(), '\0');
  auto n = pread_full(fd.value().get(), data.data(), data.size(), 0, p);
  if (!n || n.value() != data.size()) {
    out.clean = false;
    return out;
  }
  if (data.size() % kIndexEntryBytes != 0) out.clean = false;
  size_t count = data.size() / kIndexEntryBytes;
  out.entries.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const char* b = data.data() + i * kIndexEntryBytes;
    index_entry e;
    uint32_t kind, crc;
    std::memcpy(&e.offset, b, 8);
    std::memcpy(&e.pos, b + 8, 8);
    std::memcpy(&e.max_time_before, b + 16, 8);
    std::memcpy(&kind, b + 24, 4);
    std::memcpy(&crc, b + 28, 4);
    bool ok = crc32c::value(b, 28) == crc;
    const index_entry* prev = out.entries.empty() ? nullptr : &out.entries.back();
    if (ok && kind == kIdxKindEntry) {
      ok = prev ? (e.offset > prev->offset && e.pos > prev->pos &&
                   e.max_time_before >= prev->max_time_before)
                : (e.offset == base && e.pos == 0);
      ok = ok && e.pos < data_size;
      if (ok) {
        out.entries.push_back(e);
        continue;
      }
    } else if (ok && kind == kIdxKindTrailer && i + 1 == count) {
      if (!prev || (e.offset > prev->offset && e.pos > prev->pos &&
                    e.max_time_before >= prev->max_time_before)) {
        out.trailer = e;
        continue;
      }
    }
    out.clean = false;
    break;
  }
  return out;
}

result_msg<void> write_idx(const std::filesystem::path& p, const std::vector<index_entry>& entries,
                           const std::optional<index_entry>& trailer) {
  std::string data;
  data.reserve((entries.size() + 1) * kIndexEntryBytes);
  for (const auto& e : entries) encode_idx_entry(data, e, kIdxKindEntry);
  if (trailer) encode_idx_entry(data, *trailer, kIdxKindTrailer);
  auto tmp = p;
  tmp += ".tmp";
  {
    BOOST_OUTCOME_TRY(auto fd, open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC));
    BOOST_OUTCOME_TRY(pwrite_full(fd.get(), data.data(), data.size(), 0, tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, p, ec);
  if (ec) return errno_error("cannot rename to", p, ec.value());
  return success();
}

void record_cursor::reset(int fd, const std::filesystem::path* p, uint64_t pos, uint64_t limit) {
  fd_ = fd;
  path_ = p;
  pos_ = pos;
  limit_ = limit;
  buf_len_ = 0;
  buf_file_pos_ = pos;
}

result_msg<record_cursor::step> record_cursor::next(record_view& out) {
  for (;;) {
    if (pos_ >= limit_) return step::end;
    if (pos_ < buf_file_pos_ || pos_ > buf_file_pos_ + buf_len_) {
      buf_len_ = 0;
      buf_file_pos_ = pos_;
    }
    size_t off = static_cast<size_t>(pos_ - buf_file_pos_);
    size_t avail = std::min<uint64_t>(buf_len_ - off, limit_ - pos_);
    auto st = avail > 0 ? parse_record(buf_.data() + off, avail, out) : parse_status::incomplete;
    if (st == parse_status::ok) {
      pos_ += out.total;
      return step::record;
    }
    if (st == parse_status::bad) {
      buf_len_ = 0;  // a concurrent writer (read-only mode) may complete these bytes later
      return step::bad;
    }
    if (buf_len_ - off >= limit_ - pos_) {  // everything up to the limit is here
      buf_len_ = 0;
      return step::torn;
    }
    // Refill: keep the partial record at the front and read up to the limit.
    size_t keep = buf_len_ - off;
    size_t need = chunk_;
    if (keep >= kRecordHeaderBytes) {
      uint32_t length;
      std::memcpy(&length, buf_.data() + off + 4, 4);
      need = std::max<size_t>(need, kRecordHeaderBytes + length);
    }
    if (buf_.size() < need) {
      std::vector<char> bigger(need);
      if (keep > 0) std::memcpy(bigger.data(), buf_.data() + off, keep);
      buf_.swap(bigger);
    } else if (off > 0) {
      std::memmove(buf_.data(), buf_.data() + off, keep);
    }
    buf_file_pos_ = pos_;
    buf_len_ = keep;
    uint64_t want = std::min<uint64_t>(buf_.size() - keep, limit_ - (pos_ + keep));
    BOOST_OUTCOME_TRY(auto got, pread_full(fd_, buf_.data() + keep, want, pos_ + keep, *path_));
    buf_len_ += got;
    if (got == 0) {  // the file is shorter than the limit says
      buf_len_ = 0;
      return step::torn;
    }
  }
}

segment::segment(std::filesystem::path dir, int64_t base, unique_fd fd)
    : path_(dir / segment_file_name(base, ".seg")), base_(base), fd_(std::move(fd)), end_(base) {}

std::filesystem::path segment::idx_path() const {
  auto p = path_;
  p.replace_extension(".idx");
  return p;
}

void segment::publish(int64_t end, uint64_t size, int64_t max_time) noexcept {
  max_time_.store(max_time, std::memory_order_release);
  size_.store(size, std::memory_order_release);
  end_.store(end, std::memory_order_release);
}

index_entry segment::floor(int64_t offset) const {
  std::lock_guard lock(entries_mu_);
  auto it = std::upper_bound(entries_.begin(), entries_.end(), offset,
                             [](int64_t o, const index_entry& e) { return o < e.offset; });
  if (it == entries_.begin()) return {base_, 0, kNoTime};
  return *std::prev(it);
}

index_entry segment::scan_start_for_time(int64_t t) const {
  std::lock_guard lock(entries_mu_);
  auto it = std::upper_bound(entries_.begin(), entries_.end(), t,
                             [](int64_t v, const index_entry& e) { return v < e.max_time_before; });
  if (it == entries_.begin()) return {base_, 0, kNoTime};
  return *std::prev(it);
}

void segment::add_entries(const std::vector<index_entry>& entries) {
  std::lock_guard lock(entries_mu_);
  entries_.insert(entries_.end(), entries.begin(), entries.end());
}

void segment::set_entries(std::vector<index_entry> entries) {
  std::lock_guard lock(entries_mu_);
  entries_ = std::move(entries);
}

std::vector<index_entry> segment::entries() const {
  std::lock_guard lock(entries_mu_);
  return entries_;
}

}  // namespace roms::events::internal
