// Issue #5 "Done when", end to end: the real `roms serve` (the README's run command, with
// --test-clock) as a separate process, pointed at a WAHA stand-in that counts requests.
//   an order placed over the API → exactly one thank-you at the gateway;
//   delivered + the clock advanced past the reminder rule → exactly one reminder carrying the
//   product's cross-sell text;
//   more time, a second order status change, a restart and more time → nothing more.
// A second case: with ROMS_WHATSAPP unset (off) messages stay queued and the dashboard says so.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/consumers/fake_gateways.h"
#include "tests/http/api_test_util.h"
#include "tests/testing/temp_dir.h"

namespace roms::testing {
namespace {

using namespace std::chrono_literals;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct run_result {
  int code = -1;
  std::string out;
};

// Runs `roms` with args; stdin gets `input`; stdout is captured, and stderr too when
// `with_stderr` (otherwise it passes through).
run_result run_roms(const std::vector<std::string>& args, const std::string& input = "",
                    bool with_stderr = false) {
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    if (with_stderr) ::dup2(out[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    std::vector<char*> argv;
    std::string exe = ROMS_BINARY;
    argv.push_back(exe.data());
    for (auto& a : const_cast<std::vector<std::string>&>(args)) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  run_result r;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;)
    r.out.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// `roms serve` as a child process; SIGTERM and wait on destruction.
class server_process {
 public:
  server_process(const std::string& data, uint16_t port, std::vector<std::string> env)
      : port_(port) {
    pid_ = ::fork();
    if (pid_ == 0) {
      for (auto& e : env) ::putenv(e.data());
      std::string exe = ROMS_BINARY;
      std::string listen = "127.0.0.1:" + std::to_string(port);
      const char* argv[] = {exe.c_str(),       "serve",          "--data",      data.c_str(),
                            "--listen",        listen.c_str(),   "--test-clock", "--web-dir",
                            "/nonexistent",    "--fold-cache-mb", "2",           nullptr};
      ::execv(exe.c_str(), const_cast<char**>(argv));
      ::_exit(127);
    }
  }
  ~server_process() { stop(); }
  // Waits until /healthz answers 200.
  bool wait_ready(std::chrono::seconds timeout = 60s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      try {
        http_conn c(port_, 1s);
        c.send(http_request("GET", "/healthz", "", ""));
        auto r = c.read_reply(false);
        if (r && r->status == 200) return true;
      } catch (...) {
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_;
};

// A logged-in Admin: the session cookie and CSRF token from POST /api/v1/auth/login.
api_client login(uint16_t port, const std::string& email, const std::string& password) {
  api_client anon(port, "");
  auto r = anon.post("/api/v1/auth/login",
                     R"({"email":")" + email + R"(","password":")" + password + R"("})");
  EXPECT_EQ(r.status, 200) << r;
  std::string cookie = r.header("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  std::string csrf = r.json.is_object() ? r.str("csrf_token") : "";
  return api_client(port, "Cookie: " + cookie + "\r\nX-CSRF-Token: " + csrf + "\r\n");
}

std::vector<fake_gateway::accepted_message> settle(const fake_gateway& gw,
                                                   std::chrono::milliseconds quiet) {
  std::this_thread::sleep_for(quiet);
  return gw.accepted();
}

class ServeEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_roms({"user", "create", "--data", dir_.path().string(), "--email",
                        "owner@toko.id", "--role", "admin", "--password-stdin"},
                       "rahasia-toko-123\n")
                  .code,
              0);
  }
  temp_dir dir_;
};

TEST_F(ServeEndToEnd, OneThankYouAndOneReminderWithTheCrossSellNothingMore) {
  fake_gateway::options go;
  go.type = fake_gateway::kind::waha;
  fake_gateway gw(go);
  ASSERT_TRUE(gw.start());
  const uint16_t port = free_port();
  std::vector<std::string> env = {"ROMS_WHATSAPP=waha", "ROMS_WAHA_URL=" + gw.base_url(),
                                  "ROMS_WAHA_API_KEY=" + go.api_key,
                                  "ROMS_PUBLIC_URL=http://127.0.0.1:" + std::to_string(port)};
  auto server = std::make_unique<server_process>(dir_.path().string(), port, env);
  ASSERT_TRUE(server->wait_ready());
  api_client admin = login(port, "owner@toko.id", "rahasia-toko-123");

  auto p = admin.post("/api/v1/products",
                      R"({"sku":"KOPI-250","name":"Kopi Gayo 250g","price":45000,"cost":30000,)"
                      R"("cross_sell":"Coba juga Gula Aren 500g, cocok untuk kopi susu."})");
  ASSERT_EQ(p.status, 201) << p;
  const std::string product_id = p.str("id");
  auto s =
      admin.post("/api/v1/stock/adjust", R"({"sku":"KOPI-250","delta":20,"reason":"received"})");
  ASSERT_EQ(s.status, 200) << s;
  auto rule = admin.post(
      "/api/v1/reminders",
      R"({"name":"Kopi habis","days_after_delivery":14,"product_id":")" + product_id +
          R"(","body":"Halo {customer_name}, {product_name} sudah habis? {recommendation}"})");
  ASSERT_EQ(rule.status, 201) << rule;

  auto o = admin.post(
      "/api/v1/orders",
      R"({"channel":"whatsapp","customer":{"name":"Sari Wulandari","phone":"0812-3456-7890"},)"
      R"("items":[{"sku":"KOPI-250","qty":2}]})");
  ASSERT_EQ(o.status, 201) << o;
  const std::string order_id = o.str("id");

  // The thank-you: exactly one request to the gateway, to the customer's number.
  ASSERT_TRUE(gw.wait_for_send_requests(1, 30s)) << "no thank-you reached the gateway";
  auto sent = settle(gw, 1500ms);
  ASSERT_EQ(gw.send_requests(), 1u);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, "6281234567890@c.us");
  EXPECT_NE(sent[0].text.find("Sari"), std::string::npos) << sent[0].text;
  EXPECT_TRUE(gw.violations().empty());

  // The message list shows it sent.
  auto msgs = admin.get("/api/v1/messages?customer_id=" + o.str("customer_id"));
  ASSERT_EQ(msgs.status, 200) << msgs;
  ASSERT_EQ(msgs.items().size(), 1u) << msgs;
  EXPECT_EQ(msgs.items()[0].as_object().at("status").as_string(), "sent") << msgs;

  // Delivered, then 15 days pass: exactly one reminder with the cross-sell text.
  auto d = admin.post("/api/v1/orders/" + order_id + "/status", R"({"status":"delivered"})");
  ASSERT_EQ(d.status, 200) << d;
  auto early = admin.post("/api/v1/test/clock", R"({"advance_seconds":86400})");
  ASSERT_EQ(early.status, 200) << early;
  EXPECT_EQ(settle(gw, 1500ms).size(), 1u) << "a reminder went out before its day";
  auto later = admin.post("/api/v1/test/clock", R"({"advance_seconds":1209600})");
  ASSERT_EQ(later.status, 200) << later;
  ASSERT_TRUE(gw.wait_for_send_requests(2, 30s)) << "no reminder reached the gateway";
  sent = settle(gw, 1500ms);
  ASSERT_EQ(gw.send_requests(), 2u);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_NE(sent[1].text.find("Gula Aren 500g"), std::string::npos) << sent[1].text;
  EXPECT_NE(sent[1].text.find("Kopi Gayo 250g"), std::string::npos) << sent[1].text;

  // More time passes: nothing more. A restart and more time: nothing more.
  ASSERT_EQ(admin.post("/api/v1/test/clock", R"({"advance_seconds":2592000})").status, 200);
  EXPECT_EQ(settle(gw, 1500ms).size(), 2u);
  ASSERT_EQ(server->stop(), 0);
  server = std::make_unique<server_process>(dir_.path().string(), port, env);
  ASSERT_TRUE(server->wait_ready());
  api_client again = login(port, "owner@toko.id", "rahasia-toko-123");
  ASSERT_EQ(again.post("/api/v1/test/clock", R"({"advance_seconds":86400})").status, 200);
  EXPECT_EQ(settle(gw, 3s).size(), 2u);
  EXPECT_EQ(gw.send_requests(), 2u);

  // The ops replay (through the running server's admin socket) re-evaluates every rule from
  // the start of the log: nothing new reaches the gateway.
  auto replay = run_roms({"rules", "replay", "--data", dir_.path().string(), "--from", "0"});
  ASSERT_EQ(replay.code, 0) << replay.out;
  EXPECT_NE(replay.out.find("running server"), std::string::npos) << replay.out;
  ASSERT_EQ(again.post("/api/v1/test/clock", R"({"advance_seconds":60})").status, 200);
  EXPECT_EQ(settle(gw, 3s).size(), 2u);
  auto status = run_roms({"rules", "status", "--data", dir_.path().string()});
  ASSERT_EQ(status.code, 0) << status.out;
  EXPECT_NE(status.out.find("\"duplicates\""), std::string::npos) << status.out;
  EXPECT_EQ(gw.send_requests(), 2u);

  // The dashboard reports the channel the outbox talks to. (The session from before the
  // clock moved 47 days has expired: log in again.)
  auto dash = login(port, "owner@toko.id", "rahasia-toko-123").get("/api/v1/dashboard/today");
  ASSERT_EQ(dash.status, 200) << dash;
  EXPECT_EQ(dash.at("whatsapp").as_object().at("gateway").as_string(), "waha");
  EXPECT_EQ(dash.at("whatsapp").as_object().at("status").as_string(), "connected") << dash;
  EXPECT_EQ(server->stop(), 0);
}

TEST_F(ServeEndToEnd, WithWhatsAppOffMessagesWaitQueued) {
  const uint16_t port = free_port();
  server_process server(dir_.path().string(), port, {});
  ASSERT_TRUE(server.wait_ready());
  api_client admin = login(port, "owner@toko.id", "rahasia-toko-123");
  ASSERT_EQ(admin.post("/api/v1/products", R"({"sku":"TEH-1","name":"Teh","price":15000})").status,
            201);
  ASSERT_EQ(
      admin.post("/api/v1/stock/adjust", R"({"sku":"TEH-1","delta":5,"reason":"received"})").status,
      200);
  auto o = admin.post(
      "/api/v1/orders",
      R"({"customer":{"name":"Budi","phone":"081311112222"},"items":[{"sku":"TEH-1","qty":1}]})");
  ASSERT_EQ(o.status, 201) << o;
  // The thank-you is queued by the rules and stays queued.
  api_reply list;
  for (int i = 0; i < 100; ++i) {
    list = admin.get("/api/v1/messages");
    if (list.status == 200 && !list.items().empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(list.status, 200) << list;
  ASSERT_EQ(list.items().size(), 1u) << list;
  EXPECT_EQ(list.items()[0].as_object().at("status").as_string(), "queued") << list;
  auto dash = admin.get("/api/v1/dashboard/today");
  ASSERT_EQ(dash.status, 200) << dash;
  EXPECT_EQ(dash.at("whatsapp").as_object().at("status").as_string(), "disconnected");
  EXPECT_EQ(server.stop(), 0);

  // Offline, the rules' state is read and reset from the data dir.
  auto st = run_roms({"rules", "status", "--data", dir_.path().string()});
  ASSERT_EQ(st.code, 0);
  EXPECT_NE(st.out.find("(not running)"), std::string::npos) << st.out;
  EXPECT_EQ(st.out.find("position 0 "), std::string::npos) << st.out;
  ASSERT_EQ(run_roms({"rules", "replay", "--data", dir_.path().string(), "--from", "0"}).code, 0);
  st = run_roms({"rules", "status", "--data", dir_.path().string()});
  EXPECT_NE(st.out.find("position 0 "), std::string::npos) << st.out;
  EXPECT_NE(run_roms({"rules", "replay", "--data", dir_.path().string(), "--from", "x"}).code, 0);

  // An offline rebuild with the smallest bulk budget gives the same read models; a budget of
  // 0 is refused before anything runs.
  const std::string data = dir_.path().string();
  auto before = run_roms({"projections", "digest", "--data", data});
  ASSERT_EQ(before.code, 0);
  ASSERT_NE(before.out.find("orders "), std::string::npos) << before.out;
  EXPECT_NE(run_roms({"projections", "rebuild", "--data", data, "--memory-mb", "0"}).code, 0);
  auto big = run_roms({"serve", "--data", data, "--fold-cache-mb", "5000"}, "", true);
  EXPECT_NE(big.code, 0);
  EXPECT_NE(big.out.find("--fold-cache-mb"), std::string::npos) << big.out;
  EXPECT_NE(big.out.find("not in range"), std::string::npos) << big.out;
  ASSERT_EQ(run_roms({"projections", "rebuild", "--data", data, "--memory-mb", "1"}).code, 0);
  EXPECT_EQ(run_roms({"projections", "digest", "--data", data}).out, before.out);
}

}  // namespace
}  // namespace roms::testing
