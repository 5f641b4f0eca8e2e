#include "events/internal/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace roms::events::internal {

error_info errno_error(std::string_view what, const std::filesystem::path& p, int err, errc code) {
  std::string msg(what);
  msg += ' ';
  msg += p.string();
  msg += ": ";
  msg += std::system_category().message(err);
  return make_error(code, std::move(msg));
}

void unique_fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);  // close errors on a read or already-synced fd carry nothing
  fd_ = -1;
}

result_msg<unique_fd> open_file(const std::filesystem::path& p, int flags, int mode) {
  int fd;
  do {
    fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    return errno_error("cannot open", p, err, err == ENOENT ? errc::not_found : errc::io_error);
  }
  return unique_fd(fd);
}

result_msg<void> pwrite_full(int fd, const void* data, size_t n, uint64_t pos,
                             const std::filesystem::path& p) {
  auto c = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, c, n, static_cast<off_t>(pos));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot write", p, errno);
    }
    c += w;
    n -= static_cast<size_t>(w);
    pos += static_cast<uint64_t>(w);
  }
  return success();
}

result_msg<size_t> pread_full(int fd, void* data, size_t n, uint64_t pos,
                              const std::filesystem::path& p) {
  auto c = static_cast<char*>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, c + done, n - done, static_cast<off_t>(pos + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read", p, errno);
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

result_msg<uint64_t> file_size(int fd, const std::filesystem::path& p) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno_error("cannot stat", p, errno);
  return static_cast<uint64_t>(st.st_size);
}

result_msg<void> sync_data(int fd, const std::filesystem::path& p) {
  if (::fdatasync(fd) != 0) return errno_error("cannot fdatasync", p, errno);
  return success();
}

result_msg<void> sync_file(int fd, const std::filesystem::path& p) {
  if (::fsync(fd) != 0) return errno_error("cannot fsync", p, errno);
  return success();
}

result_msg<void> truncate_file(int fd, uint64_t size, const std::filesystem::path& p) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return errno_error("cannot truncate", p, errno);
  }
  return success();
}

result_msg<void> sync_dir(const std::filesystem::path& dir) {
  BOOST_OUTCOME_TRY(auto fd, open_file(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) != 0) return errno_error("cannot fsync directory", dir, errno);
  return success();
}

}  // namespace roms::events::internal
