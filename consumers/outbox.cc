#include "consumers/outbox.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>

#include "consumers/derived_id.h"
#include "consumers/media_link.h"
#include "consumers/runner.h"
#include "core/errc.h"
#include "core/metrics.h"
#include "core/thread_name.h"
#include "events/payload.h"
#include "events/types/messaging.h"
#include "projections/read_models/messages.h"

namespace roms::consumers {

namespace {

using projections::message_record;
using kind = send_error::kind;

constexpr std::string_view kActor = "outbox";

send_error make_error(kind k, std::string code, std::string message) {
  send_error e;
  e.what = k;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

std::string sending_key(std::string_view id, int64_t attempt) {
  return "message.sending:" + std::string(id) + ":" + std::to_string(attempt);
}

// sent and failed of one attempt share one id: whichever is recorded first is the outcome.
std::string outcome_key(std::string_view id, int64_t attempt) {
  return "message.outcome:" + std::string(id) + ":" + std::to_string(attempt);
}

bool is_http_url(std::string_view u) {
  return u.starts_with("https://") || u.starts_with("http://");
}

}  // namespace

std::string_view to_string(channel_state s) {
  switch (s) {
    case channel_state::connected:
      return "connected";
    case channel_state::pairing:
      return "pairing";
    case channel_state::disconnected:
      break;
  }
  return "disconnected";
}

outbox::outbox(events::event_log& log, std::shared_ptr<projections::projection_store> store,
               projection_runner& runner, channel& ch, const clock& clk, outbox_options o)
    : log_(log),
      store_(std::move(store)),
      runner_(runner),
      ch_(ch),
      clk_(clk),
      opts_(std::move(o)) {
  counters_.gateway = std::string(ch_.name());
  register_metrics();
}

outbox::~outbox() {
  stop();
  if (opts_.metrics) {
    for (const auto& n : metric_names_) opts_.metrics->remove(n);
  }
}

void outbox::register_metrics() {
  if (!opts_.metrics) return;
  auto& r = *opts_.metrics;
  r.gauge_callback("roms_outbox_up", "1 while the outbox dispatcher runs.", [this] {
    std::lock_guard lk(mu_);
    return running_ ? 1.0 : 0.0;
  });
  r.gauge_callback("roms_outbox_connected", "1 while the messaging channel is connected.", [this] {
    std::lock_guard lk(mu_);
    return state_ == channel_state::connected ? 1.0 : 0.0;
  });
  metric_names_ = {"roms_outbox_up", "roms_outbox_connected"};
  r.counter("roms_outbox_sent_total", "Messages the gateway accepted.");
  r.counter("roms_outbox_failed_total", "Attempts recorded as failed, by code.", {"code"});
  r.counter("roms_outbox_attempts_total", "Requests that could deliver a message.");
  r.counter("roms_outbox_duplicates_total",
            "Attempts the log already had (replays, a lagging read model): nothing sent.");
  r.counter("roms_outbox_in_doubt_total", "Messages found sending without outcome, by resolution.",
            {"resolution"});
}

result_msg<void> outbox::start() {
  if (store_->read_only()) return error_info{errc::unsupported, "the store is read-only"};
  std::lock_guard lk(mu_);
  if (running_) return error_info{errc::conflict, "the outbox is already running"};
  running_ = true;
  stop_ = false;
  counters_.running = true;
  thread_ = std::thread([this] {
    set_thread_name("roms-outbox");
    loop();
  });
  return success();
}

void outbox::stop() {
  {
    std::lock_guard lk(mu_);
    if (!running_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lk(mu_);
  running_ = false;
  counters_.running = false;
}

bool outbox::running() const {
  std::lock_guard lk(mu_);
  return running_;
}

void outbox::wake() {
  {
    std::lock_guard lk(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

outbox_status outbox::status() const {
  std::lock_guard lk(mu_);
  outbox_status s = counters_;
  s.state = state_;
  s.detail = detail_;
  return s;
}

void outbox::note(const std::string& line) {
  if (opts_.log_to_stderr) std::fprintf(stderr, "outbox: %s\n", line.c_str());
}

void outbox::loop() {
  std::string last_error;
  while (true) {
    {
      std::lock_guard lk(mu_);
      if (stop_) break;
    }
    auto r = pass();
    std::chrono::milliseconds wait = opts_.poll_every;
    if (!r) {
      // The log or the store failed: nothing half-done is lost (the next pass sees the state
      // the log holds); say it once, then retry more slowly.
      if (r.error().message != last_error) note("pass failed: " + r.error().message);
      last_error = r.error().message;
      std::lock_guard lk(mu_);
      counters_.last_error = last_error;
      wait = std::max<std::chrono::milliseconds>(wait, std::chrono::seconds(1));
    } else {
      last_error.clear();
      // A full batch went out: more may be due, go on without waiting.
      if (r.value().connected && r.value().due >= opts_.batch) wait = std::chrono::milliseconds(0);
    }
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, wait, [&] { return stop_ || wake_; });
    wake_ = false;
  }
}

result_msg<outbox_pass> outbox::run_once() { return pass(); }

result_msg<events::append_result> outbox::append(events::envelope e) {
  auto r = log_.append(std::span<const events::envelope>(&e, 1));
  if (!r) return error_info{r.error(), "cannot append " + e.type + " to the log"};
  auto a = r.value()[0];
  pending_.push_back(a.position);
  return a;
}

events::envelope outbox::make_event(const message_record& m, std::string id, std::string_view type,
                                    std::string payload) const {
  events::envelope e;
  e.id = std::move(id);
  e.type = std::string(type);
  e.stream = m.id;
  e.time = clk_.now();
  e.actor = std::string(kActor);
  e.correlation_id = m.idempotency_key;
  e.causation_id = m.queued_event_id;
  e.payload = std::move(payload);
  return e;
}

std::chrono::milliseconds outbox::backoff(const std::string& message_id, int64_t failures) const {
  using ms = std::chrono::milliseconds;
  int64_t base = opts_.backoff_base.count();
  int64_t cap = std::max<int64_t>(opts_.backoff_max.count(), base);
  int64_t d = base;
  for (int64_t i = 1; i < failures && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  // Up to 20 % more, the same for the same (message, failure): retries of many messages
  // queued together spread out, and the value is reproducible.
  unsigned char h[SHA256_DIGEST_LENGTH];
  std::string k = message_id + ":" + std::to_string(failures);
  SHA256(reinterpret_cast<const unsigned char*>(k.data()), k.size(), h);
  uint32_t r = (uint32_t{h[0]} << 8) | h[1];
  d += d / 5 * static_cast<int64_t>(r) / 65535;
  return ms(d);
}

result_msg<void> outbox::record_failure(const message_record& m, int64_t attempt,
                                        const send_error& e, outbox_pass& rep,
                                        bool counts_failure) {
  events::message_failed f;
  f.message_id = m.id;
  f.attempt = attempt;
  f.error = e.message;
  f.code = e.code;
  const timestamp now = clk_.now();
  if (e.retryable()) {
    const int64_t failures = m.failures + (counts_failure ? 1 : 0);
    if (counts_failure && failures >= opts_.max_failures) {
      f.retryable = false;
      f.code = "gave_up";
      f.error =
          "gave up after " + std::to_string(failures) + " failed attempts; last: " + e.message;
    } else {
      f.retryable = true;
      if (e.what == kind::disconnected) f.code = "disconnected";
      auto delay = counts_failure ? backoff(m.id, failures) : std::chrono::milliseconds(0);
      f.retry_at =
          format_rfc3339(now + std::chrono::duration_cast<std::chrono::microseconds>(delay));
    }
  } else {
    f.retryable = false;
  }
  if (e.what == kind::unknown_delivery) f.in_doubt = true;
  auto a = append(make_event(m, derived_event_id(outcome_key(m.id, attempt)),
                             events::message_failed::kType, events::encode_payload(f)));
  if (!a) return a.error();
  if (a.value().duplicate) {
    ++rep.duplicates;
    return success();
  }
  ++rep.failed;
  if (opts_.metrics)
    opts_.metrics->counter("roms_outbox_failed_total", "", {"code"}).labels({f.code}).inc();
  {
    std::lock_guard lk(mu_);
    ++counters_.failed;
  }
  if (f.code != "disconnected") {
    note(m.id + " attempt " + std::to_string(attempt) + ": " +
         (f.retryable ? "will retry at " + f.retry_at : std::string("failed")) + " (" + f.code +
         "): " + f.error);
  }
  return success();
}

result_msg<void> outbox::refresh_status(const projections::read_view& v, bool force) {
  auto recorded = projections::messages_query::whatsapp_status(v);
  const auto now = std::chrono::steady_clock::now();
  channel_state known;
  {
    std::lock_guard lk(mu_);
    known = state_;
  }
  // A webhook (WAHA session.status) said it is back: ask now rather than at the next poll.
  if (recorded && recorded->gateway == ch_.name() && recorded->status == "connected" &&
      known != channel_state::connected)
    force = true;
  if (!force && now < next_status_) return success();
  channel_status st = ch_.status();
  {
    std::lock_guard lk(mu_);
    if (st.state != state_) {
      note(std::string(ch_.name()) + " is " + std::string(to_string(st.state)) + " (" + st.detail +
           ")");
    }
    state_ = st.state;
    detail_ = st.detail;
  }
  next_status_ = now + (st.state == channel_state::connected ? opts_.status_every_connected
                                                             : opts_.status_every_disconnected);
  const std::string status(to_string(st.state));
  if (recorded && recorded->status == status && recorded->gateway == ch_.name()) return success();
  events::whatsapp_status_changed c;
  c.gateway = std::string(ch_.name());
  c.status = status;
  c.detail = st.detail;
  events::envelope e;
  e.time = clk_.now();
  e.id = events::new_event_id(e.time);
  e.type = std::string(events::whatsapp_status_changed::kType);
  e.stream = "whatsapp";
  e.actor = std::string(kActor);
  e.payload = events::encode_payload(c);
  auto a = append(std::move(e));
  if (!a) return a.error();
  return success();
}

result_msg<void> outbox::resolve_in_doubt(const message_record& m, outbox_pass& rep) {
  const timestamp now = clk_.now();
  const int64_t since_us = to_micros(now) - m.sending_us;
  if (since_us <
      std::chrono::duration_cast<std::chrono::microseconds>(opts_.in_doubt_grace).count()) {
    ++rep.in_doubt_waiting;
    return success();
  }
  outbound_message om;
  om.message_id = m.id;
  om.idempotency_key = m.idempotency_key;
  om.attempt = m.attempts;
  om.to = m.to;
  om.body = m.body;
  om.wa_template = m.wa_template;
  om.media = m.media;
  lookup_result lr = ch_.find_sent(om, from_micros(m.sending_us));
  bool answered = false;
  if (auto it = answered_.find(m.id); it != answered_.end() && it->second == m.attempts)
    answered = true;
  std::string resolution;
  if (lr.what == lookup_result::kind::found) {
    events::message_sent s;
    s.message_id = m.id;
    s.gateway = std::string(ch_.name());
    s.gateway_message_id = lr.gateway_message_id;
    s.attempt = m.attempts;
    s.via = "lookup";
    auto a = append(make_event(m, derived_event_id(outcome_key(m.id, m.attempts)),
                               events::message_sent::kType, events::encode_payload(s)));
    if (!a) return a.error();
    resolution = "found";
    note(m.id + " attempt " + std::to_string(m.attempts) + ": found at the gateway, recorded sent");
  } else if (lr.what == lookup_result::kind::not_found && answered) {
    // The gateway finished the request with an error and its chat does not hold the message:
    // it was not sent.
    auto f = record_failure(
        m, m.attempts,
        make_error(kind::retryable, "not_sent",
                   "the gateway answered with an error and does not have the message"),
        rep, true);
    if (!f) return f.error();
    resolution = "not_sent";
  } else if (lr.what == lookup_result::kind::unavailable &&
             since_us <
                 std::chrono::duration_cast<std::chrono::microseconds>(opts_.in_doubt_give_up)
                     .count()) {
    ++rep.in_doubt_waiting;
    return success();  // ask again on a later pass
  } else {
    auto f = record_failure(
        m, m.attempts,
        make_error(kind::unknown_delivery, "unknown_delivery",
                   "unknown delivery: the attempt was interrupted after the request may have "
                   "reached " +
                       std::string(ch_.name()) + " (" + lr.detail +
                       "); not resent automatically — check with the customer, then retry it"),
        rep, false);
    if (!f) return f.error();
    resolution = "unknown_delivery";
  }
  answered_.erase(m.id);
  ++rep.in_doubt_resolved;
  if (opts_.metrics) {
    opts_.metrics->counter("roms_outbox_in_doubt_total", "", {"resolution"})
        .labels({resolution})
        .inc();
  }
  return success();
}

result_msg<void> outbox::dispatch(const message_record& m, const projections::read_view& v,
                                  outbox_pass& rep) {
  const timestamp now = clk_.now();
  const int64_t now_us = to_micros(now);
  const int64_t attempt = m.attempts + 1;

  if (opts_.max_age.count() > 0 &&
      now_us - m.created_us >
          std::chrono::duration_cast<std::chrono::microseconds>(opts_.max_age).count()) {
    return record_failure(
        m, attempt,
        make_error(kind::rejected, "expired",
                   "queued at " + m.created_at + ", more than " +
                       std::to_string(opts_.max_age.count() / 3600) + " h ago: not sent"),
        rep, false);
  }

  outbound_message om;
  om.message_id = m.id;
  om.idempotency_key = m.idempotency_key;
  om.attempt = attempt;
  om.to = m.to;
  om.body = m.body;
  om.wa_template = m.wa_template;
  om.media = m.media;
  if (m.media) {
    if (!m.media->sha256.empty()) {
      if (opts_.public_url.empty() || !opts_.signer || !is_sha256_hex(m.media->sha256)) {
        return record_failure(
            m, attempt,
            make_error(kind::rejected, "invalid",
                       "stored media need ROMS_PUBLIC_URL (a URL the gateway can reach) for "
                       "their signed link"),
            rep, false);
      }
      om.media_link = opts_.signer->sign_url(
          opts_.public_url, m.media->sha256,
          now + std::chrono::duration_cast<std::chrono::microseconds>(opts_.media_link_ttl));
    } else if (is_http_url(m.media->url)) {
      om.media_link = m.media->url;
    } else {
      return record_failure(m, attempt,
                            make_error(kind::rejected, "invalid", "media without a file or a URL"),
                            rep, false);
    }
  }
  const int64_t last_in = projections::messages_query::last_inbound_us(v, m.customer_id, m.to);
  om.window_open =
      last_in > 0 &&
      now_us - last_in <
          std::chrono::duration_cast<std::chrono::microseconds>(opts_.customer_window).count();

  // 1. The attempt, durable before anything leaves.
  events::message_sending s;
  s.message_id = m.id;
  s.attempt = attempt;
  s.gateway = std::string(ch_.name());
  auto a = append(make_event(m, derived_event_id(sending_key(m.id, attempt)),
                             events::message_sending::kType, events::encode_payload(s)));
  if (!a) return a.error();
  if (a.value().duplicate) {
    // Attempt n exists already: the read model is behind the log (a replay, a rebuild, a
    // restart). Never send; the next pass sees what happened once it has caught up.
    ++rep.duplicates;
    if (opts_.metrics) opts_.metrics->counter("roms_outbox_duplicates_total", "").get().inc();
    std::lock_guard lk(mu_);
    ++counters_.duplicates;
    return success();
  }

  // 2. The one request.
  {
    std::lock_guard lk(mu_);
    ++counters_.requests;
  }
  if (opts_.metrics) opts_.metrics->counter("roms_outbox_attempts_total", "").get().inc();
  send_result r = ch_.send(om);

  // 3. The outcome.
  if (r) {
    events::message_sent sent;
    sent.message_id = m.id;
    sent.gateway = std::string(ch_.name());
    sent.gateway_message_id = r.value();
    sent.attempt = attempt;
    sent.via = "response";
    auto o = append(make_event(m, derived_event_id(outcome_key(m.id, attempt)),
                               events::message_sent::kType, events::encode_payload(sent)));
    // If this append fails the message stays "sending": the in-doubt path finds it at the
    // gateway later. Nothing is resent.
    if (!o) return o.error();
    ++rep.sent;
    if (opts_.metrics) opts_.metrics->counter("roms_outbox_sent_total", "").get().inc();
    std::lock_guard lk(mu_);
    ++counters_.sent;
    return success();
  }
  const send_error& e = r.error();
  switch (e.what) {
    case kind::unknown_delivery:
      // No outcome: the message stays "sending" and the in-doubt path decides after the grace
      // period (consumers/README.md, the crash rule).
      if (e.gateway_answered) answered_[m.id] = attempt;
      note(m.id + " attempt " + std::to_string(attempt) + ": delivery unknown (" + e.code +
           "): " + e.message);
      return success();
    case kind::disconnected: {
      {
        std::lock_guard lk(mu_);
        state_ = channel_state::disconnected;
        detail_ = e.message;
      }
      next_status_ = {};  // ask the channel at the next pass
      hold_until_ = std::chrono::steady_clock::now() + opts_.status_every_disconnected;
      return record_failure(m, attempt, e, rep, false);
    }
    case kind::retryable:
    case kind::rejected:
      break;
  }
  return record_failure(m, attempt, e, rep, e.what == kind::retryable);
}

result_msg<outbox_pass> outbox::pass() {
  std::lock_guard pl(pass_mu_);
  outbox_pass rep;
  {
    std::lock_guard lk(mu_);
    ++counters_.passes;
  }
  // Read your own writes: the read model must show every event this dispatcher appended.
  for (const auto& p : pending_) {
    if (!runner_.wait_for(p, opts_.projection_wait)) {
      rep.waiting = "the projections have not applied the outbox's last events yet";
      return rep;
    }
  }
  pending_.clear();
  auto info = store_->info("messages");
  if (!info) return info.error();
  if (info.value().stale()) {
    rep.waiting = "the messages read model is being rebuilt";
    return rep;
  }
  auto view = store_->view("messages");
  if (!view) return view.error();
  const auto& v = *view.value();

  BOOST_OUTCOME_TRY(refresh_status(v, false));

  {
    std::lock_guard lk(mu_);
    rep.connected = state_ == channel_state::connected;
  }
  if (!rep.connected) {
    // Messages in doubt wait too: the gateway could not be asked about them.
    rep.waiting = "the channel is not connected";
    return rep;
  }

  for (const auto& m : projections::messages_query::sending(v, opts_.batch)) {
    BOOST_OUTCOME_TRY(resolve_in_doubt(m, rep));
  }
  if (std::chrono::steady_clock::now() < hold_until_) {
    rep.waiting = "the gateway refused the last send as disconnected";
    return rep;
  }
  auto due = projections::messages_query::due(v, to_micros(clk_.now()), opts_.batch);
  rep.due = due.size();
  for (const auto& m : due) {
    {
      std::lock_guard lk(mu_);
      if (stop_) break;
    }
    BOOST_OUTCOME_TRY(dispatch(m, v, rep));
    std::lock_guard lk(mu_);
    if (state_ != channel_state::connected) {
      rep.connected = false;
      rep.waiting = "the channel dropped";
      break;
    }
  }
  return rep;
}

}  // namespace roms::consumers
