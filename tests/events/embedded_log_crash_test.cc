// Crash recovery of the embedded log, each scenario over many randomized rounds:
//  (a) a writer process is SIGKILLed at a random moment: every acknowledged event is there,
//      at its offset, after reopen, and appending continues;
//  (b) the data directory is copied file by file while a writer runs: each copy opens
//      (repairing as needed) and holds everything acknowledged before the copy began;
//  (c) the tail of the last segment is truncated, garbled or padded with zeros: reopen
//      reports the repair and recovers exactly up to the last intact record.
//
// The writer is this test binary re-executed (fork + execve) into the disabled test
// EmbeddedLogCrashChild.DISABLED_Writer: a plain fork() of a process that already opened
// RocksDB would inherit its background thread pool without the threads.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/errc.h"
#include "events/embedded_log.h"
#include "events/internal/record.h"
#include "events/internal/segment.h"
#include "tests/testing/temp_dir.h"

extern char** environ;

namespace roms::events {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr int kChildFd = 200;
constexpr int kChildThreads = 6;

envelope make_event(std::string id, size_t payload_bytes = 120) {
  envelope e;
  e.id = std::move(id);
  e.type = "order.placed";
  e.stream = "order-" + std::to_string(e.id.size());
  e.time = from_micros(1'790'000'000'000'000);
  e.actor = "system";
  e.payload = R"({"pad":")" + std::string(payload_bytes, 'p') + R"("})";
  return e;
}

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t w = ::write(fd, s.data() + done, s.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) ::_exit(5);  // the parent is gone
    done += static_cast<size_t>(w);
  }
}

// ---- the child ----------------------------------------------------------------------------

// Appends from several threads until killed. Protocol on fd kChildFd, one line per event:
// "A <offset> <id>" once append() returned it; "E <what>" on anything unexpected. Each
// thread's lines for one append go out in one write() (< PIPE_BUF, so never interleaved).
TEST(EmbeddedLogCrashChild, DISABLED_Writer) {
  const char* dir = std::getenv("ROMS_CRASH_DIR");
  if (!dir) GTEST_SKIP() << "run by the crash tests only";
  embedded_log_options o;
  o.segment_bytes = std::strtoull(std::getenv("ROMS_CRASH_SEGMENT_BYTES"), nullptr, 10);
  o.index_memory_bytes = 4 << 20;
  std::string tag = std::getenv("ROMS_CRASH_TAG");
  auto log = open_embedded_log(dir, o);
  if (!log) {
    write_all(kChildFd, "E open: " + log.error().message + "\n");
    ::_exit(3);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t * 7919 + tag.size()));
      std::vector<std::pair<std::string, int64_t>> mine;
      for (uint64_t seq = 0;; ++seq) {
        std::vector<envelope> batch;
        size_t n = 1 + rng() % 4;
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(make_event(
              tag + "-" + std::to_string(t) + "-" + std::to_string(seq) + "-" + std::to_string(i),
              50 + rng() % 250));
        }
        bool redo = !mine.empty() && seq % 8 == 0;
        size_t redo_at = redo ? rng() % mine.size() : 0;
        if (redo) batch.push_back(make_event(mine[redo_at].first));
        auto r = log.value()->append(batch);
        if (!r) {
          write_all(kChildFd, "E append: " + r.error().message() + "\n");
          ::_exit(4);
        }
        std::string lines;
        for (size_t i = 0; i < n; ++i) {
          const auto& res = r.value()[i];
          if (res.duplicate) lines += "E unexpected duplicate " + batch[i].id + "\n";
          lines += "A " + std::to_string(res.position.offset) + " " + batch[i].id + "\n";
          mine.emplace_back(batch[i].id, res.position.offset);
        }
        if (redo) {
          const auto& res = r.value()[n];
          if (!res.duplicate || res.position.offset != mine[redo_at].second) {
            lines += "E re-append of " + mine[redo_at].first + " was not its duplicate\n";
          }
        }
        write_all(kChildFd, lines);
      }
    });
  }
  for (auto& t : threads) t.join();
}

// ---- the parent's side ---------------------------------------------------------------------

struct ack {
  int64_t offset;
  std::string id;
};

class child_process {
 public:
  child_process(const fs::path& dir, uint64_t segment_bytes, const std::string& tag) {
    static const std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::vector<std::string> args = {exe, "--gtest_filter=EmbeddedLogCrashChild.DISABLED_Writer",
                                     "--gtest_also_run_disabled_tests", "--gtest_brief=1"};
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.push_back("ROMS_CRASH_DIR=" + dir.string());
    env.push_back("ROMS_CRASH_SEGMENT_BYTES=" + std::to_string(segment_bytes));
    env.push_back("ROMS_CRASH_TAG=" + tag);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    pid_ = ::fork();
    if (pid_ == 0) {  // only async-signal-safe calls until execve
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) ::dup2(devnull, 1);
      if (::dup2(p[1], kChildFd) < 0) ::_exit(126);
      ::execve(exe.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(p[1]);
    fd_ = p[0];
  }

  ~child_process() {
    kill();
    if (fd_ >= 0) ::close(fd_);
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // Reads what the child wrote, waiting up to `timeout` for something. False at EOF.
  bool pump(std::chrono::milliseconds timeout) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return true;
    char buf[65536];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return n < 0 && errno == EINTR;
    partial_.append(buf, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = partial_.find('\n', start)) != std::string::npos) {
      std::string line = partial_.substr(start, nl - start);
      start = nl + 1;
      if (line.rfind("A ", 0) == 0) {
        auto sp = line.find(' ', 2);
        acks_.push_back({std::stoll(line.substr(2, sp - 2)), line.substr(sp + 1)});
      } else {
        errors_.push_back(line);
      }
    }
    partial_.erase(0, start);
    return true;
  }

  // Reads everything already in the pipe without waiting.
  void drain() {
    for (;;) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN)) return;
      size_t before = acks_.size() + errors_.size();
      if (!pump(0ms)) return;
      if (acks_.size() + errors_.size() == before && partial_.empty()) return;
    }
  }

  void run_for(std::chrono::milliseconds d) {
    auto until = clock_type::now() + d;
    while (clock_type::now() < until) pump(2ms);
  }

  // Waits for the first acknowledgement (the child has opened the log and is appending).
  bool wait_started(std::chrono::seconds limit = 20s) {
    auto until = clock_type::now() + limit;
    while (acks_.empty() && errors_.empty() && clock_type::now() < until) {
      if (!pump(10ms)) return false;
    }
    return !acks_.empty();
  }

  void kill_and_collect() {
    kill();
    while (pump(1000ms)) {
    }
  }

  const std::vector<ack>& acks() const { return acks_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string partial_;
  std::vector<ack> acks_;
  std::vector<std::string> errors_;
};

// Reads the whole log; fails the test on any read error.
std::vector<stored_event> read_everything(event_log& log) {
  auto end = log.stats().value().end_offsets[0];
  auto reader = log.open_reader({0}).value();
  std::vector<stored_event> out;
  out.reserve(static_cast<size_t>(end));
  while (static_cast<int64_t>(out.size()) < end) {
    auto r = reader->read(4096, 0ms);
    EXPECT_TRUE(r) << "read at " << out.size() << ": " << (r ? "" : r.error().message());
    if (!r || r.value().empty()) break;
    for (auto& e : r.value()) out.push_back(std::move(e));
  }
  EXPECT_EQ(static_cast<int64_t>(out.size()), end);
  return out;
}

// Opens `dir` and checks: every ack is at its offset, ids are unique, offsets dense, appending
// continues densely and a re-append of an acknowledged id is its duplicate.
void verify_log(const fs::path& dir, uint64_t segment_bytes, const std::vector<ack>& acks,
                const std::string& probe_id, std::mt19937& rng,
                std::vector<std::string>* repairs_out = nullptr) {
  std::vector<std::string> repairs;
  embedded_log_options o;
  o.segment_bytes = segment_bytes;
  o.on_repair = [&](const std::string& s) { repairs.push_back(s); };
  auto opened = open_embedded_log(dir, o);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& log = *opened.value();
  auto events = read_everything(log);
  std::map<std::string, int64_t> ids;
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].position.offset, static_cast<int64_t>(i));
    ASSERT_TRUE(ids.emplace(events[i].event.id, i).second) << "repeated id " << events[i].event.id;
  }
  for (const auto& a : acks) {
    ASSERT_LT(a.offset, static_cast<int64_t>(events.size())) << "lost acknowledged " << a.id;
    ASSERT_EQ(events[static_cast<size_t>(a.offset)].event.id, a.id) << "at " << a.offset;
  }
  auto probe = make_event(probe_id);
  auto r = log.append(std::span(&probe, 1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value()[0].position.offset, static_cast<int64_t>(events.size()));
  EXPECT_FALSE(r.value()[0].duplicate);
  if (!acks.empty()) {
    const auto& a = acks[rng() % acks.size()];
    auto again = make_event(a.id);
    auto d = log.append(std::span(&again, 1));
    ASSERT_TRUE(d);
    EXPECT_TRUE(d.value()[0].duplicate) << a.id;
    EXPECT_EQ(d.value()[0].position.offset, a.offset);
  }
  if (repairs_out) *repairs_out = repairs;
}

// A plain copy of every file under `from` (files that vanish mid-copy are skipped, files
// that grow are copied as far as read() gets): what a backup tool would take from a live
// directory.
void copy_tree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to);
  for (fs::recursive_directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    auto rel = it->path().lexically_relative(from);
    if (it->is_directory(ec)) {
      fs::create_directories(to / rel);
      continue;
    }
    int in = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) continue;
    fs::create_directories((to / rel).parent_path());
    int out = ::open((to / rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(in, buf, sizeof buf)) > 0) {
      if (::write(out, buf, static_cast<size_t>(n)) != n) break;
    }
    ::close(in);
    ::close(out);
  }
}

// (a) SIGKILL at a random moment, 20 rounds on one growing log.
TEST(EmbeddedLogCrash, KilledWriterLosesNoAcknowledgedEvent) {
  testing::temp_dir dir;
  std::mt19937 rng(12345);
  std::vector<ack> all;
  constexpr uint64_t kSegment = 256 << 10;  // rolls happen during the rounds
  auto t0 = clock_type::now();
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    child_process child(dir.path(), kSegment, "k" + std::to_string(round));
    ASSERT_TRUE(child.wait_started()) << (child.errors().empty() ? "" : child.errors()[0]);
    child.run_for(std::chrono::milliseconds(5 + rng() % 200));
    child.kill_and_collect();
    ASSERT_TRUE(child.errors().empty()) << child.errors()[0];
    all.insert(all.end(), child.acks().begin(), child.acks().end());
    verify_log(dir.path(), kSegment, all, "probe-k" + std::to_string(round), rng);
    if (HasFatalFailure()) return;
  }
  std::printf("[crash a] 20 rounds, %zu acknowledged events verified, %.1f s\n", all.size(),
              std::chrono::duration<double>(clock_type::now() - t0).count());
}

// (b) File-by-file copies of a live directory, 20 rounds with 2 copies each. A fresh log per
// round keeps the copies small ((a) covers a log that grows over many crashes).
TEST(EmbeddedLogCrash, CopyOfALiveDirectoryOpensWithEverythingAcknowledgedBefore) {
  testing::temp_dir copies;
  std::mt19937 rng(777);
  constexpr uint64_t kSegment = 32 << 10;
  auto t0 = clock_type::now();
  size_t copies_verified = 0;
  std::set<std::string> repair_kinds;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    testing::temp_dir dir;
    std::vector<ack> all;
    std::vector<std::pair<fs::path, std::vector<ack>>> snaps;
    {
      child_process child(dir.path(), kSegment, "c" + std::to_string(round));
      ASSERT_TRUE(child.wait_started()) << (child.errors().empty() ? "" : child.errors()[0]);
      for (int k = 0; k < 2; ++k) {
        child.run_for(std::chrono::milliseconds(5 + rng() % 60));
        child.drain();
        std::vector<ack> before = all;
        before.insert(before.end(), child.acks().begin(), child.acks().end());
        auto to = copies.path() / ("r" + std::to_string(round) + "-" + std::to_string(k));
        copy_tree(dir.path(), to);
        snaps.emplace_back(to, std::move(before));
      }
      child.kill_and_collect();
      ASSERT_TRUE(child.errors().empty()) << child.errors()[0];
      all.insert(all.end(), child.acks().begin(), child.acks().end());
    }
    for (const auto& [to, acked] : snaps) {
      std::vector<std::string> repairs;
      verify_log(to, kSegment, acked, "probe-" + to.filename().string(), rng, &repairs);
      if (HasFatalFailure()) return;
      for (const auto& r : repairs) repair_kinds.insert(r.substr(0, r.find(" ")));
      ++copies_verified;
      fs::remove_all(to);
    }
    // The live directory itself also recovers from the kill.
    verify_log(dir.path(), kSegment, all, "probe-c" + std::to_string(round), rng);
    if (HasFatalFailure()) return;
  }
  std::string kinds;
  for (const auto& k : repair_kinds) kinds += k + " ";
  std::printf("[crash b] %zu copies verified, repairs seen: %s, %.1f s\n", copies_verified,
              kinds.c_str(), std::chrono::duration<double>(clock_type::now() - t0).count());
}

// (c) Damage at the tail of the last segment.
TEST(EmbeddedLogCrash, DamagedTailIsTruncatedToTheLastIntactRecord) {
  std::mt19937 rng(4242);
  auto t0 = clock_type::now();
  int truncated_rounds = 0;
  for (int round = 0; round < 25; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    testing::temp_dir dir;
    embedded_log_options o;
    const uint64_t sizes[] = {2 << 10, 16 << 10, 1 << 20};
    o.segment_bytes = sizes[rng() % 3];
    std::vector<envelope> events;
    {
      // The damage is done after a clean close, so these writes need no fsync (it keeps the
      // test fast on a busy disk); the recovering opens below sync as usual.
      auto setup = o;
      setup.sync = false;
      auto log = open_embedded_log(dir.path(), setup).value();
      int n = 20 + static_cast<int>(rng() % 300);
      for (int i = 0; i < n;) {
        std::vector<envelope> batch;
        int b = std::min(n - i, 1 + static_cast<int>(rng() % 20));
        for (int k = 0; k < b; ++k, ++i) {
          batch.push_back(
              make_event("d" + std::to_string(round) + "-" + std::to_string(i), rng() % 400));
        }
        ASSERT_TRUE(log->append(batch));
        events.insert(events.end(), batch.begin(), batch.end());
      }
    }
    // Record boundaries of the last segment.
    fs::path last;
    for (const auto& f : fs::directory_iterator(dir.path() / "log")) {
      if (f.path().extension() == ".seg" && f.path() > last) last = f.path();
    }
    int64_t base = *internal::parse_segment_file_name(last.filename().string());
    std::vector<uint64_t> ends;  // end position of each record of the last segment
    uint64_t pos = 0;
    for (size_t i = static_cast<size_t>(base); i < events.size(); ++i) {
      pos += internal::record_size(events[i]);
      ends.push_back(pos);
    }
    uint64_t size = fs::file_size(last);
    ASSERT_EQ(pos, size);

    uint64_t intact_until;  // first damaged byte
    int mode = static_cast<int>(rng() % 3);
    if (mode == 0) {  // truncate
      uint64_t k = 1 + rng() % std::min<uint64_t>(size, 700);
      fs::resize_file(last, size - k);
      intact_until = size - k;
    } else if (mode == 1) {  // garble
      uint64_t start = size - 1 - rng() % std::min<uint64_t>(size, 700);
      uint64_t len = 1 + rng() % std::min<uint64_t>(64, size - start);
      std::fstream f(last, std::ios::in | std::ios::out | std::ios::binary);
      for (uint64_t i = 0; i < len; ++i) {
        f.seekg(static_cast<std::streamoff>(start + i));
        char c;
        f.read(&c, 1);
        c = static_cast<char>(c ^ (1 + rng() % 255));
        f.seekp(static_cast<std::streamoff>(start + i));
        f.write(&c, 1);
      }
      intact_until = start;
    } else {  // zeros after the end, as a preallocated or half-written block leaves them
      std::ofstream(last, std::ios::binary | std::ios::app) << std::string(1 + rng() % 5000, '\0');
      intact_until = size;
    }
    int64_t expect = base;
    for (uint64_t e : ends) expect += e <= intact_until;
    bool on_boundary = mode == 0 && std::find(ends.begin(), ends.end(), intact_until) != ends.end();

    std::vector<std::string> repairs;
    o.on_repair = [&](const std::string& s) { repairs.push_back(s); };
    auto log = open_embedded_log(dir.path(), o);
    ASSERT_TRUE(log) << log.error().message;
    ASSERT_FALSE(repairs.empty());
    bool reported_truncation = std::any_of(repairs.begin(), repairs.end(), [](const auto& s) {
      return s.find("truncated") != std::string::npos && s.find("dropped") != std::string::npos;
    });
    EXPECT_EQ(reported_truncation, !on_boundary) << repairs[0];
    truncated_rounds += reported_truncation;
    auto got = read_everything(*log.value());
    ASSERT_EQ(static_cast<int64_t>(got.size()), expect);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].event, events[i]);

    // The lost events are not in the id index any more: appending them again stores them,
    // densely after the survivors; a survivor is still a duplicate.
    std::vector<envelope> redo(events.begin() + expect, events.end());
    if (expect > 0) redo.push_back(events[static_cast<size_t>(rng() % expect)]);
    auto r = log.value()->append(redo);
    ASSERT_TRUE(r);
    for (size_t i = 0; i + (expect > 0) < redo.size(); ++i) {
      EXPECT_FALSE(r.value()[i].duplicate);
      EXPECT_EQ(r.value()[i].position.offset, expect + static_cast<int64_t>(i));
    }
    if (expect > 0) {
      EXPECT_TRUE(r.value().back().duplicate);
    }
    log.value().reset();

    repairs.clear();
    auto again = open_embedded_log(dir.path(), o);
    ASSERT_TRUE(again);
    EXPECT_TRUE(repairs.empty()) << repairs[0];
    auto all = read_everything(*again.value());
    ASSERT_EQ(all.size(), events.size());
    for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].event.id, events[i].id);
  }
  std::printf("[crash c] 25 rounds (%d with a truncated tail reported), %.1f s\n", truncated_rounds,
              std::chrono::duration<double>(clock_type::now() - t0).count());
}

}  // namespace
}  // namespace roms::events
