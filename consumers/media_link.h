// media_signer: expiring signed links to stored media, so a gateway (WAHA, the Cloud API) can
// fetch a file from GET /api/v1/media/{sha256} without a login, for a limited time.
//
//   auto signer = consumers::media_signer::open(data_dir / "media").value();
//   std::string url = signer->sign_url("https://shop.example", sha256, clk.now() + 24h);
//   // → https://shop.example/api/v1/media/<sha256>?exp=1767225600&sig=<64 hex>
//   bool ok = signer->verify(sha256, exp, sig, clk.now());   // the media route
//
// sig = hex(HMAC-SHA256(key, "media:" + sha256 + ":" + exp)), exp in Unix seconds. The key is
// 32 random bytes kept in <media_dir>/.link-key (created on first open, mode 0600), so links
// survive restarts and a new data dir gets a new key. Files are content-addressed:
// <media_dir>/<sha256> (64 lower-case hex).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"

namespace roms::consumers {

class media_signer {
 public:
  // Opens (creating the folder and the key if needed) the media folder.
  static result_msg<std::unique_ptr<media_signer>> open(const std::filesystem::path& media_dir);
  // A signer with a given key (tests).
  media_signer(std::filesystem::path media_dir, std::string key);

  // "<public_url>/api/v1/media/<sha256>?exp=<unix s>&sig=<hex>"; a trailing '/' of
  // public_url is ignored.
  std::string sign_url(std::string_view public_url, std::string_view sha256,
                       timestamp expires) const;
  std::string signature(std::string_view sha256, int64_t exp_unix) const;
  // True when `sig` is the signature of (sha256, exp) and exp has not passed at `now`.
  // Constant-time comparison.
  bool verify(std::string_view sha256, std::string_view exp, std::string_view sig,
              timestamp now) const;

  const std::filesystem::path& dir() const { return dir_; }
  // <dir>/<sha256>, or "" when sha256 is not 64 lower-case hex digits.
  std::filesystem::path file_for(std::string_view sha256) const;

 private:
  std::filesystem::path dir_;
  std::string key_;
};

// Writes `data` to <dir>/<sha256> unless it is there (temp file, fsync, rename, fsync of the
// directory); returns the lower-case hex SHA-256. Inbound media (media_fetcher) and files sent
// from the CS inbox are stored this way.
result_msg<std::string> store_media_file(const std::filesystem::path& dir, std::string_view data);

// Whether `s` is 64 lower-case hex digits.
bool is_sha256_hex(std::string_view s);

}  // namespace roms::consumers
