// The HTTP/1.1 server: a plain C++ request/response interface over Boost.Beast. No Boost
// type appears here; Beast and Asio live in http/server.cc only (BUILD-NOTES.md).
//
//   roms::http::server srv({.listen = "127.0.0.1:0"});
//   auto started = srv.start([](roms::http::request&& req, roms::http::responder out) {
//     out.respond({.body = R"({"ok":true})"});          // now, or later from any thread
//   });
//   if (!started) { ... started.error().message ... }
//   ... srv.port() ...
//   srv.stop();                                            // graceful
//
// Contract for handlers:
// - A handler runs on an I/O thread: it must not block. Work that waits (a projection
//   catching up, a log append) keeps the `responder` and answers later from any thread.
// - Each request is answered exactly once: `respond()` or `start_stream()`. Later calls are
//   ignored. A responder whose last copy is dropped unanswered answers 500.
// - One request at a time per connection: the next request on a keep-alive (or pipelined)
//   connection is read only after the previous answer was written, so answers keep order.
// - Exceptions thrown by a handler are caught and answered 500; none cross this interface.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace roms::metrics {
class registry;
}

namespace roms::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
  std::string method;  // as sent, upper case for standard methods ("GET")
  std::string target;  // as sent: "/api/v1/orders?limit=10"
  std::string path;    // percent-decoded path without the query: "/api/v1/orders"
  // Query parameters, decoded ('+' is a space), in order; a key may repeat.
  std::vector<std::pair<std::string, std::string>> query;
  header_list headers;  // as received, in order, names as sent
  std::string body;
  std::string remote_address;  // "127.0.0.1", "::1"
  bool remote_is_loopback = false;
  unsigned version = 11;  // 10 or 11

  // The first header named `name` (ASCII case-insensitive), or "" when absent.
  std::string_view header(std::string_view name) const;
  // Whether a header named `name` is present (a present header may be empty).
  bool has_header(std::string_view name) const;
  // The first query parameter named `name` (exact match), or "" when absent.
  std::string_view query_param(std::string_view name) const;
  bool has_query_param(std::string_view name) const;
};

struct response {
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type header
  header_list headers;  // extra headers; CR/LF are stripped. Content-Length is the server's.
  std::string body;
};

// The writing end of a streamed answer (Server-Sent Events, a long log tail). Thread-safe.
class stream_writer {
 public:
  virtual ~stream_writer() = default;
  // Queues `chunk` to be sent. False once the stream is closed: by close(), because the
  // client went away, because the server is stopping, or because the client reads too slowly
  // (more than options::stream_buffer_limit bytes queued). A false return is final.
  virtual bool write(std::string chunk) = 0;
  // Sends what is queued, ends the answer (last chunk) and closes the connection (a
  // streamed answer is always the last one on its connection). Idempotent. Dropping the
  // last reference to the writer closes it too.
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  // `f` runs once when the stream ends for any reason (on an I/O thread: do not block there).
  // If the stream has already ended, `f` runs now on the calling thread.
  virtual void on_close(std::function<void()> f) = 0;
};

// The answering end of one request. Cheap to copy (a shared handle); call from any thread.
class responder {
 public:
  struct state;  // defined in server.cc
  explicit responder(std::shared_ptr<state> s) : state_(std::move(s)) {}

  // Sends `r` (Content-Length set by the server). Only the first answer counts.
  void respond(response r) const;
  void operator()(response r) const { respond(std::move(r)); }

  // Starts a streamed answer: `head`'s status, content type and headers are sent now with
  // chunked transfer encoding (no Content-Length); a non-empty `head.body` is the first
  // chunk. Returns nullptr if the request was already answered. HTTP/1.0 clients get the
  // raw body and the connection closes at the end.
  std::shared_ptr<stream_writer> start_stream(response head) const;

  // Whether an answer was already given.
  bool answered() const;

  // Runs `f` on the I/O thread of this request's connection, where handlers run: work that
  // ends in respond() (a read and a render) then needs no thread of its own, and its answer
  // no second hand-off. Call it before answering, from one thread. False, and `f` dropped,
  // if the request was answered already or the server is stopping.
  bool run_on_io(std::function<void()> f) const;

 private:
  std::shared_ptr<state> state_;
};

using handler = std::function<void(request&&, responder)>;

class server {
 public:
  struct options {
    // "HOST:PORT", "[IPv6]:PORT"; HOST may be a name ("localhost"). Port 0 picks a free one.
    // Default: "127.0.0.1:8080".
    std::string listen = "127.0.0.1:8080";
    // Threads running the I/O loop. On 2 cores, 1 is fastest (BUILD-NOTES.md). Default: 1.
    int io_threads = 1;
    // Largest request body; larger answers 413 and closes the connection. Default: 1 MiB.
    std::uint64_t body_limit = 1 << 20;
    // Largest request line + headers; larger answers 431. Default: 16 KiB.
    std::uint32_t header_limit = 16 << 10;
    // Time to receive a whole request once its first byte arrived, and for the first
    // request of a new connection. Expiry closes the connection. Default: 30 s.
    std::chrono::milliseconds read_timeout{30'000};
    // Time to write an answer (or one queued part of a stream). Default: 30 s.
    std::chrono::milliseconds write_timeout{30'000};
    // Time a keep-alive connection may sit idle between requests. Default: 60 s.
    std::chrono::milliseconds idle_timeout{60'000};
    // Open connections beyond this are answered 503 and closed. Default: 10000.
    std::size_t max_connections = 10'000;
    // Bytes a stream may have queued for a slow client before it is cut. Default: 1 MiB.
    std::size_t stream_buffer_limit = 1 << 20;
    // stop(): how long in-flight requests may take before connections are closed anyway.
    // Default: 5 s.
    std::chrono::milliseconds stop_timeout{5'000};
    // If set, the server registers roms_http_* metrics here (requests by status, latency,
    // open connections). The registry must outlive the server. Default: none.
    metrics::registry* metrics = nullptr;
  };

  server();
  explicit server(options o);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds (SO_REUSEADDR), listens and starts the I/O threads. Once per server object.
  // Errors: invalid_argument (bad `listen`, started twice), or the system error of bind.
  result_msg<void> start(handler h);

  // Graceful stop: stops accepting, closes idle connections, lets in-flight requests
  // finish (their connections close after the answer) and ends open streams, waiting up to
  // options::stop_timeout; then closes whatever is left and joins the I/O threads.
  // Answers given after stop() returns are dropped. Must not be called from a handler.
  // Idempotent.
  void stop();

  // The bound port (useful with port 0); 0 before start().
  std::uint16_t port() const;
  const options& config() const { return options_; }

  struct impl;  // defined in server.cc

 private:
  options options_;
  std::shared_ptr<impl> impl_;
};

}  // namespace roms::http
