// The one translation unit that includes Boost.Beast and Boost.Asio (BUILD-NOTES.md: such a
// TU takes ~11 s to compile; every other file sees http/server.h only).
//
// Shape (after Beast's advanced server, callback style):
// - server::impl owns the io_context, the acceptor, a sweep timer and the registry of live
//   sessions. Sessions hold a shared_ptr to the impl, so the io_context outlives every
//   socket even when a handler keeps a responder after the server object is gone.
// - One session per connection, all of its state touched only on its strand. Phases:
//     idle (waiting for the first byte) -> reading -> handling (the handler has the
//     responder) -> writing -> idle ... | streaming | closing (lingering) | closed
//   The next request is read only after the answer to the previous one was written, so
//   pipelined requests are answered in order.
// - Timeouts: each session publishes a deadline (an atomic); a sweep timer closes sessions
//   past it. The hot path only stores a number.
// - Answers from other threads arrive via try_post(), which refuses once stop() has closed
//   the door, so nothing is queued on an io_context that no thread will run again.
#include "http/server.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/errc.h"
#include "core/metrics.h"
#include "core/thread_name.h"
#include "http/errors.h"
#include "http/internal/text.h"

namespace roms::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int64_t kNever = INT64_MAX;
// After an answer that closes the connection: how long and how much unread input we drain
// before closing, so that the client reads the answer instead of a reset.
constexpr auto kLingerTime = 1000ms;
constexpr size_t kLingerBytes = 1 << 20;
constexpr size_t kReadChunk = 4096;

int64_t now_ns() { return steady::now().time_since_epoch() / 1ns; }

template <class S>
std::string_view sv(const S& s) {
  return {s.data(), s.size()};
}

// RFC 9110 IMF-fixdate, cached per thread per second.
std::string_view http_date() {
  thread_local std::time_t cached = 0;
  thread_local char buf[40];
  thread_local size_t len = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached) {
    std::tm g{};
    ::gmtime_r(&now, &g);
    len = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &g);
    cached = now;
  }
  return {buf, len};
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7F) return false;
    switch (c) {
      case '(':
      case ')':
      case ',':
      case '/':
      case ':':
      case ';':
      case '<':
      case '=':
      case '>':
      case '?':
      case '@':
      case '[':
      case '\\':
      case ']':
      case '{':
      case '}':
      case '"':
        return false;
      default:
        break;
    }
  }
  return true;
}

// Header values from handlers: CR, LF and NUL would let a value inject headers.
std::string clean_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (c != '\r' && c != '\n' && c != '\0') out.push_back(c);
  return out;
}

bool contains_token_ci(std::string_view list, std::string_view token) {
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    auto item = list.substr(i, j - i);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (internal::iequals(item, token)) return true;
    i = j + 1;
  }
  return false;
}

void append_chunk(std::string& out, std::string_view data, bool chunked) {
  if (!chunked) {
    out.append(data);
    return;
  }
  char hex[20];
  int n = std::snprintf(hex, sizeof hex, "%zx\r\n", data.size());
  out.append(hex, static_cast<size_t>(n));
  out.append(data);
  out.append("\r\n");
}

class session;
class stream_channel;

// The session whose handler is running on this thread: an answer given synchronously from
// inside the handler (the common case) is written directly, without a round trip through
// the strand's queue.
thread_local session* tl_in_handler = nullptr;

}  // namespace

// ---------------------------------------------------------------------------------------------
// server::impl

struct server::impl : std::enable_shared_from_this<server::impl> {
  explicit impl(const server::options& o)
      : opts(o),
        ioc(std::max(1, o.io_threads)),
        work(net::make_work_guard(ioc)),
        acceptor(net::make_strand(ioc)),
        accept_retry(acceptor.get_executor()),
        sweep_timer(ioc) {
    auto shortest = std::min({o.read_timeout, o.write_timeout, o.idle_timeout});
    sweep_every = std::clamp<std::chrono::milliseconds>(shortest / 4, 5ms, 1000ms);
  }

  // Posts `f` to `ex` unless stop() has closed the door; false if refused. Lock-free: the
  // `posting` count lets close_posts() wait for posts already past the check.
  template <class F>
  bool try_post(const net::any_io_executor& ex, F&& f) {
    posting.fetch_add(1);
    bool ok = !posts_closed.load();
    if (ok) net::post(ex, std::forward<F>(f));
    posting.fetch_sub(1);
    return ok;
  }
  void close_posts() {
    posts_closed.store(true);
    while (posting.load() != 0) std::this_thread::yield();
  }

  std::vector<std::shared_ptr<session>> live_sessions();
  void unregister(uint64_t id);
  void do_accept();
  void on_accept(error_code ec, tcp::socket s);
  void arm_sweep();
  void on_sweep();
  void count(int status, steady::time_point start);

  server::options opts;
  net::io_context ioc;  // declared first among the Asio members: destroyed after them
  net::executor_work_guard<net::io_context::executor_type> work;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;
  net::steady_timer sweep_timer;
  std::chrono::milliseconds sweep_every{1000};
  handler on_request;
  std::vector<std::thread> threads;
  std::atomic<uint16_t> port{0};
  std::atomic<bool> stopping{false};
  std::atomic<bool> posts_closed{false};
  std::atomic<int> posting{0};

  std::mutex mu;  // guards the fields below
  std::condition_variable cv;
  std::unordered_map<uint64_t, std::weak_ptr<session>> sessions;
  uint64_t next_session_id = 1;
  bool started = false;
  bool stopped = false;
  std::atomic<size_t> open_connections{0};

  metrics::family<metrics::counter>* requests_total = nullptr;
  metrics::histogram* request_seconds = nullptr;
  std::array<std::atomic<metrics::counter*>, 1000> by_status{};
};

// ---------------------------------------------------------------------------------------------
// responder state and streams

struct responder::state {
  state(std::shared_ptr<session> s, uint64_t seq, unsigned version)
      : sess(std::move(s)), seq(seq), version(version) {}
  ~state();
  std::shared_ptr<session> sess;
  uint64_t seq;
  unsigned version;
  std::atomic<bool> used{false};
};

namespace {

// The shared part of a stream: written by the application's threads, drained by the
// session's strand. Holds the session weakly: the session lives while its socket has an
// operation pending, and a writer kept after the client left must not keep it alive.
class stream_channel {
 public:
  stream_channel(std::shared_ptr<server::impl> srv, net::any_io_executor ex,
                 std::weak_ptr<session> s, bool chunked, size_t limit)
      : srv_(std::move(srv)),
        ex_(std::move(ex)),
        sess_(std::move(s)),
        chunked_(chunked),
        limit_(limit) {}

  bool write(std::string chunk);
  void close();
  bool is_open() const {
    std::lock_guard lock(mu_);
    return open_;
  }
  void on_close(std::function<void()> f) {
    {
      std::lock_guard lock(mu_);
      if (!done_) {
        callbacks_.push_back(std::move(f));
        return;
      }
    }
    f();
  }

  // Strand side. Appends the queued bytes to `out`; true if the final chunk was requested
  // (and is now the session's to write).
  bool take(std::string& out) {
    std::lock_guard lock(mu_);
    flush_posted_ = false;
    if (out.empty()) {
      out.swap(pending_);
    } else {
      out.append(pending_);
      pending_.clear();
    }
    if (ending_ && !final_taken_) {
      final_taken_ = true;
      return true;
    }
    return false;
  }
  // The server ends the stream (stop()): no more writes, the final chunk is sent.
  void end_by_server() {
    std::lock_guard lock(mu_);
    open_ = false;
    ending_ = true;
  }
  // The stream is over (sent, or the client is gone): runs the on_close callbacks once.
  void finished() {
    std::vector<std::function<void()>> cbs;
    {
      std::lock_guard lock(mu_);
      open_ = false;
      if (done_) return;
      done_ = true;
      cbs.swap(callbacks_);
    }
    for (auto& f : cbs) {
      try {
        f();
      } catch (...) {
      }
    }
  }

 private:
  void post_flush_locked();
  void post_abort();

  std::shared_ptr<server::impl> srv_;
  net::any_io_executor ex_;
  std::weak_ptr<session> sess_;
  const bool chunked_;
  const size_t limit_;
  mutable std::mutex mu_;
  std::string pending_;
  bool open_ = true;
  bool ending_ = false;
  bool final_taken_ = false;
  bool flush_posted_ = false;
  bool done_ = false;
  std::vector<std::function<void()>> callbacks_;
};

// What the application holds: dropping the last reference ends the stream.
class stream_handle final : public stream_writer {
 public:
  explicit stream_handle(std::shared_ptr<stream_channel> ch) : ch_(std::move(ch)) {}
  ~stream_handle() override { ch_->close(); }
  bool write(std::string chunk) override { return ch_->write(std::move(chunk)); }
  void close() override { ch_->close(); }
  bool is_open() const override { return ch_->is_open(); }
  void on_close(std::function<void()> f) override { ch_->on_close(std::move(f)); }

 private:
  std::shared_ptr<stream_channel> ch_;
};

// ---------------------------------------------------------------------------------------------
// session

class session : public std::enable_shared_from_this<session> {
 public:
  session(std::shared_ptr<server::impl> srv, tcp::socket s, uint64_t id)
      : srv_(std::move(srv)),
        opts_(srv_->opts),
        socket_(std::move(s)),
        ex_(socket_.get_executor()),
        id_(id) {}

  ~session() {
    error_code ec;
    socket_.close(ec);
    srv_->unregister(id_);
  }

  const net::any_io_executor& executor() const { return ex_; }
  int64_t deadline() const { return deadline_.load(std::memory_order_relaxed); }
  server::impl& srv() { return *srv_; }

  void start(bool over_capacity) {
    error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) {
      auto a = ep.address();
      if (a.is_v6() && a.to_v6().is_v4_mapped())
        a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
      remote_ = a.to_string();
      loopback_ = a.is_loopback();
    }
    socket_.set_option(tcp::no_delay(true), ec);
    if (over_capacity) {
      reply_error_and_close(503, "unavailable", "too many open connections");
      return;
    }
    wait_for_request(true);
  }

  // From responder::respond (any thread).
  bool post_response(uint64_t seq, response r) {
    if (tl_in_handler == this) {
      sync_answer_ = std::move(r);
      return true;
    }
    return srv_->try_post(ex_, [self = shared_from_this(), seq, r = std::move(r)]() mutable {
      self->on_response(seq, std::move(r));
    });
  }
  bool post_task(std::function<void()> f) { return srv_->try_post(ex_, std::move(f)); }
  bool post_stream_start(uint64_t seq, response head, std::shared_ptr<stream_channel> ch) {
    return srv_->try_post(ex_, [self = shared_from_this(), seq, head = std::move(head),
                                ch = std::move(ch)]() mutable {
      self->on_stream_start(seq, std::move(head), std::move(ch));
    });
  }

  // --- strand side ---

  void on_stop() {
    switch (phase_) {
      case phase::idle:
        close_now();
        break;
      case phase::closing:
        drain_and_close();
        break;
      case phase::streaming:
        if (stream_) stream_->end_by_server();
        do_stream_write();
        break;
      default:
        break;  // reading / handling / writing: answer, then close (stopping_ forbids keep-alive)
    }
  }

  void on_deadline() {
    if (phase_ == phase::closed || deadline() > now_ns()) return;
    close_now();
  }

  void on_stream_flush() { do_stream_write(); }

  void on_stream_abort() {
    if (phase_ == phase::streaming) abort_stream();
  }

  void close_now() {
    if (phase_ == phase::closed) return;
    phase_ = phase::closed;
    set_deadline_never();
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    if (stream_) {
      auto ch = std::move(stream_);
      ch->finished();
    }
  }

 private:
  enum class phase { idle, reading, handling, writing, streaming, closing, closed };

  void set_deadline(std::chrono::milliseconds d) {
    deadline_.store(now_ns() + d / 1ns, std::memory_order_relaxed);
  }
  void set_deadline_never() { deadline_.store(kNever, std::memory_order_relaxed); }

  // --- reading ---

  void wait_for_request(bool first) {
    if (srv_->stopping.load()) {
      close_now();
      return;
    }
    if (buffer_.size() > 0) {  // a pipelined request is already here
      read_request();
      return;
    }
    phase_ = phase::idle;
    set_deadline(first ? opts_.read_timeout : opts_.idle_timeout);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
      if (ec || self->phase_ != phase::idle) return self->close_now();
      self->read_request();
    });
  }

  void read_request() {
    phase_ = phase::reading;
    set_deadline(opts_.read_timeout);
    parser_.emplace();
    parser_->body_limit(opts_.body_limit);
    parser_->header_limit(opts_.header_limit);
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return on_read_error(ec);
    if (parser_->is_done()) return on_request();
    const auto& req = parser_->get();
    if (req.version() >= 11 && internal::iequals(sv(req[bhttp::field::expect]), "100-continue")) {
      static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(socket_, net::buffer(k100.data(), k100.size()),
                       [self = shared_from_this()](error_code ec, size_t) {
                         if (ec) return self->close_now();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](error_code ec, size_t) {
                        if (ec) return self->on_read_error(ec);
                        self->on_request();
                      });
  }

  void on_read_error(error_code ec) {
    if (phase_ == phase::closed) return;
    if (ec == bhttp::error::body_limit) {
      return reply_error_and_close(
          413, "too_large", "request body exceeds " + std::to_string(opts_.body_limit) + " bytes");
    }
    if (ec == bhttp::error::header_limit) {
      return reply_error_and_close(
          431, "too_large",
          "request headers exceed " + std::to_string(opts_.header_limit) + " bytes");
    }
    // The client went away (cleanly or mid-request), or a timeout closed the socket.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category()) {
      return close_now();
    }
    // Anything else from the parser: the bytes are not HTTP/1.1.
    reply_error_and_close(400, "malformed_request", "malformed HTTP request: " + ec.message());
  }

  // --- handling ---

  void on_request() {
    auto msg = parser_->release();
    parser_.reset();
    ++seq_;
    started_ = steady::now();
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == bhttp::verb::head;
    version_ = msg.version() == 10 ? 10 : 11;
    phase_ = phase::handling;
    set_deadline_never();

    auto url = boost::urls::parse_origin_form(sv(msg.target()));
    if (!url) {
      keep_alive_ = false;
      return write_response(error_response(400, "malformed_request", "malformed request target"));
    }
    request r;
    r.method = std::string(sv(msg.method_string()));
    r.target = std::string(sv(msg.target()));
    r.path = url->path();
    boost::urls::encoding_opts opt;
    opt.space_as_plus = true;
    for (auto p : url->params(opt)) r.query.emplace_back(std::move(p.key), std::move(p.value));
    r.headers.reserve(16);
    for (const auto& f : msg)
      r.headers.emplace_back(std::string(sv(f.name_string())), std::string(sv(f.value())));
    r.body = std::move(msg.body());
    r.remote_address = remote_;
    r.remote_is_loopback = loopback_;
    r.version = version_;

    auto st = std::make_shared<responder::state>(shared_from_this(), seq_, version_);
    tl_in_handler = this;
    try {
      srv_->on_request(std::move(r), responder(st));
    } catch (...) {
      responder(st).respond(error_response(500, "internal", "internal error"));
    }
    tl_in_handler = nullptr;
    if (sync_answer_) {
      response answer = std::move(*sync_answer_);
      sync_answer_.reset();
      write_response(std::move(answer));
    }
  }

  void on_response(uint64_t seq, response r) {
    if (phase_ != phase::handling || seq != seq_) return;  // closed meanwhile, or stale
    write_response(std::move(r));
  }

  // --- writing ---

  void write_response(response r) {
    phase_ = phase::writing;
    status_ = (r.status >= 100 && r.status <= 999) ? r.status : 500;
    bool close = !keep_alive_ || srv_->stopping.load();
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(status_));
    res_.set(bhttp::field::date, http_date());
    if (!r.content_type.empty()) res_.set(bhttp::field::content_type, clean_value(r.content_type));
    for (auto& [name, value] : r.headers) {
      if (!is_token(name) || internal::iequals(name, "content-length") ||
          internal::iequals(name, "transfer-encoding"))
        continue;
      if (internal::iequals(name, "connection")) {
        if (contains_token_ci(value, "close")) close = true;
        continue;
      }
      res_.insert(name, clean_value(value));
    }
    bool no_body = status_ < 200 || status_ == 204 || status_ == 304;
    if (!no_body) {
      res_.content_length(r.body.size());
      if (!head_) res_.body() = std::move(r.body);
    }
    res_.keep_alive(!close);
    close_after_write_ = close;
    set_deadline(opts_.write_timeout);
    bhttp::async_write(socket_, res_,
                       [self = shared_from_this()](error_code ec, size_t) { self->on_write(ec); });
  }

  void on_write(error_code ec) {
    srv_->count(status_, started_);
    res_ = {};
    if (ec) return close_now();
    if (close_after_write_) return linger_close();
    wait_for_request(false);
  }

  void reply_error_and_close(int status, std::string_view code, std::string message) {
    keep_alive_ = false;
    head_ = false;
    if (parser_ && parser_->is_header_done()) version_ = parser_->get().version() == 10 ? 10 : 11;
    parser_.reset();
    ++seq_;
    started_ = steady::now();
    write_response(error_response(status, code, std::move(message)));
  }

  // Half-closes, then drains what the client still sends (up to a limit and a deadline), so
  // that it reads our answer rather than a connection reset.
  void linger_close() {
    phase_ = phase::closing;
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (srv_->stopping.load()) return drain_and_close();
    set_deadline(kLingerTime);
    drained_ = 0;
    if (!discarding_) discard_read();
  }

  // While stopping, no lingering: drop what has already arrived (so that close() sends a
  // FIN, not a reset that could destroy the answer in flight) and close.
  void drain_and_close() {
    error_code ec;
    char sink[kReadChunk];
    for (size_t n = socket_.available(ec); !ec && n > 0; n = socket_.available(ec))
      socket_.read_some(net::buffer(sink, std::min(n, sizeof sink)), ec);
    close_now();
  }

  // Reads and drops input: while lingering, and while streaming (where the read notices a
  // client that went away even if the application has nothing to write).
  void discard_read() {
    discarding_ = true;
    buffer_.consume(buffer_.size());
    socket_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              self->discarding_ = false;
                              if (ec) {
                                if (self->phase_ == phase::streaming) return self->abort_stream();
                                return self->close_now();
                              }
                              self->drained_ += n;
                              if (self->phase_ == phase::closing && self->drained_ > kLingerBytes)
                                return self->close_now();
                              if (self->phase_ == phase::closed) return;
                              self->discard_read();
                            });
  }

  // --- streaming ---

  void on_stream_start(uint64_t seq, response head, std::shared_ptr<stream_channel> ch) {
    if (phase_ != phase::handling || seq != seq_) {
      ch->finished();
      return;
    }
    phase_ = phase::streaming;
    stream_ = std::move(ch);
    status_ = (head.status >= 100 && head.status <= 999) ? head.status : 500;
    bool chunked = version_ >= 11;
    auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status_));
    out_.clear();
    out_ += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out_ += std::to_string(status_);
    out_ += ' ';
    out_ += sv(reason);
    out_ += "\r\nDate: ";
    out_ += http_date();
    out_ += "\r\n";
    if (!head.content_type.empty()) {
      out_ += "Content-Type: ";
      out_ += clean_value(head.content_type);
      out_ += "\r\n";
    }
    for (auto& [name, value] : head.headers) {
      if (!is_token(name) || internal::iequals(name, "content-length") ||
          internal::iequals(name, "transfer-encoding") || internal::iequals(name, "connection"))
        continue;
      out_ += name;
      out_ += ": ";
      out_ += clean_value(value);
      out_ += "\r\n";
    }
    if (chunked) out_ += "Transfer-Encoding: chunked\r\n";
    out_ += "Connection: close\r\n\r\n";
    if (head_) {  // HEAD: the head only
      stream_->end_by_server();
    } else if (!head.body.empty()) {
      append_chunk(out_, head.body, chunked);
    }
    if (srv_->stopping.load()) stream_->end_by_server();
    srv_->count(status_, started_);
    discard_read();
    start_stream_write();
  }

  void do_stream_write() {
    if (phase_ != phase::streaming || writing_ || !stream_) return;
    start_stream_write();
  }

  void start_stream_write() {
    if (stream_->take(out_)) {
      if (version_ >= 11 && !head_) out_ += "0\r\n\r\n";  // the last chunk
      final_queued_ = true;
    }
    if (out_.empty()) {
      if (final_queued_) end_stream();
      return;
    }
    writing_ = true;
    set_deadline(opts_.write_timeout);
    net::async_write(socket_, net::buffer(out_),
                     [self = shared_from_this()](error_code ec, size_t) {
                       self->writing_ = false;
                       self->out_.clear();
                       if (self->phase_ != phase::streaming) return;
                       self->set_deadline_never();
                       if (ec) return self->abort_stream();
                       if (self->final_queued_) return self->end_stream();
                       self->do_stream_write();
                     });
  }

  void end_stream() {
    auto ch = std::move(stream_);
    ch->finished();
    linger_close();
  }

  void abort_stream() {
    auto ch = std::move(stream_);
    if (ch) ch->finished();
    close_now();
  }

  std::shared_ptr<server::impl> srv_;
  const server::options& opts_;
  tcp::socket socket_;
  const net::any_io_executor ex_;
  const uint64_t id_;
  std::atomic<int64_t> deadline_{kNever};

  phase phase_ = phase::idle;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<response> sync_answer_;
  bhttp::response<bhttp::string_body> res_;
  std::string remote_;
  bool loopback_ = false;
  uint64_t seq_ = 0;
  steady::time_point started_;
  unsigned version_ = 11;
  int status_ = 0;
  bool keep_alive_ = true;
  bool head_ = false;
  bool close_after_write_ = false;
  bool discarding_ = false;
  size_t drained_ = 0;
  // streaming
  std::shared_ptr<stream_channel> stream_;
  std::string out_;
  bool writing_ = false;
  bool final_queued_ = false;
};

bool stream_channel::write(std::string chunk) {
  std::unique_lock lock(mu_);
  if (!open_) return false;
  if (chunk.empty()) return true;  // an empty chunk would end a chunked body
  if (pending_.size() + chunk.size() > limit_) {
    open_ = false;  // the client reads too slowly: cut it
    lock.unlock();
    post_abort();
    return false;
  }
  append_chunk(pending_, chunk, chunked_);
  post_flush_locked();
  return open_;
}

void stream_channel::close() {
  std::lock_guard lock(mu_);
  if (!open_) return;
  open_ = false;
  ending_ = true;
  post_flush_locked();
}

void stream_channel::post_flush_locked() {
  if (flush_posted_) return;
  flush_posted_ = true;
  bool ok = srv_->try_post(ex_, [w = sess_] {
    if (auto s = w.lock()) s->on_stream_flush();
  });
  if (!ok) open_ = false;  // the server has stopped
}

void stream_channel::post_abort() {
  srv_->try_post(ex_, [w = sess_] {
    if (auto s = w.lock()) s->on_stream_abort();
  });
}

}  // namespace

// Whoever wins `used` owns `sess` from then on and moves it out: an answered responder no
// longer keeps its connection alive (stop() waits for connections, not for copies of
// responders that the application still holds).
responder::state::~state() {
  if (!used.exchange(true))
    sess->post_response(seq, error_response(500, "internal", "the handler did not answer"));
}

void responder::respond(response r) const {
  if (!state_ || state_->used.exchange(true)) return;
  auto s = std::move(state_->sess);
  s->post_response(state_->seq, std::move(r));
}

std::shared_ptr<stream_writer> responder::start_stream(response head) const {
  if (!state_ || state_->used.exchange(true)) return nullptr;
  auto s = std::move(state_->sess);
  auto ch =
      std::make_shared<stream_channel>(s->srv().shared_from_this(), s->executor(), s,
                                       state_->version >= 11, s->srv().opts.stream_buffer_limit);
  if (!s->post_stream_start(state_->seq, std::move(head), ch)) ch->finished();
  return std::make_shared<stream_handle>(std::move(ch));
}

bool responder::answered() const { return !state_ || state_->used.load(); }

bool responder::run_on_io(std::function<void()> f) const {
  if (!state_ || state_->used.load() || !state_->sess) return false;
  return state_->sess->post_task(std::move(f));
}

// ---------------------------------------------------------------------------------------------
// server::impl

std::vector<std::shared_ptr<session>> server::impl::live_sessions() {
  std::vector<std::shared_ptr<session>> out;
  std::lock_guard lock(mu);
  out.reserve(sessions.size());
  for (auto& [id, w] : sessions)
    if (auto s = w.lock()) out.push_back(std::move(s));
  return out;  // destroyed by the caller, outside the lock (a session's destructor takes it)
}

void server::impl::unregister(uint64_t id) {
  {
    std::lock_guard lock(mu);
    sessions.erase(id);
    open_connections.fetch_sub(1);
  }
  cv.notify_all();
}

void server::impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc),
                        [self = shared_from_this()](error_code ec, tcp::socket s) {
                          self->on_accept(ec, std::move(s));
                        });
}

void server::impl::on_accept(error_code ec, tcp::socket s) {
  if (ec == net::error::operation_aborted || stopping.load() || !acceptor.is_open()) return;
  if (ec) {  // e.g. EMFILE: back off instead of spinning
    accept_retry.expires_after(50ms);
    accept_retry.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->do_accept();
    });
    return;
  }
  bool over = open_connections.load() >= opts.max_connections;
  std::shared_ptr<session> sess;
  {
    std::lock_guard lock(mu);
    uint64_t id = next_session_id++;
    sess = std::make_shared<session>(shared_from_this(), std::move(s), id);
    sessions.emplace(id, sess);
    open_connections.fetch_add(1);
  }
  net::dispatch(sess->executor(), [sess, over] { sess->start(over); });
  do_accept();
}

void server::impl::arm_sweep() {
  sweep_timer.expires_after(sweep_every);
  sweep_timer.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec) self->on_sweep();
  });
}

void server::impl::on_sweep() {
  int64_t now = now_ns();
  for (auto& s : live_sessions()) {
    if (s->deadline() <= now) try_post(s->executor(), [s] { s->on_deadline(); });
  }
  if (!stopping.load() || !posts_closed.load()) arm_sweep();
}

void server::impl::count(int status, steady::time_point start) {
  if (!requests_total) return;
  auto& slot = by_status[static_cast<size_t>(status) % by_status.size()];
  metrics::counter* c = slot.load(std::memory_order_acquire);
  if (!c) {
    c = &requests_total->labels({std::to_string(status)});
    slot.store(c, std::memory_order_release);
  }
  c->inc();
  request_seconds->observe(std::chrono::duration<double>(steady::now() - start).count());
}

// ---------------------------------------------------------------------------------------------
// server

server::server() : server(options{}) {}
server::server(options o) : options_(std::move(o)), impl_(std::make_shared<impl>(options_)) {}
server::~server() { stop(); }

std::uint16_t server::port() const { return impl_->port.load(); }

result_msg<void> server::start(handler h) {
  auto& m = *impl_;
  auto fail = [](std::error_code code, std::string msg) {
    return failure(error_info{code, std::move(msg)});
  };
  {
    std::lock_guard lock(m.mu);
    if (m.started)
      return fail(roms::make_error_code(errc::invalid_argument), "server already started");
    m.started = true;
  }
  if (!h) return fail(roms::make_error_code(errc::invalid_argument), "no handler");

  // "host:port", "[v6]:port"
  std::string_view listen = options_.listen;
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == listen.size())
    return fail(roms::make_error_code(errc::invalid_argument),
                "listen address must be HOST:PORT, got '" + options_.listen + "'");
  std::string host(listen.substr(0, colon));
  std::string port(listen.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";

  error_code ec;
  tcp::resolver resolver(m.ioc);
  auto results =
      resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    return fail(roms::make_error_code(errc::invalid_argument),
                "cannot resolve listen address '" + options_.listen + "': " + ec.message());
  tcp::endpoint ep = *results.begin();

  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    m.acceptor.close(ignored);
    return fail(std::error_code(ec), "listen on " + options_.listen + ": " + ec.message());
  }
  m.port = m.acceptor.local_endpoint(ec).port();
  m.on_request = std::move(h);

  if (auto* reg = options_.metrics) {
    m.requests_total = &reg->counter("roms_http_requests_total",
                                     "HTTP requests answered, by status code.", {"code"});
    m.request_seconds =
        &reg->histogram("roms_http_request_duration_seconds",
                        "Time from a complete request to the end of its answer's write "
                        "(to the head, for streams).",
                        metrics::default_buckets())
             .get();
    reg->gauge_callback("roms_http_open_connections", "Open HTTP connections.",
                        [w = std::weak_ptr<impl>(impl_)] {
                          auto p = w.lock();
                          return p ? static_cast<double>(p->open_connections.load()) : 0.0;
                        });
  }

  m.do_accept();
  m.arm_sweep();
  int n = std::max(1, options_.io_threads);
  for (int i = 0; i < n; ++i) {
    m.threads.emplace_back([&m] {
      set_thread_name("roms-io");
      for (;;) {
        try {
          m.ioc.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "roms http: I/O thread caught: %s\n", e.what());
        }
      }
    });
  }
  return success();
}

void server::stop() {
  auto& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (!m.started || m.stopped) return;
    m.stopped = true;
  }
  m.stopping.store(true);
  net::post(m.acceptor.get_executor(), [&m] {
    error_code ec;
    m.acceptor.close(ec);
    m.accept_retry.cancel();
  });

  // Idle connections close now, busy ones after their answer, streams end.
  for (auto& s : m.live_sessions()) m.try_post(s->executor(), [s] { s->on_stop(); });
  {
    std::unique_lock lock(m.mu);
    m.cv.wait_for(lock, options_.stop_timeout, [&] { return m.sessions.empty(); });
  }
  // Whatever is left is closed; answers given from now on are dropped.
  for (auto& s : m.live_sessions()) m.try_post(s->executor(), [s] { s->close_now(); });
  m.close_posts();
  net::post(m.ioc, [&m] { m.sweep_timer.cancel(); });
  m.work.reset();
  for (auto& t : m.threads)
    if (t.joinable()) t.join();
  m.threads.clear();
}

}  // namespace roms::http
