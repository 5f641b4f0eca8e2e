// One contract for every event_log backend (events/log.h): the same tests run against the
// embedded log and against Apache Kafka. Kafka needs ROMS_TEST_KAFKA_BROKERS (scripts/test.sh
// starts a broker); without it the Kafka half skips locally and fails on CI.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/errc.h"
#include "events/embedded_log.h"
#include "events/kafka/kafka_log.h"
#include "events/log.h"
#include "tests/testing/kafka_env.h"
#include "tests/testing/temp_dir.h"

namespace roms::events {
namespace {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

constexpr int32_t kKafkaPartitions = 3;

timestamp at(int64_t us) { return from_micros(1'790'000'000'000'000 + us); }

envelope make_event(std::string id, std::string stream, int64_t us = 0) {
  envelope e;
  e.id = std::move(id);
  e.type = "order.placed";
  e.version = 1;
  e.stream = std::move(stream);
  e.time = at(us);
  e.actor = "system";
  e.payload = R"({"n":1})";
  return e;
}

// Distinct ids per test (a Kafka topic is fresh per test too, this only keeps them readable).
std::vector<envelope> make_events(const std::string& prefix, int n, int streams) {
  std::vector<envelope> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        make_event(prefix + "-" + std::to_string(i), "stream-" + std::to_string(i % streams), i));
  }
  return out;
}

class LogContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "kafka") {
      ROMS_REQUIRE_KAFKA(brokers);
      brokers_ = brokers;
      topic_ = testing::unique_topic("roms.contract");
    }
  }

  bool kafka() const { return GetParam() == "kafka"; }

  // Opens (or reopens) this test's log. Kafka uses a RocksDB id index, as production does.
  std::unique_ptr<event_log> open() {
    if (kafka()) {
      kafka_log_options o;
      o.brokers = brokers_;
      o.topic = topic_;
      o.partitions = kKafkaPartitions;
      o.index_dir = dir_.path() / "kafka-index";
      o.timeout = 15s;
      auto r = open_kafka_log(std::move(o));
      EXPECT_TRUE(r) << (r ? "" : r.error().message);
      return r ? std::move(r).value() : nullptr;
    }
    auto r = open_embedded_log(dir_.path() / "log");
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? std::move(r).value() : nullptr;
  }

  static std::vector<append_result> append_ok(event_log& log, std::span<const envelope> events) {
    auto r = log.append(events);
    EXPECT_TRUE(r) << r.error().message() << " " << kafka_error_message(log);
    return r ? std::move(r).value() : std::vector<append_result>{};
  }

  // Reads until `n` events arrived or 10 s passed.
  static std::vector<stored_event> read_n(log_reader& reader, size_t n) {
    std::vector<stored_event> out;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto r = reader.read(n - out.size(), 500ms);
      EXPECT_TRUE(r) << r.error().message() << " " << kafka_error_message(reader);
      if (!r) break;
      for (auto& e : r.value()) out.push_back(std::move(e));
    }
    return out;
  }

  static std::vector<stored_event> read_all(event_log& log) {
    auto st = log.stats();
    EXPECT_TRUE(st);
    size_t total = 0;
    for (auto o : st.value().end_offsets) total += static_cast<size_t>(o);
    auto reader = log.open_reader({});
    EXPECT_TRUE(reader);
    auto out = read_n(*reader.value(), total);
    EXPECT_EQ(out.size(), total);
    return out;
  }

  static int64_t total_events(event_log& log) {
    auto st = log.stats();
    EXPECT_TRUE(st);
    int64_t total = 0;
    for (auto o : st.value().end_offsets) total += o;
    return total;
  }

  testing::temp_dir dir_;
  std::string brokers_;
  std::string topic_;
};

TEST_P(LogContract, KeepsTheOrderOfEachStream) {
  auto log = open();
  ASSERT_TRUE(log);
  auto batch = make_events("order", 30, 4);
  append_ok(*log, std::span(batch).subspan(0, 10));
  for (size_t i = 10; i < batch.size(); ++i) append_ok(*log, std::span(batch).subspan(i, 1));

  auto all = read_all(*log);
  std::map<std::string, std::vector<std::string>> by_stream;
  for (const auto& e : all) by_stream[e.event.stream].push_back(e.event.id);
  std::map<std::string, std::vector<std::string>> expected;
  for (const auto& e : batch) expected[e.stream].push_back(e.id);
  EXPECT_EQ(by_stream, expected);
  for (const auto& e : all) {
    EXPECT_EQ(e.position.partition, log->partition_for(e.event.stream));
  }
}

TEST_P(LogContract, OffsetsAreDenseAndMonotonicPerPartition) {
  auto log = open();
  ASSERT_TRUE(log);
  auto batch = make_events("dense", 40, 7);
  std::vector<append_result> results = append_ok(*log, std::span(batch).subspan(0, 20));
  for (size_t i = 20; i < batch.size(); i += 5) {
    auto r = append_ok(*log, std::span(batch).subspan(i, 5));
    results.insert(results.end(), r.begin(), r.end());
  }
  ASSERT_EQ(results.size(), batch.size());
  std::map<int32_t, std::vector<int64_t>> offsets;
  for (const auto& r : results) {
    EXPECT_FALSE(r.duplicate);
    offsets[r.position.partition].push_back(r.position.offset);
  }
  auto st = log->stats();
  ASSERT_TRUE(st);
  for (const auto& [p, os] : offsets) {
    for (size_t i = 0; i < os.size(); ++i)
      EXPECT_EQ(os[i], static_cast<int64_t>(i)) << "partition " << p;
    EXPECT_EQ(st.value().end_offsets.at(static_cast<size_t>(p)), static_cast<int64_t>(os.size()));
  }
  // Reading sees the same positions, each partition in offset order.
  std::map<int32_t, int64_t> next;
  for (const auto& e : read_all(*log)) {
    EXPECT_EQ(e.position.offset, next[e.position.partition]++);
  }
}

TEST_P(LogContract, ReadsFromAPosition) {
  auto log = open();
  ASSERT_TRUE(log);
  auto first = make_events("first", 12, 3);
  auto second = make_events("second", 9, 3);
  append_ok(*log, first);
  auto st = log->stats();
  ASSERT_TRUE(st);
  std::vector<int64_t> middle = st.value().end_offsets;
  append_ok(*log, second);

  auto reader = log->open_reader(middle);
  ASSERT_TRUE(reader);
  auto got = read_n(*reader.value(), second.size());
  ASSERT_EQ(got.size(), second.size());
  std::set<std::string> ids;
  for (const auto& e : got) {
    ids.insert(e.event.id);
    EXPECT_GE(e.position.offset, middle.at(static_cast<size_t>(e.position.partition)));
  }
  std::set<std::string> expected;
  for (const auto& e : second) expected.insert(e.id);
  EXPECT_EQ(ids, expected);
  // Nothing more, and next_offsets() is the end.
  auto more = reader.value()->read(10, 200ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more.value().empty());
  auto end = log->stats();
  ASSERT_TRUE(end);
  EXPECT_EQ(reader.value()->next_offsets(), end.value().end_offsets);
}

TEST_P(LogContract, ReadsOnlyTheWantedPartitions) {
  auto log = open();
  ASSERT_TRUE(log);
  auto batch = make_events("wanted", 30, 10);
  append_ok(*log, batch);
  const int32_t wanted = log->partition_for("stream-3");
  size_t expected = 0;
  for (const auto& e : batch) expected += log->partition_for(e.stream) == wanted ? 1 : 0;
  auto reader = log->open_reader({}, {wanted});
  ASSERT_TRUE(reader);
  auto got = read_n(*reader.value(), expected);
  EXPECT_EQ(got.size(), expected);
  for (const auto& e : got) EXPECT_EQ(e.position.partition, wanted);
  auto more = reader.value()->read(10, 200ms);
  ASSERT_TRUE(more);
  EXPECT_TRUE(more.value().empty());
}

TEST_P(LogContract, BlockedReaderWakesUpOnAppend) {
  auto log = open();
  ASSERT_TRUE(log);
  auto warm = make_events("warm", 1, 1);
  append_ok(*log, warm);
  auto st = log->stats();
  ASSERT_TRUE(st);
  auto reader = log->open_reader(st.value().end_offsets);
  ASSERT_TRUE(reader);
  // Let a Kafka reader connect and park its fetch at the end first.
  auto idle = reader.value()->read(1, 1s);
  ASSERT_TRUE(idle);
  ASSERT_TRUE(idle.value().empty());

  std::atomic<int64_t> woke_at{0};
  std::vector<stored_event> got;
  std::thread t([&] {
    auto r = reader.value()->read(1, 10s);
    woke_at = std::chrono::steady_clock::now().time_since_epoch().count();
    if (r) got = std::move(r).value();
  });
  std::this_thread::sleep_for(300ms);
  auto e = make_events("wake", 1, 1);
  append_ok(*log, e);
  const auto appended = std::chrono::steady_clock::now().time_since_epoch().count();
  t.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event.id, e[0].id);
  const auto latency =
      std::chrono::duration_cast<ms>(std::chrono::steady_clock::duration(woke_at - appended));
  std::printf("[%s] reader woke %lld ms after append returned\n", GetParam().c_str(),
              static_cast<long long>(latency.count()));
  EXPECT_LT(latency, 500ms);
}

TEST_P(LogContract, AppendsABatchInOrder) {
  auto log = open();
  ASSERT_TRUE(log);
  auto batch = make_events("batch", 500, 25);
  auto results = append_ok(*log, batch);
  ASSERT_EQ(results.size(), batch.size());
  std::set<log_position> positions;
  std::map<int32_t, int64_t> last;
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_FALSE(results[i].duplicate);
    EXPECT_TRUE(positions.insert(results[i].position).second);
    EXPECT_EQ(results[i].position.partition, log->partition_for(batch[i].stream));
    auto [it, fresh] = last.emplace(results[i].position.partition, results[i].position.offset);
    if (!fresh) {
      EXPECT_GT(results[i].position.offset, it->second);
      it->second = results[i].position.offset;
    }
  }
  EXPECT_EQ(total_events(*log), 500);
  auto all = read_all(*log);
  std::map<log_position, std::string> by_pos;
  for (const auto& e : all) by_pos[e.position] = e.event.id;
  for (size_t i = 0; i < results.size(); ++i) EXPECT_EQ(by_pos[results[i].position], batch[i].id);
}

TEST_P(LogContract, StoresEventsExactly) {
  auto log = open();
  ASSERT_TRUE(log);
  envelope e = make_event("exact-1", "order-9", 123456);
  e.correlation_id = "req-1";
  e.causation_id = "evt-0";
  e.actor = "user:7";
  e.version = 2;
  e.payload = R"({"total":45000,"items":[{"sku":"A","qty":2}],"note":"caf\u00e9 ☕"})";
  append_ok(*log, std::span(&e, 1));
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].event.id, e.id);
  EXPECT_EQ(all[0].event.type, e.type);
  EXPECT_EQ(all[0].event.version, e.version);
  EXPECT_EQ(all[0].event.stream, e.stream);
  EXPECT_EQ(all[0].event.time, e.time);
  EXPECT_EQ(all[0].event.actor, e.actor);
  EXPECT_EQ(all[0].event.correlation_id, e.correlation_id);
  EXPECT_EQ(all[0].event.causation_id, e.causation_id);
}

TEST_P(LogContract, ReopenKeepsEverything) {
  auto batch = make_events("reopen", 25, 5);
  std::vector<append_result> first;
  {
    auto log = open();
    ASSERT_TRUE(log);
    first = append_ok(*log, batch);
  }
  auto log = open();
  ASSERT_TRUE(log);
  auto all = read_all(*log);
  ASSERT_EQ(all.size(), batch.size());
  std::map<log_position, std::string> by_pos;
  for (const auto& e : all) by_pos[e.position] = e.event.id;
  for (size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(by_pos[first[i].position], batch[i].id);
  // And it goes on from there.
  auto more = make_events("after", 5, 5);
  auto r = append_ok(*log, more);
  for (const auto& x : r) EXPECT_FALSE(x.duplicate);
  EXPECT_EQ(total_events(*log), 30);
}

TEST_P(LogContract, DuplicateIdInOneBatchIsStoredOnce) {
  auto log = open();
  ASSERT_TRUE(log);
  std::vector<envelope> batch = {make_event("dup-a", "s1"), make_event("dup-b", "s2"),
                                 make_event("dup-a", "s1"), make_event("dup-a", "s3")};
  auto r = append_ok(*log, batch);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_FALSE(r[0].duplicate);
  EXPECT_FALSE(r[1].duplicate);
  EXPECT_TRUE(r[2].duplicate);
  EXPECT_TRUE(r[3].duplicate);
  EXPECT_EQ(r[2].position, r[0].position);
  EXPECT_EQ(r[3].position, r[0].position);
  EXPECT_EQ(total_events(*log), 2);
}

TEST_P(LogContract, DuplicateIdAcrossCallsAndReopenIsStoredOnce) {
  std::vector<envelope> batch = {make_event("again-1", "s1"), make_event("again-2", "s2")};
  std::vector<append_result> first;
  {
    auto log = open();
    ASSERT_TRUE(log);
    first = append_ok(*log, batch);
    auto second = append_ok(*log, batch);
    ASSERT_EQ(second.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_TRUE(second[i].duplicate);
      EXPECT_EQ(second[i].position, first[i].position);
    }
    // A mixed batch: the new one is stored, the old one answered.
    std::vector<envelope> mixed = {make_event("again-3", "s3"), batch[1]};
    auto third = append_ok(*log, mixed);
    EXPECT_FALSE(third[0].duplicate);
    EXPECT_TRUE(third[1].duplicate);
    EXPECT_EQ(third[1].position, first[1].position);
    EXPECT_EQ(total_events(*log), 3);
  }
  auto log = open();
  ASSERT_TRUE(log);
  auto after = append_ok(*log, batch);
  ASSERT_EQ(after.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(after[i].duplicate);
    EXPECT_EQ(after[i].position, first[i].position);
  }
  EXPECT_EQ(total_events(*log), 3);
}

TEST_P(LogContract, ConcurrentAppendsOfTheSameIdsStoreThemOnce) {
  auto log = open();
  ASSERT_TRUE(log);
  auto batch = make_events("race", 50, 5);
  std::vector<std::vector<append_result>> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < batch.size(); i += 10) {
        auto r = log->append(std::span(batch).subspan(i, 10));
        ASSERT_TRUE(r) << kafka_error_message(*log);
        results[t].insert(results[t].end(), r.value().begin(), r.value().end());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(total_events(*log), 50);
  for (size_t i = 0; i < batch.size(); ++i) {
    int fresh = 0;
    for (const auto& r : results) {
      ASSERT_EQ(r.size(), batch.size());
      fresh += r[i].duplicate ? 0 : 1;
      EXPECT_EQ(r[i].position, results[0][i].position);
    }
    EXPECT_EQ(fresh, 1) << batch[i].id;
  }
}

TEST_P(LogContract, RejectsInvalidEnvelopesAndAppendsNothing) {
  auto log = open();
  ASSERT_TRUE(log);
  auto seed = make_events("seed", 2, 2);
  append_ok(*log, seed);
  const int64_t before = total_events(*log);

  std::vector<std::pair<std::string, envelope>> bad;
  bad.emplace_back("empty id", make_event("", "s"));
  bad.emplace_back("empty stream", make_event("bad-stream", ""));
  {
    auto e = make_event("bad-type", "s");
    e.type = "";
    bad.emplace_back("empty type", e);
  }
  {
    auto e = make_event("bad-payload", "s");
    e.payload = "[1,2]";
    bad.emplace_back("payload not an object", e);
  }
  {
    auto e = make_event("bad-json", "s");
    e.payload = "{\"a\":";
    bad.emplace_back("payload not JSON", e);
  }
  {
    auto e = make_event("big-payload", "s");
    e.payload = "{\"a\":\"" + std::string(kMaxPayloadBytes, 'x') + "\"}";
    bad.emplace_back("payload over the limit", e);
  }
  bad.emplace_back("id over the limit", make_event(std::string(kMaxIdBytes + 1, 'i'), "s"));
  for (const auto& [what, e] : bad) {
    std::vector<envelope> batch = {make_event("good-before-" + what, "s"), e};
    auto r = log->append(batch);
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error(), make_error_code(errc::invalid_argument)) << what;
  }
  EXPECT_EQ(total_events(*log), before);
  // The valid events of the rejected batches were not stored: appending them now is fresh.
  std::vector<envelope> good = {make_event("good-before-empty id", "s")};
  auto r = append_ok(*log, good);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].duplicate);
}

TEST_P(LogContract, PartitionForIsStableAndInRange) {
  std::map<std::string, int32_t> first;
  {
    auto log = open();
    ASSERT_TRUE(log);
    EXPECT_EQ(log->partitions(), kafka() ? kKafkaPartitions : 1);
    for (int i = 0; i < 200; ++i) {
      std::string s = "customer-" + std::to_string(i);
      const int32_t p = log->partition_for(s);
      EXPECT_GE(p, 0);
      EXPECT_LT(p, log->partitions());
      EXPECT_EQ(p, log->partition_for(s));
      first[s] = p;
    }
    std::vector<envelope> batch;
    for (int i = 0; i < 20; ++i)
      batch.push_back(make_event("pf-" + std::to_string(i), "customer-" + std::to_string(i)));
    auto r = append_ok(*log, batch);
    for (size_t i = 0; i < r.size(); ++i)
      EXPECT_EQ(r[i].position.partition, first[batch[i].stream]);
  }
  auto log = open();
  ASSERT_TRUE(log);
  for (const auto& [s, p] : first) EXPECT_EQ(log->partition_for(s), p);
}

TEST_P(LogContract, ReportsStats) {
  auto log = open();
  ASSERT_TRUE(log);
  auto st = log->stats();
  ASSERT_TRUE(st);
  EXPECT_EQ(st.value().backend, GetParam());
  EXPECT_EQ(st.value().partitions, log->partitions());
  EXPECT_EQ(st.value().end_offsets,
            std::vector<int64_t>(static_cast<size_t>(log->partitions()), 0));
  auto batch = make_events("stats", 17, 6);
  append_ok(*log, batch);
  st = log->stats();
  ASSERT_TRUE(st);
  ASSERT_EQ(st.value().end_offsets.size(), static_cast<size_t>(log->partitions()));
  std::vector<int64_t> expected(static_cast<size_t>(log->partitions()), 0);
  for (const auto& e : batch) ++expected[static_cast<size_t>(log->partition_for(e.stream))];
  EXPECT_EQ(st.value().end_offsets, expected);
}

TEST_P(LogContract, FindsTheFirstOffsetAfterATime) {
  auto log = open();
  ASSERT_TRUE(log);
  // Times 0, 400, 800, ... µs: several events share a millisecond, so the Kafka backend's
  // millisecond timestamps alone would not be exact.
  std::vector<envelope> batch;
  for (int i = 0; i < 20; ++i)
    batch.push_back(make_event("time-" + std::to_string(i), "s" + std::to_string(i % 4), i * 400));
  auto results = append_ok(*log, batch);
  ASSERT_EQ(results.size(), batch.size());
  auto st = log->stats();
  ASSERT_TRUE(st);
  for (int64_t cut_us :
       {-1'000'000'000LL, -1LL, 0LL, 399LL, 400LL, 1000LL, 1999LL, 3800LL, 7600LL, 99'000'000LL}) {
    std::vector<int64_t> expected = st.value().end_offsets;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].time > at(cut_us)) {
        auto& x = expected[static_cast<size_t>(results[i].position.partition)];
        x = std::min(x, results[i].position.offset);
      }
    }
    auto got = log->offsets_after_time(at(cut_us));
    ASSERT_TRUE(got) << kafka_error_message(*log);
    EXPECT_EQ(got.value(), expected) << "cut " << cut_us;
  }
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// Every test of this file is named contract/<Suite>.<Test>/<backend>, so
// `ctest -R contract` runs exactly this file.
INSTANTIATE_TEST_SUITE_P(contract, LogContract, ::testing::Values("embedded", "kafka"), param_name);

// --- Kafka only --------------------------------------------------------------------------

class KafkaLog : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(contract, KafkaLog, ::testing::Values("kafka"), param_name);

TEST_P(KafkaLog, UnreachableBrokerIsUnavailableWithinTheTimeout) {
  kafka_log_options o;
  o.brokers = "127.0.0.1:1";
  o.topic = testing::unique_topic("roms.unreachable");
  o.timeout = 2s;
  const auto start = std::chrono::steady_clock::now();
  auto r = open_kafka_log(std::move(o));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::unavailable));
  EXPECT_NE(r.error().message.find("127.0.0.1:1"), std::string::npos) << r.error().message;
  EXPECT_LT(took, 5s);
}

TEST_P(KafkaLog, SilentBrokerIsUnavailableWithinTheTimeout) {
  // A port that accepts TCP connections (the kernel completes them: listen, never accept)
  // but never answers a Kafka request.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  kafka_log_options o;
  o.brokers = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  o.topic = testing::unique_topic("roms.silent");
  o.timeout = 2s;
  const auto start = std::chrono::steady_clock::now();
  auto r = open_kafka_log(std::move(o));
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::unavailable)) << r.error().message;
  EXPECT_LT(took, 6s);
}

TEST_P(KafkaLog, PartitionerIsJavaClientsMurmur2) {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  EXPECT_EQ(kafka_murmur2("21"), -973932308);
  EXPECT_EQ(kafka_murmur2("foobar"), -790332482);
  EXPECT_EQ(kafka_murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(kafka_murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(kafka_murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(kafka_murmur2("abc"), 479470107);
  // toPositive(murmur2) % n
  EXPECT_EQ(kafka_partition_for("foobar", 6), static_cast<int32_t>((-790332482 & 0x7fffffff) % 6));
  EXPECT_EQ(kafka_partition_for("21", 1), 0);
}

kafka_log_options kafka_options(const std::string& brokers, const std::string& topic) {
  kafka_log_options o;
  o.brokers = brokers;
  o.topic = topic;
  o.partitions = kKafkaPartitions;
  o.timeout = 15s;
  return o;
}

TEST_P(KafkaLog, InMemoryIndexCatchesUpFromTheTopicOnOpen) {
  ROMS_REQUIRE_KAFKA(brokers);
  const auto topic = testing::unique_topic("roms.memindex");
  auto batch = make_events("mem", 20, 5);
  std::vector<append_result> first;
  {
    auto log = open_kafka_log(kafka_options(brokers, topic));
    ASSERT_TRUE(log) << log.error().message;
    first = log.value()->append(batch).value();
  }
  auto log = open_kafka_log(kafka_options(brokers, topic));
  ASSERT_TRUE(log) << log.error().message;
  auto again = log.value()->append(batch);
  ASSERT_TRUE(again);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_TRUE(again.value()[i].duplicate);
    EXPECT_EQ(again.value()[i].position, first[i].position);
  }
}

TEST_P(KafkaLog, SecondWriterLearnsTheOthersIdsFromTheGap) {
  ROMS_REQUIRE_KAFKA(brokers);
  const auto topic = testing::unique_topic("roms.twowriters");
  auto a = open_kafka_log(kafka_options(brokers, topic));
  ASSERT_TRUE(a) << a.error().message;
  auto b = open_kafka_log(kafka_options(brokers, topic));
  ASSERT_TRUE(b) << b.error().message;
  // A writes x; B, which opened before, writes y to the same stream (so the same partition)
  // and sees a gap where x is. Its next append fills the gap, so x is a duplicate on B too.
  std::vector<envelope> x = {make_event("two-x", "shared")};
  std::vector<envelope> y = {make_event("two-y", "shared")};
  auto ax = a.value()->append(x);
  ASSERT_TRUE(ax);
  ASSERT_TRUE(b.value()->append(y));
  auto bx = b.value()->append(x);
  ASSERT_TRUE(bx) << kafka_error_message(*b.value());
  EXPECT_TRUE(bx.value()[0].duplicate);
  EXPECT_EQ(bx.value()[0].position, ax.value()[0].position);
}

TEST_P(KafkaLog, ExistingTopicKeepsItsPartitionCount) {
  ROMS_REQUIRE_KAFKA(brokers);
  const auto topic = testing::unique_topic("roms.existing");
  {
    auto o = kafka_options(brokers, topic);
    o.partitions = 2;
    auto log = open_kafka_log(o);
    ASSERT_TRUE(log) << log.error().message;
    EXPECT_EQ(log.value()->partitions(), 2);
  }
  auto log = open_kafka_log(kafka_options(brokers, topic));  // asks for 3
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(log.value()->partitions(), 2);
}

// Writes a raw record with kcat (the topic is shared with other programs; one of them may
// write something that is not an envelope).
bool write_raw(const std::string& brokers, const std::string& topic, int32_t partition,
               const std::string& value) {
  const std::string cmd = "kcat -P -b " + brokers + " -t " + topic + " -p " +
                          std::to_string(partition) + " -k raw 2>&1";
  FILE* f = ::popen(cmd.c_str(), "w");
  if (!f) return false;
  std::fputs(value.c_str(), f);
  return ::pclose(f) == 0;
}

TEST_P(KafkaLog, UndecodableRecordIsCorruptionAtItsPosition) {
  ROMS_REQUIRE_KAFKA(brokers);
  if (std::system("command -v kcat >/dev/null 2>&1") != 0) GTEST_SKIP() << "kcat not installed";
  const auto topic = testing::unique_topic("roms.corrupt");
  auto log = open_kafka_log(kafka_options(brokers, topic));
  ASSERT_TRUE(log) << log.error().message;
  std::vector<envelope> good = {make_event("c-1", "shared")};
  auto r = log.value()->append(good);
  ASSERT_TRUE(r);
  const int32_t p = r.value()[0].position.partition;
  ASSERT_TRUE(write_raw(brokers, topic, p, "this is not an envelope"));

  auto reader = log.value()->open_reader({});
  ASSERT_TRUE(reader);
  std::vector<stored_event> got;
  std::error_code err;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!err && std::chrono::steady_clock::now() < deadline) {
    auto x = reader.value()->read(10, 500ms);
    if (!x)
      err = x.error();
    else
      for (auto& e : x.value()) got.push_back(std::move(e));
  }
  EXPECT_EQ(err, make_error_code(errc::corruption));
  ASSERT_EQ(got.size(), 1u);
  const std::string where = std::to_string(p) + ":1";
  EXPECT_NE(kafka_error_message(*reader.value()).find(where), std::string::npos)
      << kafka_error_message(*reader.value());
  // It stays there: never skipped.
  auto again = reader.value()->read(10, 100ms);
  EXPECT_FALSE(again);
  EXPECT_EQ(reader.value()->next_offsets()[static_cast<size_t>(p)], 1);

  // Opening the log reads every record into the id index: it refuses, naming the record.
  auto reopened = open_kafka_log(kafka_options(brokers, topic));
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, make_error_code(errc::corruption));
  EXPECT_NE(reopened.error().message.find(where), std::string::npos) << reopened.error().message;
}

}  // namespace
}  // namespace roms::events
