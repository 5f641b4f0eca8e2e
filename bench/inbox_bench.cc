// The CS inbox's latency: an inbound WhatsApp message (a signed WAHA webhook) until the agent
// it is assigned to can see it — the conversation.assigned event on the agent's live stream
// (GET /api/v1/stream, which pushes an event only once the read models show it, so a client
// that refetches on it sees the conversation). Open loop at a fixed rate: message i is sent at
// start + i/rate by one of several sender threads, whatever happened to the previous ones.
//
//   build/bench/inbox_bench [--rate 200] [--seconds 20] [--senders 8] [--no-sync]
//
// The whole server path runs in this process: the real embedded log (fsync on unless
// --no-sync), read models, projection runner, inbox runner, HTTP server on loopback, two
// agents ONLINE. Prints a markdown row for docs/benchmarks.md ("CS inbox").
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "consumers/derived_id.h"
#include "consumers/inbox.h"
#include "http/api/internal/hmac.h"
#include "tests/http/api_stack.h"
#include "tests/http/http_client.h"
#include "tests/testing/temp_dir.h"

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
namespace rt = roms::testing;

namespace {

constexpr std::string_view kKey = "bench-waha-key";

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int post(uint16_t port, std::string_view target, const std::string& body,
         const std::string& headers) {
  rt::http_conn c(port, 30s);
  c.send(rt::http_request("POST", target, body, "Content-Type: application/json\r\n" + headers));
  auto r = c.read_reply();
  return r ? r->status : 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rate = 200, seconds = 20, senders = 8;
  bool sync = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rate" && i + 1 < argc)
      rate = std::atoi(argv[++i]);
    else if (a == "--seconds" && i + 1 < argc)
      seconds = std::atoi(argv[++i]);
    else if (a == "--senders" && i + 1 < argc)
      senders = std::atoi(argv[++i]);
    else if (a == "--no-sync")
      sync = false;
    else {
      std::fprintf(stderr,
                   "usage: inbox_bench [--rate N] [--seconds N] [--senders N] [--no-sync]\n");
      return 2;
    }
  }
  rt::temp_dir dir;
  rt::api_stack_options so;
  so.sync = sync;
  so.io_threads = 1;
  rt::api_stack stack(dir.path(), so);
  if (auto r = stack.start(); !r) {
    std::fprintf(stderr, "inbox_bench: %s\n", r.error().message.c_str());
    return 1;
  }
  stack.ctx().cfg.waha_hmac_key = std::string(kKey);
  roms::consumers::inbox_runner_options io;
  io.state_dir = dir.path() / "inbox";
  io.origin_at_zero = true;
  roms::consumers::inbox_runner inbox(stack.log(), io);
  if (auto r = inbox.start(); !r) {
    std::fprintf(stderr, "inbox_bench: %s\n", r.error().message.c_str());
    return 1;
  }
  const uint16_t port = stack.port();
  const std::string cs = "Cookie: roms_session=cs-token\r\nX-CSRF-Token: csrf-cs\r\n";
  const std::string admin = "Cookie: roms_session=admin-token\r\nX-CSRF-Token: csrf-admin\r\n";
  if (post(port, "/api/v1/agents/me/status", R"({"status":"online"})", cs) != 200 ||
      post(port, "/api/v1/agents/me/status", R"({"status":"online"})", admin) != 200) {
    std::fprintf(stderr, "inbox_bench: could not set the agents online\n");
    return 1;
  }

  const int total = rate * seconds;
  std::vector<std::string> conv(total);
  std::vector<clock_type::time_point> sent(total), seen(total);
  std::vector<double> answer_ms(total, -1);
  std::map<std::string, int> by_conv;
  for (int i = 0; i < total; ++i) {
    char gid[64];
    std::snprintf(gid, sizeof gid, "false_62858%08d@c.us_B%d", i, i);
    auto ev = roms::consumers::derived_event_id("message.received:waha:" + std::string(gid));
    conv[i] = roms::consumers::derived_id("cnv", "conversation:" + ev);
    by_conv[conv[i]] = i;
  }

  // The agent's live stream.
  std::atomic<int> got{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::thread sse([&] {
    rt::http_conn c(port, 60s);
    c.send(rt::http_get("/api/v1/stream", "Cookie: roms_session=cs-token\r\n"));
    auto head = c.read_reply_head();
    if (!head || head->status != 200) {
      std::fprintf(stderr, "inbox_bench: no stream\n");
      return;
    }
    const bool chunked = head->header("Transfer-Encoding") == "chunked";
    std::string buf, event;
    while (!stop) {
      std::optional<std::string> data = chunked ? c.read_chunk() : c.read_exact(1);
      if (!data) break;
      buf += *data;
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (line.rfind("event: ", 0) == 0) event = line.substr(7);
        if (line.rfind("data: ", 0) == 0 && event == "conversation.assigned") {
          auto at = line.find("\"stream\":\"");
          if (at == std::string::npos) continue;
          auto id = line.substr(at + 10, line.find('"', at + 10) - at - 10);
          auto now = clock_type::now();
          std::lock_guard lk(mu);
          if (auto it = by_conv.find(id);
              it != by_conv.end() && seen[it->second] == clock_type::time_point{}) {
            seen[it->second] = now;
            ++got;
          }
        }
      }
    }
  });
  std::this_thread::sleep_for(300ms);

  const auto start = clock_type::now() + 100ms;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      for (int i = s; i < total; i += senders) {
        auto at = start + std::chrono::microseconds(static_cast<int64_t>(i) * 1'000'000 / rate);
        std::this_thread::sleep_until(at);
        char body[512];
        std::snprintf(
            body, sizeof body,
            R"({"event":"message","session":"default","engine":"WEBJS","payload":{"id":"false_62858%08d@c.us_B%d","timestamp":%lld,"from":"62858%08d@c.us","fromMe":false,"source":"app","body":"Halo kak, pesanan %d","hasMedia":false,"ack":1,"vCards":[],"_data":{}}})",
            i, i, static_cast<long long>(std::time(nullptr)), i, i);
        std::string b(body);
        auto sig =
            roms::http::api::internal::hex_encode(roms::http::api::internal::hmac_sha512(kKey, b));
        auto t0 = clock_type::now();
        {
          std::lock_guard lk(mu);
          sent[i] = t0;
        }
        int st = post(port, "/webhooks/whatsapp/waha", b, "X-Webhook-Hmac: " + sig + "\r\n");
        answer_ms[i] = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
        if (st != 200) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double send_s = std::chrono::duration<double>(clock_type::now() - start).count();
  auto deadline = clock_type::now() + 30s;
  while (got < total && clock_type::now() < deadline) std::this_thread::sleep_for(10ms);
  stop = true;
  // Unblock the stream reader: one more event.
  post(port, "/api/v1/agents/me/status", R"({"status":"offline"})", admin);
  sse.join();

  std::vector<double> lat;
  {
    std::lock_guard lk(mu);
    for (int i = 0; i < total; ++i)
      if (seen[i] != clock_type::time_point{})
        lat.push_back(std::chrono::duration<double, std::milli>(seen[i] - sent[i]).count());
  }
  std::vector<double> ans;
  for (double a : answer_ms)
    if (a >= 0) ans.push_back(a);
  std::printf(
      "messages %d at %d/s (achieved %.1f/s over %.1f s), %d senders, fsync %s, failed %d, seen "
      "%zu\n",
      total, rate, total / send_s, send_s, senders, sync ? "on" : "off", failed.load(), lat.size());
  std::printf(
      "| inbound → agent's stream (conversation.assigned) | %d/s | %.1f ms | %.1f ms | %.1f ms | "
      "%.1f ms | webhook answer p50 %.1f ms, p99 %.1f ms |\n",
      rate, pct(lat, 50), pct(lat, 90), pct(lat, 99),
      lat.empty() ? 0.0 : *std::max_element(lat.begin(), lat.end()), pct(ans, 50), pct(ans, 99));
  inbox.stop();
  stack.stop();
  return lat.size() == static_cast<size_t>(total) && failed == 0 ? 0 : 1;
}
