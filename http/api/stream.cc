#include "http/api/stream.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "consumers/runner.h"
#include "core/thread_name.h"
#include "events/json_writer.h"
#include "events/log.h"

namespace roms::http::api {

class stream_hub {
 public:
  stream_hub(context& ctx) : ctx_(ctx) {}
  ~stream_hub() { stop(); }

  void start() {
    if (!ctx_.log) return;  // read-only server: nothing new ever happens
    thread_ = std::thread([this] {
      set_thread_name("roms-stream");
      loop();
    });
  }

  void stop() {
    {
      std::lock_guard lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::vector<std::shared_ptr<stream_writer>> all;
    {
      std::lock_guard lk(mu_);
      all.swap(clients_);
    }
    for (auto& c : all) c->close();
  }

  void add(std::shared_ptr<stream_writer> w) {
    {
      std::lock_guard lk(mu_);
      clients_.push_back(std::move(w));
    }
    cv_.notify_all();
  }

  size_t clients() const {
    std::lock_guard lk(mu_);
    return clients_.size();
  }

 private:
  static bool visible(std::string_view type) {
    for (std::string_view p :
         {"order.", "product.", "stock.", "warehouse.", "customer.", "settings.", "alert.",
          "message.", "conversation.", "agent.", "template.", "reminder_rule.", "whatsapp."})
      if (type.rfind(p, 0) == 0) return true;
    return false;
  }

  void broadcast(const std::string& chunk) {
    std::lock_guard lk(mu_);
    std::erase_if(clients_,
                  [&](const std::shared_ptr<stream_writer>& w) { return !w->write(chunk); });
  }

  // Follows the log only while someone listens: with no client it holds no reader and reads
  // nothing (it used to decode every event and wait for the read models to apply it, for no
  // one). A client gets what is appended after it connected: the reader opens at the log's end
  // when the first client arrives.
  void loop() {
    auto last_beat = std::chrono::steady_clock::now();
    while (!stopping_) {
      {
        std::unique_lock lk(mu_);
        if (clients_.empty()) {
          reader_.reset();
          cv_.wait(lk, [&] { return stopping_ || !clients_.empty(); });
          continue;
        }
      }
      if (!reader_) {
        auto st = ctx_.log->stats();
        auto reader = st ? ctx_.log->open_reader(st.value().end_offsets)
                         : result<std::unique_ptr<events::log_reader>>(st.error());
        if (!reader) {  // the log is failing: retry, the clients stay connected
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          continue;
        }
        reader_ = std::move(reader).value();
        last_beat = std::chrono::steady_clock::now();
      }
      auto batch = reader_->read(512, std::chrono::milliseconds(200));
      if (!batch) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      std::string out;
      for (const auto& e : batch.value()) {
        if (!visible(e.event.type)) continue;
        // Only once the read models show it.
        if (ctx_.runner) {
          while (!stopping_ && !ctx_.runner->wait_for(e.position, std::chrono::milliseconds(200))) {
          }
        }
        std::string pos = events::to_string(e.position, ctx_.cfg.single_partition);
        events::json_writer w;
        w.begin_object()
            .field("type", e.event.type)
            .field("stream", e.event.stream)
            .field("position", pos)
            .field("time", format_rfc3339(e.event.time))
            .end_object();
        out += "event: " + e.event.type + "\nid: " + pos + "\ndata: " + w.str() + "\n\n";
      }
      auto now = std::chrono::steady_clock::now();
      if (out.empty() && now - last_beat > std::chrono::seconds(15)) out = ": keep-alive\n\n";
      if (!out.empty()) {
        broadcast(out);
        last_beat = now;
      }
    }
  }

  context& ctx_;
  std::unique_ptr<events::log_reader> reader_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // a client arrived, or stopping
  std::vector<std::shared_ptr<stream_writer>> clients_;
};

std::shared_ptr<stream_hub> add_stream_routes(router& r, context& ctx) {
  auto hub = std::make_shared<stream_hub>(ctx);
  hub->start();
  std::weak_ptr<stream_hub> weak = hub;
  r.add("GET", "/api/v1/stream", [&ctx, weak](request&& req, path_params&&, responder out) {
    auto who = require(ctx, req, out, access::read);
    if (!who) return;
    auto h = weak.lock();
    if (!h)
      return out.respond(json(503, R"({"error":{"code":"unavailable","message":"stopping"}})"));
    response head;
    head.content_type = "text/event-stream";
    head.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
    head.body = "retry: 2000\n: connected\n\n";
    auto w = out.start_stream(std::move(head));
    if (w) h->add(std::move(w));
  });
  return hub;
}

void stop_stream_hub(const std::shared_ptr<stream_hub>& hub) {
  if (hub) hub->stop();
}

}  // namespace roms::http::api
