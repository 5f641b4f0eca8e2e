#include "commands/executor.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "commands/write_model.h"
#include "consumers/runner.h"
#include "core/automation.h"
#include "core/errc.h"
#include "core/thread_name.h"
#include "events/payload.h"
#include "events/types.h"
#include "projections/store.h"

namespace roms::commands {
namespace {

}  // namespace

struct executor::impl {
  events::event_log& log;
  std::shared_ptr<projections::projection_store> store;
  consumers::projection_runner& runner;
  const clock& clk;
  executor_options opts;

  struct queued {
    any_command cmd;
    actor_info who;
    done_fn done;
  };
  struct decided {
    done_fn done;
    outcome out;
    size_t last_event = SIZE_MAX;  // index into the batch's events; SIZE_MAX = none
  };
  struct batch {
    uint64_t epoch = 0;  // the failure epoch it was decided in (see append_loop)
    std::vector<events::envelope> events;
    std::vector<decided> cmds;
  };

  std::mutex mu;
  std::condition_variable cv_queue, cv_batches, cv_inflight;
  std::deque<queued> queue;
  std::deque<batch> to_append;
  size_t inflight = 0;
  bool stopping = false;
  bool resync = false;
  // Bumped by every failed append. A batch decided in an older epoch may rest on the failed
  // batch's events (the decider applies its events to the write model as it decides), so the
  // appender refuses it instead of appending it — also one the decider was still deciding
  // when the append failed.
  uint64_t epoch = 0;
  error_info last_failure;
  std::thread decider, appender;

  // Decider-thread state: the write model (commands/write_model.h), the log reader that keeps
  // it in step with events other writers append, and the ids of the executor's own events
  // that the model already holds but the reader has not passed yet (skipped when it does).
  std::mutex model_mu;  // held while deciding; lets inspect() look from another thread
  write_model model;
  std::unique_ptr<events::log_reader> tail;
  std::unordered_set<std::string> own_ids;
  bool seeded = false;
  std::map<int32_t, int64_t> appended_end;  // last offset appended per partition (appender)

  impl(events::event_log& l, std::shared_ptr<projections::projection_store> s,
       consumers::projection_runner& r, const clock& c, executor_options o)
      : log(l), store(std::move(s)), runner(r), clk(c), opts(o) {}

  // ------------------------------------------------------------ the write model
  // Folds events from the reader into the model until it has read `until` (per partition),
  // or — empty `until` — until nothing more is there right now. Own events are skipped: the
  // model applied them when they were decided.
  result_msg<void> read_tail(const std::vector<int64_t>& until) {
    auto reached = [&] {
      auto next = tail->next_offsets();
      for (size_t p = 0; p < until.size(); ++p)
        if ((p < next.size() ? next[p] : 0) < until[p]) return false;
      return true;
    };
    for (;;) {
      if (!until.empty() && reached()) return success();
      auto wait = until.empty() ? std::chrono::milliseconds(0) : std::chrono::milliseconds(100);
      auto r = tail->read(4096, wait);
      if (!r)
        return error_info{r.error(), "the write model cannot read the log: " + r.error().message()};
      if (r.value().empty()) {
        if (until.empty()) return success();
        continue;
      }
      for (const auto& se : r.value()) {
        if (!own_ids.empty() && own_ids.erase(se.event.id)) continue;
        if (!write_model::wants(se.event.type)) continue;
        BOOST_OUTCOME_TRY(model.apply_logged(se.event));
      }
    }
  }

  // The model as the fold of the whole log (at start, and after a failed append, when it may
  // hold events that were never written).
  result_msg<void> seed() {
    seeded = false;
    model.clear();
    own_ids.clear();
    tail.reset();
    auto st = log.stats();
    if (!st) return error_info{st.error(), "cannot read the log's end: " + st.error().message()};
    auto rd = log.open_reader({});
    if (!rd) return error_info{rd.error(), "cannot open the log: " + rd.error().message()};
    tail = std::move(rd).value();
    BOOST_OUTCOME_TRY(read_tail(st.value().end_offsets));
    seeded = true;
    return success();
  }

  void decide_loop() {
    for (;;) {
      std::vector<queued> work;
      batch b;
      {
        std::unique_lock lk(mu);
        cv_queue.wait(lk, [&] { return stopping || !queue.empty() || !seeded; });
        if (queue.empty() && stopping) return;
        if (resync) {
          // Every in-flight append has finished, so the log holds all it will ever hold of
          // the failed batches: refold it.
          cv_inflight.wait(lk, [&] { return inflight == 0; });
          seeded = false;
          resync = false;
        }
        // Read with the resync flag: an append failing from here on makes this batch stale.
        b.epoch = epoch;
        size_t n = std::min(queue.size(), opts.max_batch);
        for (size_t i = 0; i < n; ++i) {
          work.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      {
        std::lock_guard lk(model_mu);
        auto ready = seeded ? read_tail({}) : seed();
        if (!ready) {
          seeded = false;  // refold before the next decision
          for (auto& q : work) q.done(ready.error());
          if (work.empty()) {
            // Nothing to refuse: retry the seed shortly rather than spinning.
            std::unique_lock lk2(mu);
            cv_queue.wait_for(lk2, std::chrono::milliseconds(200), [&] { return stopping; });
          }
          continue;
        }
        decide_batch(work, b);
      }
      if (b.cmds.empty()) continue;
      {
        std::lock_guard lk(mu);
        ++inflight;
        to_append.push_back(std::move(b));
      }
      cv_batches.notify_one();
    }
  }

  void decide_batch(std::vector<queued>& work, batch& b) {
    b.events.reserve(work.size() * 2);
    b.cmds.reserve(work.size());
    for (auto& q : work) {
      timestamp now = clk.now();
      decision_context ctx{now, [now](std::string_view p) { return events::new_compact_id(p, now); }};
      auto d = std::visit([&](auto& c) { return decide(model, ctx, c); }, q.cmd);
      if (!d) {
        q.done(d.error());
        continue;
      }
      decided dc;
      dc.done = std::move(q.done);
      dc.out.id = std::move(d.value().id);
      dc.out.existing = d.value().existing;
      for (auto& ne : d.value().events) {
        events::envelope& e = b.events.emplace_back();
        e.id = events::new_event_id(now);
        std::visit(
            [&](auto& p) {
              e.type = p.kType;
              e.version = p.kVersion;
              e.payload = events::encode_payload(p);
            },
            ne.payload);
        e.stream = std::move(ne.stream);
        e.time = now;
        e.actor = q.who.actor;
        e.correlation_id = q.who.correlation_id;
        // The next command (in this batch or a later one) sees this one's effects.
        model.apply(ne.payload);
        own_ids.insert(e.id);
        dc.last_event = b.events.size() - 1;
      }
      b.cmds.push_back(std::move(dc));
    }
  }

  // Appends every batch decided while the previous append was in progress in ONE append()
  // (one fsync / one produce-flush for all of them): the decider is fast enough to hand over
  // a batch per command or two, and appending those one by one would cost a sync each.
  static constexpr size_t kMaxAppendEvents = 16384;

  void append_loop() {
    for (;;) {
      batch b;
      size_t taken = 0;
      {
        std::unique_lock lk(mu);
        cv_batches.wait(lk, [&] { return stopping || !to_append.empty(); });
        if (to_append.empty() && stopping) return;
        b = std::move(to_append.front());
        to_append.pop_front();
        taken = 1;
        if (b.epoch != epoch) {
          // Decided before a failed append: refuse it (its decisions may rest on events that
          // were never written).
          error_info err = last_failure;
          --inflight;
          lk.unlock();
          for (auto& c : b.cmds) c.done(err);
          cv_inflight.notify_all();
          continue;
        }
        while (!to_append.empty() && to_append.front().epoch == b.epoch &&
               b.events.size() + to_append.front().events.size() <= kMaxAppendEvents) {
          batch& next = to_append.front();
          size_t base = b.events.size();
          for (auto& e : next.events) b.events.push_back(std::move(e));
          for (auto& c : next.cmds) {
            if (c.last_event != SIZE_MAX) c.last_event += base;
            b.cmds.push_back(std::move(c));
          }
          to_append.pop_front();
          ++taken;
        }
      }
      std::vector<events::append_result> results;
      if (!b.events.empty()) {
        auto r = log.append(b.events);
        if (!r) {
          error_info err{r.error(),
                         std::string("the log refused the append: ") + r.error().message()};
          // Batches decided after this one may rest on its events: refuse them too. The
          // epoch moves before any caller hears of the failure, so a command submitted after
          // it (a retry) is decided on the refolded model, never refused with this error.
          std::deque<batch> later;
          {
            std::lock_guard lk(mu);
            later.swap(to_append);
            resync = true;
            ++epoch;
            last_failure = err;
          }
          for (auto& c : b.cmds) c.done(err);
          for (auto& lb : later)
            for (auto& c : lb.cmds) c.done(err);
          {
            std::lock_guard lk(mu);
            inflight -= taken + later.size();
          }
          cv_inflight.notify_all();
          cv_queue.notify_all();
          continue;
        }
        results = std::move(r).value();
        for (auto& res : results) {
          auto& e = appended_end[res.position.partition];
          e = std::max(e, res.position.offset);
        }
      }
      auto deadline = std::chrono::steady_clock::now() + opts.apply_wait;
      for (auto& c : b.cmds) {
        std::vector<events::log_position> wait;
        if (c.last_event != SIZE_MAX) {
          c.out.position = results[c.last_event].position;
          wait.push_back(*c.out.position);
        } else {
          // No new events (a repeat): wait until whatever was appended before is applied,
          // so the original the answer refers to is visible.
          for (auto& [p, o] : appended_end) wait.push_back({p, o});
        }
        wait_all(std::move(wait), deadline, std::move(c.out), std::move(c.done));
      }
      {
        std::lock_guard lk(mu);
        inflight -= taken;
      }
      cv_inflight.notify_all();
    }
  }

  void wait_all(std::vector<events::log_position> ps, std::chrono::steady_clock::time_point dl,
                outcome out, done_fn done) {
    if (ps.empty()) {
      done(std::move(out));
      return;
    }
    auto p = ps.back();
    ps.pop_back();
    runner.on_reached(p, dl,
                      [this, ps = std::move(ps), dl, out = std::move(out),
                       done = std::move(done)](bool ok) mutable {
                        if (!ok) {
                          out.applied = false;
                          done(std::move(out));
                          return;
                        }
                        wait_all(std::move(ps), dl, std::move(out), std::move(done));
                      });
  }
};

executor::executor(events::event_log& log, std::shared_ptr<projections::projection_store> store,
                   consumers::projection_runner& runner, const clock& clk, executor_options o)
    : impl_(std::make_unique<impl>(log, std::move(store), runner, clk, o)) {}

executor::~executor() { stop(); }

void executor::start() {
  impl_->decider = std::thread([this] {
    set_thread_name("roms-decide");
    impl_->decide_loop();
  });
  impl_->appender = std::thread([this] {
    set_thread_name("roms-append");
    impl_->append_loop();
  });
}

void executor::stop() {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping && !impl_->decider.joinable()) return;
    impl_->stopping = true;
  }
  impl_->cv_queue.notify_all();
  if (impl_->decider.joinable()) impl_->decider.join();
  impl_->cv_batches.notify_all();
  if (impl_->appender.joinable()) impl_->appender.join();
  // Anything still queued (submitted after stop began) is refused.
  std::deque<impl::queued> left;
  {
    std::lock_guard lk(impl_->mu);
    left.swap(impl_->queue);
  }
  for (auto& q : left) q.done(error_info{errc::closed, "the server is shutting down"});
}

void executor::submit(any_command cmd, actor_info who, done_fn done) {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopping) {
      done(error_info{errc::closed, "the server is shutting down"});
      return;
    }
    if (impl_->queue.size() >= impl_->opts.max_queue) {
      done(error_info{errc::unavailable, "too many commands waiting; retry shortly"});
      return;
    }
    impl_->queue.push_back({std::move(cmd), std::move(who), std::move(done)});
  }
  impl_->cv_queue.notify_one();
}

void executor::inspect(const std::function<void(const write_model&)>& f) {
  std::lock_guard lk(impl_->model_mu);
  f(impl_->model);
}

result_msg<outcome> executor::execute(any_command cmd, actor_info who) {
  auto p = std::make_shared<std::promise<result_msg<outcome>>>();
  auto f = p->get_future();
  submit(std::move(cmd), std::move(who),
         [p](result_msg<outcome> r) { p->set_value(std::move(r)); });
  return f.get();
}

}  // namespace roms::commands
