// The local admin socket (CONTRACT.md, CLI): when `roms serve` runs on a data dir, CLI
// commands on the same dir talk to it through <data>/admin.sock instead of opening the
// data dir themselves.
//
// Protocol: one request per connection. The client sends ONE line of text (JSON by
// convention, but this layer moves opaque lines and parses nothing), the server's handler
// writes any number of answer lines (so `log tail --follow` and rebuild progress stream),
// then the server closes the connection. Lines end with '\n'.
//
// Security: an AF_UNIX stream socket with mode 0600 in a data dir that must be owned by us
// and not world-writable; both ends check the peer's credentials (SO_PEERCRED): same uid,
// or root. No Boost, no JSON: plain POSIX.
//
//   // server
//   auto srv = admin_server::start(data_dir, [&](std::string_view line, admin_writer& out) {
//     out.write_line(R"({"ok":true})");
//   });
//   // client
//   auto c = admin_client::connect(data_dir);
//   if (!c) fail(c.error().message);
//   else if (!c.value()) open_the_data_dir_directly();
//   else c.value()->call(R"({"cmd":"log.stats"})", [](std::string_view l) { print(l); });
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace roms::tools {

inline constexpr std::string_view admin_socket_name = "admin.sock";
std::filesystem::path admin_socket_path(const std::filesystem::path& data_dir);

// The answering end of one admin request. Used from the handler's thread only.
class admin_writer {
 public:
  admin_writer(int fd, const std::atomic<bool>* stopping, uid_t peer_uid)
      : fd_(fd), stopping_(stopping), peer_uid_(peer_uid) {}

  // Sends `line` and a '\n' (a '\n' inside `line` splits it into two lines for the
  // client). False once the client is gone or the server is stopping; false is final.
  bool write_line(std::string_view line);

  // Whether the client is still connected and the server is not stopping. A handler that
  // waits for something to send (a follower) polls this between waits.
  bool alive() const;

  uid_t peer_uid() const { return peer_uid_; }

 private:
  int fd_;
  const std::atomic<bool>* stopping_;
  uid_t peer_uid_;
  bool failed_ = false;
};

// Runs on its connection's own thread, so a long follower does not hold up other clients.
// Exceptions are caught: the client gets {"error":{"code":"internal",…}} and the connection
// closes.
using admin_handler = std::function<void(std::string_view request_line, admin_writer& out)>;

class admin_server {
 public:
  struct options {
    // Longest request line; a longer one is answered with an error line. Default: 1 MiB.
    std::size_t max_line = 1 << 20;
    // Time to receive the request line. Default: 5 s.
    std::chrono::milliseconds read_timeout{5000};
    // Connections served at once; more are answered with an error line. Default: 16.
    std::size_t max_clients = 16;
  };

  // Creates <data_dir>/admin.sock (mode 0600) and starts the accepting thread.
  // Errors: invalid_argument (data dir missing, not ours, world-writable, path too long),
  // locked (another server answers on this socket), or the system error.
  // A stale socket file (no one listening) is replaced.
  static result_msg<std::unique_ptr<admin_server>> start(const std::filesystem::path& data_dir,
                                                         admin_handler h);
  static result_msg<std::unique_ptr<admin_server>> start(const std::filesystem::path& data_dir,
                                                         admin_handler h, options o);

  // Stops accepting, makes writers fail (alive() false), waits for the handlers to return
  // and removes the socket file. Idempotent; the destructor calls it.
  void stop();
  ~admin_server();

  const std::filesystem::path& socket_path() const;

  struct impl;
  explicit admin_server(std::unique_ptr<impl> i);

 private:
  std::unique_ptr<impl> impl_;
};

class admin_client {
 public:
  // Connects to the server of `data_dir`. nullopt if none is listening (no socket file, or
  // a stale one from a server that died). Errors: the socket exists but cannot be used
  // (permission denied, path too long) or the process behind it is another user's.
  static result_msg<std::optional<admin_client>> connect(const std::filesystem::path& data_dir);

  // Sends `request_line` (which must not contain '\n') and calls `on_line` for each answer
  // line, without its '\n', until the server closes the connection. Once per client.
  // Errors: invalid_argument (a '\n' in the line, or called twice), unavailable (the
  // connection broke).
  result_msg<void> call(std::string_view request_line,
                        const std::function<void(std::string_view line)>& on_line);

  admin_client(admin_client&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  admin_client& operator=(admin_client&& o) noexcept;
  admin_client(const admin_client&) = delete;
  admin_client& operator=(const admin_client&) = delete;
  ~admin_client();

 private:
  explicit admin_client(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace roms::tools
