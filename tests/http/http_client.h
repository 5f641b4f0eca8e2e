// A small blocking HTTP/1.1 client over POSIX sockets for the http tests: it sends exactly
// the bytes a test gives it (garbage, pipelined requests, partial requests) and parses
// answers strictly (Content-Length, chunked, or until close). Every read has a timeout so a
// server bug fails a test instead of hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roms::testing {

struct http_reply {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() != name.size()) continue;
      bool eq = true;
      for (size_t i = 0; i < k.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(k[i])) !=
            std::tolower(static_cast<unsigned char>(name[i])))
          eq = false;
      if (eq) return v;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          }))
        return true;
    return false;
  }
};

class http_conn {
 public:
  explicit http_conn(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : timeout_(timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error("connect failed: " + std::to_string(errno));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~http_conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  http_conn(const http_conn&) = delete;
  http_conn& operator=(const http_conn&) = delete;

  int fd() const { return fd_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // Reads one answer; nullopt on timeout, close before a complete answer, or bad syntax.
  std::optional<http_reply> read_reply(bool head_request = false) {
    http_reply r;
    auto head = read_head();
    if (!head) return std::nullopt;
    if (!parse_head(*head, r)) return std::nullopt;
    if (head_request || r.status == 204 || r.status == 304 || r.status < 200) return r;
    std::string te = r.header("Transfer-Encoding");
    if (te == "chunked") {
      while (true) {
        auto c = read_chunk();
        if (!c) return std::nullopt;
        if (c->empty()) break;
        r.body += *c;
      }
      return r;
    }
    if (r.has_header("Content-Length")) {
      size_t len = std::stoul(r.header("Content-Length"));
      if (!fill(len)) return std::nullopt;
      r.body = buf_.substr(0, len);
      buf_.erase(0, len);
      return r;
    }
    // Until close.
    while (read_more()) {
    }
    r.body = std::move(buf_);
    buf_.clear();
    return r;
  }

  // Reads only the head (status line and headers) of an answer.
  std::optional<http_reply> read_reply_head() {
    http_reply r;
    auto head = read_head();
    if (!head || !parse_head(*head, r)) return std::nullopt;
    return r;
  }

  // One chunk of a chunked body: its data, "" for the last chunk, nullopt on error/timeout.
  std::optional<std::string> read_chunk() {
    auto line = read_line();
    if (!line) return std::nullopt;
    size_t size = std::stoul(*line, nullptr, 16);
    if (!fill(size + 2)) return std::nullopt;
    std::string data = buf_.substr(0, size);
    if (buf_.compare(size, 2, "\r\n") != 0) return std::nullopt;
    buf_.erase(0, size + 2);
    return data;
  }

  // Exactly `n` raw bytes.
  std::optional<std::string> read_exact(size_t n) {
    if (!fill(n)) return std::nullopt;
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }

  // True if the server closes the connection (EOF or reset) within `within`, with no
  // further bytes; false if it stays open or sends something.
  bool closed_by_peer(std::chrono::milliseconds within) {
    if (!buf_.empty()) return false;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(within.count()));
    if (rc <= 0) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n <= 0;
  }

 private:
  std::optional<std::string> read_line() {
    while (true) {
      auto pos = buf_.find("\r\n");
      if (pos != std::string::npos) {
        std::string line = buf_.substr(0, pos);
        buf_.erase(0, pos + 2);
        return line;
      }
      if (!read_more()) return std::nullopt;
    }
  }

  std::optional<std::string> read_head() {
    while (true) {
      auto pos = buf_.find("\r\n\r\n");
      if (pos != std::string::npos) {
        std::string head = buf_.substr(0, pos + 2);
        buf_.erase(0, pos + 4);
        return head;
      }
      if (!read_more()) return std::nullopt;
    }
  }

  static bool parse_head(const std::string& head, http_reply& r) {
    auto eol = head.find("\r\n");
    std::string status_line = head.substr(0, eol);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return false;
    r.status = std::stoi(status_line.substr(9, 3));
    r.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    size_t i = eol + 2;
    while (i < head.size()) {
      auto e = head.find("\r\n", i);
      std::string line = head.substr(i, e - i);
      i = e + 2;
      auto colon = line.find(':');
      if (colon == std::string::npos) return false;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(line.substr(0, colon), value);
    }
    return true;
  }

  bool fill(size_t n) {
    while (buf_.size() < n)
      if (!read_more()) return false;
    return true;
  }

  bool read_more() {
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    if (rc <= 0) return false;
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
};

inline std::string http_get(std::string_view target, std::string_view extra_headers = "") {
  std::string r = "GET ";
  r += target;
  r += " HTTP/1.1\r\nHost: test\r\n";
  r += extra_headers;
  r += "\r\n";
  return r;
}

inline std::string http_request(std::string_view method, std::string_view target,
                                std::string_view body, std::string_view extra_headers = "") {
  std::string r(method);
  r += ' ';
  r += target;
  r += " HTTP/1.1\r\nHost: test\r\nContent-Length: ";
  r += std::to_string(body.size());
  r += "\r\n";
  r += extra_headers;
  r += "\r\n";
  r += body;
  return r;
}

}  // namespace roms::testing
