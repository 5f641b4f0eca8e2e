#include "consumers/runner.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "consumers/internal/read_ahead.h"
#include "core/errc.h"
#include "core/metrics.h"
#include "core/thread_name.h"
#include "events/json_writer.h"
#include "events/payload.h"
#include "projections/read_models.h"

namespace roms::consumers {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using projections::durability;
using projections::fold_batch;
using projections::fold_target;

namespace {

error_info make_error(errc c, std::string msg) { return {make_error_code(c), std::move(msg)}; }

// Read errors worth retrying: the broker is away for a moment.
bool transient(const std::error_code& ec) {
  return ec == make_error_code(errc::unavailable) || ec == make_error_code(errc::timeout);
}

int64_t at(const std::vector<int64_t>& v, size_t i) { return i < v.size() ? v[i] : 0; }

// The log speaks result<T> (a bare error_code); the runner adds what it was doing.
template <class T>
result_msg<T> with_msg(result<T> r, const std::string& what) {
  if (r) return std::move(r).value();
  return error_info{r.error(), what + ": " + r.error().message()};
}

std::string position_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

void grow(std::vector<int64_t>& v, size_t n) {
  if (v.size() < n) v.resize(n, 0);
}

// Rate-limited progress reporting.
class progress_meter {
 public:
  explicit progress_meter(progress_fn fn) : fn_(std::move(fn)), t0_(clock_type::now()) {}
  void report(uint64_t done, uint64_t total, bool final = false) {
    if (!fn_) return;
    auto now = clock_type::now();
    if (!final && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double s = std::chrono::duration<double>(now - t0_).count();
    fn_(done, std::max(done, total), s > 0 ? static_cast<double>(done - base_) / s : 0.0);
  }
  void set_base(uint64_t b) { base_ = b; }

 private:
  progress_fn fn_;
  clock_type::time_point t0_;
  clock_type::time_point last_{};
  uint64_t base_ = 0;
};

uint64_t sum_over(const std::vector<int64_t>& v, const std::vector<int32_t>& parts) {
  uint64_t s = 0;
  for (int32_t p : parts)
    s += static_cast<uint64_t>(std::max<int64_t>(0, at(v, static_cast<size_t>(p))));
  return s;
}

}  // namespace

projection_runner::projection_runner(std::shared_ptr<projections::projection_store> store,
                                     events::event_log& log, runner_options opts)
    : store_(std::move(store)), log_(log), opts_(std::move(opts)) {
  opts_.batch_events = std::max<size_t>(opts_.batch_events, 1);
  opts_.rebuild_batch_events = std::max<size_t>(opts_.rebuild_batch_events, 1);
  for (const auto& i : store_->info())
    if (i.stale()) excluded_.insert(i.name);
  timer_ = std::thread([this] {
    set_thread_name("roms-timer");
    timer_loop();
  });
  register_metrics();
}

projection_runner::~projection_runner() {
  stop();
  {
    std::lock_guard lk(mu_);
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  if (opts_.metrics)
    for (const auto& n : metric_names_) opts_.metrics->remove(n);
}

namespace {
// True if any of `targets` folds a type whose payload read-ahead decodes.
bool wants_shared(const std::vector<std::shared_ptr<projections::fold_target>>& targets) {
  for (const auto& t : targets)
    for (auto type : projections::shared_payload_types())
      if (t->proj().wants(type)) return true;
  return false;
}
}  // namespace

size_t projection_runner::threads_for(size_t events) const {
  return events >= 256 ? std::max<size_t>(opts_.fold_threads, 1) : 1;
}

std::vector<int32_t> projection_runner::owned() const {
  if (!opts_.partitions.empty()) return opts_.partitions;
  std::vector<int32_t> out;
  for (int32_t p = 0; p < log_.partitions(); ++p) out.push_back(p);
  return out;
}

std::vector<std::shared_ptr<fold_target>> projection_runner::live_targets() const {
  std::vector<std::shared_ptr<fold_target>> out;
  std::lock_guard lk(mu_);
  for (const auto& p : store_->projections()) {
    if (excluded_.count(p->name())) continue;
    if (auto t = store_->live(p->name())) out.push_back(std::move(t));
  }
  return out;
}

std::vector<int64_t> projection_runner::start_positions(
    const std::vector<std::shared_ptr<fold_target>>& targets) const {
  auto parts = owned();
  size_t n = static_cast<size_t>(log_.partitions());
  std::vector<int64_t> from(n, 0);
  if (targets.empty()) {
    // Nothing to apply live yet (every projection stale): follow the log from its end; a
    // rebuild switches projections in at (at least) this position.
    if (auto st = log_.stats()) from = st.value().end_offsets;
    grow(from, n);
    return from;
  }
  for (int32_t p : parts) {
    int64_t m = INT64_MAX;
    for (const auto& t : targets) m = std::min(m, at(t->position(), static_cast<size_t>(p)));
    from[static_cast<size_t>(p)] = m;
  }
  return from;
}

result_msg<void> projection_runner::start() {
  if (store_->read_only())
    return make_error(errc::unsupported, "the projections store is read-only");
  {
    std::lock_guard lk(mu_);
    if (running_) return make_error(errc::conflict, "the projection runner is already running");
    running_ = true;
    stop_ = false;
    error_.reset();
    failed_at_.reset();
  }
  cancel_rebuild_ = false;
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  {
    std::lock_guard lk(mu_);
    checkpointer_stop_ = false;
    checkpoints_wanted_ = 0;
  }
  checkpointer_ = std::thread([this] {
    set_thread_name("roms-checkpoint");
    checkpoint_loop();
  });
  thread_ = std::thread([this] {
    set_thread_name("roms-runner");
    run_loop();
  });
  std::vector<std::string> stale;
  {
    std::lock_guard lk(mu_);
    stale.assign(excluded_.begin(), excluded_.end());
  }
  if (opts_.rebuild_stale_on_start && !stale.empty()) {
    rebuild_thread_ = std::thread([this, stale] {
      set_thread_name("roms-rebuild");
      auto r = rebuild(stale);
      (void)r;  // failures are in status() (projection_progress::error)
    });
  }
  return success();
}

void projection_runner::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cancel_rebuild_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lk(mu_);
    checkpointer_stop_ = true;  // a checkpoint being cut finishes; asks not started are dropped
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  bool was_running = false;
  {
    std::lock_guard lk(mu_);
    was_running = running_;
    running_ = false;
  }
  // The live loop commits without the WAL: make what it applied durable now, so a process
  // that exits after stop() finds it all on the next start (a crash folds it again instead).
  if (was_running && !store_->read_only()) (void)store_->flush();
  fire_all_waiters(false);
}

bool projection_runner::running() const {
  std::lock_guard lk(mu_);
  return running_;
}

void projection_runner::fail(error_info e, std::optional<events::log_position> pos) {
  {
    std::lock_guard lk(mu_);
    error_ = std::move(e);
    failed_at_ = pos;
    stop_ = true;
  }
  cv_.notify_all();
  fire_all_waiters(false);
}

void projection_runner::refresh_log_end() {
  auto st = log_.stats();
  if (!st) return;
  std::lock_guard lk(mu_);
  log_end_ = st.value().end_offsets;
}

void projection_runner::run_loop() {
  std::unique_ptr<events::log_reader> reader;
  auto next_stats = clock_type::now();
  uint64_t since_checkpoint = 0;
  std::chrono::milliseconds backoff{50};

  while (true) {
    {
      std::lock_guard lk(mu_);
      if (stop_) break;
    }
    if (clock_type::now() >= next_stats) {
      refresh_log_end();
      next_stats = clock_type::now() + std::chrono::seconds(1);
    }
    if (!reader) {
      std::lock_guard al(apply_mu_);
      auto from = start_positions(live_targets());
      auto r = log_.open_reader(from, opts_.partitions);
      if (!r) {
        if (transient(r.error())) {
          std::this_thread::sleep_for(backoff);
          backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
          continue;
        }
        fail(error_info{r.error(), "cannot open a log reader: " + r.error().message()},
             std::nullopt);
        break;
      }
      reader = std::move(r).value();
      committed_ = from;
    }

    auto rr = reader->read(opts_.batch_events, opts_.poll_wait);
    if (!rr) {
      if (transient(rr.error())) {
        reader.reset();  // reopen from the committed position
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
      fail(
          make_error(errc::corruption, "reading the log after position " +
                                           position_text(committed_) + ": " + rr.error().message()),
          std::nullopt);
      break;
    }
    backoff = std::chrono::milliseconds(50);
    auto& evs = rr.value();

    std::vector<int64_t> applied;
    bool failed = false;
    {
      std::lock_guard al(apply_mu_);
      auto targets = live_targets();
      fold_batch b(*store_, targets, durability::no_wal);
      std::optional<error_info> err;
      std::optional<events::log_position> err_at;
      if (!evs.empty()) {
        size_t bad = 0;
        auto r = b.apply(evs, threads_for(evs.size()), &bad);
        if (!r) {
          // Commit everything before the failing event, so the positions stop exactly on it.
          err = r.error();
          err_at = evs[bad].position;
          b.reset();
          (void)b.apply(std::span<const events::stored_event>(evs.data(), bad), threads_for(bad));
        }
        auto c = b.commit();
        if (!c && !err) {
          err = c.error();
          err_at.reset();
        }
      }
      if (err) {
        failed = true;
        fail(std::move(*err), err_at);
      } else {
        committed_ = reader->next_offsets();
      }
      // What every live projection has applied now.
      auto parts = owned();
      size_t n = static_cast<size_t>(log_.partitions());
      applied.assign(n, 0);
      for (int32_t p : parts) {
        int64_t m = targets.empty() ? -1 : INT64_MAX;
        for (size_t i = 0; i < b.targets(); ++i)
          m = std::min(m, at(b.position(i), static_cast<size_t>(p)));
        applied[static_cast<size_t>(p)] = m;
      }
      if (targets.empty()) applied.clear();
      if (!failed && !evs.empty() && opts_.metrics) {
        auto& fam =
            opts_.metrics->counter("roms_projection_events_applied_total",
                                   "Events applied by the live projection runner.", {"projection"});
        for (const auto& t : targets) fam.labels({t->name()}).inc(evs.size());
      }
    }
    {
      std::lock_guard lk(mu_);
      if (!failed) {
        events_applied_ += evs.size();
        if (!evs.empty()) ++batches_;
      }
    }
    publish_applied(std::move(applied));
    if (failed) break;

    since_checkpoint += evs.size();
    if (opts_.checkpoint_every_events > 0 && since_checkpoint >= opts_.checkpoint_every_events) {
      since_checkpoint = 0;
      {
        std::lock_guard lk(mu_);
        ++checkpoints_wanted_;
      }
      checkpoint_cv_.notify_one();
    }
  }
}

void projection_runner::checkpoint_loop() {
  std::unique_lock lk(mu_);
  for (;;) {
    checkpoint_cv_.wait(lk, [&] { return checkpointer_stop_ || checkpoints_wanted_ > 0; });
    if (checkpointer_stop_) return;
    --checkpoints_wanted_;
    lk.unlock();
    auto c = store_->checkpoint();
    lk.lock();
    if (c) {
      ++checkpoints_;
      checkpoint_error_.clear();
    } else {
      checkpoint_error_ = c.error().message;
    }
  }
}

void projection_runner::publish_applied(std::vector<int64_t> applied) {
  std::vector<std::function<void(bool)>> ready;
  {
    std::lock_guard lk(mu_);
    have_applied_ = !applied.empty();
    applied_ = std::move(applied);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (reached_locked(it->second.pos)) {
        ready.push_back(std::move(it->second.cb));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  cv_.notify_all();
  for (auto& cb : ready) cb(true);
}

bool projection_runner::reached_locked(events::log_position p) const {
  if (!have_applied_ || p.partition < 0) return false;
  return at(applied_, static_cast<size_t>(p.partition)) > p.offset;
}

std::vector<int64_t> projection_runner::applied() const {
  std::lock_guard lk(mu_);
  if (have_applied_) return applied_;
  // Not started: what the store holds.
  std::vector<int64_t> out;
  bool any = false;
  for (const auto& p : store_->projections()) {
    if (excluded_.count(p->name())) continue;
    auto t = store_->live(p->name());
    if (!t) continue;
    auto pos = t->position();
    if (!any) {
      out = pos;
      any = true;
      continue;
    }
    grow(out, pos.size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = std::min(out[i], at(pos, i));
  }
  return out;
}

bool projection_runner::reached(events::log_position p) const {
  auto a = applied();
  return p.partition >= 0 && at(a, static_cast<size_t>(p.partition)) > p.offset && !a.empty();
}

bool projection_runner::wait_for(events::log_position p, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  std::unique_lock lk(mu_);
  if (!running_) {
    lk.unlock();
    return reached(p);
  }
  return cv_.wait_until(lk, deadline, [&] { return reached_locked(p) || stop_; }) &&
         reached_locked(p);
}

void projection_runner::on_reached(events::log_position p, clock_type::time_point deadline,
                                   std::function<void(bool)> cb) {
  {
    std::unique_lock lk(mu_);
    bool now_reached = running_ ? reached_locked(p) : false;
    if (!running_ || stop_) {
      lk.unlock();
      cb(reached(p));
      return;
    }
    if (!now_reached) {
      waiters_.emplace(next_waiter_++, waiter{p, deadline, std::move(cb)});
      const bool sooner = deadline < timer_next_;
      lk.unlock();
      if (sooner) timer_cv_.notify_all();
      return;
    }
  }
  cb(true);
}

void projection_runner::fire_all_waiters(bool reached) {
  std::vector<std::function<void(bool)>> all;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, w] : waiters_) all.push_back(std::move(w.cb));
    waiters_.clear();
  }
  for (auto& cb : all) cb(reached);
}

void projection_runner::timer_loop() {
  std::unique_lock lk(mu_);
  while (!timer_stop_) {
    auto next = clock_type::time_point::max();
    for (const auto& [id, w] : waiters_) next = std::min(next, w.deadline);
    timer_next_ = next;
    if (next == clock_type::time_point::max()) {
      timer_cv_.wait(lk);
    } else {
      timer_cv_.wait_until(lk, next);
    }
    timer_next_ = clock_type::time_point::min();  // awake: it rescans before sleeping again
    auto now = clock_type::now();
    std::vector<std::function<void(bool)>> expired;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.cb));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    if (!expired.empty()) {
      lk.unlock();
      for (auto& cb : expired) cb(false);
      lk.lock();
    }
  }
}

// --- synchronous folds ---

result_msg<void> projection_runner::run_until(std::vector<int64_t> until, durability d,
                                              progress_fn progress) {
  if (running()) return make_error(errc::conflict, "run_until needs the runner stopped");
  if (store_->read_only())
    return make_error(errc::unsupported, "the projections store is read-only");
  std::lock_guard al(apply_mu_);
  auto targets = live_targets();
  if (targets.empty()) return success();
  auto parts = owned();
  size_t n = static_cast<size_t>(log_.partitions());
  grow(until, n);
  if (auto st = log_.stats()) {
    // Never wait for events that do not exist.
    for (size_t p = 0; p < n; ++p) until[p] = std::min(until[p], at(st.value().end_offsets, p));
  }

  fold_batch b(*store_, targets, d);
  auto min_pos = [&](int32_t p) {
    int64_t m = INT64_MAX;
    for (size_t i = 0; i < b.targets(); ++i)
      m = std::min(m, at(b.position(i), static_cast<size_t>(p)));
    return m;
  };
  auto pending = [&] {
    std::vector<int32_t> out;
    for (int32_t p : parts)
      if (min_pos(p) < until[static_cast<size_t>(p)]) out.push_back(p);
    return out;
  };
  uint64_t total = 0, base = 0;
  for (int32_t p : parts) {
    total += static_cast<uint64_t>(std::max<int64_t>(0, until[static_cast<size_t>(p)]));
    base += static_cast<uint64_t>(std::min(min_pos(p), until[static_cast<size_t>(p)]));
  }
  progress_meter meter(std::move(progress));
  meter.set_base(base);

  std::vector<int32_t> open_parts;
  std::unique_ptr<events::log_reader> reader;
  std::unique_ptr<internal::read_ahead> ahead;  // over `reader`, reset with it
  const bool decode_shared = wants_shared(targets);
  // Events past the limit of their partition are dropped (the reader may run ahead).
  auto drop_past_until = [&until](std::vector<events::stored_event>& got) {
    got.erase(std::remove_if(got.begin(), got.end(),
                             [&](const events::stored_event& e) {
                               return e.position.offset >=
                                      at(until, static_cast<size_t>(e.position.partition));
                             }),
              got.end());
  };
  // Synchronous: nobody waits for a batch (the runner is not serving), so the big batches.
  const size_t batch = opts_.rebuild_batch_events;
  while (true) {
    auto want = pending();
    if (want.empty()) break;
    if (!reader || want != open_parts) {
      std::vector<int64_t> from(n, 0);
      for (int32_t p : want) from[static_cast<size_t>(p)] = min_pos(p);
      ahead.reset();  // before the reader it reads from
      BOOST_OUTCOME_TRY(auto r, with_msg(log_.open_reader(from, want), "open a log reader"));
      reader = std::move(r);
      ahead = std::make_unique<internal::read_ahead>(*reader, batch, decode_shared,
                                                     drop_past_until);
      open_parts = want;
    }
    auto rr = ahead->next(opts_.poll_wait);
    if (!rr) {
      if (transient(rr.error())) continue;
      return make_error(errc::corruption, "reading the log: " + rr.error().message());
    }
    auto& got = rr.value().events;
    BOOST_OUTCOME_TRY(b.apply(got, threads_for(got.size()), nullptr, rr.value().memo.get()));
    if (d == durability::no_wal && threads_for(got.size()) > 1) {
      // Big batches: each projection writes its own batch, in parallel. Small ones: one
      // WriteBatch, as the live loop does (a hand-off to a second thread costs more).
      BOOST_OUTCOME_TRY(b.commit_separately(threads_for(got.size())));
    } else {
      BOOST_OUTCOME_TRY(b.commit());
    }
    uint64_t done = 0;
    for (int32_t p : parts)
      done += static_cast<uint64_t>(std::min(min_pos(p), until[static_cast<size_t>(p)]));
    meter.report(done, total);
  }
  if (d == durability::no_wal) {
    BOOST_OUTCOME_TRY(store_->flush());
  }
  meter.report(total, total, true);
  return success();
}

result_msg<void> projection_runner::catch_up(progress_fn progress) {
  auto st = log_.stats();
  if (!st)
    return make_error(st.error().value() ? errc::unavailable : errc::io_error,
                      "log stats: " + st.error().message());
  return run_until(st.value().end_offsets, durability::no_wal, std::move(progress));
}

// --- rebuild ---

result_msg<void> projection_runner::rebuild(std::vector<std::string> names, progress_fn progress) {
  if (store_->read_only())
    return make_error(errc::unsupported, "the projections store is read-only");
  std::lock_guard rl(rebuild_mu_);
  if (names.empty())
    for (const auto& p : store_->projections()) names.emplace_back(p->name());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& n : names)
    if (!store_->live(n)) return make_error(errc::not_found, "no projection named '" + n + "'");
  {
    std::lock_guard lk(mu_);
    for (const auto& n : names) {
      rebuilding_[n] = {};
      rebuild_errors_.erase(n);
    }
  }
  auto r = rebuild_locked(names, std::move(progress));
  {
    std::lock_guard lk(mu_);
    for (const auto& n : names) {
      rebuilding_.erase(n);
      if (!r) rebuild_errors_[n] = r.error().message;
    }
  }
  return r;
}

result_msg<void> projection_runner::rebuild_locked(std::vector<std::string> names,
                                                   progress_fn progress) {
  std::vector<std::shared_ptr<fold_target>> gens;
  auto discard_all = [&] {
    for (auto& g : gens) (void)store_->discard(g);
  };
  for (const auto& n : names) {
    auto g = store_->begin_generation(n);
    if (!g) {
      discard_all();
      return g.error();
    }
    gens.push_back(std::move(g).value());
  }
  auto parts = owned();
  size_t n = static_cast<size_t>(log_.partitions());
  auto reader_r = log_.open_reader(std::vector<int64_t>(n, 0), opts_.partitions);
  if (!reader_r) {
    discard_all();
    return error_info{reader_r.error(), "open a log reader: " + reader_r.error().message()};
  }
  auto reader = std::move(reader_r).value();
  internal::read_ahead ahead(*reader, opts_.rebuild_batch_events, wants_shared(gens));
  // Destroyed before the switch: the live loop must be able to open its own batch on these
  // generations as soon as the apply lock is released.
  auto bp = std::make_unique<fold_batch>(*store_, gens, durability::bulk);
  fold_batch& b = *bp;

  std::vector<int64_t> end;
  auto refresh_end = [&] {
    if (auto st = log_.stats()) end = st.value().end_offsets;
  };
  refresh_end();
  auto pos_of = [&](int32_t p) {
    int64_t m = INT64_MAX;
    for (size_t i = 0; i < b.targets(); ++i)
      m = std::min(m, at(b.position(i), static_cast<size_t>(p)));
    return m == INT64_MAX ? 0 : m;
  };
  auto done = [&] {
    uint64_t d = 0;
    for (int32_t p : parts) d += static_cast<uint64_t>(pos_of(p));
    return d;
  };
  progress_meter meter(std::move(progress));
  auto report = [&](bool final) {
    uint64_t d = done(), t = std::max(d, sum_over(end, parts));
    meter.report(d, t, final);
    std::lock_guard lk(mu_);
    for (const auto& nm : names) rebuilding_[nm] = {d, t};
  };
  auto fold_some = [&](std::chrono::milliseconds wait) -> result_msg<size_t> {
    if (cancel_rebuild_) return make_error(errc::closed, "rebuild cancelled (runner stopping)");
    auto rr = ahead.next(wait);
    if (!rr) {
      if (transient(rr.error())) return size_t{0};
      return make_error(errc::corruption, "reading the log: " + rr.error().message());
    }
    auto& got = rr.value();
    BOOST_OUTCOME_TRY(
        b.apply(got.events, threads_for(got.events.size()), nullptr, got.memo.get()));
    BOOST_OUTCOME_TRY(b.commit_separately(opts_.fold_threads));
    return got.events.size();
  };
  auto lag = [&] {
    uint64_t l = 0;
    for (int32_t p : parts) {
      int64_t d = at(end, static_cast<size_t>(p)) - pos_of(p);
      if (d > 0) l += static_cast<uint64_t>(d);
    }
    return l;
  };

  // Phase 1: fold from 0 while the live generations keep serving, until close to the end.
  auto next_stats = clock_type::now() + std::chrono::milliseconds(500);
  while (true) {
    auto r = fold_some(std::chrono::milliseconds(0));
    if (!r) {
      discard_all();
      return r.error();
    }
    report(false);
    bool short_read = r.value() < opts_.rebuild_batch_events;
    if (short_read || clock_type::now() >= next_stats) {
      refresh_end();
      next_stats = clock_type::now() + std::chrono::milliseconds(500);
      if (lag() < opts_.rebuild_batch_events) break;
      if (short_read && r.value() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // Most of the fold goes to disk before the runner is paused.
  if (auto f = b.finish(opts_.fold_threads); !f) {
    discard_all();
    return f.error();
  }
  if (auto f = store_->flush(gens); !f) {
    discard_all();
    return f.error();
  }

  // Phase 2: pause the live runner between two batches, fold up to where it is, switch.
  std::lock_guard al(apply_mu_);
  std::vector<int64_t> target;
  bool live = running();
  if (live) {
    target = committed_;
  } else {
    refresh_end();
    target = end;
  }
  grow(target, n);
  while (true) {
    bool behind = false;
    for (int32_t p : parts)
      if (pos_of(p) < target[static_cast<size_t>(p)]) behind = true;
    if (!behind) break;
    auto r = fold_some(opts_.poll_wait);
    if (!r) {
      discard_all();
      return r.error();
    }
  }
  if (auto f = b.finish(opts_.fold_threads); !f) {
    discard_all();
    return f.error();
  }
  report(true);
  bp.reset();
  for (auto& g : gens) {
    auto s = store_->switch_to(g);
    if (!s) {
      // Generations already switched stay (they are complete); the rest are dropped.
      for (auto& h : gens)
        if (store_->live(h->name()) != h) (void)store_->discard(h);
      return s.error();
    }
  }
  {
    std::lock_guard lk(mu_);
    for (const auto& nm : names) excluded_.erase(nm);
  }
  return success();
}

// --- status ---

runner_status projection_runner::status() const {
  runner_status s;
  std::vector<int64_t> end;
  if (auto st = log_.stats()) end = st.value().end_offsets;
  auto parts = owned();
  {
    std::lock_guard lk(mu_);
    s.running = running_ && !stop_;
    s.error = error_;
    s.failed_at = failed_at_;
    s.events_applied = events_applied_;
    s.batches = batches_;
    s.checkpoints = checkpoints_;
    s.last_checkpoint_error = checkpoint_error_;
    if (end.empty()) end = log_end_;
  }
  s.log_end = end;
  s.applied = applied();
  for (const auto& i : store_->info()) {
    projection_progress p;
    p.name = i.name;
    p.position = i.position;
    for (int32_t part : parts) {
      int64_t d = at(end, static_cast<size_t>(part)) - at(i.position, static_cast<size_t>(part));
      if (d > 0) p.lag += d;
    }
    std::lock_guard lk(mu_);
    p.stale = excluded_.count(i.name) > 0;
    if (auto it = rebuilding_.find(i.name); it != rebuilding_.end()) {
      p.rebuilding = true;
      p.rebuild_done = it->second.done;
      p.rebuild_total = it->second.total;
    }
    if (auto it = rebuild_errors_.find(i.name); it != rebuild_errors_.end()) p.error = it->second;
    s.projections.push_back(std::move(p));
  }
  return s;
}

void projection_runner::register_metrics() {
  if (!opts_.metrics) return;
  auto& reg = *opts_.metrics;
  reg.counter("roms_projection_events_applied_total",
              "Events applied by the live projection runner.", {"projection"});
  // Lag from the cached log end (refreshed every second by the runner thread), so a scrape
  // never waits for the broker.
  reg.add_collector(metrics::metric_type::gauge, "roms_projection_lag_events",
                    "Events in the log not yet applied by the projection.", {"projection"}, [this] {
                      std::vector<int64_t> end;
                      {
                        std::lock_guard lk(mu_);
                        end = log_end_;
                      }
                      std::vector<metrics::sample> out;
                      auto parts = owned();
                      for (const auto& p : store_->projections()) {
                        auto t = store_->live(p->name());
                        if (!t) continue;
                        auto pos = t->position();
                        int64_t lag = 0;
                        for (int32_t part : parts) {
                          int64_t d = at(end, static_cast<size_t>(part)) -
                                      at(pos, static_cast<size_t>(part));
                          if (d > 0) lag += d;
                        }
                        out.push_back({{std::string(p->name())}, static_cast<double>(lag)});
                      }
                      return out;
                    });
  reg.add_collector(metrics::metric_type::counter, "roms_projection_store_reads_total",
                    "Reads the live fold made from RocksDB: keys its cache did not hold.",
                    {"projection"}, [this] {
                      std::vector<metrics::sample> out;
                      for (const auto& p : store_->projections()) {
                        if (auto t = store_->live(p->name()))
                          out.push_back({{std::string(p->name())},
                                         static_cast<double>(t->store_reads())});
                      }
                      return out;
                    });
  reg.gauge_callback("roms_projection_runner_up", "1 while the projection runner is running.",
                     [this] {
                       std::lock_guard lk(mu_);
                       return running_ && !stop_ ? 1.0 : 0.0;
                     });
  metric_names_ = {"roms_projection_lag_events", "roms_projection_store_reads_total",
                   "roms_projection_runner_up"};
}

// --- restore ---

namespace {

result_msg<void> write_restore_json(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return make_error(errc::io_error, "cannot write " + tmp.string());
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fflush(f) == 0 && ok;
  ok = ::fsync(fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) return make_error(errc::io_error, "cannot write " + path.string());
  return success();
}

void write_positions(events::json_writer& w, const std::vector<int64_t>& v) {
  w.begin_array();
  for (int64_t o : v) w.value(o);
  w.end_array();
}

}  // namespace

result_msg<restore_result> restore(events::event_log& log,
                                   std::vector<std::shared_ptr<projections::projection>> models,
                                   const restore_options& o) {
  auto t0 = clock_type::now();
  if (o.before.has_value() == o.at_time.has_value())
    return make_error(errc::invalid_argument, "restore needs exactly one of a position or a time");
  if (o.into.empty()) return make_error(errc::invalid_argument, "restore needs a target directory");
  std::error_code ec;
  if (fs::exists(o.into / "projections", ec) || fs::exists(o.into / "restore.json", ec))
    return make_error(errc::conflict, o.into.string() + " already holds read models");

  size_t n = static_cast<size_t>(log.partitions());
  restore_result res;
  BOOST_OUTCOME_TRY(auto st, with_msg(log.stats(), "log stats"));
  if (o.before) {
    res.limits = *o.before;
  } else {
    BOOST_OUTCOME_TRY(auto offs,
                      with_msg(log.offsets_after_time(*o.at_time), "offsets after time"));
    res.limits = std::move(offs);
  }
  grow(res.limits, n);
  for (size_t p = 0; p < n; ++p) res.limits[p] = std::min(res.limits[p], at(st.end_offsets, p));
  std::vector<int32_t> parts = o.partitions;
  if (parts.empty())
    for (int32_t p = 0; p < log.partitions(); ++p) parts.push_back(p);

  // The newest checkpoint at or before the limits (every partition, every projection built
  // by the same version as the code's).
  std::optional<projections::checkpoint_info> chosen;
  if (!o.source_data_dir.empty()) {
    auto cps = projections::projection_store::list_checkpoints(o.source_data_dir);
    for (auto it = cps.rbegin(); it != cps.rend() && !chosen; ++it) {
      bool ok = true;
      for (const auto& m : models) {
        auto e = it->projections.find(m->name());
        if (e == it->projections.end() || e->second.version != m->version()) continue;
        for (int32_t p : parts)
          if (at(e->second.position, static_cast<size_t>(p)) > res.limits[static_cast<size_t>(p)])
            ok = false;
      }
      if (ok) chosen = *it;
    }
  }
  if (chosen) {
    BOOST_OUTCOME_TRY(projections::projection_store::copy_checkpoint(*chosen, o.into));
    res.checkpoint = chosen->sequence;
  }

  std::vector<int64_t> start_pos;
  {
    projections::store_options so;
    so.memory_budget_bytes = o.memory_budget_bytes;
    so.on_stale = projections::stale_policy::reset;  // a projection not in the checkpoint: from 0
    BOOST_OUTCOME_TRY(auto store, projections::projection_store::open(o.into, models, so));
    for (int32_t p : parts) {
      int64_t m = res.limits[static_cast<size_t>(p)];
      for (const auto& i : store->info()) m = std::min(m, at(i.position, static_cast<size_t>(p)));
      res.events_folded += static_cast<uint64_t>(res.limits[static_cast<size_t>(p)] - m);
    }
    runner_options ro;
    ro.partitions = o.partitions;
    ro.rebuild_batch_events = o.batch_events;
    ro.checkpoint_every_events = 0;
    ro.rebuild_stale_on_start = false;
    {
      projection_runner runner(store, log, ro);
      BOOST_OUTCOME_TRY(runner.run_until(res.limits, durability::no_wal, o.progress));
    }
    events::json_writer w;
    w.begin_object();
    w.field("format", int64_t{1});
    w.field("kind", "roms.restore");
    w.field("backend", st.backend);
    w.field("partitions", static_cast<int64_t>(n));
    w.key("limits");
    write_positions(w, res.limits);
    if (o.at_time) {
      w.field("at_time", format_rfc3339(*o.at_time));
    } else {
      w.key("before");
      write_positions(w, *o.before);
    }
    w.key("checkpoint");
    if (res.checkpoint) {
      w.value(*res.checkpoint);
    } else {
      w.null();
    }
    w.field("source", o.source_data_dir.string());
    w.field("created", format_rfc3339(std::chrono::time_point_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now())));
    w.key("projections").begin_object();
    for (const auto& i : store->info()) {
      w.key(i.name).begin_object();
      w.field("version", i.stored_version);
      w.key("position");
      write_positions(w, i.position);
      w.end_object();
    }
    w.end_object();
    w.end_object();
    BOOST_OUTCOME_TRY(write_restore_json(o.into / "restore.json", std::move(w).str()));
  }
  res.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  return res;
}

std::optional<std::vector<int64_t>> restored_limits(const fs::path& data_dir) {
  std::ifstream in(data_dir / "restore.json", std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::vector<int64_t> limits;
  bool found = false;
  auto r = events::parse_object(
      text,
      [&](std::string_view k, events::json_value& v) -> result<void> {
        if (k != "limits") return success();
        found = true;
        return v.for_each_element([&](events::json_value& x) -> result<void> {
          BOOST_OUTCOME_TRY(auto n, x.get_int64());
          limits.push_back(n);
          return success();
        });
      },
      nullptr);
  if (!r || !found) return std::nullopt;
  return limits;
}

}  // namespace roms::consumers
