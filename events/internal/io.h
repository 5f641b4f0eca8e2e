// Small POSIX file helpers for the embedded log: an owning fd, full reads and writes that
// retry on EINTR and short transfers, directory fsync, and errno turned into error_info
// with the operation and path in the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "core/errc.h"
#include "core/result.h"

namespace roms::events::internal {

inline error_info make_error(errc code, std::string message) {
  return {make_error_code(code), std::move(message)};
}

// "<what> <path>: <strerror(err)>" with errc::io_error (or `code`).
error_info errno_error(std::string_view what, const std::filesystem::path& p, int err,
                       errc code = errc::io_error);

class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added.
result_msg<unique_fd> open_file(const std::filesystem::path& p, int flags, int mode = 0644);

result_msg<void> pwrite_full(int fd, const void* data, size_t n, uint64_t pos,
                             const std::filesystem::path& p);
// Reads up to n bytes at pos; fewer only at end of file.
result_msg<size_t> pread_full(int fd, void* data, size_t n, uint64_t pos,
                              const std::filesystem::path& p);
result_msg<uint64_t> file_size(int fd, const std::filesystem::path& p);
result_msg<void> sync_data(int fd, const std::filesystem::path& p);  // fdatasync
result_msg<void> sync_file(int fd, const std::filesystem::path& p);  // fsync
result_msg<void> truncate_file(int fd, uint64_t size, const std::filesystem::path& p);
// fsync of a directory, so that entries created or renamed in it are durable.
result_msg<void> sync_dir(const std::filesystem::path& dir);

}  // namespace roms::events::internal
