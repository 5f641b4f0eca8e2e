// The embedded log on real files: format helpers (CRC32C, records), ordering and dense
// offsets, reading from any offset and across segments, dedup by id (in a batch, across
// batches, across reopen), validation, the writer lock, read-only followers, the id index
// and sparse index repairs, and tail wake-up latency. Crash and torn-tail recovery are in
// embedded_log_crash_test.cc.
#include "events/embedded_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/errc.h"
#include "events/internal/crc32c.h"
#include "events/internal/record.h"
#include "events/internal/segment.h"
#include "tests/testing/temp_dir.h"

namespace roms::events {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

timestamp at(int64_t us) { return from_micros(1'790'000'000'000'000 + us); }

envelope make_event(std::string id, int64_t us = 0, std::string payload = R"({"n":1})") {
  envelope e;
  e.id = std::move(id);
  e.type = "order.placed";
  e.version = 2;
  e.stream = "order-" + e.id;
  e.time = at(us);
  e.actor = "user:7";
  e.correlation_id = "req-1";
  e.causation_id = "";
  e.payload = std::move(payload);
  return e;
}

std::vector<envelope> make_events(const std::string& prefix, int n, int64_t first_us = 0) {
  std::vector<envelope> out;
  for (int i = 0; i < n; ++i) out.push_back(make_event(prefix + std::to_string(i), first_us + i));
  return out;
}

std::unique_ptr<event_log> open_log(const fs::path& dir, embedded_log_options o = {}) {
  auto r = open_embedded_log(dir, std::move(o));
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? std::move(r).value() : nullptr;
}

// Everything from `from` to the current end.
std::vector<stored_event> read_all(event_log& log, int64_t from = 0) {
  auto end = log.stats().value().end_offsets[0];
  auto reader = log.open_reader({from}).value();
  std::vector<stored_event> out;
  while (static_cast<int64_t>(out.size()) < end - from) {
    auto r = reader->read(1000, 0ms);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    if (!r || r.value().empty()) break;
    for (auto& e : r.value()) out.push_back(std::move(e));
  }
  return out;
}

std::vector<fs::path> files_with(const fs::path& dir, std::string_view ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- format helpers ------------------------------------------------------------------------

TEST(Crc32c, KnownVectors) {
  namespace crc = internal::crc32c;
  const std::string digits = "123456789";
  unsigned char zeros[32] = {}, ones[32], inc[32], dec[32];
  for (int i = 0; i < 32; ++i) {
    ones[i] = 0xFF;
    inc[i] = static_cast<unsigned char>(i);
    dec[i] = static_cast<unsigned char>(31 - i);
  }
  struct vec {
    const void* data;
    size_t n;
    uint32_t want;
  };
  // RFC 3720 (iSCSI) appendix B.4 and the classic check value.
  const vec vectors[] = {{digits.data(), digits.size(), 0xE3069283u},
                         {"", 0, 0u},
                         {zeros, 32, 0x8A9136AAu},
                         {ones, 32, 0x62A8AB43u},
                         {inc, 32, 0x46DD794Eu},
                         {dec, 32, 0x113FDB5Cu}};
  for (const auto& v : vectors) {
    EXPECT_EQ(crc::value(v.data, v.n), v.want);
    EXPECT_EQ(crc::extend_portable(0, v.data, v.n), v.want);
    if (crc::hardware_available()) {
      EXPECT_EQ(crc::extend_hardware(0, v.data, v.n), v.want);
    }
  }
}

TEST(Crc32c, HardwareAndTableAgreeAndExtendComposes) {
  namespace crc = internal::crc32c;
  std::mt19937_64 rng(42);
  std::vector<unsigned char> buf(5000);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  for (size_t start : {0, 1, 3, 7}) {
    for (size_t n : {0, 1, 7, 8, 9, 63, 64, 1000, 4093}) {
      const auto* p = buf.data() + start;
      uint32_t want = crc::extend_portable(0, p, n);
      if (crc::hardware_available()) {
        EXPECT_EQ(crc::extend_hardware(0, p, n), want);
      }
      for (size_t split : {size_t{0}, n / 3, n}) {
        EXPECT_EQ(crc::extend(crc::value(p, split), p + split, n - split), want);
      }
    }
  }
}

TEST(EmbeddedLogRecord, RoundTripsAndDetectsDamage) {
  auto e = make_event("id-1", 123, R"({"items":[1,2,3],"note":"é"})");
  e.causation_id = "cause";
  std::string buf;
  internal::append_record(buf, 42, e);
  ASSERT_EQ(buf.size(), internal::record_size(e));

  internal::record_view rec;
  ASSERT_EQ(internal::parse_record(buf.data(), buf.size(), rec), internal::parse_status::ok);
  EXPECT_EQ(rec.offset, 42);
  EXPECT_EQ(rec.total, buf.size());
  envelope back;
  ASSERT_TRUE(internal::decode_body(rec.body, back));
  EXPECT_EQ(back, e);
  std::string_view id;
  int64_t t;
  ASSERT_TRUE(internal::decode_id_time(rec.body, id, t));
  EXPECT_EQ(id, "id-1");
  EXPECT_EQ(t, to_micros(e.time));

  EXPECT_EQ(internal::parse_record(buf.data(), buf.size() - 1, rec),
            internal::parse_status::incomplete);
  EXPECT_EQ(internal::parse_record(buf.data(), 10, rec), internal::parse_status::incomplete);
  for (size_t i = 0; i < buf.size(); i += 7) {
    std::string bad = buf;
    bad[i] = static_cast<char>(bad[i] ^ 0x5A);
    EXPECT_NE(internal::parse_record(bad.data(), bad.size(), rec), internal::parse_status::ok)
        << "byte " << i;
  }
  std::string zeros(64, '\0');
  EXPECT_EQ(internal::parse_record(zeros.data(), zeros.size(), rec), internal::parse_status::bad);
}

TEST(EmbeddedLogRecord, SegmentFileNames) {
  EXPECT_EQ(internal::segment_file_name(42, ".seg"), "00000000000000000042.seg");
  EXPECT_EQ(internal::parse_segment_file_name("00000000000000000042.seg"), 42);
  EXPECT_EQ(internal::parse_segment_file_name("0000000000000000042.seg"), std::nullopt);
  EXPECT_EQ(internal::parse_segment_file_name("00000000000000000042.idx"), std::nullopt);
  EXPECT_EQ(internal::parse_segment_file_name("0000000000000000004x.seg"), std::nullopt);
}

// ---- the log -------------------------------------------------------------------------------

TEST(EmbeddedLog, PublishesTheTimeOfEachGroupCommitsSync) {
  testing::temp_dir dir;
  metrics::registry reg;
  auto events = make_events("e", 5);
  {
    embedded_log_options o;
    o.metrics = &reg;
    auto log = open_log(dir.path(), std::move(o));
    ASSERT_TRUE(log);
    // One append at a time: one group commit, one fdatasync each.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->append(std::span(&events[i], 1)));
    ASSERT_TRUE(log->append(std::span(events).subspan(3)));
  }
  const std::string text = reg.render();
  EXPECT_NE(text.find("# TYPE roms_log_sync_seconds histogram"), std::string::npos) << text;
  EXPECT_NE(text.find("roms_log_sync_seconds_count 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roms_log_sync_seconds_bucket{le=\"0.00025\"}"), std::string::npos) << text;
  // Without fsync (benchmarks of the software path) nothing is observed.
  metrics::registry none;
  {
    testing::temp_dir other;
    embedded_log_options o;
    o.metrics = &none;
    o.sync = false;
    auto log = open_log(other.path(), std::move(o));
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->append(std::span(events)));
  }
  EXPECT_NE(none.render().find("roms_log_sync_seconds_count 0\n"), std::string::npos)
      << none.render();
}

TEST(EmbeddedLog, AppendsInOrderWithDenseOffsets) {
  testing::temp_dir dir;
  auto log = open_log(dir.path());
  ASSERT_TRUE(log);
  EXPECT_EQ(log->partitions(), 1);
  EXPECT_EQ(log->partition_for("anything"), 0);

  auto events = make_events("e", 15);
  for (int i = 0; i < 10; ++i) {
    auto r = log->append(std::span(&events[i], 1));
    ASSERT_TRUE(r);
    ASSERT_EQ(r.value().size(), 1u);
    EXPECT_EQ(r.value()[0].position.offset, i);
    EXPECT_EQ(r.value()[0].position.partition, 0);
    EXPECT_FALSE(r.value()[0].duplicate);
  }
  auto batch = log->append(std::span(events).subspan(10));
  ASSERT_TRUE(batch);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(batch.value()[i].position.offset, 10 + i);

  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 15u);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(all[i].position.offset, i);
    EXPECT_EQ(all[i].event, events[i]);
  }
  auto st = log->stats().value();
  EXPECT_EQ(st.partitions, 1);
  EXPECT_EQ(st.end_offsets, std::vector<int64_t>{15});
  EXPECT_EQ(st.backend, "embedded");
  EXPECT_EQ(st.bytes, fs::file_size(dir.path() / "log" / "00000000000000000000.seg"));

  EXPECT_TRUE(log->append({}).value().empty());
}

TEST(EmbeddedLog, ReadsFromAnyOffsetAndReportsNextOffsets) {
  testing::temp_dir dir;
  auto log = open_log(dir.path());
  auto events = make_events("e", 300);
  ASSERT_TRUE(log->append(events));
  for (int64_t from : {0, 1, 99, 150, 299, 300}) {
    auto got = read_all(*log, from);
    ASSERT_EQ(static_cast<int64_t>(got.size()), 300 - from) << from;
    if (!got.empty()) {
      EXPECT_EQ(got.front().event.id, "e" + std::to_string(from));
    }
  }
  auto reader = log->open_reader({120}).value();
  auto r = reader->read(7, 0ms).value();
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[0].position.offset, 120);
  EXPECT_EQ(reader->next_offsets(), std::vector<int64_t>{127});
  EXPECT_TRUE(reader->read(0, 0ms).value().empty());

  EXPECT_EQ(log->open_reader({-1}).error(), errc::invalid_argument);
  EXPECT_EQ(log->open_reader({0}, {1}).error(), errc::invalid_argument);
  EXPECT_TRUE(log->open_reader({}, {0}));
}

TEST(EmbeddedLog, AReaderAheadOfTheEndWaitsForItsOffset) {
  testing::temp_dir dir;
  auto log = open_log(dir.path());
  ASSERT_TRUE(log->append(make_events("a", 3)));
  auto reader = log->open_reader({6}).value();
  EXPECT_TRUE(reader->read(10, 10ms).value().empty());
  ASSERT_TRUE(log->append(make_events("b", 5)));
  auto r = reader->read(10, 1s).value();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].position.offset, 6);
  EXPECT_EQ(r[0].event.id, "b3");
}

TEST(EmbeddedLog, ReadOnlyOpenLeavesADamagedTailAlone) {
  testing::temp_dir dir;
  {
    auto log = open_log(dir.path());
    ASSERT_TRUE(log->append(make_events("e", 10)));
  }
  auto seg = dir.path() / "log" / "00000000000000000000.seg";
  auto size = fs::file_size(seg);
  fs::resize_file(seg, size - 5);
  embedded_log_options ro;
  ro.read_only = true;
  bool repaired = false;
  ro.on_repair = [&](const std::string&) { repaired = true; };
  auto log = open_log(dir.path(), ro);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->stats().value().end_offsets[0], 9);
  EXPECT_EQ(read_all(*log).size(), 9u);
  EXPECT_FALSE(repaired);
  EXPECT_EQ(fs::file_size(seg), size - 5);
}

TEST(EmbeddedLog, WithoutSyncStillAppendsAndReads) {
  testing::temp_dir dir;
  embedded_log_options o;
  o.sync = false;
  o.segment_bytes = 1024;
  auto log = open_log(dir.path(), o);
  auto events = make_events("e", 100);
  ASSERT_TRUE(log->append(events));
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 100u);
  EXPECT_EQ(all[99].event, events[99]);
}

TEST(EmbeddedLog, ReopenKeepsEverything) {
  testing::temp_dir dir;
  auto events = make_events("e", 50);
  {
    auto log = open_log(dir.path());
    ASSERT_TRUE(log->append(std::span(events).first(30)));
  }
  {
    auto log = open_log(dir.path());
    EXPECT_EQ(log->stats().value().end_offsets[0], 30);
    auto r = log->append(std::span(events).subspan(30));
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value()[0].position.offset, 30);
  }
  std::vector<std::string> repairs;
  embedded_log_options o;
  o.on_repair = [&](const std::string& s) { repairs.push_back(s); };
  auto log = open_log(dir.path(), o);
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(all[i].event, events[i]);
  EXPECT_TRUE(repairs.empty()) << repairs.front();
}

TEST(EmbeddedLog, RollsSegmentsAndReadsAcrossThem) {
  testing::temp_dir dir;
  embedded_log_options o;
  o.segment_bytes = 4096;
  std::vector<envelope> events;
  {
    auto log = open_log(dir.path(), o);
    for (int b = 0; b < 40; ++b) {
      auto batch = make_events("b" + std::to_string(b) + "-", 1 + b % 17, b * 100);
      ASSERT_TRUE(log->append(batch));
      events.insert(events.end(), batch.begin(), batch.end());
    }
    auto segs = files_with(dir.path() / "log", ".seg");
    EXPECT_GT(segs.size(), 5u);
    uint64_t total = 0;
    for (const auto& s : segs) {
      total += fs::file_size(s);
      EXPECT_LE(fs::file_size(s), 4096u) << s;
    }
    EXPECT_EQ(log->stats().value().bytes, total);
    auto all = read_all(*log);
    ASSERT_EQ(all.size(), events.size());
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].event, events[i]);
  }
  std::vector<std::string> repairs;
  o.on_repair = [&](const std::string& s) { repairs.push_back(s); };
  auto log = open_log(dir.path(), o);
  EXPECT_TRUE(repairs.empty());
  for (int64_t from = 0; from <= static_cast<int64_t>(events.size()); from += 13) {
    auto got = read_all(*log, from);
    ASSERT_EQ(got.size(), events.size() - static_cast<size_t>(from));
    if (!got.empty()) {
      EXPECT_EQ(got.front().event, events[from]);
    }
  }
  // One reader, small reads, across every segment boundary.
  auto reader = log->open_reader({0}).value();
  size_t n = 0;
  while (n < events.size()) {
    auto r = reader->read(3, 0ms).value();
    ASSERT_FALSE(r.empty());
    for (auto& e : r) EXPECT_EQ(e.event.id, events[n++].id);
  }
  // An event larger than a segment gets a segment of its own.
  auto big = make_event("big", 0, R"({"s":")" + std::string(10000, 'x') + R"("})");
  ASSERT_EQ(log->append(std::span(&big, 1)).value()[0].position.offset,
            static_cast<int64_t>(events.size()));
  EXPECT_EQ(read_all(*log, static_cast<int64_t>(events.size())).at(0).event, big);
}

TEST(EmbeddedLog, DeduplicatesIdsWithinABatchAcrossBatchesAndAcrossReopen) {
  testing::temp_dir dir;
  {
    auto log = open_log(dir.path());
    std::vector<envelope> batch = {make_event("a"), make_event("b"), make_event("a"),
                                   make_event("c"), make_event("b")};
    auto r = log->append(batch).value();
    EXPECT_EQ(r[0].position.offset, 0);
    EXPECT_FALSE(r[0].duplicate);
    EXPECT_EQ(r[1].position.offset, 1);
    EXPECT_EQ(r[2].position.offset, 0);
    EXPECT_TRUE(r[2].duplicate);
    EXPECT_EQ(r[3].position.offset, 2);
    EXPECT_EQ(r[4].position.offset, 1);
    EXPECT_TRUE(r[4].duplicate);

    std::vector<envelope> again = {make_event("c"), make_event("d")};
    auto r2 = log->append(again).value();
    EXPECT_EQ(r2[0].position.offset, 2);
    EXPECT_TRUE(r2[0].duplicate);
    EXPECT_EQ(r2[1].position.offset, 3);
    EXPECT_FALSE(r2[1].duplicate);
  }
  auto log = open_log(dir.path());
  std::vector<envelope> after = {make_event("d"), make_event("a"), make_event("e")};
  auto r = log->append(after).value();
  EXPECT_EQ(r[0].position.offset, 3);
  EXPECT_TRUE(r[0].duplicate);
  EXPECT_EQ(r[1].position.offset, 0);
  EXPECT_TRUE(r[1].duplicate);
  EXPECT_EQ(r[2].position.offset, 4);
  EXPECT_FALSE(r[2].duplicate);
  EXPECT_EQ(read_all(*log).size(), 5u);
}

TEST(EmbeddedLog, ConcurrentDuplicatesGetOneOffset) {
  testing::temp_dir dir;
  auto log = open_log(dir.path());
  constexpr int kThreads = 8;
  std::vector<std::vector<append_result>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto e = make_event("shared-" + std::to_string(i));
        got[t].push_back(log->append(std::span(&e, 1)).value()[0]);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(log->stats().value().end_offsets[0], 50);
  for (int i = 0; i < 50; ++i) {
    int fresh = 0;
    for (int t = 0; t < kThreads; ++t) {
      fresh += !got[t][i].duplicate;
      EXPECT_EQ(got[t][i].position, got[0][i].position);
    }
    EXPECT_EQ(fresh, 1) << i;
  }
}

TEST(EmbeddedLog, InvalidInputFailsTheWholeCallAndWritesNothing) {
  testing::temp_dir dir;
  auto log = open_log(dir.path());
  ASSERT_TRUE(log->append(make_events("ok", 3)));
  auto size_before = log->stats().value().bytes;

  std::vector<std::vector<envelope>> bad_batches;
  auto no_id = make_event("");
  auto bad_payload = make_event("x", 0, "[1,2]");
  auto not_json = make_event("y", 0, "{oops");
  auto no_type = make_event("z");
  no_type.type.clear();
  auto long_id = make_event(std::string(kMaxIdBytes + 1, 'i'));
  for (const auto& bad : {no_id, bad_payload, not_json, no_type, long_id}) {
    bad_batches.push_back({make_event("fine-1"), bad, make_event("fine-2")});
  }
  for (const auto& batch : bad_batches) {
    auto r = log->append(batch);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::invalid_argument);
  }
  EXPECT_EQ(log->stats().value().end_offsets[0], 3);
  EXPECT_EQ(log->stats().value().bytes, size_before);
  // The valid ids of the refused calls were not taken.
  auto e = make_event("fine-1");
  auto r = log->append(std::span(&e, 1)).value();
  EXPECT_EQ(r[0].position.offset, 3);
  EXPECT_FALSE(r[0].duplicate);
}

TEST(EmbeddedLog, LockPreventsASecondWriter) {
  testing::temp_dir dir;
  auto first = open_log(dir.path());
  ASSERT_TRUE(first);
  auto second = open_embedded_log(dir.path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, errc::locked);
  EXPECT_NE(second.error().message.find(dir.str()), std::string::npos);

  embedded_log_options ro;
  ro.read_only = true;
  auto reader = open_embedded_log(dir.path(), ro);
  ASSERT_TRUE(reader);
  auto e = make_event("x");
  EXPECT_EQ(reader.value()->append(std::span(&e, 1)).error(), errc::unsupported);

  first.reset();
  EXPECT_TRUE(open_embedded_log(dir.path()));
}

TEST(EmbeddedLog, ReadOnlyOpenOfAMissingLogIsNotFound) {
  testing::temp_dir dir;
  embedded_log_options ro;
  ro.read_only = true;
  auto r = open_embedded_log(dir.path() / "nothing", ro);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::not_found);
}

TEST(EmbeddedLog, ReaderBlockedInReadWakesWithinMilliseconds) {
  testing::temp_dir dir;
  auto log = open_log(dir.path());
  auto reader = log->open_reader({0}).value();
  std::vector<double> latencies_ms;
  for (int i = 0; i < 20; ++i) {
    std::atomic<int64_t> appended_at{0};
    std::thread writer([&] {
      std::this_thread::sleep_for(5ms);
      auto e = make_event("t" + std::to_string(i));
      appended_at = std::chrono::steady_clock::now().time_since_epoch().count();
      ASSERT_TRUE(log->append(std::span(&e, 1)));
    });
    auto r = reader->read(10, 5s);
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    writer.join();
    ASSERT_TRUE(r);
    ASSERT_EQ(r.value().size(), 1u);
    EXPECT_EQ(r.value()[0].event.id, "t" + std::to_string(i));
    latencies_ms.push_back(static_cast<double>(now - appended_at.load()) / 1e6);
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  // The target is p99 < 5 ms (bench/log_bench measures it); a loaded CI box gets slack.
  EXPECT_LT(latencies_ms[latencies_ms.size() / 2], 50.0);
  EXPECT_TRUE(reader->read(1, 20ms).value().empty());  // nothing more: times out empty
}

TEST(EmbeddedLog, ManyWritersAndReadersConcurrently) {
  testing::temp_dir dir;
  embedded_log_options o;
  o.segment_bytes = 64 << 10;
  auto log = open_log(dir.path(), o);
  constexpr int kWriters = 16, kPerWriter = 150, kTotal = kWriters * kPerWriter;
  std::vector<std::thread> threads;
  std::vector<std::set<std::string>> seen(3);
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      auto reader = log->open_reader({0}).value();
      int64_t expect = 0;
      while (expect < kTotal) {
        auto got = reader->read(100, 2s);
        ASSERT_TRUE(got);
        ASSERT_FALSE(got.value().empty());
        for (auto& e : got.value()) {
          ASSERT_EQ(e.position.offset, expect++);
          seen[r].insert(e.event.id);
        }
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; i += 3) {
        auto batch = make_events("w" + std::to_string(w) + "-" + std::to_string(i) + "-",
                                 std::min(3, kPerWriter - i));
        auto r = log->append(batch);
        ASSERT_TRUE(r);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : seen) EXPECT_EQ(s.size(), static_cast<size_t>(kTotal));
}

TEST(EmbeddedLog, OffsetsAfterTime) {
  testing::temp_dir dir;
  embedded_log_options o;
  o.segment_bytes = 8192;
  auto log = open_log(dir.path(), o);
  EXPECT_EQ(log->offsets_after_time(at(0)).value(), std::vector<int64_t>{0});
  // Times mostly rise but jump around, as producers' clocks do.
  std::mt19937 rng(7);
  std::vector<envelope> events;
  for (int i = 0; i < 800; ++i) {
    int64_t t = i * 10 + static_cast<int64_t>(rng() % 300) - 150;
    events.push_back(make_event("e" + std::to_string(i), t));
  }
  for (size_t i = 0; i < events.size(); i += 25) {
    ASSERT_TRUE(log->append(std::span(events).subspan(i, 25)));
  }
  auto brute = [&](int64_t t) {
    for (size_t i = 0; i < events.size(); ++i) {
      if (to_micros(events[i].time) > to_micros(at(t))) return static_cast<int64_t>(i);
    }
    return static_cast<int64_t>(events.size());
  };
  for (int64_t t = -400; t < 8400; t += 37) {
    EXPECT_EQ(log->offsets_after_time(at(t)).value(), std::vector<int64_t>{brute(t)}) << t;
  }
  log.reset();
  log = open_log(dir.path(), o);  // the same answers from the .idx files
  for (int64_t t = -400; t < 8400; t += 101) {
    EXPECT_EQ(log->offsets_after_time(at(t)).value(), std::vector<int64_t>{brute(t)}) << t;
  }
}

TEST(EmbeddedLog, ReadOnlyReaderFollowsAWriterAcrossSegments) {
  testing::temp_dir dir;
  embedded_log_options o;
  o.segment_bytes = 2048;
  auto writer = open_log(dir.path(), o);
  ASSERT_TRUE(writer->append(make_events("pre", 5)));

  embedded_log_options ro;
  ro.read_only = true;
  auto follower = open_log(dir.path(), ro);
  ASSERT_TRUE(follower);
  auto reader = follower->open_reader({0}).value();
  std::thread t([&] {
    for (int i = 0; i < 60; ++i) {
      auto e = make_event("live" + std::to_string(i));
      ASSERT_TRUE(writer->append(std::span(&e, 1)));
      if (i % 10 == 0) std::this_thread::sleep_for(2ms);
    }
  });
  std::vector<std::string> ids;
  while (ids.size() < 65) {
    auto r = reader->read(100, 2s);
    ASSERT_TRUE(r);
    ASSERT_FALSE(r.value().empty()) << "after " << ids.size();
    for (auto& e : r.value()) {
      EXPECT_EQ(e.position.offset, static_cast<int64_t>(ids.size()));
      ids.push_back(e.event.id);
    }
  }
  t.join();
  EXPECT_EQ(ids[4], "pre4");
  EXPECT_EQ(ids[64], "live59");
  EXPECT_EQ(follower->stats().value().end_offsets[0], 65);
  EXPECT_EQ(follower->stats().value().bytes, writer->stats().value().bytes);
}

TEST(EmbeddedLog, ReaderOfAClosedLogGetsClosed) {
  testing::temp_dir dir;
  auto log = open_log(dir.path());
  auto reader = log->open_reader({0}).value();
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    log.reset();
  });
  auto r = reader->read(1, 5s);
  t.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::closed);
}

// ---- damage and repair (more in embedded_log_crash_test.cc) --------------------------------

void flip_byte(const fs::path& p, uint64_t pos) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(pos));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x40);
  f.seekp(static_cast<std::streamoff>(pos));
  f.write(&c, 1);
}

TEST(EmbeddedLog, DamageInASealedSegmentIsCorruptionNotSkipped) {
  testing::temp_dir dir;
  embedded_log_options o;
  o.segment_bytes = 4096;
  {
    auto log = open_log(dir.path(), o);
    ASSERT_TRUE(log->append(make_events("e", 400)));
  }
  auto segs = files_with(dir.path() / "log", ".seg");
  ASSERT_GE(segs.size(), 3u);
  flip_byte(segs[1], 1000);
  {
    // The sealed segment's index is intact, so open trusts it; reading finds the damage.
    auto log = open_log(dir.path(), o);
    ASSERT_TRUE(log);
    auto reader = log->open_reader({0}).value();
    std::error_code err;
    for (int i = 0; i < 400 && !err; ++i) {
      auto r = reader->read(10, 0ms);
      if (!r) err = r.error();
    }
    EXPECT_EQ(err, errc::corruption);
  }
  // Without its index the segment is scanned on open, and open refuses.
  fs::remove(fs::path(segs[1]).replace_extension(".idx"));
  auto r = open_embedded_log(dir.path(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corruption);
  EXPECT_NE(r.error().message.find(segs[1].filename().string()), std::string::npos)
      << r.error().message;
}

TEST(EmbeddedLog, LostOrGarbledIndexesAreRebuilt) {
  testing::temp_dir dir;
  embedded_log_options o;
  o.segment_bytes = 8192;
  auto events = make_events("e", 500);
  {
    auto log = open_log(dir.path(), o);
    ASSERT_TRUE(log->append(events));
  }
  auto log_dir = dir.path() / "log";
  auto idx = files_with(log_dir, ".idx");
  ASSERT_GE(idx.size(), 3u);
  fs::remove(idx[0]);
  { std::ofstream(idx[1], std::ios::binary | std::ios::trunc) << std::string(100, 'g'); }
  fs::remove_all(log_dir / "ids");

  std::vector<std::string> repairs;
  o.on_repair = [&](const std::string& s) { repairs.push_back(s); };
  {
    auto log = open_log(dir.path(), o);
    ASSERT_TRUE(log);
    EXPECT_EQ(repairs.size(), 2u);  // the two sparse indexes; a missing id index is rebuilt
    auto all = read_all(*log);
    ASSERT_EQ(all.size(), events.size());
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].event, events[i]);
    auto dup = log->append(std::span(&events[7], 1)).value();
    EXPECT_TRUE(dup[0].duplicate);
    EXPECT_EQ(dup[0].position.offset, 7);
  }
  // A garbled id index is deleted and rebuilt from the segments.
  repairs.clear();
  for (const auto& f : fs::directory_iterator(log_dir / "ids")) {
    if (f.path().filename() == "CURRENT") {
      std::ofstream(f.path(), std::ios::trunc) << "MANIFEST-999999\n";
    }
  }
  auto log = open_log(dir.path(), o);
  ASSERT_TRUE(log);
  ASSERT_EQ(repairs.size(), 1u);
  EXPECT_NE(repairs[0].find("id index"), std::string::npos) << repairs[0];
  auto dup = log->append(std::span(&events[150], 1)).value();
  EXPECT_TRUE(dup[0].duplicate);
  EXPECT_EQ(dup[0].position.offset, 150);
}

}  // namespace
}  // namespace roms::events
