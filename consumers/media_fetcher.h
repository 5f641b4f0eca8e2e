// media_fetcher: downloads the files of inbound WhatsApp messages (images, documents) from the
// gateway and stores them content-addressed under <data>/media, so the CS inbox serves them to
// signed-in users (GET /api/v1/media/{sha256}) whatever happens to the gateway's copy
// (consumers/README.md "CS inbox", "Inbound media").
//
//   consumers::media_fetcher_options o;
//   o.state_dir = data_dir / "media-fetcher";   // media-fetcher.json: consumed position, origin
//   o.media_dir = data_dir / "media";
//   o.gateway = "waha"; o.waha_api_key = …;      // or "cloud" with cloud_base_url and cloud_token
//   consumers::media_fetcher f(*log, o);
//   f.start();  ...  f.stop();
//
// For each message.received with a media reference and no sha256, in log order from its origin
// (the log's end on first start: history is not downloaded), it fetches the file — Cloud API:
// GET <base>/<media id> (Bearer) for a short-lived URL, then GET that URL (Bearer); WAHA: GET the
// URL of the webhook (X-Api-Key) — writes <media_dir>/<sha256> (temp file, fsync, rename) and
// appends message.media_fetched {sha256, size} with an id derived from the message id, so doing
// it again after a crash appends nothing. After `attempts` failures it records the error
// instead (the message keeps its caption; nothing retries it later).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "events/log.h"

namespace roms::consumers {

struct media_fetcher_options {
  std::filesystem::path state_dir;  // required
  std::filesystem::path media_dir;  // required
  std::string gateway = "off";      // waha | cloud: how references are fetched
  std::string waha_api_key;         // X-Api-Key for WAHA's file URLs ("" = none)
  std::string cloud_base_url = "https://graph.facebook.com/v23.0";
  std::string cloud_token;
  // Files larger than this are not stored (error "too_large"). Default: 64 MiB.
  uint64_t max_bytes = 64ull << 20;
  // Tries per file before the error is recorded. Default: 3 (1 s, 2 s apart).
  int attempts = 3;
  std::chrono::milliseconds retry_wait{1'000};
  // The origin on first start: false = the log's end, true = 0 (tests).
  bool origin_at_zero = false;
};

class media_fetcher {
 public:
  media_fetcher(events::event_log& log, media_fetcher_options opts);
  ~media_fetcher();
  media_fetcher(const media_fetcher&) = delete;
  media_fetcher& operator=(const media_fetcher&) = delete;

  result_msg<void> start();
  void stop();
  // Not started: handles everything up to the log's end on the caller's thread (tests).
  result_msg<void> run_until_end();
  // True once the event at `p` is handled (its file stored and recorded, or not media).
  bool wait_for(events::log_position p, std::chrono::milliseconds timeout);
  uint64_t stored() const { return stored_; }
  uint64_t failed() const { return failed_; }

 private:
  result_msg<void> open_state();
  result_msg<void> persist();
  result_msg<void> loop(bool until_end, std::vector<int64_t> end);
  // The file of `ref` ("cloud-media:<id>" or a URL): its bytes and MIME type, or an error.
  result_msg<std::pair<std::string, std::string>> download(const std::string& ref);

  events::event_log& log_;
  media_fetcher_options opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> position_;
  std::vector<int64_t> origin_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> stored_{0};
  std::atomic<uint64_t> failed_{0};
  std::thread thread_;
};

}  // namespace roms::consumers
