// The embedded log. On-disk format, recovery rules and the threading model are described in
// events/README.md ("Embedded log"); the pieces live in events/internal/ (record.h: the
// record encoding, segment.h: segment and sparse index files, id_index.h: the RocksDB
// event-id index, crc32c.h, io.h).
#include "events/embedded_log.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/errc.h"
#include "core/thread_name.h"
#include "events/codec.h"
#include "events/internal/id_index.h"
#include "events/internal/io.h"
#include "events/internal/record.h"
#include "events/internal/segment.h"

namespace roms::events {
namespace {

namespace fs = std::filesystem;
using internal::errno_error;
using internal::index_entry;
using internal::kNoTime;
using internal::make_error;
using internal::record_cursor;
using internal::record_view;
using internal::segment;
using internal::unique_fd;

// On open the last segment is verified from its last index entry, but never less than this
// many bytes from its end, so damage just before the last entry is still found.
constexpr uint64_t kTailVerifyBytes = 1 << 20;
// Read-only mode has no writer in this process to signal it: readers poll the files.
constexpr std::chrono::milliseconds kReadOnlyPoll{5};
// The writer's encoding buffer is released after a group that needed more than this.
constexpr size_t kKeepBufferBytes = 16 << 20;
// Records per id-index batch when catching the index up on open.
constexpr size_t kReindexBatch = 4096;
// On open, the last records before indexed_up_to are looked up to check the index belongs
// to this log and is not missing its newest writes.
constexpr int64_t kIndexCheckRecords = 64;

std::error_code code(errc e) { return make_error_code(e); }

// Sleeps while *word == expected. A plain futex: std::atomic::wait in libstdc++ 12 spins and
// sched_yield()s first, which with hundreds of waiting appenders on two cores costs more than
// it saves.
void futex_wait(std::atomic<uint32_t>& word, uint32_t expected) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr,
            nullptr, 0);  // EAGAIN (changed already) and EINTR just mean: check again
}

void futex_wake_all(std::atomic<uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr,
            nullptr, 0);
}

const char* step_name(record_cursor::step s) {
  switch (s) {
    case record_cursor::step::torn:
      return "a truncated record";
    case record_cursor::step::bad:
      return "a record with a bad length or checksum";
    default:
      return "a record";
  }
}

// Where a sequential scan of one segment stands: the next record's position and offset, the
// largest time so far, and where the last sparse-index entry was put.
struct scan_state {
  uint64_t pos = 0;
  int64_t offset = 0;
  int64_t max_time = kNoTime;
  std::optional<uint64_t> last_entry_pos;
};

struct scan_outcome {
  record_cursor::step stop = record_cursor::step::end;  // end, or why it stopped early
  std::string problem;                                  // for torn/bad: a sentence
  std::vector<index_entry> new_entries;
};

// True if a record starting at `pos` gets a sparse-index entry.
bool wants_entry(const std::optional<uint64_t>& last_entry_pos, uint64_t pos) {
  return !last_entry_pos || pos >= *last_entry_pos + internal::kIndexIntervalBytes;
}

// Scans `seg` from `st` up to byte `limit`, checking every record's CRC, that offsets are
// dense and that the body decodes. Stops at the first problem.
result_msg<scan_outcome> scan_segment(const segment& seg, scan_state& st, uint64_t limit) {
  scan_outcome out;
  record_cursor cur;
  cur.reset(seg.fd(), &seg.path(), st.pos, limit);
  record_view rec;
  for (;;) {
    BOOST_OUTCOME_TRY(auto step, cur.next(rec));
    if (step == record_cursor::step::end) return out;
    if (step != record_cursor::step::record) {
      out.stop = step;
      out.problem = step_name(step);
      return out;
    }
    std::string_view id;
    int64_t time;
    if (rec.offset != st.offset || !internal::decode_id_time(rec.body, id, time)) {
      out.stop = record_cursor::step::bad;
      out.problem = rec.offset != st.offset
                        ? "a record with offset " + std::to_string(rec.offset) + " where " +
                              std::to_string(st.offset) + " was expected"
                        : std::string("a record whose body does not decode");
      return out;
    }
    if (wants_entry(st.last_entry_pos, st.pos)) {
      out.new_entries.push_back({st.offset, st.pos, st.max_time});
      st.last_entry_pos = st.pos;
    }
    st.max_time = std::max(st.max_time, time);
    st.pos += rec.total;
    ++st.offset;
  }
}

struct append_request {
  std::span<const envelope> events;
  std::vector<append_result>* results = nullptr;
  std::error_code error;
  uint64_t group = 0;
};

class log_core;

// Reads records in offset order across segments, starting at a target offset, never past
// what the segments publish as visible. Used by readers, by time searches and on open.
class log_cursor {
 public:
  log_cursor(const log_core* core, int64_t target) : core_(core), target_(target) {}

  // Start at an index entry of `seg` (the target becomes the entry's offset).
  void seek_at(std::shared_ptr<segment> seg, const index_entry& e);

  // The next visible record at or after the target; false if there is none yet.
  result_msg<bool> next(record_view& rec);

 private:
  bool position();
  void rescan_from_start();

  const log_core* core_;
  std::shared_ptr<segment> seg_;
  record_cursor cur_;
  int64_t cur_offset_ = 0;  // offset of the record at cur_.pos()
  int64_t target_ = 0;
  bool via_index_ = false;  // positioned by a sparse-index entry (fall back to a scan if wrong)
};

class log_core {
 public:
  log_core(fs::path dir, embedded_log_options opts)
      : dir_(std::move(dir)), log_dir_(dir_ / "log"), opts_(std::move(opts)) {
    if (opts_.metrics && !opts_.read_only)
      sync_seconds_ = &opts_.metrics
                           ->histogram("roms_log_sync_seconds",
                                       "Time of each fdatasync of the embedded log (one per group "
                                       "commit; every durable append waits for one).",
                                       {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05, 0.1, 0.25, 0.5, 1})
                           .get();
  }

  ~log_core() { close(); }

  result_msg<void> open();
  void close();

  result<std::vector<append_result>> append(std::span<const envelope> events);
  result<log_stats> stats();
  result<std::vector<int64_t>> offsets_after_time(timestamp t);

  int64_t end() const noexcept { return end_.load(std::memory_order_acquire); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  bool read_only() const noexcept { return opts_.read_only; }

  // Returns when end() > offset, the log closes, or `wait` passes; the end at that point.
  result<int64_t> wait_for(int64_t offset, std::chrono::milliseconds wait);

  // The segment holding `offset` (the last one whose base <= offset).
  std::shared_ptr<segment> find_segment(int64_t offset) const;

 private:
  result_msg<void> lock_dir();
  result_msg<void> recover_segments();
  result_msg<std::shared_ptr<segment>> recover_sealed(int64_t base, int64_t next_base);
  result_msg<std::shared_ptr<segment>> recover_last(int64_t base);
  result_msg<void> open_id_index();
  result_msg<std::string> check_id_index(int64_t up_to);
  result_msg<void> reindex(int64_t from);
  result_msg<std::shared_ptr<segment>> create_segment(int64_t base);
  result_msg<void> open_active_idx();
  result_msg<void> refresh();  // read-only: pick up what another process appended
  void repair(const std::string& what);

  void writer_loop();
  void write_group(std::vector<append_request*>& batch);
  result_msg<void> write_records();
  result_msg<void> roll();
  void publish(int64_t end);
  void update_id_index();
  void fail(const error_info& e);
  result_msg<bool> holds_id_at(int64_t offset, std::string_view id);

  const fs::path dir_;
  const fs::path log_dir_;
  const embedded_log_options opts_;
  metrics::histogram* sync_seconds_ = nullptr;  // roms_log_sync_seconds, when opts_.metrics
  unique_fd lock_fd_;

  mutable std::shared_mutex segments_mu_;
  std::vector<std::shared_ptr<segment>> segments_;  // by base offset
  std::atomic<int64_t> end_{0};                     // next offset; everything below is visible
  std::atomic<bool> closed_{false};

  std::mutex tail_mu_;  // readers wait on tail_cv_ for end_ to move
  std::condition_variable tail_cv_;
  std::mutex refresh_mu_;  // read-only: one refresh at a time

  // Group commit. Callers queue requests into group `queue_group_` under queue_mu_, then wait
  // (outside the mutex) until acked_[group % 2] reaches their group. The group being written
  // and the one filling up use different words, so an ack wakes only its own callers, with
  // one futex wake and no mutex for 256 woken threads to queue on. Group numbers are
  // compared modulo 2^32.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<append_request*> queue_;
  uint64_t queue_group_ = 1;
  std::atomic<uint32_t> acked_[2] = {0, 0};
  bool stopping_ = false;
  std::thread writer_;

  // Writer-thread state.
  std::unique_ptr<internal::id_index> ids_;
  std::shared_ptr<segment> active_seg_;
  unique_fd active_idx_fd_;
  uint64_t active_idx_size_ = 0;
  scan_state active_;
  std::error_code failed_;  // sticky: after a failed write or sync nothing is appended
  struct pending_record {
    size_t pos;  // in buffer_
    uint32_t size;
    int64_t offset;
    int64_t time;
    std::string_view id;  // into buffer_
  };
  std::string buffer_;
  std::vector<pending_record> records_;
  std::unordered_map<std::string_view, int64_t> seen_;
  std::vector<std::string_view> lookup_ids_;
  std::vector<std::optional<int64_t>> lookup_out_;
  std::vector<std::pair<std::string_view, int64_t>> index_batch_;
  record_cursor point_reader_{8 << 10};
};

// ---- log_cursor ----------------------------------------------------------------------------

void log_cursor::seek_at(std::shared_ptr<segment> seg, const index_entry& e) {
  seg_ = std::move(seg);
  cur_.reset(seg_->fd(), &seg_->path(), e.pos, seg_->size());
  cur_offset_ = e.offset;
  target_ = e.offset;
  via_index_ = e.pos != 0;
}

bool log_cursor::position() {
  auto seg = core_->find_segment(target_);
  if (!seg) return false;
  auto e = seg->floor(target_);
  seg_ = std::move(seg);
  cur_.reset(seg_->fd(), &seg_->path(), e.pos, seg_->size());
  cur_offset_ = e.offset;
  via_index_ = e.pos != 0;
  return true;
}

void log_cursor::rescan_from_start() {
  via_index_ = false;
  cur_.reset(seg_->fd(), &seg_->path(), 0, seg_->size());
  cur_offset_ = seg_->base();
}

result_msg<bool> log_cursor::next(record_view& rec) {
  for (;;) {
    if (!seg_ && !position()) return false;
    cur_.set_limit(seg_->size());
    BOOST_OUTCOME_TRY(auto step, cur_.next(rec));
    if (step == record_cursor::step::record) {
      if (rec.offset != cur_offset_) {
        if (via_index_) {
          rescan_from_start();
          continue;
        }
        return make_error(errc::corruption, seg_->path().string() + ": record at byte " +
                                                std::to_string(cur_.pos() - rec.total) +
                                                " has offset " + std::to_string(rec.offset) +
                                                ", expected " + std::to_string(cur_offset_));
      }
      ++cur_offset_;
      if (rec.offset < target_) continue;
      target_ = cur_offset_;
      return true;
    }
    if (step == record_cursor::step::end) {
      if (!seg_->sealed() || cur_offset_ < seg_->end()) return false;
      auto next = core_->find_segment(cur_offset_);
      if (!next || next == seg_) return false;
      seg_.reset();
      continue;
    }
    if (via_index_) {
      rescan_from_start();
      continue;
    }
    return make_error(errc::corruption, seg_->path().string() + ": " + step_name(step) +
                                            " at byte " + std::to_string(cur_.pos()) + " (offset " +
                                            std::to_string(cur_offset_) + ")");
  }
}

// ---- open and recovery ---------------------------------------------------------------------

void log_core::repair(const std::string& what) {
  if (opts_.on_repair) opts_.on_repair(what);
}

result_msg<void> log_core::lock_dir() {
  auto p = log_dir_ / "LOCK";
  BOOST_OUTCOME_TRY(auto fd, internal::open_file(p, O_RDWR | O_CREAT));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      return make_error(errc::locked, "the log in " + dir_.string() +
                                          " is open for writing by another process or instance");
    }
    return errno_error("cannot lock", p, err);
  }
  lock_fd_ = std::move(fd);
  return success();
}

result_msg<void> log_core::open() {
  std::error_code ec;
  if (opts_.read_only) {
    if (!fs::is_directory(log_dir_, ec)) {
      return make_error(errc::not_found, "no log in " + dir_.string());
    }
  } else {
    bool created = fs::create_directories(log_dir_, ec);
    if (ec) return errno_error("cannot create", log_dir_, ec.value());
    if (created) {
      BOOST_OUTCOME_TRY(internal::sync_dir(dir_));
      if (dir_.has_parent_path()) (void)internal::sync_dir(dir_.parent_path());
    }
    BOOST_OUTCOME_TRY(lock_dir());
  }
  BOOST_OUTCOME_TRY(recover_segments());
  if (!opts_.read_only) {
    BOOST_OUTCOME_TRY(open_id_index());
    BOOST_OUTCOME_TRY(open_active_idx());
    writer_ = std::thread([this] {
      set_thread_name("roms-log");
      writer_loop();
    });
  }
  return success();
}

result_msg<void> log_core::recover_segments() {
  std::vector<int64_t> bases;
  std::error_code ec;
  for (fs::directory_iterator it(log_dir_, ec), last; !ec && it != last; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (auto base = internal::parse_segment_file_name(name)) {
      bases.push_back(*base);
    } else if (!opts_.read_only && name.ends_with(".idx.tmp")) {
      std::error_code rm;
      fs::remove(it->path(), rm);  // an index rewrite that did not finish
    }
  }
  if (ec) return errno_error("cannot list", log_dir_, ec.value());
  std::sort(bases.begin(), bases.end());

  if (bases.empty()) {
    if (opts_.read_only) return success();  // nothing yet; refresh() looks for segment 0
    BOOST_OUTCOME_TRY(auto seg, create_segment(0));
    segments_.push_back(std::move(seg));
    return success();  // create_segment set the writer's state
  }
  if (bases.front() != 0) {
    return make_error(errc::corruption,
                      log_dir_.string() + ": the first segment starts at offset " +
                          std::to_string(bases.front()) + ", not 0 (a segment file is missing)");
  }
  for (size_t i = 0; i + 1 < bases.size(); ++i) {
    BOOST_OUTCOME_TRY(auto seg, recover_sealed(bases[i], bases[i + 1]));
    segments_.push_back(std::move(seg));
  }
  BOOST_OUTCOME_TRY(auto last, recover_last(bases.back()));
  segments_.push_back(std::move(last));
  end_.store(segments_.back()->end(), std::memory_order_release);
  return success();
}

result_msg<std::shared_ptr<segment>> log_core::recover_sealed(int64_t base, int64_t next_base) {
  auto p = log_dir_ / internal::segment_file_name(base, ".seg");
  BOOST_OUTCOME_TRY(auto fd, internal::open_file(p, O_RDONLY));
  BOOST_OUTCOME_TRY(auto size, internal::file_size(fd.get(), p));
  auto seg = std::make_shared<segment>(log_dir_, base, std::move(fd));
  auto idx = internal::load_idx(seg->idx_path(), base, size);
  if (idx.clean && idx.trailer && idx.trailer->pos == size && idx.trailer->offset == next_base) {
    seg->set_entries(std::move(idx.entries));
    seg->publish(next_base, size, idx.trailer->max_time_before);
    seg->seal();
    return seg;
  }
  // No trustworthy index (e.g. a crash right after a roll): scan, which also verifies every
  // record of the segment.
  scan_state st{0, base, kNoTime, std::nullopt};
  BOOST_OUTCOME_TRY(auto out, scan_segment(*seg, st, size));
  if (out.stop != record_cursor::step::end) {
    return make_error(errc::corruption, p.string() + ": " + out.problem + " at byte " +
                                            std::to_string(st.pos) + " (offset " +
                                            std::to_string(st.offset) + ") in a sealed segment");
  }
  if (st.offset != next_base) {
    return make_error(errc::corruption,
                      p.string() + " ends at offset " + std::to_string(st.offset) +
                          " but the next segment starts at " + std::to_string(next_base));
  }
  seg->set_entries(out.new_entries);
  seg->publish(st.offset, size, st.max_time);
  seg->seal();
  if (!opts_.read_only) {
    BOOST_OUTCOME_TRY(internal::write_idx(seg->idx_path(), out.new_entries,
                                          index_entry{st.offset, size, st.max_time}));
    repair("rebuilt the sparse index " + seg->idx_path().string() + " by scanning its segment");
  }
  return seg;
}

result_msg<std::shared_ptr<segment>> log_core::recover_last(int64_t base) {
  auto p = log_dir_ / internal::segment_file_name(base, ".seg");
  BOOST_OUTCOME_TRY(auto fd, internal::open_file(p, opts_.read_only ? O_RDONLY : O_RDWR));
  BOOST_OUTCOME_TRY(auto size, internal::file_size(fd.get(), p));
  auto seg = std::make_shared<segment>(log_dir_, base, std::move(fd));
  auto idx = internal::load_idx(seg->idx_path(), base, size);

  // Entries are written after the data they point to was synced, so data before the last
  // one is durable; verify from there, and at least the last kTailVerifyBytes.
  std::vector<index_entry> kept;
  uint64_t verify_from = size > kTailVerifyBytes ? size - kTailVerifyBytes : 0;
  for (const auto& e : idx.entries) {
    if (e.pos > verify_from && !kept.empty()) break;
    kept.push_back(e);
  }
  scan_state st{0, base, kNoTime, std::nullopt};
  if (!kept.empty()) {
    st = {kept.back().pos, kept.back().offset, kept.back().max_time_before, kept.back().pos};
  }
  BOOST_OUTCOME_TRY(auto out, scan_segment(*seg, st, size));
  kept.insert(kept.end(), out.new_entries.begin(), out.new_entries.end());
  if (out.stop != record_cursor::step::end && !opts_.read_only) {
    uint64_t dropped = size - st.pos;
    BOOST_OUTCOME_TRY(internal::truncate_file(seg->fd(), st.pos, p));
    BOOST_OUTCOME_TRY(internal::sync_file(seg->fd(), p));
    repair("truncated " + p.string() + " at byte " + std::to_string(st.pos) + ": dropped " +
           std::to_string(dropped) + " bytes after offset " + std::to_string(st.offset - 1) +
           ", starting with " + out.problem);
    size = st.pos;
  }
  // Read-only: a torn tail may be a write in progress; stop before it and look again later.
  seg->set_entries(kept);
  seg->publish(st.offset, st.pos, st.max_time);
  if (!opts_.read_only) {
    // Rewritten every open (it is small): drops entries past a truncation and any trailer.
    BOOST_OUTCOME_TRY(internal::write_idx(seg->idx_path(), kept, std::nullopt));
    active_seg_ = seg;
  }
  active_ = scan_state{st.pos, st.offset, st.max_time,
                       kept.empty() ? std::nullopt : std::optional<uint64_t>(kept.back().pos)};
  return seg;
}

result_msg<std::shared_ptr<segment>> log_core::create_segment(int64_t base) {
  auto p = log_dir_ / internal::segment_file_name(base, ".seg");
  BOOST_OUTCOME_TRY(auto fd, internal::open_file(p, O_RDWR | O_CREAT | O_EXCL));
  if (opts_.sync) {
    BOOST_OUTCOME_TRY(internal::sync_file(fd.get(), p));
    BOOST_OUTCOME_TRY(internal::sync_dir(log_dir_));
  }
  auto seg = std::make_shared<segment>(log_dir_, base, std::move(fd));
  seg->publish(base, 0, kNoTime);
  active_seg_ = seg;
  active_ = scan_state{0, base, kNoTime, std::nullopt};
  return seg;
}

result_msg<void> log_core::open_active_idx() {
  auto p = active_seg_->idx_path();
  BOOST_OUTCOME_TRY(auto fd, internal::open_file(p, O_WRONLY | O_CREAT));
  BOOST_OUTCOME_TRY(auto size, internal::file_size(fd.get(), p));
  active_idx_fd_ = std::move(fd);
  active_idx_size_ = size;
  return success();
}

result_msg<void> log_core::open_id_index() {
  auto path = log_dir_ / "ids";
  std::string reason;
  int64_t up_to = 0;
  auto opened = internal::id_index::open(path, opts_.index_memory_bytes);
  if (!opened) {
    reason = opened.error().message;
  } else {
    ids_ = std::move(opened).value();
    auto u = ids_->indexed_up_to();
    if (!u) {
      reason = u.error().message;
    } else if (u.value() > end()) {
      reason = "it is ahead of the log (indexed up to offset " + std::to_string(u.value()) +
               ", the log ends at " + std::to_string(end()) + ")";
    } else {
      BOOST_OUTCOME_TRY(reason, check_id_index(u.value()));
      up_to = u.value();
    }
  }
  if (!reason.empty()) {
    ids_.reset();
    BOOST_OUTCOME_TRY(internal::id_index::destroy(path));
    BOOST_OUTCOME_TRY(ids_, internal::id_index::open(path, opts_.index_memory_bytes));
    up_to = 0;
    repair("rebuilding the id index " + path.string() + ": " + reason);
  }
  return reindex(up_to);
}

// "" if the newest records below `up_to` are in the index at their offsets, else why not.
// An error only for a problem reading the log itself.
result_msg<std::string> log_core::check_id_index(int64_t up_to) {
  int64_t from = std::max<int64_t>(0, up_to - kIndexCheckRecords);
  if (from == up_to) return std::string();
  std::vector<std::string> ids;
  log_cursor cur(this, from);
  record_view rec;
  for (int64_t o = from; o < up_to; ++o) {
    BOOST_OUTCOME_TRY(auto got, cur.next(rec));
    std::string_view id;
    int64_t time;
    if (!got || !internal::decode_id_time(rec.body, id, time)) {
      return make_error(errc::corruption,
                        "cannot read offset " + std::to_string(o) + " in " + log_dir_.string());
    }
    ids.emplace_back(id);
  }
  std::vector<std::string_view> views(ids.begin(), ids.end());
  std::vector<std::optional<int64_t>> found;
  auto r = ids_->lookup(views, found);
  if (!r) return r.error().message;
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t o = from + static_cast<int64_t>(i);
    if (found[i] != o) {
      return "event " + ids[i] + " at offset " + std::to_string(o) +
             (found[i] ? " is indexed at offset " + std::to_string(*found[i])
                       : std::string(" is missing"));
    }
  }
  return std::string();
}

// Indexes the records from `from` to the end, in batches, each with its indexed_up_to.
result_msg<void> log_core::reindex(int64_t from) {
  int64_t end = this->end();
  if (from >= end) return success();
  log_cursor cur(this, from);
  std::vector<std::string> ids;
  std::vector<std::string_view> views;
  std::vector<std::optional<int64_t>> found;
  std::unordered_set<std::string_view> in_batch;
  std::vector<std::pair<std::string_view, int64_t>> puts;
  int64_t next = from;
  while (next < end) {
    ids.clear();
    int64_t batch_from = next;
    while (next < end && ids.size() < kReindexBatch) {
      record_view rec;
      BOOST_OUTCOME_TRY(auto got, cur.next(rec));
      std::string_view id;
      int64_t time;
      if (!got || !internal::decode_id_time(rec.body, id, time)) {
        return make_error(errc::corruption, "cannot read offset " + std::to_string(next) + " in " +
                                                log_dir_.string());
      }
      ids.emplace_back(id);
      ++next;
    }
    views.assign(ids.begin(), ids.end());
    auto r = ids_->lookup(views, found);
    if (!r) return r.error();
    in_batch.clear();
    puts.clear();
    for (size_t i = 0; i < views.size(); ++i) {
      // The first offset of an id wins (the log never holds a repeat, but be safe).
      if (found[i] || !in_batch.insert(views[i]).second) continue;
      puts.emplace_back(views[i], batch_from + static_cast<int64_t>(i));
    }
    BOOST_OUTCOME_TRY(ids_->put(puts, next));
  }
  return success();
}

result_msg<void> log_core::refresh() {
  std::lock_guard lock(refresh_mu_);
  for (;;) {
    std::shared_ptr<segment> last;
    {
      std::shared_lock seg_lock(segments_mu_);
      if (!segments_.empty()) last = segments_.back();
    }
    if (last) {
      BOOST_OUTCOME_TRY(auto size, internal::file_size(last->fd(), last->path()));
      if (size > active_.pos) {
        scan_state st = active_;
        BOOST_OUTCOME_TRY(auto out, scan_segment(*last, st, size));
        if (st.offset > active_.offset) {
          last->add_entries(out.new_entries);
          last->publish(st.offset, st.pos, st.max_time);
          active_ = st;
          publish(st.offset);
          continue;
        }
        // A partial or unverifiable record: a write in progress. Look again next time.
        if (out.stop != record_cursor::step::end) return success();
      }
    }
    // Nothing new in the last segment: has the writer rolled to a new one?
    int64_t base = last ? active_.offset : 0;
    auto p = log_dir_ / internal::segment_file_name(base, ".seg");
    auto fd = internal::open_file(p, O_RDONLY);
    if (!fd) {
      if (fd.error().code == errc::not_found) return success();
      return fd.error();
    }
    auto seg = std::make_shared<segment>(log_dir_, base, std::move(fd).value());
    seg->publish(base, 0, kNoTime);
    {
      std::unique_lock seg_lock(segments_mu_);
      segments_.push_back(seg);
    }
    if (last) last->seal();
    active_ = scan_state{0, base, kNoTime, std::nullopt};
  }
}

result<int64_t> log_core::wait_for(int64_t offset, std::chrono::milliseconds wait) {
  using clock = std::chrono::steady_clock;
  wait = std::clamp(wait, std::chrono::milliseconds(0),
                    std::chrono::milliseconds(std::chrono::hours(24 * 365)));
  if (!opts_.read_only) {
    std::unique_lock lock(tail_mu_);
    tail_cv_.wait_for(lock, wait, [&] { return end() > offset || closed(); });
  } else {
    auto deadline = clock::now() + wait;
    for (;;) {
      auto r = refresh();
      if (!r) return r.error().code;
      if (end() > offset || closed()) break;
      auto now = clock::now();
      if (now >= deadline) break;
      std::unique_lock lock(tail_mu_);
      tail_cv_.wait_for(lock, std::min<clock::duration>(kReadOnlyPoll, deadline - now),
                        [&] { return closed(); });
    }
  }
  if (closed()) return code(errc::closed);
  return end();
}

std::shared_ptr<segment> log_core::find_segment(int64_t offset) const {
  std::shared_lock lock(segments_mu_);
  auto it =
      std::upper_bound(segments_.begin(), segments_.end(), offset,
                       [](int64_t o, const std::shared_ptr<segment>& s) { return o < s->base(); });
  if (it == segments_.begin()) return nullptr;
  return *std::prev(it);
}

void log_core::close() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();  // drains what is queued
  closed_.store(true, std::memory_order_release);
  { std::lock_guard lock(tail_mu_); }
  tail_cv_.notify_all();
  ids_.reset();
  active_idx_fd_.reset();
  lock_fd_.reset();  // releases the flock
}

// ---- appends -------------------------------------------------------------------------------

result<std::vector<append_result>> log_core::append(std::span<const envelope> events) {
  if (opts_.read_only) return code(errc::unsupported);
  for (const auto& e : events) {
    if (!validate_envelope(e)) return code(errc::invalid_argument);
  }
  std::vector<append_result> results(events.size());
  if (events.empty()) return results;
  append_request req;
  req.events = events;
  req.results = &results;
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return code(errc::closed);
    req.group = queue_group_;
    queue_.push_back(&req);
    if (queue_.size() == 1) queue_cv_.notify_one();
  }
  auto& acked = acked_[req.group & 1];
  auto group = static_cast<uint32_t>(req.group);
  for (uint32_t cur = acked.load(std::memory_order_acquire); static_cast<int32_t>(cur - group) < 0;
       cur = acked.load(std::memory_order_acquire)) {
    futex_wait(acked, cur);
  }
  if (req.error) return req.error;
  return results;
}

void log_core::writer_loop() {
  std::vector<append_request*> batch;
  for (;;) {
    uint64_t group;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      batch.swap(queue_);
      group = queue_group_++;
    }
    write_group(batch);
    batch.clear();  // the requests belong to their callers, who may return once acked
    acked_[group & 1].store(static_cast<uint32_t>(group), std::memory_order_release);
    futex_wake_all(acked_[group & 1]);
    update_id_index();  // after the ack: it is derived data, rebuilt from the log on open
  }
}

void log_core::fail(const error_info& e) {
  if (!failed_) failed_ = e.code;
}

// True if the record at `offset` (below the end) has event id `id`.
result_msg<bool> log_core::holds_id_at(int64_t offset, std::string_view id) {
  if (offset >= active_.offset) return false;
  auto seg = find_segment(offset);
  if (!seg) return false;
  auto e = seg->floor(offset);
  point_reader_.reset(seg->fd(), &seg->path(), e.pos, seg->size());
  record_view rec;
  for (int64_t o = e.offset; o <= offset; ++o) {
    BOOST_OUTCOME_TRY(auto step, point_reader_.next(rec));
    if (step != record_cursor::step::record || rec.offset != o) {
      return make_error(errc::corruption, seg->path().string() + ": cannot read offset " +
                                              std::to_string(o) + " (" + step_name(step) + ")");
    }
  }
  std::string_view found;
  int64_t time;
  return internal::decode_id_time(rec.body, found, time) && found == id;
}

void log_core::write_group(std::vector<append_request*>& batch) {
  records_.clear();
  buffer_.clear();
  seen_.clear();
  lookup_ids_.clear();
  auto fail_all = [&](std::error_code ec) {
    for (auto* r : batch) r->error = ec;
    records_.clear();
  };
  if (failed_) return fail_all(failed_);

  // 1. Every distinct id of the group, looked up in the index with one MultiGet.
  for (const auto* r : batch) {
    for (const auto& e : r->events) {
      if (seen_.emplace(e.id, -1).second) lookup_ids_.push_back(e.id);
    }
  }
  if (auto r = ids_->lookup(lookup_ids_, lookup_out_); !r) {
    fail(r.error());
    return fail_all(failed_);
  }
  for (size_t i = 0; i < lookup_ids_.size(); ++i) {
    if (!lookup_out_[i]) continue;
    // A hit is checked against the log before the event is dropped as a duplicate: an index
    // that is stale (ahead of a repaired log, or damaged) must never lose an event.
    auto holds = holds_id_at(*lookup_out_[i], lookup_ids_[i]);
    if (!holds) {
      fail(holds.error());
      return fail_all(failed_);
    }
    if (holds.value()) seen_[lookup_ids_[i]] = *lookup_out_[i];
  }

  // 2. Offsets: the first occurrence of a new id takes the next offset; any other
  // occurrence (in the index, or earlier in this group) is a duplicate of the first.
  int64_t next = active_.offset;
  size_t total = 0;
  for (auto* r : batch) {
    for (size_t i = 0; i < r->events.size(); ++i) {
      const auto& e = r->events[i];
      int64_t& off = seen_.find(e.id)->second;
      if (off >= 0) {
        (*r->results)[i] = {{0, off}, true};
      } else {
        off = next++;
        (*r->results)[i] = {{0, off}, false};
        total += internal::record_size(e);
      }
    }
  }

  // 3. Encode the new records into one buffer.
  buffer_.reserve(total);
  for (const auto* r : batch) {
    for (size_t i = 0; i < r->events.size(); ++i) {
      const auto& res = (*r->results)[i];
      if (res.duplicate) continue;
      size_t pos = buffer_.size();
      internal::append_record(buffer_, res.position.offset, r->events[i]);
      records_.push_back({pos,
                          static_cast<uint32_t>(buffer_.size() - pos),
                          res.position.offset,
                          to_micros(r->events[i].time),
                          {}});
    }
  }
  for (auto& rec : records_) {
    int64_t time;
    internal::decode_id_time(
        std::string_view(buffer_.data() + rec.pos + internal::kRecordHeaderBytes,
                         rec.size - internal::kRecordHeaderBytes),
        rec.id, time);
  }

  // 4. Write, sync, publish.
  if (auto w = write_records(); !w) {
    fail(w.error());
    return fail_all(failed_);
  }
}

// Writes records_ to the active segment, rolling to a new segment whenever the next record
// would take the active one past segment_bytes (a record larger than that gets a segment of
// its own). Each run of records that lands in one segment is one pwrite and one fdatasync,
// and is published to readers as soon as it is durable.
result_msg<void> log_core::write_records() {
  size_t i = 0;
  std::vector<index_entry> entries;
  std::string idx_bytes;
  while (i < records_.size()) {
    uint64_t seg_size = active_.pos;
    if (seg_size > 0 && seg_size + records_[i].size > opts_.segment_bytes) {
      BOOST_OUTCOME_TRY(roll());
      continue;
    }
    size_t j = i + 1;
    uint64_t bytes = records_[i].size;
    while (j < records_.size() && seg_size + bytes + records_[j].size <= opts_.segment_bytes) {
      bytes += records_[j++].size;
    }
    const auto& path = active_seg_->path();
    int fd = active_seg_->fd();
    auto w = internal::pwrite_full(fd, buffer_.data() + records_[i].pos, bytes, seg_size, path);
    if (w && opts_.sync) {
      const auto t0 = std::chrono::steady_clock::now();
      w = internal::sync_data(fd, path);
      if (sync_seconds_)
        sync_seconds_->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    if (!w) {
      // Best effort: cut what may have landed. After a failed fdatasync the state of the page
      // cache is unknown, so the log stops taking appends (failed_) until it is reopened.
      (void)internal::truncate_file(fd, seg_size, path);
      return w.error();
    }

    entries.clear();
    uint64_t p = seg_size;
    for (size_t k = i; k < j; ++k) {
      if (wants_entry(active_.last_entry_pos, p)) {
        entries.push_back({records_[k].offset, p, active_.max_time});
        active_.last_entry_pos = p;
      }
      active_.max_time = std::max(active_.max_time, records_[k].time);
      p += records_[k].size;
    }
    active_.pos = p;
    active_.offset = records_[j - 1].offset + 1;
    if (!entries.empty()) active_seg_->add_entries(entries);
    active_seg_->publish(active_.offset, active_.pos, active_.max_time);
    publish(active_.offset);

    // The .idx file is not synced and written after the data it points to is durable. If it
    // cannot be written it is left as is: open() trusts only its valid prefix.
    if (!entries.empty() && active_idx_fd_) {
      idx_bytes.clear();
      for (const auto& e : entries)
        internal::encode_idx_entry(idx_bytes, e, internal::kIdxKindEntry);
      auto iw = internal::pwrite_full(active_idx_fd_.get(), idx_bytes.data(), idx_bytes.size(),
                                      active_idx_size_, active_seg_->idx_path());
      if (iw) {
        active_idx_size_ += idx_bytes.size();
      } else {
        active_idx_fd_.reset();
      }
    }
    i = j;
  }
  return success();
}

// Seals the active segment (trailer in its .idx) and starts the next one at the current end.
// The new file and the directory are synced before anything is written to it, so a segment
// never exists durably before all of its predecessor is.
result_msg<void> log_core::roll() {
  auto old = active_seg_;
  if (active_idx_fd_) {
    std::string t;
    internal::encode_idx_entry(t, {active_.offset, active_.pos, active_.max_time},
                               internal::kIdxKindTrailer);
    (void)internal::pwrite_full(active_idx_fd_.get(), t.data(), t.size(), active_idx_size_,
                                old->idx_path());
  }
  active_idx_fd_.reset();
  BOOST_OUTCOME_TRY(auto seg, create_segment(active_.offset));
  {
    std::unique_lock lock(segments_mu_);
    segments_.push_back(seg);
  }
  old->seal();  // after the new segment is findable: a reader that sees "sealed" moves on
  auto p = seg->idx_path();
  BOOST_OUTCOME_TRY(auto fd, internal::open_file(p, O_WRONLY | O_CREAT | O_TRUNC));
  active_idx_fd_ = std::move(fd);
  active_idx_size_ = 0;
  return success();
}

void log_core::publish(int64_t end) {
  end_.store(end, std::memory_order_release);
  {
    std::lock_guard lock(tail_mu_);  // a reader between its check and its wait sees the store
  }
  tail_cv_.notify_all();
}

void log_core::update_id_index() {
  if (!records_.empty() && !failed_) {
    index_batch_.clear();
    for (const auto& rec : records_) index_batch_.emplace_back(rec.id, rec.offset);
    if (auto r = ids_->put(index_batch_, active_.offset); !r) fail(r.error());
  }
  // One huge append should not pin its encoding buffer for the life of the log.
  if (buffer_.capacity() > kKeepBufferBytes) {
    records_.clear();
    std::string().swap(buffer_);
  }
}

// ---- reads ---------------------------------------------------------------------------------

result<log_stats> log_core::stats() {
  if (opts_.read_only) {
    if (auto r = refresh(); !r) return r.error().code;
  }
  log_stats s;
  s.partitions = 1;
  s.end_offsets = {end()};
  s.backend = "embedded";
  std::shared_lock lock(segments_mu_);
  for (const auto& seg : segments_) s.bytes += seg->size();
  return s;
}

// Per segment: skip it if its largest time is <= t; otherwise binary-search its sparse index
// (entries carry the running maximum time, which never decreases) for the stretch holding the
// first later event and scan that stretch (at most ~4 KiB).
result<std::vector<int64_t>> log_core::offsets_after_time(timestamp t) {
  if (opts_.read_only) {
    if (auto r = refresh(); !r) return r.error().code;
  }
  int64_t t_us = to_micros(t);
  std::vector<std::shared_ptr<segment>> segs;
  {
    std::shared_lock lock(segments_mu_);
    segs = segments_;
  }
  for (const auto& seg : segs) {
    if (seg->max_time() <= t_us) continue;
    log_cursor cur(this, 0);
    cur.seek_at(seg, seg->scan_start_for_time(t_us));
    record_view rec;
    for (;;) {
      auto got = cur.next(rec);
      if (!got) return got.error().code;
      if (!got.value() || rec.offset >= seg->end()) break;
      std::string_view id;
      int64_t time;
      if (!internal::decode_id_time(rec.body, id, time)) return code(errc::corruption);
      if (time > t_us) return std::vector<int64_t>{rec.offset};
    }
  }
  return std::vector<int64_t>{end()};
}

class embedded_reader final : public log_reader {
 public:
  embedded_reader(std::shared_ptr<log_core> core, int64_t from)
      : core_(std::move(core)), cursor_(core_.get(), from), next_(from) {}

  result<std::vector<stored_event>> read(size_t max, std::chrono::milliseconds wait) override {
    if (core_->closed()) return code(errc::closed);
    std::vector<stored_event> out;
    if (max == 0) return out;
    int64_t end = core_->end();
    if (next_ >= end) {
      auto w = core_->wait_for(next_, wait);
      if (!w) return w.error();
      end = w.value();
      if (next_ >= end) return out;
    }
    out.reserve(static_cast<size_t>(
        std::min<int64_t>({static_cast<int64_t>(std::min<size_t>(max, 4096)), end - next_})));
    record_view rec;
    while (out.size() < max && next_ < end) {
      auto got = cursor_.next(rec);
      if (!got) return got.error().code;
      if (!got.value()) break;
      auto& ev = out.emplace_back();
      ev.position = {0, rec.offset};
      if (!internal::decode_body(rec.body, ev.event)) return code(errc::corruption);
      next_ = rec.offset + 1;
    }
    return out;
  }

  std::vector<int64_t> next_offsets() const override { return {next_}; }

 private:
  std::shared_ptr<log_core> core_;
  log_cursor cursor_;
  int64_t next_;
};

class embedded_log final : public event_log {
 public:
  explicit embedded_log(std::shared_ptr<log_core> core) : core_(std::move(core)) {}
  ~embedded_log() override { core_->close(); }

  result<std::vector<append_result>> append(std::span<const envelope> events) override {
    return core_->append(events);
  }
  int32_t partitions() const override { return 1; }
  int32_t partition_for(std::string_view) const override { return 0; }
  result<log_stats> stats() override { return core_->stats(); }

  result<std::unique_ptr<log_reader>> open_reader(std::vector<int64_t> from,
                                                  std::vector<int32_t> partitions_wanted) override {
    for (int32_t p : partitions_wanted) {
      if (p != 0) return code(errc::invalid_argument);
    }
    int64_t start = from.empty() ? 0 : from[0];
    if (start < 0) return code(errc::invalid_argument);
    if (core_->closed()) return code(errc::closed);
    return std::unique_ptr<log_reader>(std::make_unique<embedded_reader>(core_, start));
  }

  result<std::vector<int64_t>> offsets_after_time(timestamp t) override {
    return core_->offsets_after_time(t);
  }

 private:
  std::shared_ptr<log_core> core_;
};

}  // namespace

result_msg<std::unique_ptr<event_log>> open_embedded_log(const std::filesystem::path& dir,
                                                         embedded_log_options opts) {
  auto core = std::make_shared<log_core>(dir, std::move(opts));
  BOOST_OUTCOME_TRY(core->open());
  return std::unique_ptr<event_log>(std::make_unique<embedded_log>(std::move(core)));
}

}  // namespace roms::events
