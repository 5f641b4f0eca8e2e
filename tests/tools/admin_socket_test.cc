#include "tools/admin_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/errc.h"
#include "tests/testing/temp_dir.h"

namespace roms::tools {
namespace {

using namespace std::chrono_literals;
using roms::testing::temp_dir;

void echo(std::string_view line, admin_writer& out) { out.write_line("echo " + std::string(line)); }

std::vector<std::string> call(const std::filesystem::path& dir, std::string_view line) {
  std::vector<std::string> lines;
  auto c = admin_client::connect(dir);
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  if (!c || !c.value()) {
    ADD_FAILURE() << "no server";
    return lines;
  }
  auto r = c.value()->call(line, [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_TRUE(r);
  return lines;
}

TEST(AdminSocket, RoundTrip) {
  temp_dir dir;
  auto srv = admin_server::start(dir.path(), echo);
  ASSERT_TRUE(srv) << srv.error().message;
  EXPECT_EQ(srv.value()->socket_path(), dir.path() / "admin.sock");
  EXPECT_EQ(call(dir.path(), R"({"cmd":"log.stats"})"),
            std::vector<std::string>{R"(echo {"cmd":"log.stats"})"});
  // One request per connection; a new connection for the next.
  EXPECT_EQ(call(dir.path(), "second"), std::vector<std::string>{"echo second"});
}

TEST(AdminSocket, StreamsManyLines) {
  temp_dir dir;
  auto srv = admin_server::start(dir.path(), [](std::string_view, admin_writer& out) {
    for (int i = 0; i < 1000; ++i) {
      if (i % 100 == 0) std::this_thread::sleep_for(1ms);
      ASSERT_TRUE(out.write_line("{\"progress\":" + std::to_string(i) + "}"));
    }
    out.write_line("a\nb");  // a newline inside splits the line
    out.write_line("");      // an empty line is a line
  });
  ASSERT_TRUE(srv);
  auto lines = call(dir.path(), "rebuild");
  ASSERT_EQ(lines.size(), 1003u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(lines[i], "{\"progress\":" + std::to_string(i) + "}");
  EXPECT_EQ(lines[1000], "a");
  EXPECT_EQ(lines[1001], "b");
  EXPECT_EQ(lines[1002], "");
}

TEST(AdminSocket, SocketIsOwnerOnly) {
  temp_dir dir;
  ::umask(0);  // even with a permissive umask in the process
  auto srv = admin_server::start(dir.path(), echo);
  ::umask(022);
  ASSERT_TRUE(srv);
  struct stat st {};
  ASSERT_EQ(::lstat(srv.value()->socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

TEST(AdminSocket, NoServerIsNotAnError) {
  temp_dir dir;
  auto c = admin_client::connect(dir.path());
  ASSERT_TRUE(c);
  EXPECT_FALSE(c.value());
  auto missing = admin_client::connect(dir.path() / "does-not-exist");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing.value());
}

TEST(AdminSocket, StaleSocketFileMeansNoServerAndIsReplaced) {
  temp_dir dir;
  {  // a socket file left behind by a server that died
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = (dir.path() / "admin.sock").string();
    std::strcpy(addr.sun_path, p.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  auto c = admin_client::connect(dir.path());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c.value());

  auto srv = admin_server::start(dir.path(), echo);
  ASSERT_TRUE(srv) << srv.error().message;
  EXPECT_EQ(call(dir.path(), "x"), std::vector<std::string>{"echo x"});
}

TEST(AdminSocket, SecondServerOnTheSameDirIsRefused) {
  temp_dir dir;
  auto first = admin_server::start(dir.path(), echo);
  ASSERT_TRUE(first);
  auto second = admin_server::start(dir.path(), echo);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, make_error_code(errc::locked));
  EXPECT_EQ(call(dir.path(), "still"), std::vector<std::string>{"echo still"});  // untouched
}

TEST(AdminSocket, RefusesAFileThatIsNotASocket) {
  temp_dir dir;
  std::ofstream(dir.path() / "admin.sock") << "not a socket";
  auto srv = admin_server::start(dir.path(), echo);
  ASSERT_FALSE(srv);
  EXPECT_EQ(srv.error().code, make_error_code(errc::invalid_argument));
}

TEST(AdminSocket, RefusesAWorldWritableOrMissingDataDir) {
  temp_dir dir;
  ::chmod(dir.path().c_str(), 0777);
  auto srv = admin_server::start(dir.path(), echo);
  ASSERT_FALSE(srv);
  EXPECT_NE(srv.error().message.find("writable by everyone"), std::string::npos);
  auto missing = admin_server::start(dir.path() / "nope", echo);
  ASSERT_FALSE(missing);
}

TEST(AdminSocket, StopRemovesTheSocketAndClientsSeeNoServer) {
  temp_dir dir;
  auto srv = admin_server::start(dir.path(), echo);
  ASSERT_TRUE(srv);
  srv.value()->stop();
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "admin.sock"));
  auto c = admin_client::connect(dir.path());
  ASSERT_TRUE(c);
  EXPECT_FALSE(c.value());
  srv.value()->stop();  // idempotent
}

TEST(AdminSocket, FollowerEndsWhenTheClientLeaves) {
  temp_dir dir;
  std::promise<void> handler_done;
  auto srv = admin_server::start(dir.path(), [&](std::string_view, admin_writer& out) {
    for (int i = 0; out.alive(); ++i) {
      if (!out.write_line("tick " + std::to_string(i))) break;
      std::this_thread::sleep_for(5ms);
    }
    handler_done.set_value();
  });
  ASSERT_TRUE(srv);
  {
    auto c = admin_client::connect(dir.path());
    ASSERT_TRUE(c && c.value());
    // Read three lines, then leave: a CLI's `log tail --follow` interrupted by Ctrl-C.
    int fd_lines = 0;
    std::thread t([&] {
      try {
        (void)c.value()->call("follow", [&](std::string_view) {
          if (++fd_lines == 3) throw 1;  // stop reading from inside the callback
        });
      } catch (int) {
      }
    });
    t.join();
  }
  EXPECT_EQ(handler_done.get_future().wait_for(3s), std::future_status::ready);
}

TEST(AdminSocket, StopEndsAFollowerAndItsClient) {
  temp_dir dir;
  std::atomic<bool> started{false};
  auto srv = admin_server::start(dir.path(), [&](std::string_view, admin_writer& out) {
    out.write_line("first");
    started = true;
    while (out.alive()) std::this_thread::sleep_for(5ms);
  });
  ASSERT_TRUE(srv);
  std::vector<std::string> lines;
  std::thread client([&] { lines = call(dir.path(), "follow"); });
  while (!started) std::this_thread::sleep_for(1ms);
  auto t0 = std::chrono::steady_clock::now();
  srv.value()->stop();
  client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(lines, std::vector<std::string>{"first"});
}

TEST(AdminSocket, HandlerExceptionIsAnErrorLine) {
  temp_dir dir;
  auto srv = admin_server::start(dir.path(), [](std::string_view, admin_writer& out) {
    out.write_line("partial");
    throw std::runtime_error("boom");
  });
  ASSERT_TRUE(srv);
  auto lines = call(dir.path(), "x");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "partial");
  EXPECT_NE(lines[1].find(R"("code":"internal")"), std::string::npos);
}

TEST(AdminSocket, RequestLineRules) {
  temp_dir dir;
  admin_server::options o;
  o.max_line = 64;
  auto srv = admin_server::start(dir.path(), echo, o);
  ASSERT_TRUE(srv);
  auto c = admin_client::connect(dir.path());
  ASSERT_TRUE(c && c.value());
  auto bad = c.value()->call("two\nlines", [](std::string_view) {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, make_error_code(errc::invalid_argument));

  auto lines = call(dir.path(), std::string(100, 'x'));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("code":"too_large")"), std::string::npos);
}

TEST(AdminSocket, OtherUsersAreRefusedByPeerCredentials) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another uid";
  temp_dir dir;
  auto srv = admin_server::start(dir.path(), echo);
  ASSERT_TRUE(srv);
  // The 0600 mode already keeps other users out; open it up to reach the SO_PEERCRED check.
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(srv.value()->socket_path().c_str(), 0666);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(2);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, srv.value()->socket_path().c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(3);
    const char req[] = "hello\n";
    (void)::send(fd, req, sizeof req - 1, MSG_NOSIGNAL);  // the server may have closed already
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
      if (::write(pipefd[1], buf, static_cast<size_t>(n)) < 0) _exit(5);
    _exit(0);
  }
  ::close(pipefd[1]);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(got.find(R"("code":"forbidden")"), std::string::npos) << got;
  EXPECT_EQ(got.find("echo"), std::string::npos);
}

}  // namespace
}  // namespace roms::tools
