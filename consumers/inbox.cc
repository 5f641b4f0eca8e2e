#include "consumers/inbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "consumers/derived_id.h"
#include "consumers/internal/consumer_state.h"
#include "core/errc.h"
#include "core/metrics.h"
#include "core/thread_name.h"
#include "events/payload.h"
#include "events/types.h"

namespace roms::consumers {
namespace {

using namespace std::chrono_literals;
constexpr const char* kFile = "inbox.json";
using inbox_file = internal::consumer_state;

result_msg<std::optional<inbox_file>> load_file(const std::filesystem::path& dir) {
  return internal::load_consumer_state(dir, kFile,
                                       "removing it makes the inbox start at the log's end");
}

result_msg<void> save_file(const std::filesystem::path& dir, const inbox_file& s) {
  return internal::save_consumer_state(dir, kFile, s);
}

template <class T>
result_msg<inbox::payload> decode_as(const events::stored_event& e) {
  auto r = events::decode_payload<T>(e.event.payload);
  if (!r)
    return error_info{r.error().code, "inbox: event at " + events::to_string(e.position, false) +
                                          " (" + e.event.type + "): " + r.error().message};
  return inbox::payload(std::move(r).value());
}

result_msg<inbox::payload> decode(const events::stored_event& e) {
  const auto& t = e.event.type;
  if (t == events::message_received::kType) return decode_as<events::message_received>(e);
  if (t == events::message_queued::kType) return decode_as<events::message_queued>(e);
  if (t == events::clock_ticked::kType) return inbox::payload(events::clock_ticked{});
  if (t == events::customer_registered::kType) return decode_as<events::customer_registered>(e);
  if (t == events::session_started::kType) return decode_as<events::session_started>(e);
  if (t == events::session_refreshed::kType) return decode_as<events::session_refreshed>(e);
  if (t == events::session_ended::kType) return decode_as<events::session_ended>(e);
  if (t == events::user_updated::kType) return decode_as<events::user_updated>(e);
  if (t == events::conversation_opened::kType) return decode_as<events::conversation_opened>(e);
  if (t == events::conversation_message_linked::kType)
    return decode_as<events::conversation_message_linked>(e);
  if (t == events::conversation_assigned::kType) return decode_as<events::conversation_assigned>(e);
  if (t == events::conversation_closed::kType) return decode_as<events::conversation_closed>(e);
  if (t == events::agent_status_changed::kType) return decode_as<events::agent_status_changed>(e);
  if (t == events::agent_seen::kType) return decode_as<events::agent_seen>(e);
  if (t == events::inbox_settings_changed::kType)
    return decode_as<events::inbox_settings_changed>(e);
  return inbox::payload{};
}

events::envelope to_envelope(const inbox::output& o, const events::envelope& cause) {
  events::envelope e;
  e.id = derived_event_id(o.key);
  std::visit(
      [&]<class T>(const T& p) {
        e.type = std::string(T::kType);
        e.version = T::kVersion;
        e.payload = events::encode_payload(p);
      },
      o.body);
  e.stream = o.stream;
  e.time = cause.time;
  e.actor = "inbox";
  e.correlation_id = cause.correlation_id;
  e.causation_id = cause.id;
  return e;
}

inbox::state::id_fn id_maker() {
  return [](std::string_view prefix, std::string_view key) { return derived_id(prefix, key); };
}

}  // namespace

inbox_runner::inbox_runner(events::event_log& log, inbox_runner_options opts)
    : log_(log), opts_(std::move(opts)), state_(id_maker()) {
  register_metrics();
}

inbox_runner::~inbox_runner() {
  stop();
  if (opts_.metrics)
    for (const auto& n : metric_names_) opts_.metrics->remove(n);
}

void inbox_runner::register_metrics() {
  if (!opts_.metrics) return;
  auto& reg = *opts_.metrics;
  reg.counter("roms_inbox_appended_total", "Events the CS inbox appended (its decisions).");
  reg.counter("roms_inbox_duplicates_total",
              "Decisions the log already held (a restart or a replay deciding again).");
  reg.gauge_callback("roms_inbox_runner_up", "1 while the inbox runner is running.",
                     [this] { return running() ? 1.0 : 0.0; });
  reg.gauge_callback("roms_inbox_open_conversations", "Open conversations.", [this] {
    std::lock_guard lk(mu_);
    return static_cast<double>(state_.open_conversations());
  });
  reg.gauge_callback("roms_inbox_unassigned", "Open conversations waiting for an agent.", [this] {
    std::lock_guard lk(mu_);
    return static_cast<double>(state_.unassigned().size());
  });
  reg.gauge_callback("roms_inbox_agents_online", "Agents ONLINE.", [this] {
    std::lock_guard lk(mu_);
    double n = 0;
    for (const auto& [id, a] : state_.agents()) n += a.online ? 1 : 0;
    return n;
  });
  metric_names_ = {"roms_inbox_runner_up", "roms_inbox_open_conversations", "roms_inbox_unassigned",
                   "roms_inbox_agents_online"};
}

result_msg<void> inbox_runner::open_state() {
  if (opts_.state_dir.empty())
    return error_info{errc::invalid_argument, "inbox runner: state_dir is required"};
  BOOST_OUTCOME_TRY(auto loaded, load_file(opts_.state_dir));
  auto st = log_.stats();
  if (!st) return error_info{st.error(), "inbox runner: cannot read the log's end"};
  const auto& end = st.value().end_offsets;
  inbox_file f;
  bool changed = false;
  if (loaded) {
    f = std::move(*loaded);
  } else {
    f.origin = opts_.origin_at_zero ? std::vector<int64_t>(end.size(), 0) : end;
    f.position = f.origin;
    changed = true;
  }
  while (f.origin.size() < end.size()) {
    f.origin.push_back(end[f.origin.size()]);
    changed = true;
  }
  while (f.position.size() < f.origin.size()) f.position.push_back(f.origin[f.position.size()]);
  if (changed) {
    BOOST_OUTCOME_TRY(save_file(opts_.state_dir, f));
  }
  std::lock_guard lk(mu_);
  origin_ = std::move(f.origin);
  position_ = std::move(f.position);
  // The state is folded from 0 at every start.
  state_ = inbox::state(id_maker());
  folded_.assign(origin_.size(), 0);
  last_persist_ = std::chrono::steady_clock::now();
  return success();
}

result_msg<void> inbox_runner::persist() {
  inbox_file f;
  {
    std::lock_guard lk(mu_);
    if (!dirty_) return success();
    f.origin = origin_;
    f.position = position_;
    dirty_ = false;
  }
  auto r = save_file(opts_.state_dir, f);
  std::lock_guard lk(mu_);
  if (!r) dirty_ = true;
  last_persist_ = std::chrono::steady_clock::now();
  return r;
}

result_msg<void> inbox_runner::loop(bool until_end, std::vector<int64_t> end) {
  std::vector<int64_t> from;
  {
    std::lock_guard lk(mu_);
    from = folded_;
  }
  auto reader = log_.open_reader(from);
  if (!reader) return error_info{reader.error(), "inbox runner: cannot read the log"};
  auto done = [&] {
    if (!until_end) return false;
    std::lock_guard lk(mu_);
    for (size_t p = 0; p < end.size(); ++p)
      if ((p < folded_.size() ? folded_[p] : 0) < end[p]) return false;
    return true;
  };
  while (!stopping_ && !done()) {
    auto batch = reader.value()->read(opts_.batch_events, opts_.poll_wait);
    if (!batch) {
      if (batch.error() == make_error_code(errc::unavailable) ||
          batch.error() == make_error_code(errc::timeout)) {
        std::this_thread::sleep_for(200ms);
        continue;
      }
      return error_info{batch.error(), "inbox runner: reading the log failed"};
    }
    if (batch.value().empty()) continue;
    std::vector<events::envelope> out;
    std::set<std::string> ids;
    std::vector<int64_t> reached;
    {
      std::lock_guard lk(mu_);
      for (const auto& e : batch.value()) {
        const auto part = static_cast<size_t>(e.position.partition);
        if (folded_.size() <= part) folded_.resize(part + 1, 0);
        if (origin_.size() <= part) origin_.resize(part + 1, 0);
        if (position_.size() <= part) position_.resize(part + 1, origin_[part]);
        if (inbox::wants(e.event.type)) {
          auto body = decode(e);
          if (!body) return body.error();
          inbox::input in{e.event.id, to_micros(e.event.time), e.event.actor,
                          std::move(body).value()};
          const bool before_origin = e.position.offset < origin_[part];
          const bool decided_before = e.position.offset < position_[part];
          auto outs = state_.apply(in, !before_origin);
          if (!before_origin && !decided_before) {
            for (const auto& o : outs) {
              auto env = to_envelope(o, e.event);
              if (ids.insert(env.id).second) out.push_back(std::move(env));
            }
          }
        }
        folded_[part] = e.position.offset + 1;
      }
      reached = folded_;
    }
    if (!out.empty()) {
      auto backoff = 100ms;
      std::vector<events::append_result> res;
      for (;;) {
        auto a = log_.append(out);
        if (a) {
          res = std::move(a).value();
          break;
        }
        if (stopping_) return persist();  // not consumed: decided again at the next start
        std::this_thread::sleep_for(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
      }
      uint64_t fresh = 0, dup = 0;
      for (const auto& r : res) (r.duplicate ? dup : fresh)++;
      if (opts_.metrics) {
        if (fresh) opts_.metrics->counter("roms_inbox_appended_total", "").get().inc(fresh);
        if (dup) opts_.metrics->counter("roms_inbox_duplicates_total", "").get().inc(dup);
      }
      std::lock_guard lk(mu_);
      appended_ += fresh;
      duplicates_ += dup;
    }
    bool due;
    {
      std::lock_guard lk(mu_);
      for (size_t p = 0; p < reached.size(); ++p)
        if (reached[p] > position_[p]) {
          position_[p] = reached[p];
          dirty_ = true;
        }
      due = dirty_ && (!out.empty() || std::chrono::steady_clock::now() - last_persist_ >= 1s);
    }
    cv_.notify_all();
    if (due) {
      BOOST_OUTCOME_TRY(persist());
    }
  }
  return persist();
}

result_msg<void> inbox_runner::start() {
  {
    std::lock_guard lk(mu_);
    if (running_) return error_info{errc::conflict, "inbox runner: already running"};
  }
  BOOST_OUTCOME_TRY(open_state());
  {
    std::lock_guard lk(mu_);
    running_ = true;
    error_.reset();
  }
  stopping_ = false;
  thread_ = std::thread([this] {
    set_thread_name("roms-inbox");
    auto r = loop(false, {});
    std::lock_guard lk(mu_);
    if (!r) error_ = r.error();
    running_ = false;
    cv_.notify_all();
  });
  return success();
}

void inbox_runner::stop() {
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool inbox_runner::running() const {
  std::lock_guard lk(mu_);
  return running_;
}

result_msg<void> inbox_runner::run_until_end() {
  {
    std::lock_guard lk(mu_);
    if (running_) return error_info{errc::conflict, "inbox runner: running on its thread"};
  }
  stopping_ = false;
  BOOST_OUTCOME_TRY(open_state());
  auto st = log_.stats();
  if (!st) return error_info{st.error(), "inbox runner: cannot read the log's end"};
  return loop(true, st.value().end_offsets);
}

result_msg<void> inbox_runner::reset_position(std::vector<int64_t> position) {
  if (running()) return error_info{errc::conflict, "inbox runner: stop it first"};
  BOOST_OUTCOME_TRY(auto loaded, load_file(opts_.state_dir));
  if (!loaded) return error_info{errc::not_found, "inbox runner: never ran here"};
  loaded->position = std::move(position);
  while (loaded->position.size() < loaded->origin.size()) loaded->position.push_back(0);
  return save_file(opts_.state_dir, *loaded);
}

bool inbox_runner::wait_for(events::log_position p, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  const auto part = static_cast<size_t>(p.partition);
  return cv_.wait_for(lk, timeout, [&] {
    return (part < position_.size() && position_[part] > p.offset) ||
           (part < origin_.size() && p.offset < origin_[part]);
  });
}

inbox_runner_status inbox_runner::status() const {
  std::lock_guard lk(mu_);
  inbox_runner_status s;
  s.running = running_;
  s.position = position_;
  s.origin = origin_;
  s.appended = appended_;
  s.duplicates = duplicates_;
  s.error = error_;
  return s;
}

inbox::state inbox_runner::snapshot() const {
  std::lock_guard lk(mu_);
  return state_;
}

}  // namespace roms::consumers
