#include "consumers/media_fetcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "consumers/derived_id.h"
#include "consumers/internal/consumer_state.h"
#include "consumers/media_link.h"
#include "consumers/whatsapp/internal/http_client.h"
#include "core/errc.h"
#include "core/thread_name.h"
#include "events/payload.h"
#include "events/types.h"

namespace roms::consumers {
namespace {

using namespace std::chrono_literals;
namespace http = whatsapp::internal;
constexpr const char* kFile = "media-fetcher.json";

using fetcher_file = internal::consumer_state;

}  // namespace

media_fetcher::media_fetcher(events::event_log& log, media_fetcher_options opts)
    : log_(log), opts_(std::move(opts)) {}

media_fetcher::~media_fetcher() { stop(); }

result_msg<void> media_fetcher::open_state() {
  if (opts_.state_dir.empty() || opts_.media_dir.empty())
    return error_info{errc::invalid_argument,
                      "media fetcher: state_dir and media_dir are required"};
  auto st = log_.stats();
  if (!st) return error_info{st.error(), "media fetcher: cannot read the log's end"};
  const auto& end = st.value().end_offsets;
  BOOST_OUTCOME_TRY(auto loaded,
                    internal::load_consumer_state(
                        opts_.state_dir, kFile, "removing it starts the fetcher at the log's end"));
  fetcher_file f;
  if (loaded) {
    f = std::move(*loaded);
  } else {
    f.origin = opts_.origin_at_zero ? std::vector<int64_t>(end.size(), 0) : end;
    f.position = f.origin;
    BOOST_OUTCOME_TRY(internal::save_consumer_state(opts_.state_dir, kFile, f));
  }
  while (f.origin.size() < end.size()) f.origin.push_back(end[f.origin.size()]);
  while (f.position.size() < f.origin.size()) f.position.push_back(f.origin[f.position.size()]);
  std::lock_guard lk(mu_);
  origin_ = std::move(f.origin);
  position_ = std::move(f.position);
  return success();
}

result_msg<void> media_fetcher::persist() {
  fetcher_file f;
  {
    std::lock_guard lk(mu_);
    f.origin = origin_;
    f.position = position_;
  }
  return internal::save_consumer_state(opts_.state_dir, kFile, f);
}

result_msg<std::pair<std::string, std::string>> media_fetcher::download(const std::string& ref) {
  constexpr std::string_view kCloud = "cloud-media:";
  http::http_call c;
  std::string url;
  if (ref.rfind(kCloud, 0) == 0) {
    if (opts_.cloud_token.empty())
      return error_info{errc::unsupported, "no Cloud API token to fetch media with"};
    // The media id's metadata holds a short-lived URL (which needs the same token).
    http::http_call meta;
    meta.url = opts_.cloud_base_url + "/" + http::url_encode(ref.substr(kCloud.size()));
    meta.headers = {{"Authorization", "Bearer " + opts_.cloud_token}};
    auto m = http::perform(meta);
    if (m.failure != http::transport_failure::none)
      return error_info{errc::unavailable, "media metadata: " + m.error};
    if (m.status != 200)
      return error_info{errc::unavailable, "media metadata: HTTP " + std::to_string(m.status)};
    boost::system::error_code ec;
    auto v = boost::json::parse(m.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("url") || !v.at("url").is_string())
      return error_info{errc::invalid_argument, "media metadata without a url"};
    url = std::string(v.at("url").as_string());
    c.headers = {{"Authorization", "Bearer " + opts_.cloud_token}};
  } else if (ref.rfind("http://", 0) == 0 || ref.rfind("https://", 0) == 0) {
    url = ref;
    if (opts_.gateway == "waha" && !opts_.waha_api_key.empty())
      c.headers = {{"X-Api-Key", opts_.waha_api_key}};
  } else {
    return error_info{errc::unsupported, "not a media reference this server can fetch"};
  }
  c.url = url;
  c.timeout = 20s;  // stop() waits for a download in progress
  auto r = http::perform(c);
  if (r.failure != http::transport_failure::none)
    return error_info{errc::unavailable, "media download: " + r.error};
  if (r.status != 200)
    return error_info{errc::unavailable, "media download: HTTP " + std::to_string(r.status)};
  if (r.body.size() > opts_.max_bytes) return error_info{errc::too_large, "too_large"};
  return std::pair<std::string, std::string>{std::move(r.body), r.content_type};
}

result_msg<void> media_fetcher::loop(bool until_end, std::vector<int64_t> end) {
  std::vector<int64_t> from;
  {
    std::lock_guard lk(mu_);
    from = position_;
  }
  auto reader = log_.open_reader(from);
  if (!reader) return error_info{reader.error(), "media fetcher: cannot read the log"};
  auto done = [&] {
    if (!until_end) return false;
    std::lock_guard lk(mu_);
    for (size_t p = 0; p < end.size(); ++p)
      if ((p < position_.size() ? position_[p] : 0) < end[p]) return false;
    return true;
  };
  auto last_persist = std::chrono::steady_clock::now();
  bool dirty = false;
  while (!stopping_ && !done()) {
    auto batch = reader.value()->read(256, 100ms);
    if (!batch) {
      std::this_thread::sleep_for(200ms);
      continue;
    }
    for (const auto& e : batch.value()) {
      if (stopping_) break;
      const auto part = static_cast<size_t>(e.position.partition);
      if (e.event.type == events::message_received::kType) {
        auto m = events::decode_payload<events::message_received>(e.event.payload);
        if (!m)
          return error_info{m.error().code, "media fetcher: event at " +
                                                events::to_string(e.position, false) + ": " +
                                                m.error().message};
        const auto& r = m.value();
        if (r.media && r.media->sha256.empty() && !r.media->url.empty()) {
          events::message_media_fetched f;
          f.message_id = r.message_id;
          f.mime_type = r.media->mime_type;
          f.filename = r.media->filename;
          for (int attempt = 1;; ++attempt) {
            auto got = download(r.media->url);
            if (got) {
              auto sha = store_media_file(opts_.media_dir, got.value().first);
              if (sha) {
                f.sha256 = sha.value();
                f.size = static_cast<int64_t>(got.value().first.size());
                if (f.mime_type.empty()) f.mime_type = got.value().second;
                f.error.clear();
                break;
              }
              f.error = sha.error().message;
            } else {
              f.error = got.error().message;
              if (got.error().code == errc::unsupported || got.error().code == errc::too_large)
                break;
            }
            if (attempt >= opts_.attempts || stopping_) break;
            std::unique_lock lk(mu_);
            cv_.wait_for(lk, opts_.retry_wait * attempt, [&] { return stopping_.load(); });
          }
          if (stopping_ && f.sha256.empty()) break;  // not handled: again at the next start
          events::envelope out;
          out.id = derived_event_id("message.media_fetched:" + r.message_id);
          out.type = std::string(events::message_media_fetched::kType);
          out.stream = r.message_id;
          out.time = e.event.time;
          out.actor = "media_fetcher";
          out.causation_id = e.event.id;
          out.payload = events::encode_payload(f);
          for (auto backoff = 100ms;;) {
            auto a = log_.append(std::span<const events::envelope>(&out, 1));
            if (a) break;
            if (stopping_) return persist();
            std::this_thread::sleep_for(backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
          }
          (f.sha256.empty() ? failed_ : stored_)++;
          dirty = true;
        }
      }
      {
        std::lock_guard lk(mu_);
        if (position_.size() <= part) position_.resize(part + 1, 0);
        position_[part] = std::max(position_[part], e.position.offset + 1);
      }
      cv_.notify_all();
    }
    if (dirty || std::chrono::steady_clock::now() - last_persist > 1s) {
      BOOST_OUTCOME_TRY(persist());
      dirty = false;
      last_persist = std::chrono::steady_clock::now();
    }
  }
  return persist();
}

result_msg<void> media_fetcher::start() {
  BOOST_OUTCOME_TRY(open_state());
  stopping_ = false;
  thread_ = std::thread([this] {
    set_thread_name("roms-media");
    auto r = loop(false, {});
    if (!r) std::fprintf(stderr, "roms: media fetcher stopped: %s\n", r.error().message.c_str());
  });
  return success();
}

void media_fetcher::stop() {
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

result_msg<void> media_fetcher::run_until_end() {
  stopping_ = false;
  BOOST_OUTCOME_TRY(open_state());
  auto st = log_.stats();
  if (!st) return error_info{st.error(), "media fetcher: cannot read the log's end"};
  return loop(true, st.value().end_offsets);
}

bool media_fetcher::wait_for(events::log_position p, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  const auto part = static_cast<size_t>(p.partition);
  return cv_.wait_for(lk, timeout, [&] {
    return (part < position_.size() && position_[part] > p.offset) ||
           (part < origin_.size() && p.offset < origin_[part]);
  });
}

}  // namespace roms::consumers
