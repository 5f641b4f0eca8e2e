// A segment of the embedded log: `<base offset, 20 digits>.seg` holding records (record.h)
// with dense offsets from `base`, and its sparse index `<base>.idx`.
//
// The .idx file is a sequence of 32-byte entries, little-endian:
//   i64 offset, u64 pos, i64 max_time_before, u32 kind, u32 crc32c (of the 28 bytes before)
// kind 0: the record with `offset` starts at byte `pos`; max_time_before is the largest event
//         time of the records before it in the segment (INT64_MIN if none). An entry is added
//         for the first record and then for the first record at or after 4 KiB past the
//         previous entry.
// kind 1: seal trailer, written when the segment is closed for appends: offset = end offset,
//         pos = file size, max_time_before = the segment's largest event time.
// The .idx is written without fsync: on open it is trusted only as far as it validates (CRC,
// monotonic, inside the file) and is rebuilt by scanning the segment otherwise.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "events/internal/io.h"
#include "events/internal/record.h"

namespace roms::events::internal {

inline constexpr uint64_t kIndexIntervalBytes = 4096;
inline constexpr size_t kIndexEntryBytes = 32;
inline constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();
inline constexpr uint32_t kIdxKindEntry = 0;
inline constexpr uint32_t kIdxKindTrailer = 1;

struct index_entry {
  int64_t offset = 0;
  uint64_t pos = 0;
  int64_t max_time_before = kNoTime;
};

struct idx_contents {
  std::vector<index_entry> entries;  // the valid prefix
  std::optional<index_entry> trailer;
  bool clean = true;  // false if anything after the valid prefix was dropped
};

// "00000000000000000042.seg" for (42, ".seg").
std::string segment_file_name(int64_t base, std::string_view ext);
// The base offset of a "<20 digits>.seg" name, nullopt for any other name.
std::optional<int64_t> parse_segment_file_name(std::string_view name);

// Reads the valid prefix of an .idx file for a segment starting at `base` whose data is
// `data_size` bytes. A missing file reads as empty and not clean.
idx_contents load_idx(const std::filesystem::path& p, int64_t base, uint64_t data_size);
void encode_idx_entry(std::string& out, const index_entry& e, uint32_t kind);
// Replaces the file atomically (temp file + rename, no fsync: the index is derived data).
result_msg<void> write_idx(const std::filesystem::path& p, const std::vector<index_entry>& entries,
                           const std::optional<index_entry>& trailer);

// Reads records sequentially from a file range [pos, limit) with large preads. Bytes at or
// past `limit` are never read, so a limit at the durable end never sees unsynced data.
class record_cursor {
 public:
  // `chunk`: bytes per read; small for point lookups, large for scans.
  explicit record_cursor(size_t chunk = 256 << 10) : chunk_(chunk) {}

  enum class step {
    record,  // `out` holds the next record, valid until the next call
    end,     // exactly at limit
    torn,    // a partial record before limit (incomplete header or body)
    bad,     // length out of range or checksum mismatch at pos()
  };

  void reset(int fd, const std::filesystem::path* p, uint64_t pos, uint64_t limit);
  void set_limit(uint64_t limit) noexcept { limit_ = limit; }
  uint64_t pos() const noexcept { return pos_; }  // where the next record starts
  uint64_t limit() const noexcept { return limit_; }

  result_msg<step> next(record_view& out);

 private:
  size_t chunk_;
  int fd_ = -1;
  const std::filesystem::path* path_ = nullptr;
  uint64_t pos_ = 0;
  uint64_t limit_ = 0;
  std::vector<char> buf_;
  uint64_t buf_file_pos_ = 0;  // file position of buf_[0]
  size_t buf_len_ = 0;         // valid bytes in buf_
};

// A segment as the log holds it. Files are opened once; the fd is shared by the writer
// (pwrite) and all readers (pread).
class segment {
 public:
  segment(std::filesystem::path dir, int64_t base, unique_fd fd);

  int64_t base() const noexcept { return base_; }
  int fd() const noexcept { return fd_.get(); }
  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path idx_path() const;

  // The visible extent: records that are durable (or, read-only, that validated). Writer
  // publishes size before the log's end offset, so a reader that saw an end offset finds
  // the records inside size().
  uint64_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  int64_t end() const noexcept { return end_.load(std::memory_order_acquire); }
  int64_t max_time() const noexcept { return max_time_.load(std::memory_order_acquire); }
  bool sealed() const noexcept { return sealed_.load(std::memory_order_acquire); }
  void publish(int64_t end, uint64_t size, int64_t max_time) noexcept;
  void seal() noexcept { sealed_.store(true, std::memory_order_release); }

  // The index entry with the largest offset <= `offset`, or the segment start.
  index_entry floor(int64_t offset) const;
  // Where to start scanning for the first record with time > t (only meaningful when
  // max_time() > t): the last entry whose max_time_before <= t.
  index_entry scan_start_for_time(int64_t t) const;
  void add_entries(const std::vector<index_entry>& entries);
  void set_entries(std::vector<index_entry> entries);
  std::vector<index_entry> entries() const;

 private:
  std::filesystem::path path_;
  int64_t base_;
  unique_fd fd_;
  std::atomic<uint64_t> size_{0};
  std::atomic<int64_t> end_;
  std::atomic<int64_t> max_time_{kNoTime};
  std::atomic<bool> sealed_{false};
  mutable std::mutex entries_mu_;
  std::vector<index_entry> entries_;
};

}  // namespace roms::events::internal
