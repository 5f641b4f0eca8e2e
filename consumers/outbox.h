// outbox: the dispatcher — the only component that talks to the outside. It sends the queued
// messages (the messages read model, oldest first) through one channel and records every step
// as an event. Design and the crash rule: consumers/README.md "Outbox and WhatsApp".
//
//   consumers::outbox_options o;
//   o.public_url = cfg.public_url;             // ROMS_PUBLIC_URL, for signed media links
//   o.signer = signer.get();                   // consumers/media_link.h
//   o.metrics = &metrics;
//   consumers::outbox box(*log, store, *runner, *channel, clk, o);
//   box.start();                               // after runner.start()
//   ...
//   box.stop();                                // before runner.stop()
//
// The send protocol, per message and attempt n (n = attempts recorded so far + 1):
//   1. append message.sending {attempt n}, event id derived from (message, n); durable
//      before anything leaves. If the log already had that id (duplicate), attempt n was made
//      before — by this process before a crash, or by a replay — and nothing is sent: the
//      dispatcher waits for the read model to show what happened instead.
//   2. channel.send() — at most one request that could deliver it.
//   3. append message.sent {gateway_message_id} or message.failed {retryable, retry_at} with
//      the event id derived from (message, n, "outcome"): exactly one outcome per attempt.
// A message found "sending" with no outcome (a crash between 1 and 3, or a lost answer) is
// never sent again blindly: after a grace period the channel is asked whether it has it
// (find_sent). Found → message.sent (via "lookup"). Otherwise → message.failed {in_doubt,
// code unknown_delivery, not retryable}: an Admin retries it by hand (message.retry_requested)
// — unless the gateway itself answered the attempt with an error and its lookup works, which
// proves it was not sent (then: a normal retryable failure).
//
// Replay safety: the dispatcher keeps no position of its own. What is queued is what the log
// says (the read model is a fold of it), and the log's id deduplication makes step 1 the lock:
// rebuilding or replaying projections, re-running rules (same derived ids) or restarting never
// produces an attempt the log does not already have an outcome or a sending for.
//
// Before each pass the dispatcher waits until the projections have applied its own appends
// (read your writes), and it does nothing while the messages read model is stale (being
// rebuilt for a new version). One dispatcher per log (Kafka: run it on one node).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "consumers/channel.h"
#include "core/result.h"
#include "core/time.h"
#include "events/log.h"
#include "projections/store.h"

namespace roms::metrics {
class registry;
}
namespace roms::projections {
struct message_record;
class read_view;
}  // namespace roms::projections

namespace roms::consumers {

class projection_runner;
class media_signer;

struct outbox_options {
  // ROMS_PUBLIC_URL and the media link signer: stored media (media_ref.sha256) go out as
  // expiring signed links under it. Without them a message with stored media fails (code
  // "invalid"). Default: none.
  std::string public_url;
  const media_signer* signer = nullptr;
  // How long a signed media link works. Default: 24 h.
  std::chrono::seconds media_link_ttl{24 * 3600};
  // The Cloud API's customer service window. Default: 24 h.
  std::chrono::seconds customer_window{24 * 3600};
  // Idle wait between passes (a pass runs sooner after wake()). Default: 250 ms.
  std::chrono::milliseconds poll_every{250};
  // How often the channel's status is asked while connected / while not. Default: 30 s / 3 s.
  std::chrono::milliseconds status_every_connected{30'000};
  std::chrono::milliseconds status_every_disconnected{3'000};
  // Retry delay after the k-th retryable failure: backoff_base * 2^(k-1), at most
  // backoff_max, plus up to 20 % (derived from the message id, so not random).
  // Default: 2 s, 10 min.
  std::chrono::milliseconds backoff_base{2'000};
  std::chrono::milliseconds backoff_max{600'000};
  // Retryable failures (not counting "disconnected") before giving up (code gave_up).
  // Default: 8.
  int max_failures = 8;
  // A message "sending" without outcome is looked up this long after its attempt started
  // (a slow gateway may still be working on it). Default: 60 s.
  std::chrono::milliseconds in_doubt_grace{60'000};
  // If the lookup stays unavailable this long, the message is marked unknown_delivery.
  // Default: 24 h.
  std::chrono::milliseconds in_doubt_give_up{24 * 3600 * 1000LL};
  // Messages queued longer ago than this are not sent (code expired); 0 = no limit. A
  // thank-you a week late does more harm than good. Default: 72 h.
  std::chrono::seconds max_age{72 * 3600};
  // Messages taken per pass. Default: 64.
  size_t batch = 64;
  // How long a pass waits for the projections to apply the dispatcher's own appends.
  // Default: 5 s.
  std::chrono::milliseconds projection_wait{5'000};
  // roms_outbox_sent_total, roms_outbox_failed_total{code}, roms_outbox_attempts_total,
  // roms_outbox_duplicates_total, roms_outbox_in_doubt_total{resolution},
  // roms_outbox_connected, roms_outbox_up. Default: none.
  metrics::registry* metrics = nullptr;
  // Lines about failures and state changes on stderr (message ids and codes only).
  // Default: true.
  bool log_to_stderr = true;
};

struct outbox_pass {
  size_t sent = 0;
  size_t failed = 0;      // outcomes recorded as failed (retryable or not)
  size_t duplicates = 0;  // attempts the log already had (replay, stale read model)
  size_t in_doubt_resolved = 0;
  size_t in_doubt_waiting = 0;
  size_t due = 0;  // messages due at the start of the pass
  bool connected = false;
  std::string waiting;  // why the pass did nothing ("" = it did what it could)
};

struct outbox_status {
  bool running = false;
  std::string gateway;
  channel_state state = channel_state::disconnected;
  std::string detail;
  uint64_t passes = 0;
  uint64_t sent = 0;
  uint64_t failed = 0;
  uint64_t duplicates = 0;
  uint64_t requests = 0;  // channel.send() calls
  std::string last_error;
};

class outbox {
 public:
  outbox(events::event_log& log, std::shared_ptr<projections::projection_store> store,
         projection_runner& runner, channel& ch, const clock& clk, outbox_options o = {});
  // Stops (see stop()).
  ~outbox();
  outbox(const outbox&) = delete;
  outbox& operator=(const outbox&) = delete;

  // Starts the dispatcher thread. Fails if already running or the store is read-only.
  result_msg<void> start();
  // Finishes the send in progress (its outcome is recorded), then stops. Idempotent.
  void stop();
  bool running() const;
  // Runs the next pass now (e.g. after a webhook said the channel is back).
  void wake();

  // One pass on the caller's thread, the dispatcher not started (tests, tools). The
  // projection runner must be running.
  result_msg<outbox_pass> run_once();

  outbox_status status() const;

 private:
  result_msg<outbox_pass> pass();
  void loop();
  result_msg<void> refresh_status(const projections::read_view& v, bool force);
  result_msg<void> dispatch(const projections::message_record& m, const projections::read_view& v,
                            outbox_pass& rep);
  result_msg<void> resolve_in_doubt(const projections::message_record& m, outbox_pass& rep);
  result_msg<events::append_result> append(events::envelope e);
  events::envelope make_event(const projections::message_record& m, std::string id,
                              std::string_view type, std::string payload) const;
  result_msg<void> record_failure(const projections::message_record& m, int64_t attempt,
                                  const send_error& e, outbox_pass& rep, bool counts_failure);
  std::chrono::milliseconds backoff(const std::string& message_id, int64_t failures) const;
  void note(const std::string& line);
  void register_metrics();

  events::event_log& log_;
  std::shared_ptr<projections::projection_store> store_;
  projection_runner& runner_;
  channel& ch_;
  const clock& clk_;
  outbox_options opts_;

  std::mutex pass_mu_;  // one pass at a time
  // Positions of the dispatcher's own appends the projections must apply before the next pass
  // reads the read model (pass_mu_).
  std::vector<events::log_position> pending_;
  // Attempts whose send got an error answer from the gateway (pass_mu_): a lookup that then
  // does not find the message proves it was not sent. Lost on restart (then: in doubt).
  std::map<std::string, int64_t, std::less<>> answered_;
  std::chrono::steady_clock::time_point next_status_{};
  // After a send refused as "disconnected", nothing is sent before this (pass_mu_), even if
  // the status poll says connected: the gateway's two answers disagree for a moment.
  std::chrono::steady_clock::time_point hold_until_{};

  mutable std::mutex mu_;  // everything below
  std::condition_variable cv_;
  bool running_ = false;
  bool stop_ = false;
  bool wake_ = false;
  channel_state state_ = channel_state::disconnected;
  std::string detail_;
  outbox_status counters_;
  std::thread thread_;
  std::vector<std::string> metric_names_;
};

}  // namespace roms::consumers
