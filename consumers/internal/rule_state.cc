#include "consumers/internal/rule_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/errc.h"
#include "events/payload.h"

namespace roms::consumers::internal {
namespace {

constexpr const char* kFile = "rules.json";

error_info io_error(const std::string& what) {
  return {errc::io_error, what + ": " + std::strerror(errno)};
}

result_msg<void> write_all(int fd, const std::string& data, const std::string& path) {
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

result_msg<std::optional<rule_state>> load_rule_state(const std::filesystem::path& dir) {
  auto path = dir / kFile;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<rule_state>{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = events::decode_payload<rule_state>(ss.str());
  if (!s) {
    return error_info{errc::corruption,
                      path.string() + " is damaged (" + s.error().message +
                          "); fix or remove it (removing it makes the rules start at the log's "
                          "end)"};
  }
  return std::optional<rule_state>(std::move(s).value());
}

result_msg<void> save_rule_state(const std::filesystem::path& dir, const rule_state& s) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error_info{errc::io_error, "cannot create " + dir.string() + ": " + ec.message()};
  auto path = dir / kFile;
  auto tmp = dir / (std::string(kFile) + ".tmp");
  std::string data = events::encode_payload(s) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create " + tmp.string());
  auto w = write_all(fd, data, tmp.string());
  if (w && ::fsync(fd) != 0) w = io_error("cannot fsync " + tmp.string());
  ::close(fd);
  if (!w) return w;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename " + tmp.string());
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_error("cannot open " + dir.string());
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return io_error("cannot fsync " + dir.string());
  return success();
}

}  // namespace roms::consumers::internal
