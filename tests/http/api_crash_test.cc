// kill -9 during a load of order POSTs: every order that got a 201 is present after a restart
// on the same data dir (the answer came after the events were durable in the log).
//
// The server runs in its own process (api_test_server, path from ROMS_API_TEST_SERVER),
// started with fork + exec, so the kill is a real SIGKILL of a process with threads, open
// files and in-flight appends.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "tests/http/api_test_util.h"

#ifndef ROMS_API_TEST_SERVER
#error "ROMS_API_TEST_SERVER must name the api_test_server binary"
#endif

namespace roms::testing {
namespace {

// Starts the server process; returns its pid and port (0 on failure).
std::pair<pid_t, uint16_t> spawn_server(const std::filesystem::path& dir) {
  auto out = dir / "server.out";
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(ROMS_API_TEST_SERVER, ROMS_API_TEST_SERVER, "--data", (dir / "data").c_str(),
            "--listen", "127.0.0.1:0", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 600; ++i) {  // up to 60 s on a loaded machine
    std::ifstream f(out);
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("listening on ", 0) == 0)
        return {pid, static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)))};
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return {pid, 0};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {pid, 0};
}

TEST(ApiCrash, EveryOrderAnswered201SurvivesKill9) {
  temp_dir dir;
  auto [pid, port] = spawn_server(dir.path());
  ASSERT_NE(port, 0) << "the server did not start";
  api_client admin(port, kAdminKey);
  ASSERT_EQ(
      admin.post("/api/v1/products", R"({"sku":"KOPI-250","name":"Kopi","price":45000})").status,
      201);
  ASSERT_EQ(admin.post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":1000000})").status,
            200);

  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> acked;  // (external_id, order id)
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        std::string ext = "crash-" + std::to_string(t) + "-" + std::to_string(i);
        std::string body = R"({"external_id":")" + ext +
                           R"(","channel":"api","customer":{"name":"C","phone":"0812000)" +
                           std::to_string(10000 + t * 100 + i % 100) +
                           R"("},"items":[{"sku":"KOPI-250","qty":1}]})";
        try {
          http_conn c(port, std::chrono::seconds(5));
          c.send(http_request("POST", "/api/v1/orders", body,
                              std::string(kAdminKey) + "Content-Type: application/json\r\n"));
          auto r = c.read_reply();
          if (!r) {
            ++failed;  // the server died mid-request: no promise was made
            continue;
          }
          if (r->status == 201) {
            boost::system::error_code ec;
            auto v = json::parse(r->body, ec);
            std::lock_guard lk(mu);
            acked.emplace_back(ext, std::string(v.as_object().at("id").as_string()));
          }
          ++answered;
        } catch (const std::exception&) {
          ++failed;  // connection refused once it is dead
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  }
  // Let a few hundred orders through, then kill it mid-load.
  for (int i = 0; i < 300 && answered < 300; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_GT(acked.size(), 50u) << "too few orders before the kill to mean anything";

  // Restart on the same dir, in this process; every acknowledged order is there.
  api_stack s(dir.path() / "data");
  auto started = s.start();
  ASSERT_TRUE(started) << started.error().message;
  api_client after(s.port(), kAdminKey);
  size_t missing = 0;
  for (const auto& [ext, id] : acked) {
    auto r = after.get("/api/v1/orders/" + id);
    if (r.status != 200) {
      ++missing;
      ADD_FAILURE() << "order " << id << " (" << ext << ") was acknowledged but is gone: " << r;
    }
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size();
  // A client retrying an acknowledged order after the crash gets the original.
  const auto& [ext, id] = acked.front();
  auto retry = after.post(
      "/api/v1/orders",
      R"({"external_id":")" + ext +
          R"(","channel":"api","customer":{"name":"C"},"items":[{"sku":"KOPI-250","qty":1}]})");
  EXPECT_EQ(retry.status, 200) << retry;
  EXPECT_EQ(retry.str("id"), id);
  auto list = after.get("/api/v1/orders?limit=500");
  EXPECT_EQ(list.status, 200);
  std::cerr << "acknowledged " << acked.size() << " orders before the kill, " << failed.load()
            << " requests cut\n";
}

}  // namespace
}  // namespace roms::testing
