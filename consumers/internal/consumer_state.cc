#include "consumers/internal/consumer_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/errc.h"
#include "events/payload.h"

namespace roms::consumers::internal {
namespace {

error_info io_error(const std::string& what) {
  return {errc::io_error, what + ": " + std::strerror(errno)};
}

result_msg<void> write_all(int fd, std::string_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write " + path);
    }
    done += static_cast<size_t>(n);
  }
  return success();
}

}  // namespace

result_msg<std::optional<consumer_state>> load_consumer_state(const std::filesystem::path& dir,
                                                              std::string_view file,
                                                              std::string_view removal_hint) {
  auto path = dir / file;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<consumer_state>{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = events::decode_payload<consumer_state>(ss.str());
  if (!s) {
    return error_info{errc::corruption, path.string() + " is damaged (" + s.error().message +
                                            "); fix or remove it (" + std::string(removal_hint) +
                                            ")"};
  }
  return std::optional<consumer_state>(std::move(s).value());
}

result_msg<void> save_consumer_state(const std::filesystem::path& dir, std::string_view file,
                                     const consumer_state& s) {
  return write_file_atomically(dir, file, events::encode_payload(s) + "\n");
}

result_msg<void> write_file_atomically(const std::filesystem::path& dir, std::string_view name,
                                       std::string_view data) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error_info{errc::io_error, "cannot create " + dir.string() + ": " + ec.message()};
  const auto path = dir / name;
  // pid + a counter: two writers of the same content-addressed file (processes or threads)
  // never share a temp file.
  static std::atomic<uint64_t> counter{0};
  const auto tmp = dir / (std::string(name) + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(counter.fetch_add(1)));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create " + tmp.string());
  auto w = write_all(fd, data, tmp.string());
  if (w && ::fsync(fd) != 0) w = io_error("cannot fsync " + tmp.string());
  ::close(fd);
  if (!w) {
    ::unlink(tmp.c_str());
    return w;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = io_error("cannot rename " + tmp.string());
    ::unlink(tmp.c_str());
    return e;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_error("cannot open " + dir.string());
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return io_error("cannot fsync " + dir.string());
  return success();
}

}  // namespace roms::consumers::internal
