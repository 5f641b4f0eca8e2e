// The rules never act twice: a process running the projection runner and the rule runner is
// SIGKILLed at random moments while it works through hundreds of orders; after every restart,
// and after a final replay from position 0, each order has exactly one thank-you and each due
// reminder exactly one message.
//
// The process is this test binary re-executed (fork + execve) into the disabled test
// RulesCrashChild.DISABLED_Run: a plain fork() of a process that has opened RocksDB would
// inherit its thread pool without the threads.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "consumers/internal/consumer_state.h"
#include "tests/consumers/rules_testing.h"

extern char** environ;

namespace roms::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDirEnv = "ROMS_RULES_CRASH_DIR";

// Runs the child for `run_for`, then SIGKILLs it.
void run_and_kill(const fs::path& dir, std::chrono::milliseconds run_for) {
  static const std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {exe, "--gtest_filter=RulesCrashChild.DISABLED_Run",
                                   "--gtest_also_run_disabled_tests", "--gtest_brief=1"};
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.push_back(std::string(kDirEnv) + "=" + dir.string());
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // only async-signal-safe calls until execve
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 1);
    ::execve(exe.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  std::this_thread::sleep_for(run_for);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // Killed, not exited on its own (which would mean the child failed).
  EXPECT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
}

TEST(RulesCrashChild, DISABLED_Run) {
  const char* dir = std::getenv(kDirEnv);
  ASSERT_NE(dir, nullptr);
  rules_bench b{fs::path(dir)};
  b.open();
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // until SIGKILL
}

TEST(RulesCrash, EveryOrderGetsExactlyOneThankYouAndEveryReminderOneMessage) {
  temp_dir dir;
  std::mt19937 rng(20260302);
  int orders = 0;
  int delivered = 0;
  auto add_orders = [&](rules_bench& b, int n, int64_t at) {
    for (int i = 0; i < n; ++i, ++orders) {
      std::string id = "ord_" + std::to_string(orders);
      b.order(id, orders % 2 ? "cus_budi" : "cus_sari", {{orders % 3 ? "prd_kopi" : "prd_gula", 1}},
              at + i * kMinute);
      if (orders % 4 == 0) {
        b.status(id, "pending", "delivered", at + i * kMinute + kHour);
        ++delivered;
      }
    }
  };
  {
    rules_bench b(dir.path());
    b.open(/*start_rules=*/false);
    b.product("prd_kopi", "KOPI-250", "Kopi Bubuk 250g", "Gula Aren-nya sekalian?", 0, 100000);
    b.product("prd_gula", "GULA-500", "Gula Aren 500g", "", 0, 100000);
    b.customer("cus_budi", "+6281234567890", "Budi");
    b.customer("cus_sari", "+6285700001111", "Sari");
    b.rule("rem_all", "Semua", 1, "", "Halo {name}, {product_name} lagi?", true, kT0 - kDay);
    b.settle();
    ASSERT_TRUE(b.rules().run_until_end());  // first start: origin = here
    add_orders(b, 150, kT0);
    b.tick(kT0 + 5 * kDay);
  }
  int killed_mid_work = 0;
  for (int round = 0; round < 8; ++round) {
    run_and_kill(dir.path(), std::chrono::milliseconds(50 + rng() % 600));
    // More work between crashes.
    rules_bench b(dir.path());
    b.open(/*start_rules=*/false);
    auto st = consumers::internal::load_rule_state(b.state_dir());
    ASSERT_TRUE(st && st.value());
    if (st.value()->position.at(0) < b.log().stats().value().end_offsets.at(0)) ++killed_mid_work;
    add_orders(b, 10, kT0 + (6 + round) * kDay);
    b.tick(kT0 + (8 + round) * kDay);
  }

  EXPECT_GE(killed_mid_work, 3);  // most rounds are killed while the rules still have work

  rules_bench b(dir.path());
  b.open();
  b.settle();
  // One thank-you per order; at most one reminder.scheduled per delivered order, and each of
  // those either fired (one message) or was cancelled by a re-order (one cancellation), never
  // both.
  auto check = [&] {
    std::map<std::string, int> per_key;
    for (const auto& m : b.messages()) ++per_key[m.idempotency_key];
    int thanks = 0;
    for (const auto& [k, n] : per_key) {
      EXPECT_EQ(n, 1) << k;
      if (k.rfind("thank_you:", 0) == 0) ++thanks;
    }
    EXPECT_EQ(thanks, orders);
    std::map<std::string, int> cancelled;
    for (const auto& c : b.payloads<events::reminder_cancelled>()) ++cancelled[c.reminder_id];
    auto scheduled = b.payloads<events::reminder_scheduled>();
    // A delivery evaluated after a later re-order of its product is visible schedules nothing.
    EXPECT_LE(scheduled.size(), static_cast<size_t>(delivered));
    EXPECT_GT(scheduled.size(), 0u);
    int fired = 0;
    for (const auto& r : scheduled) {
      int sent = per_key.count("reminder:" + r.reminder_id) ? 1 : 0;
      fired += sent;
      EXPECT_EQ(sent + cancelled[r.reminder_id], 1) << r.reminder_id;
    }
    EXPECT_GT(fired, 0);
  };
  check();

  // Replay everything from position 0: not one more event.
  auto end = b.log().stats().value().end_offsets[0];
  const auto appended = b.rules().status().appended;
  b.rules().stop();
  ASSERT_TRUE(consumers::reset_rule_position(b.state_dir(), {0}));
  ASSERT_TRUE(b.rules().start());
  b.settle();
  EXPECT_EQ(b.log().stats().value().end_offsets[0], end);
  EXPECT_EQ(b.rules().status().appended, appended);
  EXPECT_GT(b.rules().status().duplicates, 0u);
  check();
}

}  // namespace
}  // namespace roms::testing
