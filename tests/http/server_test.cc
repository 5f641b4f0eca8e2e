// The HTTP server against real sockets on loopback (port 0), with a strict blocking client.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "core/errc.h"
#include "core/metrics.h"
#include "http/errors.h"
#include "http/router.h"
#include "tests/http/http_client.h"

namespace roms::http {
namespace {

using namespace std::chrono_literals;
using roms::testing::http_conn;
using roms::testing::http_get;
using roms::testing::http_request;
using steady = std::chrono::steady_clock;

server::options test_options() {
  server::options o;
  o.listen = "127.0.0.1:0";
  return o;
}

// Answers "METHOD PATH BODY" at once.
void echo(request&& req, responder out) {
  response r;
  r.content_type = "text/plain";
  r.body = req.method + " " + req.path + (req.body.empty() ? "" : " " + req.body);
  out.respond(std::move(r));
}

// Threads a test starts to answer later; joined at the end of the test.
struct answer_threads {
  ~answer_threads() {
    for (auto& t : threads) t.join();
  }
  void run(std::function<void()> f) {
    std::lock_guard lock(mu);
    threads.emplace_back(std::move(f));
  }
  std::mutex mu;
  std::vector<std::thread> threads;
};

TEST(HttpServer, StartsOnAnEphemeralPortAndAnswers) {
  server srv(test_options());
  ASSERT_TRUE(srv.start(echo));
  ASSERT_NE(srv.port(), 0);
  http_conn c(srv.port());
  c.send(http_get("/hello"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /hello");
  EXPECT_EQ(r->header("Content-Type"), "text/plain");
  EXPECT_EQ(r->header("Content-Length"), "10");
  EXPECT_FALSE(r->has_header("Server"));
  EXPECT_TRUE(r->has_header("Date"));
}

TEST(HttpServer, RejectsABadListenAddressAndABusyPort) {
  server::options o;
  o.listen = "no-port";
  server bad(o);
  auto r = bad.start(echo);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::invalid_argument));

  server first(test_options());
  ASSERT_TRUE(first.start(echo));
  o.listen = "127.0.0.1:" + std::to_string(first.port());
  server second(o);
  auto busy = second.start(echo);
  ASSERT_FALSE(busy);
  EXPECT_NE(busy.error().message.find("listen on"), std::string::npos);
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  server srv(test_options());
  ASSERT_TRUE(srv.start(echo));
  http_conn c(srv.port());
  for (int i = 0; i < 5; ++i) {
    c.send(http_request("POST", "/n/" + std::to_string(i), "body" + std::to_string(i)));
    auto r = c.read_reply();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST /n/" + std::to_string(i) + " body" + std::to_string(i));
    EXPECT_NE(r->header("Connection"), "close");
  }
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow) {
  answer_threads later;
  server srv(test_options());
  ASSERT_TRUE(srv.start([&](request&& req, responder out) {
    if (req.path == "/1") {
      later.run([out, path = req.path] {
        std::this_thread::sleep_for(150ms);
        out.respond({.body = path});
      });
      return;
    }
    out.respond({.body = req.path});
  }));
  http_conn c(srv.port());
  c.send(http_get("/1") + http_get("/2") + http_get("/3"));
  for (const char* want : {"/1", "/2", "/3"}) {
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, want);
  }
}

TEST(HttpServer, TooLargeBodyAnswers413InTheErrorFormat) {
  auto o = test_options();
  o.body_limit = 1024;
  server srv(o);
  ASSERT_TRUE(srv.start(echo));

  http_conn c(srv.port());
  c.send(http_request("POST", "/upload", std::string(4096, 'x')));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_EQ(
      r->body,
      R"({"error":{"code":"too_large","message":"request body exceeds 1024 bytes","details":{}}})");
  EXPECT_TRUE(c.closed_by_peer(2s));

  // A chunked body that grows past the limit is cut the same way.
  http_conn c2(srv.port());
  c2.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string chunk(600, 'y');
  c2.send("258\r\n" + chunk + "\r\n" + "258\r\n" + chunk + "\r\n");
  auto r2 = c2.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 413);

  // A body at the limit is fine.
  http_conn c3(srv.port());
  c3.send(http_request("POST", "/upload", std::string(1024, 'z')));
  auto r3 = c3.read_reply();
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status, 200);
}

TEST(HttpServer, TooLargeHeadersAnswer431) {
  auto o = test_options();
  o.header_limit = 1024;
  server srv(o);
  ASSERT_TRUE(srv.start(echo));
  http_conn c(srv.port());
  c.send(http_get("/", "X-Big: " + std::string(2000, 'a') + "\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_NE(r->body.find(R"("code":"too_large")"), std::string::npos);
}

TEST(HttpServer, GarbageAnswers400AndCloses) {
  server srv(test_options());
  ASSERT_TRUE(srv.start(echo));
  http_conn c(srv.port());
  c.send("THIS IS NOT HTTP\r\n\r\n");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(
      r->body.find(R"({"error":{"code":"malformed_request","message":"malformed HTTP request)"),
      std::string::npos)
      << r->body;
  EXPECT_TRUE(c.closed_by_peer(2s));

  http_conn c2(srv.port());  // an invalid request target
  c2.send("GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r2 = c2.read_reply();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 400);
}

TEST(HttpServer, RequestCarriesDecodedQueryHeadersAndPeer) {
  std::promise<request> got;
  server srv(test_options());
  ASSERT_TRUE(srv.start([&](request&& req, responder out) {
    got.set_value(req);
    out.respond({});
  }));
  http_conn c(srv.port());
  c.send(http_get("/api/v1/orders%20x?status=pending&q=budi+santoso&q2=a%26b&flag",
                  "X-Api-Key: k1\r\n"));
  ASSERT_TRUE(c.read_reply());
  auto req = got.get_future().get();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/api/v1/orders%20x?status=pending&q=budi+santoso&q2=a%26b&flag");
  EXPECT_EQ(req.path, "/api/v1/orders x");
  EXPECT_EQ(req.query_param("status"), "pending");
  EXPECT_EQ(req.query_param("q"), "budi santoso");
  EXPECT_EQ(req.query_param("q2"), "a&b");
  EXPECT_TRUE(req.has_query_param("flag"));
  EXPECT_FALSE(req.has_query_param("nope"));
  EXPECT_EQ(req.header("x-api-key"), "k1");
  EXPECT_EQ(req.header("HOST"), "test");
  EXPECT_EQ(req.remote_address, "127.0.0.1");
  EXPECT_TRUE(req.remote_is_loopback);
  EXPECT_EQ(req.version, 11u);
}

TEST(HttpServer, RouterAnswers404And405AsJson) {
  router rt;
  rt.add("GET", "/api/v1/orders/{id}", [](request&&, path_params&& p, responder out) {
    out.respond({.body = "{\"id\":\"" + std::string(p["id"]) + "\"}"});
  });
  rt.add("POST", "/api/v1/orders", [](request&&, path_params&&, responder out) {
    out.respond({.status = 201, .body = "{}"});
  });
  server srv(test_options());
  ASSERT_TRUE(srv.start(rt.as_handler()));
  http_conn c(srv.port());

  c.send(http_get("/api/v1/orders/ord%2F7"));
  auto found = c.read_reply();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, 200);
  EXPECT_EQ(found->body, R"({"id":"ord/7"})");

  c.send(http_get("/api/v1/nope"));
  auto missing = c.read_reply();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(
      missing->body,
      R"({"error":{"code":"not_found","message":"no route for GET /api/v1/nope","details":{}}})");

  c.send(http_request("DELETE", "/api/v1/orders/1", ""));
  auto wrong = c.read_reply();
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->header("Allow"), "GET, HEAD");
  EXPECT_NE(wrong->body.find(R"("code":"method_not_allowed")"), std::string::npos);

  c.send(http_get("/api/v1/orders"));
  auto wrong2 = c.read_reply();
  ASSERT_TRUE(wrong2);
  EXPECT_EQ(wrong2->status, 405);
  EXPECT_EQ(wrong2->header("Allow"), "POST");
}

TEST(HttpServer, DelayedResponderAnsweredFromAnotherThread) {
  answer_threads later;
  server srv(test_options());
  ASSERT_TRUE(srv.start([&](request&& req, responder out) {
    later.run([out, body = req.body] {
      std::this_thread::sleep_for(100ms);
      out.respond({.status = 201, .headers = {{"X-Roms-Position", "42"}}, .body = body});
      out.respond({.status = 500});  // a second answer is ignored
    });
  }));
  http_conn c(srv.port());
  for (int i = 0; i < 2; ++i) {
    c.send(http_request("POST", "/api/v1/orders", R"({"n":1})"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201);
    EXPECT_EQ(r->header("X-Roms-Position"), "42");
    EXPECT_EQ(r->body, R"({"n":1})");
  }
}

// run_on_io: work handed back from another thread runs on the thread that ran the handler
// (the connection's I/O thread), and answers from there; once answered, it is refused.
TEST(HttpServer, RunOnIoRunsOnTheHandlersThreadUntilAnswered) {
  answer_threads later;
  std::mutex mu;
  std::thread::id handler_thread, task_thread, other_thread;
  bool refused_after_answer = false;
  server srv(test_options());
  ASSERT_TRUE(srv.start([&](request&&, responder out) {
    {
      std::lock_guard lk(mu);
      handler_thread = std::this_thread::get_id();
    }
    later.run([&, out] {
      {
        std::lock_guard lk(mu);
        other_thread = std::this_thread::get_id();
      }
      bool posted = out.run_on_io([&, out] {
        {
          std::lock_guard lk(mu);
          task_thread = std::this_thread::get_id();
        }
        out.respond({.status = 201, .body = "rendered"});
        bool again = out.run_on_io([] {});
        std::lock_guard lk(mu);
        refused_after_answer = !again;
      });
      EXPECT_TRUE(posted);
    });
  }));
  http_conn c(srv.port());
  c.send(http_request("POST", "/api/v1/orders", "{}"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "rendered");
  std::lock_guard lk(mu);
  EXPECT_EQ(task_thread, handler_thread);
  EXPECT_NE(task_thread, other_thread);
  EXPECT_TRUE(refused_after_answer);
}

TEST(HttpServer, DroppedResponderAndThrowingHandlerAnswer500) {
  server srv(test_options());
  ASSERT_TRUE(srv.start([](request&& req, responder) {
    if (req.path == "/throw") throw std::runtime_error("boom");
    // "/drop": the responder is dropped unanswered
  }));
  http_conn c(srv.port());
  c.send(http_get("/drop"));
  auto dropped = c.read_reply();
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->status, 500);
  EXPECT_NE(dropped->body.find(R"("code":"internal")"), std::string::npos);
  c.send(http_get("/throw"));
  auto thrown = c.read_reply();
  ASSERT_TRUE(thrown);
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->body.find("boom"), std::string::npos);  // no internals leak
}

TEST(HttpServer, ServerSentEventsStreamChunks) {
  std::promise<std::shared_ptr<stream_writer>> got;
  std::promise<void> closed;
  server srv(test_options());
  ASSERT_TRUE(srv.start([&](request&&, responder out) {
    auto w = out.start_stream({.content_type = "text/event-stream",
                               .headers = {{"Cache-Control", "no-cache"}},
                               .body = ": hello\n\n"});
    EXPECT_FALSE(out.start_stream({}));  // only one answer
    w->on_close([&] { closed.set_value(); });
    got.set_value(w);
  }));
  http_conn c(srv.port());
  c.send(http_get("/api/v1/stream"));
  auto head = c.read_reply_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Type"), "text/event-stream");
  EXPECT_EQ(head->header("Cache-Control"), "no-cache");
  EXPECT_EQ(head->header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(head->has_header("Content-Length"));
  EXPECT_EQ(c.read_chunk(), ": hello\n\n");

  auto w = got.get_future().get();
  for (int i = 0; i < 3; ++i) {
    std::string ev = "event: order.placed\ndata: {\"n\":" + std::to_string(i) + "}\n\n";
    ASSERT_TRUE(w->write(ev));
    EXPECT_EQ(c.read_chunk(), ev);
  }
  EXPECT_TRUE(w->write(""));  // an empty write is a no-op, not the end
  w->close();
  EXPECT_FALSE(w->write("late"));
  EXPECT_FALSE(w->is_open());
  EXPECT_EQ(c.read_chunk(), "");  // the last chunk
  EXPECT_EQ(closed.get_future().wait_for(2s), std::future_status::ready);
  EXPECT_TRUE(c.closed_by_peer(2s));
}

TEST(HttpServer, StreamNoticesAClientThatWentAway) {
  std::promise<std::shared_ptr<stream_writer>> got;
  std::promise<void> closed;
  server srv(test_options());
  ASSERT_TRUE(srv.start([&](request&&, responder out) {
    auto w = out.start_stream({.content_type = "text/event-stream"});
    w->on_close([&] { closed.set_value(); });
    got.set_value(std::move(w));
  }));
  auto w = [&] {
    http_conn c(srv.port());
    c.send(http_get("/api/v1/stream"));
    EXPECT_TRUE(c.read_reply_head());
    return got.get_future().get();
  }();  // the client closes here, with nothing written since the head
  ASSERT_EQ(closed.get_future().wait_for(2s), std::future_status::ready);
  EXPECT_FALSE(w->write("data: x\n\n"));
  EXPECT_FALSE(w->is_open());
  bool late_ran = false;
  w->on_close([&] { late_ran = true; });  // already over: runs now
  EXPECT_TRUE(late_ran);
}

TEST(HttpServer, DroppingTheStreamWriterEndsTheStream) {
  server srv(test_options());
  ASSERT_TRUE(srv.start([&](request&&, responder out) {
    auto w = out.start_stream({.content_type = "text/plain"});
    w->write("one");
  }));  // w dropped at the end of the handler
  http_conn c(srv.port());
  c.send(http_get("/s"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "one");
}

TEST(HttpServer, GracefulStopLetsAnInFlightRequestFinish) {
  std::promise<responder> got;
  auto o = test_options();
  server srv(o);
  ASSERT_TRUE(srv.start([&](request&&, responder out) { got.set_value(out); }));
  uint16_t port = srv.port();

  http_conn busy(port);
  busy.send(http_get("/x"));
  auto out = got.get_future().get();

  std::optional<roms::testing::http_reply> reply;
  std::thread client([&] {
    std::this_thread::sleep_for(20ms);  // let stop() begin
    reply = busy.read_reply();
  });
  std::thread answer([out] {
    std::this_thread::sleep_for(300ms);
    out.respond({.body = "done"});
  });
  auto t0 = steady::now();
  srv.stop();
  auto took = steady::now() - t0;
  answer.join();
  client.join();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "done");
  EXPECT_EQ(reply->header("Connection"), "close");
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_THROW(http_conn{port}, std::runtime_error);  // no longer listening
  srv.stop();                                         // idempotent
}

TEST(HttpServer, StopClosesIdleConnectionsAndEndsStreamsPromptly) {
  std::promise<std::shared_ptr<stream_writer>> got;
  server srv(test_options());
  ASSERT_TRUE(srv.start([&](request&& req, responder out) {
    if (req.path == "/stream") {
      got.set_value(out.start_stream({.content_type = "text/event-stream"}));
      return;
    }
    echo(std::move(req), std::move(out));
  }));
  http_conn idle(srv.port());
  idle.send(http_get("/a"));
  ASSERT_TRUE(idle.read_reply());
  http_conn streaming(srv.port());
  streaming.send(http_get("/stream"));
  ASSERT_TRUE(streaming.read_reply_head());
  auto w = got.get_future().get();

  auto t0 = steady::now();
  std::thread reader([&] {
    EXPECT_EQ(streaming.read_chunk(), "");  // the stream ends properly
    EXPECT_TRUE(streaming.closed_by_peer(2s));
  });
  srv.stop();
  reader.join();
  EXPECT_LT(steady::now() - t0, 2s);
  EXPECT_TRUE(idle.closed_by_peer(1s));
  EXPECT_FALSE(w->write("after stop"));
}

TEST(HttpServer, StopGivesUpOnAHandlerThatNeverAnswers) {
  std::promise<responder> got;
  auto o = test_options();
  o.stop_timeout = 200ms;
  server srv(o);
  ASSERT_TRUE(srv.start([&](request&&, responder out) { got.set_value(out); }));
  http_conn c(srv.port());
  c.send(http_get("/never"));
  auto out = got.get_future().get();
  auto t0 = steady::now();
  srv.stop();
  EXPECT_LT(steady::now() - t0, 2s);
  EXPECT_TRUE(c.closed_by_peer(1s));
  out.respond({.body = "too late"});  // dropped, harmlessly
}

TEST(HttpServer, ResponderOutlivingTheServerIsHarmless) {
  std::promise<responder> got;
  std::unique_ptr<responder> kept;
  {
    auto o = test_options();
    o.stop_timeout = 100ms;
    server srv(o);
    ASSERT_TRUE(srv.start([&](request&&, responder out) { got.set_value(out); }));
    http_conn c(srv.port());
    c.send(http_get("/x"));
    kept = std::make_unique<responder>(got.get_future().get());
  }  // server destroyed while a responder is alive
  kept->respond({.body = "nobody listens"});
  kept.reset();
}

TEST(HttpServer, ConcurrentClients) {
  auto o = test_options();
  o.io_threads = 2;
  answer_threads later;
  server srv(o);
  ASSERT_TRUE(srv.start([&](request&& req, responder out) {
    if (req.query_param("later") == "1") {
      later.run([out, p = req.path] { out.respond({.body = p}); });
      return;
    }
    out.respond({.body = req.path});
  }));
  constexpr int kClients = 8, kRequests = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      http_conn c(srv.port());
      for (int k = 0; k < kRequests; ++k) {
        std::string path = "/c" + std::to_string(i) + "/" + std::to_string(k);
        c.send(http_get(path + (k % 3 == 0 ? "?later=1" : "")));
        auto r = c.read_reply();
        if (r && r->status == 200 && r->body == path) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST(HttpServer, ReadTimeoutClosesASlowRequest) {
  auto o = test_options();
  o.read_timeout = 200ms;
  server srv(o);
  ASSERT_TRUE(srv.start(echo));
  http_conn c(srv.port());
  c.send("GET / HTTP/1.1\r\nHost: t\r\n");  // never finished
  auto t0 = steady::now();
  EXPECT_TRUE(c.closed_by_peer(3s));
  EXPECT_GE(steady::now() - t0, 150ms);
}

TEST(HttpServer, IdleTimeoutClosesAKeepAliveConnection) {
  auto o = test_options();
  o.idle_timeout = 200ms;
  server srv(o);
  ASSERT_TRUE(srv.start(echo));
  http_conn c(srv.port());
  c.send(http_get("/a"));
  ASSERT_TRUE(c.read_reply());
  EXPECT_FALSE(c.closed_by_peer(50ms));
  EXPECT_TRUE(c.closed_by_peer(3s));
}

TEST(HttpServer, ConnectionCloseAndHttp10) {
  server srv(test_options());
  ASSERT_TRUE(srv.start(echo));
  http_conn c(srv.port());
  c.send(http_get("/a", "Connection: close\r\n"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer(2s));

  http_conn old(srv.port());
  old.send("GET /old HTTP/1.0\r\n\r\n");
  auto r10 = old.read_reply();
  ASSERT_TRUE(r10);
  EXPECT_EQ(r10->body, "GET /old");
  EXPECT_TRUE(old.closed_by_peer(2s));

  http_conn keep(srv.port());  // HTTP/1.0 with keep-alive stays open
  keep.send("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto rk = keep.read_reply();
  ASSERT_TRUE(rk);
  EXPECT_EQ(rk->header("Connection"), "keep-alive");
  keep.send("GET /k2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto rk2 = keep.read_reply();
  ASSERT_TRUE(rk2);
  EXPECT_EQ(rk2->body, "GET /k2");
}

TEST(HttpServer, HandlerMayCloseTheConnection) {
  server srv(test_options());
  ASSERT_TRUE(srv.start([](request&&, responder out) {
    out.respond({.headers = {{"Connection", "close"}}, .body = "bye"});
  }));
  http_conn c(srv.port());
  c.send(http_get("/"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer(2s));
}

TEST(HttpServer, HeadAnswersHeadersOnly) {
  server srv(test_options());
  ASSERT_TRUE(srv.start(echo));
  http_conn c(srv.port());
  c.send("HEAD /abc HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.read_reply(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"), "9");  // "HEAD /abc"
  c.send(http_get("/next"));                    // no stray body bytes before the next answer
  auto next = c.read_reply();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "GET /next");
}

TEST(HttpServer, NoContentHasNoBodyOrLength) {
  server srv(test_options());
  ASSERT_TRUE(srv.start([](request&&, responder out) {
    out.respond({.status = 204, .content_type = "", .body = "ignored"});
  }));
  http_conn c(srv.port());
  c.send(http_get("/"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_FALSE(r->has_header("Content-Length"));
  EXPECT_FALSE(r->has_header("Content-Type"));
  c.send(http_get("/"));
  EXPECT_TRUE(c.read_reply());
}

TEST(HttpServer, ExpectContinueIsHonoured) {
  server srv(test_options());
  ASSERT_TRUE(srv.start(echo));
  http_conn c(srv.port());
  c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto cont = c.read_reply_head();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  c.send("hello");
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "POST /up hello");
}

TEST(HttpServer, HeaderValuesCannotInjectHeaders) {
  server srv(test_options());
  ASSERT_TRUE(srv.start([](request&&, responder out) {
    out.respond({.headers = {{"X-Note", "a\r\nInjected: yes"}, {"Bad Name", "x"}}, .body = "{}"});
  }));
  http_conn c(srv.port());
  c.send(http_get("/"));
  auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Note"), "aInjected: yes");
  EXPECT_FALSE(r->has_header("Injected"));
  EXPECT_FALSE(r->has_header("Bad Name"));
}

TEST(HttpServer, ConnectionsBeyondTheLimitGet503) {
  auto o = test_options();
  o.max_connections = 1;
  server srv(o);
  ASSERT_TRUE(srv.start(echo));
  http_conn first(srv.port());
  first.send(http_get("/1"));
  ASSERT_TRUE(first.read_reply());
  http_conn second(srv.port());
  auto r = second.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find(R"("code":"unavailable")"), std::string::npos);
}

TEST(HttpServer, RecordsMetrics) {
  metrics::registry reg;
  auto o = test_options();
  o.metrics = &reg;
  server srv(o);
  ASSERT_TRUE(srv.start([](request&& req, responder out) {
    out.respond({.status = req.path == "/missing" ? 404 : 200});
  }));
  {
    http_conn c(srv.port());
    for (const char* p : {"/a", "/b", "/missing"}) {
      c.send(http_get(p));
      ASSERT_TRUE(c.read_reply());
    }
    EXPECT_NE(reg.render().find("roms_http_open_connections 1\n"), std::string::npos);
  }
  srv.stop();
  auto text = reg.render();
  EXPECT_NE(text.find("roms_http_requests_total{code=\"200\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roms_http_requests_total{code=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("roms_http_request_duration_seconds_count 3\n"), std::string::npos);
}

}  // namespace
}  // namespace roms::http
