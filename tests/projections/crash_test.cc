// Exactly-once across crashes: a child process (this binary, re-executed) runs the projection
// runner over a big log and is SIGKILLed at random instants — in the middle of batches, of
// commits, of checkpoints, of rebuilds. After each kill every projection must hold exactly the
// fold of the events below its recorded position: compared with a clean fold up to that
// position.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "consumers/runner.h"
#include "events/embedded_log.h"
#include "events/kafka/kafka_log.h"
#include "tests/projections/engine_testing.h"
#include "tests/testing/kafka_env.h"
#include "tests/testing/temp_dir.h"

extern char** environ;

namespace roms::projections {
namespace {

using namespace std::chrono_literals;
using consumers::projection_runner;
using consumers::runner_options;

constexpr const char* kChildEnv = "ROMS_CRASH_CHILD";  // "<mode> <data dir> <brokers> <topic>"

std::shared_ptr<projection_store> open_store(const std::filesystem::path& dir,
                                             stale_policy sp = stale_policy::keep) {
  store_options o;
  o.on_stale = sp;
  o.memory_budget_bytes = 32ull << 20;
  // Small, so a rebuild writes SST files out and ingests them all along: the kills land in
  // the middle of those too.
  o.bulk_memory_bytes = 256ull << 10;
  auto s = projection_store::open(dir, testing::test_models(), o);
  if (!s) {
    ADD_FAILURE() << s.error().message;
    std::abort();
  }
  return s.value();
}

std::unique_ptr<events::event_log> open_log(const std::filesystem::path& dir,
                                            const std::string& brokers, const std::string& topic,
                                            bool read_only) {
  if (!brokers.empty()) {
    events::kafka_log_options ko;
    ko.brokers = brokers;
    ko.topic = topic;
    ko.partitions = 3;
    auto l = events::open_kafka_log(ko);
    if (!l) {
      ADD_FAILURE() << l.error().message;
      std::abort();
    }
    return std::move(l).value();
  }
  events::embedded_log_options lo;
  lo.sync = false;
  lo.read_only = read_only;
  auto l = events::open_embedded_log(dir / "log", lo);
  if (!l) {
    ADD_FAILURE() << l.error().message;
    std::abort();
  }
  return std::move(l).value();
}

std::string internal_text(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

// The child: "tail" runs the live runner until it has applied everything, then exits 0;
// "rebuild" catches up, then rebuilds everything again and again until killed.
TEST(CrashChild, Run) {
  const char* env = std::getenv(kChildEnv);
  if (!env) GTEST_SKIP() << "only runs as the child of ProjectionCrash tests";
  std::istringstream in(env);
  std::string mode, dir, brokers, topic;
  in >> mode >> dir >> brokers >> topic;
  if (brokers == "-") brokers.clear();
  auto log = open_log(dir, brokers, topic, /*read_only=*/true);
  auto store = open_store(dir);
  runner_options o;
  o.batch_events = 2000;
  o.rebuild_batch_events = 8192;
  o.checkpoint_every_events = 40000;
  o.rebuild_stale_on_start = false;
  projection_runner r(store, *log, o);
  auto end = log->stats().value().end_offsets;
  // Tell the parent the log is open (a Kafka log takes a while): its clock starts now.
  {
    std::FILE* f = std::fopen((std::filesystem::path(dir) / "child-ready").c_str(), "w");
    if (f) std::fclose(f);
  }
  if (mode == "rebuild" || mode == "rebuild1") {
    ASSERT_TRUE(r.catch_up());
    do {
      ASSERT_TRUE(r.rebuild());
    } while (mode == "rebuild");
    std::_Exit(0);
  }
  ASSERT_TRUE(r.start());
  for (size_t p = 0; p < end.size(); ++p) {
    if (end[p] > 0) {
      ASSERT_TRUE(r.wait_for({static_cast<int32_t>(p), end[p] - 1}, 120s));
    }
  }
  r.stop();
  std::_Exit(0);
}

// Runs the child, kills it `kill_after` after it reported ready (if it has not exited). True
// if killed.
bool run_child(const std::string& spec, std::chrono::milliseconds kill_after,
               const std::filesystem::path& data_dir) {
  std::filesystem::path ready = data_dir / "child-ready";
  std::filesystem::remove(ready);
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  envs.push_back(std::string(kChildEnv) + "=" + spec);
  std::vector<char*> envp;
  for (auto& s : envs) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string filter = "--gtest_filter=CrashChild.Run";
  char* argv[] = {self.data(), filter.data(), nullptr};

  pid_t pid = fork();
  if (pid == 0) {
    execve(self.c_str(), argv, envp.data());
    _exit(127);
  }
  EXPECT_GT(pid, 0);
  int status = 0;
  auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!std::filesystem::exists(ready) && std::chrono::steady_clock::now() < ready_by) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ADD_FAILURE() << "child exited before it was ready: " << status;
      return false;
    }
    std::this_thread::sleep_for(1ms);
  }
  auto deadline = std::chrono::steady_clock::now() + kill_after;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed: " << status;
      return false;
    }
    std::this_thread::sleep_for(2ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return true;
}

// Kills land `startup_ms` + [0, spread_ms) after the child has opened the log.
void crash_rounds(const std::string& brokers, const std::string& topic, size_t n_events,
                  int tail_rounds, int rebuild_rounds, int startup_ms, int spread_ms) {
  testing::temp_dir data, ref_dir;
  {
    auto log = open_log(data.path(), brokers, topic, false);
    auto evs = testing::make_events(n_events, 31, 64);
    for (size_t i = 0; i < evs.size(); i += 20000) {
      std::vector<events::envelope> chunk(
          evs.begin() + static_cast<long>(i),
          evs.begin() + static_cast<long>(std::min(evs.size(), i + 20000)));
      ASSERT_TRUE(log->append(chunk));
    }
  }
  { open_store(data.path(), stale_policy::reset); }  // built (empty) at the code's version

  // The references: per projection, a clean fold that moves forward to each position it
  // recovered. The live path commits without the WAL, so after a kill each projection (column
  // family) is at its own commit boundary: the last one RocksDB had flushed for it.
  auto log = open_log(data.path(), brokers, topic, true);
  struct reference {
    testing::temp_dir dir;
    std::shared_ptr<projection_store> store;
    std::unique_ptr<projection_runner> runner;
    std::vector<int64_t> last_pos;
  };
  std::map<std::string, reference> refs;
  for (const auto& m : testing::test_models()) {
    auto& r = refs[std::string(m->name())];
    store_options o;
    o.on_stale = stale_policy::reset;
    auto s = projection_store::open(r.dir.path(), {m}, o);
    ASSERT_TRUE(s) << s.error().message;
    r.store = s.value();
    r.runner = std::make_unique<projection_runner>(r.store, *log);
  }
  auto end = log->stats().value().end_offsets;

  std::mt19937 rng(20261124);
  std::string spec_tail = "tail " + data.str() + " " + (brokers.empty() ? "-" : brokers) + " " +
                          (topic.empty() ? "-" : topic);
  std::string spec_rebuild = "rebuild" + spec_tail.substr(4);
  int killed_mid_way = 0;
  uint64_t last_gen = 0;
  int generations_seen = 0;
  auto check = [&](int round, bool rebuild, bool killed, std::chrono::milliseconds delay) {
    SCOPED_TRACE("round " + std::to_string(round) + (rebuild ? " (rebuild)" : " (tail)"));
    auto store = open_store(data.path());
    // SST files a killed rebuild wrote but did not ingest are gone once the store is open.
    std::error_code ec;
    EXPECT_TRUE(!std::filesystem::exists(data.path() / "projections" / "ingest", ec) ||
                std::filesystem::is_empty(data.path() / "projections" / "ingest", ec));
    bool all_at_end = true;
    for (auto& [name, ref] : refs) {
      SCOPED_TRACE(name);
      auto info = store->info(name).value();
      EXPECT_FALSE(info.stale());
      auto pos = info.position;
      pos.resize(end.size(), 0);
      for (size_t p = 0; p < end.size(); ++p) {
        EXPECT_LE(pos[p], end[p]);
        if (p < ref.last_pos.size()) {
          EXPECT_GE(pos[p], ref.last_pos[p]) << "position went backwards";
        }
      }
      ref.last_pos = pos;
      all_at_end = all_at_end && pos == end;
      std::fprintf(stderr,
                   "crash round %2d %-7s %s after %4lld ms: %-6s at %s of %s, generation %llu\n",
                   round, rebuild ? "rebuild" : "tail", killed ? "killed" : "exited",
                   static_cast<long long>(delay.count()), name.c_str(),
                   internal_text(pos).c_str(), internal_text(end).c_str(),
                   static_cast<unsigned long long>(info.generation));
      ASSERT_TRUE(ref.runner->run_until(pos));
      EXPECT_EQ(store->digest(name).value(), ref.store->digest(name).value());
    }
    if (killed && !all_at_end) ++killed_mid_way;
    auto kv = store->info("kv").value();
    if (kv.generation != last_gen) ++generations_seen;
    last_gen = kv.generation;
  };

  // Kills while the live runner tails the log (mid-batch, mid-commit, mid-checkpoint).
  for (int round = 0; round < tail_rounds; ++round) {
    auto delay = std::chrono::milliseconds(
        startup_ms + static_cast<int>(rng() % static_cast<unsigned>(spread_ms)));
    bool killed = run_child(spec_tail, delay, data.path());
    check(round, false, killed, delay);
  }
  EXPECT_GE(killed_mid_way, tail_rounds / 2) << "the kills should land before the end";
  // Recovery: a run to the end equals a clean fold of the whole log.
  EXPECT_FALSE(run_child(spec_tail, 300s, data.path()));
  check(tail_rounds, false, false, 300s);
  for (const auto& [name, ref] : refs) EXPECT_EQ(ref.last_pos, end) << name;

  // Kills while rebuilding from 0 (bulk loading: SST files written out and ingested): the
  // live generation is untouched until a complete generation replaces it; an unfinished one,
  // and any SST file not yet ingested, is dropped at open.
  // How long one rebuild takes here, so the kills spread over whole rebuilds and the
  // switches between them.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(run_child("rebuild1" + spec_tail.substr(4), 300s, data.path()));
  auto one =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  check(tail_rounds + 1, true, false, one);
  generations_seen = 0;
  for (int round = 0; round < rebuild_rounds; ++round) {
    auto delay = std::chrono::milliseconds(
        one.count() / 5 + static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * one.count())));
    // The random kills may all land before the first switch (tests running beside this one
    // slow the child down): then the last one waits for three rebuilds' time, so a switch
    // between kills is always exercised, still followed by a kill mid-way through the next.
    if (round == rebuild_rounds - 1 && generations_seen == 0)
      delay = std::max(delay, 3 * one);
    bool killed = run_child(spec_rebuild, delay, data.path());
    EXPECT_TRUE(killed);
    check(tail_rounds + 2 + round, true, killed, delay);
  }
  EXPECT_GE(generations_seen, 1) << "no rebuild completed between kills";
}

TEST(ProjectionCrash, EmbeddedKillAtRandomPointsThenRecoverExactlyOnce) {
  crash_rounds("", "", 600000, 10, 5, 50, 300);
}

TEST(ProjectionCrash, KafkaKillAtRandomPointsThenRecoverExactlyOnce) {
  ROMS_REQUIRE_KAFKA(brokers);
  crash_rounds(brokers, testing::unique_topic("roms.crash"), 300000, 10, 3, 100, 250);
}

}  // namespace
}  // namespace roms::projections
