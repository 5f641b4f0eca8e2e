#include "consumers/media_link.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>

#include "consumers/internal/consumer_state.h"
#include "core/errc.h"

namespace roms::consumers {
namespace {

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 15]);
  }
  return s;
}

}  // namespace

result_msg<std::string> store_media_file(const std::filesystem::path& dir, std::string_view data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  std::string sha = hex(d, sizeof d);
  std::error_code ec;
  if (std::filesystem::exists(dir / sha, ec)) return sha;
  BOOST_OUTCOME_TRY(internal::write_file_atomically(dir, sha, data));
  return sha;
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

result_msg<std::unique_ptr<media_signer>> media_signer::open(
    const std::filesystem::path& media_dir) {
  std::error_code ec;
  std::filesystem::create_directories(media_dir, ec);
  if (ec)
    return error_info{errc::io_error, "cannot create " + media_dir.string() + ": " + ec.message()};
  const auto key_file = media_dir / ".link-key";
  std::string key;
  {
    std::ifstream in(key_file, std::ios::binary);
    if (in) key.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (key.size() != 32) {
    key.resize(32);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), 32) != 1)
      return error_info{errc::io_error, "no randomness for the media link key"};
    const auto tmp = media_dir / ".link-key.tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return error_info{errc::io_error, "cannot write " + tmp.string()};
    bool ok =
        ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return error_info{errc::io_error, "cannot write " + tmp.string()};
    std::filesystem::rename(tmp, key_file, ec);
    if (ec) return error_info{errc::io_error, "cannot write " + key_file.string()};
  }
  return std::make_unique<media_signer>(media_dir, std::move(key));
}

media_signer::media_signer(std::filesystem::path media_dir, std::string key)
    : dir_(std::move(media_dir)), key_(std::move(key)) {}

std::string media_signer::signature(std::string_view sha256, int64_t exp_unix) const {
  std::string msg = "media:";
  msg.append(sha256).append(":").append(std::to_string(exp_unix));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len);
  return hex(out, len);
}

std::string media_signer::sign_url(std::string_view public_url, std::string_view sha256,
                                   timestamp expires) const {
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  const int64_t exp = to_micros(expires) / 1'000'000;
  std::string url(public_url);
  url.append("/api/v1/media/").append(sha256).append("?exp=").append(std::to_string(exp));
  url.append("&sig=").append(signature(sha256, exp));
  return url;
}

bool media_signer::verify(std::string_view sha256, std::string_view exp, std::string_view sig,
                          timestamp now) const {
  if (!is_sha256_hex(sha256) || sig.size() != 64 || exp.empty() || exp.size() > 18) return false;
  int64_t e = 0;
  auto [p, rc] = std::from_chars(exp.data(), exp.data() + exp.size(), e);
  if (rc != std::errc() || p != exp.data() + exp.size()) return false;
  const std::string want = signature(sha256, e);
  if (CRYPTO_memcmp(want.data(), sig.data(), 64) != 0) return false;
  return to_micros(now) / 1'000'000 <= e;
}

std::filesystem::path media_signer::file_for(std::string_view sha256) const {
  if (!is_sha256_hex(sha256)) return {};
  return dir_ / std::string(sha256);
}

}  // namespace roms::consumers
