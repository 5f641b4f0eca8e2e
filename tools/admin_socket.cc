#include "tools/admin_socket.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "core/errc.h"
#include "core/thread_name.h"

namespace roms::tools {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kForbidden =
    R"({"error":{"code":"forbidden","message":"the admin socket serves its owner's processes only"}})";
constexpr std::string_view kBusy =
    R"({"error":{"code":"unavailable","message":"too many admin connections"}})";
constexpr std::string_view kTooLong =
    R"({"error":{"code":"too_large","message":"admin request line too long"}})";
constexpr std::string_view kInternal =
    R"({"error":{"code":"internal","message":"the admin request failed"}})";

error_info sys_error(std::string what, int e = errno) {
  return {std::error_code(e, std::system_category()), what + ": " + std::strerror(e)};
}

error_info roms_error(errc code, std::string message) {
  return {make_error_code(code), std::move(message)};
}

bool make_address(const fs::path& p, sockaddr_un& addr, socklen_t& len) {
  const std::string& s = p.native();
  if (s.size() >= sizeof(addr.sun_path)) return false;
  addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + s.size() + 1);
  return true;
}

bool peer_uid(int fd, uid_t& uid) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  uid = cred.uid;
  return true;
}

bool uid_allowed(uid_t uid) { return uid == ::geteuid() || uid == 0; }

// Writes a then b completely (one syscall in the usual case). False on any error.
bool send_all(int fd, std::string_view a, std::string_view b) {
  iovec iov[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
  int first = 0;
  while (first < 2) {
    msghdr msg{};
    msg.msg_iov = iov + first;
    msg.msg_iovlen = static_cast<size_t>(2 - first);
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<size_t>(n);
    while (first < 2 && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < 2) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return true;
}

// Probes an existing socket file: true if a server accepts on it.
enum class probe { listening, stale, error };
probe probe_socket(const sockaddr_un& addr, socklen_t len, int& err) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    return probe::error;
  }
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len);
  err = rc == 0 ? 0 : errno;
  ::close(fd);
  if (rc == 0) return probe::listening;
  return err == ECONNREFUSED ? probe::stale : probe::error;
}

}  // namespace

fs::path admin_socket_path(const fs::path& data_dir) { return data_dir / admin_socket_name; }

// --- writer --------------------------------------------------------------------------------

bool admin_writer::write_line(std::string_view line) {
  if (failed_ || stopping_->load()) return false;
  if (!send_all(fd_, line, "\n")) failed_ = true;
  return !failed_;
}

bool admin_writer::alive() const {
  if (failed_ || stopping_->load()) return false;
  pollfd p{fd_, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

// --- server --------------------------------------------------------------------------------

struct admin_server::impl {
  struct conn {
    int fd = -1;
    std::thread t;
    std::atomic<bool> done{false};
  };

  ~impl() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void accept_loop();
  void serve(conn& c, uid_t uid);
  // Joins finished connection threads and closes their sockets. Connection threads never
  // close their own socket, so stop() can shut down any fd in the list without racing a
  // reuse of the number.
  void reap_locked() {
    for (auto it = conns.begin(); it != conns.end();) {
      if (!it->done.load()) {
        ++it;
        continue;
      }
      it->t.join();
      ::close(it->fd);
      it = conns.erase(it);
    }
  }

  fs::path path;
  options opts;
  admin_handler handler;
  int listen_fd = -1;
  int wake_fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::mutex mu;
  std::list<conn> conns;  // stable addresses: each thread holds its conn&
  bool stopped = false;
};

void admin_server::impl::accept_loop() {
  while (!stopping.load()) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int rc = ::poll(p, 2, 1000);
    {
      std::lock_guard lock(mu);
      reap_locked();
    }
    if (stopping.load()) break;
    if (rc < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (rc == 0 || !(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    uid_t uid = 0;
    if (!peer_uid(fd, uid) || !uid_allowed(uid)) {
      send_all(fd, kForbidden, "\n");
      ::close(fd);
      continue;
    }
    std::lock_guard lock(mu);
    if (conns.size() >= opts.max_clients) {
      send_all(fd, kBusy, "\n");
      ::close(fd);
      continue;
    }
    auto& c = conns.emplace_back();
    c.fd = fd;
    c.t = std::thread([this, &c, uid] {
      set_thread_name("roms-admin");
      serve(c, uid);
      ::shutdown(c.fd, SHUT_RDWR);
      c.done.store(true);
    });
  }
}

void admin_server::impl::serve(conn& c, uid_t uid) {
  auto ms = opts.read_timeout.count();
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  std::string line;
  char buf[4096];
  bool complete = false;
  while (!stopping.load()) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // timeout or error
    }
    if (n == 0) {  // the client closed its side: what came is the line
      complete = !line.empty();
      break;
    }
    line.append(buf, static_cast<size_t>(n));
    if (auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      complete = true;
    }
    if (line.size() > opts.max_line) {
      send_all(c.fd, kTooLong, "\n");
      return;
    }
    if (complete) break;
  }
  if (!complete || stopping.load()) return;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  admin_writer out(c.fd, &stopping, uid);
  try {
    handler(line, out);
  } catch (...) {
    out.write_line(kInternal);
  }
}

admin_server::admin_server(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
admin_server::~admin_server() { stop(); }

const fs::path& admin_server::socket_path() const { return impl_->path; }

result_msg<std::unique_ptr<admin_server>> admin_server::start(const fs::path& data_dir,
                                                              admin_handler h) {
  return start(data_dir, std::move(h), options{});
}

result_msg<std::unique_ptr<admin_server>> admin_server::start(const fs::path& data_dir,
                                                              admin_handler h, options o) {
  if (!h) return failure(roms_error(errc::invalid_argument, "admin socket: no handler"));
  struct stat st {};
  if (::stat(data_dir.c_str(), &st) != 0)
    return failure(sys_error("admin socket: data dir " + data_dir.string()));
  if (!S_ISDIR(st.st_mode))
    return failure(roms_error(errc::invalid_argument,
                              "admin socket: " + data_dir.string() + " is not a directory"));
  if (st.st_uid != ::geteuid() && ::geteuid() != 0)
    return failure(roms_error(errc::invalid_argument, "admin socket: data dir " +
                                                          data_dir.string() +
                                                          " belongs to another user (uid " +
                                                          std::to_string(st.st_uid) + ")"));
  if (st.st_mode & S_IWOTH)
    return failure(roms_error(
        errc::invalid_argument,
        "admin socket: data dir " + data_dir.string() + " is writable by everyone; chmod o-w it"));

  auto i = std::make_unique<impl>();
  i->path = admin_socket_path(data_dir);
  i->opts = o;
  i->handler = std::move(h);
  sockaddr_un addr{};
  socklen_t len = 0;
  if (!make_address(i->path, addr, len))
    return failure(roms_error(errc::invalid_argument,
                              "admin socket: path too long for a unix socket (" +
                                  std::to_string(i->path.native().size()) + " bytes, at most " +
                                  std::to_string(sizeof(addr.sun_path) - 1) +
                                  "): " + i->path.string()));

  // An existing file: another server (refuse), a stale socket (replace), or something else.
  struct stat existing {};
  if (::lstat(i->path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode))
      return failure(roms_error(errc::invalid_argument, "admin socket: " + i->path.string() +
                                                            " exists and is not a socket"));
    int err = 0;
    switch (probe_socket(addr, len, err)) {
      case probe::listening:
        return failure(roms_error(
            errc::locked, "admin socket: another server is running on " + data_dir.string()));
      case probe::stale:
        if (::unlink(i->path.c_str()) != 0 && errno != ENOENT)
          return failure(sys_error("admin socket: remove stale " + i->path.string()));
        break;
      case probe::error:
        return failure(sys_error("admin socket: probe " + i->path.string(), err));
    }
  }

  i->listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (i->listen_fd < 0) return failure(sys_error("admin socket: socket"));
  // The socket file takes its mode from the umask at bind(): 0600 from the first instant.
  // umask is process-wide, so the window is kept to this one call.
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(i->listen_fd, reinterpret_cast<const sockaddr*>(&addr), len);
  int bind_errno = errno;
  ::umask(old_mask);
  if (rc != 0) {
    if (bind_errno == EADDRINUSE)
      return failure(roms_error(errc::locked,
                                "admin socket: another server is running on " + data_dir.string()));
    return failure(sys_error("admin socket: bind " + i->path.string(), bind_errno));
  }
  struct stat mine {};
  if (::chmod(i->path.c_str(), 0600) != 0 || ::lstat(i->path.c_str(), &mine) != 0) {
    auto e = sys_error("admin socket: chmod " + i->path.string());
    ::unlink(i->path.c_str());
    return failure(std::move(e));
  }
  i->dev = mine.st_dev;
  i->ino = mine.st_ino;
  if (::listen(i->listen_fd, 16) != 0) {
    auto e = sys_error("admin socket: listen");
    ::unlink(i->path.c_str());
    return failure(std::move(e));
  }
  i->wake_fd = ::eventfd(0, EFD_CLOEXEC);
  if (i->wake_fd < 0) {
    auto e = sys_error("admin socket: eventfd");
    ::unlink(i->path.c_str());
    return failure(std::move(e));
  }
  auto* raw = i.get();
  i->acceptor = std::thread([raw] {
    set_thread_name("roms-admin");
    raw->accept_loop();
  });
  return std::make_unique<admin_server>(std::move(i));
}

void admin_server::stop() {
  auto& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.stopping.store(true);
  uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(m.wake_fd, &one, sizeof one);
  if (m.acceptor.joinable()) m.acceptor.join();
  {
    std::lock_guard lock(m.mu);
    for (auto& c : m.conns) ::shutdown(c.fd, SHUT_RDWR);  // blocked reads and writes return
  }
  for (auto& c : m.conns) {
    if (c.t.joinable()) c.t.join();
    ::close(c.fd);
  }
  m.conns.clear();
  ::close(m.listen_fd);
  m.listen_fd = -1;
  // Remove the socket file only if it is still ours (not a newer server's).
  struct stat st {};
  if (::lstat(m.path.c_str(), &st) == 0 && st.st_dev == m.dev && st.st_ino == m.ino)
    ::unlink(m.path.c_str());
}

// --- client --------------------------------------------------------------------------------

admin_client& admin_client::operator=(admin_client&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

admin_client::~admin_client() {
  if (fd_ >= 0) ::close(fd_);
}

result_msg<std::optional<admin_client>> admin_client::connect(const fs::path& data_dir) {
  auto path = admin_socket_path(data_dir);
  sockaddr_un addr{};
  socklen_t len = 0;
  if (!make_address(path, addr, len))
    return failure(roms_error(errc::invalid_argument,
                              "admin socket: path too long for a unix socket: " + path.string()));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return failure(sys_error("admin socket: socket"));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    int e = errno;
    ::close(fd);
    // No socket file, or one left by a server that is gone: no server.
    if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR) return std::optional<admin_client>{};
    return failure(sys_error("admin socket: connect " + path.string(), e));
  }
  uid_t uid = 0;
  if (!peer_uid(fd, uid) || !uid_allowed(uid)) {
    ::close(fd);
    return failure(
        roms_error(errc::invalid_argument, "admin socket: " + path.string() +
                                               " is served by another user's process (uid " +
                                               std::to_string(uid) + ")"));
  }
  return std::optional<admin_client>(admin_client(fd));
}

result_msg<void> admin_client::call(std::string_view request_line,
                                    const std::function<void(std::string_view)>& on_line) {
  if (fd_ < 0) return failure(roms_error(errc::invalid_argument, "admin client already used"));
  if (request_line.find('\n') != std::string_view::npos)
    return failure(roms_error(errc::invalid_argument, "admin request line contains a newline"));
  int fd = fd_;
  fd_ = -1;
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_at_end{fd};

  if (!send_all(fd, request_line, "\n"))
    return failure(roms_error(errc::unavailable,
                              std::string("admin socket: send failed: ") + std::strerror(errno)));
  std::string buf;
  char tmp[65536];
  while (true) {
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure(roms_error(
          errc::unavailable, std::string("admin socket: receive failed: ") + std::strerror(errno)));
    }
    if (n == 0) break;
    buf.append(tmp, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1)
      on_line(std::string_view(buf).substr(start, nl - start));
    buf.erase(0, start);
  }
  if (!buf.empty()) on_line(buf);
  return success();
}

}  // namespace roms::tools
