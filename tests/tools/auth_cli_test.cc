// `roms user …` and `roms apikey …` as separate processes (auth_cli_main.cc), both on a data
// dir no server holds (the command opens it) and on one a server holds (the command goes
// through the admin socket; opening the log itself would fail, the server has its lock).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "http/api/auth.h"
#include "tests/http/auth_stack.h"
#include "tests/testing/temp_dir.h"
#include "tools/admin.h"
#include "tools/admin_socket.h"

namespace roms::tools {
namespace {

using roms::testing::auth_stack;
using roms::testing::temp_dir;

struct run_result {
  int code = -1;
  std::string out, err;
  std::vector<std::string> out_lines() const {
    std::vector<std::string> v;
    std::istringstream s(out);
    for (std::string l; std::getline(s, l);) v.push_back(l);
    return v;
  }
};

// Runs the CLI with `args`, feeding `input` on stdin.
run_result run_cli(std::vector<std::string> args, const std::string& input = "") {
  int in[2], out[2], err[2];
  if (::pipe(in) || ::pipe(out) || ::pipe(err)) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    std::vector<char*> argv;
    std::string exe = ROMS_AUTH_CLI;
    argv.push_back(exe.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!input.empty()) (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  run_result r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  while (open > 0 && ::poll(fds, 2, 60'000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string field(const std::string& line, size_t index) {
  std::istringstream s(line);
  std::string w;
  for (size_t i = 0; i <= index && (s >> w); ++i) {
  }
  return w;
}

http::request with_key(const std::string& key) {
  http::request r;
  r.headers.emplace_back("X-API-Key", key);
  return r;
}

TEST(AuthCli, WorksOnADataDirNoServerHolds) {
  temp_dir dir;
  const std::string d = dir.str();
  auto u = run_cli({"user", "create", "--data", d, "--email", "Owner@Toko.id", "--role", "admin",
                    "--password-stdin"},
                   "password-123\n");
  ASSERT_EQ(u.code, 0) << u.err;
  ASSERT_EQ(u.out_lines().size(), 1u);
  EXPECT_TRUE(u.out.starts_with("created user usr_")) << u.out;
  EXPECT_NE(u.out.find("owner@toko.id (admin)"), std::string::npos) << u.out;
  const std::string uid = field(u.out, 2);

  auto k = run_cli(
      {"apikey", "create", "--data", d, "--name", "shopify", "--scope", "read,orders:write"});
  ASSERT_EQ(k.code, 0) << k.err;
  auto lines = k.out_lines();
  ASSERT_FALSE(lines.empty());
  const std::string key = lines.back();  // alone on the last line
  EXPECT_EQ(key.size(), http::api::kApiKeyLength);
  EXPECT_TRUE(key.starts_with("roms_"));
  EXPECT_NE(k.err.find("shown once"), std::string::npos);

  auto list = run_cli({"apikey", "list", "--data", d});
  ASSERT_EQ(list.code, 0) << list.err;
  ASSERT_EQ(list.out_lines().size(), 1u);
  const std::string kid = field(list.out, 0);
  EXPECT_TRUE(kid.starts_with("key_"));
  EXPECT_EQ(list.out.find(key), std::string::npos);  // never shown again
  EXPECT_NE(list.out.find("orders:write,read"), std::string::npos) << list.out;

  auto ul = run_cli({"user", "list", "--data", d});
  ASSERT_EQ(ul.code, 0) << ul.err;
  EXPECT_NE(ul.out.find(uid), std::string::npos);

  {  // What the commands wrote is what a server sees.
    auth_stack s(dir.path());
    ASSERT_TRUE(s.open());
    EXPECT_TRUE(s.svc().login("owner@toko.id", "password-123", "127.0.0.1", ""));
    auto p = s.svc().authenticate(with_key(key));
    ASSERT_TRUE(p);
    EXPECT_EQ(p.value().scopes, (std::vector<std::string>{"orders:write", "read"}));
    for (const auto& e : s.all_events()) {
      EXPECT_EQ(e.find("password-123"), std::string::npos);
      EXPECT_EQ(e.find(key), std::string::npos);
      if (e.find("\"type\":\"session.") == std::string::npos) {  // the login above: the user's
        EXPECT_NE(e.find(R"("actor":"cli")"), std::string::npos) << e;
      }
    }
  }

  auto rv = run_cli({"apikey", "revoke", "--data", d, kid});
  ASSERT_EQ(rv.code, 0) << rv.err;
  EXPECT_NE(rv.out.find("revoked API key " + kid), std::string::npos);
  auto again = run_cli({"apikey", "revoke", "--data", d, "key_nope"});
  EXPECT_NE(again.code, 0);
  EXPECT_FALSE(again.err.empty());

  auto upd = run_cli({"user", "update", "--data", d, uid, "--password-stdin"}, "new-password-9\n");
  ASSERT_EQ(upd.code, 0) << upd.err;

  auth_stack s(dir.path());
  ASSERT_TRUE(s.open());
  EXPECT_FALSE(s.svc().authenticate(with_key(key)));
  EXPECT_FALSE(s.svc().login("owner@toko.id", "password-123", "127.0.0.1", ""));
  EXPECT_TRUE(s.svc().login("owner@toko.id", "new-password-9", "127.0.0.1", ""));
}

TEST(AuthCli, RefusesPasswordsOnTheCommandLineAndBadInput) {
  temp_dir dir;
  const std::string d = dir.str();
  auto no_flag = run_cli({"user", "create", "--data", d, "--email", "a@b.id", "--role", "cs"},
                         "password-123\n");
  EXPECT_EQ(no_flag.code, 1);
  EXPECT_NE(no_flag.err.find("--password-stdin"), std::string::npos) << no_flag.err;
  auto short_pw = run_cli(
      {"user", "create", "--data", d, "--email", "a@b.id", "--role", "cs", "--password-stdin"},
      "short\n");
  EXPECT_EQ(short_pw.code, 1);
  EXPECT_NE(short_pw.err.find("at least 8"), std::string::npos) << short_pw.err;
  auto empty = run_cli(
      {"user", "create", "--data", d, "--email", "a@b.id", "--role", "cs", "--password-stdin"});
  EXPECT_EQ(empty.code, 1);
  auto bad_role = run_cli(
      {"user", "create", "--data", d, "--email", "a@b.id", "--role", "root", "--password-stdin"},
      "password-123\n");
  EXPECT_NE(bad_role.code, 0);
  auto bad_scope = run_cli({"apikey", "create", "--data", d, "--name", "x", "--scope", "all"});
  EXPECT_NE(bad_scope.code, 0);
  // CRLF from a Windows-made file is not part of the password.
  auto crlf = run_cli(
      {"user", "create", "--data", d, "--email", "crlf@b.id", "--role", "cs", "--password-stdin"},
      "password-123\r\n");
  ASSERT_EQ(crlf.code, 0) << crlf.err;
  auth_stack s(dir.path());
  ASSERT_TRUE(s.open());
  EXPECT_TRUE(s.svc().login("crlf@b.id", "password-123", "127.0.0.1", ""));
}

TEST(AuthCli, GoesThroughTheAdminSocketWhenAServerRuns) {
  temp_dir dir;
  auth_stack s(dir.path());
  ASSERT_TRUE(s.open());
  // What roms serve does with {"cmd":"auth",…} (tools/cmd_serve.cc).
  auto srv = admin_server::start(dir.path(), [&](std::string_view line, admin_writer& out) {
    auto r = http::api::admin_auth_command(s.svc(), line);
    out.write_line(r ? admin_ok(r.value()) : admin_error(r.error().wire_code(), r.error().message));
  });
  ASSERT_TRUE(srv) << srv.error().message;
  const std::string d = dir.str();
  auto u = run_cli(
      {"user", "create", "--data", d, "--email", "cs@toko.id", "--role", "cs", "--password-stdin"},
      "password-123\n");
  ASSERT_EQ(u.code, 0) << u.err;
  EXPECT_TRUE(s.svc().login("cs@toko.id", "password-123", "127.0.0.1", ""));  // at once
  auto dup = run_cli(
      {"user", "create", "--data", d, "--email", "CS@toko.id", "--role", "cs", "--password-stdin"},
      "password-123\n");
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("exists"), std::string::npos) << dup.err;
  auto k = run_cli({"apikey", "create", "--data", d, "--name", "ci"});
  ASSERT_EQ(k.code, 0) << k.err;
  const std::string key = k.out_lines().back();
  auto p = s.svc().authenticate(with_key(key));
  ASSERT_TRUE(p);
  EXPECT_EQ(p.value().scopes, http::api::all_scopes());
  auto rv = run_cli({"apikey", "revoke", "--data", d, p.value().id});
  ASSERT_EQ(rv.code, 0) << rv.err;
  EXPECT_FALSE(s.svc().authenticate(with_key(key)));
  srv.value()->stop();
}

}  // namespace
}  // namespace roms::tools
